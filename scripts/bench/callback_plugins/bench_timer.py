# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: append "<epoch seconds> <task name>" to $ESPER_BENCH_TIMES when a task ends on a host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: bench_timer
type: aggregate
short_description: Record when each task ends (scripts/benchmark.py)
description:
  - Appends the end time of each task result to the file named by E(ESPER_BENCH_TIMES).
'''

import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result):
        path = os.environ.get('ESPER_BENCH_TIMES')
        if path:
            with open(path, 'a') as handle:
                handle.write('%.6f %s\n' % (time.time(), result.task_name))

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result)
