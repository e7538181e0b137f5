# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_wifi.py: validation, wire format, fingerprints, planning and reads."""

from __future__ import annotations

import json
import threading

import pytest

from ansible_collections.esper.mdm.plugins.module_utils import _wifi as wifi
from ansible_collections.esper.mdm.plugins.module_utils._client import EsperClient, EsperNotFoundError
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK, mask_secrets
from ansible_collections.esper.mdm.tests.unit.conversation import (
    API_KEY,
    BASE_URL,
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    UnorderedSession,
    page,
)

PASSWORD = 'Sup3r-Secret-Passphrase'


def fake_sleep(seconds):
    raise AssertionError('nothing in these tests should be retried (asked to sleep %s s)' % seconds)


def make_client(exchanges):
    conversation = Conversation(exchanges)
    return EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=conversation, sleep=fake_sleep), conversation


def device_id(number):
    return '6f1c2d3e-0000-4a5b-8c9d-%012d' % number


def device(number):
    return {'id': device_id(number), 'device_name': 'kiosk-%02d' % number}


def ap(ssid='Corp', security='WPA2', password=PASSWORD, **extra):
    """An access_points entry as AnsibleModule hands it over: every suboption present."""
    entry = {'ssid': ssid, 'security': security, 'password': password, 'hidden': False, 'eap_method': None,
             'phase2_auth': None, 'identity': None, 'anonymous_identity': None, 'domain': None}
    entry.update(extra)
    return entry


def eap_ap(**extra):
    values = dict(ssid='Corp-EAP', security='EAP', password=PASSWORD, eap_method='PEAP', identity='kiosk01')
    values.update(extra)
    return ap(**values)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

def test_a_valid_request_has_no_problems():
    access_points = [ap(), ap('Open', 'NONE', None), ap('Legacy', 'WEP', 'abcde'), eap_ap()]
    assert wifi.validate_wifi_request(access_points, 'present', True, False) == []


def test_at_least_one_of_access_points_enabled_and_only_saved_networks():
    assert wifi.validate_wifi_request(None, 'present', None, None) == [
        'at least one of access_points, enabled and only_saved_networks is required']
    assert wifi.validate_wifi_request([], 'present', None, None) == [
        'at least one of access_points, enabled and only_saved_networks is required']


@pytest.mark.parametrize('enabled, only_saved', [(False, None), (None, False), (True, True)])
def test_false_counts_as_given(enabled, only_saved):
    assert wifi.validate_wifi_request(None, 'present', enabled, only_saved) == []


def test_ssid_is_required():
    assert wifi.validate_access_points([ap(ssid=None), ap(ssid='')]) == [
        'access_points[0].ssid is required', 'access_points[1].ssid is required']


def test_an_entry_must_be_a_dict():
    assert wifi.validate_access_points(['Corp']) == ['access_points[0] must be a dictionary']


@pytest.mark.parametrize('ssid', ['a', 'x' * 32, '\u00e9' * 16, '\U0001F4F6' * 8])
def test_ssid_up_to_32_utf8_bytes_is_accepted(ssid):
    assert wifi.validate_access_points([ap(ssid=ssid)]) == []


@pytest.mark.parametrize('ssid, length', [('x' * 33, 33), ('\u00e9' * 17, 34), ('\U0001F4F6' * 9, 36)])
def test_ssid_longer_than_32_utf8_bytes_is_refused(ssid, length):
    # 17 characters, but 34 bytes: the limit is on bytes.
    assert wifi.validate_access_points([ap(ssid=ssid)]) == [
        'access_points[0] (ssid %r): ssid must be 1 to 32 bytes in UTF-8, got %d bytes' % (ssid, length)]


def test_duplicate_ssids_are_refused():
    problems = wifi.validate_access_points([ap('Corp'), ap('Guest'), ap('Corp')])
    assert problems == ["access_points[2] (ssid 'Corp'): ssid is given more than once; each SSID may appear once per call"]


def test_ssids_differing_in_case_are_different_networks():
    assert wifi.validate_access_points([ap('Corp'), ap('corp')]) == []


