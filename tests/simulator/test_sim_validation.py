# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What POST /commands/v0/commands/ accepts and refuses (CONTRACT §2.1, §2.2, §4.3, §5.1)."""

from __future__ import annotations

import pytest

OK = 201
BAD = 400

STATIC_IP = {'interface': 'wlan', 'dhcp_enabled': 'false', 'static_ip': '10.0.0.20', 'primary_dns': '10.0.0.1',
             'subnet_mask': '24', 'gateway': '10.0.0.1'}
CERTIFICATE = {'cert_file_type': 'pkcs12', 'cert_data_base64': 'MIIKAAAA', 'cert_alias_name': 'corp-ca', 'cert_storage_type': 'system'}

ARGUMENT_CASES = [
    # (command, command_args, expected status)
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': 0}, BAD),
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': 1}, OK),
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': 100}, OK),
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': 101}, BAD),
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': '60'}, BAD),
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': True}, BAD),
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': 60.0}, BAD),
    ('SET_BRIGHTNESS_SCALE', {}, BAD),
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': None}, BAD),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': -2}, BAD),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': -1}, OK),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': 0}, BAD),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': 4999}, BAD),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': 5000}, OK),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': 1800000}, OK),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': 1800001}, BAD),
    ('SET_STREAM_VOLUME', {'stream': -1, 'volume_level': 50}, BAD),
    ('SET_STREAM_VOLUME', {'stream': 0, 'volume_level': 50}, OK),
    ('SET_STREAM_VOLUME', {'stream': 3, 'volume_level': 50}, OK),
    ('SET_STREAM_VOLUME', {'stream': 4, 'volume_level': 50}, BAD),
    ('SET_STREAM_VOLUME', {'stream': 1, 'volume_level': -1}, BAD),
    ('SET_STREAM_VOLUME', {'stream': 1, 'volume_level': 0}, OK),
    ('SET_STREAM_VOLUME', {'stream': 1, 'volume_level': 100}, OK),
    ('SET_STREAM_VOLUME', {'stream': 1, 'volume_level': 101}, BAD),
    ('SET_STREAM_VOLUME', {'stream': 1}, BAD),
    ('SET_GPS_STATE', {'gps_state': -1}, BAD),
    ('SET_GPS_STATE', {'gps_state': 0}, OK),
    ('SET_GPS_STATE', {'gps_state': 4}, OK),
    ('SET_GPS_STATE', {'gps_state': 5}, BAD),
    ('SET_ROTATION_STATE', {'rotate_state': -1}, BAD),
    ('SET_ROTATION_STATE', {'rotate_state': 0}, OK),
    ('SET_ROTATION_STATE', {'rotate_state': 2}, OK),
    ('SET_ROTATION_STATE', {'rotate_state': 3}, BAD),
    ('SET_WIFI_STATE', {'wifi_state': True}, OK),
    ('SET_WIFI_STATE', {'wifi_state': 'true'}, BAD),
    ('SET_WIFI_STATE', {'wifi_state': 1}, BAD),
    ('SET_WIFI_STATE', {'wifi_state': False, 'wifi_revert_timeout': 1}, OK),
    ('SET_WIFI_STATE', {'wifi_state': False, 'wifi_revert_timeout': 0}, BAD),
    ('SET_BLUETOOTH_STATE', {'bluetooth_state': False}, OK),
    ('SET_BLUETOOTH_STATE', {'bluetooth_state': 'off'}, BAD),
    ('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': True}, OK),
    ('USE_ONLY_SAVED_WIFI_AP', {}, BAD),
    ('SET_TIMEZONE', {'timezone_string': 'Europe/Berlin'}, OK),
    ('SET_TIMEZONE', {'timezone_string': 5}, BAD),
    ('SET_TIMEZONE', {'timezone_string': ''}, BAD),
    ('BEEP_DEVICE', {'duration': '9'}, BAD),
    ('BEEP_DEVICE', {'duration': '10'}, OK),
    ('BEEP_DEVICE', {'duration': '300'}, OK),
    ('BEEP_DEVICE', {'duration': '301'}, BAD),
    ('BEEP_DEVICE', {'duration': 30}, BAD),
    ('BEEP_DEVICE', {'duration': '30.5'}, BAD),
    ('BEEP_DEVICE', {'duration': 'ten'}, BAD),
    ('BEEP_DEVICE', {'duration': ''}, BAD),
    ('SET_STATIC_IP', STATIC_IP, OK),
    ('SET_STATIC_IP', dict(STATIC_IP, secondary_dns='8.8.8.8'), OK),
    ('SET_STATIC_IP', dict(STATIC_IP, secondary_dns='8.8.8'), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, interface='eth', dhcp_enabled='true'), OK),
    ('SET_STATIC_IP', dict(STATIC_IP, interface='wifi'), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, dhcp_enabled=True), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, dhcp_enabled='yes'), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, static_ip='10.0.0.256'), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, gateway='gateway'), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, primary_dns=''), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, subnet_mask='0'), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, subnet_mask='1'), OK),
    ('SET_STATIC_IP', dict(STATIC_IP, subnet_mask='32'), OK),
    ('SET_STATIC_IP', dict(STATIC_IP, subnet_mask='33'), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, subnet_mask=24), BAD),
    ('SET_STATIC_IP', dict(STATIC_IP, subnet_mask='255.255.255.0'), BAD),
    ('SET_STATIC_IP', {key: value for key, value in STATIC_IP.items() if key != 'gateway'}, BAD),
    ('INSTALL_CERTIFICATE', CERTIFICATE, OK),
    ('INSTALL_CERTIFICATE', dict(CERTIFICATE, cert_password='s3cret'), OK),
    ('INSTALL_CERTIFICATE', dict(CERTIFICATE, cert_file_type='pem'), BAD),
    ('INSTALL_CERTIFICATE', dict(CERTIFICATE, cert_storage_type='user'), BAD),
    ('INSTALL_CERTIFICATE', {key: value for key, value in CERTIFICATE.items() if key != 'cert_data_base64'}, BAD),
    ('UNINSTALL_CERTIFICATE', {'cert_alias_name': 'corp-ca', 'cert_storage_type': 'system'}, OK),
    ('UNINSTALL_CERTIFICATE', {'cert_alias_name': 'corp-ca'}, BAD),
    ('ADD_WIFI_AP', {'wifi_access_points': [{'wifi_ssid': 'Corp', 'wifi_password': 'pw', 'wifi_security_type': 'WPA2'}]}, OK),
    ('ADD_WIFI_AP', {'wifi_access_points': ['Corp', 'Guest']}, OK),
    ('ADD_WIFI_AP', {'wifi_access_points': {'wifi_ssid': 'Corp'}}, OK),
    ('ADD_WIFI_AP', {'wifi_access_points': []}, BAD),
    ('ADD_WIFI_AP', {'wifi_access_points': {}}, BAD),
    ('ADD_WIFI_AP', {'wifi_access_points': [{'ssid': 'Corp'}]}, BAD),
    ('ADD_WIFI_AP', {'wifi_access_points': ['']}, BAD),
    ('ADD_WIFI_AP', {'wifi_access_points': 'Corp'}, BAD),
    ('REMOVE_WIFI_AP', {'wifi_access_points': ['Guest-WiFi', 'Old-Store-AP']}, OK),
    ('REMOVE_WIFI_AP', {'wifi_access_points': [{'wifi_ssid': 'Guest-WiFi'}]}, OK),
    ('SET_APP_STATE', {'package_name': 'com.example', 'app_state': 'DISABLE'}, OK),
    ('SET_APP_STATE', {'package_name': 'com.example', 'app_state': 'DISABLED'}, BAD),
    ('SET_APP_PERMISSION', {'package_name': 'com.example', 'permission': 'android.permission.CAMERA',
                            'grant_state': 'PERMISSION_GRANT_STATE_GRANTED'}, OK),
    ('SET_APP_PERMISSION', {'package_name': 'com.example', 'permission': 'android.permission.CAMERA', 'grant_state': 'GRANTED'}, BAD),
    ('SET_DEVICE_LOCKDOWN_STATE', {'state': 'LOCKED', 'message': 'Closed'}, OK),
    ('SET_DEVICE_LOCKDOWN_STATE', {'state': 'LOCK', 'message': 'Closed'}, BAD),
    ('SET_DEVICE_LANGUAGE', {'locale': 'en_US'}, OK),
    ('SET_DEVICE_LANGUAGE', {'locale': 'zh_Hans_CN'}, OK),
    ('SET_DEVICE_LANGUAGE', {'locale': 'en-US'}, BAD),
    ('SET_ETHERNET_SETTINGS', {'ethernet_auth_mode': 'NONE'}, OK),
    ('SET_ETHERNET_SETTINGS', {'ethernet_auth_mode': 'EAP_TLS'}, BAD),
    ('SET_ETHERNET_SETTINGS', {'ethernet_auth_mode': 'EAP_TLS', 'ethernet_ca_cert_alias': 'ca', 'ethernet_client_cert_alias': 'me'}, OK),
    ('NOTIFY_DEVICE', {'title': 'Hi', 'message': 'Closing soon'}, OK),
    ('NOTIFY_DEVICE', {'title': 'Hi'}, BAD),
    ('UNINSTALL', {'package_name': 'com.example'}, OK),
    ('UNINSTALL', {}, BAD),
    ('REBOOT', {}, OK),
    ('UPDATE_DEVICE_CONFIG', {'custom_settings_config': {'dpcParams': [{'key': 'powerOff', 'value': 'true'}]}}, OK),
    ('UPDATE_DEVICE_CONFIG', {'custom_settings_config': 'powerOff'}, BAD),
    ('APPLY_APP_CONFIG', {'anything': ['goes']}, OK),
]


