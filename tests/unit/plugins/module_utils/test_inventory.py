# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_inventory.py: states, the group tree, host and group names, device_facts,
and the scripted requests of read_fleet and direct_member_ids (CONTRACT §7.5, §12.1, §13)."""

from __future__ import annotations

import random

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._inventory import (
    ancestor_ids,
    ansible_group_names,
    assign_hostnames,
    descendant_ids,
    device_facts,
    device_listing_params,
    device_state,
    direct_member_ids,
    group_records,
    hostname_problems,
    parse_platforms,
    parse_states,
    read_fleet,
    reference_id,
    resolve_tag_refs,
    safe_group_name,
    state_name,
)
from ansible_collections.esper.mdm.plugins.module_utils._targets import TargetError
from ansible_collections.esper.mdm.tests.unit.conversation import (
    BASE_URL,
    ENTERPRISE_ID,
    Exchange,
    device_id,
    group_id,
    page,
    scripted_client,
)

GROUPS_PATH = 'enterprise/%s/devicegroup/' % ENTERPRISE_ID
TAGS_PATH = 'enterprise/%s/tags/' % ENTERPRISE_ID
TAG_LAB = '3c4d5e6f-0000-4000-8000-000000000001'
TAG_PILOT = '3c4d5e6f-0000-4000-8000-000000000002'


def group(number, name, parent=None, path=None):
    record = {'id': group_id(number), 'name': name, 'device_count': 0, 'children_count': 0, 'path': path,
              'parent': '%s/enterprise/%s/devicegroup/%s/' % (BASE_URL, ENTERPRISE_ID, group_id(parent)) if parent else None}
    if path is None:
        del record['path']
    return record


TREE = [group(1, 'All devices'), group(2, 'Retail', 1), group(3, 'TestBB', 1), group(4, 'TestBB', 3), group(5, 'Store 1', 2),
        group(6, 'Store_1', 2)]


def v2_device(number, name, state=1, platform='ANDROID', group_number=None, tags=None, os_version='9'):
    return {'id': device_id(number), 'name': name, 'alias': 'Alias %d' % number, 'platform': platform, 'os': 'Android',
            'os_version': os_version, 'state': state, 'serial': 'SER%d' % number, 'group_id': group_id(group_number) if group_number else None,
            'tags': tags or [], 'last_seen': '2025-01-01T00:00:00Z', 'network_info': {'imei1': '35%d' % number},
            'hardware_info': {'model': 'Kiosk-10'}}


def v2_page(devices):
    return {'content': {'count': len(devices), 'next': None, 'prev': None, 'results': devices}}


# --- states and platforms


@pytest.mark.parametrize('record, expected', [
    ({'state': 1}, ('online', 1)),
    ({'state': 200}, ('registered', 200)),
    ({'state': 230}, ('unknown', 230)),
    ({'status': 60}, ('offline', 60)),
    ({'state': '70'}, ('wipe_in_progress', 70)),
    ({'state': 'Online'}, ('online', 1)),
    ({'state': 'sleeping'}, ('unknown', None)),
    ({'state': None}, ('unknown', None)),
    ({'state': True}, ('unknown', None)),
    ({}, ('unknown', None)),
])
def test_device_state_never_fails(record, expected):
    assert device_state(record) == expected


def test_state_name_of_codes():
    names = [state_name(code) for code in (0, 20, 90, 190, 5, None)]
    assert names == ['unspecified', 'disabled', 'onboarding_failed', 'custom_settings_processed', 'unknown', 'unknown']


def test_parse_states_accepts_names_codes_and_aliases():
    assert parse_states(['online', 'Offline', '200', 60, 'active', 'wipe in progress']) == ([1, 60, 200, 70], [])
    codes, problems = parse_states(['online', 'sleeping', '230'])
    assert codes == [1]
    assert len(problems) == 2 and problems[0].startswith("states[1] 'sleeping' is not a device state; use one of ")
    assert 'online' in problems[0] and '200' in problems[0] and problems[1].startswith("states[2] '230'")


def test_parse_platforms_any_case():
    assert parse_platforms(['android', 'Apple', 'LINUX', 'android']) == (['ANDROID', 'APPLE', 'LINUX'], [])
    assert parse_platforms(['ios'], option='platforms')[1] == [
        "platforms[0] 'ios' is not a platform; use one of ANDROID, APPLE, WINDOWS, LINUX (any case)"]


def test_hostname_problems():
    assert hostname_problems(['device_name', 'id']) == []
    assert hostname_problems([]) == ['hostnames must name at least one of alias, alias_name, device_name, id, imei, name, serial']
    assert hostname_problems(['mac'])[0].startswith("hostnames[0] 'mac' is not a host name source")


# --- groups


def test_group_records_read_parents_from_urls_and_build_paths():
    records = dict((record['id'], record) for record in group_records(TREE))
    assert records[group_id(1)]['parent'] is None and records[group_id(1)]['path'] == 'All devices'
    assert records[group_id(4)]['parent'] == group_id(3)
    assert records[group_id(4)]['path'] == 'All devices/TestBB/TestBB'
    assert records[group_id(1)]['children'] == [group_id(2), group_id(3)]
    assert descendant_ids(records, group_id(2)) == [group_id(2), group_id(5), group_id(6)]
    assert ancestor_ids(records, group_id(4)) == [group_id(3), group_id(1)]
    # A path the API gives is kept as it is.
    assert group_records([group(7, 'X', path='All devices/Y/X')])[0]['path'] == 'All devices/Y/X'


def test_reference_id_reads_uuids_and_urls():
    assert reference_id(group_id(3).upper()) == group_id(3)
    assert reference_id('https://x/api/enterprise/e/devicegroup/%s/' % group_id(3)) == group_id(3)
    assert reference_id('not a group') is None and reference_id(None) is None


def test_ansible_group_names_are_valid_unique_and_independent_of_order():
    names = ansible_group_names(group_records(TREE))
    assert names[group_id(1)] == 'esper_group_All_devices'
    assert names[group_id(2)] == 'esper_group_Retail'
    # Two groups named TestBB: both named by their paths below the root.
    assert names[group_id(3)] == 'esper_group_TestBB' and names[group_id(4)] == 'esper_group_TestBB_TestBB'
    # "Store 1" and "Store_1" make the same safe name and the same safe path; these test ids also share their first
    # 8 characters, so each ends in its whole id.
    assert names[group_id(5)] == 'esper_group_Retail_Store_1_0b9a8c7d_1111_4e2f_9a0b_000000000005'
    assert names[group_id(6)] == 'esper_group_Retail_Store_1_0b9a8c7d_1111_4e2f_9a0b_000000000006'
    other = dict(group(6, 'Store_1', 2), id='aa000000-0000-4000-8000-000000000006')
    assert ansible_group_names(group_records(TREE[:5] + [other]))[other['id']] == 'esper_group_Retail_Store_1_aa000000'
    assert len(set(names.values())) == len(TREE)
    shuffled = list(TREE)
    random.Random(4).shuffle(shuffled)
    assert ansible_group_names(group_records(shuffled)) == names
    assert safe_group_name('Zürich West/1') == 'Z_rich_West_1'


# --- host names


def facts(number, name, alias=None, serial=None):
    return {'id': device_id(number), 'name': name, 'alias': alias, 'serial': serial}


def test_hostnames_take_the_first_preference_with_a_value():
    names, collisions = assign_hostnames([facts(1, 'kiosk-1'), facts(2, None, 'Lobby'), facts(3, None)])
    assert names == ['kiosk-1', 'Lobby', device_id(3)] and collisions == []


def test_a_shared_name_falls_to_the_next_preference_whatever_the_order():
    devices = [facts(1, 'Lobby', 'Left', 'S1'), facts(2, 'Lobby', 'Right', 'S2'), facts(3, 'kiosk-3')]
    names, collisions = assign_hostnames(devices)
    assert names == ['Left', 'Right', 'kiosk-3']
    assert collisions == [{'name': 'Lobby', 'devices': [device_id(1), device_id(2)]}]
    reversed_names, dummy = assign_hostnames(list(reversed(devices)))
    assert reversed_names == list(reversed(names))


def test_the_device_whose_own_name_it_is_keeps_it_over_an_alias():
    # Device 2's alias is device 1's name: device 1 wanted it with an earlier preference and keeps it.
    names, collisions = assign_hostnames([facts(1, 'kiosk-1'), facts(2, 'kiosk-1', 'kiosk-1-alias'), facts(3, 'x', 'kiosk-1')])
    assert names[1] == 'kiosk-1-alias' and len(set(names)) == 3
    assert collisions[0]['name'] == 'kiosk-1'


def test_equal_names_aliases_and_serials_end_at_the_ids():
    names, collisions = assign_hostnames([facts(1, 'A', 'B', 'C'), facts(2, 'A', 'B', 'C')], ['device_name', 'alias_name', 'serial'])
    assert names == [device_id(1), device_id(2)]
    assert [item['name'] for item in collisions] == ['A', 'B', 'C']


def test_a_name_that_is_another_devices_id_never_shares_a_host():
    names, dummy = assign_hostnames([facts(1, device_id(2)), facts(2, None)])
    assert len(set(names)) == 2 and names[1] == device_id(2)


# --- device facts


def test_device_facts_of_a_v2_record():
    records = dict((record['id'], record) for record in group_records(TREE))
    result = device_facts(v2_device(1, 'kiosk-1', group_number=5, tags=[TAG_LAB, TAG_PILOT.upper()]), records, {TAG_LAB: 'lab'})
    assert result == {
        'id': device_id(1), 'name': 'kiosk-1', 'alias': 'Alias 1', 'serial': 'SER1', 'imei': '351', 'platform': 'ANDROID',
        'os': 'Android', 'os_version': '9', 'api_level': 28, 'model': 'Kiosk-10', 'state': 'online', 'state_code': 1,
        'group_id': group_id(5), 'group_name': 'Store 1', 'group_path': 'All devices/Retail/Store 1',
        'tags': ['lab', TAG_PILOT.upper()], 'tag_ids': [TAG_LAB, TAG_PILOT.upper()], 'timezone': None,
        'last_seen': '2025-01-01T00:00:00Z'}


def test_device_facts_of_a_legacy_record_and_of_odd_values():
    legacy = {'id': device_id(2), 'device_name': 'kiosk-2', 'alias_name': '', 'status': 200, 'api_level': 30,
              'groups': ['%s/enterprise/%s/devicegroup/%s/' % (BASE_URL, ENTERPRISE_ID, group_id(2))], 'tags': None,
              'hardwareInfo': {'serialNumber': 'LEG2'}, 'networkInfo': {'imei1': None}, 'softwareInfo': {'androidVersion': '11'},
              'timezone_string': 'Europe/Paris'}
    result = device_facts(legacy)
    assert (result['name'], result['alias'], result['serial'], result['imei']) == ('kiosk-2', None, 'LEG2', None)
    assert (result['state'], result['state_code'], result['api_level']) == ('registered', 200, 30)
    assert (result['group_id'], result['group_name'], result['tags'], result['timezone']) == (group_id(2), None, [], 'Europe/Paris')
    assert device_facts({'id': device_id(3), 'state': 999})['state'] == 'unknown'


# --- requests


def test_listing_params_one_per_state():
    assert device_listing_params() == [{}]
    assert device_listing_params([group_id(1), group_id(2)], [1, 60], ['ANDROID', 'APPLE'], [TAG_LAB], ' kiosk ', 'S1') == [
        {'group_multi': '%s,%s' % (group_id(1), group_id(2)), 'platform': 'ANDROID,APPLE', 'tags': TAG_LAB, 'search': 'kiosk',
         'serial': 'S1', 'state': '1'},
        {'group_multi': '%s,%s' % (group_id(1), group_id(2)), 'platform': 'ANDROID,APPLE', 'tags': TAG_LAB, 'search': 'kiosk',
         'serial': 'S1', 'state': '60'}]


def test_read_fleet_without_filters_lists_groups_and_devices_once():
    client, conversation = scripted_client([
        Exchange('GET', GROUPS_PATH, params={'limit': 1000, 'offset': 0}, body=page(TREE, enveloped=False)),
        Exchange('GET', 'v2/devices/', params={'limit': 1000, 'offset': 0},
                 body=v2_page([v2_device(1, 'kiosk-1', group_number=2), v2_device(2, 'kiosk-2', state=230)])),
    ])
    devices, records, tag_names = read_fleet(client)
    conversation.assert_done()
    assert [device['name'] for device in devices] == ['kiosk-1', 'kiosk-2'] and tag_names is None
    assert devices[0]['group_path'] == 'All devices/Retail' and devices[1]['state'] == 'unknown'
    assert len(records) == len(TREE)


def test_read_fleet_sends_every_filter_and_reads_tags_for_names():
    tags = [{'id': TAG_LAB, 'tag': 'lab'}, {'id': TAG_PILOT, 'tag': 'pilot'}]
    query = {'group_multi': group_id(2), 'platform': 'ANDROID', 'tags': '%s,%s' % (TAG_LAB, TAG_PILOT), 'search': 'k', 'limit': 1000,
             'offset': 0}
    client, conversation = scripted_client([
        Exchange('GET', GROUPS_PATH, body=page(TREE, enveloped=False)),
        Exchange('GET', TAGS_PATH, params={'ordering': 'tag', 'limit': 1000, 'offset': 0}, body=page(tags, enveloped=False)),
        Exchange('GET', 'v2/devices/', params=dict(query, state='1'), body=v2_page([v2_device(1, 'kiosk-1', tags=[TAG_LAB])])),
        Exchange('GET', 'v2/devices/', params=dict(query, state='200'), body=v2_page([v2_device(1, 'kiosk-1', tags=[TAG_LAB]),
                                                                                      v2_device(3, 'reg', state=200)])),
    ])
    devices, dummy, tag_names = read_fleet(client, device_groups=['All devices/Retail'], states=[1, 200], platforms=['ANDROID'],
                                           tags=['lab', TAG_PILOT], search='k')
    conversation.assert_done()
    assert [device['name'] for device in devices] == ['kiosk-1', 'reg'] and devices[0]['tags'] == ['lab']
    assert tag_names == {TAG_LAB: 'lab', TAG_PILOT: 'pilot'}


def test_tag_ids_are_shown_when_the_tag_listing_is_missing():
    client, conversation = scripted_client([
        Exchange('GET', GROUPS_PATH, body=page([], enveloped=False)),
        Exchange('GET', 'v2/devices/', params={'tags': TAG_LAB, 'limit': 1000, 'offset': 0},
                 body=v2_page([v2_device(1, 'kiosk-1', tags=[TAG_LAB])])),
        Exchange('GET', TAGS_PATH, status=404, body={'message': 'Not found'}),
    ])
    devices, dummy, tag_names = read_fleet(client, tags=[TAG_LAB])
    conversation.assert_done()
    assert devices[0]['tags'] == [TAG_LAB] and tag_names is None


def test_bad_group_and_tag_references_fail_before_any_device_listing():
    client, conversation = scripted_client([
        Exchange('GET', GROUPS_PATH, body=page(TREE, enveloped=False)),
    ])
    with pytest.raises(TargetError) as raised:
        read_fleet(client, device_groups=['TestBB', 'Retial'])
    conversation.assert_done()
    assert raised.value.problems[0].startswith("device_groups: group name 'TestBB' matches 2 groups")
    assert 'All devices/TestBB/TestBB' in raised.value.problems[0]
    assert raised.value.problems[1] == "device_groups: group 'Retial' not found; similar names: 'Retail'"
    with pytest.raises(TargetError) as raised:
        resolve_tag_refs(None, ['lab'])
    assert 'give tag UUIDs' in str(raised.value)
    with pytest.raises(TargetError) as raised:
        resolve_tag_refs({TAG_LAB: 'lab'}, ['LAB', 'field'])
    assert str(raised.value) == "tags: tag 'field' not found; known tags: lab"


def test_read_fleet_with_devices_and_android_details():
    legacy = {'id': device_id(1), 'api_level': 31, 'timezone_string': 'Asia/Tokyo'}
    client, conversation = scripted_client([
        Exchange('GET', GROUPS_PATH, body=page([], enveloped=False)),
        Exchange('GET', 'v2/devices/%s' % device_id(1), body={'content': v2_device(1, 'kiosk-1', os_version='12')}),
        Exchange('GET', 'enterprise/%s/device/%s/' % (ENTERPRISE_ID, device_id(1)), body=legacy),
    ])
    devices, dummy, dummy = read_fleet(client, devices=[device_id(1)], android_details=True)
    conversation.assert_done()
    assert (devices[0]['api_level'], devices[0]['timezone']) == (31, 'Asia/Tokyo')


def test_direct_member_ids_batches_group_multi_immediate():
    client, conversation = scripted_client([
        Exchange('GET', 'v2/devices/', params={'group_multi_immediate': '%s,%s' % (group_id(1), group_id(2)), 'limit': 1000, 'offset': 0},
                 body=v2_page([v2_device(1, 'a', group_number=2), v2_device(2, 'b', group_number=2)])),
        Exchange('GET', 'v2/devices/', params={'group_multi_immediate': group_id(3), 'limit': 1000, 'offset': 0}, body=v2_page([])),
    ])
    members = direct_member_ids(client, [group_id(1), group_id(2), group_id(3)], batch=2)
    conversation.assert_done()
    assert members == {group_id(1): [], group_id(2): [device_id(1), device_id(2)], group_id(3): []}
