# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Android apps as desired state (CONTRACT §11): catalogue look-up in both version formats, version matching,
APK checks and upload, each device's installed apps, and the INSTALL / UNINSTALL plans of esper_app.

Facts this module is built on:
- Two catalogues (§11.1): legacy ``enterprise/<eid>/application/`` (uploaded apps; its versions carry
  ``is_enabled``) and ``v1/enterprise/<eid>/application/`` (every app, Play apps too, no ``is_enabled``). They are
  not interchangeable, so an app is looked up by exact package name in the legacy catalogue first, then in v1.
- Version fields are inverted between formats (§11.3): in the legacy format ``version_code`` holds the Android
  versionName and ``build_number`` the versionCode; in the new format (PR #71, ``legacy_format=false``)
  ``version_name`` holds the versionName and ``version_code`` the versionCode. normalise_version() reads the keys
  that are present: a record with ``version_name`` is in the new format.
- INSTALL takes the version's UUID (``app_version``), UNINSTALL the package name (§11.7); a device's apps are read
  from ``enterprise/<eid>/device/<id>/app/`` (§11.6), whose ``version_code`` / ``version_name`` are taken to be the
  Android versionCode / versionName (as EAST labels them; Unknown 14).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import zipfile

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperApiError, EsperNotFoundError
from ansible_collections.esper.mdm.plugins.module_utils._device_state import (
    _diff_key,
    _open_request_skip,
    for_each_device,
    open_identical_requests,
)
from ansible_collections.esper.mdm.plugins.module_utils._targets import TargetError, _similar_names, device_label

INSTALL = 'INSTALL'
UNINSTALL = 'UNINSTALL'
LATEST = 'latest'
# HELP Managing Enterprise Applications: at most 500 MB, the .apk extension (§11.4).
MAX_APK_BYTES = 500 * 1024 * 1024
APK_CONTENT_TYPE = 'application/vnd.android.package-archive'
# The text of the answer to an upload whose version already exists (HELP, §11.4; its status is Unknown 13).
DUPLICATE_VERSION_TEXT = 'already exists'
CATALOGUE_PAGE_SIZE = 250
DEVICE_APPS_PAGE_SIZE = 100
PACKAGE_NAME_PATTERN = re.compile(r'^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$')
VERSION_PREFIXES = ('name', 'code')
LEGACY = 'legacy'
V1 = 'v1'


class AppError(TargetError):
    """The app or version cannot be used (unknown package or version, ambiguous version); raised before any write."""


# --- paths ------------------------------------------------------------------------------------------

def catalogue_path(client, catalogue, suffix=''):
    """The path of the legacy or v1 application catalogue (§11.2), plus suffix."""
    path = client.enterprise_path('application/' + suffix)
    return 'v1/' + path if catalogue == V1 else path


def upload_path(client):
    """The legacy upload path: the only Android upload there is (§11.1, §11.4)."""
    return client.enterprise_path('application/upload/')


def device_apps_path(client, device_id):
    return client.enterprise_path('device/%s/app/' % device_id)


# --- versions ---------------------------------------------------------------------------------------

def _text(value):
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def normalise_version(record, catalogue=None):
    """{'id', 'version_name', 'version_code', 'enabled', 'catalogue'} of a catalogue version in either format (§11.3).

    version_name is the Android versionName, version_code the Android versionCode (a str of digits, or None when the
    record does not say). A record holding ``version_name`` is in the new format (version_code = versionCode);
    otherwise it is in the legacy format (version_code = versionName, build_number = versionCode). ``enabled`` is
    false only when the record says ``is_enabled: false`` (v1 versions have no such field).
    """
    if 'version_name' in record:
        name = _text(record.get('version_name'))
        code = _text(record.get('build_number')) or _text(record.get('version_code'))
        if code is not None and code == name and not code.isdigit():
            code = None  # a legacy-format record that also carries version_name, without a build number
    else:
        name = _text(record.get('version_code'))
        code = _text(record.get('build_number'))
    return {'id': record.get('id'), 'version_name': name, 'version_code': code,
            'enabled': record.get('is_enabled') is not False, 'catalogue': catalogue}


def version_label(version):
    """'1.2.0 (versionCode 120)' for messages and diffs."""
    if version.get('version_code') is not None:
        return '%s (versionCode %s)' % (version.get('version_name'), version.get('version_code'))
    return str(version.get('version_name'))


def _code_number(version):
    code = version.get('version_code')
    return int(code) if code is not None and str(code).isdigit() else None


def describe_versions(versions):
    """The versions as one readable list, newest (highest versionCode) first."""
    ordered = sorted(versions, key=lambda version: (_code_number(version) is None, -(_code_number(version) or 0)))
    return ', '.join(version_label(version) + ('' if version.get('enabled', True) else ' [disabled]') for version in ordered) or 'none'


def parse_version_ref(text):
    """(kind, value) of a version option: kind 'name' or 'code' with a name:/code: prefix, else None (either)."""
    text = str(text).strip()
    prefix, separator, rest = text.partition(':')
    if separator and prefix.strip().lower() in VERSION_PREFIXES:
        return prefix.strip().lower(), rest.strip()
    return None, text


def version_problems(version):
    """Problems with the version option found without asking Esper."""
    if version is None:
        return []
    kind, value = parse_version_ref(version)
    if not value:
        return ['version must not be empty; give a version name such as 1.2.0, a version code such as 120, or latest']
    if kind == 'code' and not value.isdigit():
        return ['version %r: a version code (code:) is a whole number, such as code:120' % version]
    return []


def match_version(versions, wanted, package_name):
    """The one version of versions that wanted (a name, a code, or name:/code: prefixed) names, or None.

    Raises AppError when wanted names several: the versionName of one version and the versionCode of another
    (ambiguous between formats), or one versionName shared by several versions.
    """
    kind, value = parse_version_ref(wanted)
    by_name = [version for version in versions if kind in (None, 'name') and version.get('version_name') == value]
    by_code = [version for version in versions if kind in (None, 'code') and version.get('version_code') is not None
               and value.isdigit() and int(version['version_code']) == int(value)]
    found = []
    for version in by_name + by_code:
        if version.get('id') not in [item.get('id') for item in found]:
            found.append(version)
    if len(found) <= 1:
        return found[0] if found else None
    if by_name and by_code and not set(v.get('id') for v in by_name) & set(v.get('id') for v in by_code):
        raise AppError('version %r of %s is ambiguous: it is the version name of %s and the version code of %s; write '
                       'version: "name:%s" or version: "code:%s"'
                       % (wanted, package_name, describe_versions(by_name), describe_versions(by_code), value, value))
    raise AppError('version %r of %s matches %d versions (%s); give the version code instead, such as version: "code:%s"'
                   % (wanted, package_name, len(found), describe_versions(found), found[0].get('version_code')))


def latest_version(versions):
    """The enabled version with the highest Android versionCode, or None."""
    candidates = [version for version in versions if version.get('enabled', True) and _code_number(version) is not None]
    if not candidates:
        return None
    return max(candidates, key=_code_number)


# --- the catalogue ----------------------------------------------------------------------------------

def find_app(client, package_name):
    """(app record, 'legacy' or 'v1') of the app with exactly this package name, or (None, None).

    The legacy catalogue first (its versions say whether they are enabled), then v1, which also holds Play apps
    (§11.1). ``package_name_exact`` filters on the server; the exact comparison is repeated here.
    """
    for catalogue in (LEGACY, V1):
        rows = client.paginate(catalogue_path(client, catalogue), params={'package_name_exact': package_name},
                               page_size=CATALOGUE_PAGE_SIZE)
        exact = [row for row in rows if isinstance(row, dict) and row.get('package_name') == package_name]
        if exact:
            return exact[0], catalogue
    return None, None


def read_versions(client, app, catalogue):
    """Every version of an app (normalised), from the catalogue it was found in.

    The legacy version list can be empty for an app v1 knows (§11.1); v1's list is then read instead.
    """
    rows = []
    for source in ((catalogue, V1) if catalogue == LEGACY else (catalogue,)):
        try:
            rows = client.paginate(catalogue_path(client, source, '%s/version/' % app['id']), page_size=CATALOGUE_PAGE_SIZE)
        except EsperNotFoundError:
            rows = []
        rows = [row for row in rows if isinstance(row, dict)]
        if rows:
            return [normalise_version(row, source) for row in rows]
    return []


def similar_packages(client, package_name):
    """Up to 10 catalogue package names close to package_name (one listing of v1's minimal app list)."""
    try:
        rows = client.paginate('v1/' + client.enterprise_path('applications-minimal/'), page_size=CATALOGUE_PAGE_SIZE * 4)
    except EsperApiError:
        return []
    names = sorted(set(row.get('package_name') for row in rows if isinstance(row, dict) and row.get('package_name')))
    return _similar_names(package_name, names)


def unknown_package_error(client, package_name):
    """AppError for a package in neither catalogue, naming close package names."""
    similar = similar_packages(client, package_name)
    if similar:
        return AppError('package %s is not in the app catalogue; similar package names: %s'
                        % (package_name, ', '.join(similar)))
    return AppError('package %s is not in the app catalogue (neither the legacy nor the v1 application list has it); '
                    'give src to upload its APK' % package_name)


def app_summary(app, version=None, uploaded=False, package_name=None):
    """The RV(app) result: id, package_name, application_name, version_id, version_name, version_code, uploaded."""
    app = app or {}
    version = version or {}
    return {'id': app.get('id'), 'package_name': app.get('package_name') or package_name,
            'application_name': app.get('application_name'), 'version_id': version.get('id'),
            'version_name': version.get('version_name'), 'version_code': version.get('version_code'), 'uploaded': uploaded}


# --- APK files and upload ---------------------------------------------------------------------------

def apk_problems(src, max_bytes=MAX_APK_BYTES):
    """Problems with a local APK found before any request: missing, unreadable, not .apk, too large, not a zip."""
    if not os.path.isfile(src):
        return ['src %s is not a file' % src]
    if not os.access(src, os.R_OK):
        return ['src %s is not readable' % src]
    problems = []
    if not src.lower().endswith('.apk'):
        problems.append('src %s must be an APK file whose name ends in .apk (Esper accepts no other)' % src)
    size = os.path.getsize(src)
    if size > max_bytes:
        problems.append('src %s is %d bytes; Esper accepts APKs of at most %d MB' % (src, size, max_bytes // (1024 * 1024)))
    elif not problems:
        try:
            with zipfile.ZipFile(src) as archive:
                if 'AndroidManifest.xml' not in archive.namelist():
                    problems.append('src %s is not an APK: the archive holds no AndroidManifest.xml' % src)
        except (zipfile.BadZipfile, OSError):
            problems.append('src %s is not an APK (an APK is a zip archive)' % src)
    return problems


def is_duplicate_answer(error):
    """True when an upload error is Esper's 'this version already exists' answer (a 4xx quoting it, §11.4)."""
    status = getattr(error, 'status', None)
    return status is not None and 400 <= status < 500 and DUPLICATE_VERSION_TEXT in str(getattr(error, 'message', error)).lower()


def upload_apk(client, src):
    """POST src to the upload endpoint; returns (the created Application record, False) or (None, True) for a duplicate.

    Any other error is raised as it is. The body is multipart/form-data with the one field app_file (§11.4).
    """
    with open(src, 'rb') as fileobj:
        try:
            answer = client.upload(upload_path(client), 'app_file', os.path.basename(src), fileobj, APK_CONTENT_TYPE)
        except EsperApiError as error:
            if is_duplicate_answer(error):
                return None, True
            raise
    application = answer.get('application') if isinstance(answer, dict) else None
    if not isinstance(application, dict):
        application = answer if isinstance(answer, dict) and answer.get('package_name') else {}
    return application, False


# --- choosing the version ---------------------------------------------------------------------------

def select_app(client, package_name, state, version=None, src=None, check_mode=False):
    """The app and version a run works with: {'app': record or None, 'version': normalised or None,
    'catalogue', 'uploaded', 'upload_pending'} (upload_pending: check mode would upload src).

    state 'absent' looks the app up only to report it (an app outside the catalogue can still be on devices).
    Raises AppError (unknown package with close names, unknown version listing the existing ones, ambiguous
    version, no enabled version) before any write; uploads src (not in check mode) when the version is missing.
    """
    selection = {'app': None, 'version': None, 'catalogue': None, 'uploaded': False, 'upload_pending': False}
    app, catalogue = find_app(client, package_name)
    selection.update(app=app, catalogue=catalogue)
    if state == 'absent':
        return selection
    if app is None and not src:
        raise unknown_package_error(client, package_name)
    versions = read_versions(client, app, catalogue) if app is not None else []
    if state == 'latest' or str(version).strip().lower() == LATEST:
        chosen = latest_version(versions)
        if chosen is None:
            raise AppError('package %s has no enabled version with a version code to install; versions: %s'
                           % (package_name, describe_versions(versions)))
        selection['version'] = chosen
        return selection
    chosen = match_version(versions, version, package_name)
    if chosen is not None:
        selection['version'] = chosen
        return selection
    if not src:
        raise AppError('version %r of %s is not in the app catalogue; versions: %s. Give src to upload it'
                       % (version, package_name, describe_versions(versions)))
    if check_mode:
        selection['upload_pending'] = True
        kind, value = parse_version_ref(version)
        selection['version'] = {'id': None, 'version_name': value if kind != 'code' else None,
                                'version_code': value if kind == 'code' else None}
        return selection
    return _upload_and_select(client, package_name, version, src, selection)


def _upload_and_select(client, package_name, version, src, selection):
    application, duplicate = upload_apk(client, src)
    if duplicate:
        # Esper already has the APK's version: it counts as present, and is read back from the catalogue.
        app, catalogue = find_app(client, package_name)
        versions = read_versions(client, app, catalogue) if app is not None else []
        chosen = match_version(versions, version, package_name)
        if chosen is None:
            raise AppError('Esper answered that the version in src %s already exists, but %s has no version %r; versions: %s'
                           % (src, package_name, version, describe_versions(versions)))
        selection.update(app=app, catalogue=catalogue, version=chosen)
        return selection
    if application.get('package_name') not in (None, package_name):
        raise AppError('src %s was uploaded, but it holds package %s, not %s' % (src, application.get('package_name'), package_name))
    uploaded = [normalise_version(row, LEGACY) for row in application.get('versions') or [] if isinstance(row, dict)]
    chosen = match_version(uploaded, version, package_name)
    app = application if application.get('id') else None
    if chosen is None:
        # versions[] may not hold the new version alone, or at all (Unknown 13): read the catalogue.
        app, catalogue = find_app(client, package_name)
        chosen = match_version(read_versions(client, app, catalogue) if app else [], version, package_name)
        selection['catalogue'] = catalogue
        if chosen is None:
            raise AppError('src %s was uploaded, but %s has no version %r after the upload; the APK holds %s'
                           % (src, package_name, version, describe_versions(uploaded)))
    else:
        selection['catalogue'] = LEGACY
    selection.update(app=app, version=chosen, uploaded=True)
    return selection


# --- devices ----------------------------------------------------------------------------------------

def read_installed(client, devices, package_name, workers=8, notes=None):
    """Map each device id to its app row for package_name (§11.6), or None when the device does not have it.

    One paginated GET enterprise/<eid>/device/<id>/app/?package_name=<pkg> per device, up to ``workers`` at a time;
    the package name is compared exactly here (the filter may match partially). A device whose app list is a 404
    counts as not having the package, with a sentence in notes.
    """
    if notes is None:
        notes = []
    per_device = dict((device['id'], []) for device in devices)

    def read_one(device):
        try:
            rows = client.paginate(device_apps_path(client, device['id']), params={'package_name': package_name},
                                   page_size=DEVICE_APPS_PAGE_SIZE)
        except EsperNotFoundError:
            per_device[device['id']].append('the apps of device %s could not be read (HTTP 404); it is taken not to have %s'
                                            % (device_label(device), package_name))
            return None
        exact = [row for row in rows if isinstance(row, dict) and row.get('package_name') == package_name]
        return exact[0] if exact else None

    installed = for_each_device(devices, read_one, workers=workers)
    for device in devices:
        notes.extend(per_device[device['id']])
    return installed


def installed_label(row):
    """How a device's installed app reads in diffs and skip reasons: '1.1.0 (versionCode 110)'; None when absent."""
    if not row:
        return None
    return version_label({'version_name': _text(row.get('version_name')), 'version_code': _text(row.get('version_code'))})


def runs_version(row, version):
    """True when a device's app row is the catalogue version: same versionCode, or same versionName when a code is missing."""
    if not row:
        return False
    row_code = _text(row.get('version_code'))
    if row_code is not None and version.get('version_code') is not None and row_code.isdigit() and str(version['version_code']).isdigit():
        return int(row_code) == int(version['version_code'])
    return _text(row.get('version_name')) == version.get('version_name')


def is_newer(row, version):
    """True when the device runs a higher versionCode than version (Android refuses the downgrade, §11.7)."""
    row_code = _text((row or {}).get('version_code'))
    return bool(row_code and row_code.isdigit() and _code_number(version) is not None and int(row_code) > _code_number(version))


def plan_app(client, devices, installed, state, package_name, version=None):
    """Split devices for INSTALL (present/latest) or UNINSTALL (absent).

    Returns (command, command_args, to_send device dicts, skipped entries, diff {'before', 'after'}, newer device labels).
    present/latest: a device running version is skipped; absent: a device without the package is skipped. A device
    whose newest open request of the same command and arguments is still open (it is offline) is skipped too.
    The history is read only when some device needs the command.
    """
    if state == 'absent':
        command, command_args = UNINSTALL, {'package_name': package_name}
        needs = [device for device in devices if installed.get(device['id'])]
    else:
        command, command_args = INSTALL, {'app_version': version.get('id')}
        needs = [device for device in devices if not runs_version(installed.get(device['id']), version)]
    open_requests = {}
    if needs and not (command == INSTALL and version.get('id') is None):  # no id yet: check mode before an upload
        open_requests = open_identical_requests(client, command, command_args, [str(device['id']) for device in needs])
    need_ids = set(device['id'] for device in needs)
    to_send, skipped, newer = [], [], []
    before, after = {}, {}
    for device in devices:
        row = installed.get(device['id'])
        found = open_requests.get(str(device['id']))
        if device['id'] not in need_ids:
            reason = ('%s is not installed' % package_name if state == 'absent'
                      else 'already runs %s %s' % (package_name, installed_label(row)))
            skipped.append({'device': device['id'], 'device_name': device_label(device), 'reason': reason})
        elif found:
            skipped.append(_open_request_skip(device, command, found))
        else:
            to_send.append(device)
            if state != 'absent' and is_newer(row, version):
                newer.append('%s (%s)' % (device_label(device), installed_label(row)))
            key = _diff_key(before, device)
            before[key] = {'version': installed_label(row)}
            after[key] = {'version': None if state == 'absent' else version_label(version)}
    return command, command_args, to_send, skipped, {'before': before, 'after': after}, newer
