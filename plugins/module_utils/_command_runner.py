# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""The one runner of every module that sends commands, and the plan-to-result step it uses.

A module keeps its DOCUMENTATION, its argument spec and its planning; run_command_module() owns the rest of
the path: secret registration (before Ansible checks or logs any argument), input problems, the client, the
plan, check mode, submit, wait, the result, and the failure exit. A module works out *what* to send as a list of
CommandPlan objects; run_plans() sends them and builds the result, so every command module reports the same keys
in the same way.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import COMMANDS, destructive_reason, secret_arg_names
from ansible_collections.esper.mdm.plugins.module_utils._client import EsperApiError, client_from_module
from ansible_collections.esper.mdm.plugins.module_utils._command_history import is_open, is_success, latest_statuses, same_request_filter
from ansible_collections.esper.mdm.plugins.module_utils._masking import SECRET_KEYS, collect_secrets, mask_secrets, redact, scrub_text
from ansible_collections.esper.mdm.plugins.module_utils._rollout import (
    RolloutError,
    destructive_problems,
    guard_problem,
    over_budget,
    rollout_problems,
    split_into_waves,
    stop_message,
    waves_diff,
    within_budget_warning,
)
from ansible_collections.esper.mdm.plugins.module_utils._submission import (
    SubmissionError,
    build_requests,
    describe_outcome,
    empty_stats,
    read_stats,
    submit_requests,
    sum_stats,
    wait_for_completion,
)
from ansible_collections.esper.mdm.plugins.module_utils._targets import (
    TargetError,
    device_label,
    expand_groups,
    group_has_unsupported_devices,
    groups_device_count,
    split_by_platform,
)

# How many devices a "not sent" warning names before it only counts the rest.
WARNING_SAMPLE = 10

# Every command_args key that holds a secret in any command: the raw arguments are scrubbed before Ansible checks
# them, when the command itself may still be unknown.
ALL_SECRET_ARG_NAMES = frozenset(name for command in COMMANDS for name in secret_arg_names(command))


def no_log_option_names(argument_spec):
    """The names of every no_log option of an argument spec, suboptions included."""
    names = set()
    for name, spec in (argument_spec or {}).items():
        if spec.get('no_log'):
            names.add(name)
        names |= no_log_option_names(spec.get('options'))
    return names


# List options (devices, groups) longer than this are echoed in invocation.module_args cut to this many entries.
INVOCATION_LIST_LIMIT = 100


class EsperModule(AnsibleModule):
    """AnsibleModule that registers every secret of its raw arguments before Ansible checks or logs them.

    Ansible returns the raw arguments as invocation.module_args when it rejects an option (a misspelt one,
    wait_timeout: soon), and logs them to syslog once they pass; a secret inside command_args or an access point
    is no no_log option, so it is registered here, as soon as the arguments are loaded.
    """

    def __init__(self, argument_spec, **kwargs):
        # Read by _load_params(), which AnsibleModule.__init__ calls before it validates anything.
        self._esper_secret_keys = frozenset(SECRET_KEYS) | ALL_SECRET_ARG_NAMES | no_log_option_names(argument_spec)
        self.secret_values = set()
        super(EsperModule, self).__init__(argument_spec, **kwargs)

    def _load_params(self):
        super(EsperModule, self)._load_params()
        self.add_secrets(collect_secrets(self.params, self._esper_secret_keys))

    def add_secrets(self, values):
        """Register more secret values: hidden from everything this module returns, warns or logs."""
        values = set(value for value in values or () if isinstance(value, str) and value)
        self.secret_values |= values
        self.no_log_values.update(values)

    def redact(self, value):
        """value with every registered secret, its escaped forms and its slices hidden."""
        return redact(value, self.secret_values)

    def warn(self, warning):
        super(EsperModule, self).warn(self.redact(warning))

    def _with_invocation(self, kwargs):
        """kwargs with invocation.module_args cut short when a list option is longer than INVOCATION_LIST_LIMIT.

        Ansible echoes every argument back; 100,000 device ids made the result 4 MB, and handling it most of the time
        between the devices finishing and the task ending. module_args_cut gives each cut list's full length.
        Ansible still removes the no_log values from what is returned.
        """
        params = getattr(self, 'params', None)
        if 'invocation' in kwargs or not isinstance(params, dict):
            return kwargs
        cut = dict((name, len(value)) for name, value in params.items()
                   if isinstance(value, list) and len(value) > INVOCATION_LIST_LIMIT)
        if not cut:
            return kwargs
        module_args = dict((name, value[:INVOCATION_LIST_LIMIT] if name in cut else value) for name, value in params.items())
        return dict(kwargs, invocation={'module_args': module_args, 'module_args_cut': cut})

    def fail_json(self, msg=None, **kwargs):
        super(EsperModule, self).fail_json(msg=self.redact(msg), **self.redact(self._with_invocation(kwargs)))

    def exit_json(self, **kwargs):
        super(EsperModule, self).exit_json(**self.redact(self._with_invocation(kwargs)))


