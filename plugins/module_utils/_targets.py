# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Turn the devices and groups a user names into Esper device and DeviceGroup dicts (CONTRACT §7.2, §7.4, §13).

Devices are read from ``/v2/devices/`` (§13.2), the only listing that holds every platform: the legacy
``/enterprise/<eid>/device/`` listing is Android only (§13.1) and would miss iOS, Windows and Linux devices.
The legacy DeviceInfo is read only for what v2 lacks, for Android devices (with_legacy_fields: api_level,
timezone_string). Names are resolved with one paginated listing, never one request per name, and every bad
reference is reported in one error before anything is sent.

Device dicts are the v2 records as the API returns them plus the DeviceInfo spellings of the same values
(normalise_device: device_name from name, alias_name from alias, status from state), so code written for the
legacy record keeps working; the readers (device_label, device_platform, device_api_level) accept either shape.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import re
import sys

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import COMMANDS
from ansible_collections.esper.mdm.plugins.module_utils._client import EsperNotFoundError
from ansible_collections.esper.mdm.plugins.module_utils._parallel import parallel_map

UUID_PATTERN = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
# A reference shaped like a UUID (8-4-4-4-12 letters or digits), or a long run of hex digits and dashes: a UUID
# that was meant, mistyped. Device names like kiosk-0001 match neither, so they are still resolved as names.
UUID_SHAPE = re.compile(r'^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$')
HEX_AND_DASHES = re.compile(r'^[0-9A-Fa-f-]{30,40}$')

# Page size of the group listing: few pages even for large tenants.
LISTING_PAGE_SIZE = 500

# The v2 device listing of every platform (§13.2): pages of up to 1000 devices, subgroups in group_multi.
V2_DEVICES_PATH = 'v2/devices/'
# One v2 device by id; written without a trailing slash as the spec gives it (§7.2, §13.2).
V2_DEVICE_PATH = 'v2/devices/%s'
V2_PAGE_SIZE = 1000

# The legacy DeviceInfo listing holds only Android devices (§13.1); no maximum page size is declared
# (Unknown 21) and a single limit=5000 request has worked, so 1000 is safe (next links are followed anyway).
LEGACY_PAGE_SIZE = 1000

# Up to this many devices are fetched one by one (v2 by UUID, or their legacy DeviceInfo) without asking how large
# the fleet is; above it, the listing's first page gives the fleet size and choose_id_reads() decides.
MAX_SINGLE_DEVICE_LOOKUPS = 20
# What reading one page of 1000 devices costs, in reads of one device by id (8 at a time). Measured on the simulator:
# 30 ms for a page, about 1 ms per single read; a remote API adds a round trip to each single read but reads them
# 8 at a time, which keeps the ratio of the same order. Few ids of a large fleet are cheaper one by one.
PAGE_COST_IN_READS = 25

# How many similar names an "unknown name" error suggests.
MAX_SUGGESTIONS = 10

# DeviceInfo.os / platform spellings mapped to the platform names of the command catalogue.
OS_PLATFORMS = {
    'ANDROID': 'ANDROID',
    'IOS': 'APPLE',
    'IPADOS': 'APPLE',
    'TVOS': 'APPLE',
    'MACOS': 'APPLE',
    'APPLE': 'APPLE',
    'WINDOWS': 'WINDOWS',
    'LINUX': 'LINUX',
}

# The catalogue's platform names (COMMANDS[name].platforms) as device_platform() names them.
CATALOGUE_PLATFORMS = {
    'Android': 'ANDROID',
    'iOS': 'APPLE',
    'Windows': 'WINDOWS',
    'Linux': 'LINUX',
}
# Every device platform, in the order messages list them.
DEVICE_PLATFORMS = ('ANDROID', 'APPLE', 'WINDOWS', 'LINUX')

