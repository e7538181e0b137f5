# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the esper_command_info module against scripted HTTP conversations."""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import COMMAND_NAMES
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK
from ansible_collections.esper.mdm.plugins.module_utils._submission import empty_stats
from ansible_collections.esper.mdm.plugins.modules import esper_command_info
from ansible_collections.esper.mdm.tests.unit.conversation import BASE_URL, ENTERPRISE_ID, Conversation, Exchange, content, page
from ansible_collections.esper.mdm.tests.unit.module_harness import run_module

CMD_1 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000001'
CMD_2 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000002'
DEVICE_1 = '6f1c2d3e-0000-4a5b-8c9d-000000000001'
DEVICE_2 = '6f1c2d3e-0000-4a5b-8c9d-000000000002'
GROUP_1 = '0b9a8c7d-1111-4e2f-9a0b-000000000001'
PASSWORD = 'Lock-Screen-Secret-9'


def request(command_id, command='REBOOT', command_args=None):
    return {'id': command_id, 'command_type': 'DEVICE', 'devices': [DEVICE_1, DEVICE_2], 'groups': [], 'device_type': 'all',
            'command': command, 'command_args': command_args or {}, 'schedule': 'IMMEDIATE', 'schedule_args': None,
            'reason': '', 'created_by': '42', 'created_at': '2025-05-01T10:00:00Z'}


def status(number, device, state, reason=''):
    return {'id': 'st-%d' % number, 'request': CMD_1, 'device': device, 'state': state, 'reason': reason,
            'created_at': '2025-05-01T10:00:01Z', 'updated_at': '2025-05-01T10:00:09Z'}


def run(args, exchanges, check_mode=False):
    conversation = Conversation(exchanges)
    result = run_module(esper_command_info.main, args, conversation, check_mode=check_mode)
    conversation.assert_done()
    result['requests_made'] = list(conversation.requests)
    return result


@pytest.mark.parametrize('check_mode', [False, True])
def test_one_request_with_stats_and_every_status_page(check_mode):
    next_url = BASE_URL + '/commands/v0/status/?request=%s&limit=500&offset=1' % CMD_1
    result = run({'command_id': CMD_1}, [
        Exchange('GET', 'commands/v0/commands/%s/' % CMD_1, body=content(request(CMD_1))),
        Exchange('GET', 'commands/v0/commands/%s/stats/' % CMD_1, body=content({'id': CMD_1, 'status': [
            {'state': 'Command Success', 'total': 1}, {'state': 'Command Failure', 'total': 1}]})),
        Exchange('GET', 'commands/v0/status/', params={'request': CMD_1}, params_subset=True,
                 body=page([status(1, DEVICE_1, 'Command Success')], count=2, next_url=next_url)),
        Exchange('GET', next_url, body=page([status(2, DEVICE_2, 'Command Failure', 'Storage full')], count=2)),
    ], check_mode=check_mode)
    assert result['changed'] is False
    assert result['command'] == request(CMD_1)
    assert result['stats'] == dict(empty_stats(), total=2, success=1, failure=1)
    assert [(item['device'], item['state'], item['reason']) for item in result['statuses']] == [
        (DEVICE_1, 'Command Success', ''), (DEVICE_2, 'Command Failure', 'Storage full')]
    assert all(made['method'] == 'GET' for made in result['requests_made'])


def test_secret_arguments_of_a_request_are_masked():
    stored = request(CMD_1, 'RESET_LOCKSCREEN_PASSWORD', {'new_lockscreen_password': PASSWORD})
    result = run({'command_id': CMD_1}, [
        Exchange('GET', 'commands/v0/commands/%s/' % CMD_1, body=content(stored)),
        Exchange('GET', 'commands/v0/commands/%s/stats/' % CMD_1, body=content({'id': CMD_1, 'status': []})),
        Exchange('GET', 'commands/v0/status/', params={'request': CMD_1}, params_subset=True, body=page([])),
    ])
    assert result['command']['command_args'] == {'new_lockscreen_password': MASK}
    assert PASSWORD not in json.dumps(result)


def test_unknown_command_id_fails_clearly():
    result = run({'command_id': CMD_2}, [
        Exchange('GET', 'commands/v0/commands/%s/' % CMD_2, status=404, body={'code': 404, 'message': 'Not found', 'content': {}}),
    ])
    assert result['failed'] is True
    assert result['msg'].startswith('command request %s not found' % CMD_2)


def test_list_filters_by_command_devices_groups_and_schedule_with_a_limit():
    devices = [{'id': DEVICE_1, 'device_name': 'kiosk-0001', 'alias_name': None}]
    groups = [{'id': GROUP_1, 'name': 'Store-001', 'device_count': 3}]
    stored = request(CMD_2, 'RESET_LOCKSCREEN_PASSWORD', {'new_lockscreen_password': PASSWORD})
    result = run({'command': 'RESET_LOCKSCREEN_PASSWORD', 'devices': ['kiosk-0001'], 'groups': ['Store-001'],
                  'schedule': 'IMMEDIATE', 'limit': 2}, [
        Exchange('GET', 'v2/devices/', body={'content': page(devices, enveloped=False, prev_key='prev')}),
        Exchange('GET', 'enterprise/%s/devicegroup/' % ENTERPRISE_ID, body=page(groups, enveloped=False)),
        Exchange('GET', 'commands/v0/commands/', params={'command': 'RESET_LOCKSCREEN_PASSWORD', 'devices': DEVICE_1,
                                                         'groups': GROUP_1, 'schedule': 'IMMEDIATE', 'limit': 2, 'offset': 0},
                 body=page([request(CMD_1, 'RESET_LOCKSCREEN_PASSWORD', {'new_lockscreen_password': PASSWORD}), stored],
                           count=7, next_url=BASE_URL + '/commands/v0/commands/?limit=2&offset=2')),
    ])
    assert [item['id'] for item in result['commands']] == [CMD_1, CMD_2]
    assert PASSWORD not in json.dumps(result)


def test_list_without_filters():
    result = run({}, [
        Exchange('GET', 'commands/v0/commands/', params={'limit': 50, 'offset': 0}, body=page([request(CMD_1)])),
    ])
    assert result['changed'] is False
    assert result['commands'] == [request(CMD_1)]


@pytest.mark.parametrize('args, fragment', [
    ({'command_id': 'not-a-uuid'}, "command_id must be a command request UUID"),
    ({'command_id': CMD_1, 'command': 'REBOOT'}, 'command_id cannot be combined with the list filters command'),
    ({'limit': 0}, 'limit must be 1 or more'),
    ({'devices': ['6f1c2d3e-0000-4a5b-8c9d-00000000000']}, 'is not a valid UUID'),
    ({'command': 'NOPE'}, 'value of command must be one of'),
])
def test_bad_input_fails_before_any_request(args, fragment):
    result = run(args, [])
    assert result['failed'] is True
    assert fragment in result['msg']


def test_unknown_device_name_fails():
    result = run({'devices': ['kiosk-4242']}, [
        Exchange('GET', 'v2/devices/', body={'content': page([], enveloped=False, prev_key='prev')}),
    ])
    assert result['failed'] is True and "device 'kiosk-4242' not found" in result['msg']


def test_documentation_matches_the_catalogue():
    doc = yaml.safe_load(esper_command_info.DOCUMENTATION)
    assert doc['options']['command']['choices'] == COMMAND_NAMES
    yaml.safe_load(esper_command_info.EXAMPLES)
    yaml.safe_load(esper_command_info.RETURN)
