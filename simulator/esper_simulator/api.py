# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulated Esper endpoints under /api (CONTRACT §10): routing, authentication, validation,
pagination and the handlers. Handlers run under the simulator's lock."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from .apps import AppApi
from .command_rules import COMMAND_NAMES, COMMAND_RULES, validate_command_args, validate_schedule
from .command_store import ALL_STATES, StatusUpdateError
from .fleet import ANDROID, FleetRenderer
from .group_tree import group_member_ids
from .inventory_extras import TagApi
from .responses import ApiError, ApiResponse, content_response, error_response, family_of, int_param
from .v2_devices import list_v2_devices, v2_response

MAX_DEVICES_PER_REQUEST = 1000
MAX_GROUPS_PER_REQUEST = 500
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000
COMMAND_TYPES = ('DEVICE', 'GROUP', 'DYNAMIC')
DEVICE_TYPES = ('all', 'active', 'inactive')
TRUE_TEXTS = ('true', '1', 'yes')


def canonical_uuid(value):
    """The lowercase canonical form of a UUID string; ValueError when it is not one."""
    if not isinstance(value, str):
        raise ValueError('not a string')
    return str(uuid.UUID(value))


def _shorten(items, limit=10):
    shown = ', '.join(items[:limit])
    return shown + (f' and {len(items) - limit} more' if len(items) > limit else '')


def _csv_uuids(query, name):
    text = query.get(name)
    if not text:
        return None
    values = []
    for part in text.split(','):
        part = part.strip()
        if part:
            try:
                values.append(canonical_uuid(part))
            except ValueError:
                raise ApiError(400, f'{name}: {part!r} is not a valid UUID')
    return values


def paginate(request, items, render):
    """A {count, next, previous, results} page of ``items`` (limit/offset of CONTRACT §1.5, limit capped at 1000)."""
    limit = min(int_param(request.query, 'limit', DEFAULT_PAGE_SIZE, minimum=1), MAX_PAGE_SIZE)
    offset = int_param(request.query, 'offset', 0)
    count = len(items)

    def link(new_offset):
        params = dict(request.query, limit=str(limit), offset=str(new_offset))
        return f'{request.origin}{request.path}?{urlencode(params)}'

    return {
        'count': count,
        'next': link(offset + limit) if offset + limit < count else None,
        'previous': link(max(offset - limit, 0)) if offset > 0 else None,
        'results': [render(item) for item in items[offset:offset + limit]],
    }


