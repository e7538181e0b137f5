# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the command catalogue: the table against CONTRACT section 4, and argument validation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pickle

import pytest

from ansible_collections.esper.mdm.plugins.module_utils import _catalogue as catalogue
from ansible_collections.esper.mdm.plugins.module_utils._catalogue import (
    COMMAND_NAMES,
    COMMANDS,
    STATE_COMMANDS,
    commands_for_platform,
    describe_commands,
    normalise_command_args,
    secret_arg_names,
    state_commands,
    validate_command_args,
)

# CONTRACT section 4.1, the CR enum, copied by hand so that the table is checked against the source.
CONTRACT_COMMANDS = [
    'ADD_TO_WHITELIST', 'ADD_WIFI_AP', 'APPLY_APP_CONFIG', 'CLEAR_APP_DATA', 'CONVERGE', 'INSTALL', 'INSTALL_CERTIFICATE',
    'LIST_INSTALLED_PROFILES', 'LOCK', 'REBOOT',
    'REMOVE_FROM_WHITELIST', 'REMOVE_PROFILE', 'REMOVE_WIFI_AP', 'SET_APP_PERMISSION', 'SET_APP_STATE', 'SET_BLUETOOTH_STATE',
    'SET_BRIGHTNESS_SCALE', 'SET_DEVICE_LOCKDOWN_STATE', 'SET_GPS_STATE', 'SET_KIOSK_APP',
    'SET_MULTI_APP_MODE', 'SET_NEW_POLICY', 'SET_ROTATION_STATE', 'SET_SCREEN_OFF_TIMEOUT', 'SET_STREAM_VOLUME', 'SET_TIMEZONE',
    'SET_WIFI_STATE', 'UNINSTALL', 'UNINSTALL_CERTIFICATE', 'UPDATE_DEVICE_CONFIG',
    'UPDATE_HEARTBEAT', 'UPDATE_LATEST_DPC', 'WIPE', 'RESET_LOCKSCREEN_PASSWORD', 'UPDATE_BLUEPRINT', 'NOTIFY_DEVICE',
    'SET_DEVICE_LANGUAGE', 'SET_ETHERNET_SETTINGS', 'SET_STATIC_IP', 'BEEP_DEVICE',
    'SET_APP_NOTIFICATIONS', 'USE_ONLY_SAVED_WIFI_AP', 'DEVICE_INFORMATION', 'VPP_APP_INSTALL', 'APPLE_APP_UNINSTALL',
    'CLEAR_PASSCODE', 'INSTALL_PROFILE', 'RUN_SHELL_SCRIPT', 'RUN_CUSTOM_ACTION', 'COLLECT_LOGS',
]

# The smallest valid command_args of every command (section 4.3): every required key, nothing else.
MINIMAL_ARGS = {
    'ADD_TO_WHITELIST': {'package_name': 'com.example.app'},
    'ADD_WIFI_AP': {'wifi_access_points': [{'wifi_ssid': 'Corp', 'wifi_password': 'pw-secret-1'}]},
    'APPLY_APP_CONFIG': {},
    'CLEAR_APP_DATA': {'package_name': 'com.example.app'},
    'CONVERGE': {},
    'INSTALL': {'app_version': '6f1c2d3e-0000-4a5b-8c9d-000000000001'},
    'INSTALL_CERTIFICATE': {'cert_data_base64': 'TUlJSw==', 'cert_alias_name': 'corp-ca'},
    'LIST_INSTALLED_PROFILES': {},
    'LOCK': {},
    'REBOOT': {},
    'REMOVE_FROM_WHITELIST': {'package_name': 'com.example.app'},
    'REMOVE_PROFILE': {'profile_identifier': 'com.example.profile'},
    'REMOVE_WIFI_AP': {'wifi_access_points': ['Guest-WiFi']},
    'SET_APP_PERMISSION': {'package_name': 'com.example.app', 'permission': 'android.permission.CAMERA',
                           'grant_state': 'PERMISSION_GRANT_STATE_GRANTED'},
    'SET_APP_STATE': {'package_name': 'com.example.app', 'app_state': 'HIDE'},
    'SET_BLUETOOTH_STATE': {'bluetooth_state': True},
    'SET_BRIGHTNESS_SCALE': {'brightness_value': 60},
    'SET_DEVICE_LOCKDOWN_STATE': {'state': 'LOCKED', 'message': 'Call IT'},
    'SET_GPS_STATE': {'gps_state': 0},
    'SET_KIOSK_APP': {'package_name': 'com.example.app'},
    'SET_MULTI_APP_MODE': {},
    'SET_NEW_POLICY': {'policy_url': 'https://example.com/policy/1/'},
    'SET_ROTATION_STATE': {'rotate_state': 1},
    'SET_SCREEN_OFF_TIMEOUT': {'screen_off_timeout': 60000},
    'SET_STREAM_VOLUME': {'stream': 3, 'volume_level': 50},
    'SET_TIMEZONE': {'timezone_string': 'America/New_York'},
    'SET_WIFI_STATE': {'wifi_state': False},
    'UNINSTALL': {'package_name': 'com.example.app'},
    'UNINSTALL_CERTIFICATE': {'cert_alias_name': 'corp-ca'},
    'UPDATE_DEVICE_CONFIG': {'device_alias_name': 'till-3'},
    'UPDATE_HEARTBEAT': {},
    'UPDATE_LATEST_DPC': {},
    'WIPE': {},
    'RESET_LOCKSCREEN_PASSWORD': {'new_lockscreen_password': 'pin-secret-1'},
    'UPDATE_BLUEPRINT': {},
    'NOTIFY_DEVICE': {'title': 'Hello', 'message': 'Store opens at 9'},
    'SET_DEVICE_LANGUAGE': {'locale': 'en_US'},
    'SET_ETHERNET_SETTINGS': {'ethernet_auth_mode': 'NONE'},
    'SET_STATIC_IP': {'interface': 'eth', 'dhcp_enabled': 'false', 'static_ip': '192.0.2.10', 'primary_dns': '192.0.2.53',
                      'subnet_mask': '24', 'gateway': '192.0.2.1'},
    'BEEP_DEVICE': {'duration': '30'},
    'SET_APP_NOTIFICATIONS': {'package_name': 'com.example.app', 'app_notifications_state': 'DISABLED'},
    'USE_ONLY_SAVED_WIFI_AP': {'use_only_saved_ap': True},
    'DEVICE_INFORMATION': {},
    'VPP_APP_INSTALL': {'app_id': '361309726', 'bundle_identifier': 'com.example.app'},
    'APPLE_APP_UNINSTALL': {'app_id': '361309726', 'bundle_identifier': 'com.example.app'},
    'CLEAR_PASSCODE': {},
    'INSTALL_PROFILE': {'profile': 'PD94bWw='},
    'RUN_SHELL_SCRIPT': {'script': 'echo hi', 'interpreter': 'bash'},
    'RUN_CUSTOM_ACTION': {},
    'COLLECT_LOGS': {},
}

