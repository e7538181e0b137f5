# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The /_sim/ control API used by tests: request log, faults, clock, device tweaks, reset, fleet summary, settings,
command failure rules.
No authentication; JSON in and out; errors are {"error": "..."}."""

from __future__ import annotations

import re

from .command_failures import CommandFailureRuleError, control_routes
from .faults import FaultRuleError
from .responses import ApiResponse
from .timefmt import iso_timestamp

DEVICESTATE_TYPES = {
    'gps_state': str, 'wifi_state': bool, 'adb_enabled': bool, 'adb_timeout': int, 'remote_adb_enabled': bool,
    'remote_adb_ip': str, 'remote_adb_port': int, 'audio_settings': dict, 'rotation_state': str, 'bluetooth_state': bool,
    'brightness_scale': int, 'screen_off_timeout': int, 'use_only_saved_ap': bool,
}
DEVICE_FIELD_TYPES = {
    'online': bool, 'api_level': int, 'timezone_string': str, 'fail_commands': bool, 'lockdown_state': int,
    'kiosk_app_name': str, 'current_app_mode': int, 'alias_name': str, 'wifi_access_points': list, 'tags': list,
}


class ControlError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _typed(value, expected, name):
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ControlError(400, f'{name} must be an integer')
    if not isinstance(value, expected):
        raise ControlError(400, f'{name} must be of type {expected.__name__}')
    return value


def _number(body, name, minimum=0.0):
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ControlError(400, f'{name} must be a number >= {minimum}')
    return float(value)


class ControlApi:
    """Handlers of /_sim/... (the caller holds the simulator lock)."""

    def __init__(self, simulator):
        self.sim = simulator
        self.routes = [
            (re.compile(r'^/_sim/requests/?$'), {'GET': self.get_requests, 'DELETE': self.clear_requests}),
            (re.compile(r'^/_sim/faults/?$'), {'GET': self.get_faults, 'POST': self.add_faults, 'DELETE': self.clear_faults}),
            (re.compile(r'^/_sim/clock/?$'), {'GET': self.get_clock, 'POST': self.advance_clock}),
            (re.compile(r'^/_sim/devices/(?P<ref>[^/]+)/?$'), {'GET': self.get_device, 'POST': self.update_device}),
            (re.compile(r'^/_sim/reset/?$'), {'POST': self.reset}),
            (re.compile(r'^/_sim/fleet/?$'), {'GET': self.get_fleet}),
            (re.compile(r'^/_sim/settings/?$'), {'GET': self.get_settings, 'POST': self.update_settings}),
            (re.compile(r'^/_sim/command_failures/?$'), control_routes(simulator)),
        ]

    def handle(self, request):
        try:
            for pattern, methods in self.routes:
                match = pattern.match(request.path)
                if match:
                    if request.method not in methods:
                        raise ControlError(405, f'{request.method} is not allowed on {request.path}')
                    try:
                        body = request.json_body()
                    except ValueError:
                        raise ControlError(400, 'the body is not valid JSON')
                    return ApiResponse(200, methods[request.method](request, body, **match.groupdict()))
            raise ControlError(404, f'unknown control path {request.path}')
        except ControlError as err:
            return ApiResponse(err.status, {'error': str(err)})
        except (FaultRuleError, CommandFailureRuleError) as err:
            return ApiResponse(400, {'error': str(err)})

    def get_requests(self, request, body):
        return self.sim.log.records(method=request.query.get('method'), path_prefix=request.query.get('path_prefix'))

    def clear_requests(self, request, body):
        self.sim.log.clear()
        return {'cleared': True}

    def get_faults(self, request, body):
        return {'faults': self.sim.faults.to_json()}

    def add_faults(self, request, body):
        if isinstance(body, dict) and isinstance(body.get('rules'), list):
            body = body['rules']
        if body is None:
            raise ControlError(400, 'send a fault rule object or a list of them')
        self.sim.faults.add(body)
        return {'faults': self.sim.faults.to_json()}

    def clear_faults(self, request, body):
        self.sim.faults.clear()
        return {'faults': []}

    def _clock_view(self):
        now = self.sim.now
        return {'now': iso_timestamp(now), 'epoch': now, 'offset': self.sim.clock.offset}

    def get_clock(self, request, body):
        return self._clock_view()

    def advance_clock(self, request, body):
        if not isinstance(body, dict):
            raise ControlError(400, 'send {"advance": seconds}')
        self.sim.clock.advance(_number(body, 'advance'))
        self.sim.store.process_due(self.sim.now)
        return self._clock_view()

    def _device(self, ref):
        device = self.sim.fleet.find_device(ref)
        if device is None:
            raise ControlError(404, f'unknown device {ref}')
        return device

    def get_device(self, request, body, ref):
        self.sim.store.process_due(self.sim.now)
        return self._device(ref).control_view()

    def update_device(self, request, body, ref):
        """Set online, api_level, timezone_string, fail_commands, other DeviceInfo fields, or devicestate fields."""
        device = self._device(ref)
        if not isinstance(body, dict):
            raise ControlError(400, 'send an object of fields to set')
        unknown = set(body) - set(DEVICE_FIELD_TYPES) - {'devicestate'}
        if unknown:
            raise ControlError(400, f'unknown device fields: {", ".join(sorted(unknown))}; allowed: '
                                    f'{", ".join(sorted(DEVICE_FIELD_TYPES))}, devicestate')
        state_changes = body.get('devicestate') or {}
        if not isinstance(state_changes, dict):
            raise ControlError(400, 'devicestate must be an object')
        for name, value in state_changes.items():
            if name not in DEVICESTATE_TYPES:
                raise ControlError(400, f'unknown devicestate field {name}')
            _typed(value, DEVICESTATE_TYPES[name], f'devicestate.{name}')
        for name, value in body.items():
            if name != 'devicestate':
                _typed(value, DEVICE_FIELD_TYPES[name], name)
        now = self.sim.now
        self.sim.store.process_due(now)
        was_online = device.online
        for name, value in body.items():
            if name != 'devicestate':
                setattr(device, name, value)
        device.devicestate.update(state_changes)
        if device.online and not was_online:
            self.sim.store.device_came_online(device, now)
        return device.control_view()

    def reset(self, request, body):
        self.sim.reset()
        return self.get_fleet(request, None)

    def get_fleet(self, request, body):
        summary = self.sim.fleet.summary()
        summary['api_key'] = self.sim.options.api_key
        summary['base_url'] = request.base_url
        return summary

    def get_settings(self, request, body):
        settings = self.sim.settings
        return {'step_seconds': settings.step_seconds, 'fail_same_value': settings.fail_same_value,
                'group_fanout_seconds': settings.group_fanout_seconds}

    def update_settings(self, request, body):
        """Change step_seconds, fail_same_value or group_fanout_seconds (statuses already started keep their step)."""
        if not isinstance(body, dict):
            raise ControlError(400, 'send an object with step_seconds, fail_same_value and/or group_fanout_seconds')
        unknown = set(body) - {'step_seconds', 'fail_same_value', 'group_fanout_seconds'}
        if unknown:
            raise ControlError(400, f'unknown settings: {", ".join(sorted(unknown))}')
        if 'step_seconds' in body:
            self.sim.settings.step_seconds = _number(body, 'step_seconds')
        if 'group_fanout_seconds' in body:
            self.sim.settings.group_fanout_seconds = _number(body, 'group_fanout_seconds')
        if 'fail_same_value' in body:
            self.sim.settings.fail_same_value = _typed(body['fail_same_value'], bool, 'fail_same_value')
        return self.get_settings(request, body)
