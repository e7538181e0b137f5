# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_apps.py: both version formats, matching, the catalogue and upload
conversations, device app reads and planning."""

from __future__ import annotations

import zipfile

import pytest

from ansible_collections.esper.mdm.plugins.module_utils import _apps as apps
from ansible_collections.esper.mdm.plugins.module_utils._client import EsperClient, EsperValidationError
from ansible_collections.esper.mdm.tests.unit.conversation import (
    API_KEY,
    BASE_URL,
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    UnorderedSession,
    device_id,
    page,
)

LEGACY_APPS = 'enterprise/%s/application/' % ENTERPRISE_ID
V1_APPS = 'v1/enterprise/%s/application/' % ENTERPRISE_ID
UPLOAD = 'enterprise/%s/application/upload/' % ENTERPRISE_ID
APP_ID = '7a0c54a4-3e0b-5a43-8a47-000000000001'
PACKAGE = 'com.acme.scanner'


def version_id(number):
    return '0b8d2f7e-6c4a-5e51-9f0e-%012d' % number


def refuse_sleep(seconds):
    raise AssertionError('nothing in these tests should be retried (asked to sleep %s s)' % seconds)


def make_client(exchanges):
    conversation = Conversation(exchanges)
    return EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=conversation, sleep=refuse_sleep), conversation


def legacy_version(number, name, code, enabled=True):
    """A legacy-format version: version_code holds the versionName, build_number the versionCode (§11.3)."""
    return {'id': version_id(number), 'version_code': name, 'build_number': str(code), 'is_enabled': enabled}


def new_version(number, name, code):
    """A new-format (PR #71, legacy_format=false) v1 version: version_name and version_code = versionCode."""
    return {'id': version_id(number), 'version_name': name, 'version_code': str(code), 'is_g_play': False}


def app_row(package=PACKAGE, app_id=APP_ID):
    return {'id': app_id, 'package_name': package, 'application_name': 'Acme Scanner'}


def lookup(path, rows, package=PACKAGE):
    return Exchange('GET', path, params={'package_name_exact': package}, params_subset=True, body=page(rows, enveloped=False))


def versions(path, rows, app_id=APP_ID):
    return Exchange('GET', '%s%s/version/' % (path, app_id), body=page(rows, enveloped=False))


# --- version formats and matching -------------------------------------------------------------------

def test_legacy_and_new_formats_read_the_same_version():
    legacy = apps.normalise_version(legacy_version(1, '2.3.4', 234))
    new = apps.normalise_version(new_version(1, '2.3.4', 234))
    for version in (legacy, new):
        assert (version['version_name'], version['version_code']) == ('2.3.4', '234')
    # PR #71 also adds version_name to the legacy format; build_number still holds the code.
    both = apps.normalise_version({'id': 'x', 'version_code': '2.3.4', 'version_name': '2.3.4', 'build_number': '234'})
    assert (both['version_name'], both['version_code']) == ('2.3.4', '234')
    no_code = apps.normalise_version({'id': 'x', 'version_code': '2.3.4', 'version_name': '2.3.4', 'build_number': None})
    assert (no_code['version_name'], no_code['version_code']) == ('2.3.4', None)


def test_enabled_only_when_not_said_otherwise():
    assert apps.normalise_version(legacy_version(1, '1.0', 1, enabled=False))['enabled'] is False
    assert apps.normalise_version(new_version(1, '1.0', 1))['enabled'] is True


CATALOGUE = [apps.normalise_version(row) for row in (
    legacy_version(1, '1.0', 2), legacy_version(2, '2', 3), legacy_version(3, '3.0', 30), legacy_version(4, '4.0-beta', 40, enabled=False))]


@pytest.mark.parametrize('wanted, expected', [
    ('1.0', 1), ('30', 3), ('3.0', 3), ('code:2', 1), ('name:2', 2), ('code:3', 2), (' 3.0 ', 3), ('9.9', None), ('code:99', None),
])
def test_match_version_by_name_or_code(wanted, expected):
    found = apps.match_version(CATALOGUE, wanted, 'com.acme.pos')
    assert (found['id'] if found else None) == (version_id(expected) if expected else None)


def test_a_name_of_one_version_and_the_code_of_another_is_ambiguous():
    with pytest.raises(apps.AppError) as error:
        apps.match_version(CATALOGUE, '2', 'com.acme.pos')
    assert str(error.value) == ("version '2' of com.acme.pos is ambiguous: it is the version name of 2 (versionCode 3) and the "
                                'version code of 1.0 (versionCode 2); write version: "name:2" or version: "code:2"')


def test_a_name_shared_by_two_versions_asks_for_the_code():
    shared = [apps.normalise_version(legacy_version(1, '5.0', 50)), apps.normalise_version(legacy_version(2, '5.0', 51))]
    with pytest.raises(apps.AppError, match=r"matches 2 versions \(5.0 \(versionCode 51\), 5.0 \(versionCode 50\)\)"):
        apps.match_version(shared, '5.0', PACKAGE)


def test_latest_is_the_highest_enabled_version_code_not_the_highest_string():
    assert apps.latest_version(CATALOGUE)['id'] == version_id(3)  # 4.0-beta (40) is disabled
    nine_and_ten = [apps.normalise_version(legacy_version(1, '9', 9)), apps.normalise_version(legacy_version(2, '10', 10))]
    assert apps.latest_version(nine_and_ten)['id'] == version_id(2)  # the sample's string sort would pick 9
    assert apps.latest_version([]) is None


@pytest.mark.parametrize('version, problem', [
    (None, None), ('1.2.0', None), ('code:120', None), ('', 'version must not be empty'), ('name:', 'version must not be empty'),
    ('code:1.2', 'a version code (code:) is a whole number'),
])
def test_version_problems(version, problem):
    problems = apps.version_problems(version)
    assert (problem in problems[0]) if problem else problems == []


# --- APK files --------------------------------------------------------------------------------------

def write_apk(path, manifest=True):
    with zipfile.ZipFile(str(path), 'w') as archive:
        archive.writestr('AndroidManifest.xml' if manifest else 'classes.dex', '<manifest package="com.acme.scanner"/>')
    return str(path)


def test_apk_problems(tmp_path):
    assert apps.apk_problems(write_apk(tmp_path / 'ok.apk')) == []
    assert apps.apk_problems(str(tmp_path / 'missing.apk')) == ['src %s is not a file' % (tmp_path / 'missing.apk')]
    assert 'must be an APK file whose name ends in .apk' in apps.apk_problems(write_apk(tmp_path / 'app.zip'))[0]
    text = tmp_path / 'text.apk'
    text.write_text('hello')
    assert apps.apk_problems(str(text)) == ['src %s is not an APK (an APK is a zip archive)' % text]
    assert 'holds no AndroidManifest.xml' in apps.apk_problems(write_apk(tmp_path / 'bare.apk', manifest=False))[0]
    assert 'at most 0 MB' in apps.apk_problems(write_apk(tmp_path / 'big.apk'), max_bytes=10)[0]


# --- the catalogue ----------------------------------------------------------------------------------

def test_find_app_in_legacy_first():
    client, conversation = make_client([lookup(LEGACY_APPS, [app_row()])])
    assert apps.find_app(client, PACKAGE) == (app_row(), 'legacy')
    conversation.assert_done()


def test_find_app_in_v1_when_legacy_does_not_have_it_and_compares_exactly():
    client, conversation = make_client([
        lookup(LEGACY_APPS, [app_row(package='com.acme.scanner.beta')]),
        lookup(V1_APPS, [app_row()]),
    ])
    assert apps.find_app(client, PACKAGE) == (app_row(), 'v1')
    conversation.assert_done()


def test_read_versions_falls_back_on_v1_when_the_legacy_list_is_empty():
    client, conversation = make_client([versions(LEGACY_APPS, []), versions(V1_APPS, [new_version(1, '11.0.1', 1100010)])])
    found = apps.read_versions(client, app_row(), 'legacy')
    assert [(v['version_name'], v['version_code'], v['catalogue']) for v in found] == [('11.0.1', '1100010', 'v1')]
    conversation.assert_done()


def test_unknown_package_lists_close_names():
    client, conversation = make_client([
        lookup(LEGACY_APPS, [], package='com.acme.scaner'), lookup(V1_APPS, [], package='com.acme.scaner'),
        Exchange('GET', 'v1/enterprise/%s/applications-minimal/' % ENTERPRISE_ID, body=page([
            {'id': APP_ID, 'package_name': PACKAGE}, {'id': 'x', 'package_name': 'com.google.android.apps.maps'}], enveloped=False)),
    ])
    with pytest.raises(apps.AppError) as error:
        apps.select_app(client, 'com.acme.scaner', 'present', version='1.0')
    assert str(error.value) == 'package com.acme.scaner is not in the app catalogue; similar package names: com.acme.scanner'
    conversation.assert_done()


def test_unknown_version_lists_the_versions():
    client, conversation = make_client([
        lookup(LEGACY_APPS, [app_row()]),
        versions(LEGACY_APPS, [legacy_version(1, '1.0.0', 100), legacy_version(2, '1.1.0', 110, enabled=False)]),
    ])
    with pytest.raises(apps.AppError) as error:
        apps.select_app(client, PACKAGE, 'present', version='9.9')
    assert str(error.value) == ("version '9.9' of com.acme.scanner is not in the app catalogue; versions: "
                                '1.1.0 (versionCode 110) [disabled], 1.0.0 (versionCode 100). Give src to upload it')
    conversation.assert_done()


def test_latest_reads_v1_new_format_versions():
    client, conversation = make_client([
        lookup(LEGACY_APPS, []), lookup(V1_APPS, [app_row()]),
        versions(V1_APPS, [new_version(1, '9', 9), new_version(2, '10', 10)]),
    ])
    selection = apps.select_app(client, PACKAGE, 'latest')
    assert selection['version']['id'] == version_id(2) and selection['catalogue'] == 'v1'
    conversation.assert_done()


# --- upload -----------------------------------------------------------------------------------------

def upload_exchange(status, body, name='scanner.apk'):
    def check(record):
        files = record['kwargs']['files']
        filename, fileobj, content_type = files['app_file']
        assert (filename, content_type) == (name, apps.APK_CONTENT_TYPE)
        assert fileobj.read(2) == b'PK'
        assert 'Content-Type' not in record['headers']  # requests sets the multipart one
        assert record['json'] is None
    return Exchange('POST', UPLOAD, status=status, body=body, check=check)


def test_upload_then_install_version(tmp_path):
    src = write_apk(tmp_path / 'scanner.apk')
    uploaded = dict(app_row(), versions=[legacy_version(5, '1.3.0', 130)])
    client, conversation = make_client([
        lookup(LEGACY_APPS, [app_row()]), versions(LEGACY_APPS, [legacy_version(1, '1.0.0', 100)]),
        upload_exchange(201, {'application': uploaded}),
    ])
    selection = apps.select_app(client, PACKAGE, 'present', version='1.3.0', src=src)
    assert selection['uploaded'] is True
    assert selection['version']['id'] == version_id(5)
    conversation.assert_done()


def test_the_duplicate_answer_counts_as_present(tmp_path):
    src = write_apk(tmp_path / 'scanner.apk')
    duplicate = {'errors': ['App Upload failed as this version already exists'],
                 'message': 'App Upload failed as this version already exists', 'status': 400}
    client, conversation = make_client([
        lookup(LEGACY_APPS, []), lookup(V1_APPS, []),
        upload_exchange(400, duplicate),
        lookup(LEGACY_APPS, [app_row()]), versions(LEGACY_APPS, [legacy_version(5, '1.3.0', 130)]),
    ])
    selection = apps.select_app(client, PACKAGE, 'present', version='code:130', src=src)
    assert selection['uploaded'] is False
    assert selection['version']['id'] == version_id(5)
    conversation.assert_done()


def test_another_upload_error_is_raised(tmp_path):
    src = write_apk(tmp_path / 'scanner.apk')
    client, conversation = make_client([upload_exchange(400, {'errors': ['Invalid APK file'], 'message': 'Invalid APK file', 'status': 400})])
    with pytest.raises(EsperValidationError, match='Invalid APK file'):
        apps.upload_apk(client, src)
    conversation.assert_done()


def test_check_mode_never_uploads(tmp_path):
    src = write_apk(tmp_path / 'scanner.apk')
    client, conversation = make_client([lookup(LEGACY_APPS, []), lookup(V1_APPS, [])])
    selection = apps.select_app(client, PACKAGE, 'present', version='1.3.0', src=src, check_mode=True)
    assert selection['upload_pending'] is True and selection['uploaded'] is False
    assert selection['version'] == {'id': None, 'version_name': '1.3.0', 'version_code': None}
    conversation.assert_done()


def test_an_upload_of_another_package_is_an_error(tmp_path):
    src = write_apk(tmp_path / 'scanner.apk')
    client, conversation = make_client([
        lookup(LEGACY_APPS, []), lookup(V1_APPS, []),
        upload_exchange(201, {'application': dict(app_row(package='com.other'), versions=[legacy_version(5, '1.3.0', 130)])}),
    ])
    with pytest.raises(apps.AppError, match='holds package com.other, not com.acme.scanner'):
        apps.select_app(client, PACKAGE, 'present', version='1.3.0', src=src)
    conversation.assert_done()


# --- devices and planning ---------------------------------------------------------------------------

def device(number):
    return {'id': device_id(number), 'device_name': 'kiosk-%02d' % number}


def app_list_path(number):
    return 'enterprise/%s/device/%s/app/' % (ENTERPRISE_ID, device_id(number))


def test_read_installed_in_parallel_with_exact_package_names():
    session = UnorderedSession({
        app_list_path(1): (200, page([{'package_name': PACKAGE + '.beta', 'version_code': 1}], enveloped=False)),
        app_list_path(2): (200, page([{'package_name': PACKAGE, 'version_code': 110, 'version_name': '1.1.0'}], enveloped=False)),
        app_list_path(3): (404, {'errors': ['Not found'], 'message': 'Not found', 'status': 404}),
    })
    client = EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=session, sleep=refuse_sleep)
    notes = []
    installed = apps.read_installed(client, [device(1), device(2), device(3)], PACKAGE, workers=3, notes=notes)
    assert installed == {device_id(1): None, device_id(2): {'package_name': PACKAGE, 'version_code': 110, 'version_name': '1.1.0'},
                         device_id(3): None}
    assert notes == ['the apps of device kiosk-03 could not be read (HTTP 404); it is taken not to have com.acme.scanner']
    assert all(params['package_name'] == PACKAGE for params in session.params)


