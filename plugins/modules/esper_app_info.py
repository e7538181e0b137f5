#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: esper_app_info
short_description: Read Android apps and their versions from the Esper catalogue, and the apps on devices
version_added: 0.1.0
description:
  - Lists catalogue apps with their versions, each version with its Android version name and version code
    (read from either of the API's inverted version formats).
  - With O(package_name) and O(version), also returns the devices that have that version.
  - With O(devices), returns each device's installed apps (only O(package_name) when given).
author:
  - esper.mdm contributors (@esper-mdm)
extends_documentation_fragment:
  - esper.mdm.connection
  - esper.mdm.attributes
  - esper.mdm.attributes.info_module
  - esper.mdm.attributes.idempotent
attributes:
  idempotent:
    support: full
options:
  package_name:
    description:
      - Only the app with exactly this package name (looked up in the legacy catalogue, then in v1).
    type: str
  name:
    description:
      - Only apps whose name contains this text (the catalogue's C(application_name) filter, read from the v1
        catalogue, which holds every app). Ignored when O(package_name) is given.
    type: str
  version:
    description:
      - A version of O(package_name), as a version name (V(1.2.0)), a version code (V(120)), V(name:...) or
        V(code:...) to say which, or V(latest) (the enabled version with the highest version code).
      - Returns the version in RV(version) and the devices that have it in RV(installed_devices).
      - Requires O(package_name).
    type: str
  devices:
    description:
      - Devices, by UUID or exact name, whose installed apps to return in RV(device_apps).
      - Without O(package_name) and O(name), the catalogue is not read when O(devices) is given.
    type: list
    elements: str
    default: []
notes:
  - Listing the whole catalogue reads each app's versions, one request per app.
seealso:
  - module: esper.mdm.esper_app
'''

EXAMPLES = r'''
- name: The versions of one app
  esper.mdm.esper_app_info:
    package_name: com.acme.scanner
  register: scanner

- name: Which devices run version 1.1.0
  esper.mdm.esper_app_info:
    package_name: com.acme.scanner
    version: 1.1.0
  register: on_110

- name: What two kiosks have of the scanner app
  esper.mdm.esper_app_info:
    package_name: com.acme.scanner
    devices:
      - kiosk-0001
      - kiosk-0002
  register: kiosk_apps
'''

RETURN = r'''
apps:
  description: The catalogue apps found, each with its versions.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The app's UUID.
      type: str
    package_name:
      description: The package name.
      type: str
    application_name:
      description: The app's name.
      type: str
    catalogue:
      description: The catalogue the app was read from, C(legacy) or C(v1).
      type: str
    versions:
      description: The app's versions, each C(id), C(version_name) (Android versionName), C(version_code)
        (Android versionCode, a string) and C(enabled).
      type: list
      elements: dict
    latest_version:
      description: The enabled version with the highest version code, or null.
      type: dict
  sample:
    - id: 7a0c54a4-3e0b-5a43-8a47-9d6f0c3f1a11
      package_name: com.acme.scanner
      application_name: Acme Scanner
      catalogue: legacy
      versions:
        - {id: 0b8d2f7e-6c4a-5e51-9f0e-2a1d3c4b5e6f, version_name: 1.1.0, version_code: "110", enabled: true}
      latest_version: {id: 0b8d2f7e-6c4a-5e51-9f0e-2a1d3c4b5e6f, version_name: 1.1.0, version_code: "110", enabled: true}
version:
  description: The version O(version) names, when given.
  returned: when O(version) is given
  type: dict
installed_devices:
  description: The devices that have O(version) (CONTRACT 11.5), each C(id), C(device_name), C(alias_name), C(group_name).
  returned: when O(version) is given
  type: list
  elements: dict
device_apps:
  description: For each device of O(devices), its installed apps as the device reports them (C(package_name),
    C(app_name), C(version_name), C(version_code), ...).
  returned: when O(devices) is given
  type: list
  elements: dict
  contains:
    device:
      description: The device ID.
      type: str
    device_name:
      description: The device name.
      type: str
    apps:
      description: The device's app rows.
      type: list
      elements: dict
'''

from ansible_collections.esper.mdm.plugins.module_utils._apps import (
    AppError,
    LATEST,
    V1,
    catalogue_path,
    device_apps_path,
    find_app,
    latest_version,
    match_version,
    read_versions,
    unknown_package_error,
    version_problems,
    CATALOGUE_PAGE_SIZE,
    DEVICE_APPS_PAGE_SIZE,
)
from ansible_collections.esper.mdm.plugins.module_utils._client import EsperApiError, client_from_module, connection_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import EsperModule
from ansible_collections.esper.mdm.plugins.module_utils._device_state import for_each_device
from ansible_collections.esper.mdm.plugins.module_utils._targets import TargetError, device_label, reference_problems, resolve_devices

# Threads reading versions and device apps; unit tests set 1 so the scripted conversation sees a fixed order.
READ_WORKERS = 8


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        package_name=dict(type='str'),
        name=dict(type='str'),
        version=dict(type='str'),
        devices=dict(type='list', elements='str', default=[]),
    )
    return spec


def describe_app(app, catalogue, versions):
    return {'id': app.get('id'), 'package_name': app.get('package_name'), 'application_name': app.get('application_name'),
            'catalogue': catalogue, 'versions': [_public(version) for version in versions],
            'latest_version': _public(latest_version(versions))}


def _public(version):
    if version is None:
        return None
    return dict((key, version.get(key)) for key in ('id', 'version_name', 'version_code', 'enabled'))


def list_apps(client, params):
    """[(app record, catalogue)] of the apps the filters select."""
    if params['package_name']:
        app, catalogue = find_app(client, params['package_name'])
        return [(app, catalogue)] if app else []
    query = {'application_name': params['name']} if params['name'] else None
    rows = client.paginate(catalogue_path(client, V1), params=query, page_size=CATALOGUE_PAGE_SIZE)
    return [(row, V1) for row in rows if isinstance(row, dict)]


def read_catalogue(client, params):
    result = {'apps': []}
    found = list_apps(client, params)
    if params['version'] and not found:
        raise unknown_package_error(client, params['package_name'])
    by_id = dict((app.get('id'), (app, catalogue)) for app, catalogue in found)
    versions = for_each_device([app for app, dummy in found],
                               lambda app: read_versions(client, app, by_id[app.get('id')][1]), workers=READ_WORKERS)
    result['apps'] = [describe_app(app, catalogue, versions[app.get('id')]) for app, catalogue in found]
    if params['version']:
        app, catalogue = found[0]
        app_versions = versions[app.get('id')]
        if params['version'].strip().lower() == LATEST:
            chosen = latest_version(app_versions)
        else:
            chosen = match_version(app_versions, params['version'], params['package_name'])
        if chosen is None:
            raise AppError('version %r of %s is not in the app catalogue; versions: %s'
                           % (params['version'], params['package_name'],
                              ', '.join(version.get('version_name') or '?' for version in app_versions) or 'none'))
        result['version'] = _public(chosen)
        # installdevices has no trailing slash in the spec (§11.5).
        path = catalogue_path(client, chosen.get('catalogue') or catalogue, '%s/version/%s/installdevices' % (app['id'], chosen['id']))
        result['installed_devices'] = client.paginate(path, page_size=CATALOGUE_PAGE_SIZE)
    return result


def read_device_apps(client, params):
    devices = resolve_devices(client, params['devices'])
    query = {'package_name': params['package_name']} if params['package_name'] else None

    def read_one(device):
        rows = client.paginate(device_apps_path(client, device['id']), params=query, page_size=DEVICE_APPS_PAGE_SIZE)
        rows = [row for row in rows if isinstance(row, dict)]
        if params['package_name']:
            rows = [row for row in rows if row.get('package_name') == params['package_name']]
        return rows

    apps = for_each_device(devices, read_one, workers=READ_WORKERS)
    return [{'device': device['id'], 'device_name': device_label(device), 'apps': apps[device['id']]} for device in devices]


def main():
    module = EsperModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    problems = []
    if params['version'] is not None and not params['package_name']:
        problems.append('version requires package_name')
    problems.extend(version_problems(params['version']))
    problems.extend(reference_problems('devices', params['devices']))
    if problems:
        module.fail_json(msg='; '.join(problems), problems=problems)
    client = client_from_module(module)
    result = {}
    try:
        if params['package_name'] or params['name'] or not params['devices']:
            result.update(read_catalogue(client, params))
        if params['devices']:
            result['device_apps'] = read_device_apps(client, params)
    except TargetError as error:
        module.fail_json(msg=str(error), problems=error.problems)
    except EsperApiError as error:
        module.fail_json(msg=str(error))
    result.setdefault('apps', [])
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