# Android release (Build.VERSION.RELEASE, major and minor) -> API level; for 9 and later the major number decides.
ANDROID_RELEASE_API_LEVELS = {
    (5, 0): 21, (5, 1): 22, (6, 0): 23, (7, 0): 24, (7, 1): 25, (8, 0): 26, (8, 1): 27, (9, 0): 28, (10, 0): 29,
    (11, 0): 30, (12, 0): 31, (13, 0): 33, (14, 0): 34, (15, 0): 35, (16, 0): 36,
}
ANDROID_RELEASE = re.compile(r'^([0-9]+)(?:\.([0-9]+))?(?:\.[0-9]+)*$')


class TargetError(Exception):
    """One or more device or group references could not be resolved.

    ``problems`` lists one user-facing sentence per bad reference; str(error) joins them.
    """

    def __init__(self, problems):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super(TargetError, self).__init__('; '.join(self.problems))


def is_uuid(value):
    """Return True when value is a string in the 8-4-4-4-12 hexadecimal UUID form."""
    return isinstance(value, str) and UUID_PATTERN.match(value) is not None


def normalise_device(record):
    """A copy of a /v2/devices record with the DeviceInfo spellings of its values added (§13.3).

    device_name from name, alias_name from alias and status from state, each only when the record lacks it, so
    code that reads a legacy DeviceInfo keeps working; everything else is kept as v2 gives it (platform, os,
    os_version, serial, group_id, ...). v2 has no api_level nor timezone_string: with_legacy_fields adds them.
    Anything that is not a dict is returned as it is.
    """
    if not isinstance(record, dict):
        return record
    device = dict(record)
    for legacy_key, v2_key in (('device_name', 'name'), ('alias_name', 'alias'), ('status', 'state')):
        if legacy_key not in device and v2_key in device:
            device[legacy_key] = device[v2_key]
    return device


# What command targets need of a device record: its id and name (for messages), platform (os when there is no
# platform) and Android release (os_version) for the catalogue's checks, and the legacy api_level and
# timezone_string when a record carries them; the alias only for a device named by reference (name matching looks
# at it). The rest of a v2 record (state, serial, group, hardware, network, battery, ...) is dropped when devices
# are resolved as targets, so that 100,000 of them fit: each is a dict of at most five keys in the usual case (a
# 184-byte table rather than 464), with its platform and release strings shared.
TARGET_FIELDS = ('id', 'name', 'alias', 'platform', 'os_version', 'api_level', 'timezone_string')


def _lower(text):
    """text in lower case, as the same object when it already is (so 100,000 lower-case ids cost no copies)."""
    lowered = text.lower()
    return text if lowered == text else lowered


def target_device(record, known_id=None, alias=False):
    """The part of a device record that command targets use (TARGET_FIELDS, present values only), v2 spellings.

    name (and with alias, the alias) come from name/alias or the legacy device_name/alias_name; os only when there
    is no platform; software_info's os_version when the record has no os_version of its own. known_id: a string
    equal to the record's id (the caller's reference) to keep instead of the record's copy. Anything that is not a
    dict is returned as it is.
    """
    if not isinstance(record, dict):
        return record
    slim = {}
    device_id = record.get('id')
    if device_id is not None:
        slim['id'] = known_id if known_id is not None and known_id == device_id else device_id
    for key, legacy_key in (('name', 'device_name'), ('alias', 'alias_name'))[:2 if alias else 1]:
        value = record.get(key)
        if value is None:
            value = record.get(legacy_key)
        if value is not None:
            slim[key] = value
    platform = record.get('platform')
    if platform is not None:
        slim['platform'] = sys.intern(platform) if isinstance(platform, str) else platform
    elif record.get('os') is not None:
        slim['os'] = sys.intern(record['os']) if isinstance(record['os'], str) else record['os']
    release = record.get('os_version')
    software = record.get('software_info')
    if release is None and isinstance(software, dict):
        release = software.get('os_version')
    if release is not None:
        slim['os_version'] = sys.intern(release) if isinstance(release, str) else release
    for key in ('api_level', 'timezone_string'):
        if record.get(key) is not None:
            slim[key] = record[key]
    return slim


