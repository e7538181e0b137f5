# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters and pagination of the list endpoints (CONTRACT §1.5, §2.3, §3.1, §7.2, §7.4)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest


def follow(sim, path, params, content=False):
    """Every result of a listing, following ``next`` links as given; also returns the pages seen."""
    pages = []
    reply = sim.get(path, params)
    while True:
        assert reply.status == 200, reply
        page = reply.json['content'] if content else reply.json
        pages.append(page)
        if not page['next']:
            break
        assert page['next'].startswith(sim.url + '/')
        reply = sim.get(page['next'])
    return [item for page in pages for item in page['results']], pages


def test_device_listing_default_page_and_next_links(sim):
    # The legacy listing is the Android-only API (CONTRACT §13.1): kiosk-0048..0050 (iOS, Windows, Linux) are not in it.
    results, pages = follow(sim, sim.enterprise('device/'), None)
    assert [len(page['results']) for page in pages] == [20, 20, 7]
    assert all(page['count'] == 47 for page in pages)
    assert [device['device_name'] for device in results] == [f'kiosk-{number:04d}' for number in range(1, 48)]
    assert pages[0]['previous'] is None
    assert parse_qs(urlsplit(pages[1]['previous']).query) == {'limit': ['20'], 'offset': ['0']}
    assert parse_qs(urlsplit(pages[2]['previous']).query) == {'limit': ['20'], 'offset': ['20']}


def test_next_link_keeps_the_filters(sim):
    group = sim.group_id('Store-001')
    results, pages = follow(sim, sim.enterprise('device/'), {'group': group, 'limit': 3, 'show_policy': 'true'})
    assert len(pages) == 4
    assert parse_qs(urlsplit(pages[0]['next']).query) == {'group': [group], 'limit': ['3'], 'offset': ['3'], 'show_policy': ['true']}
    assert len(results) == 10 and all('wifi_access_points' in device for device in results)


def test_offset_past_the_end(sim):
    page = sim.get(sim.enterprise('device/'), {'limit': 10, 'offset': 60}).json
    assert page['count'] == 47 and page['results'] == [] and page['next'] is None
    assert parse_qs(urlsplit(page['previous']).query)['offset'] == ['50']


@pytest.mark.parametrize('params', [{'limit': 'ten'}, {'limit': 0}, {'offset': -1}, {'offset': 'x'}])
def test_bad_paging_parameters(sim, params):
    reply = sim.get(sim.enterprise('device/'), params)
    assert reply.status == 400 and reply.json['status'] == 400
    reply = sim.get('commands/v0/commands/', params)
    assert reply.status == 400 and reply.json['code'] == 400


def test_device_filters(sim):
    def names(params):
        return [device['device_name'] for device in sim.get(sim.enterprise('device/'), dict(params, limit=100)).json['results']]

    assert names({'name': 'kiosk-0007'}) == ['kiosk-0007']
    assert names({'name': 'kiosk-000'}) == []
    assert names({'name': 'Kiosk 7'}) == []
    assert names({'search': 'kiosk-004'}) == [f'kiosk-{number:04d}' for number in range(40, 48)]
    assert names({'search': 'KIOSK 12'}) == ['kiosk-0012']
    serial = sim.device_info('kiosk-0009')['hardwareInfo']['serialNumber']
    assert names({'serial': serial}) == ['kiosk-0009']
    assert names({'state': 60}) == ['kiosk-0046', 'kiosk-0047']
    assert len(names({'state': 1})) == 45
    # Android only: the group of the other platforms looks empty on the legacy listing.
    assert names({'group': sim.group_id('Other-Platforms')}) == []
    assert names({'name': 'kiosk-0048'}) == []
    assert names({'search': 'kiosk-005'}) == []
    assert names({'group': sim.group_id('Empty-Group')}) == []
    assert names({'group': '00000000-0000-4000-8000-000000000000'}) == []
    assert names({'group': sim.group_id('Store-005'), 'name': 'kiosk-0010'}) == ['kiosk-0010']
    assert names({'group': sim.group_id('Store-005'), 'name': 'kiosk-0011'}) == []


def test_device_filter_errors(sim):
    reply = sim.get(sim.enterprise('device/'), {'group': 'Store-001'})
    assert reply.status == 400 and 'UUID' in reply.json['errors'][0]
    assert sim.get(sim.enterprise('device/'), {'state': 'online'}).status == 400


