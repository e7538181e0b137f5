#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: esper_command
short_description: Send an Esper command to devices or groups and wait for the outcome
version_added: 0.1.0
description:
  - Sends one of the 50 commands of Esper's Command Request API to devices, device groups or both, now or
    on a schedule, and by default waits until every device reports its outcome.
  - Everything is checked before anything is sent; the command, its O(command_args), the schedule, the targets
    and O(command_type). Every problem is reported in one error.
  - For the state commands V(SET_WIFI_STATE), V(SET_BLUETOOTH_STATE), V(SET_BRIGHTNESS_SCALE), V(SET_SCREEN_OFF_TIMEOUT),
    V(SET_ROTATION_STATE), V(SET_GPS_STATE), V(USE_ONLY_SAVED_WIFI_AP) and V(SET_TIMEZONE), the module reads each
    target device's current value first (groups are expanded to their devices) and sends the command only to the
    devices that differ, as one device request. When none differ, nothing is sent and the result is unchanged.
    Sending a state a device is already in can make the command fail on the device, so this check also avoids
    needless failures. O(force=true) skips the check.
  - A device whose newest open request of the same state command (queued, for example because the device is offline)
    has the same arguments is not sent it again; RV(skipped_devices) names that request.
  - A device of a platform the command does not support (for example a Linux device for V(REBOOT), or an iOS device
    for V(SET_BRIGHTNESS_SCALE)) is never sent it, even when it is in a target group; the group is then sent as its
    other devices, and the device is listed in RV(skipped_devices) with a warning. Naming only such devices is an
    error before anything is sent.
  - Every other command is an action (reboot, lock, install, ...). It is sent every time and reports a change,
    unless O(once=true) finds that the devices already ran it.
  - Requests with more than 1000 devices or 500 groups are split into several requests; RV(command_ids) lists them all.
  - A command request whose HTTP response is lost is never sent twice; the request it created is found and used.
  - O(rollout) sends the command in waves of devices with one failure budget, and O(max_devices) caps how many devices
    the task may reach. Destructive commands (V(WIPE) and the others listed under O(max_devices)) need O(max_devices).
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
      - Nothing is sent. State commands still read each device's current value, so C(changed) and
        RV(request) show exactly what would be sent.
      - With O(rollout), RV(waves) lists the waves that would be sent.
  diff_mode:
    support: full
    details:
      - For state commands, the diff shows each device that would change, with its current value before and the
        desired value after.
      - For actions, the diff shows the command, its arguments (secrets masked) and the targets it is sent to.
      - With O(rollout), a second diff lists the devices of each wave.
  idempotent:
    support: partial
    details:
      - State commands (V(SET_WIFI_STATE), V(SET_BLUETOOTH_STATE), V(SET_BRIGHTNESS_SCALE), V(SET_SCREEN_OFF_TIMEOUT),
        V(SET_ROTATION_STATE), V(SET_GPS_STATE), V(USE_ONLY_SAVED_WIFI_AP), V(SET_TIMEZONE)) are idempotent unless
        O(force=true) is set; devices already in the desired state are skipped.
      - Actions (all other commands) are not idempotent; they are sent and report a change on every run.
        With O(once=true) they are sent only to devices that have not already completed, or are not still running,
        an identical request.