def run_command_module(argument_spec, plan, input_problems=None, prepare=None, send_options=None, report=None,
                       commands=None, **module_kwargs):
    """The whole run of a command-sending module; ends in exit_json or fail_json.

    plan(module, client) -> list of CommandPlan: whom to send what (the module's own logic).
    input_problems(params) -> list of str: problems found without asking Esper; any stops the run before a request.
    prepare(module): work before the client exists (reading a local file); may fail the module or add secrets.
    send_options(params) -> dict of run_plans' schedule, schedule_args and alias (default: sent now, no alias).
    report(module, result): adds the module's own keys to, or drops keys from, the result.
    commands(params) -> [(command, command_args)] the run may send, when the options tell: a destructive one without
    max_devices is then refused before any request (otherwise after planning, still before any write).
    The options of _rollout.rollout_argument_spec() (rollout, max_devices), when the module has them, are checked
    with the other input problems and passed to run_plans.
    Every message, warning and result leaves through the EsperModule, so no registered secret (nor a slice of one)
    reaches them.
    """
    module = EsperModule(argument_spec=argument_spec, supports_check_mode=True, **module_kwargs)
    params = module.params
    problems = list(input_problems(params)) if input_problems else []
    options = send_options(params) if send_options and not problems else {}
    problems.extend(rollout_problems(params, options.get('schedule', 'IMMEDIATE')))
    if commands and not problems:
        problems.extend(destructive_problems(commands(params), params.get('max_devices')))
    if problems:
        module.fail_json(msg='; '.join(problems), problems=problems)
    if prepare:
        prepare(module)
    client = client_from_module(module)
    try:
        plans = plan(module, client)
        result = run_plans(module, client, plans, wait=params['wait'], wait_timeout=params['wait_timeout'],
                           rollout=params.get('rollout'), max_devices=params.get('max_devices'), **options)
    except (TargetError, RolloutError) as error:
        module.fail_json(msg=str(error), problems=error.problems)
    except EsperApiError as error:
        module.fail_json(msg=str(error))
    if report:
        report(module, result)
    failure = result.pop('failure_message', None)
    if failure:
        module.fail_json(msg=failure, **result)
    module.exit_json(**result)


def warn_not_sent(module, command, skipped):
    """One warning naming the devices (up to WARNING_SAMPLE) that are not sent command, and why."""
    if not skipped:
        return
    named = ['%s (%s)' % (entry.get('device_name') or entry.get('device'), entry['reason']) for entry in skipped[:WARNING_SAMPLE]]
    more = len(skipped) - len(named)
    module.warn('%d device(s) are not sent %s: %s%s' % (
        len(skipped), command, '; '.join(named), '; and %d more' % more if more > 0 else ''))


def _nothing_supported(commands, skipped):
    names = ', '.join('%s (%s)' % (entry.get('device_name') or entry.get('device'), entry['reason']) for entry in skipped[:WARNING_SAMPLE])
    more = len(skipped) - min(len(skipped), WARNING_SAMPLE)
    return TargetError('no target can receive %s: %s%s' % (' or '.join(commands), names, '; and %d more' % more if more > 0 else ''))


