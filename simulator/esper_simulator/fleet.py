# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deterministic simulated fleet: devices, groups, their indexes and their JSON renderings (CONTRACT §7)."""

from __future__ import annotations

import copy
import random
import uuid

from .group_tree import child_groups, group_path
from .timefmt import iso_timestamp

FLEET_EPOCH = 1704873600.0  # 2024-01-10T08:00:00Z: devices and groups are created from here on, one minute apart

ANDROID = 'ANDROID'
IOS = 'IOS'
WINDOWS = 'WINDOWS'
LINUX = 'LINUX'
OTHER_PLATFORM_CYCLE = (IOS, WINDOWS, LINUX)
PLATFORM_OS = {ANDROID: 'Android', IOS: 'iOS', WINDOWS: 'Windows', LINUX: 'Linux'}
PLATFORM_V0 = {ANDROID: 'ANDROID', IOS: 'APPLE', WINDOWS: 'WINDOWS', LINUX: 'LINUX'}
PLATFORM_OS_VERSION = {IOS: '17.4', WINDOWS: '10.0.19045', LINUX: '22.04'}
ANDROID_VERSIONS = {26: '8.0', 27: '8.1', 28: '9', 29: '10', 30: '11', 31: '12', 32: '12L', 33: '13', 34: '14'}

STATE_ONLINE = 1
STATE_OFFLINE = 60

ROTATION_STATES = ('AUTO', 'PORTRAIT_ONLY', 'LANDSCAPE_ONLY')
GPS_STATES = ('LOCATION_MODE_HIGH_ACCURACY', 'LOCATION_MODE_SENSORS_ONLY', 'LOCATION_MODE_BATTERY_SAVING',
              'LOCATION_MODE_OFF', 'LOCATION_MODE_ON')

DEFAULT_TIMEZONE = 'America/New_York'
DEFAULT_WIFI_SSID = 'Store-Guest'
EMPTY_GROUP_NAME = 'Empty-Group'
OTHER_PLATFORMS_GROUP_NAME = 'Other-Platforms'


def default_devicestate():
    """The DeviceSettings of a fresh device, as in the CONTRACT §7.3 example."""
    return {
        'gps_state': 'LOCATION_MODE_HIGH_ACCURACY', 'wifi_state': True, 'adb_enabled': False, 'adb_timeout': 0,
        'remote_adb_enabled': False, 'remote_adb_ip': '', 'remote_adb_port': 0, 'audio_settings': {},
        'rotation_state': 'AUTO', 'bluetooth_state': False, 'brightness_scale': 60, 'screen_off_timeout': 60000,
        'use_only_saved_ap': False,
    }


class Device:
    """One simulated device and everything the API reports about it."""

    def __init__(self, device_id, index, platform, api_level, online):
        self.id = device_id
        self.index = index
        self.device_name = f'kiosk-{index:04d}'
        self.alias_name = f'Kiosk {index}'
        self.platform = platform
        self.api_level = api_level
        self.online = online
        self.group_ids = []
        self.serial = f'ESPR{index:08d}'
        self.imei = f'35{index:013d}'
        self.wifi_mac = 'f0:%02x:%02x:%02x:%02x:%02x' % tuple((index >> shift) & 0xFF for shift in (32, 24, 16, 8, 0))
        self.timezone_string = DEFAULT_TIMEZONE
        self.lockdown_state = 0
        self.kiosk_app_name = ''
        self.current_app_mode = 0
        self.tags = []
        self.devicestate = default_devicestate()
        # What ADD_WIFI_AP sent, verbatim (objects or strings); the API shows only the SSIDs.
        self.wifi_access_points = [{'wifi_ssid': DEFAULT_WIFI_SSID}]
        self.fail_commands = False
        self.created_on = iso_timestamp(FLEET_EPOCH + 60 * index)
        self.updated_on = self.created_on

    @property
    def state_code(self):
        """The device state code of CONTRACT §7.5: 1 online, 60 offline."""
        return STATE_ONLINE if self.online else STATE_OFFLINE

    @property
    def os_version(self):
        if self.platform == ANDROID:
            return ANDROID_VERSIONS.get(self.api_level, str(self.api_level))
        return PLATFORM_OS_VERSION[self.platform]

    def ssids(self):
        """The SSIDs of the configured access points, in the order they were added."""
        return [ssid for ssid in (access_point_ssid(entry) for entry in self.wifi_access_points) if ssid]

    def control_view(self):
        """Everything about the device, for the /_sim/ control API (includes what ADD_WIFI_AP received)."""
        return {
            'id': self.id, 'device_name': self.device_name, 'alias_name': self.alias_name, 'platform': self.platform,
            'api_level': self.api_level, 'online': self.online, 'groups': list(self.group_ids),
            'timezone_string': self.timezone_string, 'lockdown_state': self.lockdown_state,
            'kiosk_app_name': self.kiosk_app_name, 'current_app_mode': self.current_app_mode,
            'devicestate': copy.deepcopy(self.devicestate), 'wifi_access_points': copy.deepcopy(self.wifi_access_points),
            'fail_commands': self.fail_commands,
        }


