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
    run = run_playbook(simulator, 'app_lifecycle.yml', extra_vars={'app_group': 'Store-001', 'app_src': src,
                                                                    'group_size': len(members)})

    assert run.rc == 0, run.output[-6000:]
    assert len(posts(simulator, UPLOAD_SUFFIX)) == 1
    bodies = command_posts(simulator)
    assert [body['command'] for body in bodies] == ['INSTALL']
    ids = fleet_devices(simulator)
    assert sorted(bodies[0]['devices']) == sorted(ids[name]['id'] for name in members)
    for name in members:
        assert installed(simulator, name) == ('1.3.0', 130), name
    assert installed(simulator, 'kiosk-0002') is None
