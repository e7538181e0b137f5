# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Android apps (CONTRACT §11): the legacy and v1 catalogues, the APK upload, each device's apps and install
records, and what INSTALL and UNINSTALL do to them.

Version fields (§11.3) are inverted between formats, and the simulator serves both:
- the legacy format (the default of the legacy ``/enterprise/{eid}/application/...`` paths): ``version_code`` holds the
  Android versionName and ``build_number`` the versionCode (as a string);
- the new format of PR #71 (the default of the ``/v1/...`` paths): ``version_name`` holds the versionName and
  ``version_code`` (and the deprecated ``build_number``) the versionCode.
``legacy_format=true|false`` switches either path (Unknown 14: which default the real server uses is not known).

The v1 catalogue holds every app; the legacy one only the uploaded (enterprise) apps, so a Play app is found
through v1 alone and its legacy item read is a 404 (§11.1). Device app lists are made on first use, so building
a fleet of 100,000 devices costs nothing here: a device nobody installed anything on reports the default
preloaded app only.

An APK is a zip; the simulator reads the package name and versions from a plain-text ``AndroidManifest.xml`` in it
(``package``, ``android:versionCode``, ``android:versionName``, ``android:label``), where a real APK holds binary XML.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import re
import uuid
import zipfile

from .fleet import ANDROID, FLEET_EPOCH
from .responses import ApiError, ApiResponse
from .timefmt import iso_timestamp

MAX_APK_BYTES = 500 * 1024 * 1024  # HELP: at most 500 MB, .apk extension (§11.4)
DUPLICATE_VERSION_MESSAGE = 'App Upload failed as this version already exists'
APP_NAMESPACE = uuid.UUID('6f1c2d3e-0000-4a5b-8c9d-00000000a990')
TRUE_TEXTS = ('true', '1', 'yes')

# (package_name, application_name, in the legacy catalogue, is_g_play, [(versionName, versionCode, is_enabled)])
DEFAULT_CATALOGUE = (
    ('com.acme.scanner', 'Acme Scanner', True, False,
     [('1.0.0', 100, True), ('1.1.0', 110, True), ('1.2.0', 120, True), ('2.0.0-beta', 200, False)]),
    # Version "2" is ambiguous: the versionName of one version and the versionCode of another.
    ('com.acme.pos', 'Acme POS', True, False, [('1.0', 2, True), ('2', 3, True)]),
    ('com.acme.signage', 'Acme Signage', True, False, [('4.2.1', 421, True)]),
    # A Play app: v1 only (§11.1).
    ('com.google.android.apps.maps', 'Google Maps', False, True, [('11.0.1', 1100010, True)]),
)
# What every Android device reports before anything is installed: a preloaded app that is not in the catalogue.
PRELOADED_APPS = (('com.android.chrome', 'Chrome', '120.0.6099.43', 609904300),)

MANIFEST_FIELDS = {
    'package_name': re.compile(r'\bpackage\s*=\s*"([^"]+)"'),
    'version_code': re.compile(r'android:versionCode\s*=\s*"([0-9]+)"'),
    'version_name': re.compile(r'android:versionName\s*=\s*"([^"]+)"'),
    'label': re.compile(r'android:label\s*=\s*"([^"]+)"'),
}


def _uuid(*parts):
    return str(uuid.uuid5(APP_NAMESPACE, '/'.join(str(part) for part in parts)))


class AppVersion:
    """One version of an app: the Android versionName and versionCode, and the catalogue's flags."""

    def __init__(self, app, name, code, enabled=True, created=FLEET_EPOCH, size=1, digest=''):
        self.id = _uuid(app.package_name, code, name)
        self.app = app
        self.name = name
        self.code = code
        self.enabled = enabled
        self.created_on = iso_timestamp(created)
        self.size_in_mb = size
        self.hash_string = digest or hashlib.sha256(self.id.encode()).hexdigest()


class App:
    """One catalogue app."""

    def __init__(self, package_name, application_name, in_legacy=True, is_g_play=False):
        self.id = _uuid(package_name)
        self.package_name = package_name
        self.application_name = application_name
        self.in_legacy = in_legacy
        self.is_g_play = is_g_play
        self.versions = []

    def latest(self):
        enabled = [version for version in self.versions if version.enabled] or self.versions
        return max(enabled, key=lambda version: version.code) if enabled else None


