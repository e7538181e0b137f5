# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Read each device's current setting so state commands are sent only where they change something (CONTRACT §7.3).

Setting a state the device is already in can make the command fail on the device (§9.4), so state commands
compare the desired value with the device's current one first. An offline device keeps reporting its old value
while the command waits for it, so a device whose newest open request of the command is an identical one is not
sent another (§3.1).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import command_for_state
from ansible_collections.esper.mdm.plugins.module_utils._client import EsperNotFoundError
from ansible_collections.esper.mdm.plugins.module_utils._command_history import is_open, latest_statuses, same_request_filter
from ansible_collections.esper.mdm.plugins.module_utils._parallel import parallel_map
from ansible_collections.esper.mdm.plugins.module_utils._targets import device_label

DEVICESTATE_PATH = 'device/v0/devices/%s/devicestate'


def _device_id(device):
    return device.get('id') if isinstance(device, dict) else device


def for_each_device(devices_or_ids, read_one, workers=8):
    """Map each device id to read_one(device), calling read_one for up to ``workers`` devices at a time.

    devices_or_ids: DeviceInfo dicts or device ids; read_one receives each item as given. The result follows
    the input order whatever order the threads finish in. When read_one raises for some devices, the error of
    the first of them in input order is raised as it is (the client's typed error) and reads not yet started
    are cancelled (parallel_map). A 404 is an error like any other here: read_one decides whether it means "no data".
    """
    items = list(devices_or_ids or [])
    results = {}
    for item, value in zip(items, parallel_map(read_one, items, workers=workers)):
        results[_device_id(item)] = value
    return results


def _read_devicestate(client, device, notes, unknown_clause):
    """One device's devicestate dict, None when it has none; a 404 means the device has no state yet."""
    try:
        # No trailing slash: the one Esper path without it (§7.3, §9.4 item 7).
        body = client.get(DEVICESTATE_PATH % _device_id(device))
    except EsperNotFoundError:
        notes.append('device %s has no device state (HTTP 404); %s' % (device_label(device), unknown_clause))
        return None
    return body if isinstance(body, dict) else None


def _read_each_devicestate(client, devices, workers, notes, unknown_clause):
    """device id -> devicestate dict or None; each 404 note ends with unknown_clause and notes follow the order of devices."""
    devices = list(devices or [])
    if notes is None:
        notes = []
    # Each device gets its own notes list so the merged notes follow the order of devices, not of threads.
    per_device_notes = dict((_device_id(device), []) for device in devices)

    def read_one(device):
        return _read_devicestate(client, device, per_device_notes[_device_id(device)], unknown_clause)

    states = for_each_device(devices, read_one, workers=workers)
    for device_notes in per_device_notes.values():
        notes.extend(device_notes)
    return states


def read_devicestates(client, devices, workers=8, notes=None):
    """Map each device id to its devicestate dict (None when the device has none), one GET per device.

    Read once and pass the result to plan_state_command(states=...) for every 'devicestate' StateSpec of a
    call, so a device is not read once per setting. devices: DeviceInfo dicts or ids; up to ``workers`` threads;
    the first failing device (in input order) raises the client's typed error. notes: optional list that
    receives a sentence for each device whose state could not be read (404).
    """
    return _read_each_devicestate(client, devices, workers, notes, 'its current settings are unknown')


def _field_values(devices, states, field):
    """device id -> the field of that device's devicestate in states (None when absent or unread)."""
    values = {}
    for device in devices:
        state = (states or {}).get(_device_id(device))
        values[_device_id(device)] = state.get(field) if isinstance(state, dict) else None
    return values


def read_current_values(client, devices, state_spec, workers=8, notes=None):
    """Map each device id to its current value of state_spec.field (None when the device does not report it).

    devices: DeviceInfo dicts. state_spec.source 'device' reads the dict in hand (no request); 'devicestate'
    reads GET device/v0/devices/<id>/devicestate for each device with up to ``workers`` threads. The result
    follows the order of devices; the first failing device (in that order) raises the client's typed error.
    notes: optional list that receives a sentence for each device whose state could not be read (404).
    """
    devices = list(devices or [])
    if state_spec.source == 'device':
        return dict((_device_id(device), device.get(state_spec.field) if isinstance(device, dict) else None)
                    for device in devices)
    if state_spec.source != 'devicestate':
        raise ValueError('unknown state source %r' % (state_spec.source,))
    states = _read_each_devicestate(client, devices, workers, notes, 'its current %s is unknown' % state_spec.field)
    return _field_values(devices, states, state_spec.field)


