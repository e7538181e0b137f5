# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets next to an option Ansible rejects: never in the output at any verbosity, nor in callback data.

Ansible returns the raw arguments (invocation.module_args) when it rejects an option, before any module code
runs; the collection's EsperModule registers every secret as the arguments are loaded, so they are masked there too.
"""

from __future__ import annotations

import base64

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import run_playbook

SECRETS = {
    'lockscreen_password': 'Lockscreen-Secret-5521',
    'wifi_password': 'Wifi-Secret-Passphrase-8812',
    'cert_content': base64.b64encode(b'not really a bundle, but a secret all the same ' * 4).decode('ascii'),
    'cert_password': 'P12-Password-3390',
}


@pytest.mark.simulator_args('--devices', '12', '--groups', '3', '--step-seconds', '0')
@pytest.mark.parametrize('verbosity,json_output', [(0, False), (3, False), (3, True)])
def test_rejected_options_never_show_a_secret(simulator, verbosity, json_output):
    run = run_playbook(simulator, 'secrets_rejected_options.yml', extra_vars=SECRETS, verbosity=verbosity,
                       json_output=json_output)
    assert run.rc == 0, run.output[-4000:]
    assert 'module_args' in run.output or verbosity == 0
    for name, secret in SECRETS.items():
        assert secret not in run.output, name
        # Not even a recognisable slice of one.
        for start in range(0, len(secret) - 16, 8):
            assert secret[start:start + 16] not in run.output, name
    assert simulator.requests(path_prefix='/api/') == []
