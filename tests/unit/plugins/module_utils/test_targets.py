# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_targets.py: every request is scripted and checked.

Devices are resolved from /v2/devices/ (every platform, CONTRACT §13.2); the legacy enterprise/<eid>/device/ API,
Android only (§13.1), is read only for the fields v2 lacks (with_legacy_fields).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperAuthError
from ansible_collections.esper.mdm.plugins.module_utils._targets import (
    TargetError,
    android_api_level,
    choose_id_reads,
    command_platforms,
    device_alias,
    device_api_level,
    device_label,
    device_platform,
    expand_groups,
    group_has_unsupported_devices,
    groups_device_count,
    is_uuid,
    normalise_device,
    reference_problems,
    resolve_devices,
    resolve_groups,
    split_by_platform,
    target_argument_spec,
    target_device,
    target_devices,
    target_problems,
    with_api_levels,
    with_legacy_fields,
    with_timezones,
)
from ansible_collections.esper.mdm.tests.unit.conversation import (
    BASE_URL,
    ENTERPRISE_ID,
    Exchange,
    device_id,
    group_id,
    page,
    scripted_client as make_client,
)

DEVICE_PATH = 'v2/devices/'
LEGACY_DEVICE_PATH = 'enterprise/%s/device/' % ENTERPRISE_ID
GROUP_PATH = 'enterprise/%s/devicegroup/' % ENTERPRISE_ID
PLATFORM_OS = {'ANDROID': 'Android', 'APPLE': 'iOS', 'WINDOWS': 'Windows', 'LINUX': 'Linux'}


def device(number, name=None, alias=None, platform='ANDROID', os_version=None):
    """A /v2/devices record (§13.3): name and alias, platform and os, state; no api_level, no timezone_string."""
    return {'id': device_id(number), 'name': name or 'device-%d' % number, 'alias': alias, 'platform': platform,
            'os': PLATFORM_OS[platform], 'os_version': os_version or ('11' if platform == 'ANDROID' else '17.4'),
            'state': 1, 'serial': 'SN%04d' % number, 'group_id': None, 'tags': []}


def legacy(number, name=None, api_level=30, timezone='Europe/Berlin'):
    """A legacy DeviceInfo (§7.2), which exists for Android devices only."""
    return {'id': device_id(number), 'device_name': name or 'device-%d' % number, 'alias_name': None,
            'api_level': api_level, 'status': 1, 'state': 1, 'timezone_string': timezone}


def group(number, name, count=0, path=None):
    return {'id': group_id(number), 'name': name, 'device_count': count, 'path': path or 'All devices/%s' % name}


def next_url(path, offset, params=None, limit=1000):
    # Like the API, next links carry the filters along with limit and offset.
    return '%s/%s?%s' % (BASE_URL, path, urlencode(dict(params or {}, limit=limit, offset=offset)))


def listing(path, pages, params=None):
    """Exchanges for one paginated listing split into the given pages.

    /v2/devices/ pages come as {"content": {count, prev, next, results}} with no code or message (§13.2); the legacy
    listings are bare {count, next, previous, results}.
    """
    total = sum(len(items) for items in pages)
    exchanges = []
    offset = 0
    for index, items in enumerate(pages):
        offset += len(items)
        following = next_url(path, offset, params) if index + 1 < len(pages) else None
        if path == DEVICE_PATH:
            body = {'content': page(items, count=total, next_url=following, enveloped=False, prev_key='prev')}
        else:
            body = page(items, count=total, next_url=following, enveloped=False)
        exchanges.append(Exchange('GET', path, params=params, params_subset=params is not None, body=body))
    return exchanges


def one_device(number, record=None):
    """GET v2/devices/<id> (no trailing slash, as the spec writes it) answered {"content": device}."""
    return Exchange('GET', DEVICE_PATH + device_id(number), body={'content': record or device(number)})


def not_found(path):
    if path.startswith(DEVICE_PATH):
        return Exchange('GET', path, status=404, body={'code': 404, 'message': 'Not found', 'content': {}})
    return Exchange('GET', path, status=404, body={'errors': [], 'message': 'Not found', 'status': 404})


FLEET = [device(1, 'lobby-kiosk'), device(2, 'till-1'), device(3, 'till-10'),
         device(4, 'backroom', alias='stockroom'), device(5, 'till-dup'), device(6, 'till-dup'),
         device(7, 'front-door', alias='lobby-kiosk')]