@pytest.mark.parametrize('command, command_args, expected', ARGUMENT_CASES,
                         ids=[f'{case[0]}-{index}' for index, case in enumerate(ARGUMENT_CASES)])
def test_command_argument_rules(sim, command, command_args, expected):
    reply = sim.call('POST', 'commands/v0/commands/', {
        'command_type': 'DEVICE', 'devices': [sim.device_id('kiosk-0001')], 'device_type': 'all', 'command': command,
        'command_args': command_args, 'schedule': 'IMMEDIATE'})
    assert reply.status == expected, reply
    if expected == BAD:
        assert reply.json['code'] == 400 and reply.json['content'] == {}
        assert 'command_args' in reply.json['message']


def post(sim, **body):
    full = {'command_type': 'DEVICE', 'devices': [sim.device_id('kiosk-0001')], 'device_type': 'all', 'command': 'REBOOT',
            'command_args': {}, 'schedule': 'IMMEDIATE'}
    full.update(body)
    return sim.call('POST', 'commands/v0/commands/', {key: value for key, value in full.items() if value is not ...})


def assert_bad(reply, *fragments):
    assert reply.status == 400, reply
    assert reply.json['code'] == 400 and reply.json['content'] == {}
    for fragment in fragments:
        assert fragment in reply.json['message']


