# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How command statuses move and what commands do to devices (CONTRACT §3.2, §6, §7.3, §9.4, §10)."""

from __future__ import annotations

import pytest

QUEUED, INITIATED, ACKNOWLEDGED = 'Command Queued', 'Command Initiated', 'Command Acknowledged'
IN_PROGRESS, SCHEDULED = 'Command In Progress', 'Command Scheduled'
SUCCESS, FAILURE, TIMEOUT, CANCELLED = 'Command Success', 'Command Failure', 'Command TimeOut', 'Command Cancelled'
WINDOW = {'name': 'later', 'start_datetime': '2030-06-01T12:00:00Z', 'end_datetime': '2030-06-01T12:30:00Z', 'time_type': 'device'}


def only_state(sim, request_id):
    states = [status['state'] for status in sim.statuses(request_id)]
    assert len(states) == 1
    return states[0]


def finish(sim):
    sim.advance_steps(4)


def test_immediate_command_moves_one_state_per_step(sim):
    created = sim.command('REBOOT', devices=['kiosk-0001'])
    first = sim.statuses(created['id'])[0]
    assert first['state'] == QUEUED and first['updated_at'] == first['created_at']
    for expected in (INITIATED, ACKNOWLEDGED, IN_PROGRESS, SUCCESS):
        sim.advance_steps(1)
        assert only_state(sim, created['id']) == expected
    last = sim.statuses(created['id'])[0]
    assert last['updated_at'] > last['created_at']
    sim.advance_steps(10)
    assert only_state(sim, created['id']) == SUCCESS


def test_step_zero_finishes_at_once(start_sim):
    sim = start_sim(step_seconds=0)
    created = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 33})
    assert sim.stats(created['id']) == {SUCCESS: 1}
    assert sim.devicestate('kiosk-0001')['brightness_scale'] == 33


def test_offline_device_stays_queued_until_it_comes_online(sim):
    created = sim.command('REBOOT', devices=['kiosk-0046', 'kiosk-0001'])
    sim.advance_steps(100)
    assert sim.stats(created['id']) == {QUEUED: 1, SUCCESS: 1}
    sim.control('POST', 'devices/kiosk-0046', {'online': True})
    assert sim.stats(created['id']) == {QUEUED: 1, SUCCESS: 1}
    finish(sim)
    assert sim.stats(created['id']) == {SUCCESS: 2}


def test_device_taken_offline_queues_new_commands(sim):
    sim.control('POST', 'devices/kiosk-0002', {'online': False})
    assert sim.device_info('kiosk-0002')['status'] == 60
    created = sim.command('REBOOT', devices=['kiosk-0002'])
    sim.advance_steps(50)
    assert only_state(sim, created['id']) == QUEUED


@pytest.mark.parametrize('schedule, extra', [('WINDOW', {}), ('RECURRING', {
    'window_start_time': '02:00:00', 'window_end_time': '04:00:00', 'days': ['All days']})])
def test_scheduled_command_stays_scheduled(sim, schedule, extra):
    created = sim.command('REBOOT', devices=['kiosk-0001', 'kiosk-0046'], schedule=schedule, schedule_args=dict(WINDOW, **extra))
    sim.advance_steps(100)
    assert sim.stats(created['id']) == {SCHEDULED: 2}


def test_scheduled_command_fails_on_non_android(sim):
    created = sim.command('REBOOT', devices=['kiosk-0001', 'kiosk-0048'], schedule='WINDOW', schedule_args=WINDOW)
    assert sim.stats(created['id']) == {SCHEDULED: 1, FAILURE: 1}
    failed = [status for status in sim.statuses(created['id']) if status['state'] == FAILURE]
    assert failed[0]['device'] == sim.device_id('kiosk-0048')
    assert 'Android' in failed[0]['reason']


