# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for esper_device_info against scripted HTTP conversations."""

from __future__ import annotations

import pytest

from ansible_collections.esper.mdm.plugins.modules import esper_device_info
from ansible_collections.esper.mdm.tests.unit.conversation import (
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    device_id,
    group_id,
    page,
)
from ansible_collections.esper.mdm.tests.unit.module_harness import run_module

GROUPS_PATH = 'enterprise/%s/devicegroup/' % ENTERPRISE_ID
LIST = {'limit': 1000, 'offset': 0}
GROUPS = [{'id': group_id(1), 'name': 'All devices', 'parent': None},
          {'id': group_id(2), 'name': 'Store-1', 'parent': group_id(1), 'path': 'All devices/Store-1'}]
KEYS = ['alias', 'api_level', 'group_id', 'group_name', 'group_path', 'id', 'imei', 'last_seen', 'model', 'name', 'os',
        'os_version', 'platform', 'serial', 'state', 'state_code', 'tag_ids', 'tags', 'timezone']


def device(number, name, state=1, platform='ANDROID'):
    return {'id': device_id(number), 'name': name, 'alias': None, 'platform': platform, 'os_version': '10', 'state': state,
            'serial': 'SER%d' % number, 'group_id': group_id(2), 'tags': []}


def v2_page(devices):
    return {'content': {'count': len(devices), 'next': None, 'prev': None, 'results': devices}}


def run(args, exchanges, check_mode=False):
    conversation = Conversation(exchanges)
    result = run_module(esper_device_info.main, args, conversation, check_mode=check_mode)
    conversation.assert_done()
    result['requests_made'] = conversation.requests
    return result


@pytest.mark.parametrize('check_mode', [False, True])
def test_filtered_devices_with_their_settings(monkeypatch, check_mode):
    monkeypatch.setattr(esper_device_info, 'DEVICESTATE_WORKERS', 1)
    query = dict(LIST, group_multi=group_id(2), platform='ANDROID', serial='SER1')
    result = run({'groups': ['Store-1'], 'states': ['online', 'registered'], 'platforms': ['android'],
                  'serial': 'SER1', 'devicestate': True}, [
        Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False)),
        Exchange('GET', 'v2/devices/', params=dict(query, state='1'), body=v2_page([device(1, 'kiosk-1')])),
        Exchange('GET', 'v2/devices/', params=dict(query, state='200'), body=v2_page([])),
        Exchange('GET', 'device/v0/devices/%s/devicestate' % device_id(1), body={'brightness_scale': 60}),
    ], check_mode=check_mode)
    assert result['changed'] is False and not result.get('failed')
    assert len(result['devices']) == 1
    found = result['devices'][0]
    assert sorted(key for key in found if key != 'devicestate') == KEYS
    assert found['group_path'] == 'All devices/Store-1' and found['api_level'] == 29 and found['devicestate'] == {'brightness_scale': 60}
    assert all(request['method'] == 'GET' for request in result['requests_made'])


def test_named_devices_keep_only_those_the_filters_pass():
    result = run({'devices': ['kiosk-1', 'kiosk-2'], 'states': ['offline']}, [
        Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False)),
        Exchange('GET', 'v2/devices/', params=LIST, body=v2_page([device(1, 'kiosk-1'), device(2, 'kiosk-2', state=60)])),
        Exchange('GET', 'v2/devices/', params=dict(LIST, state='60'), body=v2_page([device(2, 'kiosk-2', state=60)])),
    ])
    assert [item['name'] for item in result['devices']] == ['kiosk-2'] and result['devices'][0]['state'] == 'offline'


def test_unknown_state_codes_are_reported_not_failed():
    result = run({}, [
        Exchange('GET', GROUPS_PATH, params=LIST, body=page([], enveloped=False)),
        Exchange('GET', 'v2/devices/', params=LIST, body=v2_page([device(1, 'odd', state=230), device(2, 'reg', state=200)])),
    ])
    assert [(item['state'], item['state_code']) for item in result['devices']] == [('unknown', 230), ('registered', 200)]
    assert result['devices'][0]['group_name'] is None


def test_bad_input_fails_before_any_request():
    result = run({'states': ['sleeping'], 'platforms': ['ios'], 'devices': ['6f1c2d3e-0000-4a5b-8c9d-00000000000Z'], 'groups': ['']},
                 [])
    assert result['failed'] and len(result['problems']) == 4
    assert result['problems'][0].startswith("states[0] 'sleeping' is not a device state; use one of ")
    assert result['problems'][1].startswith("platforms[0] 'ios' is not a platform")
    assert 'is not a valid UUID' in result['problems'][2] and result['problems'][3] == 'groups[0] is empty; give a name or a UUID'


def test_unknown_names_list_candidates():
    result = run({'devices': ['kiosk-3']}, [
        Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False)),
        Exchange('GET', 'v2/devices/', params=LIST, body=v2_page([device(1, 'kiosk-1'), device(2, 'kiosk-2')])),
    ])
    assert result['failed'] and result['msg'] == "device 'kiosk-3' not found; similar names: 'kiosk-2', 'kiosk-1'"
    result = run({'groups': ['Store-2']}, [Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False))])
    assert result['msg'] == "groups: group 'Store-2' not found; similar names: 'Store-1'"
