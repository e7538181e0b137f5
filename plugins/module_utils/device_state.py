# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read each device's current setting so state commands are sent only where they change something (CONTRACT §7.3).

Setting a state the device is already in can make the command fail on the device (§9.4), so state commands
compare the desired value with the device's current one first.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.esper.mdm.plugins.module_utils.client import EsperNotFoundError
from ansible_collections.esper.mdm.plugins.module_utils.targets import device_label

DEVICESTATE_PATH = 'device/v0/devices/%s/devicestate'


def _device_id(device):
    return device.get('id') if isinstance(device, dict) else device


def _read_devicestate_field(client, device, field, notes):
    """The field of one device's devicestate, None when absent; a 404 means the device has no state yet."""
    try:
        # No trailing slash: the one Esper path without it (§7.3, §9.4 item 7).
        body = client.get(DEVICESTATE_PATH % _device_id(device))
    except EsperNotFoundError:
        notes.append('device %s has no device state (HTTP 404); its current %s is unknown' % (device_label(device), field))
        return None
    if not isinstance(body, dict):
        return None
    return body.get(field)


def read_current_values(client, devices, state_spec, workers=8, notes=None):
    """Map each device id to its current value of state_spec.field (None when the device does not report it).

    devices: DeviceInfo dicts. state_spec.source 'device' reads the dict in hand (no request); 'devicestate'
    reads GET device/v0/devices/<id>/devicestate for each device with up to ``workers`` threads. The result
    follows the order of devices; the first failing device (in that order) raises the client's typed error.
    notes: optional list that receives a sentence for each device whose state could not be read (404).
    """
    devices = list(devices or [])
    if notes is None:
        notes = []
    if state_spec.source == 'device':
        return dict((_device_id(device), device.get(state_spec.field) if isinstance(device, dict) else None)
                    for device in devices)
    if state_spec.source != 'devicestate':
        raise ValueError('unknown state source %r' % (state_spec.source,))
    # Each device gets its own notes list so the merged notes follow the order of devices, not of threads.
    per_device_notes = [[] for dummy in devices]
    values = {}
    if workers <= 1 or len(devices) <= 1:
        for device, device_notes in zip(devices, per_device_notes):
            values[_device_id(device)] = _read_devicestate_field(client, device, state_spec.field, device_notes)
    else:
        executor = ThreadPoolExecutor(max_workers=min(workers, len(devices)))
        futures = [executor.submit(_read_devicestate_field, client, device, state_spec.field, device_notes)
                   for device, device_notes in zip(devices, per_device_notes)]
        try:
            for device, future in zip(devices, futures):
                values[_device_id(device)] = future.result()
        except Exception:
            # Reads not yet started are pointless once one has failed.
            for future in futures:
                future.cancel()
            raise
        finally:
            executor.shutdown(wait=True)
    for device_notes in per_device_notes:
        notes.extend(device_notes)
    return values


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


def plan_state_command(client, devices, state_spec, command_args, workers=8, notes=None):
    """Split devices into those that need the state command and those already in the desired state.

    Returns (to_send, skipped, diff_before, diff_after):
    to_send: device dicts whose current value differs from the desired one or is unknown;
    skipped: [{'device': id, 'device_name': label, 'reason': 'already <field>=<value>'}];
    diff_before / diff_after: device label -> {field: current} / {field: desired}, for devices in to_send.
    """
    devices = list(devices or [])
    desired = desired_value(state_spec, command_args)
    current_values = read_current_values(client, devices, state_spec, workers=workers, notes=notes)
    to_send = []
    skipped = []
    diff_before = {}
    diff_after = {}
    field = state_spec.field
    for device in devices:
        current = current_values.get(_device_id(device))
        if _same_value(current, desired):
            skipped.append({'device': _device_id(device), 'device_name': device_label(device),
                            'reason': 'already %s=%s' % (field, _format_value(current))})
            continue
        to_send.append(device)
        key = _diff_key(diff_before, device)
        diff_before[key] = {field: current}
        diff_after[key] = {field: desired}
    return to_send, skipped, diff_before, diff_after