STATE_COMMANDS = [
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': 85}, 'devicestate', 'brightness_scale', 85),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': -1}, 'devicestate', 'screen_off_timeout', -1),
    ('SET_ROTATION_STATE', {'rotate_state': 1}, 'devicestate', 'rotation_state', 'PORTRAIT_ONLY'),
    ('SET_ROTATION_STATE', {'rotate_state': 2}, 'devicestate', 'rotation_state', 'LANDSCAPE_ONLY'),
    ('SET_GPS_STATE', {'gps_state': 1}, 'devicestate', 'gps_state', 'LOCATION_MODE_SENSORS_ONLY'),
    ('SET_GPS_STATE', {'gps_state': 2}, 'devicestate', 'gps_state', 'LOCATION_MODE_BATTERY_SAVING'),
    ('SET_GPS_STATE', {'gps_state': 3}, 'devicestate', 'gps_state', 'LOCATION_MODE_OFF'),
    ('SET_GPS_STATE', {'gps_state': 4}, 'devicestate', 'gps_state', 'LOCATION_MODE_ON'),
    ('SET_WIFI_STATE', {'wifi_state': False}, 'devicestate', 'wifi_state', False),
    ('SET_BLUETOOTH_STATE', {'bluetooth_state': True}, 'devicestate', 'bluetooth_state', True),
    ('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': True}, 'devicestate', 'use_only_saved_ap', True),
    ('SET_TIMEZONE', {'timezone_string': 'Europe/Berlin'}, 'info', 'timezone_string', 'Europe/Berlin'),
    ('SET_DEVICE_LOCKDOWN_STATE', {'state': 'LOCKED', 'message': 'Closed'}, 'info', 'lockdown_state', 1),
    ('SET_KIOSK_APP', {'package_name': 'com.example.kiosk'}, 'info', 'kiosk_app_name', 'com.example.kiosk'),
    ('UPDATE_DEVICE_CONFIG', {'device_alias_name': 'Front desk'}, 'info', 'alias_name', 'Front desk'),
]


@pytest.mark.parametrize('command, args, where, field, value', STATE_COMMANDS,
                         ids=[f'{case[0]}-{index}' for index, case in enumerate(STATE_COMMANDS)])
def test_success_changes_what_the_device_reports(sim, command, args, where, field, value):
    def read():
        return sim.devicestate('kiosk-0003')[field] if where == 'devicestate' else sim.device_info('kiosk-0003')[field]

    before = read()
    assert before != value
    created = sim.command(command, devices=['kiosk-0003'], command_args=args)
    sim.advance_steps(3)
    assert only_state(sim, created['id']) == IN_PROGRESS
    assert read() == before
    sim.advance_steps(1)
    assert only_state(sim, created['id']) == SUCCESS
    assert read() == value
    assert sim.statuses(created['id'])[0]['reason']


def test_lockdown_and_kiosk_round_trip(sim):
    sim.command('SET_DEVICE_LOCKDOWN_STATE', devices=['kiosk-0001'], command_args={'state': 'LOCKED', 'message': 'x'})
    sim.command('SET_KIOSK_APP', devices=['kiosk-0001'], command_args={'package_name': 'com.example.kiosk'})
    finish(sim)
    info = sim.device_info('kiosk-0001')
    assert (info['lockdown_state'], info['kiosk_app_name'], info['current_app_mode']) == (1, 'com.example.kiosk', 1)
    sim.command('SET_DEVICE_LOCKDOWN_STATE', devices=['kiosk-0001'], command_args={'state': 'UNLOCKED', 'message': 'x'})
    sim.command('SET_MULTI_APP_MODE', devices=['kiosk-0001'])
    finish(sim)
    info = sim.device_info('kiosk-0001')
    assert (info['lockdown_state'], info['kiosk_app_name'], info['current_app_mode']) == (0, '', 0)


def test_later_command_wins(sim):
    sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 10})
    sim.advance_steps(1)
    sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 20})
    sim.advance_steps(4)
    assert sim.devicestate('kiosk-0001')['brightness_scale'] == 20


def test_group_command_reaches_every_member(sim):
    created = sim.command('SET_BLUETOOTH_STATE', groups=['Store-002'], command_args={'bluetooth_state': True})
    assert created['devices'] == [] and created['groups'] == [sim.group_id('Store-002')]
    assert sim.stats(created['id']) == {QUEUED: 10}
    finish(sim)
    # Store-002 holds kiosk-0047, one of the two offline devices.
    assert sim.stats(created['id']) == {SUCCESS: 9, QUEUED: 1}
    members = {status['device'] for status in sim.statuses(created['id'])}
    listed = sim.get(sim.enterprise('device/'), {'group': sim.group_id('Store-002'), 'limit': 100}).json['results']
    assert members == {device['id'] for device in listed}
    assert all(sim.devicestate(device['device_name'])['bluetooth_state'] for device in listed if device['status'] == 1)


def test_dynamic_command_counts_each_device_once(sim):
    created = sim.command('REBOOT', devices=['kiosk-0001', 'kiosk-0006'], groups=['Store-001'])
    assert created['command_type'] == 'DYNAMIC'
    assert len(sim.statuses(created['id'])) == 10


