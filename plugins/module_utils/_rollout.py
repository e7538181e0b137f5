# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Rollouts in waves with one failure budget, and the guard on how many devices a task may reach.

The options (doc fragment esper.mdm.rollout) are ``rollout`` (``waves``, ``max_fail_percentage``, ``pause_seconds``)
and ``max_devices``. This file holds the rules as plain functions (option checks, wave sizes, the budget, the guard
and their messages); _command_runner.run_plans applies them to the plans of every command-sending module, so a
module gets both options by adding rollout_argument_spec() to its argument spec and the fragment to its docs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import destructive_reason

PERCENT_PATTERN = re.compile(r'^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$')
WHOLE_NUMBER_PATTERN = re.compile(r'^\s*[0-9]+\s*$')
# How many devices a message names before it only counts the rest.
NAMED_DEVICES = 10


class RolloutError(Exception):
    """The guard refused to send (max_devices exceeded or missing for a destructive command); .problems lists why."""

    def __init__(self, problems):
        super(RolloutError, self).__init__('; '.join(problems))
        self.problems = list(problems)


def rollout_argument_spec():
    """The options of the esper.mdm.rollout doc fragment: rollout and max_devices."""
    return dict(
        rollout=dict(type='dict', options=dict(
            waves=dict(type='list', elements='raw', required=True),
            max_fail_percentage=dict(type='float', default=0),
            pause_seconds=dict(type='int', default=0),
        )),
        max_devices=dict(type='int'),
    )


def parse_wave(item):
    """('count', n) or ('percent', p) for one entry of rollout.waves; ValueError when it is neither."""
    if isinstance(item, bool):
        raise ValueError(item)
    if isinstance(item, int):
        if item < 1:
            raise ValueError(item)
        return 'count', item
    if isinstance(item, float) and item.is_integer() and item >= 1:
        return 'count', int(item)
    if isinstance(item, str):
        if WHOLE_NUMBER_PATTERN.match(item) and int(item) >= 1:
            return 'count', int(item)
        match = PERCENT_PATTERN.match(item)
        if match:
            percent = float(match.group(1))
            if 0 < percent <= 100:
                return 'percent', percent
    raise ValueError(item)


def _shown(value):
    return repr(value) if isinstance(value, str) else '%s' % (value,)


def rollout_problems(params, schedule='IMMEDIATE'):
    """Every problem with rollout and max_devices that can be found before any request (none when not given)."""
    problems = []
    max_devices = params.get('max_devices')
    if max_devices is not None and max_devices < 1:
        problems.append('max_devices must be 1 or more, got %d' % max_devices)
    rollout = params.get('rollout')
    if rollout is None:
        return problems
    waves = rollout.get('waves')
    if not waves:
        problems.append("rollout.waves must list at least one wave size, such as [5, '25%', '100%']")
    for index, item in enumerate(waves or []):
        try:
            parse_wave(item)
        except ValueError:
            problems.append("rollout.waves[%d] must be a whole number of devices (1 or more) or a percentage of them "
                            "above 0%% and at most 100%%, such as 5 or '25%%'; got %s" % (index, _shown(item)))
    percentage = rollout.get('max_fail_percentage')
    if percentage is not None and not 0 <= percentage <= 100:
        problems.append('rollout.max_fail_percentage must be from 0 to 100, got %g' % percentage)
    pause = rollout.get('pause_seconds')
    if pause is not None and pause < 0:
        problems.append('rollout.pause_seconds must be 0 or more, got %d' % pause)
    if 'wait' in params and not params.get('wait'):
        problems.append('rollout needs wait=true: a wave is sent only after the devices of the previous wave finished')
    if schedule not in (None, 'IMMEDIATE'):
        problems.append('rollout needs schedule IMMEDIATE: a scheduled request is done once it is scheduled, so the '
                        'devices of a wave have not run it when the next wave would be sent; got schedule %s' % schedule)
    return problems


def expands_groups(params):
    """True when rollout or max_devices is given: targets are then sent as devices, groups expanded first."""
    return params.get('rollout') is not None or params.get('max_devices') is not None


def wave_sizes(total, waves):
    """The device count of each wave for ``total`` devices, read like the play keyword ``serial``.

    A count is taken as is, a percentage of ``total`` is rounded up, every wave has at least one device, the last
    size repeats until every device is in a wave, and the last wave takes what is left.
    """
    sizes = []
    parsed = [parse_wave(item) for item in waves]
    left = total
    index = 0
    while left > 0:
        kind, value = parsed[min(index, len(parsed) - 1)]
        size = value if kind == 'count' else int(math.ceil(total * value / 100.0 - 1e-9))
        size = min(max(1, size), left)
        sizes.append(size)
        left -= size
        index += 1
    return sizes


