#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: esper_wifi
short_description: Manage Wi-Fi access points, the Wi-Fi radio and the saved-networks lock on Esper devices
version_added: 0.1.0
description:
  - Adds or removes Wi-Fi access points (C(ADD_WIFI_AP), C(REMOVE_WIFI_AP)), turns Wi-Fi on or off
    (C(SET_WIFI_STATE)) and restricts devices to their saved networks (C(USE_ONLY_SAVED_WIFI_AP)),
    as desired state on devices and groups.
  - Every option is validated before anything is sent.
  - Each command goes only to the devices that need it; when no device needs anything, nothing is sent
    and the module reports no change.
  - One call can send up to three kinds of command. They are created in this order, access points first, then
    the radio, then the lock, so that a device is never locked to its saved networks before the new ones were sent.
  - Unless O(force=true), groups are expanded to their devices, and the commands target those devices.
  - A setting whose identical command is still open for a device (queued while it is offline) is not sent again.
  - Devices of platforms the Wi-Fi commands do not support (they are Android only) are never sent them, even inside a
    target group; they are listed in RV(skipped_devices) with a warning.
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
      - Devices are read as in a real run; nothing is sent, and RV(request) and RV(commands) show what would be sent.
  diff_mode:
    support: full
    details:
      - Per device, the SSIDs before and after, and the C(wifi_state) and C(use_only_saved_ap) values before and after,
        for the devices that change.
      - With O(force=true) devices are not read, so there is no diff.
  idempotent:
    support: full
    details:
      - O(enabled) and O(only_saved_networks) are compared with each device's reported C(wifi_state) and
        C(use_only_saved_ap).
      - Passwords cannot be read back from a device. With O(state=present), an access point is skipped on a device
        when the device's latest C(ADD_WIFI_AP) for that SSID carried exactly the same settings (password included)
        and either succeeded while the device lists the SSID, or is still pending. An SSID that a device lists
        without such a command in the history (added by hand, or with other settings) is sent once, so the first
        run may report a change and later runs converge.
      - With O(state=absent), an SSID is removed only from devices that list it.
options:
  access_points:
    description:
      - The Wi-Fi access points to add (O(state=present)) or remove (O(state=absent)).
      - Each SSID may appear once. With O(state=absent) only O(access_points[].ssid) is used.
    type: list
    elements: dict
    suboptions:
      ssid:
        description:
          - The network name, 1 to 32 bytes in UTF-8.
        type: str
        required: true
      security:
        description:
          - The network's security type.
          - V(WPA), V(WPA2) and V(WPA3) need a O(access_points[].password) of 8 to 63 characters.
          - V(WEP) needs a key of 5 or 13 characters, or of 10 or 26 hexadecimal digits.
          - V(NONE) (an open network) takes no password.
          - V(EAP) needs O(access_points[].eap_method) and O(access_points[].identity).
          - V(WPA3) is sent to Esper as C(SAE), every other choice as given; see the notes.
        type: str
        choices: [NONE, WEP, WPA, WPA2, WPA3, EAP]
        default: WPA2
      password:
        description:
          - The network password (the WEP key for V(WEP), the EAP password for V(EAP)).
          - It is never shown in results, diffs, warnings or errors; requests show it masked.
        type: str
      hidden:
        description:
          - Whether the network does not broadcast its SSID.
        type: bool
        default: false
      eap_method:
        description:
          - The EAP method. Only for O(access_points[].security=EAP), where it is required.
        type: str
        choices: [PEAP, TLS, TTLS, PWD, SIM, AKA, AKA_PRIME]
      phase2_auth:
        description:
          - The Phase-2 authentication method. Only for O(access_points[].security=EAP).
        type: str
        choices: [NONE, PAP, MSCHAP, MSCHAPV2, GTC, SIM, AKA, AKA_PRIME]
      identity:
        description:
          - The EAP identity. Only for O(access_points[].security=EAP), where it is required.
        type: str
      anonymous_identity:
        description:
          - The EAP anonymous (outer) identity. Only for O(access_points[].security=EAP).
        type: str
      domain:
        description:
          - The domain the EAP server certificate must match. Only for O(access_points[].security=EAP).
        type: str
  state:
    description:
      - Whether the O(access_points) should be configured on the devices (V(present)) or not (V(absent)).
      - Does not affect O(enabled) and O(only_saved_networks).
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description:
      - Turn Wi-Fi on (V(true)) or off (V(false)) with C(SET_WIFI_STATE), on the devices whose C(wifi_state) differs.
      - Not changed when omitted.
      - Esper turns Wi-Fi back on after about 10 seconds when a device has no other connection.
    type: bool
  only_saved_networks:
    description:
      - Allow only the saved access points (V(true)), or any network (V(false)), with C(USE_ONLY_SAVED_WIFI_AP),
        on the devices whose C(use_only_saved_ap) differs.
      - Not changed when omitted.
      - V(true) together with O(enabled=false) is allowed but warned about, since it can leave a device unreachable.
    type: bool
