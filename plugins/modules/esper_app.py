#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: esper_app
short_description: Keep a version of an Android app installed on, or removed from, Esper devices
version_added: 0.1.0
description:
  - Installs a version of an Android app from the Esper app catalogue (C(INSTALL) with the version's UUID), or
    removes the app (C(UNINSTALL) with its package name), as desired state on devices and groups.
  - Looks the app up by exact package name in the legacy catalogue, then in the v1 catalogue (which also holds
    Play apps), reads each target device's installed apps in parallel, and sends the command only to the devices
    that need it. Devices already compliant are listed in RV(skipped_devices); when no device needs anything,
    nothing is sent and the module reports no change.
  - With O(src), uploads a local APK to the catalogue first when the version is not there yet.
  - Groups are expanded to their devices, and the command targets those devices. C(INSTALL) and C(UNINSTALL) are
    Android commands; devices of other platforms are never sent them and are listed in RV(skipped_devices) with a
    warning.
  - C(UNINSTALL) is destructive (it removes the app and its data), so O(state=absent) needs O(max_devices), as every
    module that sends it does; with O(rollout), the devices that need the command are sent it in waves.
  - Every option is checked before any request; an unknown package (with close names), an unknown version (with
    the versions that exist) and a version that is ambiguous between version name and version code are errors
    raised before anything is written.
author:
  - esper.mdm contributors (@esper-mdm)
extends_documentation_fragment:
  - esper.mdm.connection
  - esper.mdm.targets
  - esper.mdm.rollout
  - esper.mdm.attributes
  - esper.mdm.attributes.idempotent
attributes:
  check_mode:
    support: full
    details:
      - The catalogue and the devices are read as in a real run; nothing is uploaded or sent.
      - When the version would first be uploaded from O(src), its UUID is not known yet, so RV(request) shows
        C(app_version) as null and RV(app.version_id) is null.
  diff_mode:
    support: full
    details:
      - Per device that changes, the installed version before and after (null when the app is absent).
      - With O(force=true) devices are not read, so there is no diff.
  idempotent:
    support: full
    details:
      - A device is compliant when its reported app list (CONTRACT 11.6) holds the package at the version's
        versionCode (or versionName when the device reports no code); with O(state=absent), when it does not list
        the package.
      - A device whose identical request is still open (queued while it is offline) is not sent another one.
options:
  package_name:
    description:
      - The app's Android package name, such as C(com.acme.scanner), matched exactly.
    type: str
    required: true
  version:
    description:
      - The version to install, as people read it, with O(state=present).
      - Either the version name (the Android C(versionName), such as V(1.2.0)) or the version code (the Android
        C(versionCode), such as V(120)). When a value is the name of one version and the code of another, the
        module fails; write V(name:1.2.0) or V(code:120) to say which one is meant.
      - V(latest) means the enabled version with the highest version code, as O(state=latest) does.
      - Required with O(state=present); not allowed with O(state=absent).
      - Esper's catalogue stores the two numbers in inverted fields, depending on the API format (the legacy
        format keeps the version name in C(version_code) and the version code in C(build_number)); the module
        reads whichever format the API answers in, so this option always takes the Android meaning.
    type: str
  src:
    description:
      - A local APK file (on the machine running the module) to upload to the catalogue when O(version) is not
        there yet. When the version is already in the catalogue, nothing is uploaded.
      - O(version) must name the version the APK holds; it is how the module knows, without uploading, whether the
        catalogue already has it.
      - The file must be readable, end in C(.apk), be a zip archive holding C(AndroidManifest.xml), and be at most
        500 MB; anything else is refused before any request.
      - When Esper answers that the version already exists, the version counts as present.
      - Only with O(state=present).
    type: path
  state:
    description:
      - V(present) installs O(version) on every target device that does not run it.
      - V(latest) installs the enabled version with the highest version code on every device that does not run it.
      - V(absent) uninstalls the app from every target device that has it.
    type: str
    choices: [present, latest, absent]
    default: present
