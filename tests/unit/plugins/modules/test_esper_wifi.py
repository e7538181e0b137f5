# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/modules/esper_wifi.py, each against a fully scripted HTTP conversation."""

from __future__ import annotations

import json

import pytest

from ansible_collections.esper.mdm.plugins.module_utils import _wifi as wifi
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK
from ansible_collections.esper.mdm.plugins.modules import esper_wifi
from ansible_collections.esper.mdm.tests.unit.conversation import (
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    content,
    device_id,
    group_id,
    page,
    request_id as command_id,
)
from ansible_collections.esper.mdm.tests.unit.module_harness import run_module

PASSWORD = 'Corp-Passphrase-2025'
GUEST_PASSWORD = 'Guest-Passphrase-99'
COMMANDS_PATH = 'commands/v0/commands/'
STATUS_PATH = 'commands/v0/status/'


@pytest.fixture(autouse=True)
def sequential_state_reads(monkeypatch):
    # devicestate reads run in threads; one worker keeps the scripted order fixed.
    monkeypatch.setattr(esper_wifi, 'STATE_READ_WORKERS', 1)


def device_info(number):
    return {'id': device_id(number), 'device_name': 'kiosk-%02d' % number, 'api_level': 30, 'status': 1}


def resolve(number):
    """resolve_devices fetches a device given by UUID."""
    return Exchange('GET', 'v2/devices/%s' % device_id(number), params={}, body={'content': device_info(number)})


def detail(number, ssids):
    """The show_policy=true device detail listing these SSIDs."""
    body = dict(device_info(number), wifi_access_points=[{'wifi_ssid': ssid} for ssid in ssids])
    return Exchange('GET', 'enterprise/%s/device/%s/' % (ENTERPRISE_ID, device_id(number)),
                    params={'show_policy': 'true'}, body=body)


def history_listing(requests):
    return Exchange('GET', COMMANDS_PATH, params={'command': 'ADD_WIFI_AP'}, params_subset=True, body=page(requests))


def status_listing(request_ids, device_numbers, statuses):
    params = {'request': ','.join(request_ids), 'device': ','.join(device_id(n) for n in device_numbers)}
    return Exchange('GET', STATUS_PATH, params=params, params_subset=True, body=page(statuses))


def devicestate(number, **values):
    return Exchange('GET', 'device/v0/devices/%s/devicestate' % device_id(number), body=values)


def open_requests(command, requests=()):
    """The look-up of identical requests still open, made for a setting that some device needs."""
    return Exchange('GET', COMMANDS_PATH, params={'command': command}, params_subset=True, body=page(list(requests)))


def wire(ssid='Corp', password=PASSWORD, security='WPA2'):
    return {'wifi_ssid': ssid, 'wifi_security_type': security, 'wifi_password': password, 'hidden': False}


def body(command, command_args, device_numbers):
    return {'command_type': 'DEVICE', 'devices': [device_id(n) for n in device_numbers], 'device_type': 'all',
            'command': command, 'command_args': command_args, 'schedule': 'IMMEDIATE'}


def post(expected_body, number):
    created = dict(expected_body, id=command_id(number), created_at='2025-05-01T10:00:00Z')
    return Exchange('POST', COMMANDS_PATH, json=expected_body, status=201, body=content(created, code=201))


def stats(number, **totals):
    status = [{'state': 'Command %s' % state.replace('_', ' ').title().replace('Timeout', 'TimeOut'), 'total': total}
              for state, total in totals.items()]
    return Exchange('GET', COMMANDS_PATH + '%s/stats/' % command_id(number),
                    body=content({'id': command_id(number), 'status': status}))


def add_request(number, access_points, created_at='2025-04-01T10:00:00Z'):
    return {'id': command_id(number), 'command': 'ADD_WIFI_AP', 'command_type': 'DEVICE', 'devices': [],
            'command_args': {'wifi_access_points': access_points}, 'created_at': created_at}