REQUIRED_KEYS = [
    (command, key)
    for command, args in sorted(MINIMAL_ARGS.items())
    for key in sorted(args)
    if command != 'UPDATE_DEVICE_CONFIG'  # its one key is an "at least one of" rule, tested separately
]

NO_ARGUMENT_COMMANDS = ['CLEAR_PASSCODE', 'COLLECT_LOGS', 'DEVICE_INFORMATION', 'LOCK', 'REBOOT', 'SET_MULTI_APP_MODE',
                        'UPDATE_BLUEPRINT', 'UPDATE_HEARTBEAT', 'UPDATE_LATEST_DPC']

# (command, argument, minimum, maximum): every ranged integer argument of section 4.3.
INTEGER_RANGES = [
    ('SET_BRIGHTNESS_SCALE', 'brightness_value', 1, 100),
    ('SET_GPS_STATE', 'gps_state', 0, 4),
    ('SET_ROTATION_STATE', 'rotate_state', 0, 2),
    ('SET_SCREEN_OFF_TIMEOUT', 'screen_off_timeout', 5000, 1800000),
    ('SET_STREAM_VOLUME', 'stream', 0, 3),
    ('SET_STREAM_VOLUME', 'volume_level', 0, 100),
]
# (command, argument, minimum, maximum): whole numbers the API wants as strings.
STRING_RANGES = [
    ('BEEP_DEVICE', 'duration', 10, 300),
    ('SET_STATIC_IP', 'subnet_mask', 1, 32),
]
# (command, argument, allowed values)
CHOICES = [
    ('SET_APP_STATE', 'app_state', ['SHOW', 'HIDE', 'DISABLE', 'LAUNCHABLE_BUT_HIDDEN']),
    ('SET_APP_PERMISSION', 'grant_state', ['PERMISSION_GRANT_STATE_DEFAULT', 'PERMISSION_GRANT_STATE_DENIED',
                                           'PERMISSION_GRANT_STATE_GRANTED']),
    ('SET_APP_NOTIFICATIONS', 'app_notifications_state', ['ENABLED', 'DISABLED']),
    ('SET_DEVICE_LOCKDOWN_STATE', 'state', ['LOCKED', 'UNLOCKED']),
    ('SET_ETHERNET_SETTINGS', 'ethernet_auth_mode', ['NONE', 'EAP_TLS']),
    ('SET_STATIC_IP', 'interface', ['wlan', 'eth']),
    ('INSTALL_CERTIFICATE', 'cert_file_type', ['pkcs12']),
    ('INSTALL_CERTIFICATE', 'cert_storage_type', ['system']),
    ('UNINSTALL_CERTIFICATE', 'cert_storage_type', ['system']),
    ('RUN_SHELL_SCRIPT', 'interpreter', ['bash', 'zsh', 'sh', 'powershell']),
]
# Arguments a choice brings along with it.
CHOICE_COMPANIONS = {'EAP_TLS': {'ethernet_ca_cert_alias': 'ca', 'ethernet_client_cert_alias': 'client'}}
CHOICE_CASES = [(command, key, value) for command, key, values in CHOICES for value in values]
# (command, boolean argument)
BOOLEAN_ARGS = [
    ('SET_WIFI_STATE', 'wifi_state'),
    ('SET_BLUETOOTH_STATE', 'bluetooth_state'),
    ('USE_ONLY_SAVED_WIFI_AP', 'use_only_saved_ap'),
    ('WIPE', 'is_factory_reset'),
    ('CONVERGE', 'is_converge'),
    ('LIST_INSTALLED_PROFILES', 'managed_only'),
]
IPV4_ARGS = ['static_ip', 'primary_dns', 'gateway', 'secondary_dns']
SECRETS = {
    'INSTALL_CERTIFICATE': {'cert_data_base64', 'cert_password'},
    'RESET_LOCKSCREEN_PASSWORD': {'new_lockscreen_password'},
    'ADD_WIFI_AP': {'wifi_password', 'certificate_file_password'},
    'REMOVE_WIFI_AP': {'wifi_password', 'certificate_file_password'},
}
PLATFORMS = {
    'REBOOT': ('Android', 'iOS', 'Windows'),
    'LOCK': ('Android', 'iOS', 'Windows'),
    'WIPE': ('Android', 'Windows'),
    'VPP_APP_INSTALL': ('iOS',),
    'APPLE_APP_UNINSTALL': ('iOS',),
    'CLEAR_PASSCODE': ('iOS',),
    'LIST_INSTALLED_PROFILES': ('iOS',),
    'INSTALL_PROFILE': ('iOS',),
    'REMOVE_PROFILE': ('iOS',),
    'RUN_SHELL_SCRIPT': ('Linux', 'Windows'),
    'RUN_CUSTOM_ACTION': ('Linux',),
    'COLLECT_LOGS': ('Linux',),
}


def with_arg(command, key, value):
    args = dict(MINIMAL_ARGS[command])
    args[key] = value
    return args


def without_arg(command, key):
    args = dict(MINIMAL_ARGS[command])
    del args[key]
    return args


# --- the table -------------------------------------------------------------------------------------------

def test_catalogue_has_exactly_the_fifty_contract_commands():
    assert len(CONTRACT_COMMANDS) == 50
    assert sorted(COMMANDS) == sorted(CONTRACT_COMMANDS)
    assert COMMAND_NAMES == sorted(CONTRACT_COMMANDS)


def test_minimal_args_cover_every_command():
    assert sorted(MINIMAL_ARGS) == sorted(CONTRACT_COMMANDS)


@pytest.mark.parametrize('command', sorted(COMMANDS))
def test_spec_name_matches_its_key_and_has_a_description(command):
    spec = COMMANDS[command]
    assert spec.name == command
    assert spec.description.strip()
    assert len(set(arg.name for arg in spec.args)) == len(spec.args)


@pytest.mark.parametrize('command', sorted(COMMANDS))
def test_platforms_follow_the_contract(command):
    assert COMMANDS[command].platforms == PLATFORMS.get(command, ('Android',))


