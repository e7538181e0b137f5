# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""The Esper command catalogue as data: every command of the Command Request API, its arguments and platforms.

Validation, documentation and idempotency all read the COMMANDS table; no module repeats it.
Sources are CONTRACT section 4.1 (the 50 command names), 4.3 (arguments), 5 (Wi-Fi) and 6 (certificates).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import ipaddress
import json
import re
from collections import namedtuple

try:
    import zoneinfo
except ImportError:  # Python 3.8
    zoneinfo = None

from ansible.module_utils.parsing.convert_bool import boolean

# One command argument.
#   type: 'str', 'int', 'bool', 'dict', 'list', 'raw' (anything), 'numeric_str' (a whole number sent as a string,
#         an int is accepted and converted), 'ipv4', 'bool_str' ("true"/"false" sent as a string, a boolean is
#         accepted and converted), 'access_points' (see section 5.1).
#   default: filled in by normalise_command_args when the user leaves the argument out, so a required
#         argument with a default is never reported missing.
#   also_allowed: single values allowed outside minimum..maximum (screen_off_timeout's -1).
#   format_hint: what a value must look like, used in messages instead of a raw pattern or type name.
#   inner_secrets: keys inside the value whose values are secrets (Wi-Fi passwords inside access points).
#   check: a function(value) -> bool run on a string value after choices and pattern; False means the value is
#         not what format_hint says (a time zone name the tz database does not know, text that is not base64).
ArgSpec = namedtuple('ArgSpec', [
    'name', 'type', 'required', 'choices', 'minimum', 'maximum', 'pattern', 'secret', 'description',
    'default', 'also_allowed', 'format_hint', 'inner_secrets', 'check',
])
ArgSpec.__new__.__defaults__ = (False, None, None, None, None, False, '', None, (), '', (), None)

# One command.
#   platforms: the device platforms the command works on (section 4.3; unlisted means Android).
#   schedulable: Esper runs WINDOW and RECURRING schedules only on Android devices (section 2), so a command is
#         schedulable exactly when it runs on Android.
#   state: the StateSpec that says which device-reported value the command sets, or None.
#   open_args: the arguments are not documented (APPLY_APP_CONFIG, RUN_CUSTOM_ACTION): any dict is accepted as is.
#   required_when: tuples (arg, value, names) meaning the names are required when arg equals value.
#   required_one_of: tuples of names of which at least one must be given.
CommandSpec = namedtuple('CommandSpec', [
    'name', 'description', 'args', 'platforms', 'schedulable', 'state', 'open_args', 'required_when',
    'required_one_of',
])
CommandSpec.__new__.__defaults__ = (None, False, (), ())

# Where a state command's current value can be read back (section 7.3).
#   source: 'devicestate' (GET device/v0/devices/<id>/devicestate) or 'device' (the DeviceInfo record).
#   field: the key in that record; arg: the command_args key that sets it;
#   to_device_value(normalised arg value) -> the value the device reports once the command has run.
StateSpec = namedtuple('StateSpec', ['source', 'field', 'arg', 'to_device_value'])

ANDROID = 'Android'
IOS = 'iOS'
WINDOWS = 'Windows'
LINUX = 'Linux'
PLATFORMS = (ANDROID, IOS, WINDOWS, LINUX)
# Other spellings of platform names used by the Esper APIs (the v2 device platform enum says APPLE).
PLATFORM_ALIASES = {'apple': IOS, 'ipados': IOS, 'tvos': IOS}

ROTATION_STATES = {0: 'AUTO', 1: 'PORTRAIT_ONLY', 2: 'LANDSCAPE_ONLY'}
LOCATION_MODES = {
    0: 'LOCATION_MODE_HIGH_ACCURACY',
    1: 'LOCATION_MODE_SENSORS_ONLY',
    2: 'LOCATION_MODE_BATTERY_SAVING',
    3: 'LOCATION_MODE_OFF',
    4: 'LOCATION_MODE_ON',
}
ACCESS_POINT_SECRETS = ('wifi_password', 'certificate_file_password')

LOCALE_PATTERN = r'^[a-z]{2,3}(_[A-Z][a-z]{3})?_([A-Z]{2}|[0-9]{3})$'
# A tz database name: 'UTC', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'EST5EDT'.
TIMEZONE_PATTERN = r'^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$'
TIMEZONE_HINT = 'an IANA time zone name such as Europe/Berlin, America/Argentina/Buenos_Aires or UTC'
# Without the tz database (Python 3.8, or no tzdata): Area/Location[/Location] in the tz database's areas, the
# Etc zones and the few names without an area.
_TIMEZONE_FALLBACK = re.compile(
    r'^(?:(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Brazil|Canada|Chile|Mexico|US)'
    r'/[A-Z][A-Za-z_\-]*[a-z](?:/[A-Z][A-Za-z_\-]*[a-z])?'
    r'|Etc/(?:UTC|UCT|GMT|Greenwich|Universal|Zulu|GMT[+-](?:[0-9]|1[0-4]))'
    r'|UTC|GMT|UCT|Zulu|Universal|Greenwich|EST5EDT|CST6CDT|MST7MDT|PST8PDT|EST|MST|HST|CET|EET|MET|WET)$')