def success(request_number, device_number):
    return {'id': 'st-%d-%d' % (request_number, device_number), 'request': command_id(request_number),
            'device': device_id(device_number), 'state': 'Command Success', 'updated_at': '2025-04-01T10:01:00Z'}


def run(args, exchanges, **kwargs):
    conversation = Conversation(exchanges)
    result = run_module(esper_wifi.main, args, conversation, **kwargs)
    conversation.assert_done()
    return result, conversation


def assert_no_password(result, *passwords):
    text = json.dumps(result)
    for password in passwords or (PASSWORD, GUEST_PASSWORD):
        assert password not in text


def corp(**extra):
    entry = {'ssid': 'Corp', 'password': PASSWORD}
    entry.update(extra)
    return entry


# ---------------------------------------------------------------------------------------------
# Validation: nothing is sent
# ---------------------------------------------------------------------------------------------

def test_invalid_access_points_fail_before_any_request():
    result, conversation = run({'devices': [device_id(1)], 'access_points': [
        {'ssid': 'Corp', 'password': 'Short1'}, {'ssid': 'Corp', 'security': 'NONE', 'password': 'OpenSecret'}]}, [])
    assert result['failed'] is True
    assert result['msg'] == (
        "access_points[0] (ssid 'Corp'): the WPA2 password must be 8 to 63 characters; "
        "access_points[1] (ssid 'Corp'): ssid is given more than once; each SSID may appear once per call; "
        "access_points[1] (ssid 'Corp'): an open network (security NONE) takes no password")
    assert conversation.requests == []
    assert_no_password(result, 'Short1', 'OpenSecret')


def test_something_to_do_is_required():
    result, conversation = run({'devices': [device_id(1)]}, [])
    assert result['failed'] is True
    assert result['msg'] == 'at least one of access_points, enabled and only_saved_networks is required'
    assert conversation.requests == []


def test_targets_are_required():
    result, conversation = run({'enabled': True}, [])
    assert result['msg'] == 'at least one of devices or groups is required'
    assert conversation.requests == []


def test_a_mistyped_uuid_fails_before_any_request():
    result, conversation = run({'devices': ['6f1c2d3e-0000-4a5b-8c9d-00000000000g'], 'enabled': True}, [])
    assert result['failed'] is True
    assert result['problems'] == [
        "devices[0] '6f1c2d3e-0000-4a5b-8c9d-00000000000g' is not a valid UUID (8-4-4-4-12 hexadecimal digits, such as "
        "6f1c2d3e-0000-4a5b-8c9d-000000000001); give a valid UUID or a device or group name"]
    assert conversation.requests == []


def test_eap_without_identity_fails():
    result, conversation = run({'devices': [device_id(1)], 'access_points': [
        {'ssid': 'Corp-EAP', 'security': 'EAP', 'eap_method': 'PEAP', 'password': PASSWORD}]}, [])
    assert result['msg'] == "access_points[0] (ssid 'Corp-EAP'): an EAP network needs eap_method and identity; missing: identity"
    assert conversation.requests == []


def test_unknown_device_name_fails_before_sending():
    listing = Exchange('GET', 'v2/devices/', body={'content': page([device_info(1)], enveloped=False, prev_key='prev')})
    result, conversation = run({'devices': ['no-such-kiosk'], 'enabled': True}, [listing])
    assert result['failed'] is True
    assert len(result['problems']) == 1 and 'no-such-kiosk' in result['problems'][0]
    assert result['msg'] == result['problems'][0]
    assert conversation.count('POST') == 0


# ---------------------------------------------------------------------------------------------
# present / absent
# ---------------------------------------------------------------------------------------------

def present_reads():
    """Device 1 has Corp from our last ADD; device 2 lacks it; device 3 lists it with no history (added by hand)."""
    return [
        resolve(1), resolve(2), resolve(3),
        detail(1, ['Corp']), detail(2, []), detail(3, ['Corp', 'Lobby']),
        history_listing([add_request(7, [wire()])]),
        status_listing([command_id(7)], [1, 2, 3], [success(7, 1)]),
    ]