def test_message_names_the_argument_and_the_range(sim):
    reply = post(sim, command='SET_BRIGHTNESS_SCALE', command_args={'brightness_value': 150})
    assert_bad(reply, 'command_args.brightness_value', '1 to 100', '150')


def test_extra_and_null_arguments_are_accepted(sim):
    reply = post(sim, command='SET_BRIGHTNESS_SCALE',
                 command_args={'brightness_value': 50, 'unrelated': 'x', 'wifi_state': None, 'package_name': None})
    assert reply.status == 201, reply
    assert reply.json['content']['command_args'] == {'brightness_value': 50, 'unrelated': 'x', 'wifi_state': None, 'package_name': None}


def test_missing_or_null_command_args_mean_none(sim):
    assert post(sim, command_args=...).status == 201
    assert post(sim, command_args=None).status == 201
    assert_bad(post(sim, command_args=['x']), 'command_args must be an object')


def test_unknown_command(sim):
    assert_bad(post(sim, command='CAPTURE_SCREENSHOT'), 'command must be one of', 'CAPTURE_SCREENSHOT')
    assert_bad(post(sim, command=...), 'command must be one of')


@pytest.mark.parametrize('command_type', ['device', 'ALL', None])
def test_command_type_must_be_known(sim, command_type):
    assert_bad(post(sim, command_type=command_type), 'command_type')


def test_lists_must_fit_the_command_type(sim):
    group = sim.group_id('Store-001')
    device = sim.device_id('kiosk-0001')
    assert_bad(post(sim, devices=[]), 'devices (a non-empty list) is required')
    assert_bad(post(sim, groups=[group]), 'groups must be empty')
    assert_bad(post(sim, command_type='GROUP', groups=[]), 'groups (a non-empty list) is required')
    assert_bad(post(sim, command_type='GROUP', groups=[group], devices=[device]), 'devices must be empty')
    assert_bad(post(sim, command_type='DYNAMIC', devices=[], groups=[]), 'DYNAMIC')
    assert post(sim, command_type='GROUP', devices=..., groups=[group]).status == 201
    assert post(sim, command_type='DYNAMIC', devices=[device], groups=[group]).status == 201
    assert post(sim, command_type='DYNAMIC', devices=..., groups=[group]).status == 201


def test_ids_must_be_uuids_of_known_devices_and_groups(sim):
    assert_bad(post(sim, devices=['kiosk-0001']), 'not valid UUIDs', 'kiosk-0001')
    assert_bad(post(sim, devices=['00000000-0000-4000-8000-000000000001']), 'devices has unknown ids', '00000000-0000-4000-8000-000000000001')
    assert_bad(post(sim, command_type='GROUP', devices=..., groups=['00000000-0000-4000-8000-000000000002']), 'groups has unknown ids')
    assert_bad(post(sim, devices=sim.device_id('kiosk-0001')), 'devices must be a list')


