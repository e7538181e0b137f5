# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's world (fleet, commands, clock, settings, faults, request log) behind one lock."""

from __future__ import annotations

import dataclasses
import threading

from .api import EsperApi
from .command_failures import CommandFailureRules
from .command_store import CommandStore
from .control import ControlApi
from .faults import FaultInjector
from .fleet import Fleet
from .request_log import RequestLog
from .timefmt import SimClock


@dataclasses.dataclass
class RuntimeSettings:
    """Behaviour that POST /_sim/settings may change while the simulator runs."""

    step_seconds: float
    fail_same_value: bool
    group_fanout_seconds: float

    @classmethod
    def from_options(cls, options):
        return cls(options.step_seconds, options.fail_same_value, options.group_fanout_seconds)


class Simulator:
    """Holds the state and answers requests; the HTTP server calls ``handle_api`` and ``handle_control``."""

    def __init__(self, options, clock=None):
        self.options = options
        self.lock = threading.RLock()
        self.clock = clock or SimClock()
        self.faults = FaultInjector()
        self.faults.add(list(options.faults))
        self.log = RequestLog(options.log_file)
        self.settings = RuntimeSettings.from_options(options)
        self.fleet = Fleet(options)
        self.command_failures = CommandFailureRules(self.fleet, options.fail_commands)
        self.store = CommandStore(self.fleet, self.settings, self.command_failures)
        self.api = EsperApi(self)
        self.control = ControlApi(self)

    @property
    def now(self):
        """Simulated time in epoch seconds (wall clock plus the advances of POST /_sim/clock)."""
        return self.clock.now()

    def reset(self):
        """A fresh fleet with the same options; commands, log, settings and clock offset cleared, faults back to --fault,
        command failure rules back to --fail-command."""
        with self.lock:
            self.clock.reset()
            self.faults.clear()
            self.faults.add(list(self.options.faults))
            self.log.clear()
            self.settings = RuntimeSettings.from_options(self.options)
            self.fleet = Fleet(self.options)
            self.command_failures = CommandFailureRules(self.fleet, self.options.fail_commands)
            self.store = CommandStore(self.fleet, self.settings, self.command_failures)

    def handle_api(self, request):
        """Answer one /api request."""
        with self.lock:
            return self.api.handle(request)

    def handle_control(self, request):
        """Answer one /_sim request."""
        with self.lock:
            return self.control.handle(request)
