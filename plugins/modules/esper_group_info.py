#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: esper_group_info
short_description: List Esper device groups with their place in the group hierarchy
version_added: 0.1.0
description:
  - Lists the device groups of the enterprise, the root group C(All devices) too when the API lists it, with each
    group's parent, children, path and device count. One paginated group listing.
  - Group names are not unique in nested groups; use the id or the path to tell groups apart.
author:
  - esper.mdm contributors (@esper-mdm)
extends_documentation_fragment:
  - esper.mdm.connection
  - esper.mdm.attributes
  - esper.mdm.attributes.info_module
  - esper.mdm.attributes.idempotent
attributes:
  idempotent:
    support: full
options:
  groups:
    description:
      - Only these groups, each given by its UUID, name or path (V(All devices/Retail/Store-017)). An unknown name is
        an error that lists similar names; a name shared by several groups is an error that lists their paths.
    type: list
    elements: str
    default: []
  parent:
    description:
      - Only the groups directly below this group (its children), given by UUID, name or path.
    type: str
  devices:
    description:
      - Also return the ids of the devices directly in each group (not those of its subgroups) in RV(groups[].devices).
      - Costs one device listing (of the selected groups only, when O(groups) or O(parent) is given).
    type: bool
    default: false
seealso:
  - module: esper.mdm.esper_device_info
  - plugin: esper.mdm.esper
    plugin_type: inventory
'''

EXAMPLES = r'''
- name: Every group of the enterprise
  esper.mdm.esper_group_info:
  register: all_groups

- name: The paths of the groups with subgroups
  ansible.builtin.debug:
    msg: "{{ all_groups.groups | selectattr('children') | map(attribute='path') | list }}"

- name: The subgroups of Retail and the devices directly in each
  esper.mdm.esper_group_info:
    parent: All devices/Retail
    devices: true
  register: retail
'''

RETURN = r'''
groups:
  description:
    - The selected groups, in the order the API lists them.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The group UUID.
      type: str
    name:
      description: The group name (not unique across the hierarchy).
      type: str
    path:
      description: The group's names from the root down, joined by C(/), such as V(All devices/Retail/Store-017).
      type: str
    parent:
      description: The parent group's UUID, or null for the root (and for groups the API lists without a parent).
      type: str
    children:
      description: The UUIDs of the groups whose parent this group is.
      type: list
      elements: str
    device_count:
      description: The device count the API reports for the group (whether it counts subgroup devices is not documented).
      type: int
    children_count:
      description: The child count the API reports for the group.
      type: int
    devices:
      description: The UUIDs of the devices directly in the group.
      returned: when O(devices=true)
      type: list
      elements: str
  sample:
    - id: 0b9a8c7d-1111-4e2f-9a0b-222233334444
      name: Store-017
      path: All devices/Retail/Store-017
      parent: aa11bb22-0000-4000-8000-000000000001
      children: []
      device_count: 14
      children_count: 0
'''

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperApiError, client_from_module, connection_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import EsperModule
from ansible_collections.esper.mdm.plugins.module_utils._inventory import (
    direct_member_ids,
    empty_reference_problems,
    group_records,
    list_groups,
    resolve_group_refs,
)
from ansible_collections.esper.mdm.plugins.module_utils._targets import TargetError


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        groups=dict(type='list', elements='str', default=[]),
        parent=dict(type='str'),
        devices=dict(type='bool', default=False),
    )
    return spec


def select_groups(client, params):
    """The group records the filters select, with their direct device ids when params['devices']."""
    listing = list_groups(client)
    records = group_records(listing)
    selected = records
    if params['groups']:
        wanted = resolve_group_refs(listing, params['groups'], option='groups')
        by_id = dict((record['id'], record) for record in records)
        selected = [by_id[group_id] for group_id in wanted]
    if params['parent'] is not None:
        parent_id = resolve_group_refs(listing, [params['parent']], option='parent')[0]
        selected = [record for record in selected if record['parent'] == parent_id]
    if params['devices']:
        filtered = bool(params['groups']) or params['parent'] is not None
        members = direct_member_ids(client, [record['id'] for record in selected] if filtered else None)
        selected = [dict(record, devices=members.get(record['id'], [])) for record in selected]
    return selected


def main():
    module = EsperModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    problems = empty_reference_problems('groups', params['groups'])
    if params['parent'] is not None and not params['parent'].strip():
        problems.append('parent is empty; give a group UUID, name or path')
    if problems:
        module.fail_json(msg='; '.join(problems), problems=problems)
    client = client_from_module(module)
    try:
        groups = select_groups(client, params)
    except TargetError as error:
        module.fail_json(msg='; '.join(error.problems), problems=error.problems)
    except EsperApiError as error:
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, groups=groups)


if __name__ == '__main__':
    main()
