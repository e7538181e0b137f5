# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of rollouts in waves and the max_devices guard: the rules of _rollout and run_plans' conversations."""

from __future__ import annotations

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import destructive_reason
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import CommandPlan, run_plans
from ansible_collections.esper.mdm.plugins.module_utils._rollout import (
    RolloutError,
    over_budget,
    rollout_problems,
    split_into_waves,
    wave_sizes,
)
from ansible_collections.esper.mdm.plugins.module_utils._submission import empty_stats
from ansible_collections.esper.mdm.tests.unit.conversation import (
    Exchange,
    content,
    device_id,
    group_id,
    page,
)
from ansible_collections.esper.mdm.tests.unit.module_harness import FakeModule, timed_client as make_client

D = [None] + [device_id(number) for number in range(1, 13)]
NAMES = dict((device_id(number), 'kiosk-%04d' % number) for number in range(1, 13))
STATE_NAMES = {'queued': 'Command Queued', 'in_progress': 'Command In Progress', 'success': 'Command Success',
               'failure': 'Command Failure', 'timeout': 'Command TimeOut', 'cancelled': 'Command Cancelled'}


def cmd(number):
    return '9d0e6a4f-5b1c-4c1d-9e2f-%012d' % number


def body(devices, command='REBOOT', command_args=None):
    return {'command_type': 'DEVICE', 'devices': list(devices), 'device_type': 'all', 'command': command,
            'command_args': command_args or {}, 'schedule': 'IMMEDIATE'}


def post(command_id, devices, command='REBOOT', command_args=None):
    """The POST of one wave: its body must list exactly these devices."""
    sent = body(devices, command, command_args)
    return Exchange('POST', 'commands/v0/commands/', json=sent, status=201,
                    body=content(dict(sent, id=command_id, created_at='2025-05-01T10:00:00Z'), code=201))


def stats(command_id, **totals):
    status = [{'state': STATE_NAMES[key], 'total': total} for key, total in totals.items()]
    return Exchange('GET', 'commands/v0/commands/%s/stats/' % command_id, body=content({'id': command_id, 'status': status}))


def statuses(command_id, state, numbers, reason=''):
    items = [{'id': 'st-%d' % number, 'request': command_id, 'device': device_id(number), 'state': state, 'reason': reason}
             for number in numbers]
    return Exchange('GET', 'commands/v0/status/', params={'request': command_id, 'state': state}, params_subset=True,
                    body=page(items))


def members(group_number, numbers):
    records = [{'id': device_id(number), 'name': 'kiosk-%04d' % number, 'platform': 'ANDROID'} for number in numbers]
    return Exchange('GET', 'v2/devices/', params={'group_multi': group_id(group_number)}, params_subset=True,
                    body={'content': page(records, enveloped=False, prev_key='prev')})


def plan(numbers, command='REBOOT', command_args=None, groups=()):
    devices = [device_id(number) for number in numbers]
    return CommandPlan(command, command_args or {}, devices, list(groups),
                       device_names=dict((device, NAMES[device]) for device in devices))


def rollout(waves, max_fail_percentage=0, pause_seconds=0):
    return {'waves': waves, 'max_fail_percentage': max_fail_percentage, 'pause_seconds': pause_seconds}


# ---------------------------------------------------------------- wave sizes and the budget


@pytest.mark.parametrize('total, waves, sizes', [
    (100, [5, '25%', '100%'], [5, 25, 70]),
    (10, [5, '25%', '100%'], [5, 3, 2]),            # 25% of 10 is 2.5: rounded up to 3
    (25, [1, '10%'], [1, 3, 3, 3, 3, 3, 3, 3, 3]),   # the last size repeats; 10% of 25 rounds up to 3
    (3, ['1%'], [1, 1, 1]),                         # at least one device per wave
    (10, ['33%'], [4, 4, 2]),
    (4, [10], [4]),                                 # a count above what is left takes the rest
    (7, ['100%'], [7]),
    (0, [5], []),
])
def test_wave_sizes_read_like_serial(total, waves, sizes):
    assert wave_sizes(total, waves) == sizes
    assert sum(sizes) == total


