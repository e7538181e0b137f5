# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Wi-Fi access points for esper_wifi: validation, wire format, settings fingerprints and planning.

Everything here except the two ``read_*`` functions is pure, so the rules can be tested alone.
The wire format (CONTRACT §5.1) is not confirmed by Esper; every spelling it depends on is in the
"Wire format" section below and nowhere else, so it can change in one place when Esper confirms it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import string

from ansible_collections.esper.mdm.plugins.module_utils._command_history import (
    is_open,
    is_success,
    latest_statuses,
)
from ansible_collections.esper.mdm.plugins.module_utils._device_state import for_each_device
from ansible_collections.esper.mdm.plugins.module_utils._targets import device_label

# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------

SECURITY_TYPES = ('NONE', 'WEP', 'WPA', 'WPA2', 'WPA3', 'EAP')
DEFAULT_SECURITY = 'WPA2'
# The console's EAP methods and Phase-2 methods (CONTRACT §5.1, blueprint wifi_settings enums).
EAP_METHODS = ('PEAP', 'TLS', 'TTLS', 'PWD', 'SIM', 'AKA', 'AKA_PRIME')
PHASE2_METHODS = ('NONE', 'PAP', 'MSCHAP', 'MSCHAPV2', 'GTC', 'SIM', 'AKA', 'AKA_PRIME')
EAP_OPTIONS = ('eap_method', 'phase2_auth', 'identity', 'anonymous_identity', 'domain')
PASSPHRASE_SECURITY = ('WPA', 'WPA2', 'WPA3')

SSID_MAX_BYTES = 32
PASSPHRASE_MIN, PASSPHRASE_MAX = 8, 63
WEP_KEY_LENGTHS = (5, 13)
WEP_HEX_KEY_LENGTHS = (10, 26)

ADD_COMMAND = 'ADD_WIFI_AP'
REMOVE_COMMAND = 'REMOVE_WIFI_AP'
RADIO_COMMAND = 'SET_WIFI_STATE'
LOCK_COMMAND = 'USE_ONLY_SAVED_WIFI_AP'


def access_point_option_spec():
    """The suboptions of the access_points option (kept next to the rules that use the same choices)."""
    return dict(
        ssid=dict(type='str', required=True),
        security=dict(type='str', default=DEFAULT_SECURITY, choices=list(SECURITY_TYPES)),
        password=dict(type='str', no_log=True),
        hidden=dict(type='bool', default=False),
        eap_method=dict(type='str', choices=list(EAP_METHODS)),
        phase2_auth=dict(type='str', choices=list(PHASE2_METHODS)),
        identity=dict(type='str'),
        anonymous_identity=dict(type='str'),
        domain=dict(type='str'),
    )


# ---------------------------------------------------------------------------------------------
# Validation (before anything is sent). Messages name the access point by index and SSID and never
# contain a password, not even its length.
# ---------------------------------------------------------------------------------------------

def ssid_byte_length(ssid):
    """Length of an SSID as the radio counts it: bytes of its UTF-8 encoding."""
    return len(ssid.encode('utf-8'))


def is_valid_wep_key(key):
    """True for a 5 or 13 character WEP key, or one of 10 or 26 hexadecimal digits."""
    if len(key) in WEP_KEY_LENGTHS:
        return True
    return len(key) in WEP_HEX_KEY_LENGTHS and all(char in string.hexdigits for char in key)


def _access_point_label(index, access_point):
    ssid = access_point.get('ssid')
    if isinstance(ssid, str) and ssid:
        return 'access_points[%d] (ssid %r)' % (index, ssid)
    return 'access_points[%d]' % index


def _security_problems(label, access_point):
    security = access_point.get('security') or DEFAULT_SECURITY
    if security not in SECURITY_TYPES:
        return ['%s: security must be one of %s, got %r' % (label, ', '.join(SECURITY_TYPES), security)]
    problems = []
    password = access_point.get('password')
    has_password = password not in (None, '')
    if security in PASSPHRASE_SECURITY:
        if not has_password:
            problems.append('%s: a %s network needs a password of %d to %d characters, none was given'
                            % (label, security, PASSPHRASE_MIN, PASSPHRASE_MAX))
        elif not PASSPHRASE_MIN <= len(password) <= PASSPHRASE_MAX:
            problems.append('%s: the %s password must be %d to %d characters'
                            % (label, security, PASSPHRASE_MIN, PASSPHRASE_MAX))
    elif security == 'WEP':
        if not has_password:
            problems.append('%s: a WEP network needs a key of 5 or 13 characters (or 10 or 26 hexadecimal digits), '
                            'none was given' % label)
        elif not is_valid_wep_key(password):
            problems.append('%s: the WEP key must be 5 or 13 characters, or 10 or 26 hexadecimal digits' % label)
    elif security == 'NONE' and has_password:
        problems.append('%s: an open network (security NONE) takes no password' % label)
    if security == 'EAP':
        missing = [name for name in ('eap_method', 'identity') if access_point.get(name) in (None, '')]
        if missing:
            problems.append('%s: an EAP network needs eap_method and identity; missing: %s' % (label, ', '.join(missing)))
    else:
        given = [name for name in EAP_OPTIONS if access_point.get(name) not in (None, '')]
        if given:
            problems.append('%s: %s only apply to security EAP, not %s' % (label, ', '.join(given), security))
    return problems


