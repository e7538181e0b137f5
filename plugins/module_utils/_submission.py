# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Turning a command into Command Request bodies, sending them, and waiting for the devices (§2, §3)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import time

from ansible_collections.esper.mdm.plugins.module_utils._client import COMMANDS_PATH, STATUS_PATH
from ansible_collections.esper.mdm.plugins.module_utils._parallel import parallel_map

# The nine per-device states of §3.2 and the stats key each one is counted under.
STATE_KEYS = {
    'Command Queued': 'queued',
    'Command Initiated': 'initiated',
    'Command Acknowledged': 'acknowledged',
    'Command In Progress': 'in_progress',
    'Command Scheduled': 'scheduled',
    'Command Success': 'success',
    'Command Failure': 'failure',
    'Command TimeOut': 'timeout',
    'Command Cancelled': 'cancelled',
}
STATE_NAMES = dict((key, name) for name, key in STATE_KEYS.items())
STATS_KEYS = ('total', 'queued', 'initiated', 'acknowledged', 'in_progress', 'scheduled',
              'success', 'failure', 'timeout', 'cancelled')
# States a device can still leave; Scheduled is final only when the caller asks for it (scheduled requests).
RUNNING_KEYS = ('queued', 'initiated', 'acknowledged', 'in_progress')
FAILED_KEYS = ('failure', 'timeout', 'cancelled')

COMMAND_TYPES = ('DEVICE', 'GROUP', 'DYNAMIC')
MAX_DEVICES_PER_REQUEST = 1000
MAX_GROUPS_PER_REQUEST = 500


# The polling schedule (wait_for_completion, next_poll_delay). Without a usable estimate the reads come 0.5 s apart
# at first, then each (sqrt 2 - 1) of the time waited so far later, up to MAX_POLL_GAP: two reads per doubling of the
# wait, so the rounds grow as 2 log2(duration / 0.5). With an estimate of when the devices finish (from their progress
# through the states of §3.2), the next read comes just after that moment: earlier than the plain schedule while
# the round budget (ROUND_BUDGET_SLACK) allows, later (up to twice the time waited) when the end is further away.
FIRST_POLL_GAP = 0.5
POLL_GROWTH = 2 ** 0.5 - 1
MIN_POLL_GAP = 0.25
MAX_POLL_GAP = 300.0
ROUND_BUDGET_SLACK = 4
# A read planned for an estimated end comes this long after it (plus 1 % of the time waited), so it finds the end.
POLL_MARGIN = 0.03
# The lag aimed at between the end and the read that sees it: 0.25 s or 6 % of the wait (the goal, 0.5 s or 10 % to
# the end of the task, leaves room for the reads of the failed devices, the result and Ansible's own work).
LAG_AIM = 0.25
LAG_AIM_SHARE = 0.06
# How far along a device in each open state is, of FINAL_STEP steps (§3.2: Queued, Initiated, Acknowledged,
# In Progress, then a final state). A device seen in a state is somewhere between its start and its end; queued
# devices are counted at 0, as nothing says when they will move (an offline device stays queued).
PROGRESS_STEPS = {'initiated': 1, 'acknowledged': 2, 'in_progress': 3}
FINAL_STEP = 4
STATS_READ_WORKERS = 8


def empty_stats():
    """A stats dict with every count at zero."""
    return dict((key, 0) for key in STATS_KEYS)