def supported_devices(module, commands, devices):
    """(devices every one of commands supports, skipped entries), warning once about the skipped ones.

    devices: resolved device dicts (groups already expanded). Raises TargetError, before any write, when devices
    were given and none of them can receive the commands (the catalogue's platforms, §4.3).
    """
    skipped = []
    for command in commands:
        devices, more = split_by_platform(command, devices)
        skipped.extend(more)
    if skipped and not devices:
        raise _nothing_supported(commands, skipped)
    warn_not_sent(module, ' or '.join(commands), skipped)
    return devices, skipped


def supported_targets(module, client, command, devices, groups):
    """(devices, groups, skipped entries): the targets as given, minus every device of a platform command lacks.

    A group holding such a device (one counting request per group, none when the command works on every platform)
    is expanded and its other devices are sent the command as devices: a device is never sent a command its
    platform does not support, even inside a group. Raises TargetError before any write when nothing is left.
    """
    kept_groups = []
    members = []
    for group in groups:
        if group_has_unsupported_devices(client, command, group):
            members.extend(expand_groups(client, [group]).get(group['id'], []))
        else:
            kept_groups.append(group)
    candidates = devices  # resolved devices come without repeats
    if members:
        seen = set()
        candidates = []
        for device in list(devices) + members:
            if device.get('id') not in seen:
                seen.add(device.get('id'))
                candidates.append(device)
    supported, skipped = split_by_platform(command, candidates)
    if skipped and not supported and not kept_groups:
        raise _nothing_supported([command], skipped)
    warn_not_sent(module, command, skipped)
    return supported, kept_groups, skipped


def plan_for_targets(command, command_args, devices, groups, command_type=None, diff=None):
    """A CommandPlan that sends command to resolved devices and groups as given (no per-device check).

    Esper lists a group request's devices asynchronously (§9.4 item 8), in DYNAMIC requests too, so the wait
    expects at least the groups' device_count (or the listed devices, if more): the listed devices alone must
    not end it.
    """
    expected_total = None
    if groups and groups_device_count(groups) is not None:
        expected_total = max(groups_device_count(groups), len(devices))
    names = dict((device['id'], device_label(device)) for device in devices)
    return CommandPlan(command, command_args, [device['id'] for device in devices], [group['id'] for group in groups],
                       command_type=command_type, expected_total=expected_total, device_names=names, diff=diff)


class CommandPlan(object):
    """One command to send: to whom, and what the module already decided not to send.

    devices / groups: UUIDs (a plan with neither sends nothing); command_type: None to infer it;
    skipped_devices: [{device, device_name, reason}] reported as is; diff: {'before': ..., 'after': ...}
    shown in diff mode; expected_total: a lower bound for the number of devices the requests will report
    (for group targets, whose devices are listed asynchronously); device_names: device id -> name, used to
    name devices in failed_devices.
    """

    def __init__(self, command, command_args, devices, groups, command_type=None, skipped_devices=None,
                 diff=None, expected_total=None, device_names=None):
        self.command = command
        self.command_args = dict(command_args or {})
        self.devices = list(devices or [])
        self.groups = list(groups or [])
        self.command_type = command_type
        self.skipped_devices = list(skipped_devices or [])
        self.diff = diff
        self.expected_total = expected_total
        self.device_names = device_names if device_names is not None else {}  # not copied: 100,000 names

    @property
    def sends(self):
        """True when the plan has anything to send to."""
        return bool(self.devices or self.groups)


def secret_keys_for(command):
    """Every command_args key whose value is a secret for this command (and anywhere else)."""
    return frozenset(SECRET_KEYS) | frozenset(secret_arg_names(command) or ())


def protect_command_args(module, command, command_args):
    """Register the secret values of command_args with Ansible's no_log scrubbing (and the module's redactor); return them."""
    values = set(collect_secrets(command_args, secret_keys_for(command)))
    if isinstance(module, EsperModule):
        module.add_secrets(values)  # no_log_values and the module's redactor
    else:
        module.no_log_values.update(values)
    return values


