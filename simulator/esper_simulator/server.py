# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP layer: a ThreadingHTTPServer on loopback that hands requests to the Simulator and applies injected faults."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import __version__
from .app import Simulator
from .faults import (ECHO_BAD_REQUEST, LOSE_RESPONSE, MALFORMED_JSON, PATH_ONLY_NEXT, RATE_LIMIT, SERVER_ERROR, SLOW, STORE_AFTER_DELAY,
                     echoed_arguments, with_path_only_links)
from .options import SimulatorOptions
from .responses import LEGACY_FAMILY, ApiRequest, error_response, family_of
from .timefmt import iso_timestamp


def _loggable_body(raw):
    if not raw:
        return None
    try:
        return json.loads(raw.decode('utf-8'))
    except ValueError:
        return raw.decode('utf-8', 'replace')


class SimulatorRequestHandler(BaseHTTPRequestHandler):
    """Turns HTTP into ApiRequest/ApiResponse; HTTP/1.1 keep-alive so clients can pool connections."""

    protocol_version = 'HTTP/1.1'
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm holds the body until the client's
    # delayed ACK (40 ms on Linux), so every keep-alive request would take 40 ms and the simulator would be the bottleneck.
    disable_nagle_algorithm = True
    server_version = f'EsperSimulator/{__version__}'

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def log_message(self, *args):
        # BaseHTTPRequestHandler passes (format, *values); its parameter name shadows a builtin, hence *args.
        if self.server.simulator.options.verbose:
            sys.stderr.write(f'{self.address_string()} - {args[0] % args[1:]}\n')

    def _read_request(self):
        split = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length > 0 else b''
        host = self.headers.get('Host') or '%s:%s' % self.server.server_address[:2]
        return ApiRequest(method=self.command, path=split.path, query=query,
                          headers={key.lower(): value for key, value in self.headers.items()}, body=body, origin=f'http://{host}')

    def _dispatch(self):
        simulator = self.server.simulator
        try:
            request = self._read_request()
        except ValueError:
            self._send(error_response(LEGACY_FAMILY, 400, 'Malformed request'))
            return
        try:
            if request.path == '/_sim' or request.path.startswith('/_sim/'):
                outcome = (simulator.handle_control(request), None)
            else:
                outcome = self._serve_api(simulator, request)
        except Exception:  # the oracle must show its own bugs loudly, not hang the client
            traceback.print_exc(file=sys.stderr)
            outcome = (error_response(family_of(request.path), 500, 'Simulator internal error (see its stderr)'), None)
        if outcome is None:
            self._drop_connection()
            return
        try:
            self._send(*outcome)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (e.g. its read timeout); nothing to answer

    def _serve_api(self, simulator, request):
        """(response, raw body or None) for an /api request, or None when the response is to be lost."""
        family = family_of(request.path)
        rule = simulator.faults.take(request.method, request.path)
        kind = rule.kind if rule else None
        if kind in (SLOW, STORE_AFTER_DELAY):
            time.sleep(rule.delay)
        if kind == RATE_LIMIT:
            headers = {} if rule.retry_after is None else {'Retry-After': str(rule.retry_after)}
            response = error_response(family, 429, 'Request was throttled: rate limit exceeded', headers)
        elif kind == SERVER_ERROR:
            if rule.process:
                simulator.handle_api(request)
            response = error_response(family, rule.status, f'Simulated server error {rule.status}')
        elif kind == ECHO_BAD_REQUEST:
            try:
                echoed = request.json_body()
            except ValueError:
                echoed = None
            response = error_response(family, 400, echoed_arguments(request.query, echoed))
        elif request.path.startswith('/api/'):
            response = simulator.handle_api(request)
        else:
            response = error_response(LEGACY_FAMILY, 404, f'Not found: {request.path}')
        if kind == PATH_ONLY_NEXT:
            response.body = with_path_only_links(response.body)
        lost = kind in (LOSE_RESPONSE, STORE_AFTER_DELAY)
        now = simulator.now
        simulator.log.add({
            'method': request.method, 'path': request.path, 'query': dict(request.query), 'body': _loggable_body(request.body),
            'status': None if lost else response.status, 'fault': kind, 'lost': lost,
            'authorized': request.headers.get('authorization', '') == f'Bearer {simulator.options.api_key}',
            'time': iso_timestamp(now), 'epoch': now, 'connection': '%s:%s' % tuple(self.client_address[:2]),
        })
        if lost:
            return None
        if kind == MALFORMED_JSON:
            encoded = response.encode() or b'{}'
            return response, encoded[:max(1, len(encoded) // 2)]
        return response, None

    def _drop_connection(self):
        """Close the connection without any reply, like a response lost in transit."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response, raw=None):
        payload = response.encode() if raw is None else raw
        self.send_response(response.status)
        if response.has_body or raw is not None:
            self.send_header('Content-Type', 'application/json')
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


class SimulatorHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that carries the Simulator; IPv6 when the host is an IPv6 address."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: a burst of new connections (8 parallel reads) overflows it, the
    # kernel drops the extra SYNs and the clients retry after 1 s. Real API front ends accept far more.
    request_queue_size = 128

    def __init__(self, simulator, host, port):
        if ':' in host:
            self.address_family = socket.AF_INET6
        self.simulator = simulator
        super().__init__((host, port), SimulatorRequestHandler)


def format_url(host, port):
    """The base URL clients use: http://<host>:<port>/api (a wildcard host is reached through loopback)."""
    if host in ('', '0.0.0.0'):
        host = '127.0.0.1'
    elif host == '::':
        host = '::1'
    if ':' in host:
        host = f'[{host}]'
    return f'http://{host}:{port}/api'


class SimulatorServer:
    """A simulator serving in a background thread of the current process (for tests that need no subprocess).

    Use as ``with SimulatorServer(devices=10) as server: ... server.url ...``; keyword arguments override
    SimulatorOptions fields.
    """

    def __init__(self, options=None, **overrides):
        options = options or SimulatorOptions()
        for name, value in overrides.items():
            if not hasattr(options, name):
                raise TypeError(f'unknown simulator option {name}')
            setattr(options, name, value)
        self.options = options
        self.simulator = Simulator(options)
        self.httpd = SimulatorHTTPServer(self.simulator, options.host, options.port)
        self._thread = None

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        return format_url(self.options.host, self.port)

    @property
    def root_url(self):
        return self.url[:-len('/api')]

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self):
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