options:
  command:
    description:
      - The command to send.
      - O(command_args) lists the arguments each command takes.
      - Esper runs scheduled (V(WINDOW), V(RECURRING)) commands only on Android, so commands for iOS, Windows or Linux
        only cannot be scheduled.
    type: str
    required: true
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
  command_args:
    description:
      - The arguments of O(command), checked against Esper's command catalogue before anything is sent.
        Missing, unknown and out-of-range arguments are errors.
      - Values that Esper wants as strings are converted, so V(duration), V(subnet_mask) and V(dhcp_enabled) can be
        given as numbers or booleans; whole numbers given as strings are accepted where integers are expected.
      - Secret arguments (V(new_lockscreen_password), V(cert_data_base64), V(cert_password), and V(wifi_password) or
        V(certificate_file_password) inside access points) are masked in every result, warning and error, and
        removed from Ansible's output. Quote numeric secrets in YAML.
      - "ADD_TO_WHITELIST, REMOVE_FROM_WHITELIST, CLEAR_APP_DATA, UNINSTALL, SET_KIOSK_APP: V(package_name) (required)."
      - "ADD_WIFI_AP, REMOVE_WIFI_AP: V(wifi_access_points) (required), a list of access points (dicts with V(wifi_ssid),
        and for ADD_WIFI_AP V(wifi_password), V(wifi_security_type), V(hidden) and the EAP keys) or of SSID strings.
        The M(esper.mdm.esper_wifi) module manages access points as desired state."
      - "APPLY_APP_CONFIG, RUN_CUSTOM_ACTION: any dict, sent as given (Esper does not document these arguments)."
      - "BEEP_DEVICE: V(duration) (required), whole seconds from 10 to 300, sent as a string."
      - "CONVERGE: V(is_converge) (optional boolean)."
      - "INSTALL: V(app_version) (required), the UUID of an app version uploaded to Esper."
      - "INSTALL_CERTIFICATE: V(cert_data_base64) (required, secret), V(cert_alias_name) (required), V(cert_password)
        (optional, secret), V(cert_file_type) (V(pkcs12), the default), V(cert_storage_type) (V(system), the default).
        Android 9 or later. The M(esper.mdm.esper_certificate) module manages certificates as desired state."
      - "UNINSTALL_CERTIFICATE: V(cert_alias_name) (required), V(cert_storage_type) (V(system), the default)."
      - "INSTALL_PROFILE: V(profile) (required, base64 of a profile). REMOVE_PROFILE: V(profile_identifier) (required).
        LIST_INSTALLED_PROFILES: V(managed_only) (optional boolean). iOS only."
      - "VPP_APP_INSTALL, APPLE_APP_UNINSTALL: V(app_id) and V(bundle_identifier) (both required). iOS only."
      - "NOTIFY_DEVICE: V(title) and V(message) (required), V(url) (optional)."
      - "RESET_LOCKSCREEN_PASSWORD: V(new_lockscreen_password) (required, secret)."
      - "RUN_SHELL_SCRIPT: V(script) and V(interpreter) (required; V(bash), V(zsh), V(sh) or V(powershell)),
        V(execute_as) (optional). Linux and Windows only."
      - "SET_APP_NOTIFICATIONS: V(package_name) and V(app_notifications_state) (V(ENABLED) or V(DISABLED)), both required."
      - "SET_APP_PERMISSION: V(package_name), V(permission) and V(grant_state) (V(PERMISSION_GRANT_STATE_DEFAULT),
        V(PERMISSION_GRANT_STATE_DENIED) or V(PERMISSION_GRANT_STATE_GRANTED)), all required."
      - "SET_APP_STATE: V(package_name) and V(app_state) (V(SHOW), V(HIDE), V(DISABLE) or V(LAUNCHABLE_BUT_HIDDEN)), both required."
      - "SET_BLUETOOTH_STATE: V(bluetooth_state) (required boolean)."
      - "SET_BRIGHTNESS_SCALE: V(brightness_value) (required), 1 to 100."
      - "SET_DEVICE_LANGUAGE: V(locale) (required), such as V(en_US) or V(zh_Hans_CN)."
      - "SET_DEVICE_LOCKDOWN_STATE: V(state) (V(LOCKED) or V(UNLOCKED)) and V(message), both required."
      - "SET_ETHERNET_SETTINGS: V(ethernet_auth_mode) (required, V(NONE) or V(EAP_TLS)); V(ethernet_ca_cert_alias) and
        V(ethernet_client_cert_alias) (required with V(EAP_TLS)); V(ethernet_eap_identity) (optional)."
      - "SET_GPS_STATE: V(gps_state) (required), 0 high accuracy, 1 sensors only, 2 battery saving, 3 off, 4 on."
      - "SET_NEW_POLICY: V(policy_url) (required)."
      - "SET_ROTATION_STATE: V(rotate_state) (required), 0 auto, 1 portrait only, 2 landscape only."
      - "SET_SCREEN_OFF_TIMEOUT: V(screen_off_timeout) (required), milliseconds from 5000 to 1800000, or -1."
      - "SET_STATIC_IP: V(interface) (V(wlan) or V(eth)), V(dhcp_enabled) (sent as V(\"true\") or V(\"false\")),
        V(static_ip), V(primary_dns), V(gateway) (IPv4 addresses) and V(subnet_mask) (a prefix length from 1 to 32,
        sent as a string), all required; V(secondary_dns) (optional)."
      - "SET_STREAM_VOLUME: V(stream) (required, 0 ring, 1 notification, 2 alarm, 3 music) and V(volume_level)
        (required, 0 to 100)."
      - "SET_TIMEZONE: V(timezone_string) (required), a time zone name such as V(America/New_York)."
      - "SET_WIFI_STATE: V(wifi_state) (required boolean), V(wifi_revert_timeout) (optional, at least 1)."
      - "UPDATE_DEVICE_CONFIG: at least one of V(custom_settings_config) (a dict) and V(device_alias_name)."
      - "USE_ONLY_SAVED_WIFI_AP: V(use_only_saved_ap) (required boolean)."
      - "WIPE: V(is_factory_reset) (optional boolean; required by Windows devices)."
      - "CLEAR_PASSCODE, COLLECT_LOGS, DEVICE_INFORMATION, LOCK, REBOOT, SET_MULTI_APP_MODE, UPDATE_BLUEPRINT,
        UPDATE_HEARTBEAT, UPDATE_LATEST_DPC: no arguments."
    type: dict
    default: {}
  command_type:
    description:
      - The request's target type. When not given it is inferred; V(DEVICE) for O(devices) only, V(GROUP) for
        O(groups) only, V(DYNAMIC) for both.
      - A value that contradicts the targets given is an error.
      - State commands (unless O(force=true)) and O(once=true) send to the devices that need the command, so their
        request is always a V(DEVICE) request.
    type: str
    choices: [DEVICE, GROUP, DYNAMIC]
  device_type:
    description:
      - The request's C(device_type). Esper's Command Request API accepts only V(all) and sends the command to every
        targeted device, online or not.
    type: str
    default: all
    choices: [all]
  alias:
    description:
      - A free-text label for the request, shown in the Esper console.
    type: str
  schedule:
    description:
      - When the command runs.
      - V(IMMEDIATE) sends it now.
      - V(WINDOW) runs it once at any time between O(schedule_args.start_datetime) and O(schedule_args.end_datetime).
      - V(RECURRING) runs it inside the daily window on the given days between those dates, until it succeeds once.
      - Esper runs scheduled commands on Android devices only.
      - With O(wait=true), a scheduled request is complete once its devices are scheduled.
    type: str
    default: IMMEDIATE
    choices: [IMMEDIATE, WINDOW, RECURRING]
  schedule_args:
    description:
      - The schedule of a V(WINDOW) or V(RECURRING) request; not used with V(IMMEDIATE).
      - V(WINDOW) needs O(schedule_args.name), O(schedule_args.start_datetime), O(schedule_args.end_datetime) and
        O(schedule_args.time_type); V(RECURRING) also needs O(schedule_args.window_start_time),
        O(schedule_args.window_end_time) and O(schedule_args.days).
    type: dict
    suboptions:
      name:
        description:
          - A label for the schedule.
        type: str
      start_datetime:
        description:
          - When the schedule starts, as an ISO-8601 date-time such as V(2025-06-01T22:00:00Z). A time without an offset is UTC.
        type: str
      end_datetime:
        description:
          - When the schedule ends; it must be later than O(schedule_args.start_datetime) and not in the past (with
            O(schedule_args.time_type=device), not passed in every time zone).
        type: str
      time_type:
        description:
          - V(console) reads the times in the time zone of the user who created the schedule, V(device) in each device's
            own time zone.
        type: str
        choices: [console, device]
      window_start_time:
        description:
          - The start of the daily window of a V(RECURRING) schedule, as V(HH:MM:SS). Quote it in YAML.
        type: str
      window_end_time:
        description:
          - The end of the daily window of a V(RECURRING) schedule, as V(HH:MM:SS). Quote it in YAML.
        type: str
      days:
        description:
          - The days of a V(RECURRING) schedule, V(Monday) to V(Sunday), or V(All days) alone.
        type: list
        elements: str
  once:
    description:
      - Send only to target devices that have not already completed, and are not still running, an identical request
        (same O(command) and O(command_args)), as found in Esper's command history.
      - A re-run of a job that stopped half-way then finishes the rest instead of repeating it.
      - Groups are expanded to their devices, and the request is a V(DEVICE) request.
      - With O(rollout), a re-run with O(once=true) after a stopped rollout sends the devices that were not sent, and
        those that failed, and skips every device that succeeded.
    type: bool
    default: false