def device_label(device):
    """The name to show for a device in messages and results: its device_name (v2: name), else its id."""
    if not isinstance(device, dict):
        return str(device)
    return device.get('device_name') or device.get('name') or device.get('id') or '?'


def device_alias(device):
    """The device's alias: alias_name (legacy) or alias (v2), or None."""
    if not isinstance(device, dict):
        return None
    return device.get('alias_name') or device.get('alias') or None


def device_platform(device):
    """The device's platform as the catalogue names it (ANDROID, APPLE, WINDOWS, LINUX), or None when unknown."""
    if not isinstance(device, dict):
        return None
    for key in ('platform', 'os'):
        value = device.get(key)
        if isinstance(value, str) and value.strip():
            return OS_PLATFORMS.get(value.strip().upper(), value.strip().upper())
    return None


def _android_release(device):
    """The Android release a device reports (v2 os_version or software_info.os_version, legacy androidVersion)."""
    software = device.get('software_info') if isinstance(device.get('software_info'), dict) else {}
    legacy_software = device.get('softwareInfo') if isinstance(device.get('softwareInfo'), dict) else {}
    for value in (device.get('os_version'), software.get('os_version'), legacy_software.get('androidVersion')):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def android_api_level(release):
    """The API level of an Android release string ('9', '8.1.0', '12L', '14'), or None when it is not one."""
    if not isinstance(release, str):
        return None
    text = release.strip()
    if text.upper() == '12L':
        return 32
    match = ANDROID_RELEASE.match(text)
    if match is None:
        return None
    major, minor = int(match.group(1)), int(match.group(2) or 0)
    if (major, minor) in ANDROID_RELEASE_API_LEVELS:
        return ANDROID_RELEASE_API_LEVELS[(major, minor)]
    if major >= 9:
        return ANDROID_RELEASE_API_LEVELS.get((major, 0))
    return None


def device_api_level(device):
    """The device's Android API level as an int, or None when unknown.

    The reported api_level (legacy DeviceInfo, or added by with_api_levels) when there is one; otherwise, for a
    device whose platform is ANDROID (a v2 record, which has no api_level, §13.3), the level of the Android release
    it reports in os_version ('9' is 28, '8.1' is 27). None for other platforms and unreadable values.
    """
    if not isinstance(device, dict):
        return None
    value = device.get('api_level')
    if value is None and device_platform(device) == 'ANDROID':
        return android_api_level(_android_release(device))
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _unique_refs(refs):
    """refs as a list of strings in input order, without repeats."""
    seen = set()
    unique = []
    for ref in refs or []:
        ref = '' if ref is None else str(ref)
        if ref not in seen:
            seen.add(ref)
            unique.append(ref)
    return unique


def _similar_names(name, candidates):
    """Up to MAX_SUGGESTIONS candidate names that look like name: case-insensitive substrings first, then close matches."""
    lowered = name.lower()
    suggestions = []
    for candidate in candidates:
        low_candidate = candidate.lower()
        # The reverse test ('kiosk' in 'kiosk-7') needs a few letters, or every one-letter name would match.
        contains = lowered in low_candidate or (len(low_candidate) >= 3 and low_candidate in lowered)
        if lowered and contains and candidate not in suggestions:
            suggestions.append(candidate)
    for candidate in difflib.get_close_matches(name, candidates, n=MAX_SUGGESTIONS, cutoff=0.6):
        if candidate not in suggestions:
            suggestions.append(candidate)
    return suggestions[:MAX_SUGGESTIONS]


