# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Injectable faults (POST /_sim/faults): rate limits, server errors, slow and lost responses, broken JSON,
requests stored late without an answer, path-only next links and 400s that echo the request's arguments."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

RATE_LIMIT = 'rate_limit'
SERVER_ERROR = 'server_error'
SLOW = 'slow'
LOSE_RESPONSE = 'lose_response'
MALFORMED_JSON = 'malformed_json'
STORE_AFTER_DELAY = 'store_after_delay'
PATH_ONLY_NEXT = 'path_only_next'
ECHO_BAD_REQUEST = 'echo_bad_request'
FAULT_KINDS = (RATE_LIMIT, SERVER_ERROR, SLOW, LOSE_RESPONSE, MALFORMED_JSON, STORE_AFTER_DELAY, PATH_ONLY_NEXT, ECHO_BAD_REQUEST)
SERVER_ERROR_STATUSES = (500, 502, 503, 504)
# How much of each argument an echo_bad_request 400 quotes.
ECHO_LENGTH = 120


class FaultRuleError(ValueError):
    """A fault rule that cannot be used; the control API answers 400."""


class FaultRule:
    """One rule: requests whose method and path match get ``kind`` instead of (or around) the normal answer.

    count: how many matching requests it affects (None: until DELETE /_sim/faults).
    retry_after: seconds sent in Retry-After with rate_limit (None: no header).
    status: the HTTP status of server_error (500, 502, 503 or 504).
    delay: seconds that slow waits before answering, and store_after_delay before carrying the request out.
    process: server_error only; when true the request is carried out first (a POST is stored) and then the error is returned.

    store_after_delay: no answer ever (the connection is closed without a byte); the request is carried out
    after ``delay`` seconds, so a client whose timeout is shorter sees a read timeout and finds the request
    in the listing only later. path_only_next: the normal answer, with list pages' next/previous links
    given as a path ('/api/enterprise/...?limit=..') instead of a full URL. echo_bad_request: a 400 in the
    family's error shape whose message quotes each request argument (command_args, else the body's
    fields, and the query) cut to ECHO_LENGTH characters; the request is not carried out.
    """

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise FaultRuleError(f'a fault rule must be an object, got {spec!r}')
        unknown = set(spec) - {'method', 'path_prefix', 'kind', 'count', 'retry_after', 'status', 'delay', 'process'}
        if unknown:
            raise FaultRuleError(f'unknown fault rule keys: {", ".join(sorted(unknown))}')
        self.kind = spec.get('kind')
        if self.kind not in FAULT_KINDS:
            raise FaultRuleError(f'kind must be one of {", ".join(FAULT_KINDS)}, got {self.kind!r}')
        method = spec.get('method')
        self.method = method.upper() if isinstance(method, str) and method else None
        self.path_prefix = spec.get('path_prefix') or '/api/'
        if not isinstance(self.path_prefix, str) or not self.path_prefix.startswith('/'):
            raise FaultRuleError('path_prefix must be a path starting with /, e.g. /api/commands/v0/commands/')
        self.count = spec.get('count', 1)
        if self.count is not None and (isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1):
            raise FaultRuleError('count must be a positive integer or null (unlimited)')
        self.retry_after = spec.get('retry_after')
        if self.retry_after is not None and (isinstance(self.retry_after, bool) or not isinstance(self.retry_after, (int, float))
                                             or self.retry_after < 0):
            raise FaultRuleError('retry_after must be a number of seconds >= 0 or null')
        self.status = spec.get('status', 503)
        if self.status not in SERVER_ERROR_STATUSES:
            raise FaultRuleError(f'status must be one of {", ".join(map(str, SERVER_ERROR_STATUSES))}')
        self.delay = spec.get('delay', 1.0)
        if isinstance(self.delay, bool) or not isinstance(self.delay, (int, float)) or self.delay < 0:
            raise FaultRuleError('delay must be a number of seconds >= 0')
        self.process = bool(spec.get('process', False))
        self.hits = 0

    def matches(self, method, path):
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)

    def to_json(self):
        return {'kind': self.kind, 'method': self.method, 'path_prefix': self.path_prefix, 'count': self.count,
                'retry_after': self.retry_after, 'status': self.status, 'delay': self.delay, 'process': self.process, 'hits': self.hits}


class FaultInjector:
    """The active rules; the first matching rule with uses left applies to a request and uses one up."""

    def __init__(self):
        self._rules = []
        self._lock = threading.Lock()

    def add(self, specs):
        """Add rules from a list of rule objects (or a single object); all or none are added."""
        rules = [FaultRule(spec) for spec in (specs if isinstance(specs, list) else [specs])]
        with self._lock:
            self._rules.extend(rules)
        return rules

    def clear(self):
        with self._lock:
            self._rules = []

    def take(self, method, path):
        """The rule that applies to this request (its use counted), or None."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count == 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def to_json(self):
        with self._lock:
            return [rule.to_json() for rule in self._rules]


def path_only(url):
    """A full URL without its scheme and host ('/api/...?...'); other values as they are."""
    if not isinstance(url, str) or '://' not in url:
        return url
    parts = urlsplit(url)
    return urlunsplit(('', '', parts.path, parts.query, parts.fragment))


def with_path_only_links(body):
    """A copy of a list page (bare or in a content envelope) whose next/previous/prev links are paths only."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if isinstance(body.get('content'), dict):
        body['content'] = with_path_only_links(body['content'])
    for key in ('next', 'previous', 'prev'):
        if key in body:
            body[key] = path_only(body[key])
    return body


def echoed_arguments(query, body):
    """The message of an echo_bad_request 400: each argument as 'name=value', every value cut to ECHO_LENGTH characters."""
    arguments = []
    if isinstance(body, dict):
        source = body['command_args'] if isinstance(body.get('command_args'), dict) else body
        arguments.extend(source.items())
    arguments.extend((query or {}).items())
    quoted = '; '.join(f'{name}={str(value)[:ECHO_LENGTH]}' for name, value in arguments)
    return f'Invalid arguments: {quoted}' if quoted else 'Invalid arguments'