def _merge_diffs(diffs):
    if not diffs:
        return None
    if len(diffs) == 1:
        return diffs[0]
    merged = {'before': {}, 'after': {}}
    for diff in diffs:
        for side in ('before', 'after'):
            part = diff.get(side)
            if isinstance(part, dict):
                merged[side].update(part)
    return merged


def _open_as_failed(open_devices, wait_timeout):
    entries = []
    for entry in open_devices:
        entry = dict(entry)
        if not entry.get('reason'):
            entry['reason'] = 'still %s after %ss' % (entry.get('state'), wait_timeout)
        entries.append(entry)
    return entries


def run_plans(module, client, plans, schedule='IMMEDIATE', schedule_args=None, alias=None,
              wait=True, wait_timeout=300, rollout=None, max_devices=None):
    """Send every plan that has targets (nothing in check mode), optionally wait, and build the result.

    Result keys: changed, command_id, command_ids, commands (per sent plan: command, command_id,
    command_ids, stats, request), request (first body, secrets masked), stats, skipped_devices,
    failed_devices, timed_out, diff (in diff mode, when a plan has one), and failure_message when a
    device failed, the wait timed out or a POST failed after earlier requests were created; the module
    then calls ``module.fail_json(msg=result.pop('failure_message'), **result)``.
    An error before any request was created is raised as is (EsperApiError).

    rollout ({waves, max_fail_percentage, pause_seconds}) sends the devices in waves (see run_waves) and adds the
    result keys waves and unsent_devices; max_devices refuses, before any write, to send to more devices. With either,
    or with a destructive command, groups are expanded and sent as devices, so the count is known (RolloutError
    carries the guard's problems).
    """
    plans = list(plans)
    _check_destructive(plans, max_devices)
    if rollout is not None or max_devices is not None or _any_destructive(plans):
        plans = as_device_plans(module, client, plans)
    order, names = rollout_order(plans)
    problem = guard_problem(_target_count(plans, order), max_devices, _sending_commands(plans))
    if problem:
        raise RolloutError([problem])
    options = dict(schedule=schedule, schedule_args=schedule_args, alias=alias, wait=wait, wait_timeout=wait_timeout)
    if rollout is not None:
        result = run_waves(module, client, plans, order, names, rollout, **options)
    else:
        result, problems, dummy = _run_batch(module, client, plans, **options)
        if problems:
            result['failure_message'] = '; '.join(text for text, dummy in problems)
    if getattr(module, '_diff', False):
        diff = _merge_diffs([plan.diff for plan in plans if plan.diff])
        if rollout is not None and result.get('waves'):
            diff = [entry for entry in (diff, waves_diff(result['waves'], names)) if entry is not None]
        if diff is not None:
            result['diff'] = diff
    return result


def _target_count(plans, order):
    """How many devices the task's targets resolve to (groups expanded): those sent the command and those skipped
    (already compliant, already run with once, or on a platform the command does not support)."""
    if not any(plan.skipped_devices for plan in plans):
        return len(order)  # rollout_order lists each device once: no set of 100,000 ids to build
    devices = set(str(device) for device in order)
    for plan in plans:
        devices.update(str(entry.get('device')) for entry in plan.skipped_devices or [] if isinstance(entry, dict) and entry.get('device'))
    return len(devices)


def _sending_commands(plans):
    commands = []
    for plan in plans:
        if plan.sends and plan.command not in commands:
            commands.append(plan.command)
    return commands


def _any_destructive(plans):
    return any(plan.sends and destructive_reason(plan.command, plan.command_args) for plan in plans)


def _check_destructive(plans, max_devices):
    """RolloutError before any write when a plan sends a destructive command and max_devices is not given.

    Modules that pass commands= to run_command_module are checked before any request; this catches every other one.
    """
    problems = destructive_problems([(plan.command, plan.command_args) for plan in plans if plan.sends], max_devices)
    if problems:
        raise RolloutError(problems)