@pytest.mark.parametrize('command', sorted(COMMANDS))
def test_only_commands_that_run_on_android_are_schedulable(command):
    assert COMMANDS[command].schedulable is ('Android' in PLATFORMS.get(command, ('Android',)))


@pytest.mark.parametrize('command', ['APPLY_APP_CONFIG', 'RUN_CUSTOM_ACTION'])
def test_undocumented_argument_commands_accept_any_dict(command):
    spec = COMMANDS[command]
    assert spec.open_args is True
    assert 'any dict' in spec.description
    args = {'anything': {'nested': [1, 2]}, 'other': 'x'}
    assert validate_command_args(command, args) == []
    assert normalise_command_args(command, args) == args


@pytest.mark.parametrize('command', ['APPLY_APP_CONFIG', 'RUN_CUSTOM_ACTION'])
def test_undocumented_argument_commands_still_need_a_dict(command):
    assert validate_command_args(command, ['x']) == ['command_args must be a dict, got a list']


def test_catalogue_pickles():
    restored = pickle.loads(pickle.dumps(COMMANDS))
    assert restored['SET_GPS_STATE'].state.to_device_value(3) == 'LOCATION_MODE_OFF'


# --- valid input ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('command', sorted(MINIMAL_ARGS))
def test_minimal_args_are_valid(command):
    assert validate_command_args(command, MINIMAL_ARGS[command]) == []


@pytest.mark.parametrize('command', NO_ARGUMENT_COMMANDS)
@pytest.mark.parametrize('command_args', [None, {}])
def test_no_argument_commands_accept_nothing_or_an_empty_dict(command, command_args):
    assert validate_command_args(command, command_args) == []
    assert normalise_command_args(command, command_args) == {}


def test_every_optional_argument_is_accepted():
    cases = {
        'SET_WIFI_STATE': {'wifi_state': True, 'wifi_revert_timeout': 30},
        'NOTIFY_DEVICE': {'title': 't', 'message': 'm', 'url': 'https://example.com'},
        'SET_ETHERNET_SETTINGS': {'ethernet_auth_mode': 'EAP_TLS', 'ethernet_ca_cert_alias': 'ca', 'ethernet_client_cert_alias': 'client',
                                  'ethernet_eap_identity': 'dev01'},
        'SET_STATIC_IP': with_arg('SET_STATIC_IP', 'secondary_dns', '192.0.2.54'),
        'INSTALL_CERTIFICATE': {'cert_file_type': 'pkcs12', 'cert_data_base64': 'TUlJSw==', 'cert_alias_name': 'a',
                                'cert_storage_type': 'system', 'cert_password': 'pw-secret-1'},
        'RUN_SHELL_SCRIPT': {'script': 'id', 'interpreter': 'sh', 'execute_as': 'root'},
        'UPDATE_DEVICE_CONFIG': {'custom_settings_config': {'dpcParams': [{'key': 'powerOff', 'value': 'true'}]},
                                 'device_alias_name': 'till-3'},
        'WIPE': {'is_factory_reset': False},
        'CONVERGE': {'is_converge': True},
        'LIST_INSTALLED_PROFILES': {'managed_only': True},
    }
    for command, args in cases.items():
        assert validate_command_args(command, args) == [], command


# --- required and unknown arguments ------------------------------------------------------------------------

@pytest.mark.parametrize('command, key', REQUIRED_KEYS)
def test_missing_required_argument_is_reported(command, key):
    assert validate_command_args(command, without_arg(command, key)) == [
        'command_args.%s is required for %s' % (key, command)]


@pytest.mark.parametrize('command, key', REQUIRED_KEYS)
def test_required_argument_given_as_none_counts_as_missing(command, key):
    assert validate_command_args(command, with_arg(command, key, None)) == [
        'command_args.%s is required for %s' % (key, command)]


def test_uninstall_without_package_name():
    assert validate_command_args('UNINSTALL', {}) == ['command_args.package_name is required for UNINSTALL']


@pytest.mark.parametrize('command', NO_ARGUMENT_COMMANDS)
def test_argument_of_a_command_without_arguments(command):
    assert validate_command_args(command, {'colour': 'red'}) == [
        'command_args.colour is not an argument of %s (%s takes no arguments)' % (command, command)]


def test_unknown_argument_names_the_allowed_ones():
    assert validate_command_args('UNINSTALL', {'package_name': 'a.b', 'pakage_name': 'a.b'}) == [
        'command_args.pakage_name is not an argument of UNINSTALL (allowed: package_name)']
    assert validate_command_args('SET_WIFI_STATE', {'wifi_state': True, 'state': True}) == [
        'command_args.state is not an argument of SET_WIFI_STATE (allowed: wifi_revert_timeout, wifi_state)']


def test_unknown_argument_with_none_value_is_ignored():
    assert validate_command_args('REBOOT', {'colour': None}) == []
    assert normalise_command_args('REBOOT', {'colour': None}) == {}


def test_unknown_argument_value_is_not_echoed():
    problems = validate_command_args('INSTALL_CERTIFICATE', dict(MINIMAL_ARGS['INSTALL_CERTIFICATE'], cert_pasword='hunter22'))
    assert len(problems) == 1
    assert 'hunter22' not in problems[0]


def test_unknown_command_lists_every_command():
    problems = validate_command_args('FOO', {})
    assert problems == ['unknown command FOO; allowed: ' + ', '.join(sorted(CONTRACT_COMMANDS))]


@pytest.mark.parametrize('command', [None, 5, 'reboot', 'CAPTURE_SCREENSHOT', ''])
def test_other_unknown_commands(command):
    problems = validate_command_args(command, {})
    assert len(problems) == 1
    assert problems[0].startswith('unknown command ')
    assert problems[0].endswith('; allowed: ' + ', '.join(sorted(CONTRACT_COMMANDS)))


@pytest.mark.parametrize('command_args, kind', [(['a'], 'a list'), ('x', 'a string'), (5, 'a number'), (True, 'a boolean')])
def test_command_args_must_be_a_dict(command_args, kind):
    assert validate_command_args('REBOOT', command_args) == ['command_args must be a dict, got %s' % kind]