def _name_problem(kind, name, matches, all_names, describe_match, instead='the UUID'):
    """The problem sentence for a name that matched zero or several items, or None when it matched one."""
    if len(matches) == 1:
        return None
    if matches:
        return ('%s name %r matches %d %ss: %s; give %s instead'
                % (kind, name, len(matches), kind, ', '.join(describe_match(item) for item in matches), instead))
    suggestions = _similar_names(name, all_names)
    if suggestions:
        return '%s %r not found; similar names: %s' % (kind, name, ', '.join(repr(s) for s in suggestions))
    return '%s %r not found' % (kind, name)


def _index_by_id(items):
    """Map each item's lower-cased id to the item (first one wins)."""
    index = {}
    for item in items:
        item_id = item.get('id') if isinstance(item, dict) else None
        if item_id is not None and str(item_id).lower() not in index:
            index[str(item_id).lower()] = item
    return index


def _device_name(device):
    """The device's own name (device_name, v2 name), or None."""
    return device.get('device_name') or device.get('name') or None


def _match_device_name(name, listing):
    """Devices whose name (device_name / v2 name) is exactly name; failing that, those whose alias is."""
    matches = [device for device in listing if _device_name(device) == name]
    if not matches:
        matches = [device for device in listing if device_alias(device) == name]
    return matches


def _describe_device(device):
    alias = device_alias(device)
    if alias and alias != _device_name(device):
        return '%s (%s, alias %s)' % (device.get('id'), _device_name(device), alias)
    return '%s (%s)' % (device.get('id'), _device_name(device))


def _describe_group(group):
    if group.get('path'):
        return '%s (%s)' % (group.get('id'), group.get('path'))
    return str(group.get('id'))


def _append_unique(resolved, seen_ids, item):
    """Append item to resolved unless an item with the same id is already there."""
    key = _lower(str(item.get('id')))
    if key not in seen_ids:
        seen_ids.add(key)
        resolved.append(item)


def list_devices(client, params=None, slim=False):
    """Every device of the tenant, every platform, from one paginated /v2/devices/ listing (pages of 1000).

    params: v2 filters (§13.2) such as {'group_multi': <group id>}. The records are normalised (normalise_device),
    or, with slim, cut to what command targets need (target_device), page by page.
    """
    convert = target_device if slim else normalise_device
    devices = []
    for results, _count in client.iter_pages(V2_DEVICES_PATH, params=params, page_size=V2_PAGE_SIZE):
        devices.extend(convert(device) for device in results if isinstance(device, dict))
    return devices


def get_device(client, device_id, full=False):
    """One device of any platform by UUID (GET v2/devices/<id>): as a target (target_device), or with full the whole
    normalised record (normalise_device); EsperNotFoundError when unknown.

    v2 search does not find a device by its UUID (§13.2), so ids are read one by one or from the listing.
    """
    record = client.get(V2_DEVICE_PATH % device_id)
    return normalise_device(record) if full else target_device(record, device_id)


def list_legacy_devices(client, params=None):
    """Every legacy DeviceInfo of the enterprise (Android devices only, §13.1), in one paginated listing."""
    listing = client.paginate(client.enterprise_path('device/'), params=params, page_size=LEGACY_PAGE_SIZE)
    return [device for device in listing if isinstance(device, dict)]


