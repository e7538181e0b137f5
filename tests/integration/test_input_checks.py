# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks of issue 8 end to end: real ansible-playbook runs against the simulator.

Values that cannot be right (items 12, 13) are refused with the option named and nothing written; a state
command is not queued again for an offline device whose identical request is still open (item 4).
"""

from __future__ import annotations

import pytest

from ansible_collections.esper.mdm.tests.certificates import JUNK_BYTES
from ansible_collections.esper.mdm.tests.integration.conftest import run_playbook

COMMANDS_PATH = '/api/commands/v0/commands/'
SIMULATOR_ARGS = ('--devices', '12', '--groups', '3', '--offline', '0', '--step-seconds', '0')
# Not base64 (the '!' and '*'), and recognisable: no part of it may appear in the output.
SECRET_CERT_DATA = 'Qm9ndXMtUDEy!LWJ1bmRsZS1zZWNyZXQ*x7Zq'


def writes(simulator):
    """Every request the simulator received that could change something (anything but GET)."""
    return [record for record in simulator.requests() if record['method'] != 'GET']


def command_posts(simulator):
    return [record for record in simulator.requests(method='POST', path_prefix=COMMANDS_PATH) if record['path'] == COMMANDS_PATH]


def assert_succeeded(run):
    failures = ['%s: %s %s' % (name, result.get('msg'), result.get('assertion') or '')
                for name, results in run.tasks.items() for result in results if result.get('failed')]
    assert run.rc == 0, '\n'.join(failures) or run.output[-6000:]


def android_names(simulator, online=True):
    return [device['device_name'] for device in simulator.fleet()['devices']
            if device['platform'] == 'ANDROID' and device['online'] is online]


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_values_that_cannot_be_right_are_refused_before_any_write(simulator, tmp_path):
    junk = tmp_path / 'junk.p12'
    junk.write_bytes(JUNK_BYTES)
    run = run_playbook(simulator, 'checks_bad_input.yml', extra_vars={
        'target_device': android_names(simulator)[0], 'cert_junk_src': str(junk), 'secret_cert_data': SECRET_CERT_DATA})
    assert_succeeded(run)

    assert writes(simulator) == []
    # The command checks come before the client: not even a read.
    assert simulator.requests() == []
    assert run.result('Set a time zone that does not exist')['msg'] == (
        'command_args.timezone_string must be an IANA time zone name such as Europe/Berlin, America/Argentina/Buenos_Aires '
        'or UTC, got "Europe/Berlim"')
    assert run.result('Install an app version that is not a UUID')['msg'] == (
        'command_args.app_version must be the UUID of an app version uploaded to Esper (8-4-4-4-12 hexadecimal digits, '
        'such as 0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11), got "com.example.kiosk"')
    assert run.result('Schedule a window that has already ended')['msg'].startswith(
        'schedule_args.end_datetime (2020-01-02T04:00:00Z) is already in the past (now ')
    assert run.result('Install a src file that is not a PKCS#12 bundle')['msg'].startswith(
        'src %s is not a PKCS#12 (.p12/.pfx) bundle; ' % junk)
    cert_message = run.result('Install certificate data that is not base64')['msg']
    assert cert_message.startswith('command_args.cert_data_base64 must be standard base64 text')
    for start in range(len(SECRET_CERT_DATA) - 5):
        assert SECRET_CERT_DATA[start:start + 6] not in run.output


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_a_state_command_is_not_queued_again_for_an_offline_device(simulator):
    group = 'Store-001'
    members = [device for device in simulator.fleet()['devices'] if group in device['groups'] and device['platform'] == 'ANDROID']
    assert len(members) >= 2
    offline = members[-1]
    simulator.set_device(offline['id'], online=False)

    run = run_playbook(simulator, 'checks_state_offline.yml', extra_vars={
        'state_group': group, 'offline_device': offline['device_name']})
    assert_succeeded(run)

    # One request in all: the first run's. The second run sent nothing, to the offline device or any other.
    posts = command_posts(simulator)
    assert len(posts) == 1, posts
    assert offline['id'] in posts[0]['body']['devices']
    first = run.result('Set the brightness of the group')
    second = run.result('Set the same brightness again')
    assert posts[0]['status'] == 201 and posts[0]['body']['command_args'] == {'brightness_value': 37}
    assert second['changed'] is False and second['command_ids'] == []
    entry = [item for item in second['skipped_devices'] if item['device'] == offline['id']]
    assert entry == [{'device': offline['id'], 'device_name': offline['device_name'], 'command_id': first['command_id'],
                      'reason': 'an identical SET_BRIGHTNESS_SCALE request %s is still open (Command Queued)' % first['command_id']}]
    # The online devices were skipped because they report the value now, not because of an open request.
    others = [item for item in second['skipped_devices'] if item['device'] != offline['id']]
    assert others and all(item['reason'] == 'already brightness_scale=37' for item in others)