def read_manifest(data):
    """{package_name, version_code (int), version_name, label} from an APK's plain-text manifest; ApiError 400 otherwise."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = archive.read('AndroidManifest.xml').decode('utf-8')
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError):
        raise ApiError(400, 'Invalid APK file: app_file must be an APK (a zip archive holding AndroidManifest.xml; '
                            'the simulator reads a plain-text manifest)')
    found = {}
    for name, pattern in MANIFEST_FIELDS.items():
        match = pattern.search(manifest)
        found[name] = match.group(1) if match else None
    if not found['package_name'] or not found['version_code'] or not found['version_name']:
        raise ApiError(400, 'Invalid APK file: the manifest needs package, android:versionCode and android:versionName')
    found['version_code'] = int(found['version_code'])
    return found


def multipart_files(request):
    """{field name: (filename, bytes)} of a multipart/form-data body; ApiError 415 for any other body."""
    content_type = request.headers.get('content-type', '')
    if not content_type.lower().startswith('multipart/form-data'):
        raise ApiError(415, f'Unsupported media type {content_type or "(none)"}: send multipart/form-data with app_file')
    head = f'Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n'.encode('latin-1')
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    files = {}
    if not message.is_multipart():
        raise ApiError(400, 'Malformed multipart body')
    for part in message.iter_parts():
        name = part.get_param('name', header='content-disposition')
        if name:
            files[name] = (part.get_filename(), part.get_payload(decode=True) or b'')
    return files


class AppWorld:
    """The catalogue, each device's apps and its install records; made on first use (Fleet.apps)."""

    def __init__(self, fleet):
        self.fleet = fleet
        self.apps = []
        self.apps_by_id = {}
        self.versions_by_id = {}
        self._device_apps = {}   # device id -> {package_name: row}; absent = the default preloaded apps
        self._installs = {}      # device id -> [AppInstall records], newest last
        for package_name, name, in_legacy, is_g_play, versions in DEFAULT_CATALOGUE:
            app = self._add_app(package_name, name, in_legacy, is_g_play)
            for index, (version_name, code, enabled) in enumerate(versions):
                self._add_version(app, version_name, code, enabled, FLEET_EPOCH + 3600 * index)

    def _add_app(self, package_name, name, in_legacy=True, is_g_play=False):
        app = App(package_name, name, in_legacy, is_g_play)
        self.apps.append(app)
        self.apps_by_id[app.id] = app
        return app

    def _add_version(self, app, name, code, enabled=True, created=FLEET_EPOCH, size=1, digest=''):
        version = AppVersion(app, name, code, enabled, created, size, digest)
        app.versions.append(version)
        self.versions_by_id[version.id] = version
        return version

    def app_by_package(self, package_name):
        return next((app for app in self.apps if app.package_name == package_name), None)

    # ---- devices

    def device_apps(self, device):
        """{package_name: row} of a device (made on first use from the preloaded apps; none for other platforms)."""
        rows = self._device_apps.get(device.id)
        if rows is None:
            rows = {}
            if device.platform == ANDROID:
                for package_name, name, version_name, code in PRELOADED_APPS:
                    rows[package_name] = self._row(device, package_name, name, version_name, code, 'SYSTEM', device.created_on)
            self._device_apps[device.id] = rows
        return rows

    @staticmethod
    def _row(device, package_name, name, version_name, code, app_type, when):
        return {'id': _uuid(device.id, package_name), 'app_name': name, 'package_name': package_name, 'app_type': app_type,
                'state': 'SHOW', 'version_code': code, 'version_name': version_name, 'whitelisted': False,
                'is_data_clearable': True, 'is_uninstallable': app_type != 'SYSTEM', 'is_kiosk_app': False,
                'is_esper_controlled': app_type == 'ENTERPRISE', 'product_id': None, 'is_active': True,
                'created_on': when, 'updated_on': when, 'device': device.id}

    def installs(self, device):
        return self._installs.get(device.id, [])

    def devices_with(self, version):
        """The ids of the devices whose app list holds this version (only devices touched so far can)."""
        return [device_id for device_id, rows in self._device_apps.items()
                if (rows.get(version.app.package_name) or {}).get('version_code') == version.code]

    def _record(self, device, version, state, when):
        self._installs.setdefault(device.id, []).append({
            'id': str(uuid.uuid4()), 'install_state': state, 'reason_details': '', 'is_active': True, 'created_on': when,
            'updated_on': when, 'device': device.id,
            'application': {'application_name': version.app.application_name, 'package_name': version.app.package_name,
                            'is_enabled': version.enabled,
                            'version': {'app_version_id': version.id, 'version_code': version.name,
                                        'build_number': str(version.code), 'version_name': version.name,
                                        'hash_string': version.hash_string}}})

    # ---- INSTALL / UNINSTALL effects (CONTRACT §11.7)

    def failure_reason(self, device, command, command_args):
        """Why INSTALL or UNINSTALL fails on this device right now, or None."""
        if command == 'INSTALL':
            version = self.versions_by_id.get(str(command_args.get('app_version', '')).lower())
            if version is None:
                return f'App version {command_args.get("app_version")} not found'
            row = self.device_apps(device).get(version.app.package_name)
            if row is not None and row['version_code'] == version.code:
                return 'App already exists on device'
            if row is not None and row['version_code'] > version.code:
                return (f'Cannot install {version.name} ({version.code}): the device has the newer {row["version_name"]} '
                        f'({row["version_code"]}); downgrading requires removing the app first')
        elif command == 'UNINSTALL':
            if command_args.get('package_name') not in self.device_apps(device):
                return f'App {command_args.get("package_name")} is not installed on the device'
        return None

    def apply(self, device, command, command_args, when):
        """The success effect of INSTALL or UNINSTALL; returns the success reason."""
        rows = self.device_apps(device)
        if command == 'INSTALL':
            version = self.versions_by_id[str(command_args['app_version']).lower()]
            rows[version.app.package_name] = self._row(device, version.app.package_name, version.app.application_name,
                                                       version.name, version.code, 'ENTERPRISE', when)
            self._record(device, version, 'INSTALL_SUCCESS', when)
            return f'Installed {version.app.package_name} {version.name} ({version.code})'
        package_name = command_args['package_name']
        removed = rows.pop(package_name)
        app = self.app_by_package(package_name)
        version = next((item for item in (app.versions if app else []) if item.code == removed['version_code']), None)
        if version is not None:
            self._record(device, version, 'UNINSTALL_SUCCESS', when)
        return f'Uninstalled {package_name}'

    # ---- upload (CONTRACT §11.4)

    def upload(self, filename, data, now):
        """The app of a valid new APK, with the new version added; ApiError for an invalid or already known one."""
        if not filename or not filename.lower().endswith('.apk'):
            raise ApiError(400, f'Invalid APK file: the file name must end in .apk, got {filename!r}')
        if len(data) > MAX_APK_BYTES:
            raise ApiError(400, 'Invalid APK file: the file may be at most 500 MB')
        manifest = read_manifest(data)
        app = self.app_by_package(manifest['package_name'])
        if app is None:
            app = self._add_app(manifest['package_name'], manifest['label'] or manifest['package_name'])
        elif any(version.code == manifest['version_code'] or version.name == manifest['version_name'] for version in app.versions):
            raise ApiError(400, DUPLICATE_VERSION_MESSAGE)
        app.in_legacy = True
        version = self._add_version(app, manifest['version_name'], manifest['version_code'], True, now,
                                    size=max(1, len(data) // (1024 * 1024)), digest=hashlib.sha256(data).hexdigest())
        return app, version


class AppRenderer:
    """Apps, versions and device apps as the API shows them (bare DRF objects)."""

    def __init__(self, world, base_url, legacy_format):
        self.world = world
        self.enterprise_url = f'{base_url}/enterprise/{world.fleet.enterprise_id}/'
        self.legacy_format = legacy_format

    def _app_url(self, app):
        return f'{self.enterprise_url}application/{app.id}/'

    def version_fields(self, version):
        """The version fields of the chosen format (the inversion of §11.3)."""
        if self.legacy_format:
            return {'version_code': version.name, 'build_number': str(version.code)}
        return {'version_name': version.name, 'version_code': str(version.code), 'build_number': str(version.code)}

    def embedded_version(self, version):
        fields = {'id': version.id, 'hash_string': version.hash_string, 'min_sdk_version': '26', 'target_sdk_version': '33',
                  'download_url': f'{self._app_url(version.app)}version/{version.id}/download/', 'icon_url': None,
                  'release_name': version.name, 'release_comments': ''}
        fields.update(self.version_fields(version))
        return fields

    def legacy_app(self, app, versions=None):
        return {'id': app.id, 'application_name': app.application_name, 'package_name': app.package_name,
                'versions': [self.embedded_version(version) for version in (app.versions if versions is None else versions)],
                'developer': 'Acme', 'category': 'Business', 'content_rating': '0.0', 'compatibility': '',
                'created_on': app.versions[0].created_on if app.versions else None, 'updated_on': None, 'is_active': True,
                'is_hidden': False, 'auto_update_app': False, 'enterprise': self.enterprise_url}

    def v1_app(self, app):
        latest = app.latest()
        latest_version = None
        if latest is not None:
            latest_version = {'id': latest.id, 'hash_string': latest.hash_string, 'min_sdk_version': '26',
                              'target_sdk_version': '33', 'icon_url': None, 'release_name': latest.name}
            latest_version.update(self.version_fields(latest))
        return {'id': app.id, 'application_name': app.application_name, 'package_name': app.package_name, 'is_hidden': False,
                'enterprise': self.enterprise_url, 'latest_version': latest_version}

    def version(self, version, v1):
        fields = {'id': version.id, 'installed_count': len(self.world.devices_with(version)), 'app_file': None if v1 else
                  f'{self._app_url(version.app)}version/{version.id}/file.apk', 'app_icon': None, 'size_in_mb': version.size_in_mb,
                  'hash_string': version.hash_string, 'release_name': version.name, 'release_comments': '',
                  'min_sdk_version': '26', 'is_default': False, 'approval_status': 'APPROVED', 'application': self._app_url(version.app),
                  'enterprise': self.enterprise_url, 'created_on': version.created_on}
        if v1:
            fields.update({'is_g_play': version.app.is_g_play, 'release_date': version.created_on})
        else:
            fields.update({'permissions': [], 'release_track': 'Production', 'target_sdk_version': '33', 'is_enabled': version.enabled,
                           'updated_on': version.created_on})
        fields.update(self.version_fields(version))
        return fields


class AppApi:
    """The /api handlers of §11; ``api`` is the EsperApi (enterprise check, devices), ``paginate`` its list pager."""

    def __init__(self, api, paginate):
        self.api = api
        self.paginate = paginate

    def routes(self):
        base = r'^/api/(?P<v1>v1/)?enterprise/(?P<eid>[^/]+)/'
        app = base + r'application/(?P<app_id>[^/]+)/'
        return [
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/application/upload/$'), {'POST': self.upload}),
            (re.compile(base + r'application/$'), {'GET': self.list_apps}),
            (re.compile(r'^/api/v1/enterprise/(?P<eid>[^/]+)/applications-minimal/$'), {'GET': self.list_minimal}),
            (re.compile(app + r'$'), {'GET': self.get_app}),
            (re.compile(app + r'version/$'), {'GET': self.list_versions}),
            (re.compile(app + r'version/(?P<version_id>[^/]+)/$'), {'GET': self.get_version}),
            (re.compile(app + r'version/(?P<version_id>[^/]+)/installdevices/?$'), {'GET': self.install_devices}),
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/device/(?P<device_id>[^/]+)/app/$'), {'GET': self.device_apps}),
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/device/(?P<device_id>[^/]+)/install/$'), {'GET': self.device_installs}),
        ]

    @property
    def world(self):
        return self.api.fleet.apps

    def _renderer(self, request, v1):
        text = request.query.get('legacy_format')
        legacy_format = (text.lower() in TRUE_TEXTS) if text else not v1
        return AppRenderer(self.world, request.base_url, legacy_format)

    def _visible_apps(self, v1):
        return [app for app in self.world.apps if v1 or app.in_legacy]

    def _app(self, eid, app_id, v1):
        self.api._check_enterprise(eid)
        app = self.world.apps_by_id.get(app_id.lower())
        if app is None or not (v1 or app.in_legacy):
            raise ApiError(404, 'detail: Not found.')
        return app

    def _version(self, app, version_id):
        version = self.world.versions_by_id.get(version_id.lower())
        if version is None or version.app is not app:
            raise ApiError(404, 'detail: Not found.')
        return version

    def list_apps(self, request, eid, v1):
        self.api._check_enterprise(eid)
        query = request.query
        found = self._visible_apps(v1)
        if query.get('package_name_exact'):
            found = [app for app in found if app.package_name == query['package_name_exact']]
        if query.get('package_name'):
            found = [app for app in found if query['package_name'].lower() in app.package_name.lower()]
        if query.get('application_name'):
            found = [app for app in found if query['application_name'].lower() in app.application_name.lower()]
        renderer = self._renderer(request, v1)
        render = renderer.v1_app if v1 else renderer.legacy_app
        return ApiResponse(200, self.paginate(request, found, render))

    def list_minimal(self, request, eid):
        self.api._check_enterprise(eid)
        return ApiResponse(200, self.paginate(request, self.world.apps, lambda app: {'id': app.id, 'package_name': app.package_name}))

    def get_app(self, request, eid, v1, app_id):
        app = self._app(eid, app_id, v1)
        renderer = self._renderer(request, v1)
        return ApiResponse(200, renderer.v1_app(app) if v1 else renderer.legacy_app(app))

    def list_versions(self, request, eid, v1, app_id):
        app = self._app(eid, app_id, v1)
        query = request.query
        found = list(app.versions)
        if query.get('version_code'):
            found = [version for version in found if self._renderer(request, v1).version_fields(version)['version_code'] == query['version_code']]
        if query.get('is_enabled') and not v1:
            wanted = query['is_enabled'].lower() in TRUE_TEXTS
            found = [version for version in found if version.enabled == wanted]
        renderer = self._renderer(request, v1)
        return ApiResponse(200, self.paginate(request, found, lambda version: renderer.version(version, bool(v1))))

    def get_version(self, request, eid, v1, app_id, version_id):
        version = self._version(self._app(eid, app_id, v1), version_id)
        return ApiResponse(200, self._renderer(request, v1).version(version, bool(v1)))

    def install_devices(self, request, eid, v1, app_id, version_id):
        version = self._version(self._app(eid, app_id, v1), version_id)
        fleet = self.api.fleet
        devices = [fleet.devices_by_id[device_id] for device_id in self.world.devices_with(version)]
        devices.sort(key=lambda device: device.index)
        search = (request.query.get('search') or '').lower()

        def group_name(device):
            return fleet.groups_by_id[device.group_ids[0]].name if device.group_ids else None

        if search:
            devices = [device for device in devices if any(search in (text or '').lower() for text in (
                device.device_name, device.alias_name, group_name(device)))]
        return ApiResponse(200, self.paginate(request, devices, lambda device: {
            'id': device.id, 'device_name': device.device_name, 'alias_name': device.alias_name, 'group_name': group_name(device)}))

    def _android_device(self, eid, device_id):
        self.api._check_enterprise(eid)
        device = self.api._device(device_id)
        if device.platform != ANDROID:
            raise ApiError(404, f'Device {device_id} not found')  # the legacy device API is Android only (§13.1)
        return device

    def device_apps(self, request, eid, device_id):
        device = self._android_device(eid, device_id)
        query = request.query
        rows = list(self.world.device_apps(device).values())
        if query.get('package_name'):
            rows = [row for row in rows if query['package_name'].lower() in row['package_name'].lower()]
        if query.get('search'):
            rows = [row for row in rows if query['search'].lower() in row['app_name'].lower()]
        for name in ('app_type', 'state'):
            if query.get(name):
                rows = [row for row in rows if row[name] == query[name]]
        return ApiResponse(200, self.paginate(request, rows, dict))

    def device_installs(self, request, eid, device_id):
        device = self._android_device(eid, device_id)
        query = request.query
        records = self.world.installs(device)[::-1]
        for name in ('package_name', 'application_name'):
            if query.get(name):
                records = [record for record in records if record['application'][name] == query[name]]
        if query.get('install_state'):
            records = [record for record in records if record['install_state'] == query['install_state']]
        return ApiResponse(200, self.paginate(request, records, dict))

    def upload(self, request, eid):
        self.api._check_enterprise(eid)
        files = multipart_files(request)
        if 'app_file' not in files:
            raise ApiError(400, 'app_file: this field is required (a valid APK file)')
        filename, data = files['app_file']
        app, version = self.world.upload(filename, data, self.api.sim.now)
        renderer = AppRenderer(self.world, request.base_url, legacy_format=True)
        # versions[] holds the uploaded version alone (whether the real one lists every version is Unknown 13).
        return ApiResponse(201, {'application': renderer.legacy_app(app, versions=[version])})