notes:
  - A 201 from Esper only means the request was accepted; with O(wait=true) the module follows every device until it
    succeeds, fails, times out or is cancelled, and fails when any device did not succeed.
  - Devices that stay V(Command Queued) are usually offline; they are reported when O(wait_timeout) passes.
seealso:
  - module: esper.mdm.esper_command_info
  - module: esper.mdm.esper_certificate
  - module: esper.mdm.esper_wifi
'''

EXAMPLES = r'''
- name: Reboot two kiosks and wait for them
  esper.mdm.esper_command:
    command: REBOOT
    devices:
      - kiosk-0001
      - kiosk-0002

- name: Set the brightness of every device in a store (only where it differs)
  esper.mdm.esper_command:
    command: SET_BRIGHTNESS_SCALE
    command_args:
      brightness_value: 60
    groups:
      - Store-001

- name: Turn Wi-Fi on everywhere, sending even to devices that already report it on
  esper.mdm.esper_command:
    command: SET_WIFI_STATE
    command_args:
      wifi_state: true
    groups:
      - Store-001
      - Store-002
    force: true

- name: Reboot a store every weekday night, inside each device's own night
  esper.mdm.esper_command:
    command: REBOOT
    groups:
      - Store-001
    alias: nightly reboot
    schedule: RECURRING
    schedule_args:
      name: nightly-reboot
      start_datetime: "2025-06-01T00:00:00Z"
      end_datetime: "2025-07-01T00:00:00Z"
      time_type: device
      window_start_time: "02:00:00"
      window_end_time: "04:00:00"
      days: [Monday, Tuesday, Wednesday, Thursday, Friday]

