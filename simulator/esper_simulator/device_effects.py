# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a command does to a device when it runs: whether it succeeds, why it fails, and which
reported values change (devicestate of CONTRACT §7.3 and DeviceInfo fields of §7.2)."""

from __future__ import annotations

import copy

from .command_rules import COMMAND_RULES, access_points_of
from .fleet import ANDROID, GPS_STATES, PLATFORM_OS, ROTATION_STATES, WINDOWS, access_point_ssid

DEVICESTATE = 'devicestate'
DEVICE = 'device'
MIN_CERTIFICATE_API_LEVEL = 28

# command -> function(command_args) -> [(where, field, value)]: the values the device reports after a success.
STATE_CHANGES = {
    'SET_BRIGHTNESS_SCALE': lambda args: [(DEVICESTATE, 'brightness_scale', args['brightness_value'])],
    'SET_SCREEN_OFF_TIMEOUT': lambda args: [(DEVICESTATE, 'screen_off_timeout', args['screen_off_timeout'])],
    'SET_ROTATION_STATE': lambda args: [(DEVICESTATE, 'rotation_state', ROTATION_STATES[args['rotate_state']])],
    'SET_GPS_STATE': lambda args: [(DEVICESTATE, 'gps_state', GPS_STATES[args['gps_state']])],
    'SET_WIFI_STATE': lambda args: [(DEVICESTATE, 'wifi_state', args['wifi_state'])],
    'SET_BLUETOOTH_STATE': lambda args: [(DEVICESTATE, 'bluetooth_state', args['bluetooth_state'])],
    'USE_ONLY_SAVED_WIFI_AP': lambda args: [(DEVICESTATE, 'use_only_saved_ap', args['use_only_saved_ap'])],
    'SET_TIMEZONE': lambda args: [(DEVICE, 'timezone_string', args['timezone_string'])],
    'SET_DEVICE_LOCKDOWN_STATE': lambda args: [(DEVICE, 'lockdown_state', 1 if args['state'] == 'LOCKED' else 0)],
    'SET_KIOSK_APP': lambda args: [(DEVICE, 'kiosk_app_name', args['package_name']), (DEVICE, 'current_app_mode', 1)],
    'SET_MULTI_APP_MODE': lambda args: [(DEVICE, 'current_app_mode', 0), (DEVICE, 'kiosk_app_name', '')],
    'UPDATE_DEVICE_CONFIG': lambda args: [(DEVICE, 'alias_name', args['device_alias_name'])] if args.get('device_alias_name') else [],
}

# Commands whose "same value" makes the device report Command Failure under --fail-same-value (CONTRACT §9.4 #2).
SAME_VALUE_COMMANDS = ('SET_BRIGHTNESS_SCALE', 'SET_SCREEN_OFF_TIMEOUT', 'SET_ROTATION_STATE', 'SET_GPS_STATE', 'SET_WIFI_STATE',
                       'SET_BLUETOOTH_STATE', 'USE_ONLY_SAVED_WIFI_AP', 'SET_TIMEZONE', 'SET_DEVICE_LOCKDOWN_STATE', 'SET_KIOSK_APP')


def _read(device, where, field):
    return device.devicestate.get(field) if where == DEVICESTATE else getattr(device, field)


def _write(device, where, field, value):
    if where == DEVICESTATE:
        device.devicestate[field] = value
    else:
        setattr(device, field, value)


def platform_problem(device, command):
    """Why ``command`` cannot run on this device's platform, or None (CONTRACT §4.3 platforms, §9.4 #9)."""
    if device.platform not in COMMAND_RULES[command].platforms:
        return f'{command} is not supported on {PLATFORM_OS[device.platform]} devices'
    return None


# Commands whose effect is on the device's apps (apps.py, CONTRACT §11.7).
APP_COMMANDS = ('INSTALL', 'UNINSTALL')


def failure_reason(device, command, command_args, fail_same_value, fleet=None):
    """The reason the device reports Command Failure for this command right now, or None when it succeeds."""
    problem = platform_problem(device, command)
    if problem:
        return problem
    if command in APP_COMMANDS and fleet is not None:
        return fleet.apps.failure_reason(device, command, command_args)
    if command == 'INSTALL_CERTIFICATE' and device.platform == ANDROID and (device.api_level or 0) < MIN_CERTIFICATE_API_LEVEL:
        return f'INSTALL_CERTIFICATE needs Android 9 (API level 28) or later; the device has API level {device.api_level}'
    if command == 'WIPE' and device.platform == WINDOWS and command_args.get('is_factory_reset') is None:
        return 'WIPE needs command_args.is_factory_reset on Windows devices'
    if fail_same_value and command in SAME_VALUE_COMMANDS:
        changes = STATE_CHANGES[command](command_args)
        if changes and all(_read(device, where, field) == value for where, field, value in changes):
            where, field, value = changes[0]
            return f'The device already has {field} {value!r}; nothing to change'
    return None


def apply_success(device, command, command_args, when, fleet=None):
    """Change the device's reported values as a successful ``command`` would; returns the success reason."""
    if command in APP_COMMANDS and fleet is not None:
        return fleet.apps.apply(device, command, command_args, when)
    if command == 'ADD_WIFI_AP':
        added = access_points_of(command_args['wifi_access_points'])
        new_ssids = {access_point_ssid(entry) for entry in added}
        kept = [entry for entry in device.wifi_access_points if access_point_ssid(entry) not in new_ssids]
        device.wifi_access_points = kept + copy.deepcopy(added)
        device.updated_on = when
        return f'Added access points: {", ".join(access_point_ssid(entry) for entry in added)}'
    if command == 'REMOVE_WIFI_AP':
        removed = {access_point_ssid(entry) for entry in access_points_of(command_args['wifi_access_points'])}
        device.wifi_access_points = [entry for entry in device.wifi_access_points if access_point_ssid(entry) not in removed]
        device.updated_on = when
        return f'Removed access points: {", ".join(sorted(removed))}'
    changes = STATE_CHANGES.get(command, lambda args: [])(command_args)
    for where, field, value in changes:
        _write(device, where, field, value)
    if changes:
        device.updated_on = when
        return 'Set ' + ', '.join(f'{field} to {value!r}' for where, field, value in changes)
    return f'{command} executed'