class Group:
    """One device group; parent_id is None at the top (hierarchies: group_tree.py, --inventory-extras)."""

    def __init__(self, group_id, name, index):
        self.id = group_id
        self.name = name
        self.parent_id = None
        self.device_ids = []
        self.created_on = iso_timestamp(FLEET_EPOCH + 60 * index)


def access_point_ssid(entry):
    """The SSID of one wifi_access_points entry: a string, or an object with wifi_ssid; None when there is none."""
    if isinstance(entry, str):
        return entry or None
    if isinstance(entry, dict):
        ssid = entry.get('wifi_ssid')
        if isinstance(ssid, str) and ssid:
            return ssid
    return None


def _seeded_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Fleet:
    """The devices and groups of the tenant with the indexes the API needs (by id, by name, by group)."""

    def __init__(self, options):
        self.enterprise_id = options.enterprise_id
        self.devices = []
        self.devices_by_id = {}
        self.devices_by_name = {}
        self.groups = []
        self.groups_by_id = {}
        self.groups_by_name = {}
        self._apps = None
        self._build(options)
        if getattr(options, 'inventory_extras', False):
            from .inventory_extras import add_inventory_extras  # it imports this module
            add_inventory_extras(self, options.seed)

    @property
    def apps(self):
        """The app catalogue and each device's apps (apps.py), made on first use: building the fleet costs nothing for them."""
        if self._apps is None:
            from .apps import AppWorld  # apps.py imports this module
            self._apps = AppWorld(self)
        return self._apps

    def _build(self, options):
        device_rng = random.Random(f'esper-sim-devices-{options.seed}')
        group_rng = random.Random(f'esper-sim-groups-{options.seed}')
        total = options.devices
        others = min(options.other_platforms, total)
        android = total - others
        offline = min(options.offline, android)
        legacy = min(options.legacy_android, android - offline)
        # Offline devices are the last Android ones and legacy ones come just before them, so kiosk-0001.. stay ordinary.
        first_offline = android - offline
        first_legacy = first_offline - legacy

        store_groups = [self._add_group(_seeded_uuid(group_rng), f'Store-{number:03d}') for number in range(1, options.groups + 1)]
        self._add_group(_seeded_uuid(group_rng), EMPTY_GROUP_NAME)
        other_group = self._add_group(_seeded_uuid(group_rng), OTHER_PLATFORMS_GROUP_NAME) if others else None

        for position in range(total):
            device_id = _seeded_uuid(device_rng)
            if position < android:
                if position >= first_legacy and position < first_offline:
                    api_level = 27 - (position - first_legacy) % 2
                else:
                    api_level = 28 + position % 7
                device = Device(device_id, position + 1, ANDROID, api_level, online=position < first_offline)
                group = store_groups[position % len(store_groups)] if store_groups else None
            else:
                platform = OTHER_PLATFORM_CYCLE[(position - android) % len(OTHER_PLATFORM_CYCLE)]
                device = Device(device_id, position + 1, platform, None, online=True)
                group = other_group
            if group is not None:
                group.device_ids.append(device.id)
                device.group_ids.append(group.id)
            self.devices.append(device)
            self.devices_by_id[device.id] = device
            self.devices_by_name[device.device_name] = device

    def _add_group(self, group_id, name):
        group = Group(group_id, name, len(self.groups))
        self.groups.append(group)
        self.groups_by_id[group.id] = group
        self.groups_by_name[group.name] = group
        return group

    def find_device(self, ref):
        """A device by UUID (any case) or by device_name; None when unknown."""
        return self.devices_by_id.get(str(ref).lower()) or self.devices_by_name.get(str(ref))

    def summary(self):
        """The /_sim/fleet view: ids, names and the special devices, so tests can pick their targets."""
        return {
            'enterprise_id': self.enterprise_id,
            'devices': [{'id': device.id, 'device_name': device.device_name, 'alias_name': device.alias_name,
                         'platform': device.platform, 'api_level': device.api_level, 'online': device.online,
                         'groups': [self.groups_by_id[group_id].name for group_id in device.group_ids]}
                        for device in self.devices],
            'groups': [{'id': group.id, 'name': group.name, 'device_count': len(group.device_ids), 'parent_id': group.parent_id,
                        'path': group_path(self, group)} for group in self.groups],
        }