def validate_access_points(access_points, state='present'):
    """Every problem with the access_points option, [] when fine.

    With state=absent only the SSIDs matter (removal is by SSID), so the security rules apply to present only.
    """
    problems = []
    seen = set()
    for index, access_point in enumerate(access_points or []):
        if not isinstance(access_point, dict):
            problems.append('access_points[%d] must be a dictionary' % index)
            continue
        label = _access_point_label(index, access_point)
        ssid = access_point.get('ssid')
        if not isinstance(ssid, str) or not ssid:
            problems.append('access_points[%d].ssid is required' % index)
        else:
            length = ssid_byte_length(ssid)
            if length > SSID_MAX_BYTES:
                problems.append('%s: ssid must be 1 to %d bytes in UTF-8, got %d bytes' % (label, SSID_MAX_BYTES, length))
            if ssid in seen:
                problems.append('%s: ssid is given more than once; each SSID may appear once per call' % label)
            seen.add(ssid)
        if state == 'present':
            problems.extend(_security_problems(label, access_point))
    return problems


def validate_wifi_request(access_points, state, enabled, only_saved_networks):
    """Every problem with one esper_wifi call's Wi-Fi options, [] when fine."""
    problems = []
    if not access_points and enabled is None and only_saved_networks is None:
        problems.append('at least one of access_points, enabled and only_saved_networks is required')
    if state not in ('present', 'absent'):
        problems.append('state must be present or absent, got %r' % (state,))
    problems.extend(validate_access_points(access_points, state))
    return problems


def stranding_warning(enabled, only_saved_networks):
    """The warning for a combination that can leave a device without a network, or None."""
    if only_saved_networks is True and enabled is False:
        return ('only_saved_networks=true together with enabled=false turns Wi-Fi off and locks it to saved networks; '
                'a device without another connection may become unreachable until Wi-Fi is turned back on')
    return None


# ---------------------------------------------------------------------------------------------
# Wire format (CONTRACT §5.1). The only place that knows how Esper spells access points.
#   ADD_WIFI_AP:    {"wifi_access_points": [{"wifi_ssid", "wifi_security_type", "wifi_password", "hidden",
#                                            and for EAP "wifi_eap_method", "wifi_phase2_auth", "identity",
#                                            "anonymous_identity", "domain"}]}
#   REMOVE_WIFI_AP: {"wifi_access_points": ["<ssid>", ...]}   (what Esper's own tool sends)
# ---------------------------------------------------------------------------------------------

WIRE_LIST_KEY = 'wifi_access_points'
WIRE_SSID_KEY = 'wifi_ssid'
WIRE_PASSWORD_KEY = 'wifi_password'
WIRE_SECURITY_KEY = 'wifi_security_type'
WIRE_HIDDEN_KEY = 'hidden'
# option name -> wire key, for the keys sent only with security EAP.
WIRE_EAP_KEYS = (
    ('eap_method', 'wifi_eap_method'),
    ('phase2_auth', 'wifi_phase2_auth'),
    ('identity', 'identity'),
    ('anonymous_identity', 'anonymous_identity'),
    ('domain', 'domain'),
)
# The security spelling sent for each choice. Esper's accepted spellings are unknown (CONTRACT Unknowns #1):
# every choice is sent as given except WPA3, which is sent as SAE, the name Esper's own Wi-Fi vocabulary
# (the blueprint wifi_security_type enum) uses for WPA3-Personal and which has no WPA3 value.
WIRE_SECURITY_TYPES = {
    'NONE': 'NONE',
    'WEP': 'WEP',
    'WPA': 'WPA',
    'WPA2': 'WPA2',
    'WPA3': 'SAE',
    'EAP': 'EAP',
}
# Where a device's configured SSIDs appear in its show_policy=true detail (CONTRACT §5.1).
DEVICE_DETAIL_SSID_PATHS = (('wifi_access_points',), ('network', 'wifi_access_points'))


