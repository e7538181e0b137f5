# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""esper_command with rollout and max_devices (issue 11): each test scripts the module's whole HTTP conversation."""

from __future__ import annotations

import functools

import pytest

from ansible_collections.esper.mdm.plugins.module_utils import _device_state as device_state
from ansible_collections.esper.mdm.plugins.modules import esper_command, esper_wifi
from ansible_collections.esper.mdm.tests.unit.conversation import Conversation, Exchange, device_id, group_id, page
from ansible_collections.esper.mdm.tests.unit.module_harness import run_module
from ansible_collections.esper.mdm.tests.unit.plugins.modules.test_esper_command import (
    CMD_1,
    CMD_2,
    body_for,
    device,
    device_listing,
    devicestate,
    group_listing,
    group_members,
    open_requests,
    post,
    run,
    stats,
)


@pytest.fixture
def sequential_state_reads(monkeypatch):
    """Read device state one device at a time so the scripted conversation sees a fixed order."""
    monkeypatch.setattr(esper_command, 'plan_state_command', functools.partial(device_state.plan_state_command, workers=1))


@pytest.mark.parametrize('args', [
    {'command': 'WIPE', 'groups': ['Store-001']},
    {'command': 'RESET_LOCKSCREEN_PASSWORD', 'command_args': {'new_lockscreen_password': 'Pw-12345678'}, 'devices': ['kiosk-0001']},
    {'command': 'SET_DEVICE_LOCKDOWN_STATE', 'command_args': {'state': 'LOCKED', 'message': 'closed'}, 'groups': ['Store-001']},
], ids=['wipe', 'lockscreen', 'lockdown'])
def test_a_destructive_command_without_max_devices_fails_before_any_request(args):
    result = run(args, [])
    assert result['failed'] is True
    assert 'is destructive' in result['msg'] and 'max_devices is required' in result['msg']
    assert 'check mode' in result['msg']


def test_unlocking_is_not_destructive():
    result = run({'command': 'SET_DEVICE_LOCKDOWN_STATE', 'command_args': {'state': 'UNLOCKED', 'message': 'open'},
                  'devices': ['kiosk-0001']}, [device_listing()], check_mode=True)
    assert result.get('failed') is not True and result['changed'] is True


def test_wipe_to_a_group_larger_than_max_devices_sends_nothing():
    result = run({'command': 'WIPE', 'groups': ['Store-001'], 'max_devices': 2}, [
        group_listing(),
        group_members(1, [device(1), device(2), device(3)]),
    ])
    assert result['failed'] is True and result['posts'] == 0
    assert result['msg'].startswith('the targets of WIPE are 3 devices (groups expanded), more than max_devices 2; nothing was sent')
    assert result['problems'] == [result['msg']]


def test_wipe_within_max_devices_expands_the_group_and_sends_devices():
    body = body_for('WIPE', [device_id(1), device_id(2)])
    result = run({'command': 'WIPE', 'groups': ['Store-002'], 'max_devices': 2}, [
        group_listing(),
        group_members(2, [device(1), device(2)]),
        post(CMD_1, body),
        stats(CMD_1, success=2),
    ])
    assert result.get('failed') is not True
    assert result['request'] == body


@pytest.mark.parametrize('rollout, expected', [
    ({'waves': ['0%']}, "rollout.waves[0] must be a whole number of devices (1 or more) or a percentage"),
    ({'waves': [5], 'max_fail_percentage': 120}, 'rollout.max_fail_percentage must be from 0 to 100, got 120'),
])
def test_a_bad_rollout_fails_before_any_request(rollout, expected):
    result = run({'command': 'REBOOT', 'groups': ['Store-001'], 'rollout': rollout}, [])
    assert result['failed'] is True and expected in result['msg']


def test_a_rollout_without_waiting_fails_before_any_request():
    result = run({'command': 'REBOOT', 'groups': ['Store-001'], 'rollout': {'waves': [1]}, 'wait': False}, [])
    assert result['failed'] is True and 'rollout needs wait=true' in result['msg']


def test_a_rollout_of_a_state_command_covers_only_the_devices_that_differ(sequential_state_reads):
    # kiosk-0001 and kiosk-0003 already comply: the waves are made of kiosk-0002 and kiosk-0004 only.
    result = run({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 60}, 'groups': ['Store-001'],
                  'rollout': {'waves': ['50%']}}, [
        group_listing(),
        group_members(1, [device(1), device(2), device(3), device(4)]),
        devicestate(1, brightness_scale=60),
        devicestate(2, brightness_scale=30),
        devicestate(3, brightness_scale=60),
        devicestate(4, brightness_scale=20),
        open_requests('SET_BRIGHTNESS_SCALE'),
        post(CMD_1, body_for('SET_BRIGHTNESS_SCALE', [device_id(2)], command_args={'brightness_value': 60})),
        stats(CMD_1, success=1),
        post(CMD_2, body_for('SET_BRIGHTNESS_SCALE', [device_id(4)], command_args={'brightness_value': 60})),
        stats(CMD_2, success=1),
    ])
    assert result.get('failed') is not True
    assert [wave['devices'] for wave in result['waves']] == [[device_id(2)], [device_id(4)]]
    assert [entry['device_name'] for entry in result['skipped_devices']] == ['kiosk-0001', 'kiosk-0003']
    assert result['command_ids'] == [CMD_1, CMD_2]


def test_check_mode_rollout_of_an_action_shows_the_waves_in_target_order():
    result = run({'command': 'REBOOT', 'devices': ['kiosk-0005'], 'groups': ['Store-001'], 'rollout': {'waves': [1, 2]}}, [
        device_listing(),
        group_listing(),
        group_members(1, [device(1), device(5), device(2)]),
    ], check_mode=True, diff=True)
    assert result['posts'] == 0 and result['changed'] is True
    assert [wave['devices'] for wave in result['waves']] == [[device_id(5)], [device_id(1), device_id(2)]]
    assert result['diff'][1]['after'] == {'wave 1': ['kiosk-0005'], 'wave 2': ['kiosk-0001', 'kiosk-0002']}


def test_esper_wifi_has_the_guard_too():
    conversation = Conversation([
        group_listing(),
        # force keeps groups whole unless they hold a device the command cannot reach: one count, then the guard expands
        Exchange('GET', 'v2/devices/', params={'group_multi': group_id(1), 'limit': 1}, params_subset=True,
                 body={'content': page([], count=0, enveloped=False, prev_key='prev')}),
        group_members(1, [device(1), device(2), device(3)]),
    ])
    result = run_module(esper_wifi.main, {'groups': ['Store-001'], 'enabled': True, 'force': True, 'max_devices': 1}, conversation)
    conversation.assert_done()
    assert result['failed'] is True
    assert 'the targets of SET_WIFI_STATE are 3 devices (groups expanded), more than max_devices 1' in result['msg']
    assert group_id(1) not in result['msg']