@pytest.mark.parametrize('security', ['WPA', 'WPA2', 'WPA3'])
@pytest.mark.parametrize('password', ['x' * 8, 'x' * 63, 'pass word!'])
def test_passphrase_of_8_to_63_characters_is_accepted(security, password):
    assert wifi.validate_access_points([ap(security=security, password=password)]) == []


@pytest.mark.parametrize('security', ['WPA', 'WPA2', 'WPA3'])
@pytest.mark.parametrize('password', ['x' * 7, 'y' * 64])
def test_passphrase_outside_8_to_63_characters_is_refused(security, password):
    assert wifi.validate_access_points([ap(security=security, password=password)]) == [
        "access_points[0] (ssid 'Corp'): the %s password must be 8 to 63 characters" % security]


@pytest.mark.parametrize('password', [None, ''])
def test_passphrase_is_required_for_wpa(password):
    assert wifi.validate_access_points([ap(security='WPA2', password=password)]) == [
        "access_points[0] (ssid 'Corp'): a WPA2 network needs a password of 8 to 63 characters, none was given"]


def test_security_defaults_to_wpa2():
    entry = ap(password='short')
    del entry['security']
    assert wifi.validate_access_points([entry]) == [
        "access_points[0] (ssid 'Corp'): the WPA2 password must be 8 to 63 characters"]


@pytest.mark.parametrize('key', ['abcde', 'abcdefghijklm', '0123456789', 'ABCDEF0123456789abcdef0123', '!!!!!'])
def test_wep_key_of_5_or_13_characters_or_10_or_26_hex_digits_is_accepted(key):
    assert wifi.validate_access_points([ap(security='WEP', password=key)]) == []


@pytest.mark.parametrize('key', ['abcd', 'abcdef', 'ghijklmnop', '0123456789abcdef0123456789a', 'g' * 26])
def test_other_wep_keys_are_refused(key):
    assert wifi.validate_access_points([ap(security='WEP', password=key)]) == [
        "access_points[0] (ssid 'Corp'): the WEP key must be 5 or 13 characters, or 10 or 26 hexadecimal digits"]


def test_wep_needs_a_key():
    assert wifi.validate_access_points([ap(security='WEP', password=None)]) == [
        "access_points[0] (ssid 'Corp'): a WEP network needs a key of 5 or 13 characters "
        "(or 10 or 26 hexadecimal digits), none was given"]


def test_open_network_takes_no_password():
    assert wifi.validate_access_points([ap(security='NONE', password=None)]) == []
    assert wifi.validate_access_points([ap(security='NONE', password='anything-at-all')]) == [
        "access_points[0] (ssid 'Corp'): an open network (security NONE) takes no password"]


def test_eap_needs_eap_method_and_identity():
    assert wifi.validate_access_points([eap_ap(eap_method=None, identity=None)]) == [
        "access_points[0] (ssid 'Corp-EAP'): an EAP network needs eap_method and identity; missing: eap_method, identity"]
    assert wifi.validate_access_points([eap_ap(identity='')]) == [
        "access_points[0] (ssid 'Corp-EAP'): an EAP network needs eap_method and identity; missing: identity"]


def test_eap_password_has_no_length_rule():
    # EAP-TLS uses a certificate and no password; PEAP passwords are account passwords of any length.
    assert wifi.validate_access_points([eap_ap(password=None, eap_method='TLS')]) == []
    assert wifi.validate_access_points([eap_ap(password='pw')]) == []


def test_eap_options_are_refused_without_eap():
    assert wifi.validate_access_points([ap(identity='kiosk01', domain='example.com')]) == [
        "access_points[0] (ssid 'Corp'): identity, domain only apply to security EAP, not WPA2"]


def test_unknown_security_is_refused():
    assert wifi.validate_access_points([ap(security='WPA4')]) == [
        "access_points[0] (ssid 'Corp'): security must be one of NONE, WEP, WPA, WPA2, WPA3, EAP, got 'WPA4'"]