UUID_PATTERN = r'^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
APP_VERSION_HINT = 'the UUID of an app version uploaded to Esper (8-4-4-4-12 hexadecimal digits, such as 0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11)'
BASE64_HINT = 'standard base64 text (A-Z, a-z, 0-9, + and /, padded with =; spaces and line breaks allowed)'
_WHOLE_NUMBER = re.compile(r'^[+-]?[0-9]+$')
_DIGITS = re.compile(r'^[0-9]+$')


_KNOWN_TIMEZONES = []


def known_timezones():
    """The tz database's zone names (zoneinfo.available_timezones()), or an empty set on Python 3.8 or without tzdata."""
    if not _KNOWN_TIMEZONES:
        names = frozenset()
        if zoneinfo is not None:
            try:
                names = frozenset(zoneinfo.available_timezones())
            except (OSError, ValueError):
                names = frozenset()
        _KNOWN_TIMEZONES.append(names)
    return _KNOWN_TIMEZONES[0]


def is_timezone_name(value):
    """check for timezone_string: a zone of the tz database, or when none can be read, one of the strict pattern."""
    known = known_timezones()
    if known:
        return value in known
    return _TIMEZONE_FALLBACK.match(value) is not None


def is_base64(value):
    """check for base64 arguments: standard base64 once whitespace and line breaks are removed (strict, padded)."""
    compact = ''.join(value.split())
    if not compact:
        return False
    try:
        base64.b64decode(compact.encode('ascii'), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return True


def reported_as_is(value):
    """to_device_value for settings the device reports exactly as they are sent (ints, strings)."""
    return value


def reported_as_boolean(value):
    """to_device_value for on/off settings: the device reports a JSON boolean."""
    return bool(value)


def rotation_state_name(rotate_state):
    """to_device_value for SET_ROTATION_STATE: 0/1/2 -> AUTO/PORTRAIT_ONLY/LANDSCAPE_ONLY (None if unknown)."""
    return ROTATION_STATES.get(rotate_state)


def location_mode_name(gps_state):
    """to_device_value for SET_GPS_STATE: 0..4 -> the LOCATION_MODE_* name the device reports (None if unknown)."""
    return LOCATION_MODES.get(gps_state)


def _arg(name, arg_type, description, **options):
    return ArgSpec(name, arg_type, description=description, **options)


def _required(name, arg_type, description, **options):
    return ArgSpec(name, arg_type, required=True, description=description, **options)


def _command(name, description, args=(), platforms=(ANDROID,), **options):
    return CommandSpec(name, description, tuple(args), tuple(platforms), ANDROID in platforms, **options)


PACKAGE_NAME = _required('package_name', 'str', 'The Android package name, for example com.example.app.')
APP_ID = _required('app_id', 'str', 'The VPP (Apple) app id.')
BUNDLE_IDENTIFIER = _required('bundle_identifier', 'str', 'The iOS bundle identifier, for example com.example.app.')
WIFI_ACCESS_POINTS = _required(
    'wifi_access_points', 'access_points',
    'The access points: a list of dicts with wifi_ssid (and for ADD_WIFI_AP wifi_password, wifi_security_type, '
    'hidden and the EAP keys), or a list of SSID strings, or one such dict.',
    inner_secrets=ACCESS_POINT_SECRETS,
    format_hint='a non-empty list of access points (dicts with wifi_ssid, or SSID strings), or one dict with wifi_ssid',
)
CERT_ALIAS_NAME = _required('cert_alias_name', 'str', 'The alias of the certificate in the system keystore (case-sensitive).')
CERT_STORAGE_TYPE = _required(
    'cert_storage_type', 'str', 'Where the certificate is stored; only system is supported (filled in when left out).',
    choices=('system',), default='system',
)
IPV4_HINT = 'an IPv4 address such as 192.0.2.10'

_COMMAND_LIST = (
    _command('ADD_TO_WHITELIST', 'Add an installed system app to the allow list.', [PACKAGE_NAME]),
    _command('ADD_WIFI_AP', 'Add Wi-Fi access points; wifi_password and certificate_file_password inside them are secrets.',
             [WIFI_ACCESS_POINTS]),
    _command('APPLY_APP_CONFIG', 'Apply a managed app configuration; its arguments are not documented, so any dict is sent as given.',
             open_args=True),
    _command('CLEAR_APP_DATA', "Clear an app's data.", [PACKAGE_NAME]),
    _command('CONVERGE', 'Converge the device to its blueprint.',
             [_arg('is_converge', 'bool', 'Converge flag of the blueprint framework.')]),
    _command('INSTALL', 'Install an app version uploaded to Esper.',
             [_required('app_version', 'str', 'The UUID of the app version uploaded to Esper.', pattern=UUID_PATTERN,
                        format_hint=APP_VERSION_HINT)]),
    _command('INSTALL_CERTIFICATE', 'Install a PKCS#12 certificate in the system keystore (Android 9+); the data and password are secrets.', [
        _required('cert_file_type', 'str', 'The certificate file type; only pkcs12 is supported (filled in when left out).',
                  choices=('pkcs12',), default='pkcs12'),
        _required('cert_data_base64', 'str', 'Base64 of the .p12 file, full chain included.', secret=True, check=is_base64,
                  format_hint=BASE64_HINT),
        CERT_ALIAS_NAME,
        CERT_STORAGE_TYPE,
        _arg('cert_password', 'str', 'The password of the .p12 file, when it has one.', secret=True),
    ]),
    _command('LIST_INSTALLED_PROFILES', 'List the configuration profiles installed on an iOS device.',
             [_arg('managed_only', 'bool', 'Only the profiles installed by the MDM.')], platforms=(IOS,)),
    _command('LOCK', 'Lock the screen.', platforms=(ANDROID, IOS, WINDOWS)),
    _command('REBOOT', 'Reboot the device.', platforms=(ANDROID, IOS, WINDOWS)),
    _command('REMOVE_FROM_WHITELIST', 'Remove an installed system app from the allow list.', [PACKAGE_NAME]),
    _command('REMOVE_PROFILE', 'Remove a configuration profile from an iOS device.',
             [_required('profile_identifier', 'str', 'The identifier of the profile.')], platforms=(IOS,)),
    _command('REMOVE_WIFI_AP', 'Remove Wi-Fi access points (Esper itself sends a list of SSID strings).', [WIFI_ACCESS_POINTS]),
    _command('SET_APP_PERMISSION', 'Grant, deny or reset an Android permission of an app.', [
        PACKAGE_NAME,
        _required('permission', 'str', 'The Android permission name, for example android.permission.CAMERA.'),
        _required('grant_state', 'str', 'The grant state.',
                  choices=('PERMISSION_GRANT_STATE_DEFAULT', 'PERMISSION_GRANT_STATE_DENIED', 'PERMISSION_GRANT_STATE_GRANTED')),
    ]),
    _command('SET_APP_STATE', 'Show, hide or disable an app.', [
        _required('app_state', 'str', 'The app state; LAUNCHABLE_BUT_HIDDEN needs Esper agent 8.5 or later.',
                  choices=('SHOW', 'HIDE', 'DISABLE', 'LAUNCHABLE_BUT_HIDDEN')),
        PACKAGE_NAME,
    ]),
    _command('SET_BLUETOOTH_STATE', 'Turn Bluetooth on or off.',
             [_required('bluetooth_state', 'bool', 'true turns Bluetooth on.')],
             state=StateSpec('devicestate', 'bluetooth_state', 'bluetooth_state', reported_as_boolean)),
    _command('SET_BRIGHTNESS_SCALE', 'Set the screen brightness in percent.',
             [_required('brightness_value', 'int', 'Brightness in percent.', minimum=1, maximum=100)],
             state=StateSpec('devicestate', 'brightness_scale', 'brightness_value', reported_as_is)),
    _command('SET_DEVICE_LOCKDOWN_STATE', 'Lock the device down with a message, or release it.', [
        _required('state', 'str', 'The lockdown state.', choices=('LOCKED', 'UNLOCKED')),
        _required('message', 'str', 'The message shown on the locked device.'),
    ]),
    _command('SET_GPS_STATE', 'Set the location mode.',
             [_required('gps_state', 'int', '0 high accuracy, 1 sensors only, 2 battery saving, 3 off, 4 on.', minimum=0, maximum=4)],
             state=StateSpec('devicestate', 'gps_state', 'gps_state', location_mode_name)),
    _command('SET_KIOSK_APP', 'Put the device in kiosk mode with one app.', [PACKAGE_NAME]),
    _command('SET_MULTI_APP_MODE', 'Switch the device from kiosk mode back to multi-app mode.'),
    _command('SET_NEW_POLICY', 'Apply a policy of the legacy policy framework.',
             [_required('policy_url', 'str', 'The URL of the policy.')]),
    _command('SET_ROTATION_STATE', 'Set the screen rotation.',
             [_required('rotate_state', 'int', '0 auto, 1 portrait only, 2 landscape only.', minimum=0, maximum=2)],
             state=StateSpec('devicestate', 'rotation_state', 'rotate_state', rotation_state_name)),
    _command('SET_SCREEN_OFF_TIMEOUT', 'Set the screen-off timeout in milliseconds (-1 presumably never).',
             [_required('screen_off_timeout', 'int', 'Timeout in milliseconds, or -1.', minimum=5000, maximum=1800000,
                        also_allowed=(-1,))],
             state=StateSpec('devicestate', 'screen_off_timeout', 'screen_off_timeout', reported_as_is)),
    _command('SET_STREAM_VOLUME', 'Set the volume of one audio stream.', [
        _required('stream', 'int', '0 ring, 1 notification, 2 alarm, 3 music.', minimum=0, maximum=3),
        _required('volume_level', 'int', 'Volume in percent.', minimum=0, maximum=100),
    ]),
    _command('SET_TIMEZONE', 'Set the time zone.',
             [_required('timezone_string', 'str', 'An IANA (tz database) time zone name such as America/New_York or UTC.',
                        pattern=TIMEZONE_PATTERN, check=is_timezone_name, format_hint=TIMEZONE_HINT)],
             state=StateSpec('device', 'timezone_string', 'timezone_string', reported_as_is)),
    _command('SET_WIFI_STATE', 'Turn Wi-Fi on or off.', [
        _required('wifi_state', 'bool', 'true turns Wi-Fi on.'),
        _arg('wifi_revert_timeout', 'int', 'Revert timeout; meaning and unit are not documented.', minimum=1),
    ], state=StateSpec('devicestate', 'wifi_state', 'wifi_state', reported_as_boolean)),
    _command('UNINSTALL', 'Uninstall an app.', [PACKAGE_NAME]),
    _command('UNINSTALL_CERTIFICATE', 'Remove a certificate from the system keystore by alias (succeeds even if absent).',
             [CERT_ALIAS_NAME, CERT_STORAGE_TYPE]),
    _command('UPDATE_DEVICE_CONFIG', 'Push extra configuration (custom settings or a new alias name); needs at least one of them.', [
        _arg('custom_settings_config', 'dict', 'Custom settings, for example {"dpcParams": [{"key": "powerOff", "value": "true"}]}.'),
        _arg('device_alias_name', 'str', 'A new alias name for the device.'),
    ], required_one_of=(('custom_settings_config', 'device_alias_name'),)),
    _command('UPDATE_HEARTBEAT', 'Ping the device.'),
    _command('UPDATE_LATEST_DPC', 'Update the Esper agent (DPC).'),
    _command('WIPE', 'Wipe the device (on Windows is_factory_reset is required: true wipes and unenrolls, false only unenrolls).',
             [_arg('is_factory_reset', 'bool', 'Factory reset as well as unenroll (required on Windows).')],
             platforms=(ANDROID, WINDOWS)),
    _command('RESET_LOCKSCREEN_PASSWORD', 'Set a new lock-screen password; the password is a secret.',
             [_required('new_lockscreen_password', 'str', 'The new lock-screen password.', secret=True)]),
    _command('UPDATE_BLUEPRINT', 'Push or re-apply the current blueprint version.'),
    _command('NOTIFY_DEVICE', 'Show a notification (iOS devices do not receive it).', [
        _required('title', 'str', 'The notification title.'),
        _required('message', 'str', 'The notification text.'),
        _arg('url', 'str', 'A URL opened from the notification.'),
    ]),
    _command('SET_DEVICE_LANGUAGE', 'Set the device language.',
             [_required('locale', 'str', 'Language, optional script and country, for example en_US or zh_Hans_CN.',
                        pattern=LOCALE_PATTERN, format_hint='a locale such as en_US or zh_Hans_CN (language, optional script, country)')]),
    _command('SET_ETHERNET_SETTINGS', 'Configure Ethernet authentication (supported hardware only).', [
        _required('ethernet_auth_mode', 'str', 'NONE or EAP_TLS.', choices=('NONE', 'EAP_TLS')),
        _arg('ethernet_ca_cert_alias', 'str', 'Alias of the CA certificate (required with EAP_TLS).'),
        _arg('ethernet_client_cert_alias', 'str', 'Alias of the client certificate (required with EAP_TLS).'),
        _arg('ethernet_eap_identity', 'str', 'The EAP identity.'),
    ], required_when=(('ethernet_auth_mode', 'EAP_TLS', ('ethernet_ca_cert_alias', 'ethernet_client_cert_alias')),)),
    _command('SET_STATIC_IP', 'Set a static IP configuration (or DHCP) on the Wi-Fi or Ethernet interface.', [
        _required('interface', 'str', 'wlan or eth.', choices=('wlan', 'eth')),
        _required('dhcp_enabled', 'bool_str', 'Whether DHCP is on; sent as the string "true" or "false".'),
        _required('static_ip', 'ipv4', 'The static IPv4 address.', format_hint=IPV4_HINT),
        _required('primary_dns', 'ipv4', 'The primary DNS server.', format_hint=IPV4_HINT),
        _required('subnet_mask', 'numeric_str', 'The prefix length, sent as a string "1" to "32".', minimum=1, maximum=32,
                  format_hint='a prefix length string'),
        _required('gateway', 'ipv4', 'The default gateway.', format_hint=IPV4_HINT),
        _arg('secondary_dns', 'ipv4', 'The secondary DNS server.', format_hint=IPV4_HINT),
    ]),
    _command('BEEP_DEVICE', 'Make the device beep.',
             [_required('duration', 'numeric_str', 'Seconds, sent as a string "10" to "300".', minimum=10, maximum=300,
                        format_hint='a string of whole seconds')]),
    _command('SET_APP_NOTIFICATIONS', "Turn an app's notifications on or off.", [
        PACKAGE_NAME,
        _required('app_notifications_state', 'str', 'ENABLED or DISABLED.', choices=('ENABLED', 'DISABLED')),
    ]),
    _command('USE_ONLY_SAVED_WIFI_AP', 'Restrict Wi-Fi to the saved access points (the Wi-Fi allow list).',
             [_required('use_only_saved_ap', 'bool', 'true allows only the saved access points.')],
             state=StateSpec('devicestate', 'use_only_saved_ap', 'use_only_saved_ap', reported_as_boolean)),
    _command('DEVICE_INFORMATION', 'Ask the device to refresh its information report.'),
    _command('VPP_APP_INSTALL', 'Install a VPP app on an iOS device.', [APP_ID, BUNDLE_IDENTIFIER], platforms=(IOS,)),
    _command('APPLE_APP_UNINSTALL', 'Uninstall an app from an iOS device.', [APP_ID, BUNDLE_IDENTIFIER], platforms=(IOS,)),
    _command('CLEAR_PASSCODE', 'Clear the passcode of an Apple device.', platforms=(IOS,)),
    _command('INSTALL_PROFILE', 'Install a configuration profile on an iOS device.',
             [_required('profile', 'str', 'Base64 of the plist profile.')], platforms=(IOS,)),
    _command('RUN_SHELL_SCRIPT', 'Run a script (bash, zsh or sh on Linux, powershell on Windows).', [
        _required('script', 'str', 'The whole script.'),
        _required('interpreter', 'str', 'bash, zsh or sh on Linux; powershell on Windows.',
                  choices=('bash', 'zsh', 'sh', 'powershell')),
        _arg('execute_as', 'str', 'root, or leave out for the default Esper user (Linux only).'),
    ], platforms=(LINUX, WINDOWS)),
    _command('RUN_CUSTOM_ACTION', 'Run a custom action; its parameters are not documented, so any dict is sent as given.',
             platforms=(LINUX,), open_args=True),
    _command('COLLECT_LOGS', 'Upload the Esper agent logs.', platforms=(LINUX,)),
)

COMMANDS = dict((spec.name, spec) for spec in _COMMAND_LIST)
COMMAND_NAMES = sorted(COMMANDS)
STATE_COMMANDS = sorted(name for name, spec in COMMANDS.items() if spec.state is not None)

# Commands that destroy data or lock people out: they need max_devices (the rollout guard), and their groups are always
# expanded so the count is known before anything is sent. name -> (condition, why); condition None means always, or
# (arg, value): only when command_args[arg] == value. Considered and NOT marked: CLEAR_PASSCODE (it removes the
# passcode of an iOS device: nothing is erased and nobody is locked out; the user sets a new one), LOCK (the screen
# locks; the user's own passcode opens it), UNINSTALL_CERTIFICATE (the alias can be installed again remotely).
DESTRUCTIVE_COMMANDS = {
    'WIPE': (None, 'it erases the device (factory reset) or unenrolls it; neither can be undone remotely'),
    'RESET_LOCKSCREEN_PASSWORD': (None, "it replaces the lock-screen password the device's users know, locking them out"),
    'CLEAR_APP_DATA': (None, "it deletes the app's data on the device"),
    'UNINSTALL': (None, 'it removes the app and its data from the device'),
    'APPLE_APP_UNINSTALL': (None, 'it removes the app and its data from the device'),
    'REMOVE_PROFILE': (None, 'a configuration profile can carry the Wi-Fi, VPN and certificates the device needs to reach '
                             'its network and Esper; without them it may be reachable only by hand'),
    'SET_DEVICE_LOCKDOWN_STATE': (('state', 'LOCKED'), 'state LOCKED locks everyone out of the device until it is released'),
}


def destructive_reason(command, command_args=None):
    """Why command (with these command_args) destroys data or locks people out, or None when it does not."""
    entry = DESTRUCTIVE_COMMANDS.get(command)
    if entry is None:
        return None
    condition, reason = entry
    if condition is not None:
        arg, value = condition
        if not isinstance(command_args, dict) or command_args.get(arg) != value:
            return None
    return reason


# How a secret string that fails a pattern or check is described: its value is never shown.
SECRET_MISFIT = 'a string that does not fit (not shown: it is a secret)'


class _Invalid(Exception):
    """Raised by a type check with the text saying what the value must be.

    secret_shown: how the value is described when it is a secret (its kind, never the value itself).
    """

    def __init__(self, requirement, secret_shown='a value of the wrong type'):
        super(_Invalid, self).__init__(requirement)
        self.requirement = requirement
        self.secret_shown = secret_shown


def show_value(value):
    """Render a non-secret value for a message: scalars as JSON (so "60" and 60 differ), containers by kind only."""
    if isinstance(value, dict):
        return 'a dict'
    if isinstance(value, (list, tuple)):
        return 'a list'
    if isinstance(value, (bool, int, float, str)) or value is None:
        text = json.dumps(value)
        return text if len(text) <= 80 else text[:77] + '..."'
    return 'a value of type %s' % type(value).__name__


def _join_choices(values):
    return ', '.join(str(value) for value in values)


def _integer_requirement(arg):
    if arg.minimum is not None and arg.maximum is not None:
        text = 'an integer from %d to %d' % (arg.minimum, arg.maximum)
    elif arg.minimum is not None:
        text = 'an integer of at least %d' % arg.minimum
    elif arg.maximum is not None:
        text = 'an integer of at most %d' % arg.maximum
    else:
        text = 'an integer'
    if arg.also_allowed:
        text = '%s or %s' % (' or '.join(str(value) for value in arg.also_allowed), text)
    return text


def _in_range(arg, number):
    if number in arg.also_allowed:
        return True
    return (arg.minimum is None or number >= arg.minimum) and (arg.maximum is None or number <= arg.maximum)


def _check_int(arg, value):
    # A digit string is accepted because templated values often arrive as strings.
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.match(value.strip()):
        number = int(value.strip())
    else:
        raise _Invalid(_integer_requirement(arg))
    if not _in_range(arg, number):
        raise _Invalid(_integer_requirement(arg))
    return number


def _check_numeric_str(arg, value):
    # YAML turns `duration: 60` into an int; the API wants "60", so ints are accepted and converted.
    requirement = '%s from "%d" to "%d"' % (arg.format_hint or 'a string holding a whole number', arg.minimum, arg.maximum)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value):
        number = int(value)
    else:
        raise _Invalid(requirement)
    if not _in_range(arg, number):
        raise _Invalid(requirement)
    return str(number)


