# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for submission.py: batching, stats, POSTs and waiting, against scripted conversations."""

from __future__ import annotations

import math
import threading

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperClient, EsperValidationError
from ansible_collections.esper.mdm.plugins.module_utils import _submission as submission
from ansible_collections.esper.mdm.plugins.module_utils._submission import (
    STATE_KEYS,
    SubmissionError,
    WaitResult,
    build_requests,
    command_type_problem,
    describe_outcome,
    empty_stats,
    EndEstimate,
    combined_end,
    infer_command_type,
    next_poll_delay,
    normalise_stats,
    progress_bounds,
    read_stats,
    submit_requests,
    sum_stats,
    wait_for_completion,
)
from ansible_collections.esper.mdm.tests.unit.conversation import (
    API_KEY,
    BASE_URL,
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    FakeResponse,
    UnorderedSession,
    content,
    page,
    refuse_sleep,
)
from ansible_collections.esper.mdm.tests.unit.module_harness import FakeTime

CMD_1 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000001'
CMD_2 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000002'
GROUP_1 = '0b9a8c7d-1111-4e2f-9a0b-000000000001'


def device_id(number):
    return '6f1c2d3e-0000-4a5b-8c9d-%012d' % number


def group_id(number):
    return '0b9a8c7d-1111-4e2f-9a0b-%012d' % number


def make_client(exchanges, fake_time=None):
    fake_time = fake_time or FakeTime()
    conversation = Conversation(exchanges)
    client = EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=conversation,
                         sleep=fake_time.sleep, clock=fake_time.clock)
    return client, conversation


def stats_reply(command_id, status):
    return Exchange('GET', 'commands/v0/commands/%s/stats/' % command_id, body=content({'id': command_id, 'status': status}))


def status_page(command_id, state, statuses, next_url=None, count=None):
    return Exchange('GET', 'commands/v0/status/', params={'request': command_id, 'state': state}, params_subset=True,
                    body=page(statuses, count=count, next_url=next_url))


def status(command_id, device, state, reason=''):
    return {'id': 'st-%s' % device[-4:], 'request': command_id, 'device': device, 'state': state, 'reason': reason,
            'created_at': '2025-05-01T10:00:01Z', 'updated_at': '2025-05-01T10:00:09Z'}


# ---------------------------------------------------------------- stats


def test_normalise_stats_maps_all_nine_states():
    status_list = [{'state': state, 'total': index + 1} for index, state in enumerate(STATE_KEYS)]
    stats = normalise_stats(status_list)
    assert stats == {'total': 45, 'queued': 1, 'initiated': 2, 'acknowledged': 3, 'in_progress': 4, 'scheduled': 5,
                     'success': 6, 'failure': 7, 'timeout': 8, 'cancelled': 9}


def test_normalise_stats_counts_unknown_states_in_total_only():
    stats = normalise_stats([{'state': 'Command Success', 'total': 2}, {'state': 'Command Teleported', 'total': 3},
                             {'state': 'Command Failure', 'total': 0}, 'junk'])
    assert stats['total'] == 5
    assert stats['success'] == 2
    assert sum(value for key, value in stats.items() if key != 'total') == 2


@pytest.mark.parametrize('status_list', [None, [], {}])
def test_normalise_stats_of_nothing_is_all_zero(status_list):
    assert normalise_stats(status_list) == empty_stats()


def test_normalise_stats_accepts_a_state_mapping():
    assert normalise_stats({'Command Queued': 2, 'Command Success': '3'})['total'] == 5


def test_sum_stats_adds_every_key():
    first = normalise_stats([{'state': 'Command Success', 'total': 2}])
    second = normalise_stats([{'state': 'Command Success', 'total': 1}, {'state': 'Command Queued', 'total': 4}])
    assert sum_stats([first, second]) == dict(empty_stats(), total=7, success=3, queued=4)
    assert sum_stats([]) == empty_stats()


# ---------------------------------------------------------------- command type and batching


@pytest.mark.parametrize('devices, groups, expected', [
    (['d'], [], 'DEVICE'), ([], ['g'], 'GROUP'), (['d'], ['g'], 'DYNAMIC'), ([], [], None)])
def test_infer_command_type(devices, groups, expected):
    assert infer_command_type(devices, groups) == expected