def test_absent_checks_only_ssids():
    # Removal is by SSID: a leftover password or security type does not matter.
    assert wifi.validate_access_points([ap(security='WPA2', password='short'), ap('Open', 'NONE', 'x')], 'absent') == []
    assert wifi.validate_access_points([ap('Corp'), ap('Corp'), ap('x' * 33)], 'absent') == [
        "access_points[1] (ssid 'Corp'): ssid is given more than once; each SSID may appear once per call",
        "access_points[2] (ssid '%s'): ssid must be 1 to 32 bytes in UTF-8, got 33 bytes" % ('x' * 33)]


def test_state_must_be_present_or_absent():
    assert wifi.validate_wifi_request(None, 'gone', True, None) == ["state must be present or absent, got 'gone'"]


@pytest.mark.parametrize('entry', [
    ap(password='Secret7'),
    ap(password='S' * 64),
    ap(security='WEP', password='Secret'),
    ap(security='NONE', password='Secret-open'),
    eap_ap(identity=None, password='Secret-eap'),
    ap(ssid='x' * 40, password='Secret-long-ssid'),
])
def test_no_message_contains_the_password(entry):
    problems = wifi.validate_wifi_request([entry, dict(entry)], 'present', None, None)
    assert problems
    for problem in problems:
        assert entry['password'] not in problem


def test_stranding_warning_only_for_lock_with_radio_off():
    assert 'unreachable' in wifi.stranding_warning(False, True)
    for enabled, only_saved in [(True, True), (False, False), (None, True), (False, None), (None, None)]:
        assert wifi.stranding_warning(enabled, only_saved) is None


def test_option_spec_matches_the_rules():
    spec = wifi.access_point_option_spec()
    assert spec['password'] == {'type': 'str', 'no_log': True}
    assert spec['ssid'] == {'type': 'str', 'required': True}
    assert spec['security']['choices'] == list(wifi.SECURITY_TYPES)
    assert spec['security']['default'] == 'WPA2'
    assert set(spec) == {'ssid', 'security', 'password', 'hidden'} | set(wifi.EAP_OPTIONS)


# ---------------------------------------------------------------------------------------------
# Wire format
# ---------------------------------------------------------------------------------------------

def test_wire_object_of_a_wpa2_network():
    assert wifi.wire_access_point(ap()) == {
        'wifi_ssid': 'Corp', 'wifi_security_type': 'WPA2', 'wifi_password': PASSWORD, 'hidden': False}


@pytest.mark.parametrize('security, sent', [('NONE', 'NONE'), ('WEP', 'WEP'), ('WPA', 'WPA'), ('WPA2', 'WPA2'),
                                            ('WPA3', 'SAE'), ('EAP', 'EAP')])
def test_security_spelling_sent(security, sent):
    assert wifi.WIRE_SECURITY_TYPES[security] == sent
    password = {'NONE': None, 'WEP': 'abcde'}.get(security, PASSWORD)
    entry = eap_ap(security=security, password=password) if security == 'EAP' else ap(security=security, password=password)
    assert wifi.wire_access_point(entry)['wifi_security_type'] == sent


def test_every_security_choice_has_a_wire_spelling():
    assert set(wifi.WIRE_SECURITY_TYPES) == set(wifi.SECURITY_TYPES)


def test_open_network_is_sent_without_a_password_key():
    assert wifi.wire_access_point(ap('Open', 'NONE', None, hidden=True)) == {
        'wifi_ssid': 'Open', 'wifi_security_type': 'NONE', 'hidden': True}


def test_eap_keys_are_mapped_and_unset_ones_left_out():
    entry = eap_ap(phase2_auth='MSCHAPV2', anonymous_identity='anonymous', domain='radius.example.com')
    assert wifi.wire_access_point(entry) == {
        'wifi_ssid': 'Corp-EAP', 'wifi_security_type': 'EAP', 'wifi_password': PASSWORD, 'hidden': False,
        'wifi_eap_method': 'PEAP', 'wifi_phase2_auth': 'MSCHAPV2', 'identity': 'kiosk01',
        'anonymous_identity': 'anonymous', 'domain': 'radius.example.com'}
    assert wifi.wire_access_point(eap_ap(password=None, eap_method='TLS')) == {
        'wifi_ssid': 'Corp-EAP', 'wifi_security_type': 'EAP', 'hidden': False, 'wifi_eap_method': 'TLS',
        'identity': 'kiosk01'}