def _as_boolean(value):
    """Return value as True/False, or None when it is neither a boolean nor one of Ansible's truthy strings."""
    # Ansible's own truthy strings (yes/no/true/false/on/off/...) are accepted; numbers are not.
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return boolean(value.strip().lower(), strict=True)
        except TypeError:
            return None
    return None


def _check_bool(arg, value):
    flag = _as_boolean(value)
    if flag is None:
        raise _Invalid('a boolean (true or false)')
    return flag


def _check_bool_str(arg, value):
    flag = _as_boolean(value)
    if flag is None:
        raise _Invalid('"true" or "false" (a boolean is converted)')
    return 'true' if flag else 'false'


def _check_str(arg, value):
    # YAML numbers (a numeric VPP app id, say) are converted to strings the way Ansible's type=str would,
    # except for secrets: an unquoted PIN such as 0123 has already lost its leading zero, so it must be quoted.
    if isinstance(value, int) and not isinstance(value, bool):
        if arg.secret:
            raise _Invalid('a string (quote numeric secrets in YAML, or leading zeros are lost)')
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _Invalid('a non-empty string')
    if arg.choices and value not in arg.choices:
        raise _Invalid('one of %s' % _join_choices(arg.choices))
    if arg.pattern and not re.match(arg.pattern, value):
        raise _Invalid(arg.format_hint or 'a string matching %s' % arg.pattern, secret_shown=SECRET_MISFIT)
    if arg.check is not None and not arg.check(value):
        raise _Invalid(arg.format_hint or 'a valid %s' % arg.name, secret_shown=SECRET_MISFIT)
    return value