- name: Install an app on the devices that do not have it yet (safe to re-run)
  esper.mdm.esper_command:
    command: INSTALL
    command_args:
      app_version: 0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11
    groups:
      - Store-001
    once: true
    wait_timeout: 900

- name: Send a notification without waiting
  esper.mdm.esper_command:
    command: NOTIFY_DEVICE
    command_args:
      title: Maintenance
      message: The store systems restart at 22:00.
    groups:
      - Store-001
    wait: false
  register: notification

- name: Reset a lock-screen password (the password never appears in the output)
  esper.mdm.esper_command:
    command: RESET_LOCKSCREEN_PASSWORD
    command_args:
      new_lockscreen_password: "{{ vault_lockscreen_password }}"
    devices:
      - kiosk-0003
    max_devices: 1

- name: Install an app on two canaries, then a quarter of the fleet at a time; stop when over 5% fail
  esper.mdm.esper_command:
    command: INSTALL
    command_args:
      app_version: 0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11
    devices:
      - kiosk-canary-1
      - kiosk-canary-2
    groups:
      - All-Stores
    once: true
    rollout:
      waves: [2, '25%']
      max_fail_percentage: 5
      pause_seconds: 300
    wait_timeout: 900

- name: Wipe the devices of a returned batch; refuse if the group holds more than 10
  esper.mdm.esper_command:
    command: WIPE
    command_args:
      is_factory_reset: true
    groups:
      - Returned-2025-05
    max_devices: 10
'''

RETURN = r'''
command_id:
  description:
    - The id of the first command request sent; null when nothing was sent (check mode, or no device needed it).
  returned: always
  type: str
  sample: 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f
command_ids:
  description:
    - The ids of every command request sent; more than one when the targets were split into batches of
      1000 devices or 500 groups.
  returned: always
  type: list
  elements: str
  sample: [9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f, 1b2c3d4e-0000-4a5b-8c9d-000000000002]