def test_add_command_args_is_a_list_of_objects():
    wires = [wifi.wire_access_point(ap('A')), wifi.wire_access_point(ap('B', 'NONE', None))]
    assert wifi.add_command_args(wires) == {'wifi_access_points': [
        {'wifi_ssid': 'A', 'wifi_security_type': 'WPA2', 'wifi_password': PASSWORD, 'hidden': False},
        {'wifi_ssid': 'B', 'wifi_security_type': 'NONE', 'hidden': False}]}


def test_remove_command_args_is_a_list_of_ssid_strings():
    assert wifi.remove_command_args(['Guest', 'Old-AP']) == {'wifi_access_points': ['Guest', 'Old-AP']}


def test_masking_hides_every_password_of_an_add_request():
    body = {'command': 'ADD_WIFI_AP', 'command_args': wifi.add_command_args(
        [wifi.wire_access_point(ap('A')), wifi.wire_access_point(eap_ap(password='eap-Secret-1'))])}
    masked = mask_secrets(body)
    assert [entry['wifi_password'] for entry in masked['command_args']['wifi_access_points']] == [MASK, MASK]
    text = json.dumps(masked)
    assert PASSWORD not in text and 'eap-Secret-1' not in text
    assert masked['command_args']['wifi_access_points'][1]['identity'] == 'kiosk01'


def test_request_access_point_finds_the_ssid():
    wire = wifi.wire_access_point(ap('Corp'))
    request = {'command_args': {'wifi_access_points': [{'wifi_ssid': 'Other'}, wire]}}
    assert wifi.request_access_point(request, 'Corp') == wire
    assert wifi.request_access_point(request, 'Missing') is None
    assert wifi.request_access_point({'command_args': {'wifi_access_points': wire}}, 'Corp') == wire
    # REMOVE_WIFI_AP style strings carry no settings.
    assert wifi.request_access_point({'command_args': {'wifi_access_points': ['Corp']}}, 'Corp') is None
    assert wifi.request_access_point({'command_args': None}, 'Corp') is None
    assert wifi.request_access_point({}, 'Corp') is None


@pytest.mark.parametrize('detail, expected', [
    ({'wifi_access_points': [{'wifi_ssid': 'B'}, {'wifi_ssid': 'A', 'wifi_security_type': 'WPA2'}]}, ['A', 'B']),
    ({'wifi_access_points': ['Guest', 'Corp']}, ['Corp', 'Guest']),
    ({'network': {'wifi_access_points': ['Corp']}}, ['Corp']),
    ({'wifi_access_points': [{'wifi_ssid': 'A'}], 'network': {'wifi_access_points': ['B', 'A']}}, ['A', 'B']),
    ({'wifi_access_points': {'wifi_ssid': 'Solo'}}, ['Solo']),
    ({'wifi_access_points': None}, []),
    ({'wifi_access_points': [{'ssid': 'no-wifi_ssid-key'}, 7, '']}, []),
    ({'id': 'x'}, []),
    (None, []),
])
def test_configured_ssids_reads_every_known_shape(detail, expected):
    assert wifi.configured_ssids(detail) == expected


# ---------------------------------------------------------------------------------------------
# Fingerprints and history entries
# ---------------------------------------------------------------------------------------------

def test_fingerprint_is_sha256_of_canonical_json():
    wire = wifi.wire_access_point(ap())
    fingerprint = wifi.settings_fingerprint(wire)
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    reordered = dict(reversed(list(wire.items())))
    assert wifi.settings_fingerprint(reordered) == fingerprint
    assert wifi.settings_fingerprint(dict(wire, domain=None)) == fingerprint
    assert PASSWORD not in fingerprint