def test_split_into_waves_keeps_the_order():
    assert split_into_waves(['a', 'b', 'c', 'd', 'e'], [1, '40%']) == [['a'], ['b', 'c'], ['d', 'e']]


@pytest.mark.parametrize('failed, sent, budget, over', [
    (0, 10, 0, False), (1, 10, 0, True), (1, 10, 10, False), (2, 10, 10, True), (1, 8, 12.5, False), (3, 20, 10, True),
])
def test_budget_is_a_share_of_every_device_sent_so_far(failed, sent, budget, over):
    assert over_budget(failed, sent, budget) is over


@pytest.mark.parametrize('options, expected', [
    ({'rollout': rollout([0])}, "rollout.waves[0] must be a whole number of devices (1 or more) or a percentage"),
    ({'rollout': rollout([5, '0%'])}, "rollout.waves[1] must be"),
    ({'rollout': rollout(['150%'])}, "got '150%'"),
    ({'rollout': rollout(['a quarter'])}, "got 'a quarter'"),
    ({'rollout': rollout([True])}, 'got True'),
    ({'rollout': rollout([2.5])}, 'got 2.5'),
    ({'rollout': rollout([])}, 'rollout.waves must list at least one wave size'),
    ({'rollout': rollout([1], max_fail_percentage=101)}, 'rollout.max_fail_percentage must be from 0 to 100, got 101'),
    ({'rollout': rollout([1], pause_seconds=-1)}, 'rollout.pause_seconds must be 0 or more, got -1'),
    ({'rollout': rollout([1]), 'wait': False}, 'rollout needs wait=true'),
    ({'max_devices': 0}, 'max_devices must be 1 or more, got 0'),
])
def test_option_problems_name_the_option_and_what_is_allowed(options, expected):
    params = {'rollout': None, 'max_devices': None, 'wait': True}
    params.update(options)
    problems = rollout_problems(params)
    assert len(problems) == 1 and expected in problems[0], problems


def test_a_scheduled_rollout_is_refused():
    problems = rollout_problems({'rollout': rollout([1]), 'max_devices': None, 'wait': True}, schedule='WINDOW')
    assert problems and 'rollout needs schedule IMMEDIATE' in problems[0]


def test_good_options_have_no_problems():
    assert rollout_problems({'rollout': rollout([1, '25%', '100%', '7'], 2.5, 60), 'max_devices': 3, 'wait': True}) == []


def test_the_catalogue_marks_destructive_commands():
    for command in ('WIPE', 'RESET_LOCKSCREEN_PASSWORD', 'CLEAR_APP_DATA', 'UNINSTALL', 'APPLE_APP_UNINSTALL', 'REMOVE_PROFILE'):
        assert destructive_reason(command, {}), command
    assert destructive_reason('SET_DEVICE_LOCKDOWN_STATE', {'state': 'LOCKED', 'message': 'x'})
    assert destructive_reason('SET_DEVICE_LOCKDOWN_STATE', {'state': 'UNLOCKED', 'message': 'x'}) is None
    for command in ('CLEAR_PASSCODE', 'LOCK', 'REBOOT', 'INSTALL', 'SET_BRIGHTNESS_SCALE'):
        assert destructive_reason(command, {}) is None, command


# ---------------------------------------------------------------- conversations


def test_each_wave_is_posted_after_the_previous_one_finished_in_order_and_size():
    client, conversation, fake_time = make_client([
        post(cmd(1), [D[1]]),
        stats(cmd(1), in_progress=1),
        stats(cmd(1), success=1),
        post(cmd(2), [D[2], D[3]]),            # 40% of 5 = 2
        stats(cmd(2), success=2),
        post(cmd(3), [D[4], D[5]]),            # the last size repeats
        stats(cmd(3), success=2),
    ])
    result = run_plans(FakeModule(), client, [plan([1, 2, 3, 4, 5])], rollout=rollout([1, '40%'], pause_seconds=30))
    conversation.assert_done()
    assert 'failure_message' not in result
    assert result['changed'] is True
    assert result['command_ids'] == [cmd(1), cmd(2), cmd(3)] and result['command_id'] == cmd(1)
    assert result['request'] == body([D[1]])
    assert result['stats'] == dict(empty_stats(), total=5, success=5)
    assert [(wave['wave'], wave['device_count'], wave['devices'], wave['command_ids'], wave['sent'])
            for wave in result['waves']] == [(1, 1, [D[1]], [cmd(1)], True), (2, 2, [D[2], D[3]], [cmd(2)], True),
                                             (3, 2, [D[4], D[5]], [cmd(3)], True)]
    assert result['waves'][1]['stats'] == dict(empty_stats(), total=2, success=2)
    assert result['unsent_devices'] == [] and result['failed_devices'] == []
    # one poll interval in wave 1, then the pause before waves 2 and 3
    assert fake_time.sleeps == [0.5, 30, 30]