# --- small readers ---------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('6f1c2d3e-0000-4a5b-8c9d-000000000001', True),
    ('6F1C2D3E-0000-4A5B-8C9D-00000000000A', True),
    ('6f1c2d3e00004a5b8c9d000000000001', False),
    ('{6f1c2d3e-0000-4a5b-8c9d-000000000001}', False),
    ('6f1c2d3e-0000-4a5b-8c9d-00000000001', False),
    ('6f1c2d3e-0000-4a5b-8c9d-00000000000g', False),
    ('till-1', False),
    ('', False),
    (None, False),
    (12345, False),
])
def test_is_uuid(value, expected):
    assert is_uuid(value) is expected


def test_device_label_prefers_name_then_id():
    assert device_label({'id': device_id(1), 'device_name': 'till-1'}) == 'till-1'
    assert device_label({'id': device_id(1), 'device_name': ''}) == device_id(1)
    assert device_label({'id': device_id(1)}) == device_id(1)
    assert device_label(device_id(2)) == device_id(2)


@pytest.mark.parametrize('info, expected', [
    ({'platform': 'ANDROID'}, 'ANDROID'),
    ({'platform': 'apple'}, 'APPLE'),
    ({'os': 'iPadOS'}, 'APPLE'),
    ({'os': 'Windows'}, 'WINDOWS'),
    ({'os': 'Linux'}, 'LINUX'),
    ({'platform': '', 'os': 'Android'}, 'ANDROID'),
    ({'api_level': 30}, None),
    ({}, None),
    ('not a dict', None),
])
def test_device_platform(info, expected):
    assert device_platform(info) == expected


@pytest.mark.parametrize('info, expected', [
    ({'api_level': 30}, 30),
    ({'api_level': '29'}, 29),
    ({'api_level': None}, None),
    ({'api_level': 'eleven'}, None),
    ({'api_level': True}, None),
    ({}, None),
    (None, None),
])
def test_device_api_level(info, expected):
    assert device_api_level(info) == expected


# --- resolve_devices -------------------------------------------------------------------------

def test_no_refs_makes_no_request():
    client, conversation = make_client([])
    assert resolve_devices(client, []) == []
    assert resolve_devices(client, None) == []
    conversation.assert_done()


def test_names_and_uuids_mixed_use_one_listing_across_pages_and_keep_input_order():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET[:3], FLEET[3:6], FLEET[6:]]))
    refs = ['front-door', device_id(2), 'backroom', device_id(6).upper(), 'till-10']
    resolved = resolve_devices(client, refs)
    assert [d['id'] for d in resolved] == [device_id(7), device_id(2), device_id(4), device_id(6), device_id(3)]
    conversation.assert_done()
    assert conversation.count('GET') == 3


def test_listing_asks_for_large_pages():
    exchanges = listing(DEVICE_PATH, [FLEET])
    exchanges[0].params = {'limit': 1000, 'offset': 0}
    exchanges[0].params_subset = True
    client, conversation = make_client(exchanges)
    assert resolve_devices(client, ['till-1'])[0]['id'] == device_id(2)
    conversation.assert_done()


def test_name_match_is_exact_not_partial():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    resolved = resolve_devices(client, ['till-1'])
    assert [d['id'] for d in resolved] == [device_id(2)]
    conversation.assert_done()


def test_partial_name_is_an_error_that_suggests_the_full_names():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, ['TILL'])
    message = str(caught.value)
    assert "device 'TILL' not found" in message
    for name in ('till-1', 'till-10', 'till-dup'):
        assert repr(name) in message
    assert 'lobby-kiosk' not in message
    conversation.assert_done()


def test_alias_is_used_when_no_device_name_matches():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    assert [d['id'] for d in resolve_devices(client, ['stockroom'])] == [device_id(4)]
    conversation.assert_done()


def test_device_name_wins_over_another_devices_alias():
    # device 1 is named lobby-kiosk, device 7 has it as alias: the name match decides, no ambiguity.
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    assert [d['id'] for d in resolve_devices(client, ['lobby-kiosk'])] == [device_id(1)]
    conversation.assert_done()


def test_unknown_name_lists_at_most_ten_similar_names():
    fleet = [device(n, 'scanner-%02d' % n) for n in range(1, 16)] + [device(99, 'printer')]
    client, conversation = make_client(listing(DEVICE_PATH, [fleet]))
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, ['scanner'])
    error = caught.value
    assert len(error.problems) == 1
    suggested = [name for name in ('scanner-%02d' % n for n in range(1, 16)) if repr(name) in str(error)]
    assert len(suggested) == 10
    assert 'printer' not in str(error)
    conversation.assert_done()


def test_unknown_name_with_a_typo_gets_close_matches():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, ['bakroom'])
    assert "similar names: 'backroom'" in str(caught.value)
    conversation.assert_done()


