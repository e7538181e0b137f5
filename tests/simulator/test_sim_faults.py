# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection (POST /_sim/faults) and the request log (GET /_sim/requests)."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from ansible_collections.esper.mdm.simulator.esper_simulator.options import parse_args

COMMANDS = '/api/commands/v0/commands/'


def reboot_body(sim):
    return {'command_type': 'DEVICE', 'devices': [sim.device_id('kiosk-0001')], 'device_type': 'all', 'command': 'REBOOT',
            'command_args': {}, 'schedule': 'IMMEDIATE'}


def stored_requests(sim):
    return sim.get('commands/v0/commands/').json['content']['count']


def test_rate_limit_with_retry_after(sim):
    sim.control('POST', 'faults', [{'method': 'POST', 'path_prefix': COMMANDS, 'kind': 'rate_limit', 'count': 2, 'retry_after': 3}])
    for _attempt in range(2):
        reply = sim.call('POST', 'commands/v0/commands/', reboot_body(sim))
        assert reply.status == 429
        assert reply.headers['retry-after'] == '3'
        assert reply.json['code'] == 429 and reply.json['content'] == {}
    assert stored_requests(sim) == 0
    assert sim.call('POST', 'commands/v0/commands/', reboot_body(sim)).status == 201
    assert stored_requests(sim) == 1


def test_rate_limit_without_retry_after_on_the_legacy_family(sim):
    sim.control('POST', 'faults', {'kind': 'rate_limit', 'path_prefix': '/api/enterprise/'})
    reply = sim.get(sim.enterprise('device/'))
    assert reply.status == 429
    assert 'retry-after' not in reply.headers
    assert reply.json['status'] == 429 and reply.json['errors']
    assert sim.get(sim.enterprise('device/')).status == 200


def test_fault_matches_method_and_path_only(sim):
    sim.control('POST', 'faults', [{'method': 'POST', 'path_prefix': COMMANDS, 'kind': 'server_error', 'status': 500}])
    assert sim.get('commands/v0/commands/').status == 200
    assert sim.get(sim.enterprise('device/')).status == 200
    assert sim.call('POST', 'commands/v0/commands/', reboot_body(sim)).status == 500
    assert sim.call('POST', 'commands/v0/commands/', reboot_body(sim)).status == 201


@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_server_error_does_not_store_the_request(sim, status):
    sim.control('POST', 'faults', [{'method': 'POST', 'kind': 'server_error', 'status': status}])
    reply = sim.call('POST', 'commands/v0/commands/', reboot_body(sim))
    assert reply.status == status
    assert reply.json == {'code': status, 'message': f'Simulated server error {status}', 'content': {}}
    assert stored_requests(sim) == 0


def test_server_error_after_processing_stores_the_request(sim):
    sim.control('POST', 'faults', [{'method': 'POST', 'kind': 'server_error', 'status': 502, 'process': True}])
    assert sim.call('POST', 'commands/v0/commands/', reboot_body(sim)).status == 502
    assert stored_requests(sim) == 1


def test_lose_response_stores_the_request_and_sends_nothing(sim):
    sim.control('POST', 'faults', [{'method': 'POST', 'path_prefix': COMMANDS, 'kind': 'lose_response'}])
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        sim.call('POST', 'commands/v0/commands/', reboot_body(sim))
    listed = sim.get('commands/v0/commands/').json['content']
    assert listed['count'] == 1 and listed['results'][0]['command'] == 'REBOOT'
    log = sim.control('GET', 'requests?method=POST')
    assert len(log) == 1
    assert log[0]['lost'] is True and log[0]['status'] is None and log[0]['fault'] == 'lose_response'
    assert sim.call('POST', 'commands/v0/commands/', reboot_body(sim)).status == 201


def test_lost_response_leaves_no_bytes_on_the_wire(sim):
    sim.control('POST', 'faults', [{'method': 'GET', 'kind': 'lose_response'}])
    with socket.create_connection((sim.host, sim.port), timeout=10) as connection:
        connection.sendall(f'GET /api/commands/v0/commands/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {sim.api_key}\r\n\r\n'.encode())
        received = b''
        while True:
            chunk = connection.recv(4096)
            if not chunk:
                break
            received += chunk
    assert received == b''


def test_malformed_json(sim):
    sim.control('POST', 'faults', [{'path_prefix': '/api/commands/v0/commands/', 'kind': 'malformed_json'}])
    reply = sim.call('POST', 'commands/v0/commands/', reboot_body(sim))
    assert reply.status == 201
    assert reply.headers['content-type'] == 'application/json'
    assert reply.json is None and reply.text.startswith('{')
    with pytest.raises(ValueError):
        json.loads(reply.text)
    assert stored_requests(sim) == 1


