# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Envelopes (CONTRACT §1.2), error bodies (§1.3), authentication, routing and the read endpoints of §7."""

from __future__ import annotations

import http.client
import uuid

import pytest

CONTENT_PATHS = ['commands/v0/commands/', 'commands/v0/status/']
UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000'


def assert_content_error(reply, status):
    assert reply.status == status, reply
    assert set(reply.json) == {'code', 'message', 'content'}
    assert reply.json['code'] == status
    assert reply.json['content'] == {}
    assert isinstance(reply.json['message'], str) and reply.json['message']


def assert_legacy_error(reply, status):
    assert reply.status == status, reply
    assert set(reply.json) == {'errors', 'message', 'status'}
    assert reply.json['status'] == status
    assert reply.json['errors'] and all(isinstance(item, str) for item in reply.json['errors'])


@pytest.mark.parametrize('key', [None, 'wrong-key'])
def test_content_family_needs_the_bearer_key(sim, key):
    headers = {} if key is None else {'Authorization': f'Bearer {key}'}
    for path in CONTENT_PATHS:
        assert_content_error(sim.raw('GET', '/api/' + path, headers=headers), 401)
    assert_content_error(sim.raw('GET', f'/api/device/v0/devices/{sim.device_id("kiosk-0001")}/devicestate', headers=headers), 401)


def test_legacy_family_needs_the_bearer_key(sim):
    assert_legacy_error(sim.raw('GET', f'/api/enterprise/{sim.enterprise_id}/device/'), 401)
    assert_legacy_error(sim.get(sim.enterprise('devicegroup/'), key='nope'), 401)


def test_key_must_use_the_bearer_scheme(sim):
    reply = sim.raw('GET', '/api/commands/v0/commands/', headers={'Authorization': f'Token {sim.api_key}'})
    assert_content_error(reply, 401)


def test_unauthorised_post_creates_nothing(sim):
    body = {'command_type': 'DEVICE', 'devices': [sim.device_id('kiosk-0001')], 'command': 'REBOOT', 'device_type': 'all'}
    assert_content_error(sim.call('POST', 'commands/v0/commands/', body, key='wrong'), 401)
    assert sim.get('commands/v0/commands/').json['content']['count'] == 0


def test_list_envelope_of_the_content_family(sim):
    created = sim.command('REBOOT', devices=['kiosk-0001'])
    reply = sim.get('commands/v0/commands/')
    assert reply.status == 200
    assert reply.json['code'] == 200 and isinstance(reply.json['message'], str)
    page = reply.json['content']
    assert set(page) == {'count', 'next', 'previous', 'results'}
    assert page['count'] == 1 and page['next'] is None and page['previous'] is None
    assert page['results'][0]['id'] == created['id']


def test_created_command_request_shape(sim):
    device = sim.device_id('kiosk-0002')
    reply = sim.call('POST', 'commands/v0/commands/', {
        'command_type': 'DEVICE', 'devices': [device.upper()], 'device_type': 'all', 'command': 'SET_BRIGHTNESS_SCALE',
        'command_args': {'brightness_value': 70}, 'schedule': 'IMMEDIATE', 'alias': 'my label'})
    assert reply.status == 201, reply
    assert reply.json['code'] == 201
    content = reply.json['content']
    assert set(content) == {'id', 'command_type', 'devices', 'groups', 'device_type', 'command', 'command_args', 'schedule',
                            'schedule_args', 'reason', 'created_by', 'created_at'}
    assert uuid.UUID(content['id'])
    assert content['devices'] == [device] and content['groups'] == []
    assert content['command_args'] == {'brightness_value': 70}
    assert content['schedule'] == 'IMMEDIATE' and content['schedule_args'] is None
    assert content['created_at'].endswith('Z')
    again = sim.get(f'commands/v0/commands/{content["id"]}/')
    assert again.status == 200 and again.json['content'] == content


def test_command_status_shape(sim):
    created = sim.command('REBOOT', devices=['kiosk-0003'])
    statuses = sim.statuses(created['id'])
    assert len(statuses) == 1
    status = statuses[0]
    assert set(status) == {'id', 'request', 'device', 'state', 'reason', 'created_at', 'updated_at'}
    assert status['request'] == created['id']
    assert status['device'] == sim.device_id('kiosk-0003')
    assert status['state'] == 'Command Queued'
    single = sim.get(f'commands/v0/status/{status["id"]}/')
    assert single.status == 200 and single.json['content'] == status