def as_device_plans(module, client, plans):
    """The plans with their groups expanded to member devices (each group listed once), sent as DEVICE requests.

    Members follow the plan's devices group by group in the order given, in listing order, each device once; a
    member whose platform the command lacks is skipped (with a warning), as supported_devices does.
    """
    members = {}
    for plan in plans:
        if not plan.groups:
            continue
        missing = [group for group in plan.groups if group not in members]
        if missing:
            members.update(expand_groups(client, missing))
        seen = set(plan.devices)
        reached = []
        for group in plan.groups:
            for device in members.get(group, []):
                if device.get('id') not in seen:
                    seen.add(device.get('id'))
                    reached.append(device)
        supported, skipped = split_by_platform(plan.command, reached)
        warn_not_sent(module, plan.command, skipped)
        known = set(entry.get('device') for entry in plan.skipped_devices)
        plan.skipped_devices.extend(entry for entry in skipped if entry.get('device') not in known)
        plan.device_names = dict(plan.device_names)  # a module may give several plans one names map: add to a copy
        for device in supported:
            plan.device_names.setdefault(device['id'], device_label(device))
        plan.devices = plan.devices + [device['id'] for device in supported]
        plan.groups = []
        if plan.command_type in ('GROUP', 'DYNAMIC'):
            plan.command_type = None
        plan.expected_total = len(plan.devices) or None
    return plans


def _names_follow_devices(plan):
    """Whether the plan's device_names holds exactly its devices, in the same order (without a copy of either)."""
    names = plan.device_names
    return len(names) == len(plan.devices) and all(name == device for name, device in zip(names, plan.devices))


def rollout_order(plans):
    """(device ids every plan sends to, in rollout order; id -> name).

    The order is the target order the modules keep in each plan's device_names (listed devices first, then each
    group's members), then any device only a plan's devices list holds; each device once, at its first place.
    """
    if len(plans) == 1 and _names_follow_devices(plans[0]):
        # One plan whose names are its devices, in order (the usual case): no set of 100,000 ids to build.
        return list(plans[0].devices), plans[0].device_names
    unplaced = set()
    for plan in plans:
        unplaced.update(plan.devices)
    order = []
    for plan in plans:
        for ids in (plan.device_names, plan.devices):
            for device in ids:
                if device in unplaced:
                    unplaced.discard(device)
                    order.append(device)
    if len(plans) == 1:
        return order, plans[0].device_names  # one plan (the usual case): its names as they are, not a copy
    names = {}
    for plan in plans:
        for device, name in plan.device_names.items():
            names.setdefault(device, name)
    return order, names


def _wave_plans(plans, wave_devices, first):
    """Each plan cut down to the devices of one wave (DEVICE requests); skipped devices ride on the first wave."""
    wave_set = set(wave_devices)
    cut = []
    for plan in plans:
        devices = [device for device in plan.devices if device in wave_set]
        cut.append(CommandPlan(plan.command, plan.command_args, devices, [], command_type=None,
                               skipped_devices=plan.skipped_devices if first else [],
                               expected_total=len(devices) or None, device_names=plan.device_names))
    return cut