request:
  description:
    - The body of the (first) command request sent, or that would be sent in check mode, with secret arguments masked.
    - Null when nothing is sent.
  returned: always
  type: dict
  sample:
    command_type: DEVICE
    devices: [6f1c2d3e-0000-4a5b-8c9d-000000000001]
    device_type: all
    command: SET_BRIGHTNESS_SCALE
    command_args:
      brightness_value: 60
    schedule: IMMEDIATE
stats:
  description:
    - How many devices are in each state, summed over every request sent. With O(wait=false), the first counts
      read right after the request was created; all zero in check mode.
  returned: always
  type: dict
  contains:
    total:
      description: Every device the requests report, including any in states this module does not know.
      type: int
    queued:
      description: Waiting to be delivered, usually because the device is offline.
      type: int
    initiated:
      description: Sent towards the device.
      type: int
    acknowledged:
      description: Received by the device.
      type: int
    in_progress:
      description: Running on the device.
      type: int
    scheduled:
      description: Waiting for its schedule.
      type: int
    success:
      description: Done.
      type: int
    failure:
      description: Failed on the device.
      type: int
    timeout:
      description: No result in time.
      type: int
    cancelled:
      description: Cancelled.
      type: int
  sample:
    total: 3
    queued: 0
    initiated: 0
    acknowledged: 0
    in_progress: 0
    scheduled: 0
    success: 2
    failure: 1
    timeout: 0
    cancelled: 0
skipped_devices:
  description:
    - The target devices the command was not sent to, with the reason, for example already in the desired state,
      an identical request still open, already done with O(once=true), or a platform the command does not support.
  returned: always
  type: list
  elements: dict
  sample:
    - device: 6f1c2d3e-0000-4a5b-8c9d-000000000002
      device_name: kiosk-0002
      reason: already brightness_scale=60
failed_devices:
  description:
    - The devices that ended in V(Command Failure), V(Command TimeOut) or V(Command Cancelled), and, when the wait timed
      out, the devices still open. Empty unless O(wait=true).
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The device id.
      type: str
    device_name:
      description: The device name, when known.
      type: str
    state:
      description: The device's state in the request.
      type: str
    reason:
      description: The reason Esper gives for that state.
      type: str
    command_id:
      description: The request the device belongs to.
      type: str
  sample:
    - device: 6f1c2d3e-0000-4a5b-8c9d-000000000003
      device_name: kiosk-0003
      state: Command Failure
      reason: Brightness setting not supported
      command_id: 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f
timed_out:
  description:
    - True when O(wait_timeout) passed with devices still open (the module then fails).
  returned: always
  type: bool
  sample: false
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

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import (
    COMMAND_NAMES,
    COMMANDS,
    normalise_command_args,
    validate_command_args,
)
from ansible_collections.esper.mdm.plugins.module_utils._client import connection_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import (
    CommandPlan,
    exclude_already_run,
    plan_for_targets,
    run_command_module,
    secret_keys_for,
    supported_devices,
    supported_targets,
)
from ansible_collections.esper.mdm.plugins.module_utils._device_state import plan_state_command
from ansible_collections.esper.mdm.plugins.module_utils._masking import mask_secrets
from ansible_collections.esper.mdm.plugins.module_utils._schedule import build_schedule_args, validate_schedule
from ansible_collections.esper.mdm.plugins.module_utils._submission import command_type_problem
from ansible_collections.esper.mdm.plugins.module_utils._targets import (
    device_label,
    resolve_devices,
    resolve_groups,
    target_argument_spec,
    target_devices,
    target_problems,
    with_timezones,
)
from ansible_collections.esper.mdm.plugins.module_utils._rollout import expands_groups, rollout_argument_spec


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        command=dict(type='str', required=True, choices=COMMAND_NAMES),
        command_args=dict(type='dict', default={}),
        command_type=dict(type='str', choices=['DEVICE', 'GROUP', 'DYNAMIC']),
        device_type=dict(type='str', default='all', choices=['all']),
        alias=dict(type='str'),
        schedule=dict(type='str', default='IMMEDIATE', choices=['IMMEDIATE', 'WINDOW', 'RECURRING']),
        schedule_args=dict(type='dict', options=dict(
            name=dict(type='str'),
            start_datetime=dict(type='str'),
            end_datetime=dict(type='str'),
            time_type=dict(type='str', choices=['console', 'device']),
            window_start_time=dict(type='str'),
            window_end_time=dict(type='str'),
            days=dict(type='list', elements='str'),
        )),
        once=dict(type='bool', default=False),
    )
    spec.update(target_argument_spec())
    spec.update(rollout_argument_spec())
    return spec