def resolve_devices(client, refs, full=False):
    """Resolve device references (UUIDs or exact names) to device dicts of any platform, in input order without repeats.

    Names need the /v2/devices/ listing (every platform, pages of 1000): they match the device name exactly, then
    the alias. One listing rather than a ``search=`` per name: v2 search matches many fields in a way that is not
    documented (Unknown 22), and only the whole list can suggest the names a mistyped one was meant to be. UUIDs
    are checked the cheaper way (choose_id_reads): up to MAX_SINGLE_DEVICE_LOOKUPS, or a few of a large fleet, are
    read one by one with GET v2/devices/<id>, several at a time (v2 search does not find UUIDs); many are checked
    against the listing, whose first page's ``count`` says how large the fleet is. Only the devices referred to are
    kept, not the listing. The dicts are what command targets use (target_device), or with full the whole normalised
    v2 records (normalise_device), for modules that report on the devices.
    Raises TargetError naming every reference that is unknown or ambiguous, before anything is sent.
    """
    refs = _unique_refs(refs)
    if not refs:
        return []
    names = [ref for ref in refs if not is_uuid(ref)]
    uuids = [ref for ref in refs if is_uuid(ref)]
    if names or len(uuids) > MAX_SINGLE_DEVICE_LOOKUPS:
        found, problems = _resolve_from_listing(client, refs, names, uuids, full)
    else:
        found, problems = _read_by_id(client, uuids, full)
    if problems:
        raise TargetError(problems)
    if not names and all(_lower(ref) is ref for ref in uuids):
        # Distinct lower-case UUIDs are distinct devices: no set of 100,000 ids is needed to drop repeats.
        return [found[ref] for ref in refs]
    resolved = []
    seen_ids = set()
    for ref in refs:
        _append_unique(resolved, seen_ids, found[ref])
    return resolved


