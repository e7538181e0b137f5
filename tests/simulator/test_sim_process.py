# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator as a subprocess (python -m esper_simulator, process.start_simulator) and its control API."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request

import pytest

from ansible_collections.esper.mdm.simulator.esper_simulator.options import parse_args
from ansible_collections.esper.mdm.simulator.esper_simulator.process import SimulatorStartError, start_simulator


def api_get(running, path, key=None):
    request = urllib.request.Request(f'{running.url}/{path}', headers={'Authorization': f'Bearer {key or running.api_key}'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read().decode('utf-8'))


def api_post(running, path, body):
    request = urllib.request.Request(f'{running.url}/{path}', data=json.dumps(body).encode('utf-8'), method='POST',
                                     headers={'Authorization': f'Bearer {running.api_key}', 'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read().decode('utf-8'))


def test_start_serve_and_stop(tmp_path):
    log_file = tmp_path / 'requests.jsonl'
    running = start_simulator('--devices', '12', '--groups', '3', '--api-key', 'other-key', '--enterprise-id',
                              '11111111-2222-4333-8444-555555555555', '--step-seconds', '0', '--log-file', str(log_file))
    with running:
        assert running.url.startswith('http://127.0.0.1:') and running.url.endswith('/api')
        assert running.api_key == 'other-key'
        assert running.enterprise_id == '11111111-2222-4333-8444-555555555555'
        status, page = api_get(running, f'enterprise/{running.enterprise_id}/device/?limit=100')
        # The legacy listing is Android only (CONTRACT §13.1): 12 devices less the 3 of other platforms.
        assert status == 200 and page['count'] == 9
        with pytest.raises(urllib.error.HTTPError) as caught:
            api_get(running, 'commands/v0/commands/', key='sim-api-key')
        assert caught.value.code == 401
        device = page['results'][0]['id']
        status, created = api_post(running, 'commands/v0/commands/', {
            'command_type': 'DEVICE', 'devices': [device], 'device_type': 'all', 'command': 'INSTALL_CERTIFICATE', 'schedule': 'IMMEDIATE',
            'command_args': {'cert_file_type': 'pkcs12', 'cert_data_base64': 'TOPSECRETDATA', 'cert_password': 'hunter2',
                             'cert_alias_name': 'corp', 'cert_storage_type': 'system'}})
        assert status == 201
        status, stats = api_get(running, f'commands/v0/commands/{created["content"]["id"]}/stats/')
        assert stats['content']['status'] == [{'state': 'Command Success', 'total': 1}]
        posts = running.requests(method='POST')
        assert len(posts) == 1 and posts[0]['body']['command_args']['cert_password'] == 'hunter2'
        assert len(running.requests(path_prefix='/api/enterprise/')) == 1
        groups = [group['name'] for group in running.fleet()['groups']]
        assert groups == ['Store-001', 'Store-002', 'Store-003', 'Empty-Group', 'Other-Platforms']
    assert running.process.returncode is not None
    lines = [json.loads(line) for line in log_file.read_text(encoding='utf-8').splitlines()]
    assert [line['method'] for line in lines] == ['GET', 'GET', 'POST', 'GET']
    text = log_file.read_text(encoding='utf-8')
    assert 'hunter2' not in text and 'TOPSECRETDATA' not in text and 'other-key' not in text
    assert lines[2]['body']['command_args']['cert_password'] == '********'


def test_sigterm_ends_the_process_cleanly():
    running = start_simulator('--devices', '3')
    try:
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=10) == 0
    finally:
        running.stop()


def test_control_helpers():
    with start_simulator('--devices', '5', '--offline', '1', '--other-platforms', '0', '--step-seconds', '1000') as running:
        fleet = running.fleet()
        assert [device['online'] for device in fleet['devices']] == [True, True, True, True, False]
        offline = fleet['devices'][-1]['id']
        status, created = api_post(running, 'commands/v0/commands/', {
            'command_type': 'DEVICE', 'devices': [offline], 'device_type': 'all', 'command': 'REBOOT'})
        request_id = created['content']['id']
        running.set_device('kiosk-0005', online=True)
        running.advance(4000)
        status, stats = api_get(running, f'commands/v0/commands/{request_id}/stats/')
        assert stats['content']['status'] == [{'state': 'Command Success', 'total': 1}]
        running.add_faults({'kind': 'rate_limit', 'retry_after': 2})
        with pytest.raises(urllib.error.HTTPError) as caught:
            api_get(running, 'commands/v0/commands/')
        assert caught.value.code == 429 and caught.value.headers['Retry-After'] == '2'
        running.add_faults({'kind': 'rate_limit'})
        running.clear_faults()
        assert api_get(running, 'commands/v0/commands/')[0] == 200
        running.clear_requests()
        assert running.requests() == []
        running.reset()
        status, page = api_get(running, 'commands/v0/commands/')
        assert page['content']['count'] == 0
        assert running.fleet()['devices'][-1]['online'] is False
        with pytest.raises(urllib.error.HTTPError) as caught:
            running.control('POST', 'clock', {'advance': -1})
        assert caught.value.code == 400


def test_bad_option_fails_to_start_with_stderr():
    with pytest.raises(SimulatorStartError) as caught:
        start_simulator('--devices', '-1', timeout=10)
    assert '--devices must not be negative' in str(caught.value)


def test_main_module_prints_the_url_first(tmp_path):
    with start_simulator('--devices', '1', '--host', '127.0.0.1') as running:
        assert running.url.count(':') == 2
        assert 'esper_simulator: 1 devices' in running.stderr_text()


def test_option_parsing():
    options = parse_args(['--devices', '7', '--fail-same-value', '--enterprise-id', '11111111-2222-4333-8444-55555555555A'])
    assert (options.devices, options.fail_same_value, options.enterprise_id) == (7, True, '11111111-2222-4333-8444-55555555555a')
    defaults = parse_args([])
    assert (defaults.port, defaults.api_key, defaults.step_seconds, defaults.offline, defaults.legacy_android) == (0, 'sim-api-key', 0.2, 2, 2)
    for bad in (['--enterprise-id', 'nope'], ['--offline', '-1'], ['--step-seconds', 'fast']):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_fault_option_parsing():
    options = parse_args(['--fault', '{"kind": "rate_limit", "count": 2, "retry_after": 3}',
                          '--fault', '{"kind": "server_error", "status": 503, "method": "POST"}'])
    assert options.faults == [{'kind': 'rate_limit', 'count': 2, 'retry_after': 3},
                              {'kind': 'server_error', 'status': 503, 'method': 'POST'}]
    assert parse_args([]).faults == []
    for bad in ('not json', '{"kind": "meteor"}', '{"kind": "rate_limit", "count": 0}'):
        with pytest.raises(SystemExit):
            parse_args(['--fault', bad])


def test_fault_option_is_active_from_the_start_and_after_reset():
    rule = '{"kind": "rate_limit", "count": 1, "retry_after": 4, "path_prefix": "/api/enterprise/"}'
    with start_simulator('--devices', '2', '--other-platforms', '0', '--fault', rule) as running:
        path = f'enterprise/{running.enterprise_id}/device/'
        for _attempt in range(2):  # once at start, once more after a reset
            with pytest.raises(urllib.error.HTTPError) as caught:
                api_get(running, path)
            assert caught.value.code == 429
            assert caught.value.headers['Retry-After'] == '4'
            status, body = api_get(running, path)
            assert status == 200 and body['count'] == 2
            running.reset()