def test_empty_group_gives_empty_stats(sim):
    created = sim.command('REBOOT', groups=['Empty-Group'])
    finish(sim)
    assert sim.stats(created['id']) == {}
    assert sim.statuses(created['id']) == []


def test_group_fanout_delay_leaves_stats_empty_at_first(start_sim):
    sim = start_sim(group_fanout_seconds=5000.0)
    created = sim.command('REBOOT', groups=['Store-003'])
    reply = sim.get(f'commands/v0/commands/{created["id"]}/stats/')
    assert reply.status == 200 and reply.json['content'] == {'id': created['id'], 'status': []}
    assert sim.statuses(created['id']) == []
    direct = sim.command('REBOOT', devices=['kiosk-0001'])
    assert sim.stats(direct['id']) == {QUEUED: 1}
    sim.advance(5000)
    assert sim.stats(created['id']) == {QUEUED: 9}
    finish(sim)
    assert sim.stats(created['id']) == {SUCCESS: 9}


def test_stats_totals_cover_every_state(sim):
    sim.control('POST', 'devices/kiosk-0002', {'fail_commands': True})
    created = sim.command('REBOOT', devices=['kiosk-0001', 'kiosk-0002', 'kiosk-0003', 'kiosk-0046', 'kiosk-0047', 'kiosk-0050'])
    assert sim.stats(created['id']) == {QUEUED: 6}
    sim.advance_steps(2)
    assert sim.stats(created['id']) == {QUEUED: 2, ACKNOWLEDGED: 4}
    finish(sim)
    # kiosk-0050 runs Linux, where REBOOT is not supported.
    assert sim.stats(created['id']) == {QUEUED: 2, SUCCESS: 2, FAILURE: 2}
    reply = sim.get(f'commands/v0/commands/{created["id"]}/stats/')
    states = [item['state'] for item in reply.json['content']['status']]
    assert states == [QUEUED, SUCCESS, FAILURE]


def test_fail_commands_flag(sim):
    sim.control('POST', 'devices/kiosk-0005', {'fail_commands': True})
    created = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0005'], command_args={'brightness_value': 99})
    finish(sim)
    status = sim.statuses(created['id'])[0]
    assert status['state'] == FAILURE and 'fail_commands' in status['reason']
    assert sim.devicestate('kiosk-0005')['brightness_scale'] == 60
    sim.control('POST', 'devices/kiosk-0005', {'fail_commands': False})
    again = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0005'], command_args={'brightness_value': 99})
    finish(sim)
    assert only_state(sim, again['id']) == SUCCESS


def test_same_value_succeeds_by_default(sim):
    created = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 60})
    finish(sim)
    assert only_state(sim, created['id']) == SUCCESS


@pytest.mark.parametrize('command, args', [
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': 60}),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': 60000}),
    ('SET_ROTATION_STATE', {'rotate_state': 0}),
    ('SET_GPS_STATE', {'gps_state': 0}),
    ('SET_WIFI_STATE', {'wifi_state': True}),
    ('SET_BLUETOOTH_STATE', {'bluetooth_state': False}),
    ('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': False}),
    ('SET_TIMEZONE', {'timezone_string': 'America/New_York'}),
    ('SET_DEVICE_LOCKDOWN_STATE', {'state': 'UNLOCKED', 'message': 'open'}),
])
def test_fail_same_value(start_sim, command, args):
    sim = start_sim(fail_same_value=True)
    created = sim.command(command, devices=['kiosk-0001'], command_args=args)
    finish(sim)
    status = sim.statuses(created['id'])[0]
    assert status['state'] == FAILURE
    assert 'already' in status['reason']


def test_fail_same_value_compares_when_the_command_runs(start_sim):
    sim = start_sim(fail_same_value=True)
    first = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 70})
    second = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 70})
    finish(sim)
    assert only_state(sim, first['id']) == SUCCESS
    assert only_state(sim, second['id']) == FAILURE
    different = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 71})
    finish(sim)
    assert only_state(sim, different['id']) == SUCCESS


def test_fail_same_value_can_be_switched_at_runtime(sim):
    assert sim.control('POST', 'settings', {'fail_same_value': True})['fail_same_value'] is True
    created = sim.command('SET_WIFI_STATE', devices=['kiosk-0001'], command_args={'wifi_state': True})
    finish(sim)
    assert only_state(sim, created['id']) == FAILURE


CERT_ARGS = {'cert_file_type': 'pkcs12', 'cert_data_base64': 'MIIK', 'cert_alias_name': 'corp-ca', 'cert_storage_type': 'system'}