def choose_id_reads(unresolved, remaining_items, page_size=V2_PAGE_SIZE):
    """True when reading ``unresolved`` devices one by one costs less than listing ``remaining_items`` more.

    A page of page_size devices costs about PAGE_COST_IN_READS single reads; remaining_items None (the API gave no
    count) means the rest of the listing cannot be priced, so the listing goes on.
    """
    if remaining_items is None:
        return False
    if unresolved == 0:
        return True
    pages = -(-remaining_items // page_size)
    return unresolved <= pages * PAGE_COST_IN_READS


def _read_by_id(client, uuids, full=False):
    """({ref: device}, problems) from GET v2/devices/<id> of each UUID, several at a time; a 404 is a problem."""
    def read_one(ref):
        try:
            return get_device(client, ref, full)
        except EsperNotFoundError:
            return None

    found = {}
    problems = []
    for ref, device in zip(uuids, parallel_map(read_one, uuids)):
        if device is None:
            problems.append('device %s not found in enterprise' % ref)
        else:
            found[ref] = device
    return found, problems


def _resolve_from_listing(client, refs, names, uuids, full=False):
    """({ref: device}, problems) from one pass over the /v2/devices/ listing, keeping only what the refs need.

    With UUIDs alone, the listing stops after the first page when reading the rest one by one is cheaper.
    """
    def convert(record):
        return normalise_device(record) if full else target_device(record, alias=True)

    # One dict for 100,000 UUIDs: lower-case id -> the reference (a str) until the device is found, then the device.
    by_id = {}
    for ref in uuids:
        by_id.setdefault(_lower(ref), ref)
    unresolved = len(by_id)
    wanted_names = set(names)
    candidates = dict((name, []) for name in names)
    all_names = []
    pages = client.iter_pages(V2_DEVICES_PATH, page_size=V2_PAGE_SIZE)
    read = 0
    for results, count in pages:
        for record in results:
            if not isinstance(record, dict):
                continue
            device_id = str(record.get('id')).lower()
            name = record.get('device_name') or record.get('name')
            alias = record.get('alias_name') or record.get('alias')
            ref = by_id.get(device_id)
            if isinstance(ref, str):
                by_id[device_id] = normalise_device(record) if full else target_device(record, ref)
                unresolved -= 1
            for text in (name, alias):
                if text in wanted_names:
                    candidates[text].append(convert(record))
            if names:
                all_names.extend(text for text in (name, alias) if text)
        read += len(results)
        results = None  # the page can go before the next one is read
        if not names and count is not None and choose_id_reads(unresolved, max(0, count - read)):
            pages.close()
            found, problems = _read_by_id(client, [ref for ref in uuids if isinstance(by_id[_lower(ref)], str)], full)
            for ref in uuids:
                device = by_id[_lower(ref)]
                if not isinstance(device, str):
                    found[ref] = device
            return found, problems
    found = {} if names else by_id  # UUIDs alone: by_id is the answer once references spelt in capitals are added
    problems = []
    all_names = _unique_refs(all_names)
    for ref in refs:
        if is_uuid(ref):
            device = by_id[_lower(ref)]
            if isinstance(device, str):
                problems.append('device %s not found in enterprise' % ref)
            elif found is not by_id or ref not in by_id:
                found[ref] = device
            continue
        if not ref.strip():
            problems.append('empty device reference')
            continue
        matches = _match_device_name(ref, _unique_devices(candidates[ref]))
        problem = _name_problem('device', ref, matches, all_names, _describe_device)
        if problem:
            problems.append(problem)
        else:
            found[ref] = matches[0]
    return found, problems


def _unique_devices(devices):
    unique = []
    _seen = set()
    for device in devices:
        _append_unique(unique, _seen, device)
    return unique


def resolve_groups(client, refs):
    """Resolve group references (UUIDs or exact names) to DeviceGroup dicts, in input order without repeats.

    One paginated listing of the enterprise's groups serves every reference (match_groups). Raises TargetError
    naming every reference that is unknown or ambiguous.
    """
    refs = _unique_refs(refs)
    if not refs:
        return []
    listing = client.paginate(client.enterprise_path('devicegroup/'), page_size=LISTING_PAGE_SIZE)
    return match_groups(listing, refs)


def match_groups(listing, refs, kind='group'):
    """The DeviceGroup dicts of listing that refs name, in input order without repeats; makes no request.

    A reference is a UUID, an exact name, or (when no name matches) an exact path such as
    ``All devices/Retail/Store-017``: names are not unique in nested groups (CONTRACT §12.1), so a name shared by
    several groups is an error that lists their paths. Raises TargetError naming every reference that is unknown
    or ambiguous, with similar names for unknown ones; kind names the references in those messages.
    """
    refs = _unique_refs(refs)
    listing = [group for group in listing or [] if isinstance(group, dict)]
    by_id = _index_by_id(listing)
    all_names = _unique_refs([group.get('name') for group in listing if group.get('name')])
    problems = []
    resolved = []
    seen_ids = set()
    for ref in refs:
        if is_uuid(ref):
            group = by_id.get(ref.lower())
            if group is None:
                problems.append('%s %s not found in enterprise' % (kind, ref))
            else:
                _append_unique(resolved, seen_ids, group)
            continue
        if not ref.strip():
            problems.append('empty %s reference' % kind)
            continue
        matches = [group for group in listing if group.get('name') == ref]
        if not matches and '/' in ref:
            matches = [group for group in listing if group.get('path') == ref]
        problem = _name_problem(kind, ref, matches, all_names, _describe_group, instead='the UUID or the path')
        if problem:
            problems.append(problem)
        else:
            _append_unique(resolved, seen_ids, matches[0])
    if problems:
        raise TargetError(problems)
    return resolved


def _group_id(group):
    return group.get('id') if isinstance(group, dict) else group


def expand_groups(client, groups):
    """Map each group's id to its member device dicts of every platform, subgroups included.

    groups: DeviceGroup dicts (as returned by resolve_groups) or group ids. One paginated /v2/devices/
    listing per group with ``group_multi=<id>`` (which includes subgroups, like the legacy ``group`` filter, §13.2),
    pages of 1000; the dicts are normalised v2 records.
    """
    members = {}
    for group in groups or []:
        group_id = _group_id(group)
        if group_id in members:
            continue
        members[group_id] = list_devices(client, params={'group_multi': group_id}, slim=True)
    return members


def target_devices(client, devices, groups):
    """Every device a command would reach: the resolved devices, then each group's members, without repeats.

    devices: device dicts (from resolve_devices); groups: DeviceGroup dicts (from resolve_groups) or ids.
    """
    result = []
    seen_ids = set()
    for device in devices or []:
        _append_unique(result, seen_ids, device)
    expanded = expand_groups(client, groups)
    for group in groups or []:
        for device in expanded.get(_group_id(group), []):
            _append_unique(result, seen_ids, device)
    return result


def target_argument_spec():
    """The target and wait options every command-sending module shares (doc fragment esper.mdm.targets)."""
    return dict(
        devices=dict(type='list', elements='str', default=[]),
        groups=dict(type='list', elements='str', default=[]),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=300),
        force=dict(type='bool', default=False),
    )


