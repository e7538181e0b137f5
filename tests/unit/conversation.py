# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scripted HTTP conversations for unit tests.

A Conversation stands in for ``requests.Session``: it holds the exchanges a test expects, in order,
checks each request the client makes against the next one, answers with the scripted reply, and
fails on any request that was not expected. ``assert_done()`` fails when expected requests were
never made. EsperClient calls ``session.request(method, url, params=, json=, headers=, timeout=,
verify=)``, so any client under test can be given ``session=Conversation([...])``.
"""

from __future__ import annotations

import json as jsonlib
import threading
from urllib.parse import parse_qsl, urlsplit

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperClient

BASE_URL = 'https://acme-api.esper.cloud/api'
API_KEY = 'test-api-key-0123456789'
ENTERPRISE_ID = '5f2e7c1a-0000-4000-8000-00000000e001'


class FakeResponse:
    """The parts of requests.Response that the client reads."""

    def __init__(self, status_code=200, body=None, headers=None, text=None, reason=None):
        self.status_code = status_code
        self.headers = dict(headers or {})
        if text is None:
            text = '' if body is None else jsonlib.dumps(body)
        self.text = text
        self.content = text.encode('utf-8')
        self.reason = reason or {200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified',
                                 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
                                 404: 'Not Found', 429: 'Too Many Requests',
                                 500: 'Internal Server Error', 502: 'Bad Gateway',
                                 503: 'Service Unavailable', 504: 'Gateway Timeout'}.get(status_code, '')
        self.ok = 200 <= status_code < 400

    def json(self):
        return jsonlib.loads(self.text)


class Exchange:
    """One expected request and its reply.

    path: the URL path after the base URL's path ('commands/v0/commands/'), or a full URL.
    params: when given, the query parameters must equal it (values compared as strings);
            include only what the test cares about by passing ``params_subset=True``.
    json: when given, the JSON body must equal it.
    raises: an exception instance to raise instead of replying (e.g. requests' ReadTimeout).
    check: optional callable(request_dict) for anything else the test wants to assert.
    """

    def __init__(self, method, path, params=None, json=None, status=200, body=None, headers=None,
                 text=None, raises=None, params_subset=False, check=None):
        self.method = method.upper()
        self.path = path
        self.params = params
        self.json = json
        self.status = status
        self.body = body
        self.headers = headers
        self.text = text
        self.raises = raises
        self.params_subset = params_subset
        self.check = check

    def describe(self):
        return '%s %s params=%r' % (self.method, self.path, self.params)


class Conversation:
    """A scripted stand-in for requests.Session."""

    def __init__(self, exchanges, base_url=BASE_URL):
        self.expected = list(exchanges)
        self.base_path = urlsplit(base_url).path.rstrip('/') + '/'
        self.requests = []
        self.presend_lookups = []
        self.lock = threading.Lock()

    # requests.Session API used by the client
    def request(self, method, url, params=None, json=None, headers=None, timeout=None, verify=None, **kwargs):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        for key, value in (params or {}).items():
            query[key] = value
        path = parts.path
        if path.startswith(self.base_path):
            path = path[len(self.base_path):]
        record = {'method': method.upper(), 'url': url, 'path': path, 'params': query, 'json': json,
                  'headers': dict(headers or {}), 'timeout': timeout, 'verify': verify, 'kwargs': kwargs}
        with self.lock:
            if self._unscripted_presend_lookup(record):
                # The client reads the requests a lost answer's look-up would find before each first POST
                # (EsperClient._note_existing); tests that do not script it get an empty list, unrecorded.
                self.presend_lookups.append(record)
                return FakeResponse(200, {'count': 0, 'next': None, 'previous': None, 'results': []})
            self.requests.append(record)
            if not self.expected:
                raise AssertionError('unexpected request %s %s params=%r json=%r (no more exchanges scripted)'
                                     % (method, path, query, json))
            exchange = self.expected.pop(self._index_of(record))
        self._match(exchange, record)
        if exchange.raises is not None:
            raise exchange.raises
        return FakeResponse(exchange.status, exchange.body, exchange.headers, exchange.text)

    def _unscripted_presend_lookup(self, record):
        """True for the client's look-up before a first POST when the next scripted exchange is that POST."""
        params = record['params']
        return (record['method'] == 'GET' and record['path'] == 'commands/v0/commands/' and bool(self.expected)
                and self.expected[0].method == 'POST' and set(params) in ({'command', 'devices', 'limit'}, {'command', 'groups', 'limit'})
                and str(params.get('limit')) == '50')

    def _index_of(self, record):
        """Which scripted exchange answers record: the first one, or, for a GET, a later GET of the same run.

        Reads made several at a time (devicestate, devices by id, stats) arrive in any order, so a GET may take
        any GET scripted before the next write; writes are answered strictly in order. When nothing matches, 0
        (the first exchange then fails the request with its description).
        """
        if record['method'] != 'GET':
            return 0
        for index, exchange in enumerate(self.expected):
            if exchange.method != 'GET':
                break
            try:
                self._match(exchange, dict(record, dry_run=True))
            except AssertionError:
                continue
            return index
        return 0

    def mount(self, *args, **kwargs):
        """Accept adapter mounting like a Session."""

    def close(self):
        """Accept close() like a Session."""

    @property
    def headers(self):
        return {}

    def _match(self, exchange, record):
        wanted_path = exchange.path
        if wanted_path.startswith('http'):
            wanted_path = urlsplit(wanted_path).path
            if wanted_path.startswith(self.base_path):
                wanted_path = wanted_path[len(self.base_path):]
        if record['method'] != exchange.method or record['path'] != wanted_path:
            raise AssertionError('expected %s, got %s %s params=%r json=%r'
                                 % (exchange.describe(), record['method'], record['path'],
                                    record['params'], record['json']))
        if exchange.params is not None:
            actual = {k: str(v) for k, v in record['params'].items()}
            wanted = {k: str(v) for k, v in exchange.params.items()}
            if exchange.params_subset:
                actual = {k: v for k, v in actual.items() if k in wanted}
            if actual != wanted:
                raise AssertionError('%s %s: expected params %r, got %r'
                                     % (exchange.method, wanted_path, wanted, actual))
        if exchange.json is not None and record['json'] != exchange.json:
            raise AssertionError('%s %s: expected body %r, got %r'
                                 % (exchange.method, wanted_path, exchange.json, record['json']))
        if exchange.check is not None and not record.get('dry_run'):
            exchange.check(record)

    def assert_done(self):
        if self.expected:
            raise AssertionError('expected requests never made: %s'
                                 % ', '.join(e.describe() for e in self.expected))

    def count(self, method, path_prefix=''):
        """How many requests with this method (and path prefix) were made."""
        return sum(1 for r in self.requests if r['method'] == method.upper() and r['path'].startswith(path_prefix))


class UnorderedSession:
    """A thread-safe stand-in for requests.Session for reads made from several threads at once.

    It answers by path in whatever order threads ask (replies: path -> (status, body)) and records each
    (method, path) asked in ``asked`` and each request's query parameters in ``params``. Any path without a
    reply fails the request.
    """

    def __init__(self, replies, barrier=None, base_url=BASE_URL):
        self.replies = dict(replies)
        self.base_url = base_url
        self.asked = []
        self.params = []
        self.lock = threading.Lock()
        # When set, each request waits until barrier.parties requests are in flight together.
        self.barrier = barrier

    def request(self, method, url, params=None, **kwargs):
        path = url[len(self.base_url) + 1:]
        with self.lock:
            self.asked.append((method, path))
            self.params.append(dict(params or {}))
        if self.barrier is not None:
            self.barrier.wait()
        if path not in self.replies:
            raise AssertionError('unexpected request %s %s' % (method, path))
        status, body = self.replies[path]
        return FakeResponse(status, body)

    def mount(self, *args, **kwargs):
        """Accept adapter mounting like a Session."""

    def close(self):
        """Accept close() like a Session."""

    @property
    def headers(self):
        return {}


def content(payload, code=200, message='Success'):
    """The content envelope of the new services (§1.2)."""
    return {'code': code, 'message': message, 'content': payload}


def page(results, count=None, next_url=None, previous=None, enveloped=True, prev_key='previous'):
    """A list page, enveloped (content family) or bare (legacy family)."""
    body = {'count': len(results) if count is None else count, 'next': next_url, prev_key: previous,
            'results': list(results)}
    return content(body) if enveloped else body


def device_id(number):
    """A device UUID for test number n (the same in every test file)."""
    return '6f1c2d3e-0000-4a5b-8c9d-%012d' % number


def group_id(number):
    """A group UUID for test number n."""
    return '0b9a8c7d-1111-4e2f-9a0b-%012d' % number


def request_id(number):
    """A command request UUID for test number n."""
    return '9d0e6a4f-5b1c-4c1d-9e2f-%012d' % number


def refuse_sleep(seconds):
    """A client sleep for tests where no request may be retried."""
    raise AssertionError('no request in these tests should be retried (asked to sleep %s s)' % seconds)


def scripted_client(exchanges, sleep=refuse_sleep):
    """(EsperClient on a Conversation of these exchanges, the Conversation)."""
    conversation = Conversation(exchanges)
    client = EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=conversation, sleep=sleep)
    return client, conversation
