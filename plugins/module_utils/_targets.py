# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Turn the devices and groups a user names into Esper DeviceInfo and DeviceGroup dicts (CONTRACT §7.2, §7.4).

Names are resolved with one paginated listing per kind, never one request per name, and every bad reference
is reported in one error before anything is sent.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import re

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperNotFoundError

UUID_PATTERN = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
# A reference shaped like a UUID (8-4-4-4-12 letters or digits), or a long run of hex digits and dashes: a UUID
# that was meant, mistyped. Device names like kiosk-0001 match neither, so they are still resolved as names.
UUID_SHAPE = re.compile(r'^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$')
HEX_AND_DASHES = re.compile(r'^[0-9A-Fa-f-]{30,40}$')

# Page size of the device and group listings: few pages even for large fleets.
LISTING_PAGE_SIZE = 500

# Up to this many device UUIDs (and no names) are fetched one by one; above it one listing is cheaper.
MAX_SINGLE_DEVICE_LOOKUPS = 20

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


def device_label(device):
    """The name to show for a device in messages and results: its device_name, else its id."""
    if not isinstance(device, dict):
        return str(device)
    return device.get('device_name') or device.get('id') or '?'


def device_platform(device):
    """The device's platform as the catalogue names it (ANDROID, APPLE, WINDOWS, LINUX), or None when unknown."""
    if not isinstance(device, dict):
        return None
    for key in ('platform', 'os'):
        value = device.get(key)
        if isinstance(value, str) and value.strip():
            return OS_PLATFORMS.get(value.strip().upper(), value.strip().upper())
    return None


def device_api_level(device):
    """The device's Android API level as an int, or None when missing or not a number."""
    if not isinstance(device, dict):
        return None
    value = device.get('api_level')
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


def _name_problem(kind, name, matches, all_names, describe_match):
    """The problem sentence for a name that matched zero or several items, or None when it matched one."""
    if len(matches) == 1:
        return None
    if matches:
        return ('%s name %r matches %d %ss: %s; give the UUID instead'
                % (kind, name, len(matches), kind, ', '.join(describe_match(item) for item in matches)))
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


def _match_device_name(name, listing):
    """Devices whose device_name is exactly name; failing that, those whose alias_name is."""
    matches = [device for device in listing if device.get('device_name') == name]
    if not matches:
        matches = [device for device in listing if device.get('alias_name') == name]
    return matches


def _describe_device(device):
    alias = device.get('alias_name')
    if alias and alias != device.get('device_name'):
        return '%s (%s, alias %s)' % (device.get('id'), device.get('device_name'), alias)
    return '%s (%s)' % (device.get('id'), device.get('device_name'))


def _describe_group(group):
    if group.get('path'):
        return '%s (%s)' % (group.get('id'), group.get('path'))
    return str(group.get('id'))


def _append_unique(resolved, seen_ids, item):
    """Append item to resolved unless an item with the same id is already there."""
    key = str(item.get('id')).lower()
    if key not in seen_ids:
        seen_ids.add(key)
        resolved.append(item)


def list_devices(client, params=None):
    """Every DeviceInfo of the enterprise (optionally filtered by params), in one paginated listing."""
    return client.paginate(client.enterprise_path('device/'), params=params, page_size=LISTING_PAGE_SIZE)


def resolve_devices(client, refs):
    """Resolve device references (UUIDs or exact names) to DeviceInfo dicts, in input order without repeats.

    Any name, or more than MAX_SINGLE_DEVICE_LOOKUPS UUIDs, leads to one paginated listing of the enterprise's
    devices; names match device_name exactly, then alias_name. A few UUIDs alone are fetched one by one.
    Raises TargetError naming every reference that is unknown or ambiguous.
    """
    refs = _unique_refs(refs)
    if not refs:
        return []
    names = [ref for ref in refs if not is_uuid(ref)]
    uuids = [ref for ref in refs if is_uuid(ref)]
    problems = []
    found = {}
    if names or len(uuids) > MAX_SINGLE_DEVICE_LOOKUPS:
        listing = [device for device in list_devices(client) if isinstance(device, dict)]
        by_id = _index_by_id(listing)
        all_names = _unique_refs(
            [device.get('device_name') for device in listing if device.get('device_name')]
            + [device.get('alias_name') for device in listing if device.get('alias_name')])
        for ref in refs:
            if is_uuid(ref):
                device = by_id.get(ref.lower())
                if device is None:
                    problems.append('device %s not found in enterprise' % ref)
                else:
                    found[ref] = device
                continue
            if not ref.strip():
                problems.append('empty device reference')
                continue
            matches = _match_device_name(ref, listing)
            problem = _name_problem('device', ref, matches, all_names, _describe_device)
            if problem:
                problems.append(problem)
            else:
                found[ref] = matches[0]
    else:
        for ref in uuids:
            try:
                found[ref] = client.get(client.enterprise_path('device/%s/' % ref))
            except EsperNotFoundError:
                problems.append('device %s not found in enterprise' % ref)
    if problems:
        raise TargetError(problems)
    resolved = []
    seen_ids = set()
    for ref in refs:
        _append_unique(resolved, seen_ids, found[ref])
    return resolved


def resolve_groups(client, refs):
    """Resolve group references (UUIDs or exact names) to DeviceGroup dicts, in input order without repeats.

    One paginated listing of the enterprise's groups serves every reference. Raises TargetError naming every
    reference that is unknown or ambiguous.
    """
    refs = _unique_refs(refs)
    if not refs:
        return []
    listing = client.paginate(client.enterprise_path('devicegroup/'), page_size=LISTING_PAGE_SIZE)
    listing = [group for group in listing if isinstance(group, dict)]
    by_id = _index_by_id(listing)
    all_names = _unique_refs([group.get('name') for group in listing if group.get('name')])
    problems = []
    resolved = []
    seen_ids = set()
    for ref in refs:
        if is_uuid(ref):
            group = by_id.get(ref.lower())
            if group is None:
                problems.append('group %s not found in enterprise' % ref)
            else:
                _append_unique(resolved, seen_ids, group)
            continue
        if not ref.strip():
            problems.append('empty group reference')
            continue
        matches = [group for group in listing if group.get('name') == ref]
        problem = _name_problem('group', ref, matches, all_names, _describe_group)
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
    """Map each group's id to its member DeviceInfo dicts (subgroups included, §7.2 ``group`` filter).

    groups: DeviceGroup dicts (as returned by resolve_groups) or group ids. One paginated listing per group.
    """
    members = {}
    for group in groups or []:
        group_id = _group_id(group)
        if group_id in members:
            continue
        members[group_id] = [device for device in list_devices(client, params={'group': group_id})
                             if isinstance(device, dict)]
    return members


def target_devices(client, devices, groups):
    """Every device a command would reach: the resolved devices, then each group's members, without repeats.

    devices: DeviceInfo dicts (from resolve_devices); groups: DeviceGroup dicts (from resolve_groups) or ids.
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