def test_present_adds_only_where_missing_or_unconfirmed_and_waits():
    expected = body('ADD_WIFI_AP', {'wifi_access_points': [wire()]}, [2, 3])
    result, conversation = run(
        {'devices': [device_id(1), device_id(2), device_id(3)], 'access_points': [corp()]},
        present_reads() + [post(expected, 1), stats(1, success=2)])
    assert result['changed'] is True
    assert result.get('failed') is None
    assert result['command_id'] == command_id(1)
    assert result['command_ids'] == [command_id(1)]
    assert [entry['command'] for entry in result['commands']] == ['ADD_WIFI_AP']
    assert result['commands'][0]['stats']['success'] == 2
    assert result['stats']['total'] == 2 and result['stats']['success'] == 2
    assert result['request']['command_args']['wifi_access_points'] == [dict(wire(), wifi_password=MASK)]
    assert result['skipped_devices'] == [{'device': device_id(1), 'device_name': 'kiosk-01',
                                          'reason': 'Corp is configured with the same settings'}]
    assert result['failed_devices'] == []
    assert 'diff' not in result
    assert_no_password(result)
    # The password went to the API, and only in the POST body.
    sent = [request for request in conversation.requests if PASSWORD in json.dumps(request['json'])]
    assert [request['method'] for request in sent] == ['POST']


def test_present_twice_sends_nothing_the_second_time():
    requests = [add_request(8, [wire()], created_at='2025-05-01T10:00:00Z'), add_request(7, [wire(password='old-one-x')])]
    statuses = [success(8, 1), success(8, 2), success(7, 1)]
    result, conversation = run(
        {'devices': [device_id(1), device_id(2)], 'access_points': [corp()]},
        [resolve(1), resolve(2), detail(1, ['Corp']), detail(2, ['Corp']),
         history_listing(requests), status_listing([command_id(8), command_id(7)], [1, 2], statuses)])
    assert result['changed'] is False
    assert result['command_id'] is None and result['command_ids'] == [] and result['commands'] == []
    assert result['request'] is None
    assert [entry['device'] for entry in result['skipped_devices']] == [device_id(1), device_id(2)]
    assert conversation.count('POST') == 0


def test_a_password_change_is_sent_again():
    result, conversation = run(
        {'devices': [device_id(1)], 'access_points': [corp(password='A-New-Passphrase')]},
        [resolve(1), detail(1, ['Corp']), history_listing([add_request(7, [wire()])]),
         status_listing([command_id(7)], [1], [success(7, 1)]),
         post(body('ADD_WIFI_AP', {'wifi_access_points': [wire(password='A-New-Passphrase')]}, [1]), 1),
         stats(1, success=1)])
    assert result['changed'] is True
    assert result['skipped_devices'] == []
    assert_no_password(result, 'A-New-Passphrase', PASSWORD)


def test_a_pending_add_with_the_same_settings_is_not_queued_twice():
    queued = dict(success(7, 1), state='Command Queued')
    result, conversation = run(
        {'devices': [device_id(1)], 'access_points': [corp()], 'wait': False},
        [resolve(1), detail(1, []), history_listing([add_request(7, [wire()])]),
         status_listing([command_id(7)], [1], [queued])])
    assert result['changed'] is False
    assert result['skipped_devices'][0]['reason'] == 'Corp with the same settings is pending in command %s' % command_id(7)
    assert conversation.count('POST') == 0


def test_devices_needing_different_access_points_get_separate_requests():
    guest = {'wifi_ssid': 'Guest', 'wifi_security_type': 'WPA3', 'wifi_password': GUEST_PASSWORD, 'hidden': True}
    guest_sent = dict(guest, wifi_security_type='SAE')
    first = body('ADD_WIFI_AP', {'wifi_access_points': [wire(), guest_sent]}, [1])
    second = body('ADD_WIFI_AP', {'wifi_access_points': [guest_sent]}, [2])
    result, conversation = run(
        {'devices': [device_id(1), device_id(2)],
         'access_points': [corp(), {'ssid': 'Guest', 'security': 'WPA3', 'password': GUEST_PASSWORD, 'hidden': True}]},
        [resolve(1), resolve(2), detail(1, []), detail(2, ['Corp']),
         history_listing([add_request(7, [wire()])]), status_listing([command_id(7)], [1, 2], [success(7, 2)]),
         history_listing([]),
         post(first, 1), post(second, 2), stats(1, success=1), stats(2, success=1)])
    assert result['command_ids'] == [command_id(1), command_id(2)]
    assert [entry['command'] for entry in result['commands']] == ['ADD_WIFI_AP', 'ADD_WIFI_AP']
    assert result['stats']['success'] == 2
    assert_no_password(result)