def split_into_waves(device_ids, waves):
    """device_ids (in rollout order) cut into consecutive lists of wave_sizes()."""
    device_ids = list(device_ids)
    result = []
    start = 0
    for size in wave_sizes(len(device_ids), waves):
        result.append(device_ids[start:start + size])
        start += size
    return result


def over_budget(failed, sent, max_fail_percentage):
    """True when failed devices are more than max_fail_percentage percent of the devices sent so far."""
    if not failed:
        return False
    return failed * 100.0 > (max_fail_percentage or 0) * sent + 1e-9


def percent(part, whole):
    """part as a percentage of whole, for messages ('12.5%')."""
    return '%g%%' % round(100.0 * part / whole, 1) if whole else '0%'


def destructive_problems(commands, max_devices):
    """One problem per destructive (command, command_args) in commands when max_devices is not given."""
    if max_devices is not None:
        return []
    problems = []
    seen = set()
    for command, command_args in commands:
        reason = destructive_reason(command, command_args)
        if reason and command not in seen:
            seen.add(command)
            problems.append(
                '%s is destructive (%s), so max_devices is required: set max_devices to the number of devices this task '
                'may reach (groups are expanded and counted before anything is sent, and nothing is sent when there are '
                'more); run in check mode first to see the devices, and consider a rollout with waves' % (command, reason))
    return problems


def guard_problem(count, max_devices, commands):
    """The error when the targets are count devices (groups expanded) but max_devices is less; else None."""
    if max_devices is None or count <= max_devices:
        return None
    return ('the targets of %s are %d devices (groups expanded), more than max_devices %d; nothing was sent. Check the '
            'devices and groups (check mode lists them), or set max_devices to %d or more if they are right'
            % (' and '.join(commands), count, max_devices, count))


def label(entry):
    """How a message names a device entry ({device, device_name})."""
    return entry.get('device_name') or entry.get('device')


def named(entries, describe=label):
    """Up to NAMED_DEVICES entries described, and a count of the rest."""
    shown = [describe(entry) for entry in entries[:NAMED_DEVICES]]
    more = len(entries) - len(shown)
    return ', '.join(shown) + ('; and %d more' % more if more > 0 else '')


def describe_failed(entry):
    """kiosk-0003 (Command Failure: reason)."""
    reason = entry.get('reason')
    return '%s (%s%s)' % (label(entry), entry.get('state'), ': %s' % reason if reason else '')


def stop_message(wave_number, wave_count, failed, sent, max_fail_percentage, failed_entries, unsent_count):
    """The failure message of a rollout stopped because its failures went over the budget (or ended over it)."""
    if not unsent_count:
        return ('rollout sent all %d waves, but %d of the %d devices failed (%s), more than max_fail_percentage %g. '
                'Failed: %s. Fix the cause, then re-run the task (with once=true for an action) to send the failed '
                'devices again' % (wave_count, failed, sent, percent(failed, sent), max_fail_percentage,
                                   named(failed_entries, describe_failed)))
    return ('rollout stopped after wave %d of %d: %d of the %d devices sent so far failed (%s), more than '
            'max_fail_percentage %g; %d device(s) were not sent (unsent_devices). Failed: %s. Fix the cause, then re-run '
            'the task (with once=true for an action) to continue with the devices not done yet'
            % (wave_number, wave_count, failed, sent, percent(failed, sent), max_fail_percentage, unsent_count,
               named(failed_entries, describe_failed)))


def within_budget_warning(failed, sent, max_fail_percentage, failed_entries):
    """The warning of a finished rollout whose failures stayed within the budget."""
    return ('rollout finished with %d of %d devices failed (%s), within max_fail_percentage %g (failed_devices): %s'
            % (failed, sent, percent(failed, sent), max_fail_percentage, named(failed_entries, describe_failed)))


def waves_diff(waves, names):
    """The diff entry that shows the waves of a rollout: wave number -> the names of its devices."""
    after = dict(('wave %d' % entry['wave'], [names.get(device, device) for device in entry['devices']]) for entry in waves)
    return {'before': {}, 'after': after, 'before_header': 'rollout', 'after_header': 'rollout waves'}