class FleetRenderer:
    """Renders fleet objects as the API shows them; URLs are built from the base URL of the current request."""

    def __init__(self, fleet, base_url):
        self.fleet = fleet
        self.base_url = base_url
        self.enterprise_url = f'{base_url}/enterprise/{fleet.enterprise_id}/'

    def group_url(self, group_id):
        return f'{self.enterprise_url}devicegroup/{group_id}/'

    def device_info(self, device, show_policy=False):
        """DeviceInfo of GET /enterprise/{eid}/device/ (bare, camelCase sub-objects, CONTRACT §7.2)."""
        android = device.platform == ANDROID
        info = {
            'id': device.id,
            'url': f'{self.enterprise_url}device/{device.id}/',
            'device_name': device.device_name,
            'alias_name': device.alias_name,
            'policy_name': 'Kiosk Policy' if android else None,
            'status': device.state_code,
            'state': device.state_code,
            'current_command': None,
            'suid': device.serial,
            'fcm_id': f'fcm-{device.index}' if android else None,
            'enterprise': self.enterprise_url,
            'policy': None,
            'user': None,
            'groups': [self.group_url(group_id) for group_id in device.group_ids],
            'tags': list(device.tags),
            'api_level': device.api_level,
            'template_name': 'Kiosk Template' if android else '',
            'softwareInfo': {'osVersion': device.os_version, 'androidVersion': device.os_version if android else None,
                             'esperClientVersionName': '7.11.5' if android else None},
            'hardwareInfo': {'serialNumber': device.serial, 'customSerialNumber': '', 'brand': 'Esper' if android else None,
                             'manufacturer': 'Esper' if android else None, 'model': 'Kiosk-10' if android else None},
            'networkInfo': {'imei1': device.imei if android else None, 'wifiMacAddress': device.wifi_mac},
            'memoryInfo': {},
            'displays': {},
            'audioConstraints': {},
            'provisioned_on': device.created_on,
            'created_on': device.created_on,
            'updated_on': device.updated_on,
            'current_app_mode': device.current_app_mode,
            'kiosk_app_name': device.kiosk_app_name,
            'lockdown_state': device.lockdown_state,
            'timezone_string': device.timezone_string,
            'emm_device': None,
            'is_gms': android,
            'is_active': True,
            'has_seamlessInfo': False,
        }
        if show_policy:
            info['wifi_access_points'] = [{'wifi_ssid': ssid} for ssid in device.ssids()]
        return info

    def device_v0(self, device):
        """The /device/v0/devices/{id}/ content (snake_case, CONTRACT §7.2)."""
        android = device.platform == ANDROID
        return {
            'id': device.id,
            'name': device.device_name,
            'alias': device.alias_name,
            'os': PLATFORM_OS[device.platform],
            'state': device.state_code,
            'platform': PLATFORM_V0[device.platform],
            'serial': device.serial,
            'os_version': device.os_version,
            'api_level': device.api_level,
            'global_device_id': device.id,
            'tenant_id': self.fleet.enterprise_id,
            'group_id': device.group_ids[0] if device.group_ids else None,
            'onboarded_on': device.created_on,
            'provisioned_on': device.created_on,
            'hardware_info': {'brand': 'Esper' if android else None, 'model': 'Kiosk-10' if android else None,
                              'model_number': None, 'serial': device.serial, 'manufacturer': 'Esper' if android else None,
                              'hardware': None, 'device_baseband_version': None},
            'software_info': {'os_version': device.os_version, 'os_build_number': None,
                              'esper_agent_info': {'version_code': 71105, 'version_name': '7.11.5'} if android else None},
            'network_info': {'imei1': device.imei if android else None, 'imei2': None, 'wifi_mac_address': device.wifi_mac,
                             'ethernet_mac_address': None, 'network_type': 'WI-FI'},
            'memory_info': {},
            'network_stats': {'current_active_connection': 'WI-FI', 'wifi_network_info': {'wifi_ssid': DEFAULT_WIFI_SSID},
                              'cellular_network_info': {}},
            'battery_stats': {'battery_level': 80},
            'blueprint_info': None,
            'fcm_id': f'fcm-{device.index}' if android else None,
            'is_gms': android,
            'policy': None,
            'managed_by': 'TEMPLATE',
            'template_name': 'Kiosk Template' if android else '',
            'timezone_string': device.timezone_string,
            'is_seamless': False,
            'is_esper_managed': True,
            'created_by': None,
            'updated_by': None,
            'created_at': device.created_on,
            'updated_at': device.updated_on,
        }

    def device_v2(self, device):
        """A /v2/devices/ record (CONTRACT §7.2, §13.3): every platform, v2 names (name, alias, platform, os, state,
        serial, group_id), no api_level and no timezone_string; built from the same Device as device_info()."""
        android = device.platform == ANDROID
        return {
            'id': device.id,
            'name': device.device_name,
            'alias': device.alias_name,
            'platform': PLATFORM_V0[device.platform],
            'os': PLATFORM_OS[device.platform],
            'os_version': device.os_version,
            'state': device.state_code,
            'serial': device.serial,
            'group_id': device.group_ids[0] if device.group_ids else None,
            'tags': list(device.tags),
            'last_seen': device.updated_on,
            'global_device_id': device.id,
            'tenant_id': self.fleet.enterprise_id,
            'hardware_info': {'serial': device.serial, 'brand': 'Esper' if android else None, 'model': 'Kiosk-10' if android else None,
                              'manufacturer': 'Esper' if android else None},
            'network_info': {'imei1': device.imei if android else None, 'imei2': None, 'wifi_mac_address': device.wifi_mac,
                             'iccid1': None},
            'software_info': {'os_version': device.os_version,
                              'esper_agent_info': {'version_code': 71105, 'version_name': '7.11.5'} if android else None},
            'network_stats': {'current_active_connection': 'WI-FI', 'ip_address': [],
                              'wifi_network_info': {'wifi_ssid': DEFAULT_WIFI_SSID, 'wifi_signal_strength': 4}},
            'battery_stats': {'battery_level': 80},
            'blueprint_info': None,
            'is_gms': android,
            'managed_by': 'TEMPLATE',
            'template_name': 'Kiosk Template' if android else '',
            'provisioned_on': device.created_on,
            'created_at': device.created_on,
            'updated_at': device.updated_on,
        }

    def group_info(self, group):
        """DeviceGroup of GET /enterprise/{eid}/devicegroup/ (bare, CONTRACT §7.4); parent as a URL (§12.1)."""
        return {
            'id': group.id,
            'url': self.group_url(group.id),
            'name': group.name,
            'created_on': group.created_on,
            'enterprise': self.enterprise_url,
            'parent': self.group_url(group.parent_id) if group.parent_id else None,
            'device_count': len(group.device_ids),
            'path': group_path(self.fleet, group),
            'children_count': len(child_groups(self.fleet, group.id)),
            'thumbnail': None,
            'blueprint': None,
        }
