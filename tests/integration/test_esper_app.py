# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""esper_app and esper_app_info with real ansible-playbook runs against the simulator.

The playbooks assert what each task returns; this driver asserts what only it can see: the uploads and command
requests in the simulator's request log (check mode and unchanged re-runs sent nothing, bad input sent nothing at
all), and each device's app list read straight from the simulator's API afterwards.
"""

from __future__ import annotations

import io
import json
import os
import urllib.request
import zipfile

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import COLLECTION_DIR, run_playbook

COMMANDS_PATH = '/api/commands/v0/commands/'
UPLOAD_SUFFIX = '/application/upload/'
# Every device online and on Android, so every command completes: 12 devices in Store-001 .. Store-003
# (kiosk-0001, -0004, -0007 and -0010 are in Store-001).
SIMULATOR_ARGS = ('--devices', '12', '--groups', '3', '--offline', '0', '--legacy-android', '0',
                  '--other-platforms', '0', '--step-seconds', '0')
PACKAGE = 'com.acme.scanner'


def make_apk(path, package_name, version_code, version_name, label='Acme Scanner'):
    """A small APK for the simulator: a zip whose AndroidManifest.xml is plain text (a real one is binary XML)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('AndroidManifest.xml', '<manifest xmlns:android="http://schemas.android.com/apk/res/android" '
                                                'package="%s" android:versionCode="%d" android:versionName="%s">'
                                                '<application android:label="%s"/></manifest>'
                         % (package_name, version_code, version_name, label))
        archive.writestr('classes.dex', b'dex\n035\x00' + bytes(64))
    with open(path, 'wb') as handle:
        handle.write(buffer.getvalue())
    return str(path)


def posts(simulator, path_part):
    """Every POST whose path contains path_part, oldest first."""
    return [record for record in simulator.requests(method='POST') if path_part in record['path']]


def command_posts(simulator):
    return [record['body'] for record in simulator.requests(method='POST', path_prefix=COMMANDS_PATH)]


def simulator_get(simulator, path):
    request = urllib.request.Request('%s/%s' % (simulator.url, path), headers={'Authorization': 'Bearer %s' % simulator.api_key})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode('utf-8'))


def fleet_devices(simulator):
    return dict((device['device_name'], device) for device in simulator.fleet()['devices'])


def group_device_names(simulator, group):
    return sorted(name for name, device in fleet_devices(simulator).items() if group in device['groups'])