class EsperApi:
    """Routes /api requests of the simulator's world (fleet, command store, clock, settings) to handlers."""

    def __init__(self, simulator):
        self.sim = simulator
        self.routes = [
            (re.compile(r'^/api/commands/v0/commands/$'), {'GET': self.list_commands, 'POST': self.create_command}),
            (re.compile(r'^/api/commands/v0/commands/(?P<request_id>[^/]+)/$'), {'GET': self.get_command}),
            (re.compile(r'^/api/commands/v0/commands/(?P<request_id>[^/]+)/stats/$'), {'GET': self.command_stats}),
            (re.compile(r'^/api/commands/v0/status/$'), {'GET': self.list_statuses}),
            (re.compile(r'^/api/commands/v0/status/(?P<status_id>[^/]+)/$'), {'GET': self.get_status, 'PUT': self.update_status}),
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/device/$'), {'GET': self.list_devices}),
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/device/(?P<device_id>[^/]+)/$'), {'GET': self.get_device}),
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/devicegroup/$'), {'GET': self.list_groups}),
            (re.compile(r'^/api/enterprise/(?P<eid>[^/]+)/devicegroup/(?P<group_id>[^/]+)/$'), {'GET': self.get_group}),
            # devicestate has no trailing slash in the spec (CONTRACT §9.4 #7); both forms are answered.
            (re.compile(r'^/api/device/v0/devices/(?P<device_id>[^/]+)/devicestate/?$'), {'GET': self.get_devicestate}),
            (re.compile(r'^/api/device/v0/devices/(?P<device_id>[^/]+)/$'), {'GET': self.get_device_v0}),
            # Every platform (CONTRACT §13.2); the detail path has no trailing slash in the spec, both forms are answered.
            (re.compile(r'^/api/v2/devices/$'), {'GET': self.list_v2_devices}),
            (re.compile(r'^/api/v2/devices/(?P<device_id>[^/]+)/?$'), {'GET': self.get_v2_device}),
        ]
        # Android apps: catalogues, upload, device apps (CONTRACT §11, apps.py).
        self.routes.extend(AppApi(self, paginate).routes())
        # The tag catalogue (CONTRACT §13.5, inventory_extras.py).
        self.routes.extend(TagApi(self, paginate).routes())

    # ---- dispatch

    def handle(self, request):
        """Answer one /api request (the caller holds the simulator lock)."""
        family = family_of(request.path)
        try:
            self._authenticate(request)
            handler, params = self._route(request)
            self.sim.store.process_due(self.sim.now)
            return handler(request, **params)
        except ApiError as err:
            return error_response(family, err.status, err.message, err.headers)

    def _authenticate(self, request):
        header = request.headers.get('authorization', '')
        scheme, separator, key = header.partition(' ')
        if not header:
            raise ApiError(401, 'Authentication credentials were not provided (send Authorization: Bearer <API key>)')
        if scheme.lower() != 'bearer' or not separator or key.strip() != self.sim.options.api_key:
            raise ApiError(401, 'Invalid API key')

    def _route(self, request):
        for pattern, methods in self.routes:
            match = pattern.match(request.path)
            if match:
                if request.method not in methods:
                    raise ApiError(405, f'Method {request.method} not allowed on {request.path}')
                return methods[request.method], match.groupdict()
        if not request.path.endswith('/') and any(pattern.match(request.path + '/') for pattern, methods in self.routes):
            raise ApiError(404, f'Not found: {request.path} (Esper paths end with a slash)')
        raise ApiError(404, f'Not found: {request.path}')

    @property
    def fleet(self):
        return self.sim.fleet

    @property
    def store(self):
        return self.sim.store

    def _renderer(self, request):
        return FleetRenderer(self.fleet, request.base_url)

    def _check_enterprise(self, eid):
        if eid.lower() != self.fleet.enterprise_id.lower():
            raise ApiError(404, f'Enterprise {eid} not found')

    def _device(self, device_id):
        device = self.fleet.devices_by_id.get(device_id.lower())
        if device is None:
            raise ApiError(404, f'Device {device_id} not found')
        return device

    # ---- command requests (CONTRACT §2)

    def create_command(self, request):
        try:
            body = request.json_body()
        except ValueError:
            raise ApiError(400, 'JSON parse error: the request body is not valid JSON')
        fields, targets = self._validate_command_request(body)
        created = self.store.create_request(fields, targets, self.sim.now)
        return content_response(created.to_json(), status=201)

    def _id_list(self, body, name, maximum, index, problems):
        values = body.get(name)
        if values is None:
            return []
        if not isinstance(values, list):
            problems.append(f'{name} must be a list of UUIDs')
            return []
        if len(values) > maximum:
            problems.append(f'{name} can hold at most {maximum} ids, got {len(values)}')
            return []
        ids, invalid, unknown = [], [], []
        for value in values:
            try:
                ids.append(canonical_uuid(value))
            except ValueError:
                invalid.append(repr(value))
                continue
            if ids[-1] not in index:
                unknown.append(ids[-1])
        if invalid:
            problems.append(f'{name} has values that are not valid UUIDs: {_shorten(invalid)}')
        if unknown:
            problems.append(f'{name} has unknown ids: {_shorten(unknown)}')
        return ids

    def _validate_command_request(self, body):
        """(CommandRequest fields, target device ids) of a valid POST body; ApiError 400 with every problem otherwise."""
        if not isinstance(body, dict):
            raise ApiError(400, 'The request body must be a JSON object')
        problems = []
        command = body.get('command')
        if command not in COMMAND_RULES:
            problems.append(f'command must be one of {", ".join(COMMAND_NAMES)}; got {command!r}')
        command_type = body.get('command_type')
        if command_type not in COMMAND_TYPES:
            problems.append(f'command_type must be one of {", ".join(COMMAND_TYPES)}; got {command_type!r}')
        devices = self._id_list(body, 'devices', MAX_DEVICES_PER_REQUEST, self.fleet.devices_by_id, problems)
        groups = self._id_list(body, 'groups', MAX_GROUPS_PER_REQUEST, self.fleet.groups_by_id, problems)
        self._check_lists_for_type(command_type, body, problems)
        device_type = body.get('device_type', 'all')
        if device_type not in DEVICE_TYPES:
            problems.append(f'device_type must be one of {", ".join(DEVICE_TYPES)} (only all is meaningful); got {device_type!r}')
        command_args = body.get('command_args')
        if command_args is None:
            command_args = {}
        if not isinstance(command_args, dict):
            problems.append('command_args must be an object')
        elif command in COMMAND_RULES:
            problems.extend(validate_command_args(command, command_args))
        schedule = body.get('schedule') or 'IMMEDIATE'
        schedule_args = body.get('schedule_args')
        problems.extend(validate_schedule(schedule, schedule_args))
        alias = body.get('alias')
        if alias is not None and not isinstance(alias, str):
            problems.append('alias must be a string')
        if problems:
            raise ApiError(400, '; '.join(problems))
        targets = list(devices)
        for group_id in groups:
            # An action sent to a parent group cascades to its subgroups (CONTRACT §12.1).
            targets.extend(group_member_ids(self.fleet, group_id))
        fields = {'command_type': command_type, 'devices': devices, 'groups': groups, 'device_type': device_type, 'command': command,
                  'command_args': command_args, 'schedule': schedule, 'schedule_args': schedule_args or None, 'alias': alias}
        return fields, list(dict.fromkeys(targets))

    @staticmethod
    def _check_lists_for_type(command_type, body, problems):
        has_devices = bool(body.get('devices'))
        has_groups = bool(body.get('groups'))
        if command_type == 'DEVICE':
            if not has_devices:
                problems.append('devices (a non-empty list) is required when command_type is DEVICE')
            if has_groups:
                problems.append('groups must be empty when command_type is DEVICE')
        elif command_type == 'GROUP':
            if not has_groups:
                problems.append('groups (a non-empty list) is required when command_type is GROUP')
            if has_devices:
                problems.append('devices must be empty when command_type is GROUP')
        elif command_type == 'DYNAMIC' and not (has_devices or has_groups):
            problems.append('devices and/or groups are required when command_type is DYNAMIC')

    def _command_request(self, request_id):
        found = self.store.requests_by_id.get(request_id.lower())
        if found is None:
            raise ApiError(404, f'Command request {request_id} not found')
        return found

    def list_commands(self, request):
        query = request.query
        devices = _csv_uuids(query, 'devices')
        groups = _csv_uuids(query, 'groups')
        if devices is not None or groups is not None:
            candidates = {}
            for device_id in devices or ():
                candidates.update((item.seq, item) for item in self.store.requests_by_listed_device.get(device_id, ()))
            for group_id in groups or ():
                candidates.update((item.seq, item) for item in self.store.requests_by_listed_group.get(group_id, ()))
            found = [candidates[seq] for seq in sorted(candidates, reverse=True)]
            if devices is not None and groups is not None:
                device_set, group_set = set(devices), set(groups)
                found = [item for item in found if device_set & set(item.devices) and group_set & set(item.groups)]
        else:
            found = self.store.requests[::-1]
        command = query.get('command')
        schedule = query.get('schedule')
        found = [item for item in found if (not command or item.command == command) and (not schedule or item.schedule == schedule)]
        return content_response(paginate(request, found, lambda item: item.to_json()))

    def get_command(self, request, request_id):
        return content_response(self._command_request(request_id).to_json())

    def command_stats(self, request, request_id):
        found = self._command_request(request_id)
        return content_response({'id': found.id, 'status': self.store.stats(found, self.sim.now)})

    # ---- command statuses (CONTRACT §3)

    def list_statuses(self, request):
        now = self.sim.now
        query = request.query
        request_ids = _csv_uuids(query, 'request')
        device_ids = _csv_uuids(query, 'device')
        state = query.get('state')
        if state and state not in ALL_STATES:
            raise ApiError(400, f'state must be one of {", ".join(ALL_STATES)}; got {state!r}')
        if request_ids is not None:
            requests = [self.store.requests_by_id[item] for item in dict.fromkeys(request_ids) if item in self.store.requests_by_id]
            requests.sort(key=lambda item: item.seq, reverse=True)
            found = [status for item in requests for status in item.statuses]
            if device_ids is not None:
                wanted = set(device_ids)
                found = [status for status in found if status.device_id in wanted]
        elif device_ids is not None:
            found = [status for device_id in dict.fromkeys(device_ids) for status in self.store.statuses_by_device.get(device_id, ())]
            found.sort(key=lambda status: (-status.request.seq, status.seq))
        else:
            found = [status for item in self.store.requests[::-1] for status in item.statuses]
        found = [status for status in found if self.store.visible(status, now)]
        if state:
            found = [status for status in found if self.store.state_of(status, now)[0] == state]
        return content_response(paginate(request, found, lambda status: self.store.status_json(status, now)))

    def _status(self, status_id):
        found = self.store.statuses_by_id.get(status_id.lower())
        if found is None or not self.store.visible(found, self.sim.now):
            raise ApiError(404, f'Command status {status_id} not found')
        return found

    def get_status(self, request, status_id):
        return content_response(self.store.status_json(self._status(status_id), self.sim.now))

    def update_status(self, request, status_id):
        status = self._status(status_id)
        try:
            body = request.json_body()
        except ValueError:
            raise ApiError(400, 'JSON parse error: the request body is not valid JSON')
        if not isinstance(body, dict) or 'state' not in body:
            raise ApiError(400, 'The body must be an object with state (and optionally reason)')
        now = self.sim.now
        try:
            changed = self.store.update_status(status, body.get('state'), body.get('reason'), now)
        except StatusUpdateError as err:
            raise ApiError(400, str(err))
        if not changed:
            return ApiResponse(304, has_body=False)
        return content_response(self.store.status_json(status, now))

    # ---- devices and groups (CONTRACT §7)

    def list_devices(self, request, eid):
        # The legacy listing is the Android-only API (CONTRACT §13.1): other platforms exist only in /v2/devices/.
        self._check_enterprise(eid)
        query = request.query
        name = query.get('name')
        if name:
            found = [self.fleet.devices_by_name[name]] if name in self.fleet.devices_by_name else []
        else:
            found = self.fleet.devices
        found = [device for device in found if device.platform == ANDROID]
        group_filter = query.get('group')
        if group_filter:
            try:
                group = self.fleet.groups_by_id.get(canonical_uuid(group_filter))
            except ValueError:
                raise ApiError(400, f'group: {group_filter!r} is not a valid UUID')
            members = set(group_member_ids(self.fleet, group.id)) if group else set()  # subgroups included (§13.1)
            found = [device for device in found if device.id in members]
        if query.get('state'):
            state = int_param(query, 'state', None)
            found = [device for device in found if device.state_code == state]
        for param, attribute in (('serial', 'serial'), ('imei', 'imei')):
            if query.get(param):
                found = [device for device in found if getattr(device, attribute) == query[param]]
        search = (query.get('search') or '').lower()
        if search:
            found = [device for device in found if any(search in text.lower() for text in (
                device.device_name, device.alias_name, device.imei, device.wifi_mac))]
        renderer = self._renderer(request)
        show_policy = (query.get('show_policy') or '').lower() in TRUE_TEXTS
        return ApiResponse(200, paginate(request, found, lambda device: renderer.device_info(device, show_policy)))

    def get_device(self, request, eid, device_id):
        self._check_enterprise(eid)
        show_policy = (request.query.get('show_policy') or '').lower() in TRUE_TEXTS
        device = self._device(device_id)
        if device.platform != ANDROID:
            # Android only, like the listing (CONTRACT §13.1).
            raise ApiError(404, f'Device {device_id} not found')
        return ApiResponse(200, self._renderer(request).device_info(device, show_policy))

    def list_groups(self, request, eid):
        self._check_enterprise(eid)
        name = request.query.get('name')
        if name:
            found = [group for group in self.fleet.groups if group.name == name]  # names repeat in nested groups (§12.1)
        else:
            found = self.fleet.groups
        renderer = self._renderer(request)
        return ApiResponse(200, paginate(request, found, renderer.group_info))

    def get_group(self, request, eid, group_id):
        self._check_enterprise(eid)
        group = self.fleet.groups_by_id.get(group_id.lower())
        if group is None:
            raise ApiError(404, f'Device group {group_id} not found')
        return ApiResponse(200, self._renderer(request).group_info(group))

    def get_devicestate(self, request, device_id):
        # Bare DeviceSettings, as the spec shows it (CONTRACT §7.3, Unknown #4).
        return ApiResponse(200, dict(self._device(device_id).devicestate))

    def get_device_v0(self, request, device_id):
        return content_response(self._renderer(request).device_v0(self._device(device_id)))

    def list_v2_devices(self, request):
        return list_v2_devices(request, self.fleet, self._renderer(request).device_v2)

    def get_v2_device(self, request, device_id):
        return v2_response(self._renderer(request).device_v2(self._device(device_id)))
