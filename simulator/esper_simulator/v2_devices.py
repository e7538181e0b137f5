# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /v2/devices/ and /v2/devices/{id}: the device listing of every platform (CONTRACT §7.2, §13.2, §13.3).

Filters: search, serial, platform (CSV), state, group_multi and group_multi_immediate (CSV; groups are flat here,
so both mean plain membership), tags (CSV of tag ids), limit (default 10, values above 1000 clamped to 1000: the
modelled answer to Unknown 21) and offset, or cursor paging (cursor=start, then next_cursor / prev_cursor).
Bodies are {"content": ...} with no code or message, as observed live (§1.2).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from urllib.parse import urlencode

from .fleet import ANDROID, PLATFORM_V0
from .group_tree import group_member_ids
from .responses import ApiError, ApiResponse, int_param

V2_DEFAULT_PAGE_SIZE = 10
V2_MAX_PAGE_SIZE = 1000
V2_PLATFORMS = tuple(sorted(set(PLATFORM_V0.values())))
CURSOR_START = 'start'
CURSOR_PREFIX = 'o:'


def v2_response(content):
    """A v2 body: only {"content": ...}, no code or message (CONTRACT §1.2, live)."""
    return ApiResponse(200, {'content': content})


def _csv(query, name):
    text = query.get(name)
    if not text:
        return None
    return [part.strip() for part in text.split(',') if part.strip()]


def _csv_uuids(query, name):
    values = _csv(query, name)
    if values is None:
        return None
    result = []
    for value in values:
        try:
            result.append(str(uuid.UUID(value)))
        except ValueError:
            raise ApiError(400, f'{name}: {value!r} is not a valid UUID')
    return result


def encode_cursor(offset):
    return base64.urlsafe_b64encode(f'{CURSOR_PREFIX}{offset}'.encode('ascii')).decode('ascii').rstrip('=')


def decode_cursor(cursor):
    """The offset a cursor stands for (0 for cursor=start); ApiError 400 for anything this simulator did not issue."""
    if cursor == CURSOR_START:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)).decode('ascii')
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ''
    if not text.startswith(CURSOR_PREFIX) or not text[len(CURSOR_PREFIX):].isdigit():
        raise ApiError(400, f'cursor: {cursor!r} is not a valid cursor (use cursor=start, then next_cursor or prev_cursor)')
    return int(text[len(CURSOR_PREFIX):])


def filter_devices(fleet, query):
    """The fleet's devices (every platform, fleet order) that pass the v2 filters of query."""
    found = fleet.devices
    platforms = _csv(query, 'platform')
    if platforms is not None:
        wanted = set(value.upper() for value in platforms)
        unknown = sorted(wanted - set(V2_PLATFORMS))
        if unknown:
            raise ApiError(400, f'platform: {", ".join(unknown)} not one of {", ".join(V2_PLATFORMS)}')
        found = [device for device in found if PLATFORM_V0[device.platform] in wanted]
    for name in ('group_multi', 'group_multi_immediate'):
        group_ids = _csv_uuids(query, name)
        if group_ids is not None:
            # group_multi includes subgroups, group_multi_immediate does not (CONTRACT §13.2).
            members = set()
            for group_id in group_ids:
                members.update(group_member_ids(fleet, group_id, include_subgroups=name == 'group_multi'))
            found = [device for device in found if device.id in members]
    tags = _csv(query, 'tags')
    if tags is not None:
        wanted_tags = set(tags)
        found = [device for device in found if wanted_tags & set(device.tags)]
    if query.get('state'):
        state = int_param(query, 'state', None, 0)
        found = [device for device in found if device.state_code == state]
    if query.get('serial'):
        found = [device for device in found if device.serial == query['serial']]
    search = (query.get('search') or '').lower()
    if search:
        found = [device for device in found if any(search in text.lower() for text in (
            device.device_name, device.alias_name, device.serial, device.imei if device.platform == ANDROID else ''))]
    return found


def list_v2_devices(request, fleet, render):
    """The body of GET /v2/devices/: an offset page {count, prev, next, results} or a cursor page."""
    query = request.query
    limit = min(int_param(query, 'limit', V2_DEFAULT_PAGE_SIZE, 1), V2_MAX_PAGE_SIZE)
    found = filter_devices(fleet, query)
    count = len(found)
    cursor = query.get('cursor')
    if cursor:
        # Offset is ignored once a cursor is used (§1.5).
        offset = decode_cursor(cursor)
        return v2_response({
            'results': [render(device) for device in found[offset:offset + limit]],
            'next_cursor': encode_cursor(offset + limit) if offset + limit < count else None,
            'prev_cursor': encode_cursor(max(offset - limit, 0)) if offset > 0 else None,
        })
    offset = int_param(query, 'offset', 0, 0)

    def link(new_offset):
        params = dict(query, limit=str(limit), offset=str(new_offset))
        return f'{request.origin}{request.path}?{urlencode(params)}'

    return v2_response({
        'count': count,
        'prev': link(max(offset - limit, 0)) if offset > 0 else None,
        'next': link(offset + limit) if offset + limit < count else None,
        'results': [render(device) for device in found[offset:offset + limit]],
    })