def test_every_problem_is_reported_at_once():
    problems = validate_command_args('SET_STATIC_IP', {
        'interface': 'wifi', 'dhcp_enabled': 'maybe', 'static_ip': '192.0.2.300', 'subnet_mask': 33, 'gateway': True, 'colour': 1})
    assert problems == [
        'command_args.interface must be one of wlan, eth, got "wifi"',
        'command_args.dhcp_enabled must be "true" or "false" (a boolean is converted), got "maybe"',
        'command_args.static_ip must be an IPv4 address such as 192.0.2.10, got "192.0.2.300"',
        'command_args.primary_dns is required for SET_STATIC_IP',
        'command_args.subnet_mask must be a prefix length string from "1" to "32", got 33',
        'command_args.gateway must be an IPv4 address such as 192.0.2.10, got true',
        'command_args.colour is not an argument of SET_STATIC_IP (allowed: dhcp_enabled, gateway, interface, primary_dns, '
        'secondary_dns, static_ip, subnet_mask)',
    ]


# --- integer ranges ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('command, key, minimum, maximum', INTEGER_RANGES)
@pytest.mark.parametrize('edge', ['minimum', 'maximum'])
def test_integer_range_edges_are_accepted(command, key, minimum, maximum, edge):
    value = minimum if edge == 'minimum' else maximum
    assert validate_command_args(command, with_arg(command, key, value)) == []
    assert normalise_command_args(command, with_arg(command, key, value))[key] == value


@pytest.mark.parametrize('command, key, minimum, maximum', INTEGER_RANGES)
@pytest.mark.parametrize('edge', ['below', 'above'])
def test_integer_just_outside_the_range_is_refused(command, key, minimum, maximum, edge):
    value = minimum - 1 if edge == 'below' else maximum + 1
    problems = validate_command_args(command, with_arg(command, key, value))
    assert len(problems) == 1
    assert 'command_args.%s must be ' % key in problems[0]
    assert 'an integer from %d to %d, got %d' % (minimum, maximum, value) in problems[0]


def test_brightness_message():
    assert validate_command_args('SET_BRIGHTNESS_SCALE', {'brightness_value': 150}) == [
        'command_args.brightness_value must be an integer from 1 to 100, got 150']


def test_screen_off_timeout_never():
    assert validate_command_args('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': -1}) == []
    assert validate_command_args('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': -2}) == [
        'command_args.screen_off_timeout must be -1 or an integer from 5000 to 1800000, got -2']
    assert validate_command_args('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': 1000}) == [
        'command_args.screen_off_timeout must be -1 or an integer from 5000 to 1800000, got 1000']


@pytest.mark.parametrize('value, expected', [(1, 1), ('1', 1), (' 45 ', 45), (100000, 100000)])
def test_wifi_revert_timeout_at_least_one(value, expected):
    assert normalise_command_args('SET_WIFI_STATE', {'wifi_state': True, 'wifi_revert_timeout': value}) == {
        'wifi_state': True, 'wifi_revert_timeout': expected}


def test_wifi_revert_timeout_zero_is_refused():
    assert validate_command_args('SET_WIFI_STATE', {'wifi_state': True, 'wifi_revert_timeout': 0}) == [
        'command_args.wifi_revert_timeout must be an integer of at least 1, got 0']


@pytest.mark.parametrize('command, key, minimum, maximum', INTEGER_RANGES)
@pytest.mark.parametrize('value, shown', [(True, 'true'), (False, 'false'), (2.5, '2.5'), ('high', '"high"'), ([1], 'a list'),
                                          ('1.0', '"1.0"')])
def test_integers_refuse_other_types(command, key, minimum, maximum, value, shown):
    problems = validate_command_args(command, with_arg(command, key, value))
    assert len(problems) == 1
    assert problems[0].startswith('command_args.%s must be ' % key)
    assert problems[0].endswith('got %s' % shown)


@pytest.mark.parametrize('command, key, minimum, maximum', INTEGER_RANGES)
def test_integer_given_as_string_is_converted(command, key, minimum, maximum):
    assert normalise_command_args(command, with_arg(command, key, str(maximum)))[key] == maximum


# --- whole numbers sent as strings ---------------------------------------------------------------------------

@pytest.mark.parametrize('command, key, minimum, maximum', STRING_RANGES)
@pytest.mark.parametrize('edge', ['minimum', 'maximum'])
@pytest.mark.parametrize('as_type', [str, int])
def test_numeric_string_edges_are_accepted_and_sent_as_strings(command, key, minimum, maximum, edge, as_type):
    value = minimum if edge == 'minimum' else maximum
    assert validate_command_args(command, with_arg(command, key, as_type(value))) == []
    assert normalise_command_args(command, with_arg(command, key, as_type(value)))[key] == str(value)


@pytest.mark.parametrize('command, key, minimum, maximum', STRING_RANGES)
@pytest.mark.parametrize('edge', ['below', 'above'])
def test_numeric_string_just_outside_the_range_is_refused(command, key, minimum, maximum, edge):
    value = minimum - 1 if edge == 'below' else maximum + 1
    problems = validate_command_args(command, with_arg(command, key, str(value)))
    assert len(problems) == 1
    assert problems[0].startswith('command_args.%s must be ' % key)
    assert problems[0].endswith('from "%d" to "%d", got "%d"' % (minimum, maximum, value))


def test_duration_message():
    assert validate_command_args('BEEP_DEVICE', {'duration': 5}) == [
        'command_args.duration must be a string of whole seconds from "10" to "300", got 5']


@pytest.mark.parametrize('value', ['ten', '60s', '-20', '1.5', True, 30.0, '', ' 60'])
def test_duration_refuses_non_whole_numbers(value):
    problems = validate_command_args('BEEP_DEVICE', {'duration': value})
    assert len(problems) == 1
    assert problems[0].startswith('command_args.duration must be a string of whole seconds from "10" to "300", got ')


# --- choices ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('command, key, value', CHOICE_CASES)
def test_every_allowed_choice_is_accepted(command, key, value):
    args = dict(with_arg(command, key, value), **CHOICE_COMPANIONS.get(value, {}))
    assert validate_command_args(command, args) == []
    assert normalise_command_args(command, args)[key] == value


@pytest.mark.parametrize('command, key, values', CHOICES)
@pytest.mark.parametrize('bad', ['other case', 'other word'])
def test_a_value_outside_the_choices_is_refused_naming_them(command, key, values, bad):
    wrong = values[0].swapcase() if bad == 'other case' else 'X'
    assert validate_command_args(command, with_arg(command, key, wrong)) == [
        'command_args.%s must be one of %s, got "%s"' % (key, ', '.join(values), wrong)]


