# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/modules/esper_app.py and esper_app_info.py, each against a fully scripted HTTP conversation."""

from __future__ import annotations

import zipfile

import pytest

from ansible_collections.esper.mdm.plugins.modules import esper_app, esper_app_info
from ansible_collections.esper.mdm.tests.unit.conversation import (
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    content,
    device_id,
    page,
    request_id as command_id,
)
from ansible_collections.esper.mdm.tests.unit.module_harness import run_module

COMMANDS_PATH = 'commands/v0/commands/'
LEGACY_APPS = 'enterprise/%s/application/' % ENTERPRISE_ID
V1_APPS = 'v1/enterprise/%s/application/' % ENTERPRISE_ID
UPLOAD = 'enterprise/%s/application/upload/' % ENTERPRISE_ID
APP_ID = '7a0c54a4-3e0b-5a43-8a47-000000000001'
PACKAGE = 'com.acme.scanner'


@pytest.fixture(autouse=True)
def sequential_reads(monkeypatch):
    # Device app reads run in threads; one worker keeps the scripted order fixed.
    monkeypatch.setattr(esper_app, 'APP_READ_WORKERS', 1)
    monkeypatch.setattr(esper_app_info, 'READ_WORKERS', 1)


def version_id(number):
    return '0b8d2f7e-6c4a-5e51-9f0e-%012d' % number


def resolve(number):
    info = {'id': device_id(number), 'name': 'kiosk-%02d' % number, 'platform': 'ANDROID', 'state': 1}
    return Exchange('GET', 'v2/devices/%s' % device_id(number), params={}, body={'content': info})


def app_lookup(path, rows, package=PACKAGE):
    return Exchange('GET', path, params={'package_name_exact': package}, params_subset=True, body=page(rows, enveloped=False))


def catalogue(found=True):
    """The legacy catalogue has the app with 1.0.0 (100) and 1.1.0 (110), in the legacy format."""
    if not found:
        return [app_lookup(LEGACY_APPS, []), app_lookup(V1_APPS, [])]
    return [app_lookup(LEGACY_APPS, [{'id': APP_ID, 'package_name': PACKAGE, 'application_name': 'Acme Scanner'}]),
            Exchange('GET', '%s%s/version/' % (LEGACY_APPS, APP_ID), body=page([
                {'id': version_id(1), 'version_code': '1.0.0', 'build_number': '100', 'is_enabled': True},
                {'id': version_id(2), 'version_code': '1.1.0', 'build_number': '110', 'is_enabled': True}], enveloped=False))]


def device_apps(number, version=None):
    rows = [{'package_name': 'com.android.chrome', 'version_code': 609904300, 'version_name': '120.0'}]
    if version:
        rows.append({'package_name': PACKAGE, 'version_name': version[0], 'version_code': version[1]})
    return Exchange('GET', 'enterprise/%s/device/%s/app/' % (ENTERPRISE_ID, device_id(number)),
                    params={'package_name': PACKAGE}, params_subset=True,
                    body=page([row for row in rows if PACKAGE in row['package_name']], enveloped=False))


def open_requests(command):
    return Exchange('GET', COMMANDS_PATH, params={'command': command}, params_subset=True, body=page([]))


def body(command, command_args, numbers):
    return {'command_type': 'DEVICE', 'devices': [device_id(n) for n in numbers], 'device_type': 'all',
            'command': command, 'command_args': command_args, 'schedule': 'IMMEDIATE'}


def post(expected_body, number):
    created = dict(expected_body, id=command_id(number), created_at='2025-05-01T10:00:00Z')
    return Exchange('POST', COMMANDS_PATH, json=expected_body, status=201, body=content(created, code=201))


def stats(number, success):
    return Exchange('GET', COMMANDS_PATH + '%s/stats/' % command_id(number),
                    body=content({'id': command_id(number), 'status': [{'state': 'Command Success', 'total': success}]}))


def run(main, args, exchanges, **kwargs):
    conversation = Conversation(exchanges)
    result = run_module(main, args, conversation, **kwargs)
    conversation.assert_done()
    return result, conversation


def reads(*versions_on_devices):
    exchanges = [resolve(n) for n in range(1, len(versions_on_devices) + 1)] + catalogue()
    exchanges += [device_apps(n, version) for n, version in enumerate(versions_on_devices, start=1)]
    return exchanges


def test_install_only_where_needed():
    args = {'package_name': PACKAGE, 'version': '1.1.0', 'devices': [device_id(1), device_id(2)]}
    expected = body('INSTALL', {'app_version': version_id(2)}, [2])
    result, conversation = run(esper_app.main, args, reads(('1.1.0', 110), ('1.0.0', 100)) + [
        open_requests('INSTALL'), post(expected, 1), stats(1, 1)])
    assert result['changed'] is True
    assert result['command_id'] == command_id(1)
    assert result['app'] == {'id': APP_ID, 'package_name': PACKAGE, 'application_name': 'Acme Scanner', 'version_id': version_id(2),
                             'version_name': '1.1.0', 'version_code': '110', 'uploaded': False}
    assert result['skipped_devices'] == [{'device': device_id(1), 'device_name': 'kiosk-01',
                                          'reason': 'already runs com.acme.scanner 1.1.0 (versionCode 110)'}]
    assert conversation.count('POST') == 1