def test_slow_response_still_answers(start_sim):
    # Its own simulator: the abandoned slow request finishes later and must not land in another test's log.
    sim = start_sim(devices=2)
    sim.control('POST', 'faults', [{'method': 'GET', 'kind': 'slow', 'delay': 2}])
    with pytest.raises((TimeoutError, socket.timeout)):
        sim.get('commands/v0/commands/', timeout=0.2)
    sim.control('POST', 'faults', [{'method': 'GET', 'kind': 'slow', 'delay': 0.05}])
    assert sim.get('commands/v0/commands/').status == 200


def test_unlimited_fault_until_cleared(sim):
    sim.control('POST', 'faults', [{'kind': 'server_error', 'count': None, 'status': 503}])
    for _attempt in range(3):
        assert sim.get('commands/v0/commands/').status == 503
    faults = sim.control('GET', 'faults')['faults']
    assert len(faults) == 1 and faults[0]['hits'] == 3 and faults[0]['count'] is None
    assert sim.control('DELETE', 'faults') == {'faults': []}
    assert sim.get('commands/v0/commands/').status == 200


def test_rules_apply_in_order(sim):
    sim.control('POST', 'faults', [{'kind': 'rate_limit', 'retry_after': 1}, {'kind': 'server_error', 'status': 502}])
    assert sim.get('commands/v0/commands/').status == 429
    assert sim.get('commands/v0/commands/').status == 502
    assert sim.get('commands/v0/commands/').status == 200


@pytest.mark.parametrize('rule', [
    {'kind': 'explode'}, {'kind': 'server_error', 'status': 418}, {'kind': 'rate_limit', 'count': 0},
    {'kind': 'rate_limit', 'retry_after': 'soon'}, {'kind': 'slow', 'delay': -1}, {'kind': 'rate_limit', 'path_prefix': 'api/'},
    {'kind': 'rate_limit', 'colour': 'red'}, 'rate_limit',
])
def test_invalid_fault_rules_are_refused(sim, rule):
    reply = sim.raw('POST', '/_sim/faults', [rule])
    assert reply.status == 400 and reply.json['error']
    assert sim.control('GET', 'faults') == {'faults': []}


def test_request_log_records_and_filters(sim):
    sim.get(sim.enterprise('device/'), {'limit': 5})
    sim.call('POST', 'commands/v0/commands/', reboot_body(sim))
    sim.get('commands/v0/commands/', key='bad')
    log = sim.control('GET', 'requests')
    assert [(entry['method'], entry['path'], entry['status']) for entry in log] == [
        ('GET', f'/api/enterprise/{sim.enterprise_id}/device/', 200), ('POST', COMMANDS, 201), ('GET', COMMANDS, 401)]
    assert log[0]['query'] == {'limit': '5'}
    assert log[1]['body']['command'] == 'REBOOT'
    assert [entry['authorized'] for entry in log] == [True, True, False]
    assert all(entry['time'].endswith('Z') for entry in log)
    assert [entry['path'] for entry in sim.control('GET', 'requests?path_prefix=/api/commands/')] == [COMMANDS, COMMANDS]
    assert [entry['method'] for entry in sim.control('GET', 'requests?method=post')] == ['POST']
    sim.control('DELETE', 'requests')
    assert sim.control('GET', 'requests') == []


def test_control_calls_are_not_logged_nor_faulted(sim):
    sim.control('POST', 'faults', [{'kind': 'server_error', 'path_prefix': '/', 'count': None}])
    assert sim.control('GET', 'fleet')['enterprise_id'] == sim.enterprise_id
    assert sim.control('GET', 'requests') == []


# Fault kinds for the client's fault handling (issue 8)


@pytest.mark.parametrize('status', [500, 503])
@pytest.mark.parametrize('process, stored', [(False, 0), (True, 1)])
def test_server_error_stored_and_not_stored_variants(sim, status, process, stored):
    sim.control('POST', 'faults', [{'method': 'POST', 'path_prefix': COMMANDS, 'kind': 'server_error', 'status': status,
                                    'process': process}])
    assert sim.call('POST', 'commands/v0/commands/', reboot_body(sim)).status == status
    assert stored_requests(sim) == stored
    log = sim.control('GET', 'requests?method=POST')
    assert [(entry['status'], entry['fault']) for entry in log] == [(status, 'server_error')]