def test_ethernet_eap_tls_requires_both_certificate_aliases():
    assert validate_command_args('SET_ETHERNET_SETTINGS', {'ethernet_auth_mode': 'EAP_TLS'}) == [
        'command_args.ethernet_ca_cert_alias is required for SET_ETHERNET_SETTINGS when ethernet_auth_mode is EAP_TLS',
        'command_args.ethernet_client_cert_alias is required for SET_ETHERNET_SETTINGS when ethernet_auth_mode is EAP_TLS',
    ]
    assert validate_command_args('SET_ETHERNET_SETTINGS', {'ethernet_auth_mode': 'EAP_TLS', 'ethernet_ca_cert_alias': 'ca'}) == [
        'command_args.ethernet_client_cert_alias is required for SET_ETHERNET_SETTINGS when ethernet_auth_mode is EAP_TLS',
    ]


def test_update_device_config_needs_one_of_its_arguments():
    assert validate_command_args('UPDATE_DEVICE_CONFIG', {}) == [
        'UPDATE_DEVICE_CONFIG needs at least one of command_args.custom_settings_config, command_args.device_alias_name']
    assert validate_command_args('UPDATE_DEVICE_CONFIG', {'custom_settings_config': {}}) == []
    assert validate_command_args('UPDATE_DEVICE_CONFIG', {'custom_settings_config': '{"a": 1}'}) == [
        'command_args.custom_settings_config must be a dict, got "{\\"a\\": 1}"']


# --- strings, patterns and addresses ---------------------------------------------------------------------------

@pytest.mark.parametrize('locale', ['en_US', 'zh_Hans_CN', 'de_DE', 'sr_Latn_RS', 'es_419', 'fil_PH'])
def test_valid_locales(locale):
    assert validate_command_args('SET_DEVICE_LANGUAGE', {'locale': locale}) == []


@pytest.mark.parametrize('locale', ['en', 'en-US', 'EN_us', 'english', 'zh_hans_CN', 'en_US ', 'en_USA'])
def test_invalid_locales(locale):
    assert validate_command_args('SET_DEVICE_LANGUAGE', {'locale': locale}) == [
        'command_args.locale must be a locale such as en_US or zh_Hans_CN (language, optional script, country), got "%s"' % locale]


@pytest.mark.parametrize('timezone', ['UTC', 'America/New_York', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'Asia/Kolkata', 'EST5EDT'])
def test_valid_timezones(timezone):
    assert normalise_command_args('SET_TIMEZONE', {'timezone_string': timezone}) == {'timezone_string': timezone}


@pytest.mark.parametrize('timezone, shown', [('New York', '"New York"'), ('/UTC', '"/UTC"'), ('America/', '"America/"'),
                                             (5, '5'), ('', '""')])
def test_invalid_timezones(timezone, shown):
    problems = validate_command_args('SET_TIMEZONE', {'timezone_string': timezone})
    assert len(problems) == 1
    assert problems[0].startswith('command_args.timezone_string must be ')
    assert problems[0].endswith('got %s' % shown)


@pytest.mark.parametrize('key', IPV4_ARGS)
@pytest.mark.parametrize('value', ['192.0.2.256', '192.0.2', 'fe80::1', 'gateway.local', '', 3232235777])
def test_ipv4_arguments_refuse_other_values(key, value):
    problems = validate_command_args('SET_STATIC_IP', with_arg('SET_STATIC_IP', key, value))
    assert len(problems) == 1
    assert problems[0].startswith('command_args.%s must be an IPv4 address such as 192.0.2.10, got ' % key)


@pytest.mark.parametrize('key', IPV4_ARGS)
def test_ipv4_arguments_accept_addresses(key):
    assert normalise_command_args('SET_STATIC_IP', with_arg('SET_STATIC_IP', key, ' 10.0.0.1 '))[key] == '10.0.0.1'


@pytest.mark.parametrize('value', ['', '   ', ['com.example'], {'name': 'x'}, True])
def test_strings_must_be_non_empty_strings(value):
    problems = validate_command_args('UNINSTALL', {'package_name': value})
    assert len(problems) == 1
    assert problems[0].startswith('command_args.package_name must be a non-empty string, got ')


def test_numbers_for_plain_strings_are_converted():
    # A VPP app id is numeric and YAML reads it as an int.
    assert normalise_command_args('VPP_APP_INSTALL', {'app_id': 361309726, 'bundle_identifier': 'com.example'}) == {
        'app_id': '361309726', 'bundle_identifier': 'com.example'}


# --- booleans --------------------------------------------------------------------------------------------

@pytest.mark.parametrize('command, key', BOOLEAN_ARGS)
@pytest.mark.parametrize('value, expected', [(True, True), (False, False), ('yes', True), ('no', False), ('true', True),
                                             ('False', False), ('on', True), ('off', False)])
def test_booleans_accept_ansible_truthy_strings(command, key, value, expected):
    args = with_arg(command, key, value)
    assert validate_command_args(command, args) == []
    assert normalise_command_args(command, args)[key] is expected


@pytest.mark.parametrize('command, key', BOOLEAN_ARGS)
@pytest.mark.parametrize('value, shown', [(1, '1'), (0, '0'), ('maybe', '"maybe"'), ([True], 'a list'), ('', '""')])
def test_booleans_refuse_numbers_and_other_strings(command, key, value, shown):
    assert validate_command_args(command, with_arg(command, key, value)) == [
        'command_args.%s must be a boolean (true or false), got %s' % (key, shown)]


@pytest.mark.parametrize('value, expected', [('true', 'true'), ('false', 'false'), (True, 'true'), (False, 'false'),
                                             ('TRUE', 'true'), ('yes', 'true'), ('no', 'false')])
def test_dhcp_enabled_is_sent_as_a_string(value, expected):
    assert normalise_command_args('SET_STATIC_IP', with_arg('SET_STATIC_IP', 'dhcp_enabled', value))['dhcp_enabled'] == expected


@pytest.mark.parametrize('value, shown', [(1, '1'), ('enabled', '"enabled"'), (None, None)])
def test_dhcp_enabled_refuses_other_values(value, shown):
    problems = validate_command_args('SET_STATIC_IP', with_arg('SET_STATIC_IP', 'dhcp_enabled', value))
    if value is None:
        assert problems == ['command_args.dhcp_enabled is required for SET_STATIC_IP']
    else:
        assert problems == ['command_args.dhcp_enabled must be "true" or "false" (a boolean is converted), got %s' % shown]


