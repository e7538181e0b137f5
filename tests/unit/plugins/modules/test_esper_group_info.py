# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for esper_group_info against scripted HTTP conversations."""

from __future__ import annotations

import pytest

from ansible_collections.esper.mdm.plugins.modules import esper_group_info
from ansible_collections.esper.mdm.tests.unit.conversation import (
    BASE_URL,
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


def group(number, name, parent=None, device_count=0):
    return {'id': group_id(number), 'name': name, 'device_count': device_count, 'children_count': 0,
            'parent': '%s/enterprise/%s/devicegroup/%s/' % (BASE_URL, ENTERPRISE_ID, group_id(parent)) if parent else None}


GROUPS = [group(1, 'All devices'), group(2, 'TestBB', 1), group(3, 'TestBB', 2, 1), group(4, 'Other', 2)]


def run(args, exchanges, check_mode=False):
    conversation = Conversation(exchanges)
    result = run_module(esper_group_info.main, args, conversation, check_mode=check_mode)
    conversation.assert_done()
    return result


@pytest.mark.parametrize('check_mode', [False, True])
def test_every_group_with_the_root(check_mode):
    result = run({}, [Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False))], check_mode=check_mode)
    assert result['changed'] is False
    root, outer, inner, other = result['groups']
    assert root == {'id': group_id(1), 'name': 'All devices', 'path': 'All devices', 'parent': None,
                    'children': [group_id(2)], 'device_count': 0, 'children_count': 0}
    assert outer['children'] == [group_id(3), group_id(4)] and inner['path'] == 'All devices/TestBB/TestBB'
    assert inner['parent'] == group_id(2) and other['path'] == 'All devices/TestBB/Other'


def test_children_of_a_parent_by_path_with_direct_members():
    result = run({'parent': 'All devices/TestBB', 'devices': True}, [
        Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False)),
        Exchange('GET', 'v2/devices/', params=dict(LIST, group_multi_immediate='%s,%s' % (group_id(3), group_id(4))),
                 body={'content': {'count': 1, 'next': None, 'prev': None, 'results': [
                     {'id': device_id(7), 'name': 'Lobby', 'group_id': group_id(3)}]}}),
    ])
    assert [(item['name'], item['devices']) for item in result['groups']] == [('TestBB', [device_id(7)]), ('Other', [])]


def test_every_group_with_members_lists_the_fleet_once():
    result = run({'devices': True}, [
        Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False)),
        Exchange('GET', 'v2/devices/', params=LIST, body={'content': {'count': 2, 'next': None, 'prev': None, 'results': [
            {'id': device_id(1), 'group_id': group_id(4)}, {'id': device_id(2), 'group_id': None}]}}),
    ])
    assert [item['devices'] for item in result['groups']] == [[], [], [], [device_id(1)]]


def test_ambiguous_and_unknown_groups():
    result = run({'groups': ['TestBB', 'Othre', group_id(9)]}, [Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False))])
    assert result['failed'] and len(result['problems']) == 3
    assert result['problems'][0] == ("groups: group name 'TestBB' matches 2 groups: %s (All devices/TestBB), %s (All devices/TestBB/TestBB); "
                                     "give the UUID or the path instead" % (group_id(2), group_id(3)))
    assert result['problems'][1] == "groups: group 'Othre' not found; similar names: 'Other'"
    assert result['problems'][2] == 'groups: group %s not found in enterprise' % group_id(9)


def test_an_empty_parent_fails_before_any_request():
    result = run({'parent': ' ', 'groups': ['']}, [])
    assert result['failed'] and result['problems'] == ['groups[0] is empty; give a name or a UUID',
                                                       'parent is empty; give a group UUID, name or path']