def test_absent_removes_listed_ssids_as_strings():
    expected = body('REMOVE_WIFI_AP', {'wifi_access_points': ['Guest']}, [1])
    result, conversation = run(
        {'devices': [device_id(1), device_id(2)], 'access_points': [{'ssid': 'Guest'}], 'state': 'absent'},
        [resolve(1), resolve(2), detail(1, ['Corp', 'Guest']), detail(2, ['Corp']), post(expected, 1),
         stats(1, success=1)],
        diff=True)
    assert result['changed'] is True
    assert result['skipped_devices'] == [{'device': device_id(2), 'device_name': 'kiosk-02',
                                          'reason': 'Guest is not configured'}]
    assert result['diff'] == {'before': {'kiosk-01': {'ssids': ['Corp', 'Guest']}},
                              'after': {'kiosk-01': {'ssids': ['Corp']}}}


def test_absent_with_nothing_listed_sends_nothing():
    result, conversation = run(
        {'devices': [device_id(1)], 'access_points': [{'ssid': 'Guest'}], 'state': 'absent'},
        [resolve(1), detail(1, ['Corp'])])
    assert result['changed'] is False
    assert conversation.count('POST') == 0


# ---------------------------------------------------------------------------------------------
# enabled / only_saved_networks, order, diff, check mode
# ---------------------------------------------------------------------------------------------

def test_all_three_commands_in_order_only_where_needed():
    add = body('ADD_WIFI_AP', {'wifi_access_points': [wire()]}, [2])
    radio = body('SET_WIFI_STATE', {'wifi_state': True}, [1])
    lock = body('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': True}, [2])
    result, conversation = run(
        {'devices': [device_id(1), device_id(2)], 'access_points': [corp()], 'enabled': True, 'only_saved_networks': True},
        [resolve(1), resolve(2), detail(1, ['Corp']), detail(2, []),
         history_listing([add_request(7, [wire()])]), status_listing([command_id(7)], [1, 2], [success(7, 1)]),
         devicestate(1, wifi_state=False, use_only_saved_ap=True), devicestate(2, wifi_state=True, use_only_saved_ap=False),
         open_requests('SET_WIFI_STATE'), open_requests('USE_ONLY_SAVED_WIFI_AP'),
         post(add, 1), post(radio, 2), post(lock, 3),
         stats(1, success=1), stats(2, success=1), stats(3, success=1)],
        diff=True)
    assert [entry['command'] for entry in result['commands']] == ['ADD_WIFI_AP', 'SET_WIFI_STATE', 'USE_ONLY_SAVED_WIFI_AP']
    assert conversation.count('GET', 'device/v0/devices/') == 2
    assert [entry['command_id'] for entry in result['commands']] == [command_id(1), command_id(2), command_id(3)]
    assert result['command_ids'] == [command_id(1), command_id(2), command_id(3)]
    assert result['stats']['total'] == 3 and result['stats']['success'] == 3
    assert result['diff'] == {
        'before': {'kiosk-01': {'wifi_state': False}, 'kiosk-02': {'ssids': [], 'use_only_saved_ap': False}},
        'after': {'kiosk-01': {'wifi_state': True}, 'kiosk-02': {'ssids': ['Corp'], 'use_only_saved_ap': True}},
    }
    assert sorted((entry['device'], entry['reason']) for entry in result['skipped_devices']) == [
        (device_id(1), 'Corp is configured with the same settings'),
        (device_id(1), 'already use_only_saved_ap=true'),
        (device_id(2), 'already wifi_state=true'),
    ]
    assert result['warnings'] == []
    assert_no_password(result)


