# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command requests and per-device command statuses (CONTRACT §2, §3), with their lazy progression.

A status does not need a thread to move: its state is computed from its start time and the step length,
and a heap of due times finalises statuses (Success or Failure, device values applied) in time order the
next time anything reads the store. Every method expects the caller to hold the simulator's lock.
"""

from __future__ import annotations

import heapq
import itertools
import uuid

from .device_effects import apply_success, failure_reason
from .fleet import ANDROID
from .timefmt import iso_timestamp

QUEUED = 'Command Queued'
INITIATED = 'Command Initiated'
ACKNOWLEDGED = 'Command Acknowledged'
IN_PROGRESS = 'Command In Progress'
SCHEDULED = 'Command Scheduled'
SUCCESS = 'Command Success'
FAILURE = 'Command Failure'
TIMEOUT = 'Command TimeOut'
CANCELLED = 'Command Cancelled'

ALL_STATES = (QUEUED, INITIATED, ACKNOWLEDGED, IN_PROGRESS, SCHEDULED, SUCCESS, FAILURE, TIMEOUT, CANCELLED)
PROGRESSION = (QUEUED, INITIATED, ACKNOWLEDGED, IN_PROGRESS)
TERMINAL_STATES = (SUCCESS, FAILURE, TIMEOUT, CANCELLED)
# States a PUT /commands/v0/status/{id}/ may name (CONTRACT §3.4); Queued and Initiated cannot be set.
PUT_STATES = (ACKNOWLEDGED, IN_PROGRESS, TIMEOUT, SUCCESS, FAILURE, SCHEDULED, CANCELLED)
STEPS_TO_FINISH = len(PROGRESSION)


class StatusUpdateError(Exception):
    """A PUT that the simulated server refuses with 400."""


class CommandRequest:
    """One POSTed command request and the statuses it fanned out to."""

    __slots__ = ('id', 'seq', 'command_type', 'devices', 'groups', 'device_type', 'command', 'command_args', 'schedule',
                 'schedule_args', 'alias', 'created_at', 'visible_at', 'statuses')

    def to_json(self):
        """The CommandRequest object of CONTRACT §2.1 (alias is stored but, like Esper, not returned)."""
        return {
            'id': self.id, 'command_type': self.command_type, 'devices': list(self.devices), 'groups': list(self.groups),
            'device_type': self.device_type, 'command': self.command, 'command_args': self.command_args,
            'schedule': self.schedule, 'schedule_args': self.schedule_args, 'reason': '', 'created_by': '1',
            'created_at': iso_timestamp(self.created_at),
        }


class CommandStatus:
    """The state of one request on one device."""

    __slots__ = ('id', 'seq', 'request', 'device_id', 'created_at', 'start_at', 'step', 'scheduled', 'forced_failure',
                 'final_state', 'final_reason', 'final_at')


class CommandStore:
    """All requests and statuses, indexed by id, by request, by device and by listed device/group."""

    def __init__(self, fleet, settings, command_failures=None):
        self.fleet = fleet
        self.settings = settings
        # command_failures.CommandFailureRules: chosen devices fail chosen commands.
        self.command_failures = command_failures
        self.requests = []
        self.requests_by_id = {}
        self.requests_by_listed_device = {}
        self.requests_by_listed_group = {}
        self.statuses_by_id = {}
        self.statuses_by_device = {}
        self._due = []
        self._seq = itertools.count(1)

    def create_request(self, fields, target_device_ids, now):
        """Store a validated request (``fields``: the CommandRequest keys) and one status per target device."""
        request = CommandRequest()
        request.id = str(uuid.uuid4())
        request.seq = next(self._seq)
        for name in ('command_type', 'devices', 'groups', 'device_type', 'command', 'command_args', 'schedule', 'schedule_args', 'alias'):
            setattr(request, name, fields[name])
        request.created_at = now
        # Group targets fan out asynchronously on the real server (CONTRACT §9.4 #8): stats can be empty at first.
        fanout = self.settings.group_fanout_seconds if request.command_type != 'DEVICE' else 0.0
        request.visible_at = now + fanout
        request.statuses = []
        self.requests.append(request)
        self.requests_by_id[request.id] = request
        for device_id in dict.fromkeys(request.devices):
            self.requests_by_listed_device.setdefault(device_id, []).append(request)
        for group_id in dict.fromkeys(request.groups):
            self.requests_by_listed_group.setdefault(group_id, []).append(request)
        for device_id in target_device_ids:
            self._create_status(request, self.fleet.devices_by_id[device_id], now)
        if self.settings.step_seconds <= 0:
            self.process_due(now)
        return request

    def _create_status(self, request, device, now):
        status = CommandStatus()
        status.id = str(uuid.uuid4())
        status.seq = next(self._seq)
        status.request = request
        status.device_id = device.id
        status.created_at = now
        status.start_at = None
        status.step = self.settings.step_seconds
        status.scheduled = False
        status.forced_failure = 'The device reported a failure (simulated with fail_commands)' if device.fail_commands else None
        if status.forced_failure is None and self.command_failures is not None:
            status.forced_failure = self.command_failures.reason(device.id, request.command)
        status.final_state = None
        status.final_reason = ''
        status.final_at = None
        request.statuses.append(status)
        self.statuses_by_id[status.id] = status
        self.statuses_by_device.setdefault(device.id, []).append(status)
        if request.schedule != 'IMMEDIATE':
            if device.platform != ANDROID:
                # Scheduled commands work on Android only (CONTRACT §2); other devices fail at once.
                self._finish(status, FAILURE, f'{request.schedule} schedules are supported on Android devices only', now)
            else:
                status.scheduled = True
        elif device.online:
            self._start(status, request.visible_at)

    def _start(self, status, at):
        status.start_at = at
        heapq.heappush(self._due, (at + STEPS_TO_FINISH * status.step, status.seq, status))

    @staticmethod
    def _finish(status, state, reason, when):
        status.final_state = state
        status.final_reason = reason
        status.final_at = when

    def process_due(self, now):
        """Finalise, in time order, every status whose last transition is due by ``now``."""
        while self._due and self._due[0][0] <= now:
            due, seq_unused, status = heapq.heappop(self._due)
            if status.final_state is None:
                self._execute(status, due)

    def _execute(self, status, when):
        request = status.request
        device = self.fleet.devices_by_id[status.device_id]
        reason = status.forced_failure or failure_reason(device, request.command, request.command_args, self.settings.fail_same_value,
                                                         fleet=self.fleet)
        if reason:
            self._finish(status, FAILURE, reason, when)
        else:
            self._finish(status, SUCCESS, apply_success(device, request.command, request.command_args, iso_timestamp(when),
                                                        fleet=self.fleet), when)

    def device_came_online(self, device, now):
        """Start the IMMEDIATE statuses that waited in Queued while the device was offline."""
        for status in self.statuses_by_device.get(device.id, ()):
            if status.final_state is None and not status.scheduled and status.start_at is None:
                self._start(status, max(now, status.request.visible_at))

    def state_of(self, status, now):
        """(state, reason, updated_at epoch) of a status at time ``now``."""
        if status.final_state is not None:
            return status.final_state, status.final_reason, status.final_at
        if status.scheduled:
            return SCHEDULED, '', status.created_at
        if status.start_at is None or now < status.start_at + status.step:
            return QUEUED, '', status.created_at
        steps = STEPS_TO_FINISH - 1 if status.step <= 0 else min(int((now - status.start_at) / status.step), STEPS_TO_FINISH - 1)
        return PROGRESSION[steps], '', status.start_at + steps * status.step

    def status_json(self, status, now):
        """The CommandStatus object of CONTRACT §3.1 (device as a UUID)."""
        state, reason, updated = self.state_of(status, now)
        return {
            'id': status.id, 'request': status.request.id, 'device': status.device_id, 'state': state, 'reason': reason,
            'created_at': iso_timestamp(status.created_at), 'updated_at': iso_timestamp(updated),
        }

    @staticmethod
    def visible(status, now):
        return status.request.visible_at <= now

    def stats(self, request, now):
        """content.status of /stats/: [{state, total}] for the states that have devices, in a fixed order."""
        totals = dict.fromkeys(ALL_STATES, 0)
        if request.visible_at <= now:
            for status in request.statuses:
                totals[self.state_of(status, now)[0]] += 1
        return [{'state': state, 'total': total} for state, total in totals.items() if total]

    def update_status(self, status, new_state, reason, now):
        """Apply a PUT (CONTRACT §3.4): only a non-final status may move, and only to a final state.

        Returns False when nothing changes (the caller answers 304), True after a change; raises StatusUpdateError.
        A manual Success does not change the device: only the device itself applies a command.
        """
        if new_state not in PUT_STATES:
            raise StatusUpdateError(f'state must be one of {", ".join(PUT_STATES)}, got {new_state!r}')
        if reason is not None and not isinstance(reason, str):
            raise StatusUpdateError('reason must be a string')
        current = self.state_of(status, now)[0]
        if new_state == current:
            return False
        if current in TERMINAL_STATES:
            raise StatusUpdateError(f'The command status is already final ({current}) and cannot change to {new_state}')
        if new_state not in TERMINAL_STATES:
            raise StatusUpdateError(f'A status can only be moved to a final state ({", ".join(TERMINAL_STATES)}), not to {new_state}')
        self._finish(status, new_state, reason or '', now)
        return True