def test_unknown_name_with_nothing_similar_says_so_plainly():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, ['zzzzzzzz'])
    assert caught.value.problems == ["device 'zzzzzzzz' not found"]
    conversation.assert_done()


def test_ambiguous_name_lists_every_matching_id():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, ['till-dup'])
    message = str(caught.value)
    assert "device name 'till-dup' matches 2 devices" in message
    assert device_id(5) in message and device_id(6) in message
    assert 'UUID' in message
    conversation.assert_done()


def test_every_bad_reference_is_reported_in_one_error():
    missing_uuid = device_id(404)
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, ['till-1', 'nope-device', 'till-dup', missing_uuid, ''])
    problems = caught.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("device 'nope-device' not found")
    assert problems[1].startswith("device name 'till-dup' matches 2 devices")
    assert problems[2] == 'device %s not found in enterprise' % missing_uuid
    assert problems[3] == 'empty device reference'
    assert str(caught.value) == '; '.join(problems)
    conversation.assert_done()


def test_malformed_uuid_is_treated_as_a_name():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, ['6f1c2d3e-0000-4a5b-8c9d-00000000001'])
    assert caught.value.problems[0].startswith("device '6f1c2d3e-0000-4a5b-8c9d-00000000001' not found")
    conversation.assert_done()


def test_a_few_uuids_alone_are_fetched_one_by_one():
    client, conversation = make_client([
        one_device(3, device(3, 'till-10')),
        one_device(1, device(1, 'lobby-kiosk')),
    ])
    resolved = resolve_devices(client, [device_id(3), device_id(1), device_id(3)])
    assert [device_label(d) for d in resolved] == ['till-10', 'lobby-kiosk']
    conversation.assert_done()


def test_twenty_uuids_are_still_fetched_one_by_one():
    numbers = list(range(1, 21))
    client, conversation = make_client([one_device(n) for n in numbers])
    assert [d['id'] for d in resolve_devices(client, [device_id(n) for n in numbers])] == [device_id(n) for n in numbers]
    conversation.assert_done()


def test_unknown_uuids_fetched_one_by_one_are_all_reported():
    client, conversation = make_client([
        not_found(DEVICE_PATH + device_id(8)),
        one_device(1),
        not_found(DEVICE_PATH + device_id(9)),
    ])
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, [device_id(8), device_id(1), device_id(9)])
    assert caught.value.problems == ['device %s not found in enterprise' % device_id(8),
                                     'device %s not found in enterprise' % device_id(9)]
    conversation.assert_done()


def test_errors_other_than_not_found_are_the_clients_own():
    client, conversation = make_client([
        Exchange('GET', DEVICE_PATH + device_id(1), status=401, body={'code': 401, 'message': 'Invalid token', 'content': {}}),
    ])
    with pytest.raises(EsperAuthError):
        resolve_devices(client, [device_id(1), device_id(2)])
    conversation.assert_done()


def test_uuids_that_are_a_large_share_of_the_fleet_are_checked_against_the_whole_listing():
    fleet = [device(n) for n in range(1, 3001)]
    client, conversation = make_client(listing(DEVICE_PATH, [fleet[:1000], fleet[1000:2000], fleet[2000:]]))
    wanted = [device_id(n) for n in range(2500, 0, -1)]
    assert [d['id'] for d in resolve_devices(client, wanted)] == wanted
    conversation.assert_done()
    # 1,500 ids left after the first page cost more one by one than the 2 pages left.
    assert conversation.count('GET') == 3


def test_a_few_uuids_of_a_large_fleet_are_read_one_by_one_after_the_first_page():
    first_page = [device(n) for n in range(1, 1001)]
    body = {'content': page(first_page, count=10000, next_url=next_url(DEVICE_PATH, 1000), enveloped=False, prev_key='prev')}
    later = list(range(5001, 5021))
    wanted = [device_id(n) for n in range(1, 11)] + [device_id(n) for n in later] + [device_id(3)]
    client, conversation = make_client([Exchange('GET', DEVICE_PATH, params={'limit': 1000, 'offset': 0}, body=body)]
                                       + [one_device(n) for n in later])
    resolved = resolve_devices(client, wanted)
    assert [d['id'] for d in resolved] == wanted[:-1]
    conversation.assert_done()
    # One page says the fleet has 10,000 devices: 20 single reads instead of 9 more pages of 1,000.
    assert conversation.count('GET', DEVICE_PATH) == 21
    assert resolved[10]['name'] == 'device-5001'


