# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's Android apps (CONTRACT §11): the legacy and v1 catalogues and their version formats, the
multipart upload and its duplicate-version error, device app lists and install records, and INSTALL / UNINSTALL."""

from __future__ import annotations

import io
import uuid
import zipfile

from ansible_collections.esper.mdm.simulator.esper_simulator.fleet import Fleet
from ansible_collections.esper.mdm.simulator.esper_simulator.options import SimulatorOptions

SCANNER = 'com.acme.scanner'
MAPS = 'com.google.android.apps.maps'


def apk_bytes(package_name, code, name, manifest=True):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        if manifest:
            archive.writestr('AndroidManifest.xml', f'<manifest package="{package_name}" android:versionCode="{code}" '
                                                    f'android:versionName="{name}"><application android:label="New app"/></manifest>')
        archive.writestr('classes.dex', bytes(range(256)))
    return buffer.getvalue()


def multipart(field, filename, data):
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f'Content-Type: application/vnd.android.package-archive\r\n\r\n').encode() + data + f'\r\n--{boundary}--\r\n'.encode()
    return body, {'Content-Type': f'multipart/form-data; boundary={boundary}'}


def upload(sim, data, filename='app.apk', field='app_file'):
    body, headers = multipart(field, filename, data)
    return sim.call('POST', sim.enterprise('application/upload/'), body=body, headers=headers)


def apps(sim, v1=False, **params):
    reply = sim.get(('v1/' if v1 else '') + sim.enterprise('application/'), params)
    assert reply.status == 200, reply
    return reply.json['results']


def app_of(sim, package_name, v1=False):
    return next(app for app in apps(sim, v1=v1, package_name_exact=package_name))


def versions(sim, app_id, v1=False, **params):
    reply = sim.get(('v1/' if v1 else '') + sim.enterprise(f'application/{app_id}/version/'), params)
    assert reply.status == 200, reply
    return reply.json['results']


def version_id(sim, package_name, name):
    app = app_of(sim, package_name, v1=True)
    return next(item['id'] for item in versions(sim, app['id'], v1=True) if item['version_name'] == name)


def device_apps(sim, name, **params):
    reply = sim.get(sim.enterprise(f'device/{sim.device_id(name)}/app/'), params)
    assert reply.status == 200, reply
    return {row['package_name']: (row['version_name'], row['version_code']) for row in reply.json['results']}


def run(sim, command, devices, command_args):
    created = sim.command(command, devices=devices, command_args=command_args)
    sim.advance_steps(10)
    return {status['device']: (status['state'], status['reason']) for status in sim.statuses(created['id'])}


def test_legacy_holds_uploaded_apps_and_v1_every_app(sim):
    assert [app['package_name'] for app in apps(sim)] == [SCANNER, 'com.acme.pos', 'com.acme.signage']
    assert MAPS in [app['package_name'] for app in apps(sim, v1=True)]
    maps = app_of(sim, MAPS, v1=True)
    assert sim.get(sim.enterprise(f'application/{maps["id"]}/')).status == 404
    reply = sim.get('v1/' + sim.enterprise(f'application/{maps["id"]}/'))
    assert reply.status == 200 and reply.json['latest_version']['version_name'] == '11.0.1'


def test_filters_exact_and_partial(sim):
    assert [app['package_name'] for app in apps(sim, package_name_exact='com.acme')] == []
    assert len(apps(sim, package_name='com.acme')) == 3
    assert [app['package_name'] for app in apps(sim, v1=True, application_name='maps')] == [MAPS]
    minimal = sim.get('v1/' + sim.enterprise('applications-minimal/')).json['results']
    assert {row['package_name'] for row in minimal} == {SCANNER, 'com.acme.pos', 'com.acme.signage', MAPS}


def test_version_fields_are_inverted_between_formats(sim):
    app = app_of(sim, SCANNER)
    legacy = versions(sim, app['id'])
    assert [(row['version_code'], row['build_number'], row['is_enabled']) for row in legacy] == [
        ('1.0.0', '100', True), ('1.1.0', '110', True), ('1.2.0', '120', True), ('2.0.0-beta', '200', False)]
    assert 'version_name' not in legacy[0]
    new = versions(sim, app['id'], v1=True)
    assert [(row['version_name'], row['version_code']) for row in new][:1] == [('1.0.0', '100')]
    assert 'is_enabled' not in new[0]
    assert versions(sim, app['id'], legacy_format='false')[0]['version_code'] == '100'
    assert versions(sim, app['id'], v1=True, legacy_format='true')[0]['version_code'] == '1.0.0'
    embedded = app['versions'][0]
    assert (embedded['version_code'], embedded['build_number']) == ('1.0.0', '100')


def test_upload_creates_a_version_and_refuses_a_duplicate(sim):
    reply = upload(sim, apk_bytes(SCANNER, 130, '1.3.0'))
    assert reply.status == 201, reply
    application = reply.json['application']
    assert application['package_name'] == SCANNER
    assert [(row['version_code'], row['build_number']) for row in application['versions']] == [('1.3.0', '130')]
    assert len(versions(sim, application['id'])) == 5
    again = upload(sim, apk_bytes(SCANNER, 130, '1.3.0'))
    assert again.status == 400
    assert again.json == {'errors': ['App Upload failed as this version already exists'],
                          'message': 'App Upload failed as this version already exists', 'status': 400}
    new_app = upload(sim, apk_bytes('com.acme.new', 1, '0.1'))
    assert new_app.status == 201 and new_app.json['application']['application_name'] == 'New app'
    assert 'com.acme.new' in [app['package_name'] for app in apps(sim)]


def test_upload_refusals(sim):
    assert upload(sim, apk_bytes(SCANNER, 131, '1.3.1'), filename='app.zip').status == 400
    assert upload(sim, b'not a zip').status == 400
    assert upload(sim, apk_bytes(SCANNER, 131, '1.3.1', manifest=False)).status == 400
    assert upload(sim, apk_bytes(SCANNER, 131, '1.3.1'), field='file').status == 400
    json_reply = sim.call('POST', sim.enterprise('application/upload/'), body={'app_file': 'x'})
    assert json_reply.status == 415


def test_fresh_devices_report_the_preloaded_app_only(sim):
    assert device_apps(sim, 'kiosk-0001') == {'com.android.chrome': ('120.0.6099.43', 609904300)}
    assert device_apps(sim, 'kiosk-0001', package_name=SCANNER) == {}


def test_install_upgrade_and_uninstall(sim):
    first, second = version_id(sim, SCANNER, '1.0.0'), version_id(sim, SCANNER, '1.1.0')
    device = sim.device_id('kiosk-0001')
    assert run(sim, 'INSTALL', ['kiosk-0001'], {'app_version': first}) == {device: ('Command Success', f'Installed {SCANNER} 1.0.0 (100)')}
    assert device_apps(sim, 'kiosk-0001', package_name=SCANNER) == {SCANNER: ('1.0.0', 100)}
    assert run(sim, 'INSTALL', ['kiosk-0001'], {'app_version': first})[device] == ('Command Failure', 'App already exists on device')
    assert run(sim, 'INSTALL', ['kiosk-0001'], {'app_version': second})[device][0] == 'Command Success'
    state, reason = run(sim, 'INSTALL', ['kiosk-0001'], {'app_version': first})[device]
    assert state == 'Command Failure' and 'downgrading requires removing the app first' in reason
    app = app_of(sim, SCANNER)
    holders = sim.get(sim.enterprise(f'application/{app["id"]}/version/{second}/installdevices')).json['results']
    assert holders == [{'id': device, 'device_name': 'kiosk-0001', 'alias_name': 'Kiosk 1', 'group_name': 'Store-001'}]
    assert [row['installed_count'] for row in versions(sim, app['id'])][:2] == [0, 1]
    assert run(sim, 'UNINSTALL', ['kiosk-0001'], {'package_name': SCANNER})[device] == ('Command Success', f'Uninstalled {SCANNER}')
    assert SCANNER not in device_apps(sim, 'kiosk-0001')
    records = sim.get(sim.enterprise(f'device/{device}/install/')).json['results']
    assert [record['install_state'] for record in records] == ['UNINSTALL_SUCCESS', 'INSTALL_SUCCESS', 'INSTALL_SUCCESS']
    assert records[1]['application']['version']['app_version_id'] == second


def test_uninstalling_an_absent_app_fails_on_the_device(sim):
    device = sim.device_id('kiosk-0002')
    assert run(sim, 'UNINSTALL', ['kiosk-0002'], {'package_name': SCANNER})[device] == (
        'Command Failure', f'App {SCANNER} is not installed on the device')


def test_an_unknown_version_fails_on_the_device(sim):
    device = sim.device_id('kiosk-0003')
    state, reason = run(sim, 'INSTALL', ['kiosk-0003'], {'app_version': str(uuid.uuid4())})[device]
    assert state == 'Command Failure' and reason.startswith('App version ')


def test_other_platforms_have_no_legacy_app_list(sim):
    other = next(device for device in sim.fleet()['devices'] if device['platform'] != 'ANDROID')
    assert sim.get(sim.enterprise(f'device/{other["id"]}/app/')).status == 404


def test_app_lists_are_made_on_first_use():
    fleet = Fleet(SimulatorOptions(devices=1000))
    assert fleet._apps is None
    world = fleet.apps
    assert world._device_apps == {}
    world.device_apps(fleet.devices[0])
    assert list(world._device_apps) == [fleet.devices[0].id]