def test_certificate_install_needs_android_9(sim):
    created = sim.command('INSTALL_CERTIFICATE', devices=['kiosk-0001', 'kiosk-0044', 'kiosk-0045', 'kiosk-0048'], command_args=CERT_ARGS)
    finish(sim)
    by_device = {status['device']: status for status in sim.statuses(created['id'])}
    assert by_device[sim.device_id('kiosk-0001')]['state'] == SUCCESS
    for legacy in ('kiosk-0044', 'kiosk-0045'):
        status = by_device[sim.device_id(legacy)]
        assert status['state'] == FAILURE and 'API level 28' in status['reason']
    ios = by_device[sim.device_id('kiosk-0048')]
    assert ios['state'] == FAILURE and 'iOS' in ios['reason']


def test_certificate_uninstall_always_succeeds(sim):
    created = sim.command('UNINSTALL_CERTIFICATE', devices=['kiosk-0001', 'kiosk-0044', 'kiosk-0048', 'kiosk-0050'],
                          command_args={'cert_alias_name': 'never-installed', 'cert_storage_type': 'system'})
    finish(sim)
    assert sim.stats(created['id']) == {SUCCESS: 4}


def test_api_level_can_be_changed(sim):
    sim.control('POST', 'devices/kiosk-0044', {'api_level': 30})
    created = sim.command('INSTALL_CERTIFICATE', devices=['kiosk-0044'], command_args=CERT_ARGS)
    finish(sim)
    assert only_state(sim, created['id']) == SUCCESS


@pytest.mark.parametrize('command, args, device, expected', [
    ('INSTALL_PROFILE', {'profile': 'PD94bWw='}, 'kiosk-0001', FAILURE),
    ('INSTALL_PROFILE', {'profile': 'PD94bWw='}, 'kiosk-0048', SUCCESS),
    ('REBOOT', {}, 'kiosk-0048', SUCCESS),
    ('REBOOT', {}, 'kiosk-0049', SUCCESS),
    ('REBOOT', {}, 'kiosk-0050', FAILURE),
    ('RUN_SHELL_SCRIPT', {'script': 'uptime', 'interpreter': 'bash'}, 'kiosk-0050', SUCCESS),
    ('RUN_SHELL_SCRIPT', {'script': 'uptime', 'interpreter': 'bash'}, 'kiosk-0001', FAILURE),
    ('NOTIFY_DEVICE', {'title': 't', 'message': 'm'}, 'kiosk-0048', FAILURE),
    ('WIPE', {}, 'kiosk-0049', FAILURE),
    ('WIPE', {'is_factory_reset': False}, 'kiosk-0049', SUCCESS),
])
def test_platform_rules(sim, command, args, device, expected):
    created = sim.command(command, devices=[device], command_args=args)
    finish(sim)
    status = sim.statuses(created['id'])[0]
    assert status['state'] == expected, status
    if expected == FAILURE:
        assert status['reason']


def test_wifi_access_points_are_added_and_removed(sim):
    sim.command('ADD_WIFI_AP', devices=['kiosk-0001'], command_args={'wifi_access_points': [
        {'wifi_ssid': 'Corp', 'wifi_password': 'secret', 'wifi_security_type': 'WPA2', 'hidden': False}]})
    sim.command('ADD_WIFI_AP', devices=['kiosk-0001'], command_args={'wifi_access_points': ['Lab']})
    sim.command('ADD_WIFI_AP', devices=['kiosk-0001'], command_args={'wifi_access_points': {'wifi_ssid': 'Backroom'}})
    finish(sim)
    policy = sim.device_info('kiosk-0001', show_policy=True)['wifi_access_points']
    assert policy == [{'wifi_ssid': 'Store-Guest'}, {'wifi_ssid': 'Corp'}, {'wifi_ssid': 'Lab'}, {'wifi_ssid': 'Backroom'}]
    stored = sim.control('GET', 'devices/kiosk-0001')['wifi_access_points']
    assert {'wifi_ssid': 'Corp', 'wifi_password': 'secret', 'wifi_security_type': 'WPA2', 'hidden': False} in stored
    assert 'Lab' in stored
    sim.command('REMOVE_WIFI_AP', devices=['kiosk-0001'], command_args={'wifi_access_points': ['Store-Guest', 'Lab', 'Not-There']})
    sim.command('REMOVE_WIFI_AP', devices=['kiosk-0001'], command_args={'wifi_access_points': [{'wifi_ssid': 'Backroom'}]})
    finish(sim)
    assert sim.device_info('kiosk-0001', show_policy=True)['wifi_access_points'] == [{'wifi_ssid': 'Corp'}]


