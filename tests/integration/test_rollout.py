# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollouts in waves and the max_devices guard end to end (issue 11): real ansible-playbook runs against the simulator.

The driver reads what only the simulator knows: the request log (when each wave was POSTed, to whom), the statuses
of every request (when each device finished) and the devices' values.
"""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._rollout import over_budget, split_into_waves
from ansible_collections.esper.mdm.tests.integration.conftest import run_playbook
from ansible_collections.esper.mdm.tests.integration.test_esper_command import api_get, command_posts

WAVES = [5, '25%', '100%']
FLEET_100 = ('--devices', '100', '--groups', '4', '--offline', '0', '--legacy-android', '0', '--other-platforms', '0',
             '--step-seconds', '0.05')
STORES = ['Store-001', 'Store-002', 'Store-003', 'Store-004']
FINAL_STATES = ('Command Success', 'Command Failure', 'Command TimeOut', 'Command Cancelled')
WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')


def epoch(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()


def group_members(simulator, group_name):
    """The ids of a group's devices in the v2 listing's order (the order a rollout follows)."""
    group = [entry for entry in simulator.fleet()['groups'] if entry['name'] == group_name][0]
    listing = api_get(simulator, '/v2/devices/', {'group_multi': group['id'], 'limit': 1000})['content']
    assert listing['next'] is None
    return [device['id'] for device in listing['results']]


def request_statuses(simulator, request_id):
    page = api_get(simulator, '/commands/v0/status/', {'request': request_id, 'limit': 1000})
    page = page.get('content', page)
    assert page['next'] is None
    return page['results']


def roll_out(simulator, check=False, **variables):
    run = run_playbook(simulator, 'rollout_command.yml', extra_vars=variables, check=check)
    assert 'Roll out' in run.tasks, run.output[-4000:]
    return run.result('Roll out')


def sent_devices(posts):
    return [device for post in posts for device in post['body']['devices']]


@pytest.mark.simulator_args(*FLEET_100)
def test_a_rollout_of_100_devices_sends_each_wave_after_the_previous_one_finished(simulator):
    order = [device for group in STORES for device in group_members(simulator, group)]
    assert len(order) == len(set(order)) == 100
    result = roll_out(simulator, rollout_command='REBOOT', rollout_groups=STORES, rollout_options={'waves': WAVES})
    assert not result.get('failed'), result.get('msg')

    posts = command_posts(simulator)
    expected = split_into_waves(order, WAVES)
    assert [len(wave) for wave in expected] == [5, 25, 70]
    assert [post['body']['devices'] for post in posts] == expected
    assert all(post['body']['command_type'] == 'DEVICE' for post in posts)
    # Every device is sent the command once, and succeeded.
    assert sorted(sent_devices(posts)) == sorted(order)
    assert [wave['devices'] for wave in result['waves']] == expected
    assert [wave['device_count'] for wave in result['waves']] == [5, 25, 70]
    assert result['stats']['success'] == 100 and result['unsent_devices'] == [] and result['failed_devices'] == []
    # The request log: each wave's POST came after every device of the previous wave had finished.
    for previous, post in zip(result['waves'], posts[1:]):
        statuses = [status for request_id in previous['command_ids'] for status in request_statuses(simulator, request_id)]
        assert len(statuses) == previous['device_count']
        assert all(status['state'] in FINAL_STATES for status in statuses)
        finished = max(epoch(status['updated_at']) for status in statuses)
        assert finished <= post['epoch'], (finished, post['epoch'])


@pytest.mark.simulator_args(*FLEET_100)
def test_a_rollout_over_its_budget_stops_and_a_rerun_with_once_finishes_the_rest(simulator):
    rule = simulator.fail_command({'command': 'REBOOT', 'share': 0.2, 'seed': 7})[0]
    failing = set(rule['device_ids'])
    assert len(failing) == 20
    order = [device for group in STORES for device in group_members(simulator, group)]
    waves = split_into_waves(order, WAVES)
    # Where the budget is crossed, from the devices the seed picked: it must be before the last wave.
    sent = failed = 0
    crossing = None
    for number, wave in enumerate(waves, 1):
        sent += len(wave)
        failed += len(failing & set(wave))
        if over_budget(failed, sent, 10):
            crossing = number
            break
    assert crossing is not None and crossing < len(waves), 'pick another seed: the budget must be crossed before the last wave'
    sent_before = [device for wave in waves[:crossing] for device in wave]
    later = [device for wave in waves[crossing:] for device in wave]

    variables = dict(rollout_command='REBOOT', rollout_groups=STORES, rollout_once=True,
                     rollout_options={'waves': WAVES, 'max_fail_percentage': 10})
    result = roll_out(simulator, **variables)
    assert result['failed'] is True
    assert result['msg'].startswith('rollout stopped after wave %d of %d: %d of the %d devices sent so far failed'
                                    % (crossing, len(waves), failed, sent)), result['msg']
    assert 'more than max_fail_percentage 10' in result['msg']
    assert len(result['waves']) == crossing
    assert sorted(entry['device'] for entry in result['failed_devices']) == sorted(failing & set(sent_before))
    assert [entry['device'] for entry in result['unsent_devices']] == later
    first_posts = command_posts(simulator)
    assert sorted(sent_devices(first_posts)) == sorted(sent_before)  # later devices received nothing

    simulator.clear_command_failures()
    simulator.clear_requests()
    again = roll_out(simulator, **variables)
    assert not again.get('failed'), again.get('msg')
    second = sent_devices(command_posts(simulator))
    # The rest, and the devices that failed, are sent; no device that succeeded is sent the command twice.
    assert sorted(second) == sorted(later + sorted(failing & set(sent_before)))
    assert len(second) == len(set(second))
    succeeded_first = set(sent_before) - failing
    assert not succeeded_first & set(second)
    assert again['unsent_devices'] == []


@pytest.mark.simulator_args('--devices', '50', '--groups', '5', '--offline', '0', '--other-platforms', '0', '--step-seconds', '0.05')
def test_wipe_without_max_devices_or_to_a_bigger_group_writes_nothing(simulator):
    assert len(group_members(simulator, 'Store-001')) == 10
    refused = roll_out(simulator, rollout_command='WIPE', rollout_groups=['Store-001'])
    assert refused['failed'] is True
    assert 'WIPE is destructive' in refused['msg'] and 'max_devices is required' in refused['msg']
    too_many = roll_out(simulator, rollout_command='WIPE', rollout_groups=['Store-001'], rollout_max_devices=5)
    assert too_many['failed'] is True
    assert too_many['msg'].startswith('the targets of WIPE are 10 devices (groups expanded), more than max_devices 5; '
                                      'nothing was sent')
    writes = [record for record in simulator.requests() if record['method'] in WRITE_METHODS]
    assert writes == []
    # The first error came before any request at all.
    assert simulator.requests()[0]['path'] != '/api/commands/v0/commands/'


@pytest.mark.simulator_args('--devices', '50', '--groups', '5', '--offline', '0', '--other-platforms', '0', '--step-seconds', '0.05')
def test_a_state_command_rollout_covers_only_the_devices_that_differ(simulator):
    members = group_members(simulator, 'Store-002')
    complying = members[::2]
    for device in complying:
        simulator.set_device(device, devicestate={'brightness_scale': 70})
    differing = [device for device in members if device not in complying]

    preview = roll_out(simulator, check=True, rollout_command='SET_BRIGHTNESS_SCALE', rollout_args={'brightness_value': 70},
                       rollout_groups=['Store-002'], rollout_options={'waves': [2, '50%']})
    assert preview['changed'] is True and command_posts(simulator) == []
    assert [wave['devices'] for wave in preview['waves']] == [differing[:2], differing[2:]]

    result = roll_out(simulator, rollout_command='SET_BRIGHTNESS_SCALE', rollout_args={'brightness_value': 70},
                      rollout_groups=['Store-002'], rollout_options={'waves': [2, '50%']})
    assert not result.get('failed'), result.get('msg')
    posts = command_posts(simulator)
    assert [post['body']['devices'] for post in posts] == [differing[:2], differing[2:]]
    assert sorted(entry['device'] for entry in result['skipped_devices']) == sorted(complying)
    for device in members:
        assert api_get(simulator, '/device/v0/devices/%s/devicestate' % device)['brightness_scale'] == 70