def test_unknown_uuids_are_refused_by_either_way_before_anything_is_sent():
    first_page = [device(n) for n in range(1, 1001)]
    body = {'content': page(first_page, count=10000, next_url=next_url(DEVICE_PATH, 1000), enveloped=False, prev_key='prev')}
    missing = device_id(9999)
    client, conversation = make_client([Exchange('GET', DEVICE_PATH, params={'limit': 1000, 'offset': 0}, body=body)]
                                       + [one_device(n) for n in range(5001, 5021)] + [not_found(DEVICE_PATH + missing)])
    with pytest.raises(TargetError) as raised:
        resolve_devices(client, [device_id(n) for n in range(5001, 5021)] + [device_id(1), missing])
    assert raised.value.problems == ['device %s not found in enterprise' % missing]
    conversation.assert_done()
    assert conversation.count('POST') == 0

    fleet = [device(n) for n in range(1, 101)]
    client, conversation = make_client(listing(DEVICE_PATH, [fleet[:50], fleet[50:]]))
    with pytest.raises(TargetError) as raised:
        resolve_devices(client, [device_id(n) for n in range(1, 100)] + [missing])
    assert raised.value.problems == ['device %s not found in enterprise' % missing]
    conversation.assert_done()


def test_a_listing_without_count_is_read_to_the_end():
    fleet = [device(n) for n in range(1, 31)]
    pages = listing(DEVICE_PATH, [fleet[:15], fleet[15:]])
    for exchange in pages:
        exchange.body['content']['count'] = None
    client, conversation = make_client(pages)
    wanted = [device_id(n) for n in range(21, 0, -1)]
    assert [d['id'] for d in resolve_devices(client, wanted)] == wanted
    conversation.assert_done()


@pytest.mark.parametrize('unresolved, remaining, expected', [
    (0, 5000, True),          # everything found already: stop listing
    (20, 9000, True),         # 20 reads < 9 pages
    (225, 9000, True),        # 9 pages cost 225 reads
    (226, 9000, False),
    (1500, 2000, False),
    (5, None, False),         # no count: the rest cannot be priced, the listing goes on
])
def test_choose_id_reads(unresolved, remaining, expected):
    assert choose_id_reads(unresolved, remaining) is expected


def test_name_and_uuid_of_the_same_device_give_it_once():
    client, conversation = make_client(listing(DEVICE_PATH, [FLEET]))
    resolved = resolve_devices(client, ['till-1', device_id(2), 'till-1', 'till-10'])
    assert [d['id'] for d in resolved] == [device_id(2), device_id(3)]
    conversation.assert_done()


# --- groups ----------------------------------------------------------------------------------

GROUPS = [group(1, 'Retail', 40), group(2, 'Store-017', 14), group(3, 'Warehouse', 3),
          group(4, 'Spares', 1, path='All devices/Retail/Spares'), group(5, 'Spares', 2, path='All devices/Warehouse/Spares')]


def test_no_group_refs_makes_no_request():
    client, conversation = make_client([])
    assert resolve_groups(client, []) == []
    conversation.assert_done()


def test_groups_by_name_and_uuid_with_one_paginated_listing():
    client, conversation = make_client(listing(GROUP_PATH, [GROUPS[:2], GROUPS[2:]]))
    resolved = resolve_groups(client, ['Warehouse', group_id(1), 'Store-017', 'Warehouse'])
    assert [g['id'] for g in resolved] == [group_id(3), group_id(1), group_id(2)]
    assert [g['device_count'] for g in resolved] == [3, 40, 14]
    conversation.assert_done()


def test_group_names_match_exactly_and_all_problems_are_reported():
    client, conversation = make_client(listing(GROUP_PATH, [GROUPS]))
    with pytest.raises(TargetError) as caught:
        resolve_groups(client, ['store-017', 'Spares', group_id(77), 'Retail'])
    problems = caught.value.problems
    assert len(problems) == 3
    assert problems[0] == "group 'store-017' not found; similar names: 'Store-017'"
    assert problems[1].startswith("group name 'Spares' matches 2 groups: ")
    assert '%s (All devices/Retail/Spares)' % group_id(4) in problems[1]
    assert '%s (All devices/Warehouse/Spares)' % group_id(5) in problems[1]
    assert problems[2] == 'group %s not found in enterprise' % group_id(77)
    conversation.assert_done()


def test_expand_groups_pages_through_each_groups_devices():
    members_1 = [device(n) for n in range(1, 6)]
    members_2 = [device(n) for n in range(4, 8)]
    exchanges = (listing(DEVICE_PATH, [members_1[:3], members_1[3:]], params={'group_multi': group_id(1)})
                 + listing(DEVICE_PATH, [members_2], params={'group_multi': group_id(2)}))
    client, conversation = make_client(exchanges)
    expanded = expand_groups(client, [group(1, 'Retail'), group_id(2)])
    assert list(expanded) == [group_id(1), group_id(2)]
    assert [d['id'] for d in expanded[group_id(1)]] == [device_id(n) for n in range(1, 6)]
    assert [d['id'] for d in expanded[group_id(2)]] == [device_id(n) for n in range(4, 8)]
    conversation.assert_done()


