# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules that make chosen devices fail a given command, so rollout budgets can be exceeded on purpose.

A rule is a JSON object:

    {"command": "REBOOT", "share": 0.2, "seed": 7}         20% of the fleet (picked with the seed) fail REBOOT
    {"command": "REBOOT", "devices": ["kiosk-0003", "<uuid>"]}   these devices fail REBOOT
    {"command": "*", "share": "50%", "devices": [...]}     half of the listed devices fail every command

``command`` is a command name or "*" (every command); ``devices`` are device ids or names; ``share`` is a fraction
from 0 to 1 or a percentage string, of ``devices`` when given, else of the whole fleet; round(share * n) devices are
picked with ``random.Random(seed)`` (seed 1 by default), so the same options always pick the same devices. ``reason``
is the failure reason the devices report. A status ends in Command Failure when a rule matched its device and command
as the request was created; clearing the rules does not change statuses already created. Like the per-device
``fail_commands`` flag, which fails every command of one device.
"""

from __future__ import annotations

import random
import re

DEFAULT_REASON = 'The device reported a failure (simulated with a command failure rule)'
RULE_KEYS = ('command', 'devices', 'share', 'seed', 'reason')
PERCENT = re.compile(r'^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$')


class CommandFailureRuleError(ValueError):
    """A rule that cannot be used; the message says why."""


def _share(value):
    if isinstance(value, str):
        match = PERCENT.match(value)
        if not match:
            raise CommandFailureRuleError(f'share must be a fraction from 0 to 1 or a percentage such as "20%", got {value!r}')
        value = float(match.group(1)) / 100.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise CommandFailureRuleError(f'share must be a fraction from 0 to 1 or a percentage such as "20%", got {value!r}')
    return float(value)


def validate_rule(rule):
    """The rule with share as a fraction and seed filled in; CommandFailureRuleError when it is not usable."""
    if not isinstance(rule, dict):
        raise CommandFailureRuleError('a command failure rule must be a JSON object')
    unknown = sorted(set(rule) - set(RULE_KEYS))
    if unknown:
        raise CommandFailureRuleError(f'unknown command failure rule keys: {", ".join(unknown)}; allowed: {", ".join(RULE_KEYS)}')
    command = rule.get('command')
    if not isinstance(command, str) or not command:
        raise CommandFailureRuleError('command is required: a command name such as REBOOT, or "*" for every command')
    devices = rule.get('devices')
    if devices is not None and (not isinstance(devices, list) or not all(isinstance(ref, str) and ref for ref in devices)):
        raise CommandFailureRuleError('devices must be a list of device ids or names')
    if devices is None and rule.get('share') is None:
        raise CommandFailureRuleError('give devices, share, or both')
    seed = rule.get('seed', 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise CommandFailureRuleError('seed must be an integer')
    reason = rule.get('reason', DEFAULT_REASON)
    if not isinstance(reason, str):
        raise CommandFailureRuleError('reason must be a string')
    checked = {'command': command, 'seed': seed, 'reason': reason, 'devices': devices}
    checked['share'] = None if rule.get('share') is None else _share(rule['share'])
    return checked


class CommandFailureRules:
    """The active rules, each with the device ids it picked from the fleet."""

    def __init__(self, fleet, rules=()):
        self.fleet = fleet
        self.rules = []
        self.add(list(rules))

    def add(self, rules):
        """Add one rule or a list of them (all checked first: none is added when one is bad)."""
        rules = rules if isinstance(rules, list) else [rules]
        picked = [self._pick(validate_rule(rule)) for rule in rules]
        self.rules.extend(picked)

    def clear(self):
        self.rules = []

    def _pick(self, rule):
        candidates = []
        if rule['devices'] is None:
            candidates = list(self.fleet.devices)
        else:
            for ref in rule['devices']:
                device = self.fleet.find_device(ref)
                if device is None:
                    raise CommandFailureRuleError(f'unknown device {ref}')
                if device not in candidates:
                    candidates.append(device)
        chosen = candidates
        if rule['share'] is not None:
            count = int(rule['share'] * len(candidates) + 0.5)
            chosen = random.Random(f'{rule["seed"]}-{rule["command"]}').sample(candidates, count)
            chosen.sort(key=lambda device: device.index)
        return dict(rule, device_ids=[device.id for device in chosen])

    def reason(self, device_id, command):
        """The failure reason of the first rule that makes this device fail this command, or None."""
        for rule in self.rules:
            if rule['command'] in ('*', command) and device_id in rule['device_ids']:
                return rule['reason']
        return None

    def to_json(self):
        """The rules as GET /_sim/command_failures shows them, with the names and ids of the picked devices."""
        view = []
        for rule in self.rules:
            names = [self.fleet.devices_by_id[device_id].device_name for device_id in rule['device_ids']]
            view.append({'command': rule['command'], 'devices': rule['devices'], 'share': rule['share'], 'seed': rule['seed'],
                         'reason': rule['reason'], 'device_ids': list(rule['device_ids']), 'device_names': names})
        return view


def control_routes(simulator):
    """The handlers of /_sim/command_failures: GET lists the rules, POST adds rule(s), DELETE clears them."""

    def get_rules(request, body):
        return {'command_failures': simulator.command_failures.to_json()}

    def add_rules(request, body):
        if isinstance(body, dict) and isinstance(body.get('rules'), list):
            body = body['rules']
        if body is None:
            raise CommandFailureRuleError('send a command failure rule object or a list of them')
        simulator.command_failures.add(body)
        return get_rules(request, body)

    def clear_rules(request, body):
        simulator.command_failures.clear()
        return {'command_failures': []}

    return {'GET': get_rules, 'POST': add_rules, 'DELETE': clear_rules}