def installed(simulator, name, package_name=PACKAGE):
    """(versionName, versionCode) of package_name on a device, read from the simulator's device app list; None when absent."""
    device = fleet_devices(simulator)[name]
    rows = simulator_get(simulator, 'enterprise/%s/device/%s/app/?package_name=%s&limit=100'
                         % (simulator.enterprise_id, device['id'], package_name))['results']
    rows = [row for row in rows if row['package_name'] == package_name]
    return (rows[0]['version_name'], rows[0]['version_code']) if rows else None


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_upload_and_install_on_a_group(simulator, tmp_path):
    """Check mode, upload and install, re-run unchanged: one upload and one INSTALL in all, and every device runs it."""
    src = make_apk(tmp_path / 'acme-scanner-1.3.0.apk', PACKAGE, 130, '1.3.0')
    members = group_device_names(simulator, 'Store-001')
    run = run_playbook(simulator, 'app_lifecycle.yml', extra_vars={
        'app_group': 'Store-001', 'app_src': src, 'group_size': len(members)})

    assert run.rc == 0, run.output[-6000:]
    assert len(posts(simulator, UPLOAD_SUFFIX)) == 1
    bodies = command_posts(simulator)
    assert [body['command'] for body in bodies] == ['INSTALL']
    ids = fleet_devices(simulator)
    assert sorted(bodies[0]['devices']) == sorted(ids[name]['id'] for name in members)
    for name in members:
        assert installed(simulator, name) == ('1.3.0', 130), name
    assert installed(simulator, 'kiosk-0002') is None


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_upgrade_some_devices_then_latest(simulator):
    """1.0.0 on a group, 1.1.0 on two of its devices, then latest (1.2.0) on all, then latest unchanged."""
    members = group_device_names(simulator, 'Store-001')
    upgraded = members[:2]
    run = run_playbook(simulator, 'app_versions.yml', extra_vars={
        'app_group': 'Store-001', 'upgraded': upgraded, 'group_size': len(members)})

    assert run.rc == 0, run.output[-6000:]
    ids = fleet_devices(simulator)
    bodies = command_posts(simulator)
    assert [body['command'] for body in bodies] == ['INSTALL'] * 3
    assert sorted(bodies[1]['devices']) == sorted(ids[name]['id'] for name in upgraded)
    assert len(set(body['command_args']['app_version'] for body in bodies)) == 3
    assert not posts(simulator, UPLOAD_SUFFIX)
    for name in members:
        assert installed(simulator, name) == ('1.2.0', 120), name


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_absent_then_absent_unchanged(simulator):
    """UNINSTALL goes only to the devices that have the app; the second run sends nothing."""
    members = group_device_names(simulator, 'Store-002')
    holders = members[:2]
    setup = run_playbook(simulator, 'app_setup.yml', extra_vars={
        'setup_package': 'com.acme.signage', 'setup_version': '4.2.1', 'setup_devices': holders})
    assert setup.rc == 0, setup.output[-6000:]
    simulator.control('DELETE', 'requests')
    run = run_playbook(simulator, 'app_absent.yml', extra_vars={
        'app_group': 'Store-002', 'holders': holders, 'group_size': len(members)})

    assert run.rc == 0, run.output[-6000:]
    ids = fleet_devices(simulator)
    bodies = command_posts(simulator)
    assert [body['command'] for body in bodies] == ['UNINSTALL']
    assert sorted(bodies[0]['devices']) == sorted(ids[name]['id'] for name in holders)
    for name in members:
        assert installed(simulator, name, 'com.acme.signage') is None, name
    # The preloaded app the simulator reports on every device is untouched.
    assert installed(simulator, holders[0], 'com.android.chrome') is not None


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_bad_input_sends_nothing(simulator, tmp_path):
    """Options wrong on their face: no request at all; options the catalogue refutes: no write."""
    not_apk = tmp_path / 'scanner.zip'
    make_apk(not_apk, PACKAGE, 130, '1.3.0')
    not_zip = tmp_path / 'scanner.apk'
    not_zip.write_text('not a zip archive')
    too_large = tmp_path / 'huge.apk'
    with open(too_large, 'wb') as handle:
        handle.truncate(500 * 1024 * 1024 + 1)  # sparse: no disk space used
    extra = {'not_apk': str(not_apk), 'not_zip': str(not_zip), 'too_large': str(too_large)}
    simulator.control('DELETE', 'requests')

    local = run_playbook(simulator, 'app_bad_input.yml', extra_vars=dict(extra, play='local'))
    assert local.rc == 0, local.output[-6000:]
    assert simulator.requests() == []

    catalogue = run_playbook(simulator, 'app_bad_input.yml', extra_vars=dict(extra, play='catalogue'))
    assert catalogue.rc == 0, catalogue.output[-6000:]
    assert simulator.requests(), 'the catalogue checks read the catalogue'
    assert simulator.requests(method='POST') == []


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_rollout_in_waves_and_stop(simulator):
    """Waves of 1, 2 and 1 devices on one group; on another, the failing canary stops the rollout after wave 1."""
    good = group_device_names(simulator, 'Store-001')
    bad = group_device_names(simulator, 'Store-003')
    ids = fleet_devices(simulator)
    canary = next(record['device_name'] for record in simulator.fleet()['devices'] if record['device_name'] in bad)
    simulator.control('POST', 'devices/' + canary, {'fail_commands': True})
    run = run_playbook(simulator, 'app_rollout.yml', extra_vars={
        'good_group': 'Store-001', 'good_size': len(good), 'bad_group': 'Store-003', 'bad_size': len(bad)})

    assert run.rc == 0, run.output[-6000:]
    bodies = command_posts(simulator)
    assert [len(body['devices']) for body in bodies] == [1, 2, 1, 1]
    assert all(body['command'] == 'INSTALL' and body['command_type'] == 'DEVICE' for body in bodies)
    assert sorted(device for body in bodies[:3] for device in body['devices']) == sorted(ids[name]['id'] for name in good)
    assert bodies[3]['devices'] == [ids[canary]['id']]
    for name in good:
        assert installed(simulator, name) == ('1.1.0', 110), name
    for name in bad:
        assert installed(simulator, name) is None, name


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_example_playbook_uploads_installs_and_removes(simulator, tmp_path):
    """playbooks/app.yml: upload and install on a group by name, unchanged the second time, then remove the app."""
    src = make_apk(tmp_path / 'acme-scanner-1.3.0.apk', PACKAGE, 130, '1.3.0')
    playbook = os.path.join(COLLECTION_DIR, 'playbooks', 'app.yml')
    members = group_device_names(simulator, 'Store-002')
    extra = {'app_version': '1.3.0', 'app_src': src, 'app_groups': ['Store-002']}

    first = run_playbook(simulator, playbook, extra_vars=extra)
    assert first.rc == 0, first.output[-6000:]
    assert first.result('Install or remove the app where needed')['changed'] is True
    second = run_playbook(simulator, playbook, extra_vars=extra)
    assert second.rc == 0, second.output[-6000:]
    assert second.result('Install or remove the app where needed')['changed'] is False
    assert len(posts(simulator, UPLOAD_SUFFIX)) == 1
    for name in members:
        assert installed(simulator, name) == ('1.3.0', 130), name

    removal = run_playbook(simulator, playbook, extra_vars={'app_state': 'absent', 'app_max_devices': 10, 'app_groups': ['Store-002']})
    assert removal.rc == 0, removal.output[-6000:]
    assert [body['command'] for body in command_posts(simulator)] == ['INSTALL', 'UNINSTALL']
    for name in members:
        assert installed(simulator, name) is None, name