def wire_access_point(access_point):
    """The ADD_WIFI_AP object for one access_points entry (password included: this is what is sent)."""
    security = access_point.get('security') or DEFAULT_SECURITY
    wire = {
        WIRE_SSID_KEY: access_point['ssid'],
        WIRE_SECURITY_KEY: WIRE_SECURITY_TYPES[security],
        WIRE_HIDDEN_KEY: bool(access_point.get('hidden')),
    }
    if access_point.get('password') not in (None, ''):
        wire[WIRE_PASSWORD_KEY] = access_point['password']
    if security == 'EAP':
        for option, key in WIRE_EAP_KEYS:
            if access_point.get(option) not in (None, ''):
                wire[key] = access_point[option]
    return wire


def add_command_args(wire_access_points):
    """command_args of ADD_WIFI_AP for these wire objects."""
    return {WIRE_LIST_KEY: [dict(wire) for wire in wire_access_points]}


def remove_command_args(ssids):
    """command_args of REMOVE_WIFI_AP: the SSIDs as plain strings."""
    return {WIRE_LIST_KEY: list(ssids)}


def _listed_access_points(listing):
    if isinstance(listing, dict):
        listing = [listing]
    if not isinstance(listing, list):
        return []
    return listing


def _entry_ssid(entry):
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get(WIRE_SSID_KEY), str):
        return entry[WIRE_SSID_KEY]
    return None


def request_access_point(request, ssid):
    """The wire object for ssid in a CommandRequest's command_args, or None when it has none."""
    command_args = (request or {}).get('command_args') or {}
    if not isinstance(command_args, dict):
        return None
    for entry in _listed_access_points(command_args.get(WIRE_LIST_KEY)):
        if isinstance(entry, dict) and entry.get(WIRE_SSID_KEY) == ssid:
            return entry
    return None


def configured_ssids(device_detail):
    """The SSIDs a device's show_policy=true detail lists, as a sorted list.

    Accepts wifi_access_points as objects with wifi_ssid or as plain strings, at the top level or under
    network; a detail without either lists nothing.
    """
    found = set()
    for path in DEVICE_DETAIL_SSID_PATHS:
        value = device_detail if isinstance(device_detail, dict) else {}
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        for entry in _listed_access_points(value):
            ssid = _entry_ssid(entry)
            if ssid:
                found.add(ssid)
    return sorted(found)


# ---------------------------------------------------------------------------------------------
# Settings fingerprints: passwords cannot be read back from a device, so "same settings" means the
# last ADD_WIFI_AP sent for that SSID carried the same wire object. Fingerprints are compared only,
# never returned: a hash of a short password could be brute-forced.
# ---------------------------------------------------------------------------------------------