# --- access points ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('command', ['ADD_WIFI_AP', 'REMOVE_WIFI_AP'])
@pytest.mark.parametrize('access_points', [
    ['Guest-WiFi', 'Old-Store-AP'],
    [{'wifi_ssid': 'Corp', 'wifi_password': 'pw-secret-1', 'wifi_security_type': 'WPA2', 'hidden': False}],
    {'wifi_ssid': 'Corp'},
    ['Guest', {'wifi_ssid': 'Corp'}],
])
def test_access_point_forms_are_accepted_and_sent_as_given(command, access_points):
    assert validate_command_args(command, {'wifi_access_points': access_points}) == []
    assert normalise_command_args(command, {'wifi_access_points': access_points}) == {'wifi_access_points': access_points}


@pytest.mark.parametrize('command', ['ADD_WIFI_AP', 'REMOVE_WIFI_AP'])
@pytest.mark.parametrize('access_points, expected', [
    ([], ['command_args.wifi_access_points must be a non-empty list of access points (dicts with wifi_ssid, or SSID strings), '
          'or one dict with wifi_ssid, got a list']),
    ('Guest', ['command_args.wifi_access_points must be a non-empty list of access points (dicts with wifi_ssid, or SSID strings), '
               'or one dict with wifi_ssid, got a string']),
    ({}, ['command_args.wifi_access_points.wifi_ssid must be a non-empty string, got null']),
    ([{'wifi_password': 'pw-secret-1'}, 5, '', {'wifi_ssid': ''}], [
        'command_args.wifi_access_points[0].wifi_ssid must be a non-empty string, got null',
        'command_args.wifi_access_points[1] must be an SSID string or a dict with wifi_ssid, got a number',
        'command_args.wifi_access_points[2] must be an SSID string or a dict with wifi_ssid, got an empty string',
        'command_args.wifi_access_points[3].wifi_ssid must be a non-empty string, got an empty string',
    ]),
])
def test_bad_access_points_are_reported_one_by_one(command, access_points, expected):
    assert validate_command_args(command, {'wifi_access_points': access_points}) == expected


def test_add_wifi_ap_description_names_the_inner_secrets():
    description = COMMANDS['ADD_WIFI_AP'].description
    assert 'wifi_password' in description and 'certificate_file_password' in description


# --- secrets ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('command', sorted(COMMANDS))
def test_secret_arg_names(command):
    assert secret_arg_names(command) == SECRETS.get(command, set())


def test_secret_arg_names_of_an_unknown_command_is_empty():
    assert secret_arg_names('FOO') == set()


@pytest.mark.parametrize('command, key', [('INSTALL_CERTIFICATE', 'cert_data_base64'), ('INSTALL_CERTIFICATE', 'cert_password'),
                                          ('RESET_LOCKSCREEN_PASSWORD', 'new_lockscreen_password')])
@pytest.mark.parametrize('value', [['hunter22'], {'pw': 'hunter22'}, True, 123456, '   '])
def test_secret_values_are_never_echoed(command, key, value):
    problems = validate_command_args(command, with_arg(command, key, value))
    assert len(problems) == 1
    assert problems[0].startswith('command_args.%s must be a ' % key)
    assert problems[0].endswith('got a value of the wrong type')
    for text in ('hunter22', '123456', 'true'):
        assert text not in problems[0]


def test_a_numeric_pin_must_be_quoted():
    assert validate_command_args('RESET_LOCKSCREEN_PASSWORD', {'new_lockscreen_password': 123}) == [
        'command_args.new_lockscreen_password must be a string (quote numeric secrets in YAML, or leading zeros are lost), '
        'got a value of the wrong type']
    assert validate_command_args('RESET_LOCKSCREEN_PASSWORD', {'new_lockscreen_password': '0123'}) == []


def test_secret_values_are_not_in_messages_about_other_arguments():
    problems = validate_command_args('INSTALL_CERTIFICATE', {'cert_data_base64': 'U0VDUkVUREFUQQ==', 'cert_password': 'hunter22',
                                                             'cert_file_type': 'pem'})
    assert problems == ['command_args.cert_file_type must be one of pkcs12, got "pem"',
                        'command_args.cert_alias_name is required for INSTALL_CERTIFICATE']


# --- normalisation ----------------------------------------------------------------------------------------

def test_certificate_types_are_defaulted():
    assert normalise_command_args('INSTALL_CERTIFICATE', MINIMAL_ARGS['INSTALL_CERTIFICATE']) == {
        'cert_file_type': 'pkcs12', 'cert_data_base64': 'TUlJSw==', 'cert_alias_name': 'corp-ca', 'cert_storage_type': 'system'}
    assert normalise_command_args('UNINSTALL_CERTIFICATE', {'cert_alias_name': 'corp-ca'}) == {
        'cert_alias_name': 'corp-ca', 'cert_storage_type': 'system'}


def test_normalise_drops_none_and_converts():
    assert normalise_command_args('SET_STATIC_IP', {
        'interface': 'wlan', 'dhcp_enabled': False, 'static_ip': '192.0.2.10', 'primary_dns': '192.0.2.53',
        'subnet_mask': 24, 'gateway': '192.0.2.1', 'secondary_dns': None}) == {
        'interface': 'wlan', 'dhcp_enabled': 'false', 'static_ip': '192.0.2.10', 'primary_dns': '192.0.2.53',
        'subnet_mask': '24', 'gateway': '192.0.2.1'}
    assert normalise_command_args('BEEP_DEVICE', {'duration': 60}) == {'duration': '60'}
    assert normalise_command_args('SET_BRIGHTNESS_SCALE', {'brightness_value': '60'}) == {'brightness_value': 60}


def test_normalise_does_not_change_its_input():
    args = {'duration': 60}
    normalise_command_args('BEEP_DEVICE', args)
    assert args == {'duration': 60}


def test_normalise_refuses_invalid_arguments_with_every_problem():
    with pytest.raises(ValueError) as raised:
        normalise_command_args('SET_STREAM_VOLUME', {'stream': 4, 'volume_level': 101})
    assert str(raised.value) == ('command_args.stream must be an integer from 0 to 3, got 4; '
                                 'command_args.volume_level must be an integer from 0 to 100, got 101')


def test_normalise_error_never_contains_a_secret():
    with pytest.raises(ValueError) as raised:
        normalise_command_args('INSTALL_CERTIFICATE', {'cert_data_base64': ['hunter22'], 'cert_alias_name': 'a'})
    assert 'hunter22' not in str(raised.value)


