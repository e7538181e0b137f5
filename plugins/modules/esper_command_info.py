#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: esper_command_info
short_description: Read Esper command requests, their stats and every device's status
version_added: 0.1.0
description:
  - With O(command_id), returns that command request, its stats and the status of every device it targets.
  - Without O(command_id), lists command requests, optionally filtered by command, devices, groups and schedule.
  - Secret command arguments are masked in everything returned.
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
  command_id:
    description:
      - The id (a UUID) of one command request, as returned by M(esper.mdm.esper_command) in RV(esper.mdm.esper_command#module:command_id).
      - Cannot be combined with the list filters O(command), O(devices), O(groups) and O(schedule).
    type: str
  command:
    description:
      - List only requests of this command.
    type: str
    choices:
      - ADD_TO_WHITELIST
      - ADD_WIFI_AP
      - APPLE_APP_UNINSTALL
      - APPLY_APP_CONFIG
      - BEEP_DEVICE
      - CLEAR_APP_DATA
      - CLEAR_PASSCODE
      - COLLECT_LOGS
      - CONVERGE
      - DEVICE_INFORMATION
      - INSTALL
      - INSTALL_CERTIFICATE
      - INSTALL_PROFILE
      - LIST_INSTALLED_PROFILES
      - LOCK
      - NOTIFY_DEVICE
      - REBOOT
      - REMOVE_FROM_WHITELIST
      - REMOVE_PROFILE
      - REMOVE_WIFI_AP
      - RESET_LOCKSCREEN_PASSWORD
      - RUN_CUSTOM_ACTION
      - RUN_SHELL_SCRIPT
      - SET_APP_NOTIFICATIONS
      - SET_APP_PERMISSION
      - SET_APP_STATE
      - SET_BLUETOOTH_STATE
      - SET_BRIGHTNESS_SCALE
      - SET_DEVICE_LANGUAGE
      - SET_DEVICE_LOCKDOWN_STATE
      - SET_ETHERNET_SETTINGS
      - SET_GPS_STATE
      - SET_KIOSK_APP
      - SET_MULTI_APP_MODE
      - SET_NEW_POLICY
      - SET_ROTATION_STATE
      - SET_SCREEN_OFF_TIMEOUT
      - SET_STATIC_IP
      - SET_STREAM_VOLUME
      - SET_TIMEZONE
      - SET_WIFI_STATE
      - UNINSTALL
      - UNINSTALL_CERTIFICATE
      - UPDATE_BLUEPRINT
      - UPDATE_DEVICE_CONFIG
      - UPDATE_HEARTBEAT
      - UPDATE_LATEST_DPC
      - USE_ONLY_SAVED_WIFI_AP
      - VPP_APP_INSTALL
      - WIPE
  devices:
    description:
      - List only requests that target these devices, each given by its UUID or exact device name.
    type: list
    elements: str
    default: []
  groups:
    description:
      - List only requests that target these groups, each given by its UUID or exact group name.
    type: list
    elements: str
    default: []
  schedule:
    description:
      - List only requests with this schedule.
    type: str
    choices: [IMMEDIATE, WINDOW, RECURRING]
  limit:
    description:
      - The most requests to list, in the order Esper returns them.
    type: int
    default: 50
seealso:
  - module: esper.mdm.esper_command
'''

EXAMPLES = r'''
- name: Reboot a store without waiting
  esper.mdm.esper_command:
    command: REBOOT
    groups:
      - Store-001
    wait: false
  register: reboot

- name: Read how the reboot went, device by device
  esper.mdm.esper_command_info:
    command_id: "{{ reboot.command_id }}"
  register: reboot_report

- name: Show the devices that did not succeed
  ansible.builtin.debug:
    msg: "{{ reboot_report.statuses | rejectattr('state', 'equalto', 'Command Success') | list }}"

- name: List the last ten reboots sent to one device
  esper.mdm.esper_command_info:
    command: REBOOT
    devices:
      - kiosk-0001
    limit: 10
  register: reboots
'''

RETURN = r'''
command:
  description:
    - The command request, with secret arguments masked.
  returned: when O(command_id) is given
  type: dict
  sample:
    id: 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f
    command_type: GROUP
    devices: []
    groups: [0b9a8c7d-1111-4e2f-9a0b-222233334444]
    device_type: all
    command: REBOOT
    command_args: {}
    schedule: IMMEDIATE
    schedule_args: null
    reason: ""
    created_by: "42"
    created_at: "2025-05-01T10:00:00Z"
stats:
  description:
    - How many devices of the request are in each state.
    - The keys are always V(total), V(queued), V(initiated), V(acknowledged), V(in_progress), V(scheduled), V(success),
      V(failure), V(timeout) and V(cancelled); V(total) also counts devices in states this module does not know.
  returned: when O(command_id) is given
  type: dict
  sample:
    total: 14
    queued: 1
    initiated: 0
    acknowledged: 0
    in_progress: 0
    scheduled: 0
    success: 12
    failure: 1
    timeout: 0
    cancelled: 0
statuses:
  description:
    - The status of every device of the request (all pages), as Esper reports it.
  returned: when O(command_id) is given
  type: list
  elements: dict
  contains:
    id:
      description: The status id.
      type: str
    request:
      description: The command request id.
      type: str
    device:
      description: The device id.
      type: str
    state:
      description: The device's state, such as V(Command Success) or V(Command Queued).
      type: str
    reason:
      description: Esper's explanation of the state.
      type: str
    created_at:
      description: When the status was created.
      type: str
    updated_at:
      description: When the status last changed.
      type: str
  sample:
    - id: 1c2b3a49-aaaa-4bbb-8ccc-ddddeeeeffff
      request: 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f
      device: 6f1c2d3e-0000-4a5b-8c9d-000000000001
      state: Command Success
      reason: Rebooted
      created_at: "2025-05-01T10:00:01Z"
      updated_at: "2025-05-01T10:00:09Z"
commands:
  description:
    - The command requests found, at most O(limit), with secret arguments masked.
  returned: when O(command_id) is not given
  type: list
  elements: dict
  sample:
    - id: 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f
      command_type: DEVICE
      devices: [6f1c2d3e-0000-4a5b-8c9d-000000000001]
      groups: []
      device_type: all
      command: REBOOT
      command_args: {}
      schedule: IMMEDIATE
      schedule_args: null
      reason: ""
      created_by: "42"
      created_at: "2025-05-01T10:00:00Z"
'''

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import COMMAND_NAMES
from ansible_collections.esper.mdm.plugins.module_utils._client import (
    EsperApiError,
    EsperNotFoundError,
    client_from_module,
    connection_argument_spec,
)
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import EsperModule, secret_keys_for
from ansible_collections.esper.mdm.plugins.module_utils._masking import mask_secrets
from ansible_collections.esper.mdm.plugins.module_utils._submission import COMMANDS_PATH, STATUS_PATH, read_stats
from ansible_collections.esper.mdm.plugins.module_utils._targets import TargetError, is_uuid, reference_problems, resolve_devices, resolve_groups


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        command_id=dict(type='str'),
        command=dict(type='str', choices=COMMAND_NAMES),
        devices=dict(type='list', elements='str', default=[]),
        groups=dict(type='list', elements='str', default=[]),
        schedule=dict(type='str', choices=['IMMEDIATE', 'WINDOW', 'RECURRING']),
        limit=dict(type='int', default=50),
    )
    return spec


def masked_request(request):
    """A CommandRequest with the secret arguments of its command masked."""
    if not isinstance(request, dict):
        return request
    return mask_secrets(request, secret_keys_for(request.get('command')))


def describe_one(client, command_id):
    """The request, its normalised stats and every device status."""
    request = client.get(COMMANDS_PATH + '%s/' % command_id)
    return {
        'command': masked_request(request),
        'stats': read_stats(client, command_id),
        'statuses': client.paginate(STATUS_PATH, params={'request': command_id}),
    }


def list_requests(client, params):
    """The requests matching the filters, at most params['limit']."""
    query = {}
    if params['command']:
        query['command'] = params['command']
    if params['schedule']:
        query['schedule'] = params['schedule']
    devices = resolve_devices(client, params['devices'])
    if devices:
        query['devices'] = ','.join(device['id'] for device in devices)
    groups = resolve_groups(client, params['groups'])
    if groups:
        query['groups'] = ','.join(group['id'] for group in groups)
    requests = client.paginate(COMMANDS_PATH, params=query, limit=params['limit'])
    return {'commands': [masked_request(request) for request in requests]}


def main():
    module = EsperModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    command_id = params['command_id']
    problems = []
    if command_id is not None:
        if not is_uuid(command_id):
            problems.append('command_id must be a command request UUID such as 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f, got %r'
                            % command_id)
        used = [name for name in ('command', 'devices', 'groups', 'schedule') if params[name]]
        if used:
            problems.append('command_id cannot be combined with the list filters %s' % ', '.join(used))
    if params['limit'] < 1:
        problems.append('limit must be 1 or more, got %d' % params['limit'])
    problems.extend(reference_problems('devices', params['devices']))
    problems.extend(reference_problems('groups', params['groups']))
    if problems:
        module.fail_json(msg='; '.join(problems), problems=problems)

    client = client_from_module(module)
    try:
        if command_id is not None:
            result = describe_one(client, command_id)
        else:
            result = list_requests(client, params)
    except EsperNotFoundError as error:
        module.fail_json(msg='command request %s not found: %s' % (command_id, error) if command_id else str(error))
    except TargetError as error:
        module.fail_json(msg=str(error), problems=error.problems)
    except EsperApiError as error:
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