def _check_ipv4(arg, value):
    if isinstance(value, str):
        try:
            return str(ipaddress.IPv4Address(value.strip()))
        except ValueError:
            pass
    raise _Invalid(arg.format_hint or 'an IPv4 address')


def _check_dict(arg, value):
    if not isinstance(value, dict):
        raise _Invalid('a dict')
    return value


def _check_list(arg, value):
    if not isinstance(value, list):
        raise _Invalid('a list')
    return value


def _check_raw(arg, value):
    return value


def _kind_of(value):
    """Name the kind of a value without showing it (access points may hold passwords)."""
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, (list, tuple)):
        return 'a list'
    if isinstance(value, dict):
        return 'a dict'
    if isinstance(value, str):
        return 'an empty string' if not value.strip() else 'a string'
    return 'null' if value is None else 'a value of type %s' % type(value).__name__


def _access_point_problem(path, access_point):
    """The problem with one access point (an SSID string or a dict with wifi_ssid), or None."""
    if isinstance(access_point, str) and access_point.strip():
        return None
    if isinstance(access_point, dict):
        ssid = access_point.get('wifi_ssid')
        if isinstance(ssid, str) and ssid.strip():
            return None
        return '%s.wifi_ssid must be a non-empty string, got %s' % (path, _kind_of(ssid))
    return '%s must be an SSID string or a dict with wifi_ssid, got %s' % (path, _kind_of(access_point))