@pytest.mark.parametrize('path', [
    f'commands/v0/commands/{UNKNOWN_UUID}/', f'commands/v0/commands/{UNKNOWN_UUID}/stats/', f'commands/v0/status/{UNKNOWN_UUID}/',
    f'device/v0/devices/{UNKNOWN_UUID}/', f'device/v0/devices/{UNKNOWN_UUID}/devicestate', 'commands/v0/nothing-here/',
    'commands/v0/commands/not-a-uuid/',
])
def test_not_found_in_the_content_family(sim, path):
    assert_content_error(sim.get(path), 404)


def test_not_found_in_the_legacy_family(sim):
    assert_legacy_error(sim.get(sim.enterprise(f'device/{UNKNOWN_UUID}/')), 404)
    assert_legacy_error(sim.get(sim.enterprise(f'devicegroup/{UNKNOWN_UUID}/')), 404)
    assert_legacy_error(sim.get(sim.enterprise('unknown-thing/')), 404)
    assert_legacy_error(sim.get(f'enterprise/{UNKNOWN_UUID}/device/'), 404)
    assert_legacy_error(sim.get(f'enterprise/{UNKNOWN_UUID}/devicegroup/'), 404)


def test_path_outside_api_is_not_found(sim):
    reply = sim.raw('GET', '/other/thing/')
    assert_legacy_error(reply, 404)


def test_missing_trailing_slash_is_not_found_with_a_hint(sim):
    reply = sim.get('commands/v0/commands')
    assert_content_error(reply, 404)
    assert 'slash' in reply.json['message']


def test_wrong_method_is_refused(sim):
    assert_content_error(sim.call('DELETE', 'commands/v0/commands/'), 405)
    assert_legacy_error(sim.call('POST', sim.enterprise('device/'), {}), 405)


def test_devicestate_is_bare_with_or_without_trailing_slash(sim):
    device = sim.device_id('kiosk-0001')
    expected = {'gps_state': 'LOCATION_MODE_HIGH_ACCURACY', 'wifi_state': True, 'adb_enabled': False, 'adb_timeout': 0,
                'remote_adb_enabled': False, 'remote_adb_ip': '', 'remote_adb_port': 0, 'audio_settings': {},
                'rotation_state': 'AUTO', 'bluetooth_state': False, 'brightness_scale': 60, 'screen_off_timeout': 60000,
                'use_only_saved_ap': False}
    for suffix in ('devicestate', 'devicestate/'):
        reply = sim.get(f'device/v0/devices/{device}/{suffix}')
        assert reply.status == 200 and reply.json == expected


def test_device_info_fields(sim):
    info = sim.device_info('kiosk-0001')
    for field in ('id', 'url', 'device_name', 'alias_name', 'status', 'state', 'api_level', 'timezone_string', 'groups', 'tags',
                  'lockdown_state', 'kiosk_app_name', 'current_app_mode', 'hardwareInfo', 'is_active', 'enterprise'):
        assert field in info
    assert info['device_name'] == 'kiosk-0001' and info['alias_name'] == 'Kiosk 1'
    assert info['status'] == 1 and info['state'] == 1
    assert 28 <= info['api_level'] <= 34
    assert info['timezone_string'] == 'America/New_York'
    assert info['hardwareInfo']['serialNumber']
    assert info['groups'] == [f'{sim.url}/enterprise/{sim.enterprise_id}/devicegroup/{sim.group_id("Store-001")}/']
    assert 'wifi_access_points' not in info
    assert sim.device_info('kiosk-0001', show_policy=True)['wifi_access_points'] == [{'wifi_ssid': 'Store-Guest'}]


def test_device_v0_is_enveloped(sim):
    reply = sim.get(f'device/v0/devices/{sim.device_id("kiosk-0004")}/')
    assert reply.status == 200 and reply.json['code'] == 200
    content = reply.json['content']
    assert content['id'] == sim.device_id('kiosk-0004')
    assert content['name'] == 'kiosk-0004' and content['alias'] == 'Kiosk 4'
    assert content['os'] == 'Android' and content['platform'] == 'ANDROID'
    assert content['hardware_info']['serial'] == sim.device_info('kiosk-0004')['hardwareInfo']['serialNumber']


