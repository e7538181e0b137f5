# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the simulated server accepts in a command request: the 50 commands of CONTRACT §4.1 with the
argument rules of §4.3, the platforms each command runs on, and the schedule rules of §2.2.

This is the simulator's own table, written from CONTRACT.md independently of the collection's catalogue,
so that the integration tests compare two readings of the contract instead of one with itself.
"""

from __future__ import annotations

import ipaddress
import json
import re

from .fleet import ANDROID, IOS, LINUX, WINDOWS, access_point_ssid
from .timefmt import parse_iso_datetime

ANDROID_ONLY = (ANDROID,)
ALL_PLATFORMS = (ANDROID, IOS, WINDOWS, LINUX)


def _show(value):
    return json.dumps(value) if not isinstance(value, str) else repr(value)


class StringArg:
    """A string; optionally one of ``choices`` or matching ``pattern``; empty strings are refused."""

    def __init__(self, choices=None, pattern=None, pattern_text=None):
        self.choices = choices
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_text = pattern_text

    def problem(self, value):
        if not isinstance(value, str) or not value:
            return f'must be a non-empty string, got {_show(value)}'
        if self.choices and value not in self.choices:
            return f'must be one of {", ".join(self.choices)}, got {_show(value)}'
        if self.pattern and not self.pattern.match(value):
            return f'must be {self.pattern_text}, got {_show(value)}'
        return None


class IntArg:
    """A JSON integer (not a boolean, not a string) in [minimum, maximum] or one of ``also``."""

    def __init__(self, minimum=None, maximum=None, also=()):
        self.minimum = minimum
        self.maximum = maximum
        self.also = also

    def describe(self):
        if self.maximum is None:
            text = f'an integer >= {self.minimum}'
        else:
            text = f'an integer from {self.minimum} to {self.maximum}'
        for extra in self.also:
            text += f' or {extra}'
        return text

    def problem(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            return f'must be {self.describe()}, got {_show(value)}'
        if value in self.also:
            return None
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            return f'must be {self.describe()}, got {value}'
        return None


class BoolArg:
    """A JSON boolean."""

    def problem(self, value):
        if not isinstance(value, bool):
            return f'must be a boolean, got {_show(value)}'
        return None


class NumericStringArg:
    """A string of decimal digits whose number is in [minimum, maximum] (BEEP_DEVICE duration, SET_STATIC_IP subnet_mask)."""

    def __init__(self, minimum, maximum):
        self.minimum = minimum
        self.maximum = maximum

    def problem(self, value):
        expected = f'a string holding a whole number from {self.minimum} to {self.maximum}'
        if not isinstance(value, str) or not value.isdigit() or not value.isascii():
            return f'must be {expected}, got {_show(value)}'
        if not self.minimum <= int(value) <= self.maximum:
            return f'must be {expected}, got {_show(value)}'
        return None


class IPv4Arg:
    """A dotted-quad IPv4 address string."""

    def problem(self, value):
        try:
            ipaddress.IPv4Address(value if isinstance(value, str) else None)
        except ValueError:
            return f'must be an IPv4 address string, got {_show(value)}'
        return None


class ObjectArg:
    """A JSON object."""

    def problem(self, value):
        if not isinstance(value, dict):
            return f'must be an object, got {_show(value)}'
        return None


class AccessPointsArg:
    """wifi_access_points (CONTRACT §5.1): a list of objects with wifi_ssid, a list of SSID strings, or one bare object."""

    def problem(self, value):
        entries = [value] if isinstance(value, dict) else value
        if not isinstance(entries, list) or not entries:
            return f'must be a non-empty list of access points (objects with wifi_ssid, or SSID strings), got {_show(value)}'
        for position, entry in enumerate(entries):
            if access_point_ssid(entry) is None:
                return f'entry {position} has no SSID (expected a non-empty string or an object with a non-empty wifi_ssid)'
        return None


def access_points_of(value):
    """The list of entries of a valid wifi_access_points value (a bare object becomes a one-entry list)."""
    return [value] if isinstance(value, dict) else list(value)


class CommandRule:
    """Arguments and platforms of one command. ``open_args``: the arguments are not documented, anything is accepted."""

    def __init__(self, required=None, optional=None, platforms=ANDROID_ONLY, open_args=False):
        self.required = required or {}
        self.optional = optional or {}
        self.platforms = platforms
        self.open_args = open_args


TEXT = StringArg()
PACKAGE = {'package_name': TEXT}
CERT_STORAGE = StringArg(choices=('system',))

COMMAND_RULES = {
    'ADD_TO_WHITELIST': CommandRule(PACKAGE),
    'ADD_WIFI_AP': CommandRule({'wifi_access_points': AccessPointsArg()}),
    'APPLY_APP_CONFIG': CommandRule(open_args=True),
    'CLEAR_APP_DATA': CommandRule(PACKAGE),
    'CONVERGE': CommandRule(optional={'is_converge': BoolArg(), 'converge_with_provision_option': BoolArg()}),
    'INSTALL': CommandRule({'app_version': TEXT}),
    'INSTALL_CERTIFICATE': CommandRule({'cert_file_type': StringArg(choices=('pkcs12',)), 'cert_data_base64': TEXT,
                                        'cert_alias_name': TEXT, 'cert_storage_type': CERT_STORAGE},
                                       {'cert_password': StringArg()}),
    'LIST_INSTALLED_PROFILES': CommandRule(optional={'managed_only': BoolArg()}, platforms=(IOS,)),
    'LOCK': CommandRule(platforms=(ANDROID, IOS, WINDOWS)),
    'REBOOT': CommandRule(platforms=(ANDROID, IOS, WINDOWS)),
    'REMOVE_FROM_WHITELIST': CommandRule(PACKAGE),
    'REMOVE_PROFILE': CommandRule({'profile_identifier': TEXT}, platforms=(IOS,)),
    'REMOVE_WIFI_AP': CommandRule({'wifi_access_points': AccessPointsArg()}),
    'SET_APP_PERMISSION': CommandRule({'package_name': TEXT, 'permission': TEXT, 'grant_state': StringArg(choices=(
        'PERMISSION_GRANT_STATE_DEFAULT', 'PERMISSION_GRANT_STATE_DENIED', 'PERMISSION_GRANT_STATE_GRANTED'))}),
    'SET_APP_STATE': CommandRule({'package_name': TEXT,
                                  'app_state': StringArg(choices=('SHOW', 'HIDE', 'DISABLE', 'LAUNCHABLE_BUT_HIDDEN'))}),
    'SET_BLUETOOTH_STATE': CommandRule({'bluetooth_state': BoolArg()}),
    'SET_BRIGHTNESS_SCALE': CommandRule({'brightness_value': IntArg(1, 100)}),
    'SET_DEVICE_LOCKDOWN_STATE': CommandRule({'state': StringArg(choices=('LOCKED', 'UNLOCKED')), 'message': TEXT}),
    'SET_GPS_STATE': CommandRule({'gps_state': IntArg(0, 4)}),
    'SET_KIOSK_APP': CommandRule(PACKAGE),
    'SET_MULTI_APP_MODE': CommandRule(),
    'SET_NEW_POLICY': CommandRule({'policy_url': TEXT}),
    'SET_ROTATION_STATE': CommandRule({'rotate_state': IntArg(0, 2)}),
    'SET_SCREEN_OFF_TIMEOUT': CommandRule({'screen_off_timeout': IntArg(5000, 1800000, also=(-1,))}),
    'SET_STREAM_VOLUME': CommandRule({'stream': IntArg(0, 3), 'volume_level': IntArg(0, 100)}),
    'SET_TIMEZONE': CommandRule({'timezone_string': TEXT}),
    'SET_WIFI_STATE': CommandRule({'wifi_state': BoolArg()}, {'wifi_revert_timeout': IntArg(1)}),
    'UNINSTALL': CommandRule(PACKAGE),
    # Removing an alias that is not there still succeeds (CONTRACT §6), so the simulator lets it succeed everywhere.
    'UNINSTALL_CERTIFICATE': CommandRule({'cert_alias_name': TEXT, 'cert_storage_type': CERT_STORAGE}, platforms=ALL_PLATFORMS),
    'UPDATE_DEVICE_CONFIG': CommandRule(optional={'custom_settings_config': ObjectArg(), 'device_alias_name': TEXT}),
    'UPDATE_HEARTBEAT': CommandRule(),
    'UPDATE_LATEST_DPC': CommandRule(),
    'WIPE': CommandRule(optional={'is_factory_reset': BoolArg()}, platforms=(ANDROID, IOS, WINDOWS)),
    'RESET_LOCKSCREEN_PASSWORD': CommandRule({'new_lockscreen_password': TEXT}),
    'UPDATE_BLUEPRINT': CommandRule(),
    'NOTIFY_DEVICE': CommandRule({'title': TEXT, 'message': TEXT}, {'url': TEXT}),
    'SET_DEVICE_LANGUAGE': CommandRule({'locale': StringArg(pattern=r'^[a-z]{2,3}(_[A-Z][a-z]{3})?_[A-Z]{2}$',
                                                            pattern_text='a locale like en_US or zh_Hans_CN')}),
    'SET_ETHERNET_SETTINGS': CommandRule({'ethernet_auth_mode': StringArg(choices=('NONE', 'EAP_TLS'))},
                                         {'ethernet_ca_cert_alias': TEXT, 'ethernet_client_cert_alias': TEXT,
                                          'ethernet_eap_identity': TEXT}),
    'SET_STATIC_IP': CommandRule({'interface': StringArg(choices=('wlan', 'eth')), 'dhcp_enabled': StringArg(choices=('true', 'false')),
                                  'static_ip': IPv4Arg(), 'primary_dns': IPv4Arg(), 'subnet_mask': NumericStringArg(1, 32),
                                  'gateway': IPv4Arg()},
                                 {'secondary_dns': IPv4Arg()}),
    'BEEP_DEVICE': CommandRule({'duration': NumericStringArg(10, 300)}),
    'SET_APP_NOTIFICATIONS': CommandRule({'package_name': TEXT, 'app_notifications_state': StringArg(choices=('ENABLED', 'DISABLED'))}),
    'USE_ONLY_SAVED_WIFI_AP': CommandRule({'use_only_saved_ap': BoolArg()}),
    'DEVICE_INFORMATION': CommandRule(),
    'VPP_APP_INSTALL': CommandRule({'app_id': TEXT, 'bundle_identifier': TEXT}, platforms=(IOS,)),
    'APPLE_APP_UNINSTALL': CommandRule({'app_id': TEXT, 'bundle_identifier': TEXT}, platforms=(IOS,)),
    'CLEAR_PASSCODE': CommandRule(platforms=(IOS,)),
    'INSTALL_PROFILE': CommandRule({'profile': TEXT}, platforms=(IOS,)),
    'RUN_SHELL_SCRIPT': CommandRule({'script': TEXT, 'interpreter': TEXT}, {'execute_as': TEXT}, platforms=(LINUX, WINDOWS)),
    'RUN_CUSTOM_ACTION': CommandRule(open_args=True, platforms=(LINUX,)),
    'COLLECT_LOGS': CommandRule(platforms=(LINUX,)),
}

COMMAND_NAMES = sorted(COMMAND_RULES)

SCHEDULES = ('IMMEDIATE', 'WINDOW', 'RECURRING')
DAY_NAMES = ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday')
ALL_DAYS = 'All days'
TIME_OF_DAY = re.compile(r'^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$')


def validate_command_args(command, command_args):
    """Every problem with ``command_args`` for ``command`` (a known command), [] when they are fine.

    Extra keys are accepted (CONTRACT Unknown #11) and a null value counts as absent, because real clients
    send SDK dicts with every key present.
    """
    rule = COMMAND_RULES[command]
    if rule.open_args:
        return []
    problems = []
    for name, check in rule.required.items():
        value = command_args.get(name)
        if value is None:
            problems.append(f'command_args.{name} is required for {command}')
            continue
        problem = check.problem(value)
        if problem:
            problems.append(f'command_args.{name} {problem}')
    for name, check in rule.optional.items():
        value = command_args.get(name)
        if value is not None:
            problem = check.problem(value)
            if problem:
                problems.append(f'command_args.{name} {problem}')
    if command == 'SET_ETHERNET_SETTINGS' and command_args.get('ethernet_auth_mode') == 'EAP_TLS':
        for name in ('ethernet_ca_cert_alias', 'ethernet_client_cert_alias'):
            if command_args.get(name) is None:
                problems.append(f'command_args.{name} is required when ethernet_auth_mode is EAP_TLS')
    return problems


def _check_datetime(schedule_args, name, problems):
    value = schedule_args.get(name)
    if value is None:
        problems.append(f'schedule_args.{name} is required')
        return None
    try:
        return parse_iso_datetime(value)
    except ValueError:
        problems.append(f'schedule_args.{name} must be an ISO-8601 date-time such as 2025-06-01T22:00:00Z, got {_show(value)}')
        return None


def _check_time_of_day(schedule_args, name, required, problems):
    value = schedule_args.get(name)
    if value is None:
        if required:
            problems.append(f'schedule_args.{name} is required for RECURRING')
        return
    if not isinstance(value, str) or not TIME_OF_DAY.match(value):
        problems.append(f'schedule_args.{name} must be a time HH:MM:SS, got {_show(value)}')


def _check_days(schedule_args, required, problems):
    days = schedule_args.get('days')
    if days is None:
        if required:
            problems.append('schedule_args.days is required for RECURRING')
        return
    if not isinstance(days, list) or not days:
        problems.append(f'schedule_args.days must be a non-empty list of day names, got {_show(days)}')
        return
    for day in days:
        if day != ALL_DAYS and day not in DAY_NAMES:
            problems.append(f'schedule_args.days has {_show(day)}; allowed: {", ".join(DAY_NAMES)}, {ALL_DAYS}')


def validate_schedule(schedule, schedule_args):
    """Every problem with schedule and schedule_args (CONTRACT §2.2), [] when they are fine."""
    if schedule not in SCHEDULES:
        return [f'schedule must be one of {", ".join(SCHEDULES)}, got {_show(schedule)}']
    if schedule == 'IMMEDIATE':
        if schedule_args:
            return ['schedule_args must be empty or null for an IMMEDIATE schedule']
        return []
    if not isinstance(schedule_args, dict):
        return [f'schedule_args (an object) is required for a {schedule} schedule']
    problems = []
    name = schedule_args.get('name')
    if not isinstance(name, str) or not name:
        problems.append(f'schedule_args.name must be a non-empty string, got {_show(name)}')
    start = _check_datetime(schedule_args, 'start_datetime', problems)
    end = _check_datetime(schedule_args, 'end_datetime', problems)
    if start is not None and end is not None and end <= start:
        problems.append('schedule_args.end_datetime must be later than start_datetime')
    time_type = schedule_args.get('time_type')
    if time_type not in ('console', 'device'):
        problems.append(f'schedule_args.time_type must be console or device, got {_show(time_type)}')
    recurring = schedule == 'RECURRING'
    _check_time_of_day(schedule_args, 'window_start_time', recurring, problems)
    _check_time_of_day(schedule_args, 'window_end_time', recurring, problems)
    _check_days(schedule_args, recurring, problems)
    return problems