def test_command_type_problem_accepts_fitting_or_missing_types():
    assert command_type_problem(None, ['d'], []) is None
    assert command_type_problem('DEVICE', ['d'], []) is None
    assert command_type_problem('GROUP', [], ['g']) is None
    assert command_type_problem('DYNAMIC', ['d'], ['g']) is None


@pytest.mark.parametrize('command_type, devices, groups, fragment', [
    ('DEVICE', [], ['g'], 'command_type DEVICE needs devices and no groups, but the targets are groups only'),
    ('GROUP', ['d'], [], 'command_type GROUP needs groups and no devices, but the targets are devices only'),
    ('DYNAMIC', ['d'], [], 'command_type DYNAMIC needs both devices and groups, but the targets are devices only'),
    ('DEVICE', ['d'], ['g'], 'but the targets are both devices and groups (command_type DYNAMIC)'),
    ('BROADCAST', ['d'], [], 'command_type must be one of DEVICE, GROUP, DYNAMIC'),
])
def test_command_type_problem_names_the_contradiction(command_type, devices, groups, fragment):
    assert fragment in command_type_problem(command_type, devices, groups)


def test_build_requests_makes_one_device_body():
    bodies = build_requests('SET_BRIGHTNESS_SCALE', {'brightness_value': 60}, [device_id(1), device_id(2), device_id(1)], [])
    assert bodies == [{'command_type': 'DEVICE', 'devices': [device_id(1), device_id(2)], 'device_type': 'all',
                       'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 60}, 'schedule': 'IMMEDIATE'}]


def test_build_requests_carries_schedule_and_alias():
    schedule_args = {'name': 'nightly', 'start_datetime': '2025-06-01T02:00:00Z', 'end_datetime': '2025-06-02T02:00:00Z',
                     'time_type': 'device'}
    bodies = build_requests('REBOOT', {}, [], [GROUP_1], schedule='WINDOW', schedule_args=schedule_args, alias='nightly reboot')
    assert bodies == [{'command_type': 'GROUP', 'groups': [GROUP_1], 'device_type': 'all', 'command': 'REBOOT',
                       'command_args': {}, 'schedule': 'WINDOW', 'schedule_args': schedule_args, 'alias': 'nightly reboot'}]


def test_2500_devices_become_three_requests():
    devices = [device_id(number) for number in range(2500)]
    bodies = build_requests('REBOOT', {}, devices, [])
    assert [len(body['devices']) for body in bodies] == [1000, 1000, 500]
    assert [body['command_type'] for body in bodies] == ['DEVICE'] * 3
    assert sum((body['devices'] for body in bodies), []) == devices


def test_groups_are_batched_by_500():
    groups = [group_id(number) for number in range(1200)]
    bodies = build_requests('REBOOT', {}, [], groups)
    assert [len(body['groups']) for body in bodies] == [500, 500, 200]
    assert all('devices' not in body for body in bodies)


def test_dynamic_batches_pair_device_and_group_chunks():
    devices = [device_id(number) for number in range(2500)]
    bodies = build_requests('REBOOT', {}, devices, [GROUP_1], command_type='DYNAMIC')
    assert [body['command_type'] for body in bodies] == ['DYNAMIC', 'DEVICE', 'DEVICE']
    assert bodies[0]['groups'] == [GROUP_1]
    assert [len(body['devices']) for body in bodies] == [1000, 1000, 500]
    assert all('groups' not in body for body in bodies[1:])


def test_dynamic_leftover_groups_become_group_requests():
    groups = [group_id(number) for number in range(700)]
    bodies = build_requests('REBOOT', {}, [device_id(1)], groups)
    assert [(body['command_type'], len(body.get('devices', [])), len(body.get('groups', []))) for body in bodies] == [
        ('DYNAMIC', 1, 500), ('GROUP', 0, 200)]


def test_build_requests_refuses_contradictions_and_empty_targets():
    with pytest.raises(ValueError, match='command_type GROUP needs groups'):
        build_requests('REBOOT', {}, [device_id(1)], [], command_type='GROUP')
    with pytest.raises(ValueError, match='no devices or groups'):
        build_requests('REBOOT', {}, [], [])


def test_build_requests_copies_command_args():
    args = {'brightness_value': 10}
    body = build_requests('SET_BRIGHTNESS_SCALE', args, [device_id(1)], [])[0]
    body['command_args']['brightness_value'] = 99
    assert args == {'brightness_value': 10}


# ---------------------------------------------------------------- submit


def created(command_id, body):
    return dict(body, id=command_id, created_at='2025-05-01T10:00:00Z', created_by='42', reason='')


def test_submit_requests_posts_each_body_in_order():
    bodies = build_requests('REBOOT', {}, [device_id(number) for number in range(1500)], [])
    client, conversation = make_client([
        Exchange('POST', 'commands/v0/commands/', json=bodies[0], status=201, body=content(created(CMD_1, bodies[0]), code=201)),
        Exchange('POST', 'commands/v0/commands/', json=bodies[1], status=201, body=content(created(CMD_2, bodies[1]), code=201)),
    ])
    requests = submit_requests(client, bodies)
    conversation.assert_done()
    assert [request['id'] for request in requests] == [CMD_1, CMD_2]


def test_submit_requests_raises_the_first_error_as_is():
    bodies = build_requests('REBOOT', {}, [device_id(1)], [])
    client, conversation = make_client([
        Exchange('POST', 'commands/v0/commands/', status=400, body={'code': 400, 'message': 'Invalid command arguments', 'content': {}}),
    ])
    with pytest.raises(EsperValidationError, match='Invalid command arguments'):
        submit_requests(client, bodies)
    conversation.assert_done()


def test_submit_requests_keeps_created_requests_when_a_later_post_fails():
    bodies = build_requests('REBOOT', {}, [device_id(number) for number in range(1500)], [])
    client, conversation = make_client([
        Exchange('POST', 'commands/v0/commands/', status=201, body=content(created(CMD_1, bodies[0]), code=201)),
        Exchange('POST', 'commands/v0/commands/', status=400, body={'code': 400, 'message': 'Too many devices', 'content': {}}),
    ])
    with pytest.raises(SubmissionError) as caught:
        submit_requests(client, bodies)
    conversation.assert_done()
    assert [request['id'] for request in caught.value.created] == [CMD_1]
    assert isinstance(caught.value.error, EsperValidationError)
    assert 'Too many devices' in str(caught.value)


# ---------------------------------------------------------------- stats reading and waiting


def test_read_stats_normalises_the_stats_endpoint():
    client, conversation = make_client([stats_reply(CMD_1, [{'state': 'Command Success', 'total': 12},
                                                            {'state': 'Command Queued', 'total': 3}])])
    assert read_stats(client, CMD_1) == dict(empty_stats(), total=15, success=12, queued=3)
    conversation.assert_done()


def test_wait_reads_at_once_then_plans_the_next_read_from_the_progress_seen():
    fake_time = FakeTime()
    client, conversation = make_client([
        stats_reply(CMD_1, [{'state': 'Command Queued', 'total': 2}]),
        stats_reply(CMD_1, [{'state': 'Command In Progress', 'total': 2}]),
        stats_reply(CMD_1, [{'state': 'Command In Progress', 'total': 1}, {'state': 'Command Success', 'total': 1}]),
        stats_reply(CMD_1, [{'state': 'Command Success', 'total': 2}]),
    ], fake_time)
    result = wait_for_completion(client, [CMD_1], 300, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    # Queued only: nothing to estimate from, the plain first gap. Then both devices are 7/8 of the way after 0.5 s,
    # so the end is close: the shortest gap, twice, within the round budget.
    assert fake_time.sleeps == [0.5, 0.25, 0.25]
    assert result.rounds == 4
    assert result.timed_out is False
    assert result.stats == dict(empty_stats(), total=2, success=2)
    assert result.stats_by_request == {CMD_1: result.stats}
    assert result.failed_devices == [] and result.open_devices == []


def test_without_progress_the_gaps_grow_by_sqrt2_and_the_rounds_stay_within_budget():
    fake_time = FakeTime()
    exchanges = [stats_reply(CMD_1, [{'state': 'Command Queued', 'total': 1}])] * 30
    exchanges.append(stats_reply(CMD_1, [{'state': 'Command Success', 'total': 1}]))
    client, conversation = make_client(exchanges, fake_time)
    result = wait_for_completion(client, [CMD_1], 10 ** 6, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    assert fake_time.sleeps[:3] == [0.5, 0.5, 0.5]
    assert fake_time.sleeps[3] == pytest.approx((2 ** 0.5 - 1) * 1.5)
    elapsed = 0.0
    for number, gap in enumerate(fake_time.sleeps, start=1):
        # Read number+1 comes after this gap: at least the plain gap, and late enough that one more read still fits
        # 2 log2(t / 0.5) + 4 at its time t.
        assert gap >= min(max(0.5, (2 ** 0.5 - 1) * elapsed), submission.MAX_POLL_GAP) - 1e-6
        elapsed += gap
        assert number + 2 <= 2 * math.log(max(elapsed, 0.5) / 0.5, 2) + 4 + 1e-6
    assert result.rounds == 31 <= 2 * math.log(elapsed / 0.5, 2) + 4


def test_empty_status_after_a_group_create_is_not_completion():
    fake_time = FakeTime()
    client, conversation = make_client([
        stats_reply(CMD_1, []),
        stats_reply(CMD_1, [{'state': 'Command Success', 'total': 3}]),
    ], fake_time)
    result = wait_for_completion(client, [CMD_1], 60, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    assert result.stats['success'] == 3
    assert not result.timed_out


def test_expected_total_keeps_waiting_until_every_device_is_listed():
    fake_time = FakeTime()
    client, conversation = make_client([
        stats_reply(CMD_1, [{'state': 'Command Success', 'total': 2}]),
        stats_reply(CMD_1, [{'state': 'Command Success', 'total': 4}]),
        stats_reply(CMD_1, [{'state': 'Command Success', 'total': 5}]),
    ], fake_time)
    result = wait_for_completion(client, [CMD_1], 60, expected_total=5, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    assert result.stats['total'] == 5
    assert len(fake_time.sleeps) == 2


def test_expected_total_per_request():
    fake_time = FakeTime()
    client, conversation = make_client([
        stats_reply(CMD_1, [{'state': 'Command Success', 'total': 1}]),
        stats_reply(CMD_2, [{'state': 'Command Success', 'total': 1}]),
        stats_reply(CMD_2, [{'state': 'Command Success', 'total': 2}]),
    ], fake_time)
    result = wait_for_completion(client, [CMD_1, CMD_2], 60, expected_total={CMD_2: 2},
                                 sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    assert result.stats['success'] == 3


def test_only_open_requests_are_polled_again():
    fake_time = FakeTime()
    client, conversation = make_client([
        stats_reply(CMD_1, [{'state': 'Command Success', 'total': 1000}]),
        stats_reply(CMD_2, [{'state': 'Command Queued', 'total': 500}]),
        stats_reply(CMD_2, [{'state': 'Command Success', 'total': 500}]),
    ], fake_time)
    result = wait_for_completion(client, [CMD_1, CMD_2], 60, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    assert result.stats == dict(empty_stats(), total=1500, success=1500)
    assert result.stats_by_request[CMD_1]['success'] == 1000


def test_scheduled_is_final_only_for_scheduled_requests():
    fake_time = FakeTime()
    client, conversation = make_client([stats_reply(CMD_1, [{'state': 'Command Scheduled', 'total': 4}])], fake_time)
    result = wait_for_completion(client, [CMD_1], 60, scheduled_is_final=True, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    assert result.stats['scheduled'] == 4 and not result.timed_out
    assert fake_time.sleeps == []


def test_failed_devices_are_read_from_every_page_with_names_and_reasons():
    fake_time = FakeTime()
    next_url = BASE_URL + '/commands/v0/status/?request=%s&state=Command+Failure&limit=500&offset=500' % CMD_1
    client, conversation = make_client([
        stats_reply(CMD_1, [{'state': 'Command Success', 'total': 1}, {'state': 'Command Failure', 'total': 2},
                            {'state': 'Command Cancelled', 'total': 1}]),
        status_page(CMD_1, 'Command Failure', [status(CMD_1, device_id(2), 'Command Failure', 'Brightness unchanged')],
                    next_url=next_url, count=2),
        Exchange('GET', next_url, body=page([dict(status(CMD_1, device_id(3), 'Command Failure', 'App missing'),
                                                  device='https://acme-api.esper.cloud/api/enterprise/x/device/%s/' % device_id(3))],
                                            count=2)),
        status_page(CMD_1, 'Command Cancelled', [status(CMD_1, device_id(4), 'Command Cancelled')]),
    ], fake_time)
    result = wait_for_completion(client, [CMD_1], 60, sleep=fake_time.sleep, clock=fake_time.clock,
                                 device_names={device_id(2): 'kiosk-0002'})
    conversation.assert_done()
    assert result.failed_devices == [
        {'device': device_id(2), 'device_name': 'kiosk-0002', 'state': 'Command Failure', 'reason': 'Brightness unchanged',
         'command_id': CMD_1},
        {'device': device_id(3), 'state': 'Command Failure', 'reason': 'App missing', 'command_id': CMD_1},
        {'device': device_id(4), 'state': 'Command Cancelled', 'reason': '', 'command_id': CMD_1},
    ]
    assert not result.timed_out


def test_timeout_reports_open_devices_and_never_sleeps_past_the_deadline():
    fake_time = FakeTime()
    exchanges = [stats_reply(CMD_1, [{'state': 'Command Queued', 'total': 1}, {'state': 'Command Success', 'total': 1}])] * 7
    exchanges.append(status_page(CMD_1, 'Command Queued', [status(CMD_1, device_id(1), 'Command Queued')]))
    client, conversation = make_client(exchanges, fake_time)
    start = fake_time.now
    result = wait_for_completion(client, [CMD_1], 10, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    # Half the devices are final, the other half queued: the estimate says the end is as far away as the time
    # waited, so the read is put there (twice the time waited, at least 0.5 s): 0.5, 1, 2, 4, 8, then the 2 s left.
    assert fake_time.sleeps == [0.5, 0.5, 1.0, 2.0, 4.0, 2.0]
    assert fake_time.now - start == 10
    assert result.timed_out
    assert result.open_devices == [{'device': device_id(1), 'state': 'Command Queued', 'reason': '', 'command_id': CMD_1}]
    assert result.failed_devices == []


def test_zero_timeout_polls_once():
    fake_time = FakeTime()
    client, conversation = make_client([
        stats_reply(CMD_1, [{'state': 'Command In Progress', 'total': 1}]),
        status_page(CMD_1, 'Command In Progress', [status(CMD_1, device_id(1), 'Command In Progress', 'installing')]),
    ], fake_time)
    result = wait_for_completion(client, [CMD_1], 0, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    assert result.timed_out and fake_time.sleeps == []
    assert result.open_devices[0]['reason'] == 'installing'


# ---------------------------------------------------------------- messages


def wait_result(stats, timed_out=False, failed_devices=()):
    return WaitResult(stats, {CMD_1: stats}, timed_out, list(failed_devices), [])


def test_describe_outcome_is_none_when_all_succeeded():
    assert describe_outcome(wait_result(dict(empty_stats(), total=2, success=2)), 300) is None


def test_describe_outcome_counts_failures_and_names_devices():
    failed = [{'device': device_id(n), 'device_name': 'kiosk-%04d' % n, 'state': 'Command Failure', 'reason': 'boom',
               'command_id': CMD_1} for n in range(7)]
    message = describe_outcome(wait_result(dict(empty_stats(), total=10, success=3, failure=7), failed_devices=failed), 300)
    assert message.startswith('7 of 10 devices did not succeed (7 Command Failure)')
    assert 'kiosk-0000: Command Failure (boom)' in message
    assert 'and 2 more' in message


def test_describe_outcome_explains_a_timeout():
    message = describe_outcome(wait_result(dict(empty_stats(), total=3, queued=2, in_progress=1), timed_out=True), 300)
    assert message == ('3 devices still open after 300s (2 Command Queued, 1 Command In Progress); '
                       'queued devices may be offline')


def test_describe_outcome_explains_unknown_devices_at_timeout():
    message = describe_outcome(wait_result(empty_stats(), timed_out=True), 30)
    assert message == 'the devices were not all known after 30s (0 reported so far)'


def test_module_constants_match_the_contract():
    assert submission.MAX_DEVICES_PER_REQUEST == 1000
    assert submission.MAX_GROUPS_PER_REQUEST == 500


def test_an_empty_group_completes_when_its_expected_total_is_zero():
    fake_time = FakeTime()
    client, conversation = make_client([stats_reply(CMD_1, [])], fake_time)
    result = wait_for_completion(client, [CMD_1], 60, expected_total=0, sleep=fake_time.sleep, clock=fake_time.clock)
    conversation.assert_done()
    assert not result.timed_out and result.stats == empty_stats()


# ---------------------------------------------------------------- the polling schedule against device models

class ModelSession:
    """Answers /stats/ from a model of the devices on a fake clock: state_at(device, elapsed) -> state name."""

    def __init__(self, fake_time, devices, state_at):
        self.fake_time = fake_time
        self.started = fake_time.now
        self.devices = devices
        self.state_at = state_at
        self.reads = 0

    def request(self, method, url, params=None, **kwargs):
        assert method == 'GET' and url.endswith('/stats/')
        self.reads += 1
        totals = {}
        for device in range(self.devices):
            state = self.state_at(device, self.fake_time.now - self.started)
            totals[state] = totals.get(state, 0) + 1
        return FakeResponse(200, content({'id': CMD_1, 'status': [{'state': state, 'total': total}
                                                                  for state, total in totals.items()]}))

    def mount(self, *args, **kwargs):
        """Accept adapter mounting like a Session."""

    def close(self):
        """Accept close() like a Session."""

    headers = {}


STEP_STATES = ('Command Queued', 'Command Initiated', 'Command Acknowledged', 'Command In Progress')


def steps_model(duration):
    """Every device moves one state each duration/4 s and succeeds at duration (the simulator's model)."""
    return lambda device, elapsed: 'Command Success' if elapsed >= duration else STEP_STATES[int(elapsed * 4 / duration)]


def spread_model(duration, devices):
    """Device n stays queued, then succeeds at duration * (n + 1) / devices: the fleet finishes over time."""
    return lambda device, elapsed: 'Command Success' if elapsed >= duration * (device + 1) / devices else 'Command Queued'


def in_progress_model(duration):
    """Every device shows In Progress until all succeed together at duration: nothing tells when."""
    return lambda device, elapsed: 'Command Success' if elapsed >= duration else 'Command In Progress'


def run_model(duration, state_at, devices=50):
    fake_time = FakeTime()
    session = ModelSession(fake_time, devices, state_at)
    client = EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=session, sleep=fake_time.sleep,
                         clock=fake_time.clock)
    result = wait_for_completion(client, [CMD_1], 100000, sleep=fake_time.sleep, clock=fake_time.clock,
                                 expected_total=devices)
    assert result.stats['success'] == devices and not result.timed_out
    return fake_time.now - session.started - duration, result.rounds, session.reads


DURATIONS = (1, 2, 4, 7.5, 10, 30, 60, 300, 1800)


@pytest.mark.parametrize('duration', DURATIONS)
@pytest.mark.parametrize('model', ['steps', 'spread'])
def test_the_end_is_seen_within_10_percent_and_in_logarithmic_rounds_when_progress_shows(duration, model):
    state_at = steps_model(duration) if model == 'steps' else spread_model(duration, 50)
    lag, rounds, reads = run_model(duration, state_at)
    assert 0 <= lag <= max(0.5, 0.1 * duration)
    assert rounds == reads
    assert rounds <= 2 * math.log(duration / 0.5, 2) + 4 if duration > 0.5 else rounds <= 4


@pytest.mark.parametrize('duration', DURATIONS)
def test_without_a_usable_estimate_the_rounds_stay_logarithmic(duration):
    lag, rounds, _reads = run_model(duration, in_progress_model(duration))
    assert rounds <= 2 * math.log(max(duration, 0.5) / 0.5, 2) + 4
    # Nothing shows how far the devices are, so the end is seen within the plain schedule's gap: 41 % of the wait.
    assert 0 <= lag <= max(0.5, (2 ** 0.5 - 1) * duration + 0.5)


@pytest.mark.parametrize('elapsed, rounds, low, high, expected', [
    (0.0, 1, None, None, 0.5),                     # nothing known: the first gap
    (10.0, 5, None, None, (2 ** 0.5 - 1) * 10),    # the plain schedule
    (10000.0, 30, None, None, 300.0),              # capped
    (10.0, 5, 40.0, None, 10.0),                   # the end is far: at most twice the time waited
    (10.0, 5, 12.0, 12.5, 2.5 + 0.03 + 0.1),       # narrow bounds: just after the latest end
    (10.0, 5, 12.0, 20.0, 3.0 + 0.03 + 0.1),       # wide bounds: the 8 reads the budget leaves until 20 s spread over them
    (10.0, 12, 12.0, 12.5, 0.5 * 2 ** 5 - 10),     # ... and never a read the round budget does not allow
    (10.0, 5, 10.0, None, (2 ** 0.5 - 1) * 10),    # no upper bound: the plain schedule
    (0.3, 1, 0.3, 0.31, 0.25),                     # never closer than MIN_POLL_GAP
])
def test_next_poll_delay(elapsed, rounds, low, high, expected):
    assert next_poll_delay(elapsed, rounds, low, high) == pytest.approx(max(expected, 0.25))


def test_progress_bounds_count_final_devices_whole_and_moving_ones_within_their_state():
    stats = dict(empty_stats(), total=8, success=2, failure=1, acknowledged=1, in_progress=2, queued=2)
    low, high = progress_bounds(stats)
    assert low == pytest.approx((3 * 4 + 2 + 2 * 3) / 32.0) and high == pytest.approx((3 * 4 + 3 + 2 * 4) / 32.0)
    assert progress_bounds(dict(empty_stats(), total=3, queued=3)) is None
    assert progress_bounds(empty_stats()) is None
    # Devices not listed yet (a group fanning out) count as not started.
    assert progress_bounds(dict(empty_stats(), total=1, success=1), expected=4) == (0.25, 0.25)
    assert progress_bounds(dict(empty_stats(), total=2, scheduled=2), scheduled_is_final=True) == (1.0, 1.0)


def test_end_estimate_intersects_reads_and_starts_over_when_they_contradict():
    estimate = EndEstimate()
    estimate.update(1.0, (0.25, 0.5))            # the end is between 2 and 4 s
    assert (estimate.low, estimate.high) == (2.0, 4.0)
    estimate.update(2.5, (0.5, 0.75))            # between 3.33 and 5: together 3.33 to 4
    assert estimate.low == pytest.approx(2.5 / 0.75) and estimate.high == 4.0
    estimate.update(6.0, (0.75, 1.0))            # the pace changed: between 6 and 8 only
    assert (estimate.low, estimate.high) == (6.0, 8.0)
    estimate.update(7.0, None)                   # a read that says nothing changes nothing
    assert (estimate.low, estimate.high) == (6.0, 8.0)
    assert combined_end([estimate, EndEstimate()]) == (None, None)
    other = EndEstimate()
    other.update(1.0, (0.0, 0.25))               # no upper bound
    assert combined_end([estimate, other]) == (6.0, None)


def test_open_requests_are_read_in_parallel():
    barrier = threading.Barrier(3, timeout=5)
    ids = [CMD_1, CMD_2, '9d0e6a4f-5b1c-4c1d-9e2f-000000000003']
    session = UnorderedSession(dict(('commands/v0/commands/%s/stats/' % command_id,
                                     (200, content({'id': command_id, 'status': [{'state': 'Command Success', 'total': 1}]})))
                                    for command_id in ids), barrier=barrier)
    client = EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=session, sleep=refuse_sleep)
    result = wait_for_completion(client, ids, 60, sleep=refuse_sleep)
    # The barrier lets the reads through only when all three are in flight together.
    assert sorted(path for _method, path in session.asked) == sorted('commands/v0/commands/%s/stats/' % i for i in ids)
    assert result.stats['success'] == 3 and result.rounds == 1


def test_requests_sent_before_the_wait_are_dated_from_their_post():
    # Sent 2 s before the wait began and half-way 1 s into it: 3 s of 6, so the end is 4 s into the wait.
    early = EndEstimate(offset=2.0)
    early.update(1.0, (0.5, 0.5))
    assert (early.low, early.high) == (6.0, 6.0)
    assert combined_end([early]) == (4.0, 4.0)


def test_submit_requests_records_when_each_request_was_sent():
    fake_time = FakeTime()
    bodies = build_requests('REBOOT', {}, [device_id(n) for n in range(1, 1502)], [])
    client, conversation = make_client([Exchange('POST', 'commands/v0/commands/', status=201, body=content(created(CMD_1, bodies[0]), code=201)),
                                        Exchange('POST', 'commands/v0/commands/', status=201, body=content(created(CMD_2, bodies[1]), code=201))],
                                       fake_time)
    sent_at = {}
    submit_requests(client, bodies, sent_at=sent_at)
    conversation.assert_done()
    assert sent_at == {CMD_1: fake_time.now, CMD_2: fake_time.now}