def test_commands_listing_filters_and_order(sim):
    first = sim.command('REBOOT', devices=['kiosk-0001', 'kiosk-0002'])
    second = sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0002'], command_args={'brightness_value': 5})
    third = sim.command('REBOOT', groups=['Store-001'])
    window = {'name': 'w', 'start_datetime': '2030-01-01T00:00:00Z', 'end_datetime': '2030-01-02T00:00:00Z', 'time_type': 'console'}
    fourth = sim.command('REBOOT', devices=['kiosk-0003'], schedule='WINDOW', schedule_args=window)

    def ids(params):
        reply = sim.get('commands/v0/commands/', params)
        assert reply.status == 200, reply
        return [item['id'] for item in reply.json['content']['results']]

    assert ids({}) == [fourth['id'], third['id'], second['id'], first['id']]
    assert ids({'devices': sim.device_id('kiosk-0002')}) == [second['id'], first['id']]
    assert ids({'devices': f'{sim.device_id("kiosk-0001")},{sim.device_id("kiosk-0003")}'}) == [fourth['id'], first['id']]
    # The devices filter looks at the request's own list, not at the members of its groups.
    assert ids({'devices': sim.device_id('kiosk-0006')}) == []
    assert ids({'groups': sim.group_id('Store-001')}) == [third['id']]
    assert ids({'command': 'REBOOT'}) == [fourth['id'], third['id'], first['id']]
    assert ids({'command': 'REBOOT', 'devices': sim.device_id('kiosk-0002')}) == [first['id']]
    assert ids({'schedule': 'WINDOW'}) == [fourth['id']]
    assert ids({'schedule': 'IMMEDIATE', 'limit': 2}) == [third['id'], second['id']]
    assert ids({'schedule': 'IMMEDIATE', 'limit': 2, 'offset': 2}) == [first['id']]
    assert sim.get('commands/v0/commands/', {'devices': 'nope'}).status == 400


def test_commands_listing_pages_follow(sim):
    created = [sim.command('UPDATE_HEARTBEAT', devices=['kiosk-0001'])['id'] for _index in range(7)]
    results, pages = follow(sim, 'commands/v0/commands/', {'limit': 3}, content=True)
    assert [item['id'] for item in results] == created[::-1]
    assert len(pages) == 3 and pages[-1]['next'] is None


def test_status_listing_filters(sim):
    first = sim.command('REBOOT', devices=['kiosk-0001', 'kiosk-0046'])
    second = sim.command('REBOOT', devices=['kiosk-0001', 'kiosk-0002'])
    sim.advance_steps(4)

    def pairs(params):
        reply = sim.get('commands/v0/status/', params)
        assert reply.status == 200, reply
        return [(item['request'], item['device']) for item in reply.json['content']['results']]

    one, two, offline = sim.device_id('kiosk-0001'), sim.device_id('kiosk-0002'), sim.device_id('kiosk-0046')
    assert pairs({'request': first['id']}) == [(first['id'], one), (first['id'], offline)]
    assert pairs({'request': f'{first["id"]},{second["id"]}'}) == [(second['id'], one), (second['id'], two),
                                                                   (first['id'], one), (first['id'], offline)]
    assert pairs({'device': one}) == [(second['id'], one), (first['id'], one)]
    assert pairs({'device': one, 'request': first['id']}) == [(first['id'], one)]
    assert pairs({'state': 'Command Queued'}) == [(first['id'], offline)]
    assert pairs({'state': 'Command Success', 'device': one}) == [(second['id'], one), (first['id'], one)]
    assert pairs({}) == pairs({'request': f'{first["id"]},{second["id"]}'})
    assert pairs({'request': '00000000-0000-4000-8000-000000000000'}) == []
    assert sim.get('commands/v0/status/', {'state': 'Queued'}).status == 400
    assert sim.get('commands/v0/status/', {'device': 'kiosk-0001'}).status == 400


def test_status_listing_pages_follow(sim):
    created = sim.command('REBOOT', groups=['Store-001', 'Store-002'])
    results, pages = follow(sim, 'commands/v0/status/', {'request': created['id'], 'limit': 6}, content=True)
    assert [len(page['results']) for page in pages] == [6, 6, 6, 2]
    assert len({item['device'] for item in results}) == 20


def test_group_listing_pages(sim):
    results, pages = follow(sim, sim.enterprise('devicegroup/'), {'limit': 2})
    assert len(pages) == 4 and len(results) == 7