def test_locking_with_the_radio_off_warns():
    result, conversation = run(
        {'devices': [device_id(1)], 'enabled': False, 'only_saved_networks': True},
        [resolve(1), devicestate(1, wifi_state=False, use_only_saved_ap=True)])
    assert result['changed'] is False
    assert len(result['warnings']) == 1 and 'unreachable' in result['warnings'][0]


def test_the_radio_and_the_lock_are_planned_from_one_devicestate_read_per_device():
    missing = Exchange('GET', 'device/v0/devices/%s/devicestate' % device_id(3), status=404,
                       body=content({}, code=404, message='Device not found'))
    result, conversation = run(
        {'devices': [device_id(1), device_id(2), device_id(3)], 'enabled': True, 'only_saved_networks': False},
        [resolve(1), resolve(2), resolve(3),
         devicestate(1, wifi_state=True, use_only_saved_ap=False), devicestate(2, wifi_state=False, use_only_saved_ap=True),
         missing,
         open_requests('SET_WIFI_STATE'), open_requests('USE_ONLY_SAVED_WIFI_AP'),
         post(body('SET_WIFI_STATE', {'wifi_state': True}, [2, 3]), 1),
         post(body('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': False}, [2, 3]), 2),
         stats(1, success=2), stats(2, success=2)])
    for number in (1, 2, 3):
        assert conversation.count('GET', 'device/v0/devices/%s/devicestate' % device_id(number)) == 1
    assert [entry['command'] for entry in result['commands']] == ['SET_WIFI_STATE', 'USE_ONLY_SAVED_WIFI_AP']
    assert [(entry['device'], entry['reason']) for entry in result['skipped_devices']] == [
        (device_id(1), 'already wifi_state=true'), (device_id(1), 'already use_only_saved_ap=false')]
    # The device without state is noted once, not once per setting.
    assert result['warnings'] == ['device kiosk-03 has no device state (HTTP 404); its current settings are unknown']


def test_a_setting_still_queued_for_an_offline_device_is_not_queued_again():
    radio_on = dict(body('SET_WIFI_STATE', {'wifi_state': True}, [1]), id=command_id(7), created_at='2025-05-01T10:00:00Z')
    lock_off = dict(body('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': True}, [1, 2]), id=command_id(8),
                    created_at='2025-05-01T10:00:00Z')
    queued = dict(success(7, 1), state='Command Queued')
    result, conversation = run(
        {'devices': [device_id(1), device_id(2)], 'enabled': True, 'only_saved_networks': False},
        [resolve(1), resolve(2),
         devicestate(1, wifi_state=False, use_only_saved_ap=True), devicestate(2, wifi_state=False, use_only_saved_ap=True),
         open_requests('SET_WIFI_STATE', [radio_on]), status_listing([command_id(7)], [1, 2], [queued]),
         # An open request with other settings does not count.
         open_requests('USE_ONLY_SAVED_WIFI_AP', [lock_off]), status_listing([command_id(8)], [1, 2], [dict(queued, request=command_id(8))]),
         post(body('SET_WIFI_STATE', {'wifi_state': True}, [2]), 1),
         post(body('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': False}, [1, 2]), 2),
         stats(1, success=1), stats(2, success=2)], diff=True)
    assert result['changed'] is True
    assert result['skipped_devices'] == [{
        'device': device_id(1), 'device_name': 'kiosk-01', 'command_id': command_id(7),
        'reason': 'an identical SET_WIFI_STATE request %s is still open (Command Queued)' % command_id(7)}]
    assert result['diff']['before']['kiosk-01'] == {'use_only_saved_ap': True}