def target_problems(params):
    """Problems with the target_argument_spec options that can be found before any request."""
    problems = []
    if not params['devices'] and not params['groups']:
        problems.append('at least one of devices or groups is required')
    problems.extend(reference_problems('devices', params['devices']))
    problems.extend(reference_problems('groups', params['groups']))
    if params['wait_timeout'] < 0:
        problems.append('wait_timeout must be 0 or more seconds, got %d' % params['wait_timeout'])
    return problems


def reference_problems(option, refs):
    """One message per reference in refs that is empty or looks like a UUID but is not a valid one (checked before any request)."""
    problems = []
    for index, ref in enumerate(refs or []):
        if not isinstance(ref, str) or is_uuid(ref.strip()):
            continue
        text = ref.strip()
        if not text:
            # Often a variable that templated to nothing; found here, it costs no listing of the whole fleet.
            problems.append('%s[%d] is empty; give a UUID or a device or group name' % (option, index))
        elif UUID_SHAPE.match(text) or HEX_AND_DASHES.match(text):
            problems.append('%s[%d] %r is not a valid UUID (8-4-4-4-12 hexadecimal digits, such as '
                            '6f1c2d3e-0000-4a5b-8c9d-000000000001); give a valid UUID or a device or group name'
                            % (option, index, text))
    return problems


def groups_device_count(groups):
    """The summed device_count of resolved groups, or None when a group does not report one."""
    counts = [group.get('device_count') for group in groups]
    if not all(isinstance(count, int) and not isinstance(count, bool) for count in counts):
        return None
    return sum(counts)


# --- what v2 lacks: the legacy DeviceInfo of Android devices ---------------------------------------

def _legacy_records(client, device_ids):
    """device id (lower case) -> legacy DeviceInfo for those of device_ids that have one (Android devices).

    Up to MAX_SINGLE_DEVICE_LOOKUPS ids: one GET enterprise/<eid>/device/<id>/ each (a 404, a device the legacy API
    does not know, is left out); more: one paginated legacy listing of the enterprise.
    """
    if not device_ids:
        return {}
    if len(device_ids) > MAX_SINGLE_DEVICE_LOOKUPS:
        wanted = set(str(device_id).lower() for device_id in device_ids)
        return dict((key, record) for key, record in _index_by_id(list_legacy_devices(client)).items() if key in wanted)
    records = {}
    for device_id in device_ids:
        try:
            record = client.get(client.enterprise_path('device/%s/' % device_id))
        except EsperNotFoundError:
            continue
        if isinstance(record, dict):
            records[str(device_id).lower()] = record
    return records


def with_legacy_fields(client, devices, fields):
    """devices with the given legacy DeviceInfo fields added where v2 lacks them, as a new list in the same order.

    Only devices that miss one of the fields (the key is absent, as in every v2 record) and may be Android (platform
    ANDROID or unknown: the legacy API knows only Android devices, §13.1) are looked up; the others are returned as
    they are, at no cost. Up to MAX_SINGLE_DEVICE_LOOKUPS such devices cost one GET enterprise/<eid>/device/<id>/
    each, more cost one paginated legacy listing. A looked-up device is a new dict with the fields it missed taken
    from its DeviceInfo (None when the DeviceInfo lacks one); a device the legacy API does not know (404, not in
    the listing) is returned unchanged, still without the fields. Raises the client's typed errors otherwise.
    """
    devices = list(devices or [])
    fields = tuple(fields)

    def lacks_fields(device):
        return (isinstance(device, dict) and bool(device.get('id')) and device_platform(device) in (None, 'ANDROID')
                and any(field not in device for field in fields))

    records = _legacy_records(client, _unique_refs([device['id'] for device in devices if lacks_fields(device)]))
    result = []
    for device in devices:
        record = records.get(str(device['id']).lower()) if lacks_fields(device) else None
        if record is None:
            result.append(device)
            continue
        added = dict(device)
        for field in fields:
            if field not in added:
                added[field] = record.get(field)
        result.append(added)
    return result