def _access_points_problems(arg, path, value):
    """Every problem with a wifi_access_points value (section 5.1); values are never echoed."""
    if isinstance(value, dict):
        problem = _access_point_problem(path, value)
        return [problem] if problem else []
    if not isinstance(value, list) or not value:
        return ['%s must be %s, got %s' % (path, arg.format_hint, _kind_of(value))]
    problems = []
    for index, access_point in enumerate(value):
        problem = _access_point_problem('%s[%d]' % (path, index), access_point)
        if problem:
            problems.append(problem)
    return problems


_TYPE_CHECKS = {
    'str': _check_str,
    'int': _check_int,
    'bool': _check_bool,
    'bool_str': _check_bool_str,
    'numeric_str': _check_numeric_str,
    'ipv4': _check_ipv4,
    'dict': _check_dict,
    'list': _check_list,
    'raw': _check_raw,
}


def _unknown_command_message(command):
    return 'unknown command %s; allowed: %s' % (show_value(command) if not isinstance(command, str) else command,
                                                ', '.join(COMMAND_NAMES))


def _given(command_args, name):
    return command_args.get(name) is not None


def _check_arg(arg, value):
    """Return (normalised value, list of problems) for one given argument."""
    path = 'command_args.%s' % arg.name
    if arg.type == 'access_points':
        return value, _access_points_problems(arg, path, value)
    try:
        return _TYPE_CHECKS[arg.type](arg, value), []
    except _Invalid as invalid:
        shown = invalid.secret_shown if arg.secret else show_value(value)
        return None, ['%s must be %s, got %s' % (path, invalid.requirement, shown)]