# --- state specs ------------------------------------------------------------------------------------------

EXPECTED_STATE = {
    'SET_WIFI_STATE': ('devicestate', 'wifi_state', 'wifi_state'),
    'SET_BLUETOOTH_STATE': ('devicestate', 'bluetooth_state', 'bluetooth_state'),
    'SET_BRIGHTNESS_SCALE': ('devicestate', 'brightness_scale', 'brightness_value'),
    'SET_SCREEN_OFF_TIMEOUT': ('devicestate', 'screen_off_timeout', 'screen_off_timeout'),
    'SET_ROTATION_STATE': ('devicestate', 'rotation_state', 'rotate_state'),
    'SET_GPS_STATE': ('devicestate', 'gps_state', 'gps_state'),
    'USE_ONLY_SAVED_WIFI_AP': ('devicestate', 'use_only_saved_ap', 'use_only_saved_ap'),
    'SET_TIMEZONE': ('device', 'timezone_string', 'timezone_string'),
}


def test_exactly_the_state_commands_have_state():
    assert STATE_COMMANDS == sorted(EXPECTED_STATE)
    assert sorted(state_commands()) == sorted(EXPECTED_STATE)
    assert [name for name in COMMAND_NAMES if COMMANDS[name].state is not None] == sorted(EXPECTED_STATE)


@pytest.mark.parametrize('command', sorted(EXPECTED_STATE))
def test_state_spec_fields(command):
    state = state_commands()[command]
    assert (state.source, state.field, state.arg) == EXPECTED_STATE[command]
    assert state.arg in [arg.name for arg in COMMANDS[command].args]


@pytest.mark.parametrize('value, reported', [(0, 'AUTO'), (1, 'PORTRAIT_ONLY'), (2, 'LANDSCAPE_ONLY')])
def test_rotation_state_values(value, reported):
    assert COMMANDS['SET_ROTATION_STATE'].state.to_device_value(value) == reported


@pytest.mark.parametrize('value, reported', [(0, 'LOCATION_MODE_HIGH_ACCURACY'), (1, 'LOCATION_MODE_SENSORS_ONLY'),
                                             (2, 'LOCATION_MODE_BATTERY_SAVING'), (3, 'LOCATION_MODE_OFF'), (4, 'LOCATION_MODE_ON')])
def test_gps_state_values(value, reported):
    assert COMMANDS['SET_GPS_STATE'].state.to_device_value(value) == reported


@pytest.mark.parametrize('command', ['SET_ROTATION_STATE', 'SET_GPS_STATE'])
def test_unknown_enum_value_maps_to_none(command):
    assert COMMANDS[command].state.to_device_value(9) is None


@pytest.mark.parametrize('command, args, reported', [
    ('SET_WIFI_STATE', {'wifi_state': 'yes'}, True),
    ('SET_BLUETOOTH_STATE', {'bluetooth_state': 'off'}, False),
    ('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': True}, True),
    ('SET_BRIGHTNESS_SCALE', {'brightness_value': '60'}, 60),
    ('SET_SCREEN_OFF_TIMEOUT', {'screen_off_timeout': -1}, -1),
    ('SET_TIMEZONE', {'timezone_string': 'Europe/Berlin'}, 'Europe/Berlin'),
    ('SET_ROTATION_STATE', {'rotate_state': '2'}, 'LANDSCAPE_ONLY'),
    ('SET_GPS_STATE', {'gps_state': 3}, 'LOCATION_MODE_OFF'),
])
def test_normalised_arg_maps_to_the_reported_value(command, args, reported):
    state = COMMANDS[command].state
    assert state.to_device_value(normalise_command_args(command, args)[state.arg]) == reported


def test_to_device_value_functions_are_module_level():
    for state in state_commands().values():
        assert getattr(catalogue, state.to_device_value.__name__) is state.to_device_value


# --- platform and documentation helpers -----------------------------------------------------------------------

@pytest.mark.parametrize('platform', ['Android', 'android', 'ANDROID'])
def test_commands_for_android(platform):
    expected = sorted(name for name in CONTRACT_COMMANDS if 'Android' in PLATFORMS.get(name, ('Android',)))
    assert commands_for_platform(platform) == expected
    assert 'VPP_APP_INSTALL' not in expected and 'REBOOT' in expected


@pytest.mark.parametrize('platform', ['iOS', 'ios', 'APPLE'])
def test_commands_for_ios(platform):
    assert commands_for_platform(platform) == ['APPLE_APP_UNINSTALL', 'CLEAR_PASSCODE', 'INSTALL_PROFILE', 'LIST_INSTALLED_PROFILES',
                                               'LOCK', 'REBOOT', 'REMOVE_PROFILE', 'VPP_APP_INSTALL']


def test_commands_for_windows_and_linux():
    assert commands_for_platform('windows') == ['LOCK', 'REBOOT', 'RUN_SHELL_SCRIPT', 'WIPE']
    assert commands_for_platform('LINUX') == ['COLLECT_LOGS', 'RUN_CUSTOM_ACTION', 'RUN_SHELL_SCRIPT']


@pytest.mark.parametrize('platform', ['BlackBerry', '', None])
def test_commands_for_an_unknown_platform(platform):
    with pytest.raises(ValueError, match='allowed: Android, iOS, Windows, Linux'):
        commands_for_platform(platform)


def test_describe_commands_covers_every_command_on_one_line():
    descriptions = describe_commands()
    assert sorted(descriptions) == sorted(CONTRACT_COMMANDS)
    for name, text in descriptions.items():
        assert '\n' not in text
        assert text.startswith(COMMANDS[name].description)


def test_describe_commands_summarises_arguments():
    descriptions = describe_commands()
    assert descriptions['REBOOT'] == 'Reboot the device. Platforms: Android, iOS, Windows. No arguments.'
    assert 'brightness_value (an integer from 1 to 100; required)' in descriptions['SET_BRIGHTNESS_SCALE']
    assert 'cert_password (a string; optional, secret)' in descriptions['INSTALL_CERTIFICATE']
    assert 'cert_file_type (one of pkcs12; optional, default pkcs12)' in descriptions['INSTALL_CERTIFICATE']
    assert '(cannot be scheduled)' in descriptions['VPP_APP_INSTALL']
    assert 'Arguments: any dict, sent as given.' in descriptions['RUN_CUSTOM_ACTION']


# --- values that pass a type check but cannot be right (issue 8 item 13) -----------------------------------------

