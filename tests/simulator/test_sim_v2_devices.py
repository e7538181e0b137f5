# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /v2/devices/ and /v2/devices/{id}: every platform, filters, offset and cursor paging (CONTRACT §13.2, §13.3),
and the legacy listing that knows only the Android devices (§13.1)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

MISSING = '00000000-0000-4000-8000-000000000000'


def v2(sim, params=None):
    reply = sim.get('v2/devices/', params)
    assert reply.status == 200, reply
    assert set(reply.json) == {'content'}  # no code, no message (live, §1.2)
    return reply.json['content']


def names(sim, params):
    return [device['name'] for device in v2(sim, dict(params, limit=1000))['results']]


def test_default_page_of_ten_with_full_next_links(sim):
    page = v2(sim)
    assert page['count'] == 50 and len(page['results']) == 10 and page['prev'] is None
    assert page['next'].startswith(sim.url + '/v2/devices/?')
    assert parse_qs(urlsplit(page['next']).query) == {'limit': ['10'], 'offset': ['10']}
    last = v2(sim, {'offset': 40})
    assert last['next'] is None and parse_qs(urlsplit(last['prev']).query) == {'limit': ['10'], 'offset': ['30']}


def test_every_platform_is_listed_with_v2_fields(sim):
    results = v2(sim, {'limit': 1000})['results']
    assert [device['name'] for device in results] == [f'kiosk-{number:04d}' for number in range(1, 51)]
    by_name = {device['name']: device for device in results}
    assert [(by_name[name]['platform'], by_name[name]['os']) for name in ('kiosk-0001', 'kiosk-0048', 'kiosk-0049', 'kiosk-0050')] == [
        ('ANDROID', 'Android'), ('APPLE', 'iOS'), ('WINDOWS', 'Windows'), ('LINUX', 'Linux')]
    ios = by_name['kiosk-0048']
    assert ios['alias'] == 'Kiosk 48' and ios['group_id'] == sim.group_id('Other-Platforms') and ios['state'] == 1
    assert ios['serial'] == ios['hardware_info']['serial'] == 'ESPR00000048'
    assert ios['software_info']['os_version'] == ios['os_version'] == '17.4'
    assert ios['tags'] == [] and 'last_seen' in ios and 'imei1' in ios['network_info']
    for device in results:
        # v2 spells them differently or not at all (§13.3).
        assert not {'device_name', 'alias_name', 'api_level', 'timezone_string', 'status'} & set(device)


def test_v2_and_legacy_records_agree_on_android_devices(sim):
    legacy = {device['id']: device for device in sim.get(sim.enterprise('device/'), {'limit': 1000}).json['results']}
    for device in v2(sim, {'limit': 1000, 'platform': 'ANDROID'})['results']:
        info = legacy.pop(device['id'])
        assert (device['name'], device['alias'], device['state'], device['serial']) == (
            info['device_name'], info['alias_name'], info['status'], info['hardwareInfo']['serialNumber'])
        assert [url.rstrip('/').rsplit('/', 1)[-1] for url in info['groups']] == [device['group_id']]
        assert device['network_info']['imei1'] == info['networkInfo']['imei1']
    assert legacy == {}


def test_legacy_api_is_android_only(sim):
    page = sim.get(sim.enterprise('device/'), {'limit': 100}).json
    assert page['count'] == 47 and {device['id'] for device in page['results']} == {
        device['id'] for device in v2(sim, {'platform': 'ANDROID', 'limit': 100})['results']}
    for name in ('kiosk-0048', 'kiosk-0049', 'kiosk-0050'):
        reply = sim.get(sim.enterprise(f'device/{sim.device_id(name)}/'))
        assert reply.status == 404 and reply.json['status'] == 404
    assert sim.get(sim.enterprise(f'device/{sim.device_id("kiosk-0047")}/')).status == 200


def test_platform_filter(sim):
    assert names(sim, {'platform': 'APPLE,LINUX'}) == ['kiosk-0048', 'kiosk-0050']
    assert names(sim, {'platform': 'windows'}) == ['kiosk-0049']
    assert len(names(sim, {'platform': 'ANDROID'})) == 47
    reply = sim.get('v2/devices/', {'platform': 'IOS'})
    assert reply.status == 400 and reply.json['code'] == 400 and 'IOS' in reply.json['message'] and reply.json['content'] == {}