def test_store_after_delay_times_the_client_out_and_stores_later(start_sim):
    # Its own simulator: the delayed request finishes after the test's read timeout.
    sim = start_sim(devices=2)
    sim.control('POST', 'faults', [{'method': 'POST', 'path_prefix': COMMANDS, 'kind': 'store_after_delay', 'delay': 1.5}])
    started = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout)):
        sim.call('POST', 'commands/v0/commands/', reboot_body(sim), timeout=0.5)
    assert stored_requests(sim) == 0
    deadline = started + 10
    while stored_requests(sim) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stored_requests(sim) == 1
    assert time.monotonic() - started >= 1.5
    log = sim.control('GET', 'requests?method=POST')
    assert len(log) == 1 and log[0]['lost'] is True and log[0]['fault'] == 'store_after_delay' and log[0]['status'] is None
    assert sim.call('POST', 'commands/v0/commands/', reboot_body(sim)).status == 201
    assert stored_requests(sim) == 2


def test_store_after_delay_never_answers_even_a_patient_client(start_sim):
    sim = start_sim(devices=2)
    sim.control('POST', 'faults', [{'method': 'POST', 'path_prefix': COMMANDS, 'kind': 'store_after_delay', 'delay': 0.2}])
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        sim.call('POST', 'commands/v0/commands/', reboot_body(sim), timeout=10)
    assert stored_requests(sim) == 1


@pytest.mark.parametrize('family_path', ['enterprise', 'commands'])
def test_path_only_next_links(sim, family_path):
    sim.control('POST', 'faults', [{'method': 'GET', 'kind': 'path_only_next', 'count': None}])
    if family_path == 'enterprise':
        path = sim.enterprise('device/')
        reply = sim.get(path, {'limit': 5, 'offset': 5})
        listing = reply.json
    else:
        for _number in range(3):
            sim.call('POST', 'commands/v0/commands/', reboot_body(sim))
        path = 'commands/v0/commands/'
        reply = sim.get(path, {'limit': 1, 'offset': 1})
        listing = reply.json['content']
    assert reply.status == 200
    assert listing['next'].startswith('/api/' + path + '?') and 'offset=' in listing['next']
    assert listing['previous'].startswith('/api/' + path + '?')
    # Followed from the root of the host, the link reads the next page.
    following = sim.raw('GET', listing['next'], headers={'Authorization': f'Bearer {sim.api_key}'})
    assert following.status == 200


def test_path_only_next_leaves_other_answers_alone(sim):
    sim.control('POST', 'faults', [{'method': 'GET', 'kind': 'path_only_next'}])
    device = sim.device_info('kiosk-0001')
    assert device['device_name'] == 'kiosk-0001'


def test_echo_bad_request_quotes_each_argument_cut_to_120_characters(sim):
    secret = 'S' * 60 + 'E' * 60 + 'X' * 80
    sim.control('POST', 'faults', [{'method': 'POST', 'path_prefix': COMMANDS, 'kind': 'echo_bad_request'}])
    body = {'command_type': 'DEVICE', 'devices': [sim.device_id('kiosk-0001')], 'device_type': 'all', 'command': 'INSTALL_CERTIFICATE',
            'command_args': {'cert_alias_name': 'corp-ca', 'cert_data_base64': secret}}
    reply = sim.call('POST', 'commands/v0/commands/', body)
    assert reply.status == 400
    assert reply.json['code'] == 400 and reply.json['content'] == {}
    assert reply.json['message'] == 'Invalid arguments: cert_alias_name=corp-ca; cert_data_base64=' + secret[:120]
    assert secret not in reply.text
    assert stored_requests(sim) == 0


def test_echo_bad_request_on_the_legacy_family_quotes_the_query(sim):
    sim.control('POST', 'faults', [{'method': 'GET', 'kind': 'echo_bad_request', 'path_prefix': '/api/enterprise/'}])
    reply = sim.get(sim.enterprise('device/'), {'name': 'n' * 200})
    assert reply.status == 400
    assert reply.json['message'] == 'Invalid arguments: name=' + 'n' * 120 and reply.json['errors'] == [reply.json['message']]


@pytest.mark.parametrize('kind', ['store_after_delay', 'path_only_next', 'echo_bad_request'])
def test_new_fault_kinds_come_from_the_command_line(kind):
    options = parse_args(['--fault', json.dumps({'kind': kind, 'count': None})])
    assert options.faults == [{'kind': kind, 'count': None}]