def test_runs_version_compares_version_codes_then_names():
    version = {'id': 'v', 'version_name': '1.1.0', 'version_code': '110'}
    assert apps.runs_version({'version_code': 110, 'version_name': 'whatever'}, version)
    assert apps.runs_version({'version_code': '110'}, version)
    assert not apps.runs_version({'version_code': 100, 'version_name': '1.1.0'}, version)
    assert apps.runs_version({'version_code': None, 'version_name': '1.1.0'}, version)
    assert not apps.runs_version(None, version)


def test_plan_install_skips_compliant_devices_and_open_requests():
    version = {'id': version_id(7), 'version_name': '1.1.0', 'version_code': '110'}
    installed = {device_id(1): {'package_name': PACKAGE, 'version_code': 110, 'version_name': '1.1.0'},
                 device_id(2): {'package_name': PACKAGE, 'version_code': 100, 'version_name': '1.0.0'},
                 device_id(3): None, device_id(4): {'package_name': PACKAGE, 'version_code': 120, 'version_name': '1.2.0'}}
    open_request = {'id': 'req-1', 'command': 'INSTALL', 'command_type': 'DEVICE', 'devices': [device_id(3)],
                    'command_args': {'app_version': version_id(7)}, 'created_at': '2025-05-01T10:00:00Z'}
    client, conversation = make_client([
        Exchange('GET', 'commands/v0/commands/', params={'command': 'INSTALL'}, params_subset=True, body=page([open_request])),
        Exchange('GET', 'commands/v0/status/', params_subset=True, params={'request': 'req-1'}, body=page([
            {'id': 's', 'request': 'req-1', 'device': device_id(3), 'state': 'Command Queued'}])),
    ])
    command, command_args, to_send, skipped, diff, newer = apps.plan_app(
        client, [device(n) for n in (1, 2, 3, 4)], installed, 'present', PACKAGE, version)
    conversation.assert_done()
    assert (command, command_args) == ('INSTALL', {'app_version': version_id(7)})
    assert [item['id'] for item in to_send] == [device_id(2), device_id(4)]
    assert [(entry['device_name'], entry['reason']) for entry in skipped] == [
        ('kiosk-01', 'already runs com.acme.scanner 1.1.0 (versionCode 110)'),
        ('kiosk-03', 'an identical INSTALL request req-1 is still open (Command Queued)')]
    assert diff == {'before': {'kiosk-02': {'version': '1.0.0 (versionCode 100)'}, 'kiosk-04': {'version': '1.2.0 (versionCode 120)'}},
                    'after': {'kiosk-02': {'version': '1.1.0 (versionCode 110)'}, 'kiosk-04': {'version': '1.1.0 (versionCode 110)'}}}
    assert newer == ['kiosk-04 (1.2.0 (versionCode 120))']