notes:
  - At least one of O(access_points), O(enabled) and O(only_saved_networks) is required.
  - Esper has not published the inner format of C(wifi_access_points). This module sends, for C(ADD_WIFI_AP), a list of
    objects with C(wifi_ssid), C(wifi_security_type), C(wifi_password) (when a password is given), C(hidden) and, for EAP,
    C(wifi_eap_method), C(wifi_phase2_auth), C(identity), C(anonymous_identity) and C(domain); and for C(REMOVE_WIFI_AP)
    a list of SSID strings, which is what Esper's own tools send.
  - Which security type spellings Esper accepts is not documented. V(WPA3) is sent as C(SAE), the name Esper's Wi-Fi
    settings use for WPA3-Personal; the other choices are sent as given.
  - A device lists an SSID when its device detail (C(?show_policy=true)) names it in C(wifi_access_points)
    (or C(network.wifi_access_points)).
  - The commands are created one after the other; Esper delivers them to each device separately, so the order is the
    order in which they are queued, not a guarantee that one has finished before the next starts.
seealso:
  - module: esper.mdm.esper_command
    description: Send any Esper command, including the Wi-Fi commands with raw arguments.
'''

EXAMPLES = r'''
- name: Add the store network to every device of two groups and wait for the result
  esper.mdm.esper_wifi:
    groups:
      - Store-017
      - Store-018
    access_points:
      - ssid: Store-WiFi
        security: WPA2
        password: "{{ store_wifi_password }}"

- name: Add an enterprise (EAP) network and a hidden WPA3 network to one device
  esper.mdm.esper_wifi:
    devices:
      - kiosk-017-01
    access_points:
      - ssid: Corp-EAP
        security: EAP
        eap_method: PEAP
        phase2_auth: MSCHAPV2
        identity: kiosk01
        password: "{{ corp_eap_password }}"
        domain: radius.example.com
      - ssid: Backoffice
        security: WPA3
        password: "{{ backoffice_password }}"
        hidden: true

- name: Remove the guest network
  esper.mdm.esper_wifi:
    groups:
      - Store-017
    access_points:
      - ssid: Guest-WiFi
    state: absent

- name: Turn Wi-Fi on and allow only the saved networks
  esper.mdm.esper_wifi:
    groups:
      - Store-017
    enabled: true
    only_saved_networks: true

- name: Preview what would change, without sending anything
  esper.mdm.esper_wifi:
    groups:
      - Store-017
    access_points:
      - ssid: Store-WiFi
        password: "{{ store_wifi_password }}"
  check_mode: true
  diff: true
'''

RETURN = r'''
changed:
  description: Whether any command was sent (or, in check mode, would be sent).
  returned: always
  type: bool
command_id:
  description: The ID of the first command request created; null when nothing was sent.
  returned: always
  type: str
  sample: 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f
command_ids:
  description: The IDs of every command request created, in the order they were created.
  returned: always
  type: list
  elements: str
commands:
  description:
    - One entry per command sent (or, in check mode, that would be sent), in the order they were created.
    - C(ADD_WIFI_AP) and C(REMOVE_WIFI_AP) appear once for each distinct set of access points that devices need.
  returned: always
  type: list
  elements: dict
  contains:
    command:
      description: The command name, for example C(ADD_WIFI_AP).
      type: str
    command_id:
      description: The ID of the first request of this command; null in check mode.
      type: str
    command_ids:
      description: The IDs of every request of this command (more than one above 1000 devices).
      type: list
      elements: str
    stats:
      description: How many of this command's devices are in each state.
      type: dict
    request:
      description: The first request body of this command, with every password masked.
      type: dict