def with_api_levels(client, devices):
    """devices with the legacy api_level added to the Android ones that lack it (with_legacy_fields).

    Certificates need the API level (Android 9, API 28, or later); v2 records have none (§13.3). device_api_level
    falls back on the Android release in os_version when no api_level is reported, so this read makes it exact.
    """
    return with_legacy_fields(client, devices, ('api_level',))


def with_timezones(client, devices):
    """devices with the legacy timezone_string added to the Android ones that lack it (with_legacy_fields).

    SET_TIMEZONE's current value is DeviceInfo.timezone_string (§7.3), which v2 records do not carry.
    """
    return with_legacy_fields(client, devices, ('timezone_string',))


# --- platform support of a command ---------------------------------------------------------------

def command_platforms(command):
    """The device platforms (ANDROID, APPLE, WINDOWS, LINUX) the catalogue says command works on.

    Raises KeyError for a command the catalogue does not know.
    """
    return tuple(CATALOGUE_PLATFORMS.get(platform, str(platform).upper()) for platform in COMMANDS[command].platforms)


def unsupported_platforms(command):
    """The device platforms command does not work on, in DEVICE_PLATFORMS order (empty when it works on all)."""
    supported = command_platforms(command)
    return tuple(platform for platform in DEVICE_PLATFORMS if platform not in supported)


def unsupported_reason(command, platform):
    """The skip reason for a device of platform that command does not support."""
    return '%s is not supported on %s devices (supported: %s)' % (command, platform, ', '.join(command_platforms(command)))


def is_supported(command, device):
    """Whether command works on device's platform.

    A device whose platform is unknown (no platform nor os, or one that is none of DEVICE_PLATFORMS) counts as
    supported: the API, not a guess, then decides.
    """
    platform = device_platform(device)
    return platform not in DEVICE_PLATFORMS or platform in command_platforms(command)


def split_by_platform(command, devices):
    """(supported devices, skipped entries) of devices for command, by the catalogue's platforms, in input order.

    skipped entries: {'device': id, 'device_name': label, 'reason': '<COMMAND> is not supported on <PLATFORM> devices
    (supported: ANDROID, APPLE, WINDOWS)'}. A device whose platform is unknown (see is_supported) is treated as
    supported and kept: only a known platform the command does not list is skipped. Makes no request.
    """
    supported = []
    skipped = []
    for device in devices or []:
        if is_supported(command, device):
            supported.append(device)
        else:
            skipped.append({'device': device.get('id'), 'device_name': device_label(device),
                            'reason': unsupported_reason(command, device_platform(device))})
    return supported, skipped


def group_has_unsupported_devices(client, command, group):
    """Whether the group (DeviceGroup dict or id; subgroups included) holds a device of a platform command does not support.

    No request when command works on every platform; otherwise one GET v2/devices/?group_multi=<id>&platform=<the
    unsupported platforms>&limit=1 whose count answers it, without listing the members. Devices of unknown
    platform match no platform filter, so they count as supported, as in split_by_platform.
    """
    platforms = unsupported_platforms(command)
    if not platforms:
        return False
    page = client.get(V2_DEVICES_PATH, params={'group_multi': _group_id(group), 'platform': ','.join(platforms),
                                               'limit': 1, 'offset': 0})
    if isinstance(page, dict):
        count = page.get('count')
        if isinstance(count, int) and not isinstance(count, bool):
            return count > 0
        return bool(page.get('results'))
    return bool(page)