def test_readding_an_access_point_replaces_it(sim):
    for password in ('one', 'two'):
        sim.command('ADD_WIFI_AP', devices=['kiosk-0001'], command_args={'wifi_access_points': [{'wifi_ssid': 'Corp', 'wifi_password': password}]})
    finish(sim)
    stored = sim.control('GET', 'devices/kiosk-0001')['wifi_access_points']
    assert stored == [{'wifi_ssid': 'Store-Guest'}, {'wifi_ssid': 'Corp', 'wifi_password': 'two'}]


def put(sim, status_id, body):
    return sim.call('PUT', f'commands/v0/status/{status_id}/', body)


def test_cancel_a_queued_status(sim):
    created = sim.command('REBOOT', devices=['kiosk-0046'])
    status_id = sim.statuses(created['id'])[0]['id']
    reply = put(sim, status_id, {'state': CANCELLED, 'reason': 'Maintenance window moved'})
    assert reply.status == 200, reply
    assert reply.json['content']['state'] == CANCELLED and reply.json['content']['reason'] == 'Maintenance window moved'
    assert sim.stats(created['id']) == {CANCELLED: 1}
    again = put(sim, status_id, {'state': CANCELLED, 'reason': 'again'})
    assert again.status == 304 and again.text == ''
    sim.control('POST', 'devices/kiosk-0046', {'online': True})
    finish(sim)
    assert sim.stats(created['id']) == {CANCELLED: 1}


def test_cancel_an_in_flight_status_keeps_the_device_unchanged(sim):
    created = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 10})
    sim.advance_steps(2)
    status_id = sim.statuses(created['id'])[0]['id']
    assert put(sim, status_id, {'state': CANCELLED}).status == 200
    finish(sim)
    assert only_state(sim, created['id']) == CANCELLED
    assert sim.devicestate('kiosk-0001')['brightness_scale'] == 60


def test_cancel_a_scheduled_status(sim):
    created = sim.command('REBOOT', devices=['kiosk-0001'], schedule='WINDOW', schedule_args=WINDOW)
    status_id = sim.statuses(created['id'])[0]['id']
    assert put(sim, status_id, {'state': SCHEDULED}).status == 304
    assert put(sim, status_id, {'state': CANCELLED, 'reason': 'no'}).status == 200
    assert only_state(sim, created['id']) == CANCELLED


def test_put_to_timeout_and_failure_are_final_moves(sim):
    created = sim.command('REBOOT', devices=['kiosk-0046', 'kiosk-0047'])
    first, second = sim.statuses(created['id'])
    assert put(sim, first['id'], {'state': TIMEOUT, 'reason': 'gave up'}).json['content']['state'] == TIMEOUT
    assert put(sim, second['id'], {'state': FAILURE}).json['content']['state'] == FAILURE


@pytest.mark.parametrize('body, fragment', [
    ({'state': QUEUED}, 'state must be one of'),
    ({'state': INITIATED}, 'state must be one of'),
    ({'state': 'Done'}, 'state must be one of'),
    ({'state': IN_PROGRESS}, 'final state'),
    ({'state': ACKNOWLEDGED}, 'final state'),
    ({'reason': 'no state'}, 'state'),
    ({'state': CANCELLED, 'reason': 5}, 'reason'),
])
def test_put_refusals_on_an_open_status(sim, body, fragment):
    created = sim.command('REBOOT', devices=['kiosk-0046'])
    status_id = sim.statuses(created['id'])[0]['id']
    reply = put(sim, status_id, body)
    assert reply.status == 400, reply
    assert reply.json['code'] == 400 and fragment in reply.json['message']
    assert only_state(sim, created['id']) == QUEUED


def test_final_status_cannot_change(sim):
    created = sim.command('REBOOT', devices=['kiosk-0001'])
    finish(sim)
    status_id = sim.statuses(created['id'])[0]['id']
    reply = put(sim, status_id, {'state': CANCELLED})
    assert reply.status == 400 and 'already final' in reply.json['message']
    assert put(sim, status_id, {'state': SUCCESS}).status == 304
    assert put(sim, status_id, {'state': FAILURE}).status == 400
    assert only_state(sim, created['id']) == SUCCESS


def test_put_on_unknown_status_is_404(sim):
    reply = put(sim, '00000000-0000-4000-8000-000000000000', {'state': CANCELLED})
    assert reply.status == 404 and reply.json['code'] == 404