request:
  description: The first request body sent (or that would be sent), with every password masked; null when nothing is sent.
  returned: always
  type: dict
  sample:
    command_type: DEVICE
    devices:
      - 6f1c2d3e-0000-4a5b-8c9d-000000000001
    device_type: all
    command: ADD_WIFI_AP
    command_args:
      wifi_access_points:
        - wifi_ssid: Store-WiFi
          wifi_security_type: WPA2
          wifi_password: "********"
          hidden: false
    schedule: IMMEDIATE
stats:
  description: How many devices are in each state, summed over every command sent.
  returned: always
  type: dict
  contains:
    total:
      description: Devices counted.
      type: int
    queued:
      description: Devices in C(Command Queued).
      type: int
    initiated:
      description: Devices in C(Command Initiated).
      type: int
    acknowledged:
      description: Devices in C(Command Acknowledged).
      type: int
    in_progress:
      description: Devices in C(Command In Progress).
      type: int
    scheduled:
      description: Devices in C(Command Scheduled).
      type: int
    success:
      description: Devices in C(Command Success).
      type: int
    failure:
      description: Devices in C(Command Failure).
      type: int
    timeout:
      description: Devices in C(Command TimeOut).
      type: int
    cancelled:
      description: Devices in C(Command Cancelled).
      type: int
skipped_devices:
  description:
    - The devices a command was not sent to because they are already in the desired state, one entry per device and
      command.
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
      description: Why nothing was sent, for example C(Store-WiFi is configured with the same settings) or C(already wifi_state=true).
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

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import COMMANDS
from ansible_collections.esper.mdm.plugins.module_utils._client import connection_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import (
    CommandPlan,
    plan_for_targets,
    run_command_module,
    supported_devices,
    supported_targets,
)
from ansible_collections.esper.mdm.plugins.module_utils._device_state import plan_state_command, read_devicestates
from ansible_collections.esper.mdm.plugins.module_utils._targets import (
    device_label,
    resolve_devices,
    resolve_groups,
    target_argument_spec,
    target_devices,
    target_problems,
)
from ansible_collections.esper.mdm.plugins.module_utils._rollout import rollout_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._wifi import (
    ADD_COMMAND,
    LOCK_COMMAND,
    RADIO_COMMAND,
    REMOVE_COMMAND,
    access_point_option_spec,
    add_command_args,
    build_diff,
    group_devices_by_ssids,
    plan_access_points,
    read_add_history,
    read_configured_ssids,
    remove_command_args,
    stranding_warning,
    validate_wifi_request,
    wire_access_point,
)

# Threads reading each device's detail and devicestate; unit tests set 1 so the scripted conversation sees a fixed order.
STATE_READ_WORKERS = 8


def argument_spec():
    """The module's options: connection, Wi-Fi, and the targets of the esper.mdm.targets fragment."""
    spec = connection_argument_spec()
    spec.update(
        access_points=dict(type='list', elements='dict', options=access_point_option_spec()),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        enabled=dict(type='bool'),
        only_saved_networks=dict(type='bool'),
    )
    spec.update(target_argument_spec())
    spec.update(rollout_argument_spec())
    return spec


def _settings(params):
    """(command, command_args) for each setting given, radio before lock."""
    settings = []
    if params['enabled'] is not None:
        settings.append((RADIO_COMMAND, {'wifi_state': params['enabled']}))
    if params['only_saved_networks'] is not None:
        settings.append((LOCK_COMMAND, {'use_only_saved_ap': params['only_saved_networks']}))
    return settings


def _access_point_command(params, ssids, wire_by_ssid):
    if params['state'] == 'present':
        return ADD_COMMAND, add_command_args([wire_by_ssid[ssid] for ssid in ssids])
    return REMOVE_COMMAND, remove_command_args(ssids)


def forced_plans(params, devices, groups):
    """Every command to every target as given (force=true): no reads, so no skips and no diff."""
    commands = []
    access_points = params['access_points'] or []
    if access_points:
        wire_by_ssid = dict((ap['ssid'], wire_access_point(ap)) for ap in access_points)
        commands.append(_access_point_command(params, [ap['ssid'] for ap in access_points], wire_by_ssid))
    commands.extend(_settings(params))
    return [plan_for_targets(command, command_args, devices, groups) for command, command_args in commands]