def test_target_devices_merges_devices_and_group_members_without_repeats():
    exchanges = (listing(DEVICE_PATH, [[device(3), device(4)]], params={'group_multi': group_id(1)})
                 + listing(DEVICE_PATH, [[device(4), device(1), device(5)]], params={'group_multi': group_id(2)}))
    client, conversation = make_client(exchanges)
    targets = target_devices(client, [device(1), device(2)], [group(1, 'A'), group(2, 'B')])
    assert [d['id'] for d in targets] == [device_id(n) for n in (1, 2, 3, 4, 5)]
    conversation.assert_done()


def test_target_devices_without_groups_makes_no_request():
    client, conversation = make_client([])
    assert [d['id'] for d in target_devices(client, [device(1), device(1)], [])] == [device_id(1)]
    conversation.assert_done()


@pytest.mark.parametrize('ref, flagged', [
    ('6f1c2d3e-0000-4a5b-8c9d-000000000001', False),      # a valid UUID
    ('kiosk-0001', False),                                 # a name
    ('Store-001', False),
    ('6f1c2d3e-0000-4a5b-8c9d-00000000001', True),        # one digit short
    ('6f1c2d3e-0000-4a5b-8c9d-00000000000z', True),       # not hexadecimal
    ('6f1c2d3e00004a5b8c9d-000000000001', True),          # dashes missing
])
def test_reference_problems_flags_mistyped_uuids_only(ref, flagged):
    problems = reference_problems('devices', ['kiosk-0002', ref])
    assert bool(problems) is flagged
    if flagged:
        assert problems[0].startswith('devices[1] %r is not a valid UUID' % ref)


def test_reference_problems_flags_empty_references():
    assert reference_problems('groups', ['Store-001', '', '  ']) == [
        'groups[1] is empty; give a UUID or a device or group name', 'groups[2] is empty; give a UUID or a device or group name']


def target_params(**overrides):
    params = {'devices': ['kiosk-0001'], 'groups': [], 'wait': True, 'wait_timeout': 300, 'force': False}
    params.update(overrides)
    return params


def test_target_problems_accepts_a_device_or_a_group():
    assert target_problems(target_params()) == []
    assert target_problems(target_params(devices=[], groups=['Store-001'])) == []


def test_target_problems_reports_every_problem_at_once():
    problems = target_problems(target_params(devices=[], groups=['6f1c2d3e-0000-4a5b-8c9d-00000000001'], wait_timeout=-1))
    assert problems == [
        "groups[0] '6f1c2d3e-0000-4a5b-8c9d-00000000001' is not a valid UUID (8-4-4-4-12 hexadecimal digits, such as "
        "6f1c2d3e-0000-4a5b-8c9d-000000000001); give a valid UUID or a device or group name",
        'wait_timeout must be 0 or more seconds, got -1',
    ]
    assert target_problems(target_params(devices=[], groups=[])) == ['at least one of devices or groups is required']


def test_target_argument_spec_matches_the_doc_fragment():
    from ansible_collections.esper.mdm.plugins.doc_fragments.targets import ModuleDocFragment
    import yaml
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    spec = target_argument_spec()
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert documented[name]['type'] == option['type'], name
        assert documented[name].get('default') == option.get('default'), name
        assert documented[name].get('elements') == option.get('elements'), name


@pytest.mark.parametrize('groups, expected', [
    ([{'device_count': 3}, {'device_count': 0}], 3),
    ([{'device_count': 3}, {}], None),
    ([{'device_count': True}], None),
    ([], 0),
])
def test_groups_device_count(groups, expected):
    assert groups_device_count(groups) == expected


# --- the mixed fleet: v2 records of every platform ------------------------------------------

MIXED = [device(1, 'till-1'), device(2, 'ipad-2', alias='front desk', platform='APPLE'),
         device(3, 'surface-3', platform='WINDOWS'), device(4, 'gateway-4', platform='LINUX')]