notes:
  - Android refuses to downgrade an app; a device running a higher version code than the one requested is sent
    C(INSTALL) (with a warning) and reports the failure; uninstall the app first to downgrade.
  - The upload is a C(multipart/form-data) POST that the C(requests) library builds in memory, so uploading a
    large APK needs about as much free memory as the file's size.
  - The versions a device reports are taken to be the Android versionCode and versionName (how Esper's own
    tooling labels them); the API does not document it.
seealso:
  - module: esper.mdm.esper_app_info
  - module: esper.mdm.esper_command
'''

EXAMPLES = r'''
- name: Upload version 1.3.0 of the scanner app if needed, and install it on one store
  esper.mdm.esper_app:
    package_name: com.acme.scanner
    version: 1.3.0
    src: files/acme-scanner-1.3.0.apk
    groups:
      - Store-001

- name: Keep every kiosk on the newest enabled version of the point-of-sale app
  esper.mdm.esper_app:
    package_name: com.acme.pos
    state: latest
    groups:
      - Store-001
      - Store-002

- name: Install by version code, saying so because the value is also a version name
  esper.mdm.esper_app:
    package_name: com.acme.pos
    version: "code:2"
    devices:
      - kiosk-0001

- name: Remove the signage app from two devices
  esper.mdm.esper_app:
    package_name: com.acme.signage
    state: absent
    max_devices: 2
    devices:
      - kiosk-0001
      - kiosk-0002

- name: Roll the new version out to a store in waves, one canary first, stopping at the first failure
  esper.mdm.esper_app:
    package_name: com.acme.scanner
    version: 1.2.0
    groups:
      - Store-001
    rollout:
      waves: [1, '50%']
      max_fail_percentage: 0
'''

RETURN = r'''
app:
  description: The app and version this run worked with.
  returned: always
  type: dict
  contains:
    id:
      description: The app's catalogue UUID; null when it is not in the catalogue (check mode before an upload, or O(state=absent)).
      type: str
    package_name:
      description: The package name.
      type: str
    application_name:
      description: The app's name in the catalogue.
      type: str
    version_id:
      description: The UUID of the version sent in C(INSTALL); null with O(state=absent) and in check mode before an upload.
      type: str
    version_name:
      description: The version's Android versionName, such as C(1.2.0).
      type: str
    version_code:
      description: The version's Android versionCode, such as C(120), as a string.
      type: str
    uploaded:
      description: Whether this run uploaded O(src) to the catalogue.
      type: bool
  sample:
    id: 7a0c54a4-3e0b-5a43-8a47-9d6f0c3f1a11
    package_name: com.acme.scanner
    application_name: Acme Scanner
    version_id: 0b8d2f7e-6c4a-5e51-9f0e-2a1d3c4b5e6f
    version_name: 1.1.0
    version_code: "110"
    uploaded: false
command_id:
  description: The first command request created, or null when nothing was sent.
  returned: always
  type: str
command_ids:
  description: Every command request created (one per 1000 devices).
  returned: always
  type: list
  elements: str
commands:
  description: Per command sent (or that would be sent in check mode), its request ids, stats and first request body.
  returned: always
  type: list
  elements: dict
request:
  description: The first request body sent, or that would be sent in check mode; null when nothing is sent.
  returned: always
  type: dict
stats:
  description: Device counts per command state (total, queued, initiated, acknowledged, in_progress, scheduled,
    success, failure, timeout, cancelled), summed over the requests.
  returned: always
  type: dict
skipped_devices:
  description: The devices that were not sent a command, and why (already on the version, app not installed,
    an identical request still open, or a platform without the command).
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The device ID.
      type: str
    device_name:
      description: The device name.
      type: str
    reason:
      description: Why nothing was sent, for example C(already runs com.acme.scanner 1.1.0 (versionCode 110)).
      type: str
