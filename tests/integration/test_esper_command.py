# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""esper_command and esper_command_info end to end: real ansible-playbook runs against the simulator.

The playbooks (tests/integration/playbooks/command_*.yml) assert what the module returns; these drivers
assert what only they can see: the simulator's request log (which command requests were POSTed, with
which bodies), the devices' values read back from the simulator, and the playbook's output.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import COLLECTION_DIR, run_playbook

COMMANDS_PATH = '/api/commands/v0/commands/'
SMALL_FLEET = ('--devices', '12', '--groups', '3', '--step-seconds', '0')


def command_posts(simulator):
    """The POSTs of command requests the simulator received, oldest first."""
    return [record for record in simulator.requests(method='POST', path_prefix=COMMANDS_PATH) if record['path'] == COMMANDS_PATH]


def api_get(simulator, path, params=None):
    """GET an /api path of the simulator with its API key (not through the collection); the parsed JSON."""
    url = simulator.url + path
    if params:
        url += '?' + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, headers={'Authorization': 'Bearer %s' % simulator.api_key})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode('utf-8'))


def stored_command_requests(simulator):
    """Every command request stored in the simulator, read through its list endpoint."""
    listing = api_get(simulator, '/commands/v0/commands/', {'limit': 1000})
    page = listing.get('content', listing)
    assert page['next'] is None
    return page['results']


def device_ids(simulator):
    """device_name -> id of the simulator's fleet."""
    return {device['device_name']: device['id'] for device in simulator.fleet()['devices']}


def group_devices(simulator, group_name):
    """The fleet summary entries of the devices in a group."""
    return [device for device in simulator.fleet()['devices'] if group_name in device['groups']]


def online_android_names(simulator):
    """Names of the online Android devices that can take any Android command (API level 28 and later)."""
    return [device['device_name'] for device in simulator.fleet()['devices']
            if device['platform'] == 'ANDROID' and device['online'] and device['api_level'] >= 28]


def reported_value(simulator, device_id, field):
    """The value a device reports: devicestate through the API, timezone_string from its DeviceInfo."""
    if field == 'timezone_string':
        return api_get(simulator, '/enterprise/%s/device/%s/' % (simulator.enterprise_id, device_id))[field]
    return api_get(simulator, '/device/v0/devices/%s/devicestate' % device_id)[field]


def assert_succeeded(run):
    """The playbook passed; otherwise show each failed task with its message (and the assertion that failed)."""
    failures = ['%s: %s %s' % (name, result.get('msg'), result.get('assertion') or '')
                for name, results in run.tasks.items() for result in results if result.get('failed')]
    assert run.rc == 0, '\n'.join(failures) or run.output[-6000:]


STATE_CASES = [
    pytest.param('SET_BRIGHTNESS_SCALE', {'brightness_value': 70}, 'brightness_scale', 70,
                 {'devicestate': {'brightness_scale': 70}}, id='brightness'),
    pytest.param('SET_ROTATION_STATE', {'rotate_state': 2}, 'rotation_state', 'LANDSCAPE_ONLY', None, id='rotation'),
    pytest.param('SET_TIMEZONE', {'timezone_string': 'Europe/Berlin'}, 'timezone_string', 'Europe/Berlin',
                 {'timezone_string': 'Europe/Berlin'}, id='timezone'),
]