def test_failures_within_the_budget_over_all_waves_succeed_with_a_warning():
    # Wave 2 alone fails 50%, but 1 of the 8 devices sent so far is 12.5%, within 20%.
    module = FakeModule()
    client, conversation, dummy = make_client([
        post(cmd(1), [D[number] for number in range(1, 7)]),
        stats(cmd(1), success=6),
        post(cmd(2), [D[7], D[8]]),
        stats(cmd(2), success=1, failure=1),
        statuses(cmd(2), 'Command Failure', [8], 'App crashed'),
    ])
    result = run_plans(module, client, [plan(range(1, 9))], rollout=rollout([6, 2], max_fail_percentage=20))
    conversation.assert_done()
    assert 'failure_message' not in result
    assert result['failed_devices'] == [{'device': D[8], 'device_name': 'kiosk-0008', 'state': 'Command Failure',
                                         'reason': 'App crashed', 'command_id': cmd(2)}]
    assert result['waves'][1]['failed_devices'] == result['failed_devices']
    assert module.warnings == ['rollout finished with 1 of 8 devices failed (12.5%), within max_fail_percentage 20 '
                               '(failed_devices): kiosk-0008 (Command Failure: App crashed)']


def test_the_wave_that_crosses_the_budget_stops_the_rollout_and_later_devices_get_nothing():
    # 1 of 4 (25%) is within 25; wave 2 brings 2 of 6 (33%): stop, wave 3 is never posted.
    client, conversation, dummy = make_client([
        post(cmd(1), [D[1], D[2], D[3], D[4]]),
        stats(cmd(1), success=3, timeout=1),
        statuses(cmd(1), 'Command TimeOut', [2]),
        post(cmd(2), [D[5], D[6]]),
        stats(cmd(2), success=1, cancelled=1),
        statuses(cmd(2), 'Command Cancelled', [6], 'by admin'),
    ])
    result = run_plans(FakeModule(), client, [plan(range(1, 11))], rollout=rollout([4, 2], max_fail_percentage=25))
    conversation.assert_done()
    assert conversation.count('POST') == 2
    assert result['failure_message'].startswith(
        'rollout stopped after wave 2 of 4: 2 of the 6 devices sent so far failed (33.3%), more than max_fail_percentage 25; '
        '4 device(s) were not sent (unsent_devices). Failed: kiosk-0002 (Command TimeOut), kiosk-0006 (Command Cancelled: by admin)')
    assert 'once=true' in result['failure_message']
    assert [wave['wave'] for wave in result['waves']] == [1, 2]
    assert [len(wave['failed_devices']) for wave in result['waves']] == [1, 1]
    assert result['unsent_devices'] == [{'device': D[number], 'device_name': 'kiosk-%04d' % number} for number in range(7, 11)]
    assert result['command_ids'] == [cmd(1), cmd(2)]
    assert result['stats'] == dict(empty_stats(), total=6, success=4, timeout=1, cancelled=1)


def test_failures_over_the_budget_in_the_last_wave_fail_the_task_without_saying_it_stopped():
    client, conversation, dummy = make_client([
        post(cmd(1), [D[1]]),
        stats(cmd(1), success=1),
        post(cmd(2), [D[2]]),
        stats(cmd(2), failure=1),
        statuses(cmd(2), 'Command Failure', [2]),
    ])
    result = run_plans(FakeModule(), client, [plan([1, 2])], rollout=rollout([1], max_fail_percentage=10))
    conversation.assert_done()
    assert result['failure_message'].startswith('rollout sent all 2 waves, but 1 of the 2 devices failed (50%), more than '
                                                'max_fail_percentage 10. Failed: kiosk-0002 (Command Failure)')
    assert result['unsent_devices'] == []


