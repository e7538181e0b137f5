# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP client's fault handling end to end (issue 8): real ansible-playbook runs against the simulator's faults.

The playbooks (tests/integration/playbooks/faults_*.yml) only run the tasks; these drivers inject the faults
and check what only they can see: the simulator's request log, the stored command requests, and the output.
"""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import run_playbook
from ansible_collections.esper.mdm.tests.integration.test_esper_command import (
    COMMANDS_PATH,
    assert_succeeded,
    command_posts,
    device_ids,
    online_android_names,
    stored_command_requests,
)

SMALL_FLEET = ('--devices', '12', '--groups', '3', '--step-seconds', '0')
LONG_KEY = 'vaulted-key-0123456789abcdefghijklmnopqrstuvwxyz'


def api_requests(simulator):
    """Every /api request the simulator received."""
    return simulator.requests(path_prefix='/api/')


# Item 1: a repeated command is never silently dropped


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_repeated_reboot_whose_second_post_gets_500_storing_nothing_is_sent_again(simulator):
    names = online_android_names(simulator)[:2]
    rule = {'kind': 'server_error', 'status': 500, 'method': 'POST', 'path_prefix': COMMANDS_PATH, 'count': 1}
    run = run_playbook(simulator, 'faults_repeat.yml', extra_vars={'reboot_devices': names, 'fault_rule': rule})
    assert_succeeded(run)
    first, second = run.result('First reboot'), run.result('Second reboot')
    assert not second.get('failed'), second.get('msg')
    stored = stored_command_requests(simulator)
    assert len(stored) == 2
    assert sorted(request['id'] for request in stored) == sorted([first['command_id'], second['command_id']])
    assert first['command_id'] != second['command_id']
    assert not any('adopted' in warning for warning in second['warnings']), second['warnings']
    assert [post['status'] for post in command_posts(simulator)] == [201, 500, 201]


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_repeated_reboot_whose_second_post_gets_503_storing_nothing_fails_without_taking_the_first(simulator):
    names = online_android_names(simulator)[:2]
    rule = {'kind': 'server_error', 'status': 503, 'method': 'POST', 'path_prefix': COMMANDS_PATH, 'count': 1}
    run = run_playbook(simulator, 'faults_repeat.yml', extra_vars={'reboot_devices': names, 'fault_rule': rule})
    first, second = run.result('First reboot'), run.result('Second reboot')
    assert first.get('failed') is not True and first['command_id']
    # A 503 may come after the request reached the server: it is looked up, never sent again, and never
    # confused with the first task's request.
    assert second.get('failed') is True
    assert 'HTTP 503' in second['msg']
    assert 'the REBOOT command request may or may not have been created' in second['msg']
    assert 'appeared in 4 look-ups over 30s' in second['msg']
    assert first['command_id'] not in second['msg']
    assert not second.get('command_id')
    assert [request['id'] for request in stored_command_requests(simulator)] == [first['command_id']]
    assert [post['status'] for post in command_posts(simulator)] == [201, 503]


# Item 2: a slow server never gets the command twice


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_post_stored_after_the_read_timeout_is_adopted_not_sent_again(simulator):
    simulator.add_faults({'kind': 'store_after_delay', 'delay': 5, 'method': 'POST', 'path_prefix': COMMANDS_PATH, 'count': 1})
    names = online_android_names(simulator)[:2]
    run = run_playbook(simulator, 'faults_reboot.yml', extra_vars={'reboot_devices': names, 'conn_timeout': 2})
    assert_succeeded(run)
    reboot = run.result('Reboot')
    assert reboot.get('failed') is not True, reboot.get('msg')
    stored = stored_command_requests(simulator)
    assert len(stored) == 1
    assert reboot['command_id'] == stored[0]['id']
    assert any('adopted the request %s' % stored[0]['id'] in warning for warning in reboot['warnings']), reboot['warnings']
    posts = command_posts(simulator)
    assert len(posts) == 1 and posts[0]['lost'] is True and posts[0]['fault'] == 'store_after_delay'


# Item 3: a POST answered 500 that stored nothing is sent again


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_post_answered_500_storing_nothing_is_retried_once(simulator):
    simulator.add_faults({'kind': 'server_error', 'status': 500, 'method': 'POST', 'path_prefix': COMMANDS_PATH, 'count': 1})
    names = online_android_names(simulator)[:2]
    run = run_playbook(simulator, 'faults_reboot.yml', extra_vars={'reboot_devices': names})
    reboot = run.result('Reboot')
    assert reboot.get('failed') is not True, reboot.get('msg')
    stored = stored_command_requests(simulator)
    assert [request['id'] for request in stored] == [reboot['command_id']]
    assert [post['status'] for post in command_posts(simulator)] == [500, 201]
    assert any('HTTP 500' in warning and 'no command request was stored; retry 1/' in warning for warning in reboot['warnings'])
    # The look-up between the two POSTs.
    lookups = [record for record in simulator.requests(method='GET', path_prefix=COMMANDS_PATH) if record['path'] == COMMANDS_PATH]
    assert lookups and lookups[0]['query'].get('command') == 'REBOOT'


# Item 5: next links given as a path


@pytest.mark.simulator_args('--devices', '520', '--groups', '510', '--step-seconds', '0')
def test_group_name_on_the_second_page_of_path_only_next_links_resolves(simulator):
    simulator.add_faults({'kind': 'path_only_next', 'method': 'GET', 'count': None})
    run = run_playbook(simulator, 'faults_reboot.yml', extra_vars={'reboot_groups': ['Store-505']})
    reboot = run.result('Reboot')
    assert reboot.get('failed') is not True, reboot.get('msg')
    group_id = [group['id'] for group in simulator.fleet()['groups'] if group['name'] == 'Store-505'][0]
    stored = stored_command_requests(simulator)
    assert [(request['id'], request['groups']) for request in stored] == [(reboot['command_id'], [group_id])]
    listing = '/api/enterprise/%s/devicegroup/' % simulator.enterprise_id
    pages = list(simulator.requests(method='GET', path_prefix=listing))
    assert len(pages) >= 2 and all(record['status'] == 200 for record in pages)
    assert not any(record['path'].startswith('/api/api/') for record in simulator.requests())


# Item 10, 11, 12: options checked before any request


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_missing_ca_path_fails_at_once_naming_it(simulator):
    names = online_android_names(simulator)[:1]
    run = run_playbook(simulator, 'faults_reboot.yml', extra_vars={'reboot_devices': names, 'conn_ca_path': '/nonexistent/esper-ca.pem'})
    reboot = run.result('Reboot')
    assert reboot.get('failed') is True
    assert "ca_path '/nonexistent/esper-ca.pem' does not exist" in reboot['msg']
    assert 'retry' not in json.dumps(reboot.get('warnings', []))
    assert api_requests(simulator) == []


@pytest.mark.simulator_args(*SMALL_FLEET)
@pytest.mark.parametrize('enterprise_id', ['not-a-uuid', '../../commands/v0/commands'])
def test_enterprise_id_that_is_not_a_uuid_fails_naming_it(simulator, enterprise_id):
    names = online_android_names(simulator)[:1]
    run = run_playbook(simulator, 'faults_reboot.yml', extra_vars={'reboot_devices': names, 'conn_enterprise_id': enterprise_id})
    reboot = run.result('Reboot')
    assert reboot.get('failed') is True
    assert 'enterprise_id must be the enterprise UUID' in reboot['msg'] and 'ESPER_ENTERPRISE_ID' in reboot['msg']
    assert 'HTTP 404' not in reboot['msg']
    assert api_requests(simulator) == []


@pytest.mark.simulator_args(*(SMALL_FLEET + ('--api-key', LONG_KEY)))
@pytest.mark.parametrize('verbosity', [0, 3])
def test_api_key_ending_in_a_newline_works_and_is_never_printed(simulator, verbosity):
    names = online_android_names(simulator)[:2]
    run = run_playbook(simulator, 'faults_reboot.yml', extra_vars={'reboot_devices': names, 'conn_api_key': LONG_KEY + '\n'},
                       verbosity=verbosity)
    reboot = run.result('Reboot')
    assert reboot.get('failed') is not True, reboot.get('msg')
    assert [request['id'] for request in stored_command_requests(simulator)] == [reboot['command_id']]
    assert all(record['authorized'] for record in api_requests(simulator))
    assert not any(LONG_KEY[start:start + 16] in run.output for start in range(len(LONG_KEY) - 15))


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_missing_api_key_names_esper_api_key(simulator):
    names = online_android_names(simulator)[:1]
    run = run_playbook(simulator, 'faults_reboot.yml', extra_vars={'reboot_devices': names}, env_drop=('ESPER_API_KEY',))
    reboot = run.result('Reboot')
    assert reboot.get('failed') is True
    assert reboot['msg'] == ('api_key is required: set the api_key option or the ESPER_API_KEY environment variable '
                             '(an empty or blank value counts as missing)')
    assert api_requests(simulator) == []


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_a_device_name_still_resolves_with_the_default_options(simulator):
    # Control for the tests above: the same playbook without faults or option changes sends one request.
    names = online_android_names(simulator)[:2]
    run = run_playbook(simulator, 'faults_reboot.yml', extra_vars={'reboot_devices': names})
    reboot = run.result('Reboot')
    assert reboot.get('failed') is not True, reboot.get('msg')
    ids = device_ids(simulator)
    assert sorted(stored_command_requests(simulator)[0]['devices']) == sorted(ids[name] for name in names)


# Item 8: an API error quoting the request cut short shows no slice of a secret


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_a_400_quoting_cut_certificate_data_shows_no_slice_of_it(simulator):
    cert_data = base64.b64encode(bytes(range(256)) * 3).decode('ascii')
    password = 'Echoed-P12-Password-2024'
    simulator.add_faults({'kind': 'echo_bad_request', 'method': 'POST', 'path_prefix': COMMANDS_PATH})
    run = run_playbook(simulator, 'faults_echo_certificate.yml', verbosity=3, extra_vars={
        'cert_device': online_android_names(simulator)[0], 'cert_data': cert_data, 'cert_password': password})
    assert_succeeded(run)
    install = run.result('Install the certificate')
    # The server quoted the first 120 characters of the data: the message shows the mask in their place.
    assert 'cert_data_base64=********' in install['msg']
    for secret in (cert_data, password):
        for start in range(0, len(secret) - 16):
            assert secret[start:start + 16] not in run.output
    assert stored_command_requests(simulator) == []
