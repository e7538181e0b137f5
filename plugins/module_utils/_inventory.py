# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""The fleet as data: filtered device listings, the group tree, tags and the one device-to-variables mapping.

Shared by the esper.mdm.esper inventory plugin and the esper_device_info / esper_group_info modules, so that a
host's ``esper_*`` variables and a device of esper_device_info always have the same keys and values
(device_facts is the one mapping). Requests (CONTRACT §13): one /v2/devices/ listing in pages of 1000 (one per
state when several states are asked for, the v2 ``state`` filter taking one value), one group listing, the tag
catalogue only when tag names are needed, and the legacy Android listing only when ``android_details`` is asked for.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperNotFoundError
from ansible_collections.esper.mdm.plugins.module_utils._targets import (
    DEVICE_PLATFORMS,
    TargetError,
    device_api_level,
    device_platform,
    is_uuid,
    list_devices,
    match_groups,
    resolve_devices,
    with_legacy_fields,
)

# Device state codes and their names (CONTRACT §7.5); any other code is reported as UNKNOWN_STATE plus the code.
STATE_NAMES = {
    0: 'unspecified',
    1: 'online',
    20: 'disabled',
    30: 'provisioning_started',
    40: 'configuring_google_play',
    50: 'applying_policies',
    60: 'offline',
    70: 'wipe_in_progress',
    80: 'onboarding_in_progress',
    90: 'onboarding_failed',
    100: 'onboarded',
    110: 'afw_account_added',
    120: 'apps_installed',
    130: 'branding_processed',
    140: 'permission_policy_processed',
    150: 'device_policy_processed',
    160: 'device_settings_processed',
    170: 'security_policy_processed',
    180: 'phone_policy_processed',
    190: 'custom_settings_processed',
    200: 'registered',
}
STATE_CODES = dict((name, code) for code, name in STATE_NAMES.items())
# Spellings other clients use (CLI-PY maps active/inactive to 1/60, §13.1).
STATE_ALIASES = {'active': 1, 'inactive': 60}
UNKNOWN_STATE = 'unknown'

# The group listing: no maximum is documented for the legacy lists (Unknown 21); the simulator, like v2, allows 1000.
GROUP_PAGE_SIZE = 1000
# The tag catalogue (§13.5, not in the public manifest): paging is unknown, next links are followed anyway.
TAG_PAGE_SIZE = 1000
# The legacy fields read for android_details: exact API level and time zone (v2 has neither, §13.3).
ANDROID_DETAIL_FIELDS = ('api_level', 'timezone_string')

# The keys of device_facts(), in the order they are documented (the inventory prefixes each with esper_).
FACT_KEYS = ('id', 'name', 'alias', 'serial', 'imei', 'platform', 'os', 'os_version', 'api_level', 'model',
             'state', 'state_code', 'group_id', 'group_name', 'group_path', 'tags', 'tag_ids', 'timezone', 'last_seen')
# hostnames preferences -> device_facts keys; device_name and alias_name are the names the issue and the legacy API use.
HOSTNAME_SOURCES = {
    'device_name': 'name',
    'name': 'name',
    'alias_name': 'alias',
    'alias': 'alias',
    'serial': 'serial',
    'imei': 'imei',
    'id': 'id',
}
DEFAULT_HOSTNAMES = ('device_name', 'alias_name', 'serial', 'id')