def test_names_of_ios_windows_and_linux_devices_resolve_from_the_v2_listing():
    exchanges = listing(DEVICE_PATH, [MIXED])
    exchanges[0].params = {'limit': 1000, 'offset': 0}
    exchanges[0].params_subset = False
    client, conversation = make_client(exchanges)
    resolved = resolve_devices(client, ['surface-3', 'ipad-2', 'gateway-4'])
    assert [d['id'] for d in resolved] == [device_id(3), device_id(2), device_id(4)]
    assert [device_platform(d) for d in resolved] == ['WINDOWS', 'APPLE', 'LINUX']
    conversation.assert_done()
    assert conversation.count('GET') == 1 and conversation.count('GET', 'enterprise/') == 0


def test_resolved_targets_keep_only_what_targets_use_and_full_records_keep_everything():
    client, conversation = make_client(listing(DEVICE_PATH, [MIXED]))
    (ipad,) = resolve_devices(client, ['front desk'])
    # A target: id, name, alias, platform and release, in v2 spellings; five keys, so 100,000 of them stay small.
    assert ipad == {'id': device_id(2), 'name': 'ipad-2', 'alias': 'front desk', 'platform': 'APPLE',
                    'os_version': MIXED[1]['os_version']}
    assert (device_label(ipad), device_alias(ipad), device_platform(ipad)) == ('ipad-2', 'front desk', 'APPLE')
    conversation.assert_done()
    # For modules that report on devices (esper_device_info): the whole record, with the DeviceInfo spellings too.
    client, conversation = make_client(listing(DEVICE_PATH, [MIXED]))
    (ipad,) = resolve_devices(client, ['front desk'], full=True)
    assert (ipad['device_name'], ipad['alias_name'], ipad['status']) == ('ipad-2', 'front desk', 1)
    assert (ipad['name'], ipad['alias'], ipad['platform'], ipad['serial']) == ('ipad-2', 'front desk', 'APPLE', 'SN0002')
    conversation.assert_done()
    client, conversation = make_client([one_device(2, MIXED[1])])
    (ipad,) = resolve_devices(client, [device_id(2)], full=True)
    assert ipad['serial'] == 'SN0002' and ipad['device_name'] == 'ipad-2'
    conversation.assert_done()


def test_target_device_takes_legacy_spellings_os_without_platform_and_the_callers_id():
    legacy = {'id': device_id(1), 'device_name': 'till-1', 'alias_name': 'Till', 'os': 'Android', 'status': 1,
              'software_info': {'os_version': '9'}, 'api_level': 28, 'serial': 'X'}
    assert target_device(legacy) == {'id': device_id(1), 'name': 'till-1', 'os': 'Android', 'os_version': '9',
                                     'api_level': 28}
    assert target_device(legacy, alias=True)['alias'] == 'Till'  # for devices named by reference
    assert device_api_level(target_device(legacy)) == 28 and device_platform(target_device(legacy)) == 'ANDROID'
    ref = str(device_id(1))
    assert target_device(legacy, ref)['id'] is ref
    assert target_device(legacy, ref.upper())['id'] == device_id(1)


def test_a_few_uuids_of_other_platforms_are_read_from_v2_by_id():
    client, conversation = make_client([one_device(4, MIXED[3]), one_device(2, MIXED[1])])
    resolved = resolve_devices(client, [device_id(4), device_id(2)])
    assert [(d['id'], device_label(d)) for d in resolved] == [(device_id(4), 'gateway-4'), (device_id(2), 'ipad-2')]
    conversation.assert_done()


def test_an_unknown_uuid_is_refused_whether_read_by_id_or_from_the_listing():
    client, conversation = make_client([one_device(1), not_found(DEVICE_PATH + device_id(99))])
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, [device_id(1), device_id(99)])
    assert caught.value.problems == ['device %s not found in enterprise' % device_id(99)]
    conversation.assert_done()
    # With a name as well, the listing decides: still refused, nothing read by id.
    client, conversation = make_client(listing(DEVICE_PATH, [MIXED]))
    with pytest.raises(TargetError) as caught:
        resolve_devices(client, ['till-1', device_id(99)])
    assert caught.value.problems == ['device %s not found in enterprise' % device_id(99)]
    conversation.assert_done()


def test_a_group_with_every_platform_expands_to_all_its_members_with_pages_of_1000():
    members = MIXED + [device(n) for n in range(5, 9)]
    exchanges = listing(DEVICE_PATH, [members[:5], members[5:]], params={'group_multi': group_id(1)})
    exchanges[0].params = {'group_multi': group_id(1), 'limit': 1000, 'offset': 0}
    exchanges[0].params_subset = False
    client, conversation = make_client(exchanges)
    targets = target_devices(client, [], [group(1, 'Mixed', 8)])
    assert [d['id'] for d in targets] == [device_id(n) for n in range(1, 9)]
    assert [device_platform(d) for d in targets[:4]] == ['ANDROID', 'APPLE', 'WINDOWS', 'LINUX']
    assert all(device_label(d) == d['name'] for d in targets)
    conversation.assert_done()
    assert conversation.count('GET', 'enterprise/') == 0