def run_waves(module, client, plans, order, names, rollout, schedule='IMMEDIATE', schedule_args=None, alias=None,
              wait=True, wait_timeout=300):
    """Send the plans' devices wave by wave, each wave after the previous one finished, within one failure budget.

    A wave's devices that end in Failure, TimeOut or Cancelled, or are still open when its wait (wait_timeout, per
    wave) ends, count as failed; over max_fail_percentage of every device sent so far, no later wave is sent and the
    result carries failure_message. A POST or progress error stops the rollout too. Check mode lists every wave.
    """
    max_fail = rollout.get('max_fail_percentage') or 0
    pause = rollout.get('pause_seconds') or 0
    waves = split_into_waves(order, rollout['waves'])
    result = _empty_result()
    result['waves'] = []
    result['unsent_devices'] = []
    sent = 0
    failed_ids = []
    failed_entries = []
    stop = None
    for index, wave_devices in enumerate(waves):
        if index and pause and not module.check_mode:
            client.sleep(pause)
        batch, problems, sent_batches = _run_batch(module, client, _wave_plans(plans, wave_devices, index == 0),
                                                   schedule=schedule, schedule_args=schedule_args, alias=alias,
                                                   wait=wait, wait_timeout=wait_timeout,
                                                   raise_first_error=not result['command_ids'])
        _add_batch(result, batch)
        sent_ids = set(device for devices in sent_batches for device in devices)
        wave_failed = []
        for entry in batch['failed_devices']:
            if entry.get('device') not in failed_ids:
                failed_ids.append(entry.get('device'))
                wave_failed.append(entry)
        failed_entries.extend(wave_failed)
        result['waves'].append({
            'wave': index + 1, 'device_count': len(wave_devices), 'devices': list(wave_devices),
            'command_ids': [command_id for entry in batch['commands'] for command_id in entry['command_ids']],
            'stats': batch['stats'], 'failed_devices': wave_failed, 'sent': bool(sent_ids),
        })
        if module.check_mode:
            continue
        sent += len(set(wave_devices) & sent_ids)
        unsent = [device for device in wave_devices if device not in sent_ids] + [
            device for later in waves[index + 1:] for device in later]
        hard = [text for text, is_hard in problems if is_hard]
        if hard:
            stop = 'rollout stopped in wave %d of %d: %s' % (index + 1, len(waves), '; '.join(hard))
        elif over_budget(len(failed_ids), sent, max_fail):
            stop = stop_message(index + 1, len(waves), len(failed_ids), sent, max_fail, failed_entries, len(unsent))
        if stop:
            result['unsent_devices'] = [{'device': device, 'device_name': names.get(device, device)} for device in unsent]
            result['failure_message'] = stop
            break
    if failed_entries and not stop:
        module.warn(within_budget_warning(len(failed_ids), sent, max_fail, failed_entries))
    return result


def _empty_result():
    return {
        'changed': False,
        'command_id': None,
        'command_ids': [],
        'commands': [],
        'request': None,
        'stats': empty_stats(),
        'skipped_devices': [],
        'failed_devices': [],
        'timed_out': False,
    }


def _add_batch(result, batch):
    """Fold one wave's result into the rollout's."""
    result['changed'] = result['changed'] or batch['changed']
    result['command_ids'].extend(batch['command_ids'])
    result['command_id'] = result['command_ids'][0] if result['command_ids'] else None
    result['commands'].extend(batch['commands'])
    if result['request'] is None:
        result['request'] = batch['request']
    result['stats'] = sum_stats([result['stats'], batch['stats']])
    result['skipped_devices'].extend(batch['skipped_devices'])
    result['failed_devices'].extend(batch['failed_devices'])
    result['timed_out'] = result['timed_out'] or batch['timed_out']