def _unknown_arg_message(spec, name):
    if spec.args:
        allowed = '(allowed: %s)' % ', '.join(sorted(arg.name for arg in spec.args))
    else:
        allowed = '(%s takes no arguments)' % spec.name
    return 'command_args.%s is not an argument of %s %s' % (name, spec.name, allowed)


def _rule_problems(spec, command_args, normalised):
    problems = []
    for when_arg, when_value, names in spec.required_when:
        if normalised.get(when_arg) == when_value:
            for name in names:
                if not _given(command_args, name):
                    problems.append('command_args.%s is required for %s when %s is %s' % (name, spec.name, when_arg, when_value))
    for names in spec.required_one_of:
        if not any(_given(command_args, name) for name in names):
            problems.append('%s needs at least one of %s' % (spec.name, ', '.join('command_args.%s' % name for name in names)))
    return problems


def _validate(command, command_args):
    """Return (normalised dict, problems); the one place that walks a command's arguments."""
    spec = COMMANDS.get(command) if isinstance(command, str) else None
    if spec is None:
        return None, [_unknown_command_message(command)]
    if command_args is None:
        command_args = {}
    if not isinstance(command_args, dict):
        return None, ['command_args must be a dict, got %s' % _kind_of(command_args)]
    if spec.open_args:
        return dict(command_args), []
    problems = []
    normalised = {}
    for arg in spec.args:
        if not _given(command_args, arg.name):
            if arg.default is not None:
                normalised[arg.name] = arg.default
            elif arg.required:
                problems.append('command_args.%s is required for %s' % (arg.name, spec.name))
            continue
        value, arg_problems = _check_arg(arg, command_args[arg.name])
        problems.extend(arg_problems)
        if not arg_problems:
            normalised[arg.name] = value
    known = set(arg.name for arg in spec.args)
    for name in sorted(command_args, key=str):
        if name not in known and _given(command_args, name):
            problems.append(_unknown_arg_message(spec, name))
    problems.extend(_rule_problems(spec, command_args, normalised))
    return normalised, problems