def test_check_mode_and_diff_write_nothing():
    args = {'package_name': PACKAGE, 'version': 'code:110', 'devices': [device_id(1), device_id(2)]}
    result, conversation = run(esper_app.main, args, reads(None, ('1.0.0', 100)) + [open_requests('INSTALL')],
                               check_mode=True, diff=True)
    assert result['changed'] is True
    assert result['command_id'] is None
    assert result['request'] == body('INSTALL', {'app_version': version_id(2)}, [1, 2])
    assert result['diff'] == {'before': {'kiosk-01': {'version': None}, 'kiosk-02': {'version': '1.0.0 (versionCode 100)'}},
                              'after': {'kiosk-01': {'version': '1.1.0 (versionCode 110)'},
                                        'kiosk-02': {'version': '1.1.0 (versionCode 110)'}}}
    assert conversation.count('POST') == 0


def test_nothing_to_do_sends_nothing():
    args = {'package_name': PACKAGE, 'state': 'latest', 'devices': [device_id(1)]}
    result, conversation = run(esper_app.main, args, reads(('1.1.0', 110)))
    assert result['changed'] is False
    assert result['command_ids'] == []
    assert conversation.count('POST') == 0


def test_absent_uninstalls_where_installed():
    args = {'package_name': PACKAGE, 'state': 'absent', 'max_devices': 5, 'devices': [device_id(1), device_id(2)]}
    exchanges = [resolve(1), resolve(2)] + catalogue()[:1] + [device_apps(1, ('1.0.0', 100)), device_apps(2)]
    expected = body('UNINSTALL', {'package_name': PACKAGE}, [1])
    result, dummy = run(esper_app.main, args, exchanges + [open_requests('UNINSTALL'), post(expected, 1), stats(1, 1)])
    assert result['changed'] is True
    assert result['app']['id'] == APP_ID and result['app']['version_id'] is None
    assert result['skipped_devices'][0]['reason'] == 'com.acme.scanner is not installed'


@pytest.mark.parametrize('args, message', [
    ({'state': 'absent', 'version': '1.0.0', 'max_devices': 1}, 'version cannot be used with state=absent'),
    ({'state': 'absent'}, 'UNINSTALL is destructive'),
    ({}, 'version is required with state=present'),
    ({'state': 'latest', 'version': '1.0.0'}, "version '1.0.0' cannot be used with state=latest"),
    ({'version': 'latest', 'src': '/tmp/x.apk'}, 'src needs version to name the version the APK holds'),
    ({'version': '1.0', 'package_name': 'scanner'}, 'package_name must be an Android package name'),
    ({'version': '1.0', 'src': '/nonexistent/x.apk'}, 'src /nonexistent/x.apk is not a file'),
])
def test_bad_input_fails_before_any_request(args, message):
    full = {'package_name': PACKAGE, 'devices': [device_id(1)]}
    full.update(args)
    result, conversation = run(esper_app.main, full, [])
    assert result['failed'] is True
    assert message in result['msg']
    assert conversation.requests == []


def test_check_mode_with_src_never_uploads(tmp_path):
    src = str(tmp_path / 'scanner.apk')
    with zipfile.ZipFile(src, 'w') as archive:
        archive.writestr('AndroidManifest.xml', '<manifest/>')
    args = {'package_name': PACKAGE, 'version': '1.3.0', 'src': src, 'devices': [device_id(1)]}
    result, conversation = run(esper_app.main, args, [resolve(1)] + catalogue(found=False) + [device_apps(1)], check_mode=True)
    assert result['changed'] is True
    assert result['app']['uploaded'] is False and result['app']['version_id'] is None
    assert result['request']['command_args'] == {'app_version': None}
    assert any('would be uploaded' in warning for warning in result['warnings'])
    assert conversation.count('POST') == 0


def test_upload_then_install(tmp_path):
    src = str(tmp_path / 'scanner.apk')
    with zipfile.ZipFile(src, 'w') as archive:
        archive.writestr('AndroidManifest.xml', '<manifest/>')
    uploaded = {'application': {'id': APP_ID, 'package_name': PACKAGE, 'application_name': 'Acme Scanner',
                                'versions': [{'id': version_id(3), 'version_code': '1.3.0', 'build_number': '130'}]}}
    args = {'package_name': PACKAGE, 'version': '1.3.0', 'src': src, 'devices': [device_id(1)]}
    expected = body('INSTALL', {'app_version': version_id(3)}, [1])
    result, conversation = run(esper_app.main, args, [resolve(1)] + catalogue() + [
        Exchange('POST', UPLOAD, status=201, body=uploaded), device_apps(1, ('1.1.0', 110)), open_requests('INSTALL'),
        post(expected, 1), stats(1, 1)])
    assert result['changed'] is True
    assert result['app']['uploaded'] is True and result['app']['version_code'] == '130'
    assert conversation.count('POST', UPLOAD) == 1


def test_info_version_and_its_devices():
    installed = [{'id': device_id(1), 'device_name': 'kiosk-01', 'alias_name': None, 'group_name': 'Store-001'}]
    result, conversation = run(esper_app_info.main, {'package_name': PACKAGE, 'version': '100'}, catalogue() + [
        Exchange('GET', '%s%s/version/%s/installdevices' % (LEGACY_APPS, APP_ID, version_id(1)), body=page(installed, enveloped=False))])
    assert result['changed'] is False
    assert result['version'] == {'id': version_id(1), 'version_name': '1.0.0', 'version_code': '100', 'enabled': True}
    assert result['installed_devices'] == installed
    assert result['apps'][0]['latest_version']['version_name'] == '1.1.0'
    assert conversation.count('POST') == 0


def test_info_device_apps():
    result, dummy = run(esper_app_info.main, {'package_name': PACKAGE, 'devices': [device_id(1)]},
                        catalogue() + [resolve(1), device_apps(1, ('1.0.0', 100))], check_mode=True)
    assert result['device_apps'] == [{'device': device_id(1), 'device_name': 'kiosk-01',
                                      'apps': [{'package_name': PACKAGE, 'version_name': '1.0.0', 'version_code': 100}]}]
