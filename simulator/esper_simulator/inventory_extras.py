# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an inventory needs beyond the flat default fleet (``--inventory-extras``), and the tag catalogue API.

With ``--inventory-extras`` the fleet gets, after everything the other options build (so existing devices keep
their names, groups and platforms):
- a root group "All devices", parent of every other top-level group (CONTRACT §12.1);
- a hierarchy five sub-levels deep: All devices/Retail/North/Store-N1/Aisle-1/Shelf-A;
- two groups named TestBB, one the child of the other (names are not unique, §12.1);
- a tag catalogue (lab, pilot, kiosk) with tag UUIDs on devices (§13.5);
- extra devices at the end: two named Lobby-Tablet (one in Store-N1, one in TestBB/TestBB), one in Shelf-A with
  state code 230 (outside §7.5), and one Registered (200) iOS device in Aisle-1.

Tags (§13.5): GET /enterprise/{eid}/tags/ (bare DRF page, ``ordering=tag`` and ``search``) and
GET /enterprise/{eid}/tags/{id}/ are answered with or without the extras (an empty catalogue without them).
"""

from __future__ import annotations

import random
import re
import uuid

from .fleet import ANDROID, IOS, WINDOWS, Device
from .group_tree import ROOT_GROUP_NAME
from .responses import ApiError, ApiResponse

TAG_NAMES = ('kiosk', 'lab', 'pilot')
ODD_STATE_CODE = 230
REGISTERED_STATE_CODE = 200
DUPLICATE_DEVICE_NAME = 'Lobby-Tablet'
# (name, parent name or None for a child of the root); built in this order.
HIERARCHY = (
    ('Retail', None), ('North', 'Retail'), ('Store-N1', 'North'), ('Aisle-1', 'Store-N1'), ('Shelf-A', 'Aisle-1'),
    ('TestBB', None),
)


class ExtraDevice(Device):
    """A device with a fixed name and state code (the default devices' names and states follow their index)."""

    def __init__(self, device_id, index, platform, api_level, name, alias, state_code):
        super().__init__(device_id, index, platform, api_level, online=state_code == 1)
        self.device_name = name
        self.alias_name = alias
        self._state_code = state_code

    @property
    def state_code(self):
        return self._state_code


class Tag:
    def __init__(self, tag_id, name, created_on):
        self.id = tag_id
        self.tag = name
        self.created_on = created_on


def _seeded_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def add_inventory_extras(fleet, seed):
    """Add the root group, the hierarchy, the tags and the extra devices to a built fleet."""
    rng = random.Random(f'esper-sim-inventory-{seed}')
    top_level = list(fleet.groups)
    root = fleet._add_group(_seeded_uuid(rng), ROOT_GROUP_NAME)
    for group in top_level:
        group.parent_id = root.id
    made = {}
    for name, parent in HIERARCHY:
        group = fleet._add_group(_seeded_uuid(rng), name)
        group.parent_id = made[parent].id if parent else root.id
        made[name] = group
    nested = fleet._add_group(_seeded_uuid(rng), 'TestBB')
    nested.parent_id = made['TestBB'].id
    fleet.groups_by_name['TestBB'] = made['TestBB']
    fleet.tag_catalogue = [Tag(_seeded_uuid(rng), name, root.created_on) for name in TAG_NAMES]
    tag_ids = dict((tag.tag, tag.id) for tag in fleet.tag_catalogue)
    extras = (
        (DUPLICATE_DEVICE_NAME, 'Lobby Left', ANDROID, 33, 1, made['Store-N1'], ['lab']),
        (DUPLICATE_DEVICE_NAME, 'Lobby Right', ANDROID, 34, 1, nested, ['lab', 'kiosk']),
        ('odd-state-0001', 'Odd State', WINDOWS, None, ODD_STATE_CODE, made['Shelf-A'], ['pilot']),
        ('registered-0001', 'Registered iPad', IOS, None, REGISTERED_STATE_CODE, made['Aisle-1'], []),
    )
    for name, alias, platform, api_level, state_code, group, tags in extras:
        device = ExtraDevice(_seeded_uuid(rng), len(fleet.devices) + 1, platform, api_level, name, alias, state_code)
        device.tags = [tag_ids[tag] for tag in tags]
        group.device_ids.append(device.id)
        device.group_ids.append(group.id)
        fleet.devices.append(device)
        fleet.devices_by_id[device.id] = device
        fleet.devices_by_name.setdefault(device.device_name, device)
    if fleet.devices and fleet.devices[0].device_name == 'kiosk-0001':
        fleet.devices[0].tags = [tag_ids['pilot']]


class TagApi:
    """GET /enterprise/{eid}/tags/ and /tags/{id}/ (CONTRACT §13.5); ``api`` is the EsperApi, ``paginate`` its pager."""

    def __init__(self, api, paginate):
        self.api = api
        self.paginate = paginate

    def routes(self):
        return [
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/tags/$'), {'GET': self.list_tags}),
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/tags/(?P<tag_id>[^/]+)/$'), {'GET': self.get_tag}),
        ]

    def _tags(self):
        return list(getattr(self.api.fleet, 'tag_catalogue', []))

    def _render(self, request, tag):
        return {'id': tag.id, 'tag': tag.tag, 'enterprise': f'{request.base_url}/enterprise/{self.api.fleet.enterprise_id}/',
                'created_on': tag.created_on}

    def list_tags(self, request, eid):
        self.api._check_enterprise(eid)
        tags = self._tags()
        search = (request.query.get('search') or '').lower()
        if search:
            tags = [tag for tag in tags if search in tag.tag.lower()]
        ordering = request.query.get('ordering') or ''
        if ordering.lstrip('-') == 'tag':
            tags.sort(key=lambda tag: tag.tag, reverse=ordering.startswith('-'))
        return ApiResponse(200, self.paginate(request, tags, lambda tag: self._render(request, tag)))

    def get_tag(self, request, eid, tag_id):
        self.api._check_enterprise(eid)
        for tag in self._tags():
            if tag.id == tag_id.lower():
                return ApiResponse(200, self._render(request, tag))
        raise ApiError(404, f'Tag {tag_id} not found')