def test_device_and_group_limits(sim):
    # 1001 ids are refused before they are looked up; the 1000-device success is in test_sim_large_fleet.py.
    assert_bad(post(sim, devices=[sim.device_id('kiosk-0001')] * 1001), 'at most 1000', '1001')
    assert_bad(post(sim, command_type='GROUP', devices=..., groups=[sim.group_id('Store-001')] * 501), 'at most 500', '501')
    reply = post(sim, command_type='GROUP', devices=..., groups=[sim.group_id('Store-001')] * 500)
    assert reply.status == 201, reply
    assert sim.stats(reply.json['content']['id']) == {'Command Queued': 10}


@pytest.mark.parametrize('device_type, expected', [('all', 201), ('active', 201), ('inactive', 201), (..., 201), ('online', 400)])
def test_device_type(sim, device_type, expected):
    assert post(sim, device_type=device_type).status == expected


def test_every_problem_is_reported_at_once(sim):
    reply = post(sim, command='SET_STREAM_VOLUME', command_args={'stream': 9, 'volume_level': 101}, device_type='x')
    assert_bad(reply, 'command_args.stream', 'command_args.volume_level', 'device_type')


WINDOW = {'name': 'ping-once', 'start_datetime': '2025-06-01T12:00:00Z', 'end_datetime': '2025-06-01T12:30:00Z', 'time_type': 'console'}
RECURRING = dict(WINDOW, end_datetime='2025-07-01T04:00:00Z', time_type='device', window_start_time='02:00:00',
                 window_end_time='04:00:00', days=['Monday', 'Friday'])

SCHEDULE_CASES = [
    ('IMMEDIATE', None, 201, None),
    ('IMMEDIATE', {}, 201, None),
    ('IMMEDIATE', WINDOW, 400, 'IMMEDIATE'),
    ('WINDOW', WINDOW, 201, None),
    ('WINDOW', dict(WINDOW, start_datetime='2025-06-01T12:00:00+02:00', end_datetime='2025-06-01T12:30:00+02:00'), 201, None),
    ('WINDOW', None, 400, 'schedule_args (an object) is required'),
    ('WINDOW', {key: value for key, value in WINDOW.items() if key != 'name'}, 400, 'schedule_args.name'),
    ('WINDOW', dict(WINDOW, end_datetime='2025-06-01T11:00:00Z'), 400, 'later than start_datetime'),
    ('WINDOW', dict(WINDOW, end_datetime=WINDOW['start_datetime']), 400, 'later than start_datetime'),
    ('WINDOW', dict(WINDOW, start_datetime='tomorrow'), 400, 'schedule_args.start_datetime'),
    ('WINDOW', dict(WINDOW, time_type='utc'), 400, 'time_type'),
    ('WINDOW', {key: value for key, value in WINDOW.items() if key != 'end_datetime'}, 400, 'end_datetime is required'),
    ('RECURRING', RECURRING, 201, None),
    ('RECURRING', dict(RECURRING, days=['All days']), 201, None),
    ('RECURRING', dict(RECURRING, days=['Mon']), 400, 'schedule_args.days'),
    ('RECURRING', dict(RECURRING, days=[]), 400, 'schedule_args.days'),
    ('RECURRING', {key: value for key, value in RECURRING.items() if key != 'days'}, 400, 'days is required'),
    ('RECURRING', dict(RECURRING, window_start_time='02:00'), 400, 'window_start_time'),
    ('RECURRING', dict(RECURRING, window_end_time='24:00:00'), 400, 'window_end_time'),
    ('RECURRING', WINDOW, 400, 'window_start_time is required'),
    ('WEEKLY', WINDOW, 400, 'schedule must be one of'),
]


@pytest.mark.parametrize('schedule, schedule_args, expected, fragment', SCHEDULE_CASES,
                         ids=[f'{case[0]}-{index}' for index, case in enumerate(SCHEDULE_CASES)])
def test_schedule_rules(sim, schedule, schedule_args, expected, fragment):
    reply = post(sim, schedule=schedule, schedule_args=schedule_args)
    assert reply.status == expected, reply
    if fragment:
        assert fragment in reply.json['message']
    else:
        assert reply.json['content']['schedule_args'] == (schedule_args or None)


def test_missing_schedule_means_immediate(sim):
    reply = post(sim, schedule=...)
    assert reply.status == 201 and reply.json['content']['schedule'] == 'IMMEDIATE'


def test_body_must_be_an_object(sim):
    assert_bad(sim.call('POST', 'commands/v0/commands/', ['REBOOT']), 'JSON object')
    assert_bad(sim.call('POST', 'commands/v0/commands/', b''), 'JSON object')


def test_refused_requests_are_not_stored(sim):
    post(sim, command='SET_BRIGHTNESS_SCALE', command_args={'brightness_value': 0})
    assert sim.get('commands/v0/commands/').json['content']['count'] == 0
    assert sim.get('commands/v0/status/').json['content']['count'] == 0