def test_devices_still_open_when_a_wave_wait_ends_count_as_failed():
    client, conversation, dummy = make_client(
        [post(cmd(1), [D[1], D[2]])] + [stats(cmd(1), success=1, queued=1)] * 4
        + [statuses(cmd(1), 'Command Queued', [2])])
    result = run_plans(FakeModule(), client, [plan([1, 2, 3])], rollout=rollout([2]), wait_timeout=2)
    conversation.assert_done()
    assert result['timed_out'] is True
    assert result['failed_devices'][0]['device'] == D[2]
    assert result['failed_devices'][0]['reason'] == 'still Command Queued after 2s'
    assert result['failure_message'].startswith('rollout stopped after wave 1 of 2: 1 of the 2 devices sent so far failed (50%), '
                                                'more than max_fail_percentage 0')
    assert result['unsent_devices'] == [{'device': D[3], 'device_name': 'kiosk-0003'}]


def test_check_mode_lists_the_waves_and_posts_nothing():
    client, conversation, dummy = make_client([])
    module = FakeModule(check_mode=True, diff=True)
    the_plan = plan([1, 2, 3, 4])
    the_plan.diff = {'before': {}, 'after': {'command': 'REBOOT'}}
    result = run_plans(module, client, [the_plan], rollout=rollout([1, '50%']))
    conversation.assert_done()
    assert conversation.count('POST') == 0
    assert result['changed'] is True and result['command_ids'] == []
    assert result['request'] == body([D[1]])
    assert [(wave['devices'], wave['sent']) for wave in result['waves']] == [([D[1]], False), ([D[2], D[3]], False), ([D[4]], False)]
    assert result['diff'][0] == {'before': {}, 'after': {'command': 'REBOOT'}}
    assert result['diff'][1]['after'] == {'wave 1': ['kiosk-0001'], 'wave 2': ['kiosk-0002', 'kiosk-0003'], 'wave 3': ['kiosk-0004']}
    assert result['unsent_devices'] == []


def test_groups_are_expanded_into_waves_listed_devices_first_then_members_once():
    client, conversation, dummy = make_client([
        members(1, [1, 4, 2]),
        members(2, [2, 5]),
        post(cmd(1), [D[4]]),
        stats(cmd(1), success=1),
        post(cmd(2), [D[1], D[2], D[5]]),
        stats(cmd(2), success=3),
    ])
    the_plan = plan([4], groups=[group_id(1), group_id(2)])
    the_plan.command_type = 'DYNAMIC'
    result = run_plans(FakeModule(), client, [the_plan], rollout=rollout([1, '100%']))
    conversation.assert_done()
    assert [wave['devices'] for wave in result['waves']] == [[D[4]], [D[1], D[2], D[5]]]


def test_plans_that_share_one_names_map_keep_it_as_given_when_groups_are_expanded():
    # Plans keep the names map they are given (not a copy: 100,000 names); esper_wifi gives several plans one map.
    # Expanding one plan's group adds its members' names to that plan's own copy, never to the shared map.
    client, conversation, dummy = make_client([
        members(1, [2]),
        post(cmd(1), [D[1], D[2]]),
        post(cmd(2), [D[1]], 'LOCK'),
        stats(cmd(1), success=2),
        stats(cmd(2), success=1),
    ])
    names = {D[1]: NAMES[D[1]]}
    plans = [CommandPlan('REBOOT', {}, [D[1]], [group_id(1)], device_names=names),
             CommandPlan('LOCK', {}, [D[1]], [], device_names=names)]
    result = run_plans(FakeModule(), client, plans, rollout=rollout(['100%']))
    conversation.assert_done()
    assert [wave['devices'] for wave in result['waves']] == [[D[1], D[2]]]
    assert names == {D[1]: NAMES[D[1]]} and plans[1].device_names is names
    assert plans[0].device_names == {D[1]: NAMES[D[1]], D[2]: 'kiosk-0002'}