@pytest.mark.parametrize('command, command_args, field, value, preset', STATE_CASES)
@pytest.mark.simulator_args('--devices', '20', '--groups', '3', '--offline', '0', '--other-platforms', '2', '--step-seconds', '0.05')
def test_state_command_on_a_group_check_apply_reapply_verify(simulator, command, command_args, field, value, preset):
    group = 'Store-002'
    members = group_devices(simulator, group)
    assert len(members) == 6
    preset_ids = set()
    if preset:
        # One device already has the value: it must be skipped, and the other five changed.
        simulator.set_device(members[0]['id'], **preset)
        preset_ids.add(members[0]['id'])
    before = {device['id']: reported_value(simulator, device['id'], field) for device in members}
    assert [device_id for device_id, current in before.items() if current == value] == list(preset_ids)

    run = run_playbook(simulator, 'command_state.yml', extra_vars={
        'state_command': command, 'state_args': command_args, 'state_group': group, 'state_field': field,
        'state_value': value, 'group_size': len(members), 'preset_count': len(preset_ids)})
    assert_succeeded(run)

    preview = run.result('Preview the state command')
    applied = run.result('Apply the state command')
    to_change = sorted(device['id'] for device in members if device['id'] not in preset_ids)
    assert sorted(preview['request']['devices']) == to_change
    names = {device['id']: device['device_name'] for device in members}
    assert preview['diff']['before'] == {names[device_id]: {field: before[device_id]} for device_id in to_change}
    assert preview['diff']['after'] == {names[device_id]: {field: value} for device_id in to_change}

    # One request in all: the preview (check mode) and the re-apply sent nothing.
    posts = command_posts(simulator)
    assert len(posts) == 1, posts
    body = posts[0]['body']
    assert posts[0]['status'] == 201
    assert body['command'] == command and body['command_args'] == command_args
    assert body['command_type'] == 'DEVICE' and sorted(body['devices']) == to_change
    assert [request['id'] for request in stored_command_requests(simulator)] == [applied['command_id']]

    for device in members:
        assert reported_value(simulator, device['id'], field) == value, device['device_name']


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_reboot_devices_by_name(simulator):
    names = online_android_names(simulator)[:3]
    run = run_playbook(simulator, 'command_reboot.yml', extra_vars={'reboot_devices': names})
    assert_succeeded(run)

    reboot = run.result('Reboot the devices')
    assert reboot['stats']['success'] == 3
    assert reboot['failed_devices'] == []
    ids = device_ids(simulator)
    posts = command_posts(simulator)
    assert [post['body']['devices'] for post in posts] == [[ids[name] for name in names]]
    assert posts[0]['body']['command'] == 'REBOOT' and posts[0]['body']['command_type'] == 'DEVICE'
    assert [request['id'] for request in stored_command_requests(simulator)] == [reboot['command_id']]
    # Names were resolved with device listings, never one GET per device.
    assert not simulator.requests(method='GET', path_prefix='/api/v2/devices/%s' % ids[names[0]])


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_schedules_end_scheduled(simulator):
    window_size = len(group_devices(simulator, 'Store-001'))
    recurring_size = len(group_devices(simulator, 'Store-002'))
    run = run_playbook(simulator, 'command_schedule.yml', extra_vars={
        'window_group': 'Store-001', 'recurring_group': 'Store-002', 'window_size': window_size, 'recurring_size': recurring_size})
    assert_succeeded(run)

    posts = command_posts(simulator)
    assert [post['body']['schedule'] for post in posts] == ['WINDOW', 'RECURRING']
    assert [post['body']['command_type'] for post in posts] == ['GROUP', 'GROUP']
    assert posts[1]['body']['schedule_args']['window_start_time'] == '02:00:00'
    # Every device of both requests is still Scheduled on the server: nothing ran.
    statuses = api_get(simulator, '/commands/v0/status/', {'limit': 1000})['content']['results']
    assert len(statuses) == window_size + recurring_size
    assert {status['state'] for status in statuses} == {'Command Scheduled'}
    assert run.result('Schedule a reboot in a window')['stats']['scheduled'] == window_size


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_offline_device_times_out(simulator):
    offline = [device['device_name'] for device in simulator.fleet()['devices'] if not device['online']]
    assert offline, 'the fleet needs an offline device'
    online = online_android_names(simulator)[0]
    run = run_playbook(simulator, 'command_offline_timeout.yml', extra_vars={'online_device': online, 'offline_device': offline[0]})
    assert_succeeded(run)

    outcome = run.result('Reboot an online and an offline device')
    assert outcome['timed_out'] is True
    assert offline[0] in outcome['msg']
    assert len(command_posts(simulator)) == 1
    stored = stored_command_requests(simulator)
    assert [request['id'] for request in stored] == [outcome['command_id']]


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_once_finishes_an_interrupted_rollout(simulator):
    all_devices = online_android_names(simulator)[:4]
    first, others = all_devices[:2], all_devices[2:]
    run = run_playbook(simulator, 'command_once.yml', extra_vars={'first_devices': first, 'all_devices': all_devices})
    assert_succeeded(run)

    ids = device_ids(simulator)
    posts = command_posts(simulator)
    # The first run, then only the two others; the last run sent nothing.
    expected = [sorted(ids[name] for name in first), sorted(ids[name] for name in others)]
    assert [sorted(post['body']['devices']) for post in posts] == expected
    assert [post['body']['command'] for post in posts] == ['REBOOT', 'REBOOT']
    rest = run.result('Reboot every device that has not rebooted yet')
    assert rest['stats']['total'] == 2
    assert sorted(entry['device'] for entry in rest['skipped_devices']) == sorted(ids[name] for name in first)


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_bad_input_fails_before_any_request(simulator):
    run = run_playbook(simulator, 'command_bad_input.yml')
    assert_succeeded(run)

    assert command_posts(simulator) == []
    # Only the unknown device name needed the API: one listing of the devices of every platform (v2, CONTRACT §13.2).
    device_listing = '/api/v2/devices/'
    assert {(record['method'], record['path']) for record in simulator.requests()} == {('GET', device_listing)}
    out_of_range = run.result('Set a brightness out of range')
    assert 'brightness_value' in out_of_range['msg'] and '1 to 100' in out_of_range['msg']


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_command_info_describes_and_lists(simulator):
    group = 'Store-001'
    members = group_devices(simulator, group)
    outside = [name for name in online_android_names(simulator) if name not in {device['device_name'] for device in members}][0]
    run = run_playbook(simulator, 'command_info.yml', extra_vars={'info_group': group, 'group_size': len(members), 'info_device': outside})
    assert_succeeded(run)

    described = run.result('Describe the group reboot')
    assert sorted(status['device'] for status in described['statuses']) == sorted(device['id'] for device in members)
    assert described['stats']['total'] == len(members)
    assert len(command_posts(simulator)) == 4
    # The filters went to the API (the device name as its id), not applied to a full listing afterwards.
    listed = [record for record in simulator.requests(method='GET', path_prefix=COMMANDS_PATH) if record['path'] == COMMANDS_PATH]
    assert any(record['query'].get('command') == 'REBOOT' and record['query'].get('devices') == device_ids(simulator)[outside]
               for record in listed)