def desired_state_plans(module, client, params, devices):
    """The commands each device needs, read from its listed SSIDs, ADD_WIFI_AP history and devicestate.

    Order matters: access points first, then the radio, then the lock, because locking a device to its saved
    networks before the new access point is queued could leave it with no network it may join.
    """
    names = dict((device['id'], device_label(device)) for device in devices)
    device_ids = [device['id'] for device in devices]
    plans = []
    access_point_plan = None
    access_points = params['access_points'] or []
    if access_points:
        wire_by_ssid = dict((ap['ssid'], wire_access_point(ap)) for ap in access_points)
        configured = read_configured_ssids(client, device_ids, workers=STATE_READ_WORKERS)
        history = {}
        if params['state'] == 'present':
            history = read_add_history(client, [ap['ssid'] for ap in access_points], device_ids)
        access_point_plan = plan_access_points(access_points, params['state'], devices, configured, history)
        batches = group_devices_by_ssids(access_point_plan['send'])
        skipped = access_point_plan['skipped_devices']
        if not batches:
            # A plan with no targets sends nothing but still reports the skipped devices.
            command = ADD_COMMAND if params['state'] == 'present' else REMOVE_COMMAND
            plans.append(CommandPlan(command, {}, [], [], skipped_devices=skipped))
        for index, (ssids, batch_ids) in enumerate(batches):
            command, command_args = _access_point_command(params, ssids, wire_by_ssid)
            plans.append(CommandPlan(command, command_args, batch_ids, [], command_type='DEVICE',
                                     skipped_devices=skipped if index == 0 else [], device_names=names))
    setting_diffs = []
    notes = []
    settings = _settings(params)
    states = None
    if any(COMMANDS[command].state.source == 'devicestate' for command, dummy in settings):
        # One devicestate read per device serves both the radio and the lock.
        states = read_devicestates(client, devices, workers=STATE_READ_WORKERS, notes=notes)
    for command, command_args in settings:
        to_send, skipped, before, after = plan_state_command(client, devices, COMMANDS[command].state, command_args,
                                                             workers=STATE_READ_WORKERS, notes=notes, states=states)
        setting_diffs.append((before, after))
        plans.append(CommandPlan(command, command_args, [device['id'] for device in to_send], [], command_type='DEVICE',
                                 skipped_devices=skipped, device_names=names))
    for note in notes:
        module.warn(note)
    if plans:
        # run_plans merges plan diffs device by device with dict.update, so the whole diff rides on one plan.
        plans[0].diff = build_diff(devices, access_point_plan, setting_diffs)
    return plans


def input_problems(params):
    """Every problem with the options that can be found without asking Esper (never naming a password)."""
    problems = validate_wifi_request(params['access_points'], params['state'], params['enabled'],
                                     params['only_saved_networks'])
    problems.extend(target_problems(params))
    return problems


def wifi_commands(params):
    """The commands this run may send, in the order they are sent."""
    commands = []
    if params['access_points']:
        commands.append(ADD_COMMAND if params['state'] == 'present' else REMOVE_COMMAND)
    commands.extend(command for command, dummy in _settings(params))
    return commands


def plan_wifi(module, client):
    """The commands to send: every one to every target with force, else what each device needs.

    Devices of a platform a Wi-Fi command does not support are never sent it (skipped, with a warning).
    """
    params = module.params
    warning = stranding_warning(params['enabled'], params['only_saved_networks'])
    if warning:
        module.warn(warning)
    devices = resolve_devices(client, params['devices'])
    groups = resolve_groups(client, params['groups'])
    commands = wifi_commands(params)
    if params['force']:
        # Every Wi-Fi command runs on the same platforms (a unit test checks it), so one check serves them all.
        devices, groups, skipped = supported_targets(module, client, commands[0], devices, groups)
        plans = forced_plans(params, devices, groups)
    else:
        devices, skipped = supported_devices(module, commands, target_devices(client, devices, groups))
        plans = desired_state_plans(module, client, params, devices)
    plans[0].skipped_devices = skipped + plans[0].skipped_devices
    return plans


def main():
    run_command_module(argument_spec(), plan_wifi, input_problems=input_problems)


if __name__ == '__main__':
    main()
