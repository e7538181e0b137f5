#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: esper_device_info
short_description: List Esper devices of every platform, with the same details as the esper.mdm.esper inventory
version_added: 0.1.0
description:
  - Lists the devices of the enterprise (Android, iOS, Windows and Linux) that pass every filter given, reading
    every page of the Esper device listing (pages of 1000).
  - Each device has the keys of the host variables of the P(esper.mdm.esper#inventory) inventory plugin, without
    their C(esper_) prefix.
  - The filters O(groups), O(states), O(platforms), O(tags), O(search) and O(serial) are sent to the API.
    O(states) with several states costs one listing per state.
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
  devices:
    description:
      - Only these devices, each given by its UUID, exact device name or alias. An unknown or ambiguous name is
        an error that lists similar names.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Only devices of these groups, subgroups included. Each is a group UUID, name or path
        (V(All devices/Retail/Store-017)); a name shared by several groups is an error that lists their paths.
    type: list
    elements: str
    default: []
  states:
    description:
      - Only devices in one of these states, by name (V(online), V(offline), V(disabled), V(registered), ...,
        also V(active) and V(inactive)) or by code (V(1), V(60)).
    type: list
    elements: str
    default: []
  platforms:
    description:
      - Only devices of these platforms, V(ANDROID), V(APPLE), V(WINDOWS) or V(LINUX), in any case.
    type: list
    elements: str
    default: []
  tags:
    description:
      - Only devices that carry at least one of these tags, each a tag UUID or a tag name.
    type: list
    elements: str
    default: []
  search:
    description:
      - Only devices that the API's C(search) filter matches (name, serial, IMEI, model, Wi-Fi SSID, MAC and more).
    type: str
  serial:
    description:
      - Only the device with this serial number.
    type: str
  android_details:
    description:
      - Also read the legacy Android device records, for the exact RV(devices[].api_level) and RV(devices[].timezone)
        of Android devices. One listing (or one request per Android device, up to 20).
    type: bool
    default: false
  devicestate:
    description:
      - Also read each device's current settings (Wi-Fi, Bluetooth, brightness, rotation, GPS, ...), one request per
        device, several at a time, into RV(devices[].devicestate).
    type: bool
    default: false
seealso:
  - plugin: esper.mdm.esper
    plugin_type: inventory
  - module: esper.mdm.esper_group_info
'''

EXAMPLES = r'''
- name: List the online Android devices of a store
  esper.mdm.esper_device_info:
    groups:
      - Store-001
    states: [online]
    platforms: [android]
  register: store

- name: Show their names and OS versions
  ansible.builtin.debug:
    msg: "{{ store.devices | map(attribute='name') | zip(store.devices | map(attribute='os_version')) | list }}"

- name: Read two devices and their current settings
  esper.mdm.esper_device_info:
    devices:
      - kiosk-0001
      - 6f1c2d3e-0000-4a5b-8c9d-000000000002
    devicestate: true
  register: two

- name: Devices in a state the Esper state table does not list
  ansible.builtin.debug:
    msg: "{{ two.devices | selectattr('state', 'equalto', 'unknown') | list }}"
'''

RETURN = r'''
devices:
  description:
    - The devices that pass every filter, in the order the API lists them.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The device UUID.
      type: str
    name:
      description: The Esper device name.
      type: str
    alias:
      description: The alias, or null.
      type: str
    serial:
      description: The serial number, or null.
      type: str
    imei:
      description: The first IMEI, or null.
      type: str
    platform:
      description: V(ANDROID), V(APPLE), V(WINDOWS) or V(LINUX) (null when the API gives none).
      type: str
    os:
      description: The operating system as the API names it (V(Android), V(iOS), V(iPadOS), ...).
      type: str
    os_version:
      description: The OS version.
      type: str
    api_level:
      description:
        - The Android API level; with O(android_details=false) it comes from the Android version. Null for other platforms.
      type: int
    model:
      description: The hardware model, or null.
      type: str
    state:
      description:
        - The state name, such as V(online), V(offline) or V(registered); V(unknown) for a code the Esper state table does not list.
      type: str
    state_code:
      description: The state code as the API gives it (null when it gives none).
      type: int
    group_id:
      description: The UUID of the device's group, or null.
      type: str
    group_name:
      description: The name of the device's group, or null.
      type: str
    group_path:
      description: The path of the device's group, such as V(All devices/Retail/Store-017), or null.
      type: str
    tags:
      description: The device's tags, by name where the tag listing gives it, else by id.
      type: list
      elements: str
    tag_ids:
      description: The device's tags as the API gives them (tag UUIDs).
      type: list
      elements: str
    timezone:
      description: The device's time zone (Android with O(android_details=true)), or null.
      type: str
    last_seen:
      description: When the device was last seen, as the API gives it, or null.
      type: str
    devicestate:
      description:
        - The device's current settings (null when the API has none for the device).
      returned: when O(devicestate=true)
      type: dict
  sample:
    - id: 6f1c2d3e-0000-4a5b-8c9d-000000000001
      name: kiosk-0001
      alias: Kiosk 1
      serial: ESPR00000001
      imei: "350000000000001"
      platform: ANDROID
      os: Android
      os_version: "9"
      api_level: 28
      model: Kiosk-10
      state: online
      state_code: 1
      group_id: 0b9a8c7d-1111-4e2f-9a0b-222233334444
      group_name: Store-001
      group_path: All devices/Store-001
      tags: [pilot]
      tag_ids: [3c4d5e6f-0000-4000-8000-000000000001]
      timezone: null
      last_seen: "2024-01-10T08:01:00Z"
notes:
  description: One sentence per device whose current settings could not be read.
  returned: when O(devicestate=true) and a device has no settings
  type: list
  elements: str
'''

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperApiError, client_from_module, connection_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import EsperModule
from ansible_collections.esper.mdm.plugins.module_utils._device_state import read_devicestates
from ansible_collections.esper.mdm.plugins.module_utils._inventory import (
    empty_reference_problems,
    parse_platforms,
    parse_states,
    read_fleet,
)
from ansible_collections.esper.mdm.plugins.module_utils._targets import TargetError, reference_problems

# Devices whose settings are read at the same time (devicestate: true); unit tests set 1 for a fixed order.
DEVICESTATE_WORKERS = 8


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        devices=dict(type='list', elements='str', default=[]),
        groups=dict(type='list', elements='str', default=[]),
        states=dict(type='list', elements='str', default=[]),
        platforms=dict(type='list', elements='str', default=[]),
        tags=dict(type='list', elements='str', default=[]),
        search=dict(type='str'),
        serial=dict(type='str'),
        android_details=dict(type='bool', default=False),
        devicestate=dict(type='bool', default=False),
    )
    return spec


def input_problems(params):
    """(states, platforms, problems) found before any request."""
    states, problems = parse_states(params['states'])
    platforms, platform_problems = parse_platforms(params['platforms'])
    problems.extend(platform_problems)
    problems.extend(reference_problems('devices', params['devices']))
    problems.extend(empty_reference_problems('groups', params['groups']))
    problems.extend(empty_reference_problems('tags', params['tags']))
    return states, platforms, problems


def main():
    module = EsperModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    states, platforms, problems = input_problems(params)
    if problems:
        module.fail_json(msg='; '.join(problems), problems=problems)
    client = client_from_module(module)
    result = {}
    try:
        devices, dummy, dummy = read_fleet(
            client, device_groups=params['groups'], states=states, platforms=platforms, tags=params['tags'],
            search=params['search'], serial=params['serial'], devices=params['devices'],
            android_details=params['android_details'], group_option='groups')
        if params['devicestate']:
            notes = []
            settings = read_devicestates(client, [device['id'] for device in devices], workers=DEVICESTATE_WORKERS, notes=notes)
            for device in devices:
                device['devicestate'] = settings.get(device['id'])
            if notes:
                result['notes'] = notes
    except TargetError as error:
        module.fail_json(msg='; '.join(error.problems), problems=error.problems)
    except EsperApiError as error:
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, devices=devices, **result)


if __name__ == '__main__':
    main()