def validate_command_args(command, command_args):
    """Return every problem with command and command_args as user-readable messages ([] when all is fine).

    Messages name the option path and the allowed values, and never contain the value of a secret argument.
    None values count as not given. For commands with open_args any dict is accepted.
    """
    return _validate(command, command_args)[1]


def normalise_command_args(command, command_args):
    """Return the command_args to send: None values dropped, defaults filled in, values converted.

    Integers given as digit strings become ints, booleans given as Ansible truthy strings become booleans,
    numeric strings (duration, subnet_mask) given as ints become strings, dhcp_enabled becomes "true"/"false",
    and cert_file_type/cert_storage_type default to pkcs12/system. Open-argument commands are sent as given.
    Raises ValueError with every problem when the arguments are not valid (messages never include secrets).
    """
    normalised, problems = _validate(command, command_args)
    if problems:
        raise ValueError('; '.join(problems))
    return normalised


def secret_arg_names(command):
    """Return the set of command_args keys (including keys inside access points) whose values are secrets.

    An unknown command has no known secrets and gives an empty set.
    """
    spec = COMMANDS.get(command)
    names = set()
    if spec is None:
        return names
    for arg in spec.args:
        if arg.secret:
            names.add(arg.name)
        names.update(arg.inner_secrets)
    return names