def test_check_mode_reads_but_sends_nothing_and_shows_the_diff():
    result, conversation = run(
        {'devices': [device_id(1), device_id(2), device_id(3)], 'access_points': [corp()], 'enabled': True},
        present_reads() + [devicestate(1, wifi_state=True), devicestate(2, wifi_state=True), devicestate(3, wifi_state=True)],
        check_mode=True, diff=True)
    assert conversation.count('POST') == 0
    assert result['changed'] is True
    assert result['command_id'] is None
    assert result['request'] == dict(body('ADD_WIFI_AP', {'wifi_access_points': [dict(wire(), wifi_password=MASK)]}, [2, 3]))
    assert [entry['command'] for entry in result['commands']] == ['ADD_WIFI_AP']
    assert result['diff'] == {
        'before': {'kiosk-02': {'ssids': []}, 'kiosk-03': {'ssids': ['Corp', 'Lobby']}},
        'after': {'kiosk-02': {'ssids': ['Corp']}, 'kiosk-03': {'ssids': ['Corp', 'Lobby'], 'ssids_resent': ['Corp']}},
    }
    assert_no_password(result)


def test_groups_are_expanded_to_their_devices():
    groups = Exchange('GET', 'enterprise/%s/devicegroup/' % ENTERPRISE_ID,
                      body=page([{'id': group_id(1), 'name': 'Store-017'}], enveloped=False))
    members = Exchange('GET', 'v2/devices/', params={'group_multi': group_id(1)}, params_subset=True,
                       body={'content': page([device_info(1), device_info(2)], enveloped=False, prev_key='prev')})
    result, conversation = run(
        {'groups': ['Store-017'], 'enabled': True},
        [groups, members, devicestate(1, wifi_state=False), devicestate(2, wifi_state=True),
         open_requests('SET_WIFI_STATE'),
         post(body('SET_WIFI_STATE', {'wifi_state': True}, [1]), 1), stats(1, success=1)])
    assert result['changed'] is True
    assert result['skipped_devices'] == [{'device': device_id(2), 'device_name': 'kiosk-02',
                                          'reason': 'already wifi_state=true'}]


def no_unsupported_members(number):
    """The platform check of a group: none of its devices runs a platform the Wi-Fi commands lack (Android only)."""
    return Exchange('GET', 'v2/devices/', params={'group_multi': group_id(number), 'platform': 'APPLE,WINDOWS,LINUX',
                                                  'limit': 1, 'offset': 0},
                    body={'content': {'count': 0, 'next': None, 'prev': None, 'results': []}})


def test_force_sends_everything_to_the_targets_without_reading_them():
    groups = Exchange('GET', 'enterprise/%s/devicegroup/' % ENTERPRISE_ID,
                      body=page([{'id': group_id(1), 'name': 'Store-017'}], enveloped=False))
    expected = {'command_type': 'GROUP', 'groups': [group_id(1)], 'device_type': 'all', 'command': 'REMOVE_WIFI_AP',
                'command_args': {'wifi_access_points': ['Guest', 'Lobby']}, 'schedule': 'IMMEDIATE'}
    result, conversation = run(
        {'groups': ['Store-017'], 'access_points': [{'ssid': 'Guest'}, {'ssid': 'Lobby'}], 'state': 'absent',
         'force': True, 'wait': False},
        [groups, no_unsupported_members(1), post(expected, 1), stats(1, queued=3)])
    assert result['changed'] is True
    assert result['stats']['queued'] == 3
    assert result['skipped_devices'] == []


def test_force_on_groups_waits_until_every_device_of_the_groups_is_listed():
    # The group reports 3 devices; the first stats list only 1 of them, so the wait must poll again.
    groups = Exchange('GET', 'enterprise/%s/devicegroup/' % ENTERPRISE_ID,
                      body=page([{'id': group_id(1), 'name': 'Store-017', 'device_count': 3}], enveloped=False))
    expected = {'command_type': 'GROUP', 'groups': [group_id(1)], 'device_type': 'all', 'command': 'SET_WIFI_STATE',
                'command_args': {'wifi_state': True}, 'schedule': 'IMMEDIATE'}
    result, conversation = run(
        {'groups': ['Store-017'], 'enabled': True, 'force': True},
        [groups, no_unsupported_members(1), post(expected, 1), stats(1, success=1), stats(1, success=3)])
    assert result.get('failed') is None
    assert result['stats']['total'] == 3 and result['stats']['success'] == 3
    assert conversation.count('GET', COMMANDS_PATH + '%s/stats/' % command_id(1)) == 2


