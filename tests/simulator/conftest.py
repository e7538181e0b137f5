# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the simulator's own tests: a simulator serving in a thread, and a small stdlib HTTP client."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest

from ansible_collections.esper.mdm.simulator.esper_simulator.server import SimulatorServer

# Long steps: statuses never move by themselves while a test runs, only through POST /_sim/clock.
STEP = 1000.0


class Reply:
    """One HTTP answer: status, headers (lowercase names), raw text and the parsed JSON (None when not JSON)."""

    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.text = text
        try:
            self.json = json.loads(text) if text else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f'Reply({self.status}, {self.text[:300]!r})'


class SimClient:
    """Real HTTP calls to a simulator: ``call`` for /api paths (Bearer key added), ``control`` for /_sim/."""

    def __init__(self, server):
        self.server = server
        self.url = server.url
        parsed = urllib.parse.urlsplit(server.url)
        self.host, self.port = parsed.hostname, parsed.port
        self.api_key = server.options.api_key
        self.enterprise_id = server.options.enterprise_id
        self.step = server.options.step_seconds

    def raw(self, method, target, body=None, headers=None, timeout=30):
        """Send one request to ``target`` (a path with query, or a full URL) and return a Reply."""
        if target.startswith('http'):
            parsed = urllib.parse.urlsplit(target)
            target = parsed.path + ('?' + parsed.query if parsed.query else '')
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            payload = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode('utf-8')
            all_headers = {'Content-Type': 'application/json'} if payload is not None else {}
            all_headers.update(headers or {})
            connection.request(method, target, body=payload, headers=all_headers)
            response = connection.getresponse()
            text = response.read().decode('utf-8')
            return Reply(response.status, {key.lower(): value for key, value in response.getheaders()}, text)
        finally:
            connection.close()

    def call(self, method, path, body=None, params=None, key=None, headers=None, timeout=30):
        """An /api call: ``path`` relative to the base URL ('commands/v0/commands/') or a full URL."""
        target = path if path.startswith('http') else '/api/' + path
        if params:
            target += '?' + urllib.parse.urlencode(params)
        all_headers = {'Authorization': f'Bearer {self.api_key if key is None else key}'}
        all_headers.update(headers or {})
        return self.raw(method, target, body=body, headers=all_headers, timeout=timeout)

    def get(self, path, params=None, **kwargs):
        return self.call('GET', path, params=params, **kwargs)

    def control(self, method, path, body=None):
        reply = self.raw(method, '/_sim/' + path, body=body)
        assert reply.status == 200, reply
        return reply.json

    def enterprise(self, suffix):
        return f'enterprise/{self.enterprise_id}/{suffix}'

    def fleet(self):
        return self.control('GET', 'fleet')

    def device_id(self, name):
        return self.server.simulator.fleet.devices_by_name[name].id

    def group_id(self, name):
        return self.server.simulator.fleet.groups_by_name[name].id

    def advance(self, seconds):
        return self.control('POST', 'clock', {'advance': seconds})

    def advance_steps(self, steps):
        """Move simulated time by ``steps`` status transitions."""
        return self.advance(steps * self.step)

    def command(self, command, devices=None, groups=None, command_args=None, command_type=None, schedule='IMMEDIATE',
                schedule_args=None, expect=201):
        """POST a command request for device/group names or ids; returns the created CommandRequest (content)."""
        devices = [self.device_id(item) if item.startswith('kiosk-') else item for item in devices or []]
        groups = [self.group_id(item) if not _looks_like_uuid(item) else item for item in groups or []]
        if command_type is None:
            command_type = 'DYNAMIC' if devices and groups else ('GROUP' if groups else 'DEVICE')
        body = {'command_type': command_type, 'devices': devices, 'groups': groups, 'device_type': 'all', 'command': command,
                'command_args': command_args or {}, 'schedule': schedule}
        if schedule_args is not None:
            body['schedule_args'] = schedule_args
        reply = self.call('POST', 'commands/v0/commands/', body)
        assert reply.status == expect, reply
        return reply.json['content'] if expect == 201 else reply

    def stats(self, request_id):
        reply = self.get(f'commands/v0/commands/{request_id}/stats/')
        assert reply.status == 200, reply
        return {item['state']: item['total'] for item in reply.json['content']['status']}

    def statuses(self, request_id):
        reply = self.get('commands/v0/status/', {'request': request_id, 'limit': 1000})
        assert reply.status == 200, reply
        return reply.json['content']['results']

    def devicestate(self, name):
        reply = self.get(f'device/v0/devices/{self.device_id(name)}/devicestate')
        assert reply.status == 200, reply
        return reply.json

    def device_info(self, name, show_policy=False):
        params = {'show_policy': 'true'} if show_policy else None
        reply = self.get(self.enterprise(f'device/{self.device_id(name)}/'), params)
        assert reply.status == 200, reply
        return reply.json


def _looks_like_uuid(text):
    return len(text) == 36 and text.count('-') == 4


def _simulator_factory():
    servers = []

    def start(**overrides):
        overrides.setdefault('step_seconds', STEP)
        server = SimulatorServer(**overrides).start()
        servers.append(server)
        return SimClient(server)

    return start, servers


@pytest.fixture
def start_sim():
    """Factory: start_sim(**option overrides) -> SimClient of an in-thread simulator, stopped after the test."""
    start, servers = _simulator_factory()
    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope='module')
def start_module_sim():
    """Like start_sim, but the simulators live until the end of the test module (for expensive fleets)."""
    start, servers = _simulator_factory()
    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope='module')
def shared_server():
    """One default simulator per test module; the ``sim`` fixture resets it before each test."""
    server = SimulatorServer(step_seconds=STEP).start()
    yield server
    server.stop()


@pytest.fixture
def sim(shared_server):
    """A freshly reset default simulator (50 devices) whose statuses move only when the test advances the clock."""
    client = SimClient(shared_server)
    client.control('POST', 'reset')
    return client