def test_normalise_device_adds_legacy_spellings_without_overwriting():
    record = {'id': device_id(1), 'name': 'n', 'alias': 'a', 'state': 60, 'platform': 'ANDROID'}
    normalised = normalise_device(record)
    assert normalised == dict(record, device_name='n', alias_name='a', status=60)
    assert 'device_name' not in record  # a copy
    legacy_record = legacy(2)
    assert normalise_device(legacy_record) == legacy_record
    assert normalise_device(dict(legacy_record, name='other'))['device_name'] == 'device-2'
    assert normalise_device('not a dict') == 'not a dict'


def test_device_label_reads_the_v2_name():
    assert device_label({'id': device_id(1), 'name': 'ipad-2'}) == 'ipad-2'
    assert device_label({'id': device_id(1), 'name': ''}) == device_id(1)


@pytest.mark.parametrize('info, expected', [
    ({'platform': 'ANDROID', 'os_version': '9'}, 28),
    ({'platform': 'ANDROID', 'os_version': '8.1.0'}, 27),
    ({'platform': 'ANDROID', 'os_version': '8.0'}, 26),
    ({'platform': 'ANDROID', 'os_version': '12L'}, 32),
    ({'platform': 'ANDROID', 'os_version': '14'}, 34),
    ({'platform': 'ANDROID', 'software_info': {'os_version': '10'}}, 29),
    ({'platform': 'ANDROID', 'os_version': '13', 'api_level': 30}, 30),    # a reported level wins
    ({'platform': 'ANDROID', 'os_version': 'Baklava'}, None),
    ({'platform': 'ANDROID'}, None),
    ({'platform': 'APPLE', 'os_version': '17.4'}, None),
    ({'os_version': '11'}, None),                                           # platform unknown: no guess
])
def test_device_api_level_of_a_v2_record_comes_from_its_android_release(info, expected):
    assert device_api_level(info) == expected


def test_android_api_level():
    assert [android_api_level(text) for text in ('7.1.2', '9.0', '11', '16', '4.4', '', None)] == [25, 28, 30, 36, None, None, None]


# --- with_legacy_fields: what v2 lacks, from the Android-only legacy API ----------------------

def test_with_api_levels_reads_the_legacy_record_of_the_android_devices_only():
    devices = [normalise_device(d) for d in MIXED] + [normalise_device(device(5))]
    client, conversation = make_client([
        Exchange('GET', LEGACY_DEVICE_PATH + '%s/' % device_id(1), body=legacy(1, api_level=27)),
        Exchange('GET', LEGACY_DEVICE_PATH + '%s/' % device_id(5), body=legacy(5, api_level=33)),
    ])
    result = with_api_levels(client, devices)
    conversation.assert_done()
    assert [d['id'] for d in result] == [d['id'] for d in devices]
    assert [device_api_level(d) for d in result] == [27, None, None, None, 33]
    assert result[0]['api_level'] == 27 and 'timezone_string' not in result[0]
    assert result[1] is devices[1] and 'api_level' not in result[1]     # iOS: untouched, no request
    assert 'api_level' not in devices[0]                                  # the input is not changed


def test_with_legacy_fields_reads_nothing_when_nothing_is_missing():
    client, conversation = make_client([])
    devices = [legacy(1), normalise_device(MIXED[1]), dict(device(2), api_level=None)]
    assert with_api_levels(client, devices) == devices
    assert with_api_levels(client, []) == []
    conversation.assert_done()


def test_with_legacy_fields_of_many_devices_uses_one_legacy_listing():
    linux = device(50, 'gateway-50', platform='LINUX')
    devices = [device(n) for n in range(1, 23)] + [linux]
    # The listing holds more Android devices than asked for, and a record with the Linux device's id would not be used.
    records = [legacy(n, api_level=20 + n, timezone='Zone/%d' % n) for n in range(1, 40)] + [legacy(50)]
    exchanges = listing(LEGACY_DEVICE_PATH, [records[:25], records[25:]])
    exchanges[0].params = {'limit': 1000, 'offset': 0}
    client, conversation = make_client(exchanges)
    result = with_legacy_fields(client, devices, ('api_level', 'timezone_string'))
    conversation.assert_done()
    assert conversation.count('GET') == 2
    assert [(d['api_level'], d['timezone_string']) for d in result[:22]] == [(20 + n, 'Zone/%d' % n) for n in range(1, 23)]
    assert result[22] is linux