TIMEZONE_MESSAGE = ('command_args.timezone_string must be an IANA time zone name such as Europe/Berlin, '
                    'America/Argentina/Buenos_Aires or UTC, got %s')


@pytest.fixture
def without_tz_database(monkeypatch):
    """As on Python 3.8 (no zoneinfo module): names are checked with the strict pattern."""
    monkeypatch.setattr(catalogue, 'zoneinfo', None)
    monkeypatch.setattr(catalogue, '_KNOWN_TIMEZONES', [])


class _EmptyZoneinfo(object):
    """A zoneinfo module whose tz database is missing (no system zoneinfo, no tzdata package)."""

    @staticmethod
    def available_timezones():
        return set()


@pytest.mark.parametrize('timezone', ['Europe/Berlim', 'Mars/Olympus_Mons', 'Berlin', 'America/New_Yorkx',
                                      'Etc/GMT+15', 'europe/berlin', 'CET5'])
def test_a_timezone_the_tz_database_does_not_know_is_refused_with_an_example(timezone):
    assert validate_command_args('SET_TIMEZONE', {'timezone_string': timezone}) == [TIMEZONE_MESSAGE % ('"%s"' % timezone)]


@pytest.mark.parametrize('timezone', ['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'GMT', 'Etc/GMT+5', 'Etc/GMT-14',
                                      'US/Eastern', 'EST5EDT', 'Asia/Kolkata', 'Pacific/Port_Moresby', 'America/Port-au-Prince'])
@pytest.mark.parametrize('database', ['zoneinfo', 'pattern', 'empty tz database'])
def test_tz_database_names_are_accepted_with_and_without_zoneinfo(timezone, database, monkeypatch):
    if database != 'zoneinfo':
        monkeypatch.setattr(catalogue, 'zoneinfo', None if database == 'pattern' else _EmptyZoneinfo())
        monkeypatch.setattr(catalogue, '_KNOWN_TIMEZONES', [])
    assert validate_command_args('SET_TIMEZONE', {'timezone_string': timezone}) == []


@pytest.mark.parametrize('timezone', ['Europe/Berlin5', 'Mars/Olympus_Mons', 'Berlin', 'Europe/', 'Europe/berlin', 'Etc/GMT+15',
                                      'Etc/Berlin', 'America/A/B/C', 'UTC+1', 'America/New York'])
def test_the_fallback_pattern_is_strict(timezone, without_tz_database):
    assert validate_command_args('SET_TIMEZONE', {'timezone_string': timezone}) == [TIMEZONE_MESSAGE % ('"%s"' % timezone)]


def test_the_tz_database_is_read_once(monkeypatch):
    calls = []

    class CountingZoneinfo(object):
        @staticmethod
        def available_timezones():
            calls.append(1)
            return {'Europe/Berlin'}

    monkeypatch.setattr(catalogue, 'zoneinfo', CountingZoneinfo())
    monkeypatch.setattr(catalogue, '_KNOWN_TIMEZONES', [])
    assert validate_command_args('SET_TIMEZONE', {'timezone_string': 'Europe/Berlin'}) == []
    assert validate_command_args('SET_TIMEZONE', {'timezone_string': 'Europe/Paris'}) == [TIMEZONE_MESSAGE % '"Europe/Paris"']
    assert len(calls) == 1


APP_VERSION_MESSAGE = ('command_args.app_version must be the UUID of an app version uploaded to Esper (8-4-4-4-12 hexadecimal '
                       'digits, such as 0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11), got %s')


@pytest.mark.parametrize('app_version', ['com.example.app', '1.2.3', 'latest', '0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d1',
                                         '0c7bd83a6a5f4b0e8a533f2f0b1e9d11', '0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d1g',
                                         ' 0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11'])
def test_an_app_version_that_is_not_a_uuid_is_refused(app_version):
    assert validate_command_args('INSTALL', {'app_version': app_version}) == [APP_VERSION_MESSAGE % ('"%s"' % app_version)]


def test_an_app_version_uuid_is_accepted_in_either_case():
    assert validate_command_args('INSTALL', {'app_version': '0C7BD83A-6A5F-4B0E-8A53-3F2F0B1E9D11'}) == []
    assert validate_command_args('INSTALL', {'app_version': 12345}) == [APP_VERSION_MESSAGE % '12345']


def test_every_app_version_argument_must_be_a_uuid():
    for spec in COMMANDS.values():
        for arg in spec.args:
            if arg.name == 'app_version':
                assert arg.pattern == catalogue.UUID_PATTERN


BASE64_MESSAGE = ('command_args.cert_data_base64 must be standard base64 text (A-Z, a-z, 0-9, + and /, padded with =; '
                  'spaces and line breaks allowed), got a string that does not fit (not shown: it is a secret)')


def _certificate_args(data):
    return {'cert_data_base64': data, 'cert_alias_name': 'corp-ca'}


@pytest.mark.parametrize('data', ['Zq7-Xw9_Pk2*Rt5', 'TUlJSw=', 'TUlJSw==TUlJ', 'TUl JSw', 'TUlJ\u00e9Sw==', 'data:TUlJSw=='])
def test_cert_data_that_is_not_base64_is_refused_without_its_value(data):
    assert validate_command_args('INSTALL_CERTIFICATE', _certificate_args(data)) == [BASE64_MESSAGE]


@pytest.mark.parametrize('data', ['TUlJSw==', 'TUlJ\nSw==\n', '  TUlJ Sw==  ', 'TUlJ\r\nSw==', 'QUJD'])
def test_base64_with_whitespace_and_line_breaks_is_accepted(data):
    assert validate_command_args('INSTALL_CERTIFICATE', _certificate_args(data)) == []
    assert normalise_command_args('INSTALL_CERTIFICATE', _certificate_args(data))['cert_data_base64'] == data


def test_the_base64_error_contains_no_part_of_the_value():
    secret = 'Kx9Qm2Vb7Lp4Zr8Wt3Nc6Hj1Fd5Gs0!Yu'  # not base64 because of the '!'
    problems = validate_command_args('INSTALL_CERTIFICATE', _certificate_args(secret))
    assert len(problems) == 1 and problems[0].startswith('command_args.cert_data_base64 must be standard base64')
    for start in range(len(secret) - 2):
        assert secret[start:start + 3] not in problems[0]
    with pytest.raises(ValueError) as caught:
        normalise_command_args('INSTALL_CERTIFICATE', _certificate_args(secret))
    for start in range(len(secret) - 2):
        assert secret[start:start + 3] not in str(caught.value)
