# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request and response values passed between the HTTP layer and the API handlers, and Esper's
envelopes and error bodies (CONTRACT §1.2, §1.3)."""

from __future__ import annotations

import dataclasses
import json

CONTENT_FAMILY = 'content'   # /commands/v0/*, /device/v0/*, /v2/*: {"code","message","content"} (v2 successes: only "content")
LEGACY_FAMILY = 'legacy'     # /enterprise/{eid}/*: bare objects, {"errors","message","status"} errors

HTTP_REASONS = {200: 'Success', 201: 'Command request created', 304: 'Not Modified', 400: 'Bad request', 401: 'Unauthorized',
                404: 'Not found', 405: 'Method not allowed', 429: 'Rate limit exceeded', 500: 'Internal server error',
                502: 'Bad gateway', 503: 'Service unavailable', 504: 'Gateway timeout'}


@dataclasses.dataclass
class ApiRequest:
    """One HTTP request as the handlers see it. ``query`` keeps the last value of each parameter."""

    method: str
    path: str
    query: dict
    headers: dict
    body: bytes = b''
    origin: str = 'http://127.0.0.1'

    @property
    def base_url(self):
        return self.origin + '/api'

    def json_body(self):
        """The body parsed as JSON; ValueError when it is not JSON (an empty body is None)."""
        if not self.body.strip():
            return None
        return json.loads(self.body.decode('utf-8'))


@dataclasses.dataclass
class ApiResponse:
    """What to send back: a JSON body (or none, e.g. 304) and extra headers."""

    status: int
    body: object = None
    headers: dict = dataclasses.field(default_factory=dict)
    has_body: bool = True

    def encode(self):
        return b'' if not self.has_body else json.dumps(self.body).encode('utf-8')


class ApiError(Exception):
    """An error answer; the API layer renders it in the family's error shape."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def family_of(path):
    """Which envelope family a path belongs to (CONTRACT §1.2)."""
    if path.startswith(('/api/commands/', '/api/device/', '/api/v2/')):
        return CONTENT_FAMILY
    return LEGACY_FAMILY


def error_response(family, status, message, headers=None):
    """An error in the shape of the path's family (CONTRACT §1.3)."""
    if family == CONTENT_FAMILY:
        body = {'code': status, 'message': message, 'content': {}}
    else:
        body = {'errors': [message], 'message': message, 'status': status}
    return ApiResponse(status, body, dict(headers or {}))


def content_response(content, status=200):
    """A content envelope: {"code": <HTTP status>, "message": ..., "content": ...} (the code mirrors the status, Unknown #4)."""
    return ApiResponse(status, {'code': status, 'message': HTTP_REASONS.get(status, 'Success'), 'content': content})


def int_param(query, name, default, minimum=0):
    """The integer query parameter name (default when absent or empty); ApiError 400 when it is not one or below minimum."""
    text = query.get(name)
    if text is None or text == '':
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, f'{name} must be an integer, got {text!r}')
    if value < minimum:
        raise ApiError(400, f'{name} must be >= {minimum}, got {value}')
    return value
