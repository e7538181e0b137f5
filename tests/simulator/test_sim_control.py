# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The /_sim/ control API: clock, device changes, reset, settings, errors."""

from __future__ import annotations

import datetime

import pytest


def test_clock_advance_moves_time_forward(sim):
    before = sim.control('GET', 'clock')
    after = sim.advance(3600)
    assert after['offset'] == before['offset'] + 3600
    assert after['now'] > before['now']
    created = sim.command('REBOOT', devices=['kiosk-0001'])
    created_epoch = datetime.datetime.fromisoformat(created['created_at'].replace('Z', '+00:00')).timestamp()
    # Created after the advance, and on the advanced clock (not an hour earlier on the wall clock).
    assert after['epoch'] <= created_epoch < after['epoch'] + 600


@pytest.mark.parametrize('body', [{'advance': -5}, {'advance': 'soon'}, {}, [1]])
def test_clock_refuses_bad_advances(sim, body):
    reply = sim.raw('POST', '/_sim/clock', body)
    assert reply.status == 400 and reply.json['error']


def test_device_changes(sim):
    view = sim.control('POST', 'devices/kiosk-0003', {
        'timezone_string': 'Asia/Tokyo', 'api_level': 26, 'devicestate': {'brightness_scale': 15, 'gps_state': 'LOCATION_MODE_OFF'}})
    assert view['timezone_string'] == 'Asia/Tokyo' and view['api_level'] == 26
    assert sim.device_info('kiosk-0003')['timezone_string'] == 'Asia/Tokyo'
    assert sim.device_info('kiosk-0003')['api_level'] == 26
    state = sim.devicestate('kiosk-0003')
    assert state['brightness_scale'] == 15 and state['gps_state'] == 'LOCATION_MODE_OFF' and state['wifi_state'] is True
    by_id = sim.control('GET', f'devices/{sim.device_id("kiosk-0003")}')
    assert by_id['device_name'] == 'kiosk-0003' and by_id['devicestate']['brightness_scale'] == 15


@pytest.mark.parametrize('body, fragment', [
    ({'colour': 'red'}, 'unknown device fields'),
    ({'online': 'yes'}, 'online'),
    ({'api_level': '30'}, 'api_level'),
    ({'devicestate': {'volume': 3}}, 'unknown devicestate field'),
    ({'devicestate': {'brightness_scale': True}}, 'brightness_scale'),
    ({'devicestate': 'bright'}, 'devicestate'),
])
def test_device_change_errors(sim, body, fragment):
    reply = sim.raw('POST', '/_sim/devices/kiosk-0001', body)
    assert reply.status == 400 and fragment in reply.json['error']
    assert sim.control('GET', 'devices/kiosk-0001')['online'] is True


def test_unknown_device_and_path(sim):
    assert sim.raw('GET', '/_sim/devices/kiosk-9999').status == 404
    assert sim.raw('GET', '/_sim/nothing').status == 404
    assert sim.raw('PUT', '/_sim/fleet').status == 405


def test_reset_restores_everything(sim):
    sim.command('SET_BRIGHTNESS_SCALE', devices=['kiosk-0001'], command_args={'brightness_value': 5})
    sim.advance_steps(4)
    sim.control('POST', 'devices/kiosk-0046', {'online': True})
    sim.control('POST', 'faults', [{'kind': 'rate_limit', 'count': None}])
    sim.control('POST', 'settings', {'fail_same_value': True, 'step_seconds': 1})
    fleet_before = sim.fleet()
    reset = sim.control('POST', 'reset')
    assert reset['devices'][0]['id'] == fleet_before['devices'][0]['id']
    assert sim.control('GET', 'faults') == {'faults': []}
    assert sim.control('GET', 'requests') == []
    assert sim.control('GET', 'clock')['offset'] == 0
    assert sim.control('GET', 'settings') == {'step_seconds': sim.step, 'fail_same_value': False, 'group_fanout_seconds': 0.0}
    assert sim.devicestate('kiosk-0001')['brightness_scale'] == 60
    assert sim.control('GET', 'devices/kiosk-0046')['online'] is False
    assert sim.get('commands/v0/commands/').json['content']['count'] == 0


def test_settings_changes_apply_to_new_commands(sim):
    started = sim.command('REBOOT', devices=['kiosk-0001'])
    assert sim.control('POST', 'settings', {'step_seconds': 0})['step_seconds'] == 0
    instant = sim.command('REBOOT', devices=['kiosk-0002'])
    assert sim.stats(instant['id']) == {'Command Success': 1}
    assert sim.stats(started['id']) == {'Command Queued': 1}
    reply = sim.raw('POST', '/_sim/settings', {'speed': 2})
    assert reply.status == 400


def test_fleet_summary_lists_every_device_and_group(sim):
    fleet = sim.fleet()
    assert len(fleet['devices']) == 50 and len(fleet['groups']) == 7
    assert fleet['base_url'] == sim.url
    assert {group['name']: group['device_count'] for group in fleet['groups']}['Other-Platforms'] == 3
