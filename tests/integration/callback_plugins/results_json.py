# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stdout callback that prints the whole playbook run as one JSON document, for the integration tests.

ansible-core has no JSON stdout callback (ansible.posix.json is not installed here), so the tests ship this one.
The shape follows ansible.posix.json: {"plays": [{"play": {"name"}, "tasks": [{"task": {"name"}, "hosts":
{host: result}}]}], "stats": {host: {...}}}. Each host result keeps its diff and has ``warnings`` as plain
message strings, so tests can assert on them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: results_json
type: stdout
short_description: The playbook run as one JSON document (integration tests only)
description:
  - Prints every task result of every play as one JSON document when the run ends.
'''


def _message_of(warning):
    """The text of one warning, whatever form this ansible-core gives it."""
    for attribute in ('msg', 'message'):
        value = getattr(warning, attribute, None)
        if isinstance(value, str):
            return value
    event = getattr(warning, 'event', None)
    if event is not None and isinstance(getattr(event, 'msg', None), str):
        return event.msg
    if isinstance(warning, dict):
        return warning.get('msg') or warning.get('message') or json.dumps(warning, default=str)
    return str(warning)


class CallbackModule(CallbackBase):
    """Collects plays, tasks and host results and prints them as JSON at the end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'results_json'

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({'play': {'name': play.get_name()}, 'tasks': []})

    def _task_start(self, task):
        if not self.plays:
            self.plays.append({'play': {'name': ''}, 'tasks': []})
        self.plays[-1]['tasks'].append({'task': {'name': task.get_name()}, 'hosts': {}})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task)

    def _record(self, result, **flags):
        host_result = dict(result.result)
        warnings = getattr(result, 'warnings', None)
        if warnings is None:
            warnings = host_result.get('warnings') or []
        host_result['warnings'] = [_message_of(warning) for warning in warnings]
        host_result.update(flags)
        self.plays[-1]['tasks'][-1]['hosts'][result.host.name] = host_result

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = dict((host, stats.summarize(host)) for host in sorted(stats.processed))
        self._display.display(json.dumps({'plays': self.plays, 'stats': summary}, indent=2, sort_keys=True, default=str))