def test_groups_listing_and_detail(sim):
    reply = sim.get(sim.enterprise('devicegroup/'))
    assert reply.status == 200 and set(reply.json) == {'count', 'next', 'previous', 'results'}
    names = [group['name'] for group in reply.json['results']]
    assert names == ['Store-001', 'Store-002', 'Store-003', 'Store-004', 'Store-005', 'Empty-Group', 'Other-Platforms']
    counts = {group['name']: group['device_count'] for group in reply.json['results']}
    assert counts == {'Store-001': 10, 'Store-002': 10, 'Store-003': 9, 'Store-004': 9, 'Store-005': 9,
                      'Empty-Group': 0, 'Other-Platforms': 3}
    one = sim.get(sim.enterprise('devicegroup/'), {'name': 'Store-003'}).json
    assert one['count'] == 1 and one['results'][0]['id'] == sim.group_id('Store-003')
    assert sim.get(sim.enterprise('devicegroup/'), {'name': 'Store-00'}).json['count'] == 0
    detail = sim.get(sim.enterprise(f'devicegroup/{sim.group_id("Empty-Group")}/'))
    assert detail.status == 200
    assert {key: detail.json[key] for key in ('name', 'device_count', 'children_count')} == {
        'name': 'Empty-Group', 'device_count': 0, 'children_count': 0}


def test_fleet_layout(sim):
    fleet = sim.fleet()
    devices = fleet['devices']
    assert fleet['enterprise_id'] == '5f2e7c1a-0000-4000-8000-00000000e5e5' and fleet['api_key'] == 'sim-api-key'
    assert [device['device_name'] for device in devices[:3]] == ['kiosk-0001', 'kiosk-0002', 'kiosk-0003']
    assert [device['platform'] for device in devices[-3:]] == ['IOS', 'WINDOWS', 'LINUX']
    assert all(device['platform'] == 'ANDROID' for device in devices[:-3])
    offline = [device['device_name'] for device in devices if not device['online']]
    assert offline == ['kiosk-0046', 'kiosk-0047']
    legacy = [device['device_name'] for device in devices if device['api_level'] is not None and device['api_level'] < 28]
    assert legacy == ['kiosk-0044', 'kiosk-0045']
    assert devices[5]['groups'] == ['Store-001']


def test_fleet_is_deterministic_for_a_seed(start_sim):
    first = start_sim(devices=5, seed=7).fleet()
    second = start_sim(devices=5, seed=7).fleet()
    third = start_sim(devices=5, seed=8).fleet()
    assert first['devices'] == second['devices'] and first['groups'] == second['groups']
    assert [device['id'] for device in first['devices']] != [device['id'] for device in third['devices']]


def test_malformed_json_body_is_a_400(sim):
    reply = sim.call('POST', 'commands/v0/commands/', b'{"command": ')
    assert_content_error(reply, 400)
    assert 'JSON' in reply.json['message']


def test_simulator_bug_is_a_500_not_a_hang(start_sim, capsys):
    sim = start_sim(devices=2)

    def broken(request):
        raise RuntimeError('simulated simulator bug')

    sim.server.simulator.api.handle = broken
    reply = sim.get('commands/v0/commands/')
    assert_content_error(reply, 500)
    assert 'simulated simulator bug' in capsys.readouterr().err


def test_keep_alive_serves_several_requests_on_one_connection(sim):
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=10)
    try:
        for path in ('commands/v0/commands/', 'commands/v0/status/', sim.enterprise('devicegroup/')):
            connection.request('GET', '/api/' + path, headers={'Authorization': f'Bearer {sim.api_key}'})
            response = connection.getresponse()
            assert response.status == 200
            response.read()
    finally:
        connection.close()


def test_non_android_device_v0(sim):
    content = sim.get(f'device/v0/devices/{sim.device_id("kiosk-0048")}/').json['content']
    assert (content['os'], content['platform'], content['api_level']) == ('iOS', 'APPLE', None)
    # The legacy DeviceInfo API is Android only (CONTRACT §13.1): a Linux device is not found there.
    reply = sim.get(sim.enterprise(f'device/{sim.device_id("kiosk-0050")}/'))
    assert reply.status == 404 and reply.json['status'] == 404
