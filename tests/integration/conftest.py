# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration fixtures: a fresh Esper API simulator per test and real ansible-playbook runs against it.

The collection must be importable as ansible_collections/esper/mdm below ESPER_TEST_COLLECTIONS_ROOT
(scripts/test.sh lays that tree out); without the variable the tree this file sits in is used when
it is already laid out that way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.esper.mdm.simulator.esper_simulator.process import start_simulator

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION_DIR = os.path.dirname(os.path.dirname(HERE))
PLAYBOOK_DIR = os.path.join(HERE, 'playbooks')
# ansible-core has no JSON stdout callback (ansible.posix.json is not installed), so the tests ship their own.
CALLBACK_DIR = os.path.join(HERE, 'callback_plugins')


def collections_root():
    """The folder that holds ansible_collections/esper/mdm."""
    root = os.environ.get('ESPER_TEST_COLLECTIONS_ROOT')
    if root:
        return root
    parts = COLLECTION_DIR.split(os.sep)
    if parts[-3:] == ['ansible_collections', 'esper', 'mdm']:
        return os.sep.join(parts[:-3])
    pytest.skip('the collection is not laid out as ansible_collections/esper/mdm; run scripts/test.sh')
    return None


def _json_report(stdout):
    """The JSON document the callback printed; with -v and more, verbose lines come before it on stdout."""
    decoder = json.JSONDecoder()
    start = 0 if stdout.startswith('{') else stdout.find('\n{')
    while start != -1:
        try:
            report = decoder.raw_decode(stdout[start:].lstrip())[0]
        except ValueError:
            report = None
        if isinstance(report, dict) and 'plays' in report:
            return report
        start = stdout.find('\n{', start + 1)
    return None


class PlaybookRun:
    """What one ansible-playbook run printed, with each task's result parsed from the JSON callback."""

    def __init__(self, completed):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.output = completed.stdout + completed.stderr
        self.tasks = {}
        report = _json_report(completed.stdout)
        if report:
            for play in report.get('plays', []):
                for task in play.get('tasks', []):
                    name = task['task']['name']
                    for host_result in task.get('hosts', {}).values():
                        self.tasks.setdefault(name, []).append(host_result)

    def result(self, task_name):
        """The result of the last run of the task with this name (the JSON callback's host result)."""
        assert task_name in self.tasks, 'task %r did not run; tasks run: %s\n%s' % (
            task_name, sorted(self.tasks), self.output[-4000:])
        return self.tasks[task_name][-1]


def run_playbook(simulator, playbook, extra_vars=None, check=False, diff=False, verbosity=0, json_output=True, env_drop=()):
    """Run tests/integration/playbooks/<playbook> against the simulator; return a PlaybookRun.

    env_drop names environment variables to leave out (the ESPER_* ones are set otherwise).

    An absolute ``playbook`` path (such as one of the repository's playbooks/) is run as given.
    """
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_root(),
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ESPER_API_URL': simulator.url,
        'ESPER_API_KEY': simulator.api_key,
        'ESPER_ENTERPRISE_ID': simulator.enterprise_id,
    })
    for name in env_drop:
        env.pop(name, None)
    if json_output:
        env['ANSIBLE_CALLBACK_PLUGINS'] = CALLBACK_DIR
        env['ANSIBLE_STDOUT_CALLBACK'] = 'results_json'
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
               os.path.join(PLAYBOOK_DIR, playbook)]
    if extra_vars:
        command += ['--extra-vars', json.dumps(extra_vars)]
    if check:
        command.append('--check')
    if diff:
        command.append('--diff')
    if verbosity:
        command.append('-' + 'v' * verbosity)
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    return PlaybookRun(completed)


@pytest.fixture
def simulator(request):
    """A fresh simulator for one test; options come from @pytest.mark.simulator_args(...)."""
    marker = request.node.get_closest_marker('simulator_args')
    args = list(marker.args) if marker else ['--devices', '30', '--groups', '3', '--step-seconds', '0.05']
    with start_simulator(*args) as running:
        yield running


def pytest_configure(config):
    config.addinivalue_line('markers', 'simulator_args(*args): command-line options for the test simulator')