def test_plan_uninstall_only_where_installed_and_reads_nothing_when_none_has_it():
    client, conversation = make_client([])
    command, command_args, to_send, skipped, diff, newer = apps.plan_app(
        client, [device(1), device(2)], {device_id(1): None, device_id(2): None}, 'absent', PACKAGE)
    assert (command, command_args, to_send) == ('UNINSTALL', {'package_name': PACKAGE}, [])
    assert [entry['reason'] for entry in skipped] == ['com.acme.scanner is not installed'] * 2
    assert diff == {'before': {}, 'after': {}} and newer == []
    assert conversation.requests == []


def test_an_upload_retried_after_a_503_sends_the_whole_file_again(tmp_path):
    src = write_apk(tmp_path / 'scanner.apk')
    sent = []

    def check(record):
        sent.append(record['kwargs']['files']['app_file'][1].read())
    conversation = Conversation([
        Exchange('POST', UPLOAD, status=503, body={'message': 'busy'}, check=check),
        Exchange('POST', UPLOAD, status=201, body={'application': dict(app_row(), versions=[])}, check=check),
    ])
    sleeps = []
    client = EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=conversation, sleep=sleeps.append)
    application, duplicate = apps.upload_apk(client, src)
    assert (application['id'], duplicate) == (APP_ID, False)
    with open(src, 'rb') as handle:
        assert sent == [handle.read()] * 2
    assert len(sleeps) == 1
    conversation.assert_done()