failed_devices:
  description: The devices whose command failed, timed out or was cancelled, and on a wait time-out those still open.
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The device ID.
      type: str
    device_name:
      description: The device name, when known.
      type: str
    state:
      description: The device's command state, for example C(Command Failure).
      type: str
    reason:
      description: The reason the device gave.
      type: str
    command_id:
      description: The request the state belongs to.
      type: str
timed_out:
  description: Whether O(wait_timeout) passed with devices still open.
  returned: always
  type: bool
waves:
  description:
    - With O(rollout), one entry per wave, in order; the waves sent (and, in check mode, every wave that would be sent).
    - A stopped rollout lists the waves sent up to the one that crossed the budget.
  returned: when O(rollout) is given
  type: list
  elements: dict
  contains:
    wave:
      description: The wave's number, from 1.
      type: int
    device_count:
      description: How many devices the wave holds.
      type: int
    devices:
      description: The ids of the wave's devices, in rollout order.
      type: list
      elements: str
    command_ids:
      description: The command requests sent to the wave.
      type: list
      elements: str
    stats:
      description: The wave's device counts per state, as in RV(stats).
      type: dict
    failed_devices:
      description: The wave's failed devices, as in RV(failed_devices).
      type: list
      elements: dict
    sent:
      description: Whether the wave was sent (false in check mode).
      type: bool
  sample:
    - wave: 1
      device_count: 1
      devices: [6f1c2d3e-0000-4a5b-8c9d-000000000001]
      command_ids: [9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f]
      stats: {total: 1, queued: 0, initiated: 0, acknowledged: 0, in_progress: 0, scheduled: 0, success: 1, failure: 0,
              timeout: 0, cancelled: 0}
      failed_devices: []
      sent: true
unsent_devices:
  description:
    - With O(rollout), the devices that needed the command but were not sent it because the rollout stopped; empty
      when every wave was sent.
  returned: when O(rollout) is given
  type: list
  elements: dict
  contains:
    device:
      description: The device id.
      type: str
    device_name:
      description: The device name, when known.
      type: str
  sample:
    - device: 6f1c2d3e-0000-4a5b-8c9d-000000000042
      device_name: kiosk-0042