def test_force_on_devices_and_groups_waits_for_the_groups_devices_too():
    # A DYNAMIC request: the listed device finishing first must not end the wait before the group fans out.
    groups = Exchange('GET', 'enterprise/%s/devicegroup/' % ENTERPRISE_ID,
                      body=page([{'id': group_id(1), 'name': 'Store-017', 'device_count': 3}], enveloped=False))
    expected = {'command_type': 'DYNAMIC', 'devices': [device_id(9)], 'groups': [group_id(1)], 'device_type': 'all',
                'command': 'SET_WIFI_STATE', 'command_args': {'wifi_state': True}, 'schedule': 'IMMEDIATE'}
    result, conversation = run(
        {'devices': [device_id(9)], 'groups': ['Store-017'], 'enabled': True, 'force': True},
        [resolve(9), groups, no_unsupported_members(1), post(expected, 1), stats(1, success=1), stats(1, success=3)])
    assert result.get('failed') is None
    assert result['stats']['success'] == 3
    assert conversation.count('GET', COMMANDS_PATH + '%s/stats/' % command_id(1)) == 2


# ---------------------------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------------------------

def test_a_failed_device_fails_the_module_with_the_results():
    failure = Exchange('GET', STATUS_PATH, params={'request': command_id(1), 'state': 'Command Failure'},
                       params_subset=True,
                       body=page([{'id': 's', 'request': command_id(1), 'device': device_id(1), 'state': 'Command Failure',
                                   'reason': 'Wi-Fi configuration rejected'}]))
    result, conversation = run(
        {'devices': [device_id(1)], 'access_points': [corp()]},
        [resolve(1), detail(1, []), history_listing([]),
         post(body('ADD_WIFI_AP', {'wifi_access_points': [wire()]}, [1]), 1), stats(1, failure=1), failure])
    assert result['failed'] is True
    assert result['msg'] == ('1 of 1 devices did not succeed (1 Command Failure). '
                             'kiosk-01: Command Failure (Wi-Fi configuration rejected)')
    assert result['command_id'] == command_id(1)
    assert result['failed_devices'] == [{'device': device_id(1), 'device_name': 'kiosk-01', 'state': 'Command Failure',
                                         'reason': 'Wi-Fi configuration rejected', 'command_id': command_id(1)}]
    assert 'failure_message' not in result
    assert_no_password(result)


def test_an_api_error_echoing_the_password_is_scrubbed():
    refused = Exchange('POST', COMMANDS_PATH, status=400,
                       body={'code': 400, 'message': 'invalid wifi_password %s for Corp' % PASSWORD, 'content': None})
    result, conversation = run(
        {'devices': [device_id(1)], 'access_points': [corp()]},
        [resolve(1), detail(1, []), history_listing([]), refused])
    assert result['failed'] is True
    assert 'HTTP 400' in result['msg']
    assert_no_password(result)


def test_the_wire_mapping_is_the_modules_only_source_of_spellings():
    # The module builds every access point through wifi.wire_access_point, so one change there changes what is sent.
    assert esper_wifi.wire_access_point is wifi.wire_access_point
    assert esper_wifi.add_command_args is wifi.add_command_args
    assert esper_wifi.remove_command_args is wifi.remove_command_args


def test_every_wifi_command_runs_on_the_same_platforms():
    # plan_wifi checks group members against the first command only when force is set.
    from ansible_collections.esper.mdm.plugins.module_utils._targets import command_platforms
    commands = (wifi.ADD_COMMAND, wifi.REMOVE_COMMAND, wifi.RADIO_COMMAND, wifi.LOCK_COMMAND)
    platforms = set(command_platforms(command) for command in commands)
    assert len(platforms) == 1