def _as_count(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def normalise_stats(status_list):
    """Turn the ``content.status`` list of ``/stats/`` into a stats dict.

    Each known state string adds its ``total`` to its key and to ``total``; an unknown state only adds
    to ``total``, so devices are never lost from the count. A missing or empty list gives zeros (for a
    group request it means the devices are not known yet). A ``{state: total}`` mapping is accepted too.
    """
    stats = empty_stats()
    if isinstance(status_list, dict):
        status_list = [{'state': state, 'total': total} for state, total in status_list.items()]
    for entry in status_list or []:
        if not isinstance(entry, dict):
            continue
        count = _as_count(entry.get('total'))
        stats['total'] += count
        key = STATE_KEYS.get(entry.get('state'))
        if key:
            stats[key] += count
    return stats


def sum_stats(stats_list):
    """Add stats dicts key by key."""
    total = empty_stats()
    for stats in stats_list:
        for key in STATS_KEYS:
            total[key] += _as_count((stats or {}).get(key))
    return total


def open_count(stats, scheduled_is_final=False):
    """How many devices in stats can still change state."""
    count = sum(stats.get(key, 0) for key in RUNNING_KEYS)
    if not scheduled_is_final:
        count += stats.get('scheduled', 0)
    return count


def infer_command_type(devices, groups):
    """DEVICE for devices only, GROUP for groups only, DYNAMIC for both (None when neither)."""
    if devices and groups:
        return 'DYNAMIC'
    if devices:
        return 'DEVICE'
    if groups:
        return 'GROUP'
    return None


def command_type_problem(command_type, devices, groups):
    """Why command_type does not fit the targets, or None when it does (or is not given)."""
    if command_type is None:
        return None
    if command_type not in COMMAND_TYPES:
        return 'command_type must be one of %s, got %s' % (', '.join(COMMAND_TYPES), command_type)
    fitting = infer_command_type(devices, groups)
    if fitting is None or fitting == command_type:
        return None
    given = {'DEVICE': 'devices only', 'GROUP': 'groups only', 'DYNAMIC': 'both devices and groups'}[fitting]
    needs = {'DEVICE': 'devices and no groups', 'GROUP': 'groups and no devices',
             'DYNAMIC': 'both devices and groups'}[command_type]
    return 'command_type %s needs %s, but the targets are %s (command_type %s)' % (command_type, needs, given, fitting)


def _chunks(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def _unique(items):
    seen = set()
    kept = []
    for item in items or []:
        if item not in seen:
            seen.add(item)
            kept.append(item)
    return kept


def build_requests(command, command_args, devices, groups, command_type=None, device_type='all',
                   schedule='IMMEDIATE', schedule_args=None, alias=None):
    """Build the POST bodies for one command, in batches of at most 1000 devices and 500 groups.

    command_type is inferred from the targets when not given; ValueError when it contradicts them
    or when there is nothing to target. A DYNAMIC command pairs the n-th device batch with the n-th
    group batch; once one side runs out, the remaining batches carry only the other side and are typed
    DEVICE or GROUP, since a DYNAMIC request needs both lists.
    """
    devices = _unique(devices)
    groups = _unique(groups)
    problem = command_type_problem(command_type, devices, groups)
    if problem:
        raise ValueError(problem)
    if not devices and not groups:
        raise ValueError('no devices or groups to send %s to' % command)
    device_batches = _chunks(devices, MAX_DEVICES_PER_REQUEST)
    group_batches = _chunks(groups, MAX_GROUPS_PER_REQUEST)
    bodies = []
    for index in range(max(len(device_batches), len(group_batches))):
        batch_devices = device_batches[index] if index < len(device_batches) else []
        batch_groups = group_batches[index] if index < len(group_batches) else []
        body = {'command_type': infer_command_type(batch_devices, batch_groups)}
        if batch_devices:
            body['devices'] = list(batch_devices)
        if batch_groups:
            body['groups'] = list(batch_groups)
        body['device_type'] = device_type
        body['command'] = command
        body['command_args'] = dict(command_args or {})
        body['schedule'] = schedule
        if schedule_args:
            body['schedule_args'] = dict(schedule_args)
        if alias:
            body['alias'] = alias
        bodies.append(body)
    return bodies


class SubmissionError(Exception):
    """A POST failed after earlier batches had been created; ``created`` holds those, ``error`` the cause."""

    def __init__(self, error, created):
        super(SubmissionError, self).__init__(str(error))
        self.error = error
        self.created = created


def submit_requests(client, bodies, sent_at=None):
    """POST each body through client.create_command; return the created CommandRequest dicts in order.

    When the first POST fails its error is raised as is (nothing was created); when a later one fails,
    SubmissionError carries the requests already created so the caller can still report them.
    sent_at, a dict, receives command_id -> client.clock() when its POST was answered (for wait_for_completion).
    """
    created = []
    for body in bodies:
        try:
            created.append(client.create_command(body))
            if sent_at is not None and isinstance(created[-1], dict):
                sent_at[created[-1].get('id')] = client.clock()
        except Exception as error:  # any failure after a created request must not lose that request's id
            if not created:
                raise
            raise SubmissionError(error, created)
    return created


def read_stats(client, command_id):
    """The normalised stats of one request, read once from ``/stats/``."""
    response = client.get(COMMANDS_PATH + '%s/stats/' % command_id)
    if isinstance(response, dict):
        return normalise_stats(response.get('status'))
    return normalise_stats(response)


def device_id_of(status):
    """The device UUID of a CommandStatus (a UUID, or a URL ending in it on older APIs)."""
    device = status.get('device')
    if isinstance(device, dict):
        return device.get('id')
    if isinstance(device, str) and '/' in device:
        parts = [part for part in device.split('/') if part]
        return parts[-1] if parts else device
    return device


def _device_name_of(status, device_names):
    device = device_id_of(status)
    if device_names and device in device_names:
        return device_names[device]
    meta_device = (status.get('meta') or {}).get('device') or {}
    return meta_device.get('device_name')


def read_device_statuses(client, command_id, state_keys, device_names=None):
    """Every device of a request in the given states, as {device, device_name, state, reason, command_id}."""
    entries = []
    for key in state_keys:
        state = STATE_NAMES[key]
        for status in client.paginate(STATUS_PATH, params={'request': command_id, 'state': state}):
            entry = {'device': device_id_of(status), 'state': status.get('state') or state,
                     'reason': status.get('reason') or '', 'command_id': command_id}
            name = _device_name_of(status, device_names)
            if name:
                entry['device_name'] = name
            entries.append(entry)
    return entries


class WaitResult(object):
    """What wait_for_completion found.

    stats: summed normalised stats; stats_by_request: command_id -> stats; timed_out: True when the
    deadline passed with devices still open; failed_devices / open_devices: lists of
    {device, device_name (when known), state, reason, command_id}; rounds: how many times the stats were read.
    """

    def __init__(self, stats, stats_by_request, timed_out, failed_devices, open_devices, rounds=0):
        self.rounds = rounds
        self.stats = stats
        self.stats_by_request = stats_by_request
        self.timed_out = timed_out
        self.failed_devices = failed_devices
        self.open_devices = open_devices


def _request_is_complete(stats, expected, scheduled_is_final):
    if open_count(stats, scheduled_is_final):
        return False
    # An empty status list right after creating a group request means "not known yet", not "done".
    least = 1 if expected is None else expected
    return stats['total'] >= least


def progress_bounds(stats, expected=None, scheduled_is_final=False):
    """(low, high): how far a request's devices are, from 0 to 1, at least and at most; None when nothing says.

    A final device counts 1; a device in Initiated, Acknowledged or In Progress is between the start and the end of
    that state (PROGRESS_STEPS); queued (and, for immediate requests, scheduled) devices and devices not listed yet
    (expected above total) count 0, as nothing says when they will move. None when no device has moved.
    """
    total = max(stats['total'], expected or 0)
    if total <= 0:
        return None
    final = stats['total'] - open_count(stats, scheduled_is_final)
    low = final * FINAL_STEP + sum(stats[key] * step for key, step in PROGRESS_STEPS.items())
    high = final * FINAL_STEP + sum(stats[key] * (step + 1) for key, step in PROGRESS_STEPS.items())
    if high <= 0:
        return None
    scale = float(total * FINAL_STEP)
    return low / scale, high / scale


class EndEstimate(object):
    """When a request's devices will all be final, as bounds (seconds since the wait began) refined by each read.

    If the devices go on at the pace seen so far, progress (low, high) at ``elapsed`` puts the end between
    elapsed / high and elapsed / low; the bounds of successive reads are intersected. When they contradict each
    other (the pace changed: devices went offline, or a slow step came), only the newest read counts.
    ``low`` None means nothing is known yet; ``high`` None means no upper bound. Bounds are kept in seconds since the
    request was sent (``offset`` seconds before the wait began); combined_end gives them since the wait began.
    """

    def __init__(self, offset=0.0):
        self.low = None
        self.high = None
        # How long before the wait began the request was sent: its devices started then, not when the wait began.
        self.offset = max(0.0, offset)

    def update(self, elapsed, bounds):
        if bounds is None:
            return
        elapsed += self.offset
        if elapsed <= 0:
            return
        progress_low, progress_high = bounds
        low = max(elapsed, elapsed / progress_high)
        high = elapsed / progress_low if progress_low > 0 else None
        if self.low is None:
            self.low, self.high = low, high
            return
        new_low = max(self.low, low)
        new_high = high if self.high is None else self.high if high is None else min(self.high, high)
        if new_high is not None and new_low > new_high:
            self.low, self.high = low, high
        else:
            self.low, self.high = new_low, new_high


def combined_end(estimates):
    """(low, high) of the moment the slowest of these requests ends; (None, None) unless every one has a low."""
    if not estimates or any(estimate.low is None for estimate in estimates):
        return None, None
    highs = [None if estimate.high is None else estimate.high - estimate.offset for estimate in estimates]
    return max(estimate.low - estimate.offset for estimate in estimates), None if None in highs else max(highs)


def _round_budget(seconds):
    """The reads a wait that ends at ``seconds`` may take: 2 log2(seconds / 0.5) + 4 (0.5 s at least)."""
    return 2 * math.log(max(seconds, FIRST_POLL_GAP) / FIRST_POLL_GAP, 2) + ROUND_BUDGET_SLACK


def next_poll_delay(elapsed, rounds, end_low=None, end_high=None):
    """Seconds to wait before the next read of the stats, after ``rounds`` reads over ``elapsed`` seconds.

    - Without bounds on the end, the plain schedule: max(FIRST_POLL_GAP, POLL_GROWTH * elapsed), at most MAX_POLL_GAP.
    - With bounds (seconds since the wait began, EndEstimate): just after end_high when the bounds are within the lag
      aimed at (LAG_AIM, or LAG_AIM_SHARE of the end); else the reads the round budget still allows until end_high
      are spread evenly over the bounds, and the next one comes first. A read later than the plain one comes at most
      max(FIRST_POLL_GAP, elapsed) on.
    - Always: a read comes at least MIN_POLL_GAP on, and only when the read after it would still be within the round
      budget (_round_budget of its own time), so a wait that ends at D takes at most 2 log2(D / 0.5) + 4 reads,
      whatever the estimates say.
    """
    plain = min(max(FIRST_POLL_GAP, POLL_GROWTH * elapsed), MAX_POLL_GAP)
    # The read after the next one (number rounds + 2) must fit the budget of the next one's time.
    earliest = FIRST_POLL_GAP * 2 ** ((rounds + 2 - ROUND_BUDGET_SLACK) / 2.0) - elapsed
    if end_low is None:
        return max(plain, earliest, MIN_POLL_GAP)
    aim = max(LAG_AIM, LAG_AIM_SHARE * end_low)
    if end_high is None:
        when = end_low
    elif end_high - end_low <= aim:
        when = end_high
    else:
        reads_left = max(1, int(_round_budget(end_high) - rounds - 1))
        when = max(end_low, elapsed) + (end_high - max(end_low, elapsed)) / reads_left
    planned = max(MIN_POLL_GAP, when - elapsed + POLL_MARGIN + 0.01 * elapsed)
    if planned >= plain:
        planned = min(planned, max(FIRST_POLL_GAP, elapsed), MAX_POLL_GAP)
    elif end_high is None:
        planned = plain  # nothing bounds the end: no reason to read earlier than the plain schedule
    return max(planned, earliest)


def wait_for_completion(client, command_ids, timeout, expected_total=None, scheduled_is_final=False,
                        sleep=time.sleep, clock=time.time, device_names=None, workers=STATS_READ_WORKERS, sent_at=None):
    """Poll ``/stats/`` of each open request until no device is open or ``timeout`` seconds pass.

    The stats of the open requests are read together, up to ``workers`` at a time; the first round right away,
    the next ones as next_poll_delay() says from the progress seen (progress_bounds, EndEstimate), never
    sleeping past the deadline (a 429 is retried by the client, within its own limits). A request is complete
    when none of its devices is open (Scheduled counts as final when scheduled_is_final) and its total is known;
    expected_total, when given, is a lower bound for the summed total (an int) or per request (a dict command_id
    -> int). Then the devices that ended in Failure, TimeOut or Cancelled, and on time-out the devices still open,
    are read from the status list. device_names (device id -> name) fills ``device_name`` in those entries.
    sent_at (command_id -> clock() when it was sent, as submit_requests records it) dates each request's progress.
    """
    command_ids = list(command_ids)
    expected_by_request = expected_total if isinstance(expected_total, dict) else {}
    expected_sum = None if isinstance(expected_total, dict) else expected_total
    started = clock()
    deadline = started + max(0, timeout or 0)
    stats_by_request = {}
    pending = list(command_ids)
    timed_out = False
    rounds = 0
    sent_at = sent_at or {}
    estimates = dict((command_id, EndEstimate(started - sent_at.get(command_id, started))) for command_id in command_ids)
    # Each request's share of a summed lower bound, for its progress (devices not listed yet count as not started).
    expected_each = None if expected_sum is None else expected_sum / float(len(command_ids) or 1)
    while True:
        read_at = clock() - started
        for command_id, stats in zip(pending, parallel_map(lambda command_id: read_stats(client, command_id), pending,
                                                           workers=workers)):
            stats_by_request[command_id] = stats
            estimates[command_id].update(read_at, progress_bounds(stats, expected_by_request.get(command_id, expected_each),
                                                                  scheduled_is_final))
        rounds += 1
        # With a summed lower bound, that bound (not "at least one device each") says when every device is known,
        # so a request for an empty group can complete.
        default_expected = 0 if expected_sum is not None else None
        pending = [command_id for command_id in command_ids
                   if not _request_is_complete(stats_by_request[command_id],
                                               expected_by_request.get(command_id, default_expected), scheduled_is_final)]
        if not pending and expected_sum is not None:
            if sum(stats_by_request[command_id]['total'] for command_id in command_ids) < expected_sum:
                # Group fan-out is not finished: some devices have no status yet, in a request we cannot tell.
                pending = list(command_ids)
        if not pending:
            break
        now = clock()
        remaining = deadline - now
        if remaining <= 0:
            timed_out = True
            break
        end_low, end_high = combined_end([estimates[command_id] for command_id in pending])
        sleep(min(next_poll_delay(now - started, rounds, end_low, end_high), remaining))

    failed_devices = []
    open_devices = []
    for command_id in command_ids:
        stats = stats_by_request[command_id]
        failed_keys = [key for key in FAILED_KEYS if stats[key]]
        failed_devices.extend(read_device_statuses(client, command_id, failed_keys, device_names))
        if timed_out:
            open_keys = [key for key in RUNNING_KEYS + ('scheduled',) if stats[key]
                         and (key != 'scheduled' or not scheduled_is_final)]
            open_devices.extend(read_device_statuses(client, command_id, open_keys, device_names))
    return WaitResult(sum_stats([stats_by_request[command_id] for command_id in command_ids]),
                      stats_by_request, timed_out, failed_devices, open_devices, rounds)


def _devices(count):
    return '%d device%s' % (count, '' if count == 1 else 's')


def describe_outcome(wait_result, wait_timeout, scheduled_is_final=False, sample_size=5):
    """A failure message naming how many devices failed or are still open and why; None when all is well.

    The first sample_size failed (then still open) devices are named with their state and reason.
    """
    stats = wait_result.stats
    parts = []
    failed = sum(stats[key] for key in FAILED_KEYS)
    if failed:
        counts = ', '.join('%d %s' % (stats[key], STATE_NAMES[key]) for key in FAILED_KEYS if stats[key])
        parts.append('%d of %d devices did not succeed (%s)' % (failed, stats['total'], counts))
    if wait_result.timed_out:
        still_open = open_count(stats, scheduled_is_final)
        if still_open:
            counts = ', '.join('%d %s' % (stats[key], STATE_NAMES[key]) for key in RUNNING_KEYS + ('scheduled',)
                               if stats[key] and (key != 'scheduled' or not scheduled_is_final))
            detail = '%s still open after %ss (%s)' % (_devices(still_open), wait_timeout, counts)
            if stats['queued']:
                detail += '; queued devices may be offline'
            parts.append(detail)
        else:
            parts.append('the devices were not all known after %ss (%d reported so far)' % (wait_timeout, stats['total']))
    if not parts:
        return None
    named = list(wait_result.failed_devices) + list(wait_result.open_devices)
    samples = []
    for entry in named[:sample_size]:
        label = entry.get('device_name') or entry.get('device')
        reason = entry.get('reason')
        samples.append('%s: %s%s' % (label, entry.get('state'), ' (%s)' % reason if reason else ''))
    message = '; '.join(parts)
    if samples:
        more = len(named) - len(samples)
        message += '. ' + '; '.join(samples) + ('; and %d more' % more if more > 0 else '')
    return message