'''

from ansible_collections.esper.mdm.plugins.module_utils._apps import (
    INSTALL,
    LATEST,
    PACKAGE_NAME_PATTERN,
    UNINSTALL,
    apk_problems,
    app_summary,
    plan_app,
    read_installed,
    select_app,
    similar_packages,
    version_problems,
)
from ansible_collections.esper.mdm.plugins.module_utils._client import connection_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import (
    CommandPlan,
    plan_for_targets,
    run_command_module,
    supported_devices,
    supported_targets,
)
from ansible_collections.esper.mdm.plugins.module_utils._rollout import rollout_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._targets import (
    device_label,
    resolve_devices,
    resolve_groups,
    target_argument_spec,
    target_devices,
    target_problems,
)

# Threads reading the devices' app lists; unit tests set 1 so the scripted conversation sees a fixed order.
APP_READ_WORKERS = 8


def argument_spec():
    """The module's options: connection, app, and the targets of the esper.mdm.targets fragment."""
    spec = connection_argument_spec()
    spec.update(
        package_name=dict(type='str', required=True),
        version=dict(type='str'),
        src=dict(type='path'),
        state=dict(type='str', default='present', choices=['present', 'latest', 'absent']),
    )
    spec.update(target_argument_spec())
    spec.update(rollout_argument_spec())
    return spec


def input_problems(params):
    """Every problem with the options that can be found without asking Esper."""
    problems = []
    package_name = (params['package_name'] or '').strip()
    state = params['state']
    version = params['version']
    if not PACKAGE_NAME_PATTERN.match(package_name):
        problems.append('package_name must be an Android package name such as com.acme.scanner (letters, digits and '
                        'underscores in two or more dot-separated parts), got %r' % params['package_name'])
    if state == 'absent':
        if version is not None:
            problems.append('version cannot be used with state=absent: UNINSTALL removes the package whatever its version')
        if params['src']:
            problems.append('src cannot be used with state=absent')
    elif state == 'latest':
        if version is not None and version.strip().lower() != LATEST:
            problems.append('version %r cannot be used with state=latest, which installs the enabled version with the '
                            'highest version code; use state=present to install a given version' % version)
        if params['src']:
            problems.append('src needs state=present and the version the APK holds')
    elif version is None:
        problems.append('version is required with state=present: a version name such as 1.2.0, a version code such as 120, '
                        'or latest')
    problems.extend(version_problems(version))
    if params['src']:
        if version is not None and version.strip().lower() == LATEST:
            problems.append('src needs version to name the version the APK holds, not latest')
        problems.extend(apk_problems(params['src']))
    problems.extend(target_problems(params))
    return problems


def plan_module(module, client, outcome):
    """The INSTALL or UNINSTALL plan; outcome['app'] receives the RV(app) summary."""
    params = module.params
    package_name = params['package_name'].strip()
    state = params['state']
    devices = resolve_devices(client, params['devices'])
    groups = resolve_groups(client, params['groups'])
    selection = select_app(client, package_name, state, version=params['version'], src=params['src'], check_mode=module.check_mode)
    version = selection['version']
    outcome['app'] = app_summary(selection['app'], version, selection['uploaded'], package_name)
    if selection['upload_pending']:
        module.warn('check mode: src %s would be uploaded first; its version UUID is not known yet' % params['src'])
    command = UNINSTALL if state == 'absent' else INSTALL
    if params['force']:
        devices, groups, skipped = supported_targets(module, client, command, devices, groups)
        command_args = {'package_name': package_name} if state == 'absent' else {'app_version': version.get('id')}
        plan = plan_for_targets(command, command_args, devices, groups)
        plan.skipped_devices = skipped
        return [plan]
    devices, skipped = supported_devices(module, [command], target_devices(client, devices, groups))
    notes = []
    installed = read_installed(client, devices, package_name, workers=APP_READ_WORKERS, notes=notes)
    for note in notes:
        module.warn(note)
    command, command_args, to_send, more_skipped, diff, newer = plan_app(client, devices, installed, state, package_name, version)
    if newer:
        module.warn('%d device(s) run a higher version code than %s and will refuse the downgrade (uninstall the app '
                    'first): %s' % (len(newer), version.get('version_name'), ', '.join(newer[:10])))
    nobody_has_it = not to_send and all('not installed' in entry['reason'] for entry in more_skipped)
    if state == 'absent' and selection['app'] is None and nobody_has_it:
        similar = similar_packages(client, package_name)
        if similar:
            module.warn('package %s is neither in the app catalogue nor on any target device; similar package names: %s'
                        % (package_name, ', '.join(similar)))
    names = dict((device['id'], device_label(device)) for device in devices)
    return [CommandPlan(command, command_args, [device['id'] for device in to_send], [], command_type='DEVICE',
                        skipped_devices=skipped + more_skipped, diff=diff, device_names=names)]


def commands(params):
    """The command the run may send (UNINSTALL, destructive, needs max_devices before any request)."""
    if params['state'] == 'absent':
        return [(UNINSTALL, {'package_name': (params['package_name'] or '').strip()})]
    return [(INSTALL, {})]


def main():
    outcome = {}

    def report(module, result):
        result['app'] = outcome.get('app')
        if result['app'] and result['app'].get('uploaded'):
            result['changed'] = True  # the catalogue changed even when no device needed the version

    run_command_module(argument_spec(), lambda module, client: plan_module(module, client, outcome),
                       input_problems=input_problems, report=report, commands=commands)


if __name__ == '__main__':
    main()