@pytest.mark.simulator_args(*SMALL_FLEET)
@pytest.mark.parametrize('fault', ['lose_response', 'malformed_json'])
def test_lost_post_response_adopts_the_stored_request(simulator, fault):
    simulator.add_faults({'kind': fault, 'method': 'POST', 'path_prefix': COMMANDS_PATH, 'count': 1})
    names = online_android_names(simulator)[:2]
    run = run_playbook(simulator, 'command_reboot.yml', extra_vars={'reboot_devices': names})
    assert_succeeded(run)

    reboot = run.result('Reboot the devices')
    posts = command_posts(simulator)
    assert len(posts) == 1 and posts[0]['lost'] is (fault == 'lose_response')
    stored = stored_command_requests(simulator)
    assert [request['id'] for request in stored] == [reboot['command_id']]
    assert reboot['command_ids'] == [reboot['command_id']]
    assert any('adopted' in warning and reboot['command_id'] in warning for warning in reboot['warnings']), reboot['warnings']
    assert reboot['stats']['success'] == 2


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_rate_limited_get_is_retried(simulator):
    listing = '/api/v2/devices/'
    simulator.add_faults({'kind': 'rate_limit', 'method': 'GET', 'path_prefix': listing, 'retry_after': 1, 'count': 1})
    names = online_android_names(simulator)[:2]
    run = run_playbook(simulator, 'command_reboot.yml', extra_vars={'reboot_devices': names})
    assert_succeeded(run)

    reboot = run.result('Reboot the devices')
    retries = [warning for warning in reboot['warnings'] if '429' in warning and 'retry 1/' in warning]
    assert len(retries) == 1, reboot['warnings']
    # The API's text once (whatever the error body's family: the legacy one carries it in both message and errors).
    assert retries[0].count('rate limit exceeded') == 1, retries[0]
    listings = [record for record in simulator.requests(method='GET', path_prefix=listing) if record['path'] == listing]
    assert [record['status'] for record in listings[:2]] == [429, 200]
    assert len(command_posts(simulator)) == 1


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_secret_argument_never_printed(simulator):
    password = 'Unguessable-7391-pin'
    device = online_android_names(simulator)[0]
    run = run_playbook(simulator, 'command_secret.yml', extra_vars={'secret_device': device, 'lockscreen_password': password},
                       verbosity=3)
    assert_succeeded(run)

    posts = command_posts(simulator)
    assert [post['body']['command_args'] for post in posts] == [{'new_lockscreen_password': password}]
    assert password not in run.output
    reset = run.result('Reset the lock-screen password')
    assert reset['request']['command_args']['new_lockscreen_password'] != password


@pytest.mark.simulator_args('--devices', '12', '--groups', '3', '--offline', '0', '--step-seconds', '0')
def test_example_playbooks_run(simulator):
    reboot = run_playbook(simulator, os.path.join(COLLECTION_DIR, 'playbooks', 'reboot_devices.yml'))
    assert_succeeded(reboot)
    assert reboot.result('Reboot the devices and wait for them')['stats']['success'] == 2
    ids = device_ids(simulator)
    assert [post['body']['devices'] for post in command_posts(simulator)] == [[ids['kiosk-0001'], ids['kiosk-0002']]]

    brightness = run_playbook(simulator, os.path.join(COLLECTION_DIR, 'playbooks', 'set_brightness.yml'))
    assert_succeeded(brightness)
    members = group_devices(simulator, 'Store-003')
    posts = command_posts(simulator)
    assert len(posts) == 2 and posts[1]['body']['command'] == 'SET_BRIGHTNESS_SCALE'
    assert sorted(posts[1]['body']['devices']) == sorted(device['id'] for device in members)
    for device in members:
        assert reported_value(simulator, device['id'], 'brightness_scale') == 80
