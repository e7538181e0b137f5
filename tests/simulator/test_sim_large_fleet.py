# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A 10,000-device fleet: it starts, pages correctly and takes 1000-device requests (correctness only, no timing)."""

from __future__ import annotations

import pytest

FLEET_SIZE = 10000


@pytest.fixture(scope='module')
def big(start_module_sim):
    return start_module_sim(devices=FLEET_SIZE, groups=20)


def test_listing_pages_through_the_whole_fleet(big):
    # /v2/devices/ holds every platform (the legacy listing only the Android devices, CONTRACT §13.1).
    names = []
    reply = big.get('v2/devices/', {'limit': 1000})
    pages = 0
    while True:
        assert reply.status == 200, reply
        assert reply.json['content']['count'] == FLEET_SIZE
        assert len(reply.json['content']['results']) == 1000
        names.extend(device['name'] for device in reply.json['content']['results'])
        pages += 1
        if not reply.json['content']['next']:
            break
        reply = big.get(reply.json['content']['next'])
    assert pages == 10
    assert names == [f'kiosk-{number:04d}' for number in range(1, FLEET_SIZE + 1)]


def test_legacy_listing_pages_through_the_android_devices(big):
    reply = big.get(big.enterprise('device/'), {'limit': 1000, 'offset': 9000})
    assert reply.json['count'] == FLEET_SIZE - 3 and len(reply.json['results']) == FLEET_SIZE - 3 - 9000
    assert reply.json['next'] is None


def test_limit_is_capped_at_1000(big):
    reply = big.get('v2/devices/', {'limit': 5000, 'offset': 9500}).json['content']
    assert len(reply['results']) == 500 and reply['next'] is None
    reply = big.get('v2/devices/', {'limit': 5000}).json['content']
    assert len(reply['results']) == 1000 and 'limit=1000' in reply['next']
    reply = big.get(big.enterprise('device/'), {'limit': 5000, 'offset': 9497})
    assert len(reply.json['results']) == 500 and reply.json['next'] is None
    reply = big.get(big.enterprise('device/'), {'limit': 5000})
    assert len(reply.json['results']) == 1000 and 'limit=1000' in reply.json['next']


def test_group_sizes_add_up(big):
    groups = big.get(big.enterprise('devicegroup/'), {'limit': 100}).json['results']
    assert sum(group['device_count'] for group in groups) == FLEET_SIZE
    store = [group for group in groups if group['name'].startswith('Store-')]
    assert len(store) == 20 and {group['device_count'] for group in store} == {(FLEET_SIZE - 3) // 20, (FLEET_SIZE - 3) // 20 + 1}


def test_name_lookup_in_a_large_fleet(big):
    page = big.get(big.enterprise('device/'), {'name': 'kiosk-9876'}).json
    assert page['count'] == 1 and page['results'][0]['device_name'] == 'kiosk-9876'


def test_thousand_device_request_and_stats(big):
    ids = [big.device_id(f'kiosk-{number:04d}') for number in range(1, 1001)]
    reply = big.call('POST', 'commands/v0/commands/', {'command_type': 'DEVICE', 'devices': ids, 'device_type': 'all',
                                                       'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 42}})
    assert reply.status == 201, reply
    request_id = reply.json['content']['id']
    assert big.stats(request_id) == {'Command Queued': 1000}
    big.advance_steps(4)
    assert big.stats(request_id) == {'Command Success': 1000}
    assert big.devicestate('kiosk-1000')['brightness_scale'] == 42
    assert big.devicestate('kiosk-1001')['brightness_scale'] == 60
    statuses = big.get('commands/v0/status/', {'request': request_id, 'limit': 1000}).json['content']
    assert statuses['count'] == 1000 and {item['device'] for item in statuses['results']} == set(ids)


def test_thousand_and_one_devices_are_refused(big):
    ids = [big.device_id(f'kiosk-{number:04d}') for number in range(1, 1002)]
    reply = big.call('POST', 'commands/v0/commands/', {'command_type': 'DEVICE', 'devices': ids, 'device_type': 'all', 'command': 'REBOOT'})
    assert reply.status == 400 and 'at most 1000' in reply.json['message']


def test_group_request_over_a_large_group(big):
    reply = big.call('POST', 'commands/v0/commands/', {'command_type': 'GROUP', 'groups': [big.group_id('Store-001'), big.group_id('Store-002')],
                                                       'device_type': 'all', 'command': 'REBOOT'})
    assert reply.status == 201
    assert sum(big.stats(reply.json['content']['id']).values()) == 1000