def _text(value):
    """value stripped when it is a non-empty string, else None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _sub(record, key):
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def _first_text(*values):
    for value in values:
        text = _text(value)
        if text is not None:
            return text
    return None


# --- states and platforms ---------------------------------------------------------------------------

def state_name(code):
    """The §7.5 name of a state code ('online' for 1), or 'unknown' for any other value (never an error)."""
    if isinstance(code, bool):
        return UNKNOWN_STATE
    return STATE_NAMES.get(code, UNKNOWN_STATE) if isinstance(code, int) else UNKNOWN_STATE


def device_state(device):
    """(state name, state code) of a device record: v2 ``state`` or legacy ``status`` (CONTRACT §13.4).

    An integer (or digit string) outside §7.5 gives ('unknown', code); a textual state that names a §7.5 state
    ('Online', 'offline') gives its name and code; anything else gives ('unknown', None).
    """
    value = device.get('state')
    if value is None:
        value = device.get('status')
    if isinstance(value, str):
        text = value.strip().lower().replace(' ', '_').replace('-', '_')
        if text.isdigit():
            value = int(text)
        else:
            code = STATE_CODES.get(text, STATE_ALIASES.get(text))
            return (STATE_NAMES[code], code) if code is not None else (UNKNOWN_STATE, None)
    if isinstance(value, bool) or not isinstance(value, int):
        return UNKNOWN_STATE, None
    return state_name(value), value


def parse_states(values, option='states'):
    """(state codes, problems) for a list of state names ('online', 'Offline', 'active') or §7.5 codes (60, '60')."""
    codes = []
    problems = []
    for index, value in enumerate(values or []):
        text = str(value).strip().lower().replace(' ', '_').replace('-', '_')
        if text.isdigit() and int(text) in STATE_NAMES:
            code = int(text)
        else:
            code = STATE_CODES.get(text, STATE_ALIASES.get(text))
        if code is None:
            problems.append('%s[%d] %r is not a device state; use one of %s, or one of their codes %s'
                            % (option, index, value, ', '.join(sorted(STATE_CODES) + sorted(STATE_ALIASES)),
                               ', '.join(str(item) for item in sorted(STATE_NAMES))))
        elif code not in codes:
            codes.append(code)
    return codes, problems


def parse_platforms(values, option='platforms'):
    """(platform names in upper case, problems) for ANDROID, APPLE, WINDOWS and LINUX in any case."""
    platforms = []
    problems = []
    for index, value in enumerate(values or []):
        text = str(value).strip().upper()
        if text not in DEVICE_PLATFORMS:
            problems.append('%s[%d] %r is not a platform; use one of %s (any case)' % (option, index, value, ', '.join(DEVICE_PLATFORMS)))
        elif text not in platforms:
            platforms.append(text)
    return platforms, problems


def empty_reference_problems(option, values):
    """One problem per empty entry of a list of names or ids."""
    return ['%s[%d] is empty; give a name or a UUID' % (option, index)
            for index, value in enumerate(values or []) if not str(value if value is not None else '').strip()]


# --- groups -----------------------------------------------------------------------------------------

def list_groups(client):
    """Every DeviceGroup of the enterprise (the root "All devices" too when the API lists it), one paginated listing."""
    listing = client.paginate(client.enterprise_path('devicegroup/'), page_size=GROUP_PAGE_SIZE)
    return [group for group in listing if isinstance(group, dict) and group.get('id')]


def reference_id(value):
    """The lower-case UUID a group reference holds: a UUID, or a URL whose last path segment is one (CONTRACT §12.1)."""
    if isinstance(value, dict):
        value = value.get('id')
    text = _text(value)
    if text is None:
        return None
    if is_uuid(text):
        return text.lower()
    last = text.split('?')[0].rstrip('/').split('/')[-1]
    return last.lower() if is_uuid(last) else None


def group_records(listing):
    """The groups of a DeviceGroup listing as plain records, in listing order.

    Each record: id, name, path, parent (the parent's id, read from the URL the API returns, or None), children
    (the ids of the listed groups whose parent it is), device_count, children_count. A path the API leaves out is
    built from the names of the listed ancestors. Makes no request.
    """
    ids = [str(group['id']).lower() for group in listing]
    by_id = dict(zip(ids, listing))
    parents = dict((group_id, reference_id(by_id[group_id].get('parent', by_id[group_id].get('parent_id')))) for group_id in ids)
    children = dict((group_id, []) for group_id in ids)
    for group_id in ids:
        parent = parents[group_id]
        if parent in children and parent != group_id:
            children[parent].append(group_id)

    def built_path(group_id):
        names = []
        seen = set()
        while group_id in by_id and group_id not in seen:
            seen.add(group_id)
            names.append(str(by_id[group_id].get('name') or group_id))
            group_id = parents[group_id]
        return '/'.join(reversed(names))

    records = []
    for group_id in ids:
        group = by_id[group_id]
        records.append({
            'id': group_id,
            'name': group.get('name'),
            'path': _text(group.get('path')) or built_path(group_id),
            'parent': parents[group_id],
            'children': children[group_id],
            'device_count': group.get('device_count'),
            'children_count': group.get('children_count'),
        })
    return records


def descendant_ids(records_by_id, group_id):
    """group_id and the ids of all its listed subgroups, parents before children."""
    found = []
    pending = [group_id]
    while pending:
        current = pending.pop(0)
        if current in found or current not in records_by_id:
            continue
        found.append(current)
        pending.extend(records_by_id[current]['children'])
    return found


def ancestor_ids(records_by_id, group_id):
    """The ids of group_id's listed ancestors, nearest first."""
    found = []
    current = records_by_id[group_id]['parent'] if group_id in records_by_id else None
    while current in records_by_id and current not in found and current != group_id:
        found.append(current)
        current = records_by_id[current]['parent']
    return found


def resolve_group_refs(listing, refs, option='device_groups'):
    """The lower-case ids of the groups refs name (UUIDs, names or paths; _targets.match_groups), in input order.

    Raises TargetError (naming option) for unknown or ambiguous references.
    """
    # Paths the API leaves out are built from the names, so that a path always resolves.
    with_paths = [dict(group, path=record['path']) for group, record in zip(listing, group_records(listing))]
    try:
        return [str(group['id']).lower() for group in match_groups(with_paths, refs)]
    except TargetError as error:
        raise TargetError(['%s: %s' % (option, problem) for problem in error.problems])


# --- tags -------------------------------------------------------------------------------------------

def list_tag_names(client):
    """Tag id (lower case) -> tag name from the tag catalogue (CONTRACT §13.5), or None when the API has none (404)."""
    try:
        listing = client.paginate(client.enterprise_path('tags/'), params={'ordering': 'tag'}, page_size=TAG_PAGE_SIZE)
    except EsperNotFoundError:
        return None
    names = {}
    for item in listing:
        if isinstance(item, dict) and item.get('id') is not None:
            names[str(item['id']).lower()] = item.get('tag') or item.get('name') or str(item['id'])
    return names


def resolve_tag_refs(tag_names, refs, option='tags'):
    """The tag ids refs name (tag UUIDs as they are; names matched exactly, then case-insensitively).

    tag_names: list_tag_names() output, or None when the catalogue cannot be read (then only UUIDs work).
    Raises TargetError naming option for unknown names.
    """
    ids = []
    problems = []
    known = tag_names or {}
    for ref in refs or []:
        text = str(ref).strip()
        if is_uuid(text):
            found = [text.lower()]
        elif tag_names is None:
            problems.append('%s: %r cannot be resolved to a tag id because the tag listing is not available; '
                            'give tag UUIDs' % (option, text))
            continue
        else:
            found = [tag_id for tag_id, name in sorted(known.items()) if name == text]
            if not found:
                found = [tag_id for tag_id, name in sorted(known.items()) if str(name).lower() == text.lower()]
            if not found:
                problems.append('%s: tag %r not found; known tags: %s' % (option, text, ', '.join(sorted(set(known.values()))) or 'none'))
                continue
        for tag_id in found:
            if tag_id not in ids:
                ids.append(tag_id)
    if problems:
        raise TargetError(problems)
    return ids


def _device_tag_ids(device):
    tags = device.get('tags')
    return [str(tag) for tag in tags if tag is not None] if isinstance(tags, list) else []


# --- devices ----------------------------------------------------------------------------------------

def device_listing_params(group_ids=None, states=None, platforms=None, tag_ids=None, search=None, serial=None):
    """The /v2/devices/ queries (CONTRACT §13.2) of the filters: one, or one per state when several are given.

    group_multi (CSV, subgroups included), platform (CSV), tags (CSV of ids), search and serial are all server-side;
    the v2 ``state`` filter takes one value, so each state is its own listing.
    """
    base = {}
    if group_ids:
        base['group_multi'] = ','.join(group_ids)
    if platforms:
        base['platform'] = ','.join(platforms)
    if tag_ids:
        base['tags'] = ','.join(tag_ids)
    if _text(search):
        base['search'] = search.strip()
    if _text(serial):
        base['serial'] = serial.strip()
    if not states:
        return [base]
    return [dict(base, state=str(code)) for code in states]


def list_filtered_devices(client, group_ids=None, states=None, platforms=None, tag_ids=None, search=None, serial=None):
    """The normalised v2 device records that pass the filters, in listing order without repeats (pages of 1000)."""
    devices = []
    seen = set()
    for params in device_listing_params(group_ids, states, platforms, tag_ids, search, serial):
        for device in list_devices(client, params=params):
            key = str(device.get('id')).lower()
            if key not in seen:
                seen.add(key)
                devices.append(device)
    return devices


def device_facts(device, groups_by_id=None, tag_names=None):
    """The one mapping of a device record (v2 or legacy DeviceInfo) to its variables (CONTRACT §13.3).

    The inventory plugin sets each as the host variable ``esper_<key>``; esper_device_info returns them as they are.
    groups_by_id: group_records() by id, for group_name and group_path; tag_names: list_tag_names() output, for
    tag names (a tag whose name cannot be read is shown by its id). Never fails on odd values: an unknown state is
    'unknown' with its code, a missing value is None.
    """
    groups_by_id = groups_by_id or {}
    hardware = _sub(device, 'hardware_info')
    legacy_hardware = _sub(device, 'hardwareInfo')
    network = _sub(device, 'network_info')
    legacy_network = _sub(device, 'networkInfo')
    software = _sub(device, 'software_info')
    legacy_software = _sub(device, 'softwareInfo')
    group_id = reference_id(device.get('group_id'))
    if group_id is None and isinstance(device.get('groups'), list) and device['groups']:
        group_id = reference_id(device['groups'][0])
    group = groups_by_id.get(group_id) if group_id else None
    state, state_code = device_state(device)
    tag_ids = _device_tag_ids(device)
    names = tag_names or {}
    return {
        'id': device.get('id'),
        'name': _first_text(device.get('name'), device.get('device_name')),
        'alias': _first_text(device.get('alias'), device.get('alias_name')),
        'serial': _first_text(device.get('serial'), hardware.get('serial'), legacy_hardware.get('serialNumber')),
        'imei': _first_text(network.get('imei1'), legacy_network.get('imei1'), network.get('imei2'), legacy_network.get('imei2')),
        'platform': device_platform(device),
        'os': _first_text(device.get('os')),
        'os_version': _first_text(device.get('os_version'), software.get('os_version'), legacy_software.get('androidVersion'),
                                  legacy_software.get('osVersion')),
        'api_level': device_api_level(device),
        'model': _first_text(hardware.get('model'), legacy_hardware.get('model')),
        'state': state,
        'state_code': state_code,
        'group_id': group_id,
        'group_name': group.get('name') if group else None,
        'group_path': group.get('path') if group else None,
        'tags': [names.get(tag.lower(), tag) for tag in tag_ids],
        'tag_ids': tag_ids,
        'timezone': _first_text(device.get('timezone_string'), device.get('timezone')),
        'last_seen': _first_text(device.get('last_seen')),
    }


def read_fleet(client, device_groups=None, states=None, platforms=None, tags=None, search=None, serial=None,
               devices=None, android_details=False, group_option='device_groups'):
    """(device facts, group records, tag names or None) for the devices that pass every filter.

    Arguments are checked values: states are codes (parse_states), platforms upper case (parse_platforms);
    device_groups (UUIDs, names or paths, subgroups included), tags (UUIDs or names) and devices (UUIDs, names or
    aliases, _targets.resolve_devices) are resolved here and raise TargetError naming every bad reference (the groups
    by group_option, the name of that option for the caller).
    Requests: one group listing; the tag catalogue when tags holds a name or a listed device has tags; the device
    listing(s) (list_filtered_devices); devices costs a resolution listing (or one GET per UUID, up to 20); the
    legacy Android listing (or one GET per Android device, up to 20) when android_details.
    """
    listing = list_groups(client)
    records = group_records(listing)
    groups_by_id = dict((record['id'], record) for record in records)
    group_ids = resolve_group_refs(listing, device_groups, option=group_option) if device_groups else None
    tag_names = None
    tags_read = False
    tag_ids = None
    if tags:
        if any(not is_uuid(str(tag).strip()) for tag in tags):
            tag_names = list_tag_names(client)
            tags_read = True
        tag_ids = resolve_tag_refs(tag_names, tags)
    chosen = resolve_devices(client, devices, full=True) if devices else None
    filtered = bool(group_ids or states or platforms or tag_ids or _text(search) or _text(serial))
    if chosen is None or filtered:
        found = list_filtered_devices(client, group_ids, states, platforms, tag_ids, search, serial)
        if chosen is not None:
            kept = set(str(device.get('id')).lower() for device in found)
            found = [device for device in chosen if str(device.get('id')).lower() in kept]
    else:
        found = chosen
    if not tags_read and any(_device_tag_ids(device) for device in found):
        tag_names = list_tag_names(client)
    if android_details:
        found = with_legacy_fields(client, found, ANDROID_DETAIL_FIELDS)
    facts = [device_facts(device, groups_by_id, tag_names) for device in found]
    return facts, records, tag_names


def direct_member_ids(client, group_ids=None, batch=100):
    """Group id -> the ids of the devices directly in it (not in its subgroups), from the device's group_id.

    group_ids None: one listing of every device. Otherwise one group_multi_immediate listing per batch of group ids
    (CONTRACT §13.2), so the query stays short; groups without devices map to [].
    """
    members = dict((group_id, []) for group_id in group_ids or [])
    if group_ids is None:
        listings = [list_devices(client)]
    else:
        listings = [list_devices(client, params={'group_multi_immediate': ','.join(group_ids[start:start + batch])})
                    for start in range(0, len(group_ids), batch)]
    for listing in listings:
        for device in listing:
            group_id = reference_id(device.get('group_id'))
            if group_id is not None and (group_ids is None or group_id in members):
                members.setdefault(group_id, []).append(device.get('id'))
    return members


# --- host names -------------------------------------------------------------------------------------

def hostname_problems(preferences, option='hostnames'):
    """Problems with a hostnames preference list (unknown entries, empty list)."""
    if not preferences:
        return ['%s must name at least one of %s' % (option, ', '.join(sorted(HOSTNAME_SOURCES)))]
    return ['%s[%d] %r is not a host name source; use one of %s' % (option, index, value, ', '.join(sorted(HOSTNAME_SOURCES)))
            for index, value in enumerate(preferences) if value not in HOSTNAME_SOURCES]


def assign_hostnames(facts, preferences=DEFAULT_HOSTNAMES):
    """(one host name per device, in order; collisions) for device_facts() dicts and a hostnames preference list.

    Each device takes its first preference that has a value, and the id when none has. Where several devices would
    take the same name, the one that reached it with the earliest preference (or with its id) keeps it; if they tie,
    none does. The others fall to their next preference, and last to their id, which is unique: no two devices share a host,
    whatever the listing order. collisions: [{'name': taken name, 'devices': [ids of the devices that wanted it]}],
    sorted by name.
    """
    candidates = []
    for item in facts:
        names = []
        for preference in preferences:
            value = item.get(HOSTNAME_SOURCES[preference])
            text = _text(value if value is None or isinstance(value, str) else str(value))
            if text is not None and text not in names:
                names.append(text)
        identity = str(item.get('id'))
        if identity not in names:
            names.append(identity)
        candidates.append(names)
    levels = [0] * len(facts)
    wanted = {}
    while True:
        holders = {}
        for index, names in enumerate(candidates):
            holders.setdefault(names[levels[index]], []).append(index)
        bumped = False
        for name, indexes in holders.items():
            if len(indexes) < 2:
                continue
            wanted.setdefault(name, set()).update(indexes)
            # A device already at its id (unique) cannot move: it keeps the name; otherwise the earliest preference does.
            keepers = [index for index in indexes if levels[index] == len(candidates[index]) - 1][:1]
            if not keepers:
                best = min(levels[index] for index in indexes)
                keepers = [index for index in indexes if levels[index] == best]
            for index in indexes:
                if (len(keepers) > 1 or index not in keepers) and levels[index] < len(candidates[index]) - 1:
                    levels[index] += 1
                    bumped = True
        if not bumped:
            break
    chosen = [names[levels[index]] for index, names in enumerate(candidates)]
    collisions = [{'name': name, 'devices': [str(facts[index].get('id')) for index in sorted(indexes)]}
                  for name, indexes in sorted(wanted.items())]
    return chosen, collisions


# --- Ansible group names ----------------------------------------------------------------------------

def safe_group_name(text):
    """text with every character that is not a letter, digit or underscore made '_' (valid Ansible group names)."""
    safe = ''.join(char if (char.isalnum() and char.isascii()) or char == '_' else '_' for char in str(text))
    return safe or '_'


def ansible_group_names(records, prefix='esper_group_'):
    """Esper group id -> a valid, deterministic Ansible group name that no other group of records has.

    The name is prefix + the group's name; when groups share that (nested groups may share names, CONTRACT §12.1,
    and unsafe characters may make names equal), prefix + the path below the root for each of them; failing that,
    prefix + path + '_' + the first 8 characters of the id (the whole id if those clash too). The same listing gives
    the same names whatever its order.
    """
    def by_name(record):
        return prefix + safe_group_name(record.get('name') or record['id'])

    def by_path(record):
        path = record.get('path') or record.get('name') or record['id']
        parts = path.split('/')
        if len(parts) > 1 and record.get('parent'):
            parts = parts[1:]  # the root's name ("All devices") is the same for every group below it
        return prefix + safe_group_name('/'.join(parts))

    def by_short_id(record):
        return '%s_%s' % (by_path(record), safe_group_name(record['id'][:8]))

    def by_id(record):
        return '%s_%s' % (by_path(record), safe_group_name(record['id']))

    names = {}
    pending = list(records)
    for rule in (by_name, by_path, by_short_id, by_id):
        proposed = {}
        for record in pending:
            proposed.setdefault(rule(record), []).append(record)
        taken = set(names.values())
        pending = []
        for name, holders in proposed.items():
            if len(holders) == 1 and name not in taken:
                names[holders[0]['id']] = name
            else:
                pending.extend(holders)
        if not pending:
            break
    for record in pending:  # only when two groups have the same id
        names[record['id']] = by_id(record)
    return names
