# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process against a scripted HTTP conversation.

    result = run_module(esper_command.main, {'command': 'REBOOT', 'devices': [...]}, conversation,
                        check_mode=True, diff=True)

Every EsperClient the module builds gets the Conversation as its session, a sleep that only records
the seconds asked for, and a clock that those sleeps advance, so waits and retries run instantly.
The result is the dict the module passed to exit_json or fail_json (before Ansible's own no_log
scrubbing, so secret checks here are stricter than Ansible's), with ``failed`` set for fail_json.
``warnings`` holds what the module passed to module.warn().
"""

from __future__ import annotations

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.esper.mdm.plugins.module_utils import _client as client_module
from ansible_collections.esper.mdm.tests.unit.conversation import API_KEY, BASE_URL, ENTERPRISE_ID, Conversation


class ModuleExit(Exception):
    """Raised by the patched exit_json / fail_json to stop the module and carry its result."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class FakeTime:
    """A clock that sleep() advances: waits and back-offs take no real time."""

    def __init__(self, start=1_700_000_000.0):
        self.now = start
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


class FakeModule:
    """The parts of AnsibleModule that run_plans uses."""

    def __init__(self, check_mode=False, diff=False):
        self.check_mode = check_mode
        self._diff = diff
        self.no_log_values = set()
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def timed_client(exchanges):
    """(EsperClient on a Conversation of these exchanges, the Conversation, its FakeTime)."""
    fake_time = FakeTime()
    conversation = Conversation(exchanges)
    client = client_module.EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=conversation,
                                       sleep=fake_time.sleep, clock=fake_time.clock)
    return client, conversation, fake_time


CONNECTION = {'api_key': API_KEY, 'api_url': BASE_URL, 'enterprise_id': ENTERPRISE_ID}


def run_module(main, args, conversation, check_mode=False, diff=False, fake_time=None, monkeypatch=None,
               connection=True):
    """Run main() with args (connection options added unless connection=False); return its result dict."""
    fake_time = fake_time or FakeTime()
    module_args = dict(CONNECTION) if connection else {}
    module_args.update(args)
    module_args['_ansible_check_mode'] = check_mode
    module_args['_ansible_diff'] = diff
    warnings = []
    real_client = client_module.EsperClient

    class ScriptedClient(real_client):
        def __init__(self, *a, **kw):
            kw['session'] = conversation
            kw['sleep'] = fake_time.sleep
            kw['clock'] = fake_time.clock
            super().__init__(*a, **kw)

    def exit_json(self, **kwargs):
        kwargs.setdefault('changed', False)
        raise ModuleExit(kwargs)

    def fail_json(self, msg=None, **kwargs):
        kwargs['failed'] = True
        kwargs['msg'] = msg
        raise ModuleExit(kwargs)

    def warn(self, warning):
        warnings.append(warning)

    patcher = monkeypatch or pytest.MonkeyPatch()
    result = None
    try:
        patcher.setattr(client_module, 'EsperClient', ScriptedClient)
        patcher.setattr(basic.AnsibleModule, 'exit_json', exit_json)
        patcher.setattr(basic.AnsibleModule, 'fail_json', fail_json)
        patcher.setattr(basic.AnsibleModule, 'warn', warn)
        with patch_module_args(module_args):
            try:
                main()
            except ModuleExit as done:
                result = done.result
    finally:
        if monkeypatch is None:
            patcher.undo()
    if result is None:
        raise AssertionError('the module returned without calling exit_json or fail_json')
    result['warnings'] = warnings
    result['sleeps'] = fake_time.sleeps
    return result