def test_with_legacy_fields_leaves_a_device_the_legacy_api_does_not_know_as_it_is():
    unknown_platform = {'id': device_id(7), 'name': 'mystery'}
    client, conversation = make_client([
        not_found(LEGACY_DEVICE_PATH + '%s/' % device_id(7)),
        Exchange('GET', LEGACY_DEVICE_PATH + '%s/' % device_id(1), body=legacy(1, timezone='Asia/Tokyo')),
    ])
    result = with_timezones(client, [unknown_platform, device(1), device(1)])
    conversation.assert_done()
    assert result[0] is unknown_platform
    assert result[1]['timezone_string'] == result[2]['timezone_string'] == 'Asia/Tokyo'


def test_with_legacy_fields_raises_the_clients_errors():
    client, conversation = make_client([
        Exchange('GET', LEGACY_DEVICE_PATH + '%s/' % device_id(1), status=401, body={'message': 'Invalid token', 'status': 401}),
    ])
    with pytest.raises(EsperAuthError):
        with_api_levels(client, [device(1)])
    conversation.assert_done()


# --- platform support -------------------------------------------------------------------------

def test_command_platforms_use_the_device_platform_names():
    assert command_platforms('REBOOT') == ('ANDROID', 'APPLE', 'WINDOWS')
    assert command_platforms('SET_TIMEZONE') == ('ANDROID',)
    assert command_platforms('COLLECT_LOGS') == ('LINUX',)
    with pytest.raises(KeyError):
        command_platforms('NOT_A_COMMAND')


def test_split_by_platform_skips_known_unsupported_platforms_only():
    unknown = {'id': device_id(9), 'name': 'no-platform'}
    odd = {'id': device_id(10), 'name': 'odd', 'platform': 'CHROMEOS'}
    devices = MIXED + [unknown, odd]
    supported, skipped = split_by_platform('REBOOT', devices)
    assert supported == MIXED[:3] + [unknown, odd]
    assert skipped == [{'device': device_id(4), 'device_name': 'gateway-4',
                        'reason': 'REBOOT is not supported on LINUX devices (supported: ANDROID, APPLE, WINDOWS)'}]
    supported, skipped = split_by_platform('SET_TIMEZONE', devices)
    assert supported == [MIXED[0], unknown, odd]
    assert [(entry['device'], entry['reason']) for entry in skipped] == [
        (device_id(2), 'SET_TIMEZONE is not supported on APPLE devices (supported: ANDROID)'),
        (device_id(3), 'SET_TIMEZONE is not supported on WINDOWS devices (supported: ANDROID)'),
        (device_id(4), 'SET_TIMEZONE is not supported on LINUX devices (supported: ANDROID)')]
    assert split_by_platform('REBOOT', []) == ([], [])


def test_split_by_platform_reads_legacy_records_and_os_names():
    supported, skipped = split_by_platform('COLLECT_LOGS', [legacy(1), {'id': device_id(2), 'name': 'x', 'os': 'Linux'},
                                                            {'id': device_id(3), 'device_name': 'y', 'os': 'iPadOS'}])
    assert [d['id'] for d in supported] == [device_id(1), device_id(2)]       # a legacy record has no platform: kept
    assert skipped == [{'device': device_id(3), 'device_name': 'y',
                        'reason': 'COLLECT_LOGS is not supported on APPLE devices (supported: LINUX)'}]


def test_group_has_unsupported_devices_asks_for_a_count_of_the_unsupported_platforms():
    client, conversation = make_client([
        Exchange('GET', DEVICE_PATH, params={'group_multi': group_id(1), 'platform': 'LINUX', 'limit': 1, 'offset': 0},
                 body={'content': page([MIXED[3]], count=2, enveloped=False, prev_key='prev')}),
        Exchange('GET', DEVICE_PATH, params={'group_multi': group_id(2), 'platform': 'APPLE,WINDOWS,LINUX', 'limit': 1, 'offset': 0},
                 body={'content': page([], enveloped=False, prev_key='prev')}),
    ])
    assert group_has_unsupported_devices(client, 'REBOOT', group(1, 'Mixed')) is True
    assert group_has_unsupported_devices(client, 'SET_TIMEZONE', group_id(2)) is False
    conversation.assert_done()


def test_group_has_unsupported_devices_asks_nothing_for_a_command_of_every_platform():
    from ansible_collections.esper.mdm.plugins.module_utils import _targets
    everywhere = [name for name in _targets.COMMANDS if not _targets.unsupported_platforms(name)]
    client, conversation = make_client([])
    for name in everywhere:
        assert group_has_unsupported_devices(client, name, group_id(1)) is False
    conversation.assert_done()