def _run_batch(module, client, plans, schedule='IMMEDIATE', schedule_args=None, alias=None, wait=True, wait_timeout=300,
               raise_first_error=True):
    """Send plans at once and wait for them: (result, problems [(text, hard)], the device lists of the requests sent).

    hard problems are POST and progress-read errors; the others describe devices that did not succeed. An error of
    the first POST is raised as is when raise_first_error (nothing was created), else it is a hard problem.
    """
    result = _empty_result()
    secrets = set()
    problems = []
    sent = []
    sent_batches = []  # not a set: a task without waves never needs one, and 100,000 ids make it 4 MB
    sent_at = {}
    scheduled_is_final = (schedule or 'IMMEDIATE') != 'IMMEDIATE'

    for plan in plans:
        result['skipped_devices'].extend(plan.skipped_devices)
        secrets |= protect_command_args(module, plan.command, plan.command_args)
        if not plan.sends:
            continue
        bodies = build_requests(plan.command, plan.command_args, plan.devices, plan.groups,
                                command_type=plan.command_type, schedule=schedule or 'IMMEDIATE',
                                schedule_args=schedule_args, alias=alias)
        keys = secret_keys_for(plan.command)
        entry = {'command': plan.command, 'command_id': None, 'command_ids': [], 'stats': empty_stats(),
                 'request': mask_secrets(bodies[0], keys)}
        result['changed'] = True
        if result['request'] is None:
            result['request'] = entry['request']
        if module.check_mode:
            result['commands'].append(entry)
            continue
        try:
            created = submit_requests(client, bodies, sent_at=sent_at)
        except SubmissionError as partial:
            created = partial.created
            problems.append(('%s: %d of %d requests were created before this error: %s'
                             % (plan.command, len(created), len(bodies), scrub_text(partial.error, secrets)), True))
        except EsperApiError as error:
            if not result['command_ids'] and raise_first_error:
                raise
            created = []
            problems.append(('%s: not sent: %s' % (plan.command, scrub_text(error, secrets)), True))
        for body in bodies[:len(created)]:
            sent_batches.append(body.get('devices') or [])
        entry['command_ids'] = [request.get('id') for request in created]
        entry['command_id'] = entry['command_ids'][0] if entry['command_ids'] else None
        result['command_ids'].extend(entry['command_ids'])
        if created:
            result['commands'].append(entry)
            sent.append((plan, entry))
        if problems:
            break  # later plans are not sent once one failed half-way, so a re-run starts from a known point

    result['command_id'] = result['command_ids'][0] if result['command_ids'] else None
    deadline = client.clock() + (wait_timeout or 0)
    several = len(sent) > 1
    for plan, entry in sent:
        try:
            if not wait:
                entry['stats'] = sum_stats([read_stats(client, command_id) for command_id in entry['command_ids']])
                continue
            outcome = wait_for_completion(client, entry['command_ids'], max(0, deadline - client.clock()),
                                          expected_total=plan.expected_total, scheduled_is_final=scheduled_is_final,
                                          sleep=client.sleep, clock=client.clock, device_names=plan.device_names,
                                          sent_at=sent_at)
        except EsperApiError as error:
            message = 'could not read the progress of %s (%s): %s' % (
                plan.command, ', '.join(entry['command_ids']), scrub_text(error, secrets))
            if wait:
                problems.append((message, True))
            else:
                module.warn(message)
            continue
        entry['stats'] = outcome.stats
        for device in outcome.failed_devices + _open_as_failed(outcome.open_devices, wait_timeout):
            # A device may echo an argument back in its reason.
            device['reason'] = scrub_text(device.get('reason') or '', secrets)
            result['failed_devices'].append(device)
        result['timed_out'] = result['timed_out'] or outcome.timed_out
        message = describe_outcome(outcome, wait_timeout, scheduled_is_final=scheduled_is_final)
        if message:
            problems.append(('%s: %s' % (plan.command, message) if several else message, False))

    result['stats'] = sum_stats([entry['stats'] for entry in result['commands']])
    problems = [(scrub_text(text, secrets), hard) for text, hard in problems]
    return result, problems, sent_batches


def exclude_already_run(client, command, command_args, device_ids, device_names=None):
    """Split device_ids into those still to send to and those that already ran, or are running, this exact request.

    Looks up every request with the same command and command_args in the command history; a device with
    Success or a still open status (queued .. scheduled) in any of them is skipped, even when a newer one failed,
    and the newest such request is named. Returns (remaining device ids, skipped [{device, device_name, reason, command_id}]).
    """
    device_names = device_names or {}
    latest = latest_statuses(client, [command], device_ids, request_filter=same_request_filter(command, command_args),
                             status_filter=lambda status: is_success(status) or is_open(status))
    remaining = []
    skipped = []
    for device in device_ids:
        found = latest.get(device)
        status = found and found.get('status')
        if status and (is_success(status) or is_open(status)):
            request_id = (found.get('request') or {}).get('id') or status.get('request')
            verb = 'already completed' if is_success(status) else 'still running'
            skipped.append({'device': device, 'device_name': device_names.get(device, device),
                            'reason': '%s an identical %s request %s (%s)' % (verb, command, request_id, status.get('state')),
                            'command_id': request_id})
        else:
            remaining.append(device)
    return remaining, skipped