@pytest.mark.parametrize('change', [
    {'wifi_password': PASSWORD + '!'},
    {'hidden': True},
    {'wifi_security_type': 'WPA'},
    {'wifi_ssid': 'corp'},
])
def test_any_setting_change_changes_the_fingerprint(change):
    wire = wifi.wire_access_point(ap())
    assert wifi.settings_fingerprint(dict(wire, **change)) != wifi.settings_fingerprint(wire)


@pytest.mark.parametrize('state, outcome', [
    ('Command Success', 'success'),
    ('Command Queued', 'open'),
    ('Command In Progress', 'open'),
    ('Command Scheduled', 'open'),
    ('Command Failure', 'ended'),
    ('Command TimeOut', 'ended'),
    ('Command Cancelled', 'ended'),
])
def test_history_entry_classifies_the_device_status(state, outcome):
    wire = wifi.wire_access_point(ap())
    request = {'id': 'req-1', 'command_args': {'wifi_access_points': [wire]}}
    entry = wifi.history_entry(request, {'state': state}, 'Corp')
    assert entry == {'fingerprint': wifi.settings_fingerprint(wire), 'outcome': outcome, 'command_id': 'req-1'}


def test_history_entry_without_the_ssid_has_no_fingerprint():
    entry = wifi.history_entry({'id': 'r', 'command_args': {'wifi_access_points': ['Corp']}}, {'state': 'Command Success'},
                               'Corp')
    assert entry['fingerprint'] is None


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------

def history_of(access_point, outcome, command_id='req-1'):
    return {'fingerprint': wifi.settings_fingerprint(wifi.wire_access_point(access_point)), 'outcome': outcome,
            'command_id': command_id}


def test_present_rules_per_device():
    corp = ap('Corp')
    other_settings = ap('Corp', password='a-different-passphrase')
    devices = [device(n) for n in range(1, 8)]
    configured = {
        device_id(1): ['Corp'],           # listed, same settings succeeded -> skip
        device_id(2): ['Corp'],           # listed, other settings succeeded -> send again
        device_id(3): ['Corp', 'Guest'],  # listed, no history (added by hand) -> send again
        device_id(4): [],                 # not listed, no history -> send
        device_id(5): [],                 # not listed, same settings still queued -> skip (pending)
        device_id(6): [],                 # not listed, same settings succeeded (removed since) -> send
        device_id(7): ['Corp'],           # listed, same settings but the last attempt failed -> send
    }
    history = {'Corp': {
        device_id(1): history_of(corp, 'success'),
        device_id(2): history_of(other_settings, 'success'),
        device_id(5): history_of(corp, 'open', 'req-5'),
        device_id(6): history_of(corp, 'success'),
        device_id(7): history_of(corp, 'ended'),
    }}
    plan = wifi.plan_access_points([corp], 'present', devices, configured, history)
    assert plan['send'] == {device_id(n): ['Corp'] for n in (2, 3, 4, 6, 7)}
    assert plan['skipped_devices'] == [
        {'device': device_id(1), 'device_name': 'kiosk-01', 'reason': 'Corp is configured with the same settings'},
        {'device': device_id(5), 'device_name': 'kiosk-05',
         'reason': 'Corp with the same settings is pending in command req-5'}]
    assert plan['resent'] == {device_id(2): ['Corp'], device_id(3): ['Corp'], device_id(7): ['Corp']}
    assert plan['ssids_before'][device_id(3)] == ['Corp', 'Guest']
    assert plan['ssids_after'][device_id(3)] == ['Corp', 'Guest']
    assert plan['ssids_before'][device_id(4)] == []
    assert plan['ssids_after'][device_id(4)] == ['Corp']
    assert device_id(1) not in plan['ssids_before']


def test_present_sends_only_the_access_points_a_device_lacks():
    corp, guest = ap('Corp'), ap('Guest', 'NONE', None)
    devices = [device(1), device(2)]
    configured = {device_id(1): ['Corp'], device_id(2): ['Corp', 'Guest']}
    history = {'Corp': {device_id(1): history_of(corp, 'success'), device_id(2): history_of(corp, 'success')},
               'Guest': {device_id(2): history_of(guest, 'success')}}
    plan = wifi.plan_access_points([corp, guest], 'present', devices, configured, history)
    assert plan['send'] == {device_id(1): ['Guest']}
    assert plan['skipped_devices'] == [{'device': device_id(2), 'device_name': 'kiosk-02', 'reason':
                                        'Corp is configured with the same settings; Guest is configured with the same settings'}]
    assert plan['resent'] == {}