def test_several_commands_per_wave_count_each_device_once():
    client, conversation, dummy = make_client([
        post(cmd(1), [D[1], D[2]], 'SET_WIFI_STATE', {'wifi_state': True}),
        post(cmd(2), [D[2]], 'USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': True}),
        stats(cmd(1), success=1, failure=1),
        statuses(cmd(1), 'Command Failure', [2]),
        stats(cmd(2), failure=1),
        statuses(cmd(2), 'Command Failure', [2]),
    ])
    plans = [plan([1, 2, 3], 'SET_WIFI_STATE', {'wifi_state': True}), plan([2, 3], 'USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': True})]
    result = run_plans(FakeModule(), client, plans, rollout=rollout([2], max_fail_percentage=10))
    conversation.assert_done()
    assert result['failure_message'].startswith('rollout stopped after wave 1 of 2: 1 of the 2 devices sent so far failed')
    assert result['waves'][0]['command_ids'] == [cmd(1), cmd(2)]
    assert result['unsent_devices'] == [{'device': D[3], 'device_name': 'kiosk-0003'}]


def test_a_post_error_in_a_later_wave_stops_with_the_waves_so_far():
    client, conversation, dummy = make_client([
        post(cmd(1), [D[1]]),
        stats(cmd(1), success=1),
        Exchange('POST', 'commands/v0/commands/', status=400, body={'message': 'bad device'}),
    ])
    result = run_plans(FakeModule(), client, [plan([1, 2])], rollout=rollout([1]))
    conversation.assert_done()
    assert result['failure_message'].startswith('rollout stopped in wave 2 of 2: REBOOT: not sent:')
    assert result['unsent_devices'] == [{'device': D[2], 'device_name': 'kiosk-0002'}]
    assert [wave['sent'] for wave in result['waves']] == [True, False]


# ---------------------------------------------------------------- the guard


def test_more_devices_than_max_devices_sends_nothing():
    client, conversation, dummy = make_client([members(1, [1, 2, 3])])
    with pytest.raises(RolloutError) as caught:
        run_plans(FakeModule(), client, [plan([], groups=[group_id(1)])], max_devices=2)
    conversation.assert_done()
    assert conversation.count('POST') == 0
    assert str(caught.value).startswith('the targets of REBOOT are 3 devices (groups expanded), more than max_devices 2; '
                                        'nothing was sent')


def test_max_devices_counts_every_target_even_those_that_need_nothing():
    # 2 devices would be sent the command, 3 more are already compliant: the targets are 5 devices.
    the_plan = plan([1, 2])
    the_plan.skipped_devices = [{'device': D[number], 'device_name': NAMES[D[number]], 'reason': 'already compliant'}
                                for number in (3, 4, 5)]
    client, conversation, dummy = make_client([])
    with pytest.raises(RolloutError) as caught:
        run_plans(FakeModule(), client, [the_plan], max_devices=4)
    conversation.assert_done()
    assert conversation.count('POST') == 0
    assert 'the targets of REBOOT are 5 devices (groups expanded), more than max_devices 4' in str(caught.value)


def test_a_destructive_command_without_max_devices_is_refused_before_any_request():
    client, conversation, dummy = make_client([])
    with pytest.raises(RolloutError) as caught:
        run_plans(FakeModule(), client, [plan([], 'WIPE', groups=[group_id(1)])])
    conversation.assert_done()
    assert 'WIPE is destructive' in str(caught.value) and 'max_devices is required' in str(caught.value)


def test_a_destructive_group_command_is_sent_as_devices_within_max_devices():
    client, conversation, dummy = make_client([
        members(1, [1, 2]),
        post(cmd(1), [D[1], D[2]], 'WIPE'),
        stats(cmd(1), success=2),
    ])
    the_plan = plan([], 'WIPE', groups=[group_id(1)])
    the_plan.command_type = 'GROUP'
    result = run_plans(FakeModule(), client, [the_plan], max_devices=2)
    conversation.assert_done()
    assert result['request']['command_type'] == 'DEVICE'
    assert 'waves' not in result