def test_group_filters(sim):
    other, empty, store = sim.group_id('Other-Platforms'), sim.group_id('Empty-Group'), sim.group_id('Store-005')
    assert names(sim, {'group_multi': other}) == ['kiosk-0048', 'kiosk-0049', 'kiosk-0050']
    assert names(sim, {'group_multi_immediate': other}) == ['kiosk-0048', 'kiosk-0049', 'kiosk-0050']
    assert names(sim, {'group_multi': f'{store},{other}'}) == [f'kiosk-{number:04d}' for number in range(5, 46, 5)] + [
        'kiosk-0048', 'kiosk-0049', 'kiosk-0050']
    assert names(sim, {'group_multi': empty}) == []
    assert names(sim, {'group_multi': MISSING}) == []
    assert names(sim, {'group_multi': other, 'platform': 'LINUX,WINDOWS'}) == ['kiosk-0049', 'kiosk-0050']
    page = v2(sim, {'group_multi': other, 'platform': 'LINUX', 'limit': 1})
    assert page['count'] == 1 and len(page['results']) == 1
    reply = sim.get('v2/devices/', {'group_multi': 'Store-001'})
    assert reply.status == 400 and 'UUID' in reply.json['message']


def test_search_serial_state_and_tags(sim):
    assert names(sim, {'search': 'KIOSK-004'}) == [f'kiosk-{number:04d}' for number in range(40, 50)]
    assert names(sim, {'search': 'kiosk 49'}) == ['kiosk-0049']          # the alias
    assert names(sim, {'search': 'espr00000050'}) == ['kiosk-0050']      # the serial
    imei = v2(sim, {'search': 'kiosk-0003'})['results'][0]['network_info']['imei1']
    assert names(sim, {'search': imei}) == ['kiosk-0003']
    # Like the live API, a device UUID is not something search finds (§13.2).
    assert names(sim, {'search': sim.device_id('kiosk-0003')}) == []
    assert names(sim, {'serial': 'ESPR00000049'}) == ['kiosk-0049']
    assert names(sim, {'serial': 'ESPR0000004'}) == []
    assert names(sim, {'state': 60}) == ['kiosk-0046', 'kiosk-0047']
    assert names(sim, {'tags': MISSING}) == []
    assert sim.get('v2/devices/', {'state': 'online'}).status == 400


@pytest.mark.parametrize('params', [{'limit': 0}, {'limit': 'x'}, {'offset': -1}])
def test_bad_paging_parameters(sim, params):
    reply = sim.get('v2/devices/', params)
    assert reply.status == 400 and reply.json['code'] == 400


def test_limit_above_1000_is_clamped(sim):
    page = v2(sim, {'limit': 5000, 'offset': 45})
    assert len(page['results']) == 5 and page['next'] is None
    assert parse_qs(urlsplit(page['prev']).query) == {'limit': ['1000'], 'offset': ['0']}


def test_cursor_paging(sim):
    seen = []
    page = v2(sim, {'cursor': 'start', 'limit': 20, 'offset': 30})  # offset is ignored once a cursor is used
    assert set(page) == {'results', 'next_cursor', 'prev_cursor'} and page['prev_cursor'] is None
    first = page['results']
    while True:
        seen.extend(device['name'] for device in page['results'])
        if not page['next_cursor']:
            break
        cursor = page['next_cursor']
        page = v2(sim, {'cursor': cursor, 'limit': 20})
    assert seen == [f'kiosk-{number:04d}' for number in range(1, 51)]
    second = v2(sim, {'cursor': v2(sim, {'cursor': 'start', 'limit': 20})['next_cursor'], 'limit': 20})
    assert v2(sim, {'cursor': second['prev_cursor'], 'limit': 20})['results'] == first
    reply = sim.get('v2/devices/', {'cursor': 'not-a-cursor'})
    assert reply.status == 400 and reply.json['code'] == 400


def test_one_device_by_id_any_platform(sim):
    for name, platform in (('kiosk-0001', 'ANDROID'), ('kiosk-0049', 'WINDOWS')):
        for suffix in ('', '/'):
            reply = sim.get(f'v2/devices/{sim.device_id(name)}{suffix}')
            assert reply.status == 200, reply
            assert set(reply.json) == {'content'}
            assert (reply.json['content']['name'], reply.json['content']['platform']) == (name, platform)
    assert sim.get(f'v2/devices/{sim.device_id("kiosk-0049").upper()}').json['content']['name'] == 'kiosk-0049'
    reply = sim.get(f'v2/devices/{MISSING}')
    assert reply.status == 404 and reply.json['code'] == 404 and reply.json['content'] == {} and MISSING in reply.json['message']
    assert sim.get(f'v2/devices/{MISSING}', key='wrong').status == 401