def _canonical_platform(platform):
    if not isinstance(platform, str):
        return None
    lowered = platform.strip().lower()
    for known in PLATFORMS:
        if known.lower() == lowered:
            return known
    return PLATFORM_ALIASES.get(lowered)


def commands_for_platform(platform):
    """Return the sorted names of the commands that work on platform (Android, iOS/Apple, Windows, Linux; any case).

    Raises ValueError naming the known platforms when platform is not one of them.
    """
    canonical = _canonical_platform(platform)
    if canonical is None:
        raise ValueError('unknown platform %s; allowed: %s' % (show_value(platform), ', '.join(PLATFORMS)))
    return [name for name in COMMAND_NAMES if canonical in COMMANDS[name].platforms]


def _summarise_arg(arg):
    if arg.type == 'int':
        kind = _integer_requirement(arg)
    elif arg.type == 'numeric_str':
        kind = '%s from "%d" to "%d"' % (arg.format_hint or 'a string holding a whole number', arg.minimum, arg.maximum)
    elif arg.choices:
        kind = 'one of %s' % _join_choices(arg.choices)
    elif arg.format_hint:
        kind = arg.format_hint
    else:
        kind = {'str': 'a string', 'bool': 'a boolean', 'bool_str': '"true" or "false"', 'dict': 'a dict',
                'list': 'a list', 'raw': 'any value'}.get(arg.type, arg.type)
    notes = ['required' if arg.required and arg.default is None else 'optional']
    if arg.default is not None:
        notes.append('default %s' % arg.default)
    if arg.secret:
        notes.append('secret')
    return '%s (%s; %s)' % (arg.name, kind, ', '.join(notes))


def describe_command(spec):
    """One line describing a command: what it does, its platforms and a summary of its arguments."""
    if spec.open_args:
        arguments = 'Arguments: any dict, sent as given.'
    elif spec.args:
        arguments = 'Arguments: %s.' % '; '.join(_summarise_arg(arg) for arg in spec.args)
    else:
        arguments = 'No arguments.'
    platforms = 'Platforms: %s%s.' % (', '.join(spec.platforms), '' if spec.schedulable else ' (cannot be scheduled)')
    return '%s %s %s' % (spec.description, platforms, arguments)


def describe_commands():
    """Return a dict command name -> one-line description with platforms and an argument summary (for docs)."""
    return dict((name, describe_command(COMMANDS[name])) for name in COMMAND_NAMES)


def command_for_state(state_spec):
    """The name of the command whose StateSpec is state_spec, or None when no command of the catalogue has it."""
    for name in STATE_COMMANDS:
        if COMMANDS[name].state is state_spec:
            return name
    for name in STATE_COMMANDS:
        if COMMANDS[name].state == state_spec:
            return name
    return None


def state_commands():
    """Return a dict command name -> StateSpec for every command whose effect can be read back from the device."""
    return dict((name, COMMANDS[name].state) for name in STATE_COMMANDS)