def input_problems(params):
    """Every problem with the options that can be found without asking Esper."""
    devices, groups = params['devices'], params['groups']
    problems = target_problems(params)
    problems.extend(validate_command_args(params['command'], params['command_args']))
    problems.extend(validate_schedule(params['schedule'], params['schedule_args'], params['command']))
    type_problem = command_type_problem(params['command_type'], devices, groups)
    if type_problem:
        problems.append(type_problem)
    return problems


def plan_command(module, client):
    """Work out whom to send the command to: state check, once, or every target as given."""
    params = module.params
    command = params['command']
    command_args = normalise_command_args(command, params['command_args'])
    devices = resolve_devices(client, params['devices'])
    groups = resolve_groups(client, params['groups'])
    state_spec = COMMANDS[command].state
    check_state = state_spec is not None and not params['force']
    if not check_state and not params['once'] and not expands_groups(params):
        sent_devices, sent_groups, skipped = supported_targets(module, client, command, devices, groups)
        # A group expanded for the platform check goes as devices, so a requested GROUP type no longer fits.
        command_type = params['command_type'] if len(sent_groups) == len(groups) else None
        diff = action_diff(command, command_args, sent_devices, sent_groups) if module._diff else None
        plan = plan_for_targets(command, command_args, sent_devices, sent_groups, command_type=command_type, diff=diff)
        plan.skipped_devices = skipped
        return [plan]

    # Both checks are per device, and a rollout or max_devices counts devices, so groups become their member devices
    # (in target order: listed devices, then each group's members) and the request a DEVICE request.
    reached, skipped = supported_devices(module, [command], target_devices(client, devices, groups))
    if check_state and state_spec.source == 'device':
        reached = with_timezones(client, reached)  # the current value is a legacy DeviceInfo field v2 lacks
    names = dict((device['id'], device_label(device)) for device in reached)
    if params['once'] and reached:
        remaining, already_run = exclude_already_run(client, command, command_args, [device['id'] for device in reached], names)
        skipped.extend(already_run)
        remaining = set(remaining)
        reached = [device for device in reached if device['id'] in remaining]
    if check_state:
        notes = []
        reached, same_state, before, after = plan_state_command(client, reached, state_spec, command_args, notes=notes)
        for note in notes:
            module.warn(note)
        skipped.extend(same_state)
        diff = {'before': before, 'after': after}
    else:
        diff = action_diff(command, command_args, reached, [])
    return [CommandPlan(command, command_args, [device['id'] for device in reached], [], skipped_devices=skipped,
                        diff=diff, device_names=names)]


def action_diff(command, command_args, devices, groups):
    """The diff of an action: nothing before, the command and whom it goes to after."""
    if not devices and not groups:
        return None
    after = {'command': command, 'command_args': mask_secrets(command_args, secret_keys_for(command))}
    if devices:
        after['devices'] = [device_label(device) for device in devices]
    if groups:
        after['groups'] = [group.get('name') or group.get('id') for group in groups]
    return {'before': {}, 'after': after}


def send_options(params):
    """When the command runs (schedule) and the request's alias."""
    scheduled = params['schedule'] != 'IMMEDIATE'
    return dict(schedule=params['schedule'], schedule_args=build_schedule_args(params['schedule_args']) if scheduled else None,
                alias=params['alias'])


def report(module, result):
    """One command is sent, so the per-command list would only repeat the top-level keys."""
    result.pop('commands', None)


def sent_commands(params):
    """The command this task may send, so that a destructive one without max_devices is refused before any request."""
    return [(params['command'], params['command_args'])]


def main():
    run_command_module(argument_spec(), plan_command, input_problems=input_problems, send_options=send_options,
                       report=report, commands=sent_commands)


if __name__ == '__main__':
    main()
