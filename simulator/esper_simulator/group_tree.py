# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The group hierarchy of the fleet (CONTRACT §12.1): parents, paths, children and subgroup membership.

A group's ``parent_id`` is None at the top. Paths are names joined by '/' from the root "All devices"; a fleet
without a root group (the default) still shows paths under "All devices", as before hierarchies existed.
Standard library only; no import of fleet.py (which imports this module).
"""

from __future__ import annotations

ROOT_GROUP_NAME = 'All devices'
MAX_SUB_LEVELS = 5


def parent_id(group):
    return getattr(group, 'parent_id', None)


def child_groups(fleet, group_id):
    """The groups whose parent is group_id, in fleet order."""
    return [group for group in fleet.groups if parent_id(group) == group_id]


def group_path(fleet, group):
    """'All devices/Retail/Store-017': the names from the root down to group."""
    names = []
    seen = set()
    current = group
    while current is not None and current.id not in seen:
        seen.add(current.id)
        names.append(current.name)
        current = fleet.groups_by_id.get(parent_id(current)) if parent_id(current) else None
    if names[-1] != ROOT_GROUP_NAME:
        names.append(ROOT_GROUP_NAME)
    return '/'.join(reversed(names))


def sub_levels(fleet, group):
    """How many levels group sits below the root (a top-level group: 1; the root itself: 0)."""
    depth = 0
    current = group
    while parent_id(current) and parent_id(current) in fleet.groups_by_id and depth <= MAX_SUB_LEVELS + 1:
        depth += 1
        current = fleet.groups_by_id[parent_id(current)]
    return depth if current.name == ROOT_GROUP_NAME else depth + 1


def descendant_group_ids(fleet, group_id):
    """group_id and the ids of all its subgroups."""
    found = [group_id]
    index = 0
    while index < len(found):
        found.extend(group.id for group in child_groups(fleet, found[index]) if group.id not in found)
        index += 1
    return found


def group_member_ids(fleet, group_id, include_subgroups=True):
    """The ids of the devices of a group (and of its subgroups when include_subgroups); empty for an unknown group."""
    if group_id not in fleet.groups_by_id:
        return []
    if not include_subgroups or not any(parent_id(group) for group in fleet.groups):
        return list(fleet.groups_by_id[group_id].device_ids)
    members = []
    for member_group in descendant_group_ids(fleet, group_id):
        members.extend(fleet.groups_by_id[member_group].device_ids)
    return members