def test_absent_removes_only_listed_ssids():
    devices = [device(1), device(2), device(3)]
    configured = {device_id(1): ['Corp', 'Guest', 'Keep'], device_id(2): ['Keep'], device_id(3): ['Guest']}
    plan = wifi.plan_access_points([ap('Guest'), ap('Corp')], 'absent', devices, configured, {})
    assert plan['send'] == {device_id(1): ['Guest', 'Corp'], device_id(3): ['Guest']}
    assert plan['skipped_devices'] == [{'device': device_id(2), 'device_name': 'kiosk-02',
                                        'reason': 'Guest is not configured; Corp is not configured'}]
    assert plan['ssids_before'][device_id(1)] == ['Corp', 'Guest', 'Keep']
    assert plan['ssids_after'][device_id(1)] == ['Keep']
    assert plan['ssids_after'][device_id(3)] == []


def test_group_devices_by_ssids_keeps_first_seen_order():
    send = {'d1': ['A', 'B'], 'd2': ['B'], 'd3': ['A', 'B'], 'd4': ['B']}
    assert wifi.group_devices_by_ssids(send) == [(('A', 'B'), ['d1', 'd3']), (('B',), ['d2', 'd4'])]
    assert wifi.group_devices_by_ssids({}) == []


def test_build_diff_merges_access_points_and_settings_per_device():
    devices = [device(1), device(2), device(3)]
    plan = wifi.plan_access_points([ap('Corp')], 'present', devices,
                                   {device_id(1): ['Corp'], device_id(2): [], device_id(3): ['Corp']},
                                   {'Corp': {device_id(3): history_of(ap('Corp'), 'success')}})
    radio = ({'kiosk-02': {'wifi_state': False}}, {'kiosk-02': {'wifi_state': True}})
    lock = ({'kiosk-03': {'use_only_saved_ap': False}}, {'kiosk-03': {'use_only_saved_ap': True}})
    diff = wifi.build_diff(devices, plan, [radio, lock])
    assert diff == {
        'before': {'kiosk-01': {'ssids': ['Corp']},
                   'kiosk-02': {'ssids': [], 'wifi_state': False},
                   'kiosk-03': {'use_only_saved_ap': False}},
        'after': {'kiosk-01': {'ssids': ['Corp'], 'ssids_resent': ['Corp']},
                  'kiosk-02': {'ssids': ['Corp'], 'wifi_state': True},
                  'kiosk-03': {'use_only_saved_ap': True}},
    }
    assert wifi.build_diff(devices) == {'before': {}, 'after': {}}


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------

def detail_path(number):
    return 'enterprise/%s/device/%s/' % (ENTERPRISE_ID, device_id(number))


def test_read_configured_ssids_asks_for_the_policy_view():
    client, conversation = make_client([
        Exchange('GET', detail_path(1), params={'show_policy': 'true'},
                 body={'id': device_id(1), 'wifi_access_points': [{'wifi_ssid': 'Corp'}]}),
        Exchange('GET', detail_path(2), params={'show_policy': 'true'},
                 body={'id': device_id(2), 'network': {'wifi_access_points': ['Guest']}}),
    ])
    assert wifi.read_configured_ssids(client, [device_id(1), device_id(2)], workers=1) == {
        device_id(1): ['Corp'], device_id(2): ['Guest']}
    conversation.assert_done()