def desired_value(state_spec, command_args):
    """The value the device will report once the command has run, from the command_args given."""
    value = (command_args or {}).get(state_spec.arg)
    if value is None:
        return None
    if state_spec.to_device_value is None:
        return value
    return state_spec.to_device_value(value)


def _same_value(current, desired):
    """Whether the device already reports the desired value; unknown (None) never counts as the same."""
    if current is None or desired is None:
        return False
    numbers_and_text = (int, float, str)
    if type(current) is not type(desired) and isinstance(current, numbers_and_text) and isinstance(desired, numbers_and_text):
        # 60 and '60' are one setting (the API types some numbers as strings, §9.4 item 4); comparing text also
        # keeps a reported 1 apart from the boolean True, which Python's == would call equal.
        return str(current) == str(desired)
    return current == desired


def _format_value(value):
    """A value as it reads in a skip reason: booleans as true/false, the rest as text."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def _diff_key(diff, device):
    """The device's label, with its id added when another device with the same name is already in diff."""
    label = device_label(device)
    if label in diff:
        return '%s (%s)' % (label, _device_id(device))
    return label


def open_identical_requests(client, command, command_args, device_ids):
    """device id -> {'request', 'status'} for each device whose newest open request of command is identical to this one.

    Open means queued .. scheduled (§3.1): the device has not run it yet, typically because it is offline. Only the
    newest open request of the command counts, so an open identical request followed by an open one with other
    arguments (60, then 30, now 60 again) does not stop the new one: the device would end at 30. One listing of the
    command's requests and their open statuses for these devices; nothing is read when device_ids is empty.
    """
    device_ids = list(device_ids or [])
    if not device_ids:
        return {}
    identical = same_request_filter(command, command_args)
    newest_open = latest_statuses(client, [command], device_ids, status_filter=is_open)
    return dict((device_id, found) for device_id, found in newest_open.items() if identical(found.get('request') or {}))


def _open_request_skip(device, command, found):
    status = found.get('status') or {}
    request_id = (found.get('request') or {}).get('id') or status.get('request')
    return {'device': _device_id(device), 'device_name': device_label(device),
            'reason': 'an identical %s request %s is still open (%s)' % (command, request_id, status.get('state')),
            'command_id': request_id}


def plan_state_command(client, devices, state_spec, command_args, workers=8, notes=None, states=None, command=None):
    """Split devices into those that need the state command and those already in, or on the way to, the desired state.

    Returns (to_send, skipped, diff_before, diff_after):
    to_send: device dicts whose current value differs from the desired one or is unknown, and that have no identical
    request of the command still open;
    skipped, in the order of devices: [{'device': id, 'device_name': label, 'reason': 'already <field>=<value>'}], or
    for a device whose newest open request of the command is identical (an offline device still reports its old
    value) {'device', 'device_name', 'reason': 'an identical <COMMAND> request <id> is still open (<state>)', 'command_id'};
    diff_before / diff_after: device label -> {field: current} / {field: desired}, for devices in to_send.
    states: read_devicestates() output for these devices; when given, a 'devicestate' state_spec is planned from
    it without any request (and notes get nothing: read_devicestates noted the devices without state).
    command: the command name; by default the catalogue command whose StateSpec is state_spec (with none, the open
    request check is left out). The command history is read only when some device differs.
    """
    devices = list(devices or [])
    desired = desired_value(state_spec, command_args)
    if states is not None and state_spec.source == 'devicestate':
        current_values = _field_values(devices, states, state_spec.field)
    else:
        current_values = read_current_values(client, devices, state_spec, workers=workers, notes=notes)
    field = state_spec.field
    differing = [device for device in devices if not _same_value(current_values.get(_device_id(device)), desired)]
    if command is None:
        command = command_for_state(state_spec)
    open_requests = {}
    if command is not None and differing:
        open_requests = open_identical_requests(client, command, command_args, [str(_device_id(device)) for device in differing])
    to_send = []
    skipped = []
    diff_before = {}
    diff_after = {}
    for device in devices:
        current = current_values.get(_device_id(device))
        found = open_requests.get(str(_device_id(device)))
        if _same_value(current, desired):
            skipped.append({'device': _device_id(device), 'device_name': device_label(device),
                            'reason': 'already %s=%s' % (field, _format_value(current))})
        elif found:
            skipped.append(_open_request_skip(device, command, found))
        else:
            to_send.append(device)
            key = _diff_key(diff_before, device)
            diff_before[key] = {field: current}
            diff_after[key] = {field: desired}
    return to_send, skipped, diff_before, diff_after