def settings_fingerprint(wire_object):
    """SHA-256 hex digest of the canonical JSON of a wire access point (None values dropped, keys sorted)."""
    canonical = dict((key, value) for key, value in wire_object.items() if value is not None)
    text = json.dumps(canonical, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


HISTORY_SUCCESS = 'success'
HISTORY_OPEN = 'open'
HISTORY_ENDED = 'ended'


def history_entry(request, status, ssid):
    """What the planner needs from one device's latest ADD_WIFI_AP for ssid: fingerprint, outcome, command id."""
    wire = request_access_point(request, ssid)
    if is_success(status):
        outcome = HISTORY_SUCCESS
    elif is_open(status):
        outcome = HISTORY_OPEN
    else:
        outcome = HISTORY_ENDED
    return {
        'fingerprint': settings_fingerprint(wire) if wire is not None else None,
        'outcome': outcome,
        'command_id': (request or {}).get('id'),
    }


# ---------------------------------------------------------------------------------------------
# Planning (pure): which devices get which access points, and what the diff shows.
# ---------------------------------------------------------------------------------------------

def _device_entry(device, reason):
    return {'device': device['id'], 'device_name': device_label(device), 'reason': reason}


def plan_access_points(access_points, state, devices, configured, history):
    """Decide, per device, which access points to add or remove.

    access_points: validated access_points entries; devices: DeviceInfo dicts;
    configured: device id -> SSIDs its detail lists; history (present only): SSID -> device id -> history_entry().

    present: an access point is skipped on a device when the device's latest ADD_WIFI_AP for that SSID carried
    the same settings and either succeeded while the device lists the SSID, or is still open (queued for an offline
    device, so sending again would only queue a duplicate). Otherwise it is sent: a listed SSID with no matching
    history was added by hand or with other settings, so the first run re-sends it once and later runs converge.
    absent: an SSID is removed only from devices that list it.

    Returns a dict: send (device id -> SSIDs to send, in option order, only devices with something to send),
    skipped_devices ([{device, device_name, reason}]), ssids_before / ssids_after (device id -> sorted SSIDs,
    for devices with a change) and resent (device id -> listed SSIDs sent again with new settings).
    """
    send = {}
    skipped = []
    ssids_before = {}
    ssids_after = {}
    resent = {}
    fingerprints = dict((ap['ssid'], settings_fingerprint(wire_access_point(ap))) for ap in access_points) \
        if state == 'present' else {}
    for device in devices:
        device_id = device['id']
        listed = set(configured.get(device_id) or [])
        wanted = []
        reasons = []
        for access_point in access_points:
            ssid = access_point['ssid']
            if state == 'absent':
                if ssid in listed:
                    wanted.append(ssid)
                else:
                    reasons.append('%s is not configured' % ssid)
                continue
            entry = (history.get(ssid) or {}).get(device_id)
            same = entry is not None and entry['fingerprint'] == fingerprints[ssid]
            if same and entry['outcome'] == HISTORY_OPEN:
                reasons.append('%s with the same settings is pending in command %s' % (ssid, entry['command_id']))
            elif same and entry['outcome'] == HISTORY_SUCCESS and ssid in listed:
                reasons.append('%s is configured with the same settings' % ssid)
            else:
                wanted.append(ssid)
        if not wanted:
            skipped.append(_device_entry(device, '; '.join(reasons)))
            continue
        send[device_id] = wanted
        ssids_before[device_id] = sorted(listed)
        if state == 'absent':
            ssids_after[device_id] = sorted(listed - set(wanted))
        else:
            ssids_after[device_id] = sorted(listed | set(wanted))
            again = [ssid for ssid in wanted if ssid in listed]
            if again:
                resent[device_id] = again
    return {'send': send, 'skipped_devices': skipped, 'ssids_before': ssids_before,
            'ssids_after': ssids_after, 'resent': resent}


def group_devices_by_ssids(send):
    """[(SSIDs tuple, [device ids])]: one request per distinct set of access points, in first-seen order."""
    groups = []
    index = {}
    for device_id, ssids in send.items():
        key = tuple(ssids)
        if key not in index:
            index[key] = len(groups)
            groups.append((key, []))
        groups[index[key]][1].append(device_id)
    return groups


def build_diff(devices, access_point_plan=None, setting_diffs=(), label=device_label):
    """The per-device diff of one call: SSIDs before/after and each changed setting before/after.

    access_point_plan: plan_access_points() output; setting_diffs: (before, after) pairs keyed by device label,
    as device_state.plan_state_command returns them. Only devices with a change appear.
    """
    before = {}
    after = {}
    if access_point_plan:
        for device in devices:
            device_id = device['id']
            if device_id not in access_point_plan['send']:
                continue
            key = label(device)
            before.setdefault(key, {})['ssids'] = access_point_plan['ssids_before'][device_id]
            after.setdefault(key, {})['ssids'] = access_point_plan['ssids_after'][device_id]
            if device_id in access_point_plan['resent']:
                after[key]['ssids_resent'] = access_point_plan['resent'][device_id]
    for setting_before, setting_after in setting_diffs:
        for key, values in (setting_before or {}).items():
            before.setdefault(key, {}).update(values)
        for key, values in (setting_after or {}).items():
            after.setdefault(key, {}).update(values)
    return {'before': before, 'after': after}


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------

def read_configured_ssids(client, device_ids, workers=8):
    """device id -> sorted SSIDs listed by GET enterprise/<eid>/device/<id>/?show_policy=true.

    One read per device, up to ``workers`` at a time (device_state.for_each_device): the result follows the
    order of device_ids and the first failing device (in that order) raises the client's typed error.
    """
    def read_one(device_id):
        detail = client.get(client.enterprise_path('device/%s/' % device_id), params={'show_policy': 'true'})
        return configured_ssids(detail)

    return for_each_device(device_ids, read_one, workers=workers)


def read_add_history(client, ssids, device_ids):
    """SSID -> device id -> history_entry() of that device's latest ADD_WIFI_AP carrying the SSID."""
    history = {}
    for ssid in ssids:
        latest = latest_statuses(client, [ADD_COMMAND], list(device_ids),
                                 request_filter=lambda request, ssid=ssid: request_access_point(request, ssid) is not None)
        history[ssid] = dict((device_id, history_entry(found['request'], found['status'], ssid))
                             for device_id, found in latest.items())
    return history