def test_read_configured_ssids_reads_devices_in_parallel_and_keeps_their_order():
    numbers = list(range(1, 9))
    replies = [(detail_path(n), (200, {'id': device_id(n), 'wifi_access_points': ['Store-%d' % n]})) for n in numbers]
    # Four reads must be in flight at once to pass the barrier; one at a time would break it.
    session = UnorderedSession(replies, barrier=threading.Barrier(4, timeout=30))
    client = EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=session, sleep=fake_sleep)
    ids = [device_id(n) for n in reversed(numbers)]
    configured = wifi.read_configured_ssids(client, ids, workers=4)
    assert list(configured.items()) == [(device_id(n), ['Store-%d' % n]) for n in reversed(numbers)]
    assert sorted(session.asked) == sorted(('GET', detail_path(n)) for n in numbers)
    assert all(params == {'show_policy': 'true'} for params in session.params)


def test_read_configured_ssids_raises_the_first_failing_devices_typed_error():
    client, conversation = make_client([
        Exchange('GET', detail_path(1), params={'show_policy': 'true'}, body={'id': device_id(1)}),
        Exchange('GET', detail_path(2), params={'show_policy': 'true'}, status=404,
                 body={'code': 404, 'message': 'Device not found', 'content': None}),
    ])
    with pytest.raises(EsperNotFoundError):
        wifi.read_configured_ssids(client, [device_id(1), device_id(2), device_id(3)], workers=1)
    conversation.assert_done()


def test_read_add_history_keeps_each_devices_latest_request_for_the_ssid():
    corp_old = wifi.wire_access_point(ap('Corp', password='old-passphrase'))
    corp_new = wifi.wire_access_point(ap('Corp'))
    guest = wifi.wire_access_point(ap('Guest', 'NONE', None))
    requests = [
        {'id': 'req-new', 'command': 'ADD_WIFI_AP', 'created_at': '2025-05-02T10:00:00Z',
         'command_args': {'wifi_access_points': [corp_new]}},
        {'id': 'req-guest', 'command': 'ADD_WIFI_AP', 'created_at': '2025-05-03T10:00:00Z',
         'command_args': {'wifi_access_points': [guest]}},
        {'id': 'req-old', 'command': 'ADD_WIFI_AP', 'created_at': '2025-05-01T10:00:00Z',
         'command_args': {'wifi_access_points': [corp_old, guest]}},
    ]
    statuses = [
        {'id': 's1', 'request': 'req-new', 'device': device_id(1), 'state': 'Command Success',
         'updated_at': '2025-05-02T10:01:00Z'},
        {'id': 's2', 'request': 'req-old', 'device': device_id(1), 'state': 'Command Success',
         'updated_at': '2025-05-01T10:01:00Z'},
        {'id': 's3', 'request': 'req-old', 'device': device_id(2), 'state': 'Command Queued',
         'updated_at': '2025-05-01T10:01:00Z'},
    ]
    devices = '%s,%s' % (device_id(1), device_id(2))
    client, conversation = make_client([
        Exchange('GET', 'commands/v0/commands/', params={'command': 'ADD_WIFI_AP'}, params_subset=True,
                 body=page(requests)),
        Exchange('GET', 'commands/v0/status/', params={'request': 'req-new,req-old', 'device': devices},
                 params_subset=True, body=page(statuses)),
        Exchange('GET', 'commands/v0/commands/', params={'command': 'ADD_WIFI_AP'}, params_subset=True,
                 body=page(requests)),
        Exchange('GET', 'commands/v0/status/', params={'request': 'req-guest,req-old', 'device': devices},
                 params_subset=True, body=page(statuses[1:])),
    ])
    history = wifi.read_add_history(client, ['Corp', 'Guest'], [device_id(1), device_id(2)])
    conversation.assert_done()
    assert history == {
        'Corp': {
            device_id(1): {'fingerprint': wifi.settings_fingerprint(corp_new), 'outcome': 'success', 'command_id': 'req-new'},
            device_id(2): {'fingerprint': wifi.settings_fingerprint(corp_old), 'outcome': 'open', 'command_id': 'req-old'},
        },
        'Guest': {
            device_id(1): {'fingerprint': wifi.settings_fingerprint(guest), 'outcome': 'success', 'command_id': 'req-old'},
            device_id(2): {'fingerprint': wifi.settings_fingerprint(guest), 'outcome': 'open', 'command_id': 'req-old'},
        },
    }
