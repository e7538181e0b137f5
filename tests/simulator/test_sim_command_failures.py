# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command failure rules: a chosen share (seeded) or list of devices fails a given command (--fail-command, /_sim/command_failures)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.esper.mdm.simulator.esper_simulator.options import parse_args

FAILURE = 'Command Failure'
SUCCESS = 'Command Success'


def final_states(sim, request_id):
    sim.advance_steps(5)
    return {status['device']: (status['state'], status['reason']) for status in sim.statuses(request_id)}


def test_a_list_of_devices_fails_one_command_only(sim):
    rules = sim.control('POST', 'command_failures', {'command': 'REBOOT', 'devices': ['kiosk-0002', sim.device_id('kiosk-0004')],
                                                     'reason': 'Kernel panic'})
    assert rules['command_failures'][0]['device_names'] == ['kiosk-0002', 'kiosk-0004']
    reboot = sim.command('REBOOT', devices=['kiosk-0001', 'kiosk-0002', 'kiosk-0004'])
    states = final_states(sim, reboot['id'])
    assert states[sim.device_id('kiosk-0001')][0] == SUCCESS
    assert states[sim.device_id('kiosk-0002')] == (FAILURE, 'Kernel panic')
    assert states[sim.device_id('kiosk-0004')] == (FAILURE, 'Kernel panic')
    lock = sim.command('LOCK', devices=['kiosk-0002'])
    assert final_states(sim, lock['id'])[sim.device_id('kiosk-0002')][0] == SUCCESS


def test_a_seeded_share_picks_the_same_devices_every_time(sim):
    first = sim.control('POST', 'command_failures', {'command': 'REBOOT', 'share': 0.2, 'seed': 7})['command_failures'][0]
    assert len(first['device_ids']) == 10  # 20% of 50
    sim.control('POST', 'reset')
    again = sim.control('POST', 'command_failures', {'command': 'REBOOT', 'share': '20%', 'seed': 7})['command_failures'][0]
    assert again['device_ids'] == first['device_ids']
    sim.control('POST', 'reset')
    other = sim.control('POST', 'command_failures', {'command': 'REBOOT', 'share': 0.2, 'seed': 8})['command_failures'][0]
    assert other['device_ids'] != first['device_ids']


def test_a_share_of_listed_devices_and_every_command(sim):
    names = ['kiosk-%04d' % number for number in range(1, 11)]
    rule = sim.control('POST', 'command_failures', {'command': '*', 'share': 0.5, 'devices': names})['command_failures'][0]
    assert len(rule['device_names']) == 5 and set(rule['device_names']) <= set(names)
    request = sim.command('LOCK', devices=names)
    states = final_states(sim, request['id'])
    failed = sorted(device for device, (state, dummy) in states.items() if state == FAILURE)
    assert failed == sorted(rule['device_ids'])


def test_clearing_the_rules_lets_new_requests_succeed_and_keeps_old_failures(sim):
    sim.control('POST', 'command_failures', [{'command': 'REBOOT', 'devices': ['kiosk-0001']}])
    before = sim.command('REBOOT', devices=['kiosk-0001'])
    assert sim.control('DELETE', 'command_failures') == {'command_failures': []}
    after = sim.command('REBOOT', devices=['kiosk-0001'])
    assert final_states(sim, before['id'])[sim.device_id('kiosk-0001')][0] == FAILURE
    assert final_states(sim, after['id'])[sim.device_id('kiosk-0001')][0] == SUCCESS
    assert sim.control('GET', 'command_failures') == {'command_failures': []}


@pytest.mark.parametrize('body, fragment', [
    ({'share': 0.2}, 'command is required'),
    ({'command': 'REBOOT'}, 'give devices, share, or both'),
    ({'command': 'REBOOT', 'share': 1.5}, 'share must be a fraction from 0 to 1'),
    ({'command': 'REBOOT', 'share': 'lots'}, 'share must be a fraction from 0 to 1'),
    ({'command': 'REBOOT', 'devices': ['kiosk-9999']}, 'unknown device kiosk-9999'),
    ({'command': 'REBOOT', 'devices': 'kiosk-0001'}, 'devices must be a list'),
    ({'command': 'REBOOT', 'share': 0.1, 'seed': 'x'}, 'seed must be an integer'),
    ({'command': 'REBOOT', 'share': 0.1, 'colour': 'red'}, 'unknown command failure rule keys: colour'),
])
def test_bad_rules_are_refused_and_nothing_is_added(sim, body, fragment):
    reply = sim.raw('POST', '/_sim/command_failures', [{'command': 'LOCK', 'devices': ['kiosk-0001']}, body])
    assert reply.status == 400 and fragment in reply.json['error'], reply
    assert sim.control('GET', 'command_failures') == {'command_failures': []}


def test_rules_from_the_command_line_come_back_after_a_reset(start_sim):
    options = parse_args(['--fail-command', json.dumps({'command': 'REBOOT', 'devices': ['kiosk-0003']})])
    assert options.fail_commands == [{'command': 'REBOOT', 'devices': ['kiosk-0003']}]
    sim = start_sim(devices=10, fail_commands=options.fail_commands)
    assert sim.control('GET', 'command_failures')['command_failures'][0]['device_names'] == ['kiosk-0003']
    sim.control('DELETE', 'command_failures')
    sim.control('POST', 'reset')
    assert sim.control('GET', 'command_failures')['command_failures'][0]['device_names'] == ['kiosk-0003']


def test_a_bad_command_line_rule_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        parse_args(['--fail-command', '{"command": "REBOOT", "share": 3}'])
    assert "--fail-command" in capsys.readouterr().err
