# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""esper_device_info and esper_group_info through real ansible-playbook runs against the simulator (issue 10)."""

from __future__ import annotations

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import run_playbook

EXTRAS = ('--devices', '12', '--groups', '3', '--step-seconds', '0', '--inventory-extras')


def by_name(devices):
    return dict((device['alias'] if device['name'] == 'Lobby-Tablet' else device['name'], device) for device in devices)


@pytest.mark.simulator_args(*EXTRAS)
@pytest.mark.parametrize('check', [False, True], ids=['normal', 'check_mode'])
def test_device_and_group_info(simulator, check):
    run = run_playbook(simulator, 'info_modules.yml', check=check)
    fleet = simulator.fleet()
    groups = dict((group['path'], group) for group in fleet['groups'])

    every = run.result('Every device')
    assert not every.get('failed') and every['changed'] is False
    assert len(every['devices']) == len(fleet['devices']) == 16
    devices = by_name(every['devices'])
    kiosk = devices['kiosk-0001']
    assert kiosk['state'] == 'online' and kiosk['state_code'] == 1 and kiosk['tags'] == ['pilot']
    assert kiosk['group_path'] == 'All devices/Store-001' and kiosk['group_name'] == 'Store-001'
    assert devices['odd-state-0001']['state'] == 'unknown' and devices['odd-state-0001']['state_code'] == 230
    assert devices['registered-0001']['state'] == 'registered'
    assert sorted(kiosk) == sorted(['id', 'name', 'alias', 'serial', 'imei', 'platform', 'os', 'os_version', 'api_level', 'model',
                                    'state', 'state_code', 'group_id', 'group_name', 'group_path', 'tags', 'tag_ids',
                                    'timezone', 'last_seen'])

    retail = run.result('Devices of Retail, subgroups included, with their current settings')['devices']
    assert sorted(by_name(retail)) == ['Lobby Left', 'odd-state-0001', 'registered-0001']
    assert all(device['devicestate']['brightness_scale'] == 60 for device in retail)

    filtered = run.result('Online or registered Android and iOS devices tagged lab or pilot')['devices']
    assert sorted(by_name(filtered)) == ['Lobby Left', 'Lobby Right', 'kiosk-0001']

    named = run.result('Two devices by name and alias, with the legacy Android details')['devices']
    assert [device['name'] for device in named] == ['kiosk-0002', 'Lobby-Tablet']
    assert named[0]['timezone'] == 'America/New_York' and named[0]['api_level'] == 29
    # Devices chosen by name are reported as fully as listed ones (not cut to what command targets keep).
    for device in named:
        listed = next(item for item in every['devices'] if item['id'] == device['id'])
        for key in ('serial', 'imei', 'model', 'state', 'group_path', 'tags', 'last_seen'):
            assert device[key] == listed[key], key
    assert named[0]['model'] and named[0]['serial'] and named[0]['group_path']
    assert [device['serial'] for device in run.result('One device by serial')['devices']] == ['ESPR00000003']

    every_group = run.result('Every group')['groups']
    assert len(every_group) == len(fleet['groups'])
    root = next(group for group in every_group if group['path'] == 'All devices')
    assert root['parent'] is None and groups['All devices/Retail']['id'] in root['children']
    shelf = next(group for group in every_group if group['name'] == 'Shelf-A')
    assert shelf['path'] == 'All devices/Retail/North/Store-N1/Aisle-1/Shelf-A'
    assert shelf['parent'] == groups['All devices/Retail/North/Store-N1/Aisle-1']['id']

    children = run.result('The children of the outer TestBB, by path, with their devices')['groups']
    assert [group['path'] for group in children] == ['All devices/TestBB/TestBB']
    assert children[0]['devices'] == [devices['Lobby Right']['id']]

    two = run.result('Two groups by name and id')['groups']
    assert [group['name'] for group in two] == ['Store-N1', 'Shelf-A']
    assert two[0]['devices'] == [devices['Lobby Left']['id']] and two[1]['devices'] == [devices['odd-state-0001']['id']]

    ambiguous = run.result('An ambiguous group name')
    assert ambiguous['failed'] and 'All devices/TestBB/TestBB' in ambiguous['msg'] and 'the UUID or the path' in ambiguous['msg']
    bad = run.result('Unknown states and devices')
    assert bad['failed'] and "states[0] 'sleeping' is not a device state" in bad['msg'] and 'online' in bad['msg']
    # Read-only: nothing was ever written.
    assert simulator.requests(method='POST') == [] and simulator.requests(method='PUT') == []
    assert simulator.api_key not in run.output


@pytest.mark.simulator_args(*EXTRAS)
def test_an_unknown_device_lists_similar_names_before_any_device_listing(simulator):
    run = run_playbook(simulator, 'info_modules.yml')
    # 'sleeping' stops the last task before any request; without it the unknown name is reported with candidates.
    assert run.result('Unknown states and devices')['failed']
    run = run_playbook(simulator, 'info_unknown_device.yml')
    result = run.result('An unknown device')
    assert result['failed'] and "device 'kiosk-9999' not found; similar names: 'kiosk-0009'" in result['msg'], result['msg']
