# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""The one HTTP client of the collection: EsperClient, its typed errors, and the connection options.

Everything that talks to the Esper API goes through EsperClient.request(): it adds the Bearer
header, unwraps both envelope families, turns error bodies into typed exceptions, and is the only
place that retries. create_command() never sends a command request twice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json as jsonlib
import math
import random
import re
import socket
import time
import traceback
from datetime import datetime, timedelta, timezone

from urllib.parse import urlsplit, urlunsplit

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK, SECRET_KEYS, mask_secrets, scrub_text

try:
    from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
except ImportError:  # pragma: no cover - only when ansible-core is incomplete
    ANSIBLE_VERSION = 'unknown'

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

try:
    from urllib3.exceptions import ConnectTimeoutError as Urllib3ConnectTimeoutError
    URLLIB3_NOT_CONNECTED = (Urllib3ConnectTimeoutError,)  # NewConnectionError derives from it
except ImportError:
    URLLIB3_NOT_CONNECTED = ()

COLLECTION_VERSION = '0.1.0'
DEFAULT_USER_AGENT = 'esper.mdm/%s' % COLLECTION_VERSION
COMMANDS_PATH = 'commands/v0/commands/'

# Statuses retried by every request; 429 means the server did not process the request.
RETRY_STATUSES = (429, 502, 503, 504)
BACKOFF_CAP = 60.0
RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 60.0
BACKOFF_JITTER = 0.25
# A command request created this long before the first POST was sent may still be that POST's
# (server and client clocks differ); older ones are never adopted.
ADOPT_WINDOW = 120
RECONCILE_PAGE = 50
# How much of a non-JSON error body goes into a message.
BODY_EXCERPT = 200

TENANT_PATTERN = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$')
ISO8601_PATTERN = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$')


class EsperApiError(Exception):
    """An Esper API call failed.

    status is the HTTP status (None for transport and configuration errors), message the API's
    text or a description of what went wrong, method and path the request (path relative to the
    base URL). str(err) reads 'GET commands/v0/commands/x/: HTTP 404: Not found' and never
    contains the API key or any request header.
    """

    def __init__(self, message, status=None, method=None, path=None):
        super(EsperApiError, self).__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path

    def __str__(self):
        prefix = ''
        if self.method and self.path:
            prefix = '%s %s: ' % (self.method, self.path)
        elif self.path:
            prefix = '%s: ' % self.path
        if self.status is not None:
            prefix += 'HTTP %s: ' % self.status
        return prefix + str(self.message)

    def __repr__(self):
        return '%s(%r)' % (type(self).__name__, str(self))


class EsperAuthError(EsperApiError):
    """HTTP 401 or 403: the key is wrong, or its user lacks a permission."""


class EsperNotFoundError(EsperApiError):
    """HTTP 404."""


class EsperValidationError(EsperApiError):
    """HTTP 400 and the other 4xx statuses without a class of their own."""


class EsperRateLimitError(EsperApiError):
    """HTTP 429 still returned after max_retries retries."""


class EsperServerError(EsperApiError):
    """HTTP 5xx still returned after max_retries retries, or a 2xx body that is not JSON."""


class EsperTransportError(EsperApiError):
    """Connection error or time-out (after max_retries retries), or a TLS error (status None)."""


class EsperConfigError(EsperApiError):
    """The connection options do not allow the request; raised before any request is made."""


def connection_argument_spec():
    """The argument spec of the esper.mdm.connection doc fragment, with environment fallbacks."""
    return dict(
        api_key=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['ESPER_API_KEY'])),
        tenant=dict(type='str', fallback=(env_fallback, ['ESPER_TENANT'])),
        api_url=dict(type='str', fallback=(env_fallback, ['ESPER_API_URL'])),
        enterprise_id=dict(type='str', fallback=(env_fallback, ['ESPER_ENTERPRISE_ID'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['ESPER_VALIDATE_CERTS'])),
        ca_path=dict(type='path'),
        timeout=dict(type='int', default=30),
        max_retries=dict(type='int', default=5),
    )


def api_base_url(tenant=None, api_url=None):
    """The API base URL (no trailing slash) from api_url, else from tenant.

    Raises EsperConfigError when neither is set, the tenant cannot be part of a host name, or
    api_url is not an http(s) URL.
    """
    if api_url:
        parts = urlsplit(api_url.strip())
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise EsperConfigError('api_url must be an http:// or https:// URL such as https://acme-api.esper.cloud/api, got %r' % api_url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip('/'), '', ''))
    if tenant:
        tenant = tenant.strip()
        if not TENANT_PATTERN.match(tenant):
            raise EsperConfigError('tenant must be the tenant name only (letters, digits, "-" and "."), for example acme for '
                                   'https://acme-api.esper.cloud/api; use api_url for a full URL; got %r' % tenant)
        return 'https://%s-api.esper.cloud/api' % tenant
    raise EsperConfigError('one of tenant or api_url is required: set the tenant or api_url option, '
                           'or the ESPER_TENANT or ESPER_API_URL environment variable')


def client_from_module(module):
    """Build the EsperClient from a module's connection options; fail the module on bad options.

    Fails (before any request) when requests is missing, when neither tenant nor api_url is set,
    on a malformed tenant or api_url, or on a negative timeout or max_retries.
    """
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    base_url = None
    try:
        base_url = api_base_url(params.get('tenant'), params.get('api_url'))
    except EsperConfigError as exc:
        module.fail_json(msg=str(exc))
    timeout = params.get('timeout')
    if timeout is None:
        timeout = 30
    if timeout <= 0:
        module.fail_json(msg='timeout must be a positive number of seconds, got %s' % timeout)
    max_retries = params.get('max_retries')
    if max_retries is None:
        max_retries = 5
    if max_retries < 0:
        module.fail_json(msg='max_retries must be 0 or more, got %s' % max_retries)
    validate_certs = params.get('validate_certs')
    return EsperClient(
        base_url,
        params.get('api_key'),
        enterprise_id=params.get('enterprise_id') or None,
        validate_certs=True if validate_certs is None else validate_certs,
        ca_path=params.get('ca_path'),
        timeout=timeout,
        max_retries=max_retries,
        warn=module.warn,
        user_agent='%s ansible/%s' % (DEFAULT_USER_AGENT, ANSIBLE_VERSION),
    )


def parse_iso8601(value):
    """Seconds since the epoch for an ISO-8601 date-time ('2025-05-01T10:00:00Z', '...00.123456+02:00',
    no zone meaning UTC), or None when value is not one.

    Written out because datetime.fromisoformat() on Python 3.8 rejects 'Z' and fractions other
    than 3 or 6 digits.
    """
    if not isinstance(value, str):
        return None
    match = ISO8601_PATTERN.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    offset = timedelta(0)
    if zone and zone not in ('Z', 'z'):
        digits = zone[1:].replace(':', '')
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        if zone[0] == '-':
            offset = -offset
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                          tzinfo=timezone(offset))
    except ValueError:
        return None
    return moment.timestamp() + (float('0.' + fraction) if fraction else 0.0)


def _secret_values(value):
    """Every secret string in a request body (by masking.SECRET_KEYS), so error text can be scrubbed of it."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_KEYS and isinstance(item, str) and item:
                found.append(item)
            else:
                found.extend(_secret_values(item))
    elif isinstance(value, (list, tuple)):
        for item in value:
            found.extend(_secret_values(item))
    return found


def _exception_chain(exc):
    """exc and every exception it wraps (args, urllib3's reason, cause and context)."""
    seen = []
    pending = [exc]
    while pending and len(seen) < 20:
        item = pending.pop()
        if not isinstance(item, BaseException) or any(item is known for known in seen):
            continue
        seen.append(item)
        pending.extend(arg for arg in item.args if isinstance(arg, BaseException))
        for attr in ('reason', '__cause__', '__context__'):
            pending.append(getattr(item, attr, None))
    return seen


def _never_connected(exc):
    """True when the connection was never made, so the request certainly did not reach the server."""
    kinds = (ConnectionRefusedError, socket.gaierror) + URLLIB3_NOT_CONNECTED
    if HAS_REQUESTS:
        kinds += (requests.exceptions.ConnectTimeout,)
    return any(isinstance(item, kinds) for item in _exception_chain(exc))


def _without_nulls(value):
    """A dict without its None values ({} for None), so null keys and missing keys compare equal."""
    if not isinstance(value, dict):
        return {} if value is None else value
    return dict((key, item) for key, item in value.items() if item is not None)


def _target_description(body):
    """'device <first device>' or 'group <first group>' of a command request body, for messages."""
    devices = body.get('devices') or []
    groups = body.get('groups') or []
    return ('device %s' % devices[0]) if devices else ('group %s' % groups[0]) if groups else 'the targets'


def _header(response, name):
    """A response header by case-insensitive name, or None."""
    for key, value in (response.headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _page_results(page):
    """The results list of an unwrapped list page; EsperServerError when page is not one."""
    if isinstance(page, list):
        return page
    if isinstance(page, dict) and isinstance(page.get('results'), list):
        return page['results']
    raise EsperServerError('the response is not a list page (no results list)')


class _RetryableFailure(object):
    """A response or transport error that may be retried: what happened, in text without secrets."""

    def __init__(self, cause, error_class, message, status=None, retry_after=None, reached_server=True):
        self.cause = cause                  # for warnings: 'HTTP 503: Service Unavailable', 'read timeout ...'
        self.error_class = error_class      # raised when retries are used up
        self.message = message              # the exception's message when retries are used up
        self.status = status
        self.retry_after = retry_after      # seconds from Retry-After (clamped), or None
        self.reached_server = reached_server  # False only when the server certainly never got the request


class EsperClient(object):
    """The Esper API over one keep-alive requests.Session: auth, JSON, envelopes, typed errors, retries."""

    def __init__(self, base_url, api_key, enterprise_id=None, validate_certs=True, ca_path=None,
                 timeout=30, max_retries=5, warn=None, sleep=time.sleep, session=None, clock=time.time,
                 user_agent=DEFAULT_USER_AGENT):
        self.base_url = base_url.rstrip('/')
        self._api_key = api_key
        self.enterprise_id = enterprise_id
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.warn = warn or (lambda message: None)
        self.sleep = sleep
        self.clock = clock
        self.user_agent = user_agent
        # Fraction in [0, 1) that spreads backoff delays; tests replace it to get exact delays.
        self.jitter = random.random
        if session is None:
            if not HAS_REQUESTS:
                raise EsperConfigError(missing_required_lib('requests'))
            session = requests.Session()
        self.session = session
        # Ids this client created or adopted: never adopted again for another body.
        self._created_ids = set()

    def __repr__(self):
        return 'EsperClient(base_url=%r, enterprise_id=%r, api_key=%r)' % (self.base_url, self.enterprise_id, MASK)

    # Public API

    def enterprise_path(self, suffix):
        """'enterprise/<enterprise_id>/' + suffix; EsperConfigError (no request made) without enterprise_id."""
        if not self.enterprise_id:
            raise EsperConfigError('enterprise_id is required to reach enterprise/<enterprise_id>/%s: set the enterprise_id option '
                                   'or the ESPER_ENTERPRISE_ID environment variable' % suffix.lstrip('/'))
        return 'enterprise/%s/%s' % (self.enterprise_id, suffix.lstrip('/'))

    def request(self, method, path, params=None, json=None):
        """Send one API call (retrying 429, 502/503/504 and transport errors) and return the unwrapped content.

        path is relative to base_url, or an absolute URL (a next link) whose scheme and host are
        replaced by base_url's. Returns None for 204 and 304. Raises an EsperApiError subclass.
        """
        method = method.upper()
        url = self._url(path)
        display = self._display_path(url)
        secrets = self._secrets(json)
        retries = 0
        while True:
            response, failure = self._attempt(method, url, display, params, json, secrets)
            if failure is None:
                return self._content(method, display, response, secrets)
            if retries >= self.max_retries:
                raise self._gave_up(method, display, failure, retries + 1)
            retries += 1
            self._pause(method, display, failure, retries)

    def get(self, path, params=None):
        """GET path and return the unwrapped content."""
        return self.request('GET', path, params=params)

    def paginate(self, path, params=None, page_size=500, limit=None):
        """Every item of every page of a list endpoint (either envelope family), in order.

        Walks limit/offset and the next links (their host rewritten to base_url's). Stops on a null
        next, an empty page, once count items were read, or after limit items when limit is given.
        """
        page_size = max(1, int(page_size))
        query = dict(params or {})
        query['limit'] = min(page_size, limit) if limit else page_size
        query.setdefault('offset', 0)
        items = []
        target = path
        visited = set()
        while True:
            page = self.request('GET', target, params=query)
            try:
                results = _page_results(page)
            except EsperServerError as exc:
                raise EsperServerError(exc.message, method='GET', path=self._display_path(self._url(target))) from None
            items.extend(results)
            if limit and len(items) >= limit:
                return items[:limit]
            if not results or not isinstance(page, dict):
                return items
            count = page.get('count')
            if isinstance(count, int) and len(items) >= count:
                return items
            next_url = page.get('next')
            if not next_url:
                return items
            target = self._url(next_url)
            if target in visited:
                raise EsperServerError('pagination loop: the next link %s was already read' % self._display_path(target),
                                       method='GET', path=self._display_path(self._url(path)))
            visited.add(target)
            query = None

    def create_command(self, body):
        """POST commands/v0/commands/ and return the created CommandRequest, never sending it twice.

        Retries freely only when the request certainly did not reach the server (429, connection
        refused, connect time-out). When the response was lost (read time-out, connection reset,
        502/503/504) it first looks for a request the lost POST created and adopts it; only when
        there is none does it POST again. If that look-up fails it raises, and never POSTs again.
        """
        url = self._url(COMMANDS_PATH)
        display = self._display_path(url)
        secrets = self._secrets(body)
        first_sent = None
        retries = 0
        while True:
            if first_sent is None:
                first_sent = self.clock()
            response, failure = self._attempt('POST', url, display, None, body, secrets)
            if failure is None:
                return self._created_request(body, display, response, secrets, first_sent)
            if not failure.reached_server:
                if retries >= self.max_retries:
                    raise self._gave_up('POST', display, failure, retries + 1)
                retries += 1
                self._pause('POST', display, failure, retries)
                continue
            if retries >= self.max_retries:
                adopted = self._adopt_lost_command(body, first_sent, failure)
                if adopted is not None:
                    return adopted
                raise self._gave_up('POST', display, failure, retries + 1,
                                    note='no command request matching it was found')
            retries += 1
            # Wait first: a server that was slow to answer may still be creating the request.
            self._pause('POST', display, failure, retries)
            adopted = self._adopt_lost_command(body, first_sent, failure)
            if adopted is not None:
                return adopted

    def _created_request(self, body, display, response, secrets, first_sent):
        """The CommandRequest of a final POST response.

        A 2xx whose body cannot be read or holds no id still created the request: it is looked up and
        adopted, and never POSTed again. A 500 may also come after the request was stored, so it is looked
        up before the error is raised; it is never POSTed again either.
        """
        try:
            created = self._content('POST', display, response, secrets)
            problem = 'the response holds no command request id'
        except EsperServerError as exc:
            if response.status_code >= 500:
                failed = _RetryableFailure('HTTP %s' % response.status_code, EsperServerError, exc.message,
                                           status=response.status_code)
                adopted = self._adopt_lost_command(body, first_sent, failed,
                                                   lost_how='was HTTP %s' % response.status_code)
                if adopted is not None:
                    return adopted
                raise
            if not 200 <= response.status_code < 300:
                raise
            created, problem = None, exc.message
        if isinstance(created, dict) and created.get('id'):
            self._remember(created)
            return created
        status = response.status_code
        unreadable = _RetryableFailure('HTTP %s: %s' % (status, problem), EsperServerError, problem, status=status)
        adopted = self._adopt_lost_command(body, first_sent, unreadable, lost_how='could not be read')
        if adopted is not None:
            return adopted
        raise EsperServerError('%s; the %s command request was created but no matching request was found; check the command '
                               'requests of %s before sending it again' % (problem, body.get('command'), _target_description(body)),
                               status=status, method='POST', path=display)

    # One HTTP exchange

    def _headers(self, has_body):
        headers = {
            'Authorization': 'Bearer %s' % self._api_key,
            'Accept': 'application/json',
            'User-Agent': self.user_agent,
        }
        if has_body:
            headers['Content-Type'] = 'application/json'
        return headers

    def _verify(self):
        if self.validate_certs and self.ca_path:
            return self.ca_path
        return bool(self.validate_certs)

    def _secrets(self, body):
        return [self._api_key] + _secret_values(body)

    def _attempt(self, method, url, display, params, json, secrets):
        """Make one request. Returns (response, None) for a final response, (None, failure) for a
        retryable one; raises EsperTransportError for transport errors that retrying cannot fix."""
        failure = None
        try:
            response = self.session.request(method, url, params=params, json=json, headers=self._headers(json is not None),
                                            timeout=self.timeout, verify=self._verify())
        except OSError as exc:  # requests' exceptions derive from IOError
            # Only text leaves this block: requests' exceptions hold the prepared request and its headers.
            failure = self._transport_failure(method, display, exc, secrets)
        if failure is not None:
            if isinstance(failure, EsperApiError):
                raise failure
            return None, failure
        if response.status_code in RETRY_STATUSES:
            return None, self._status_failure(response, secrets)
        return response, None

    def _transport_failure(self, method, display, exc, secrets):
        """A _RetryableFailure for a retryable transport error, or the EsperTransportError to raise at once."""
        # requests wraps urllib3's MaxRetryError, whose reason says what actually went wrong.
        reason = getattr(exc.args[0], 'reason', None) if exc.args else None
        detail = scrub_text(' '.join(str(reason or exc).split()), secrets)[:BODY_EXCERPT]
        if HAS_REQUESTS:
            errors = requests.exceptions
            if isinstance(exc, errors.SSLError):
                return EsperTransportError('TLS error: %s; check validate_certs and ca_path' % detail, method=method, path=display)
            if isinstance(exc, errors.ConnectTimeout):
                cause = 'connect timeout (no connection within %ss)' % self.timeout
                return _RetryableFailure(cause, EsperTransportError, cause, reached_server=False)
            if isinstance(exc, errors.ReadTimeout):
                cause = 'read timeout (no answer within %ss)' % self.timeout
                return _RetryableFailure(cause, EsperTransportError, cause)
            retryable = (errors.ConnectionError, errors.Timeout, errors.ChunkedEncodingError, errors.ContentDecodingError)
            if isinstance(exc, errors.RequestException) and not isinstance(exc, retryable):
                return EsperTransportError('request failed: %s' % detail, method=method, path=display)
        if _never_connected(exc):
            cause = 'connection failed (%s)' % detail
            return _RetryableFailure(cause, EsperTransportError, cause, reached_server=False)
        cause = 'connection lost (%s)' % detail
        return _RetryableFailure(cause, EsperTransportError, cause)

    def _status_failure(self, response, secrets):
        message = self._error_message(response, secrets)
        status = response.status_code
        error_class = EsperRateLimitError if status == 429 else EsperServerError
        return _RetryableFailure('HTTP %s: %s' % (status, message), error_class, message, status=status,
                                 retry_after=self._retry_after(response), reached_server=status != 429)

    @staticmethod
    def _retry_after(response):
        """Retry-After in seconds clamped to 1..60, or None when absent or an HTTP date."""
        value = _header(response, 'Retry-After')
        try:
            seconds = float(str(value).strip())
        except (TypeError, ValueError):
            return None
        if math.isnan(seconds):
            return None
        return min(RETRY_AFTER_MAX, max(RETRY_AFTER_MIN, seconds))

    # Retry bookkeeping

    def _backoff(self, retry):
        """Exponential 2, 4, 8 .. seconds capped at 60, shortened by up to 25% of jitter."""
        delay = min(BACKOFF_CAP, 2.0 ** retry)
        return delay * (1.0 - BACKOFF_JITTER * self.jitter())

    def _pause(self, method, display, failure, retry):
        delay = failure.retry_after if failure.retry_after is not None else self._backoff(retry)
        self.warn('Esper API: %s %s: %s; retry %d/%d in %gs' % (method, display, failure.cause, retry, self.max_retries, round(delay, 1)))
        self.sleep(delay)

    @staticmethod
    def _gave_up(method, display, failure, attempts, note=None):
        message = '%s; gave up after %d attempt%s' % (failure.message, attempts, '' if attempts == 1 else 's')
        if note:
            message += '; %s' % note
        return failure.error_class(message, status=failure.status, method=method, path=display)

    # Responses

    def _content(self, method, display, response, secrets):
        """The unwrapped content of a final response, or the typed error it stands for."""
        status = response.status_code
        if status in (204, 304):
            return None
        if not 200 <= status < 300:
            raise self._error_for(method, display, response, secrets)
        text = response.text
        if not text or not text.strip():
            return None
        try:
            body = jsonlib.loads(text)
        except ValueError:
            # The body itself is left out: a proxy page could echo the request.
            raise EsperServerError('the response body was not JSON (%s)' % (_header(response, 'Content-Type') or 'no content type'),
                                   status=status, method=method, path=display) from None
        return self._unwrap(body)

    @staticmethod
    def _unwrap(body):
        """content of a content envelope (with code/message or alone); list pages get 'previous' from 'prev'."""
        if isinstance(body, dict) and 'content' in body and ('code' in body or 'message' in body or len(body) == 1):
            body = body['content']
        if isinstance(body, dict) and 'results' in body and 'prev' in body and 'previous' not in body:
            body = dict(body)
            body['previous'] = body['prev']
        return body

    def _error_for(self, method, display, response, secrets):
        status = response.status_code
        message = self._error_message(response, secrets)
        if status == 401:
            message += ' (check api_key)'
            error_class = EsperAuthError
        elif status == 403:
            message += " (the API key's user lacks a permission this request needs)"
            error_class = EsperAuthError
        elif status == 404:
            error_class = EsperNotFoundError
        elif status == 429:
            error_class = EsperRateLimitError
        elif 400 <= status < 500:
            error_class = EsperValidationError
        elif status >= 500:
            error_class = EsperServerError
        else:
            error_class = EsperApiError
        return error_class(message, status=status, method=method, path=display)

    @staticmethod
    def _error_message(response, secrets):
        """The API's error text (§1.3 shapes and the odd ones), else the reason and a scrubbed excerpt of the body."""
        text = response.text or ''
        reason = response.reason or 'HTTP %s' % response.status_code
        try:
            body = jsonlib.loads(text)
        except ValueError:
            # Scrubbed before it is cut: a cut through a secret the page echoes would leave its first part unmasked.
            excerpt = ' '.join(scrub_text(text, secrets).split())[:BODY_EXCERPT]
            message = '%s: %s' % (reason, excerpt) if excerpt else reason
            return scrub_text(message, secrets)
        parts = []
        if isinstance(body, dict):
            for key in ('message', 'detail', 'error'):
                if isinstance(body.get(key), str) and body[key].strip():
                    parts.append(body[key].strip())
                    break
            errors = body.get('errors')
            if isinstance(errors, dict):
                errors = ['%s: %s' % (key, ' '.join(str(v) for v in (value if isinstance(value, list) else [value])))
                          for key, value in errors.items()]
            if isinstance(errors, list) and errors:
                joined = '; '.join(str(item) for item in errors)
                if joined not in parts:  # a server that repeats its message in errors would show it twice
                    parts.append(joined)
            if not parts and body and set(body) - set(['code', 'status', 'content']):
                # DRF field errors such as {"devices": ["..."]}; secret values masked first.
                parts.append(jsonlib.dumps(mask_secrets(body), sort_keys=True)[:BODY_EXCERPT])
        elif isinstance(body, list) and body:
            parts.append('; '.join(str(item) for item in body))
        elif isinstance(body, str) and body.strip():
            parts.append(body.strip())
        message = ': '.join(parts) if parts else reason
        return scrub_text(message, secrets)

    # URLs

    def _url(self, path):
        """The full URL of path; an absolute URL keeps its path and query but takes base_url's scheme and host."""
        if path.startswith('http://') or path.startswith('https://'):
            base = urlsplit(self.base_url)
            parts = urlsplit(path)
            return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ''))
        return '%s/%s' % (self.base_url, path.lstrip('/'))

    def _display_path(self, url):
        """url relative to base_url (with its query, if any) for messages."""
        base_path = urlsplit(self.base_url).path.rstrip('/') + '/'
        parts = urlsplit(url)
        path = parts.path[len(base_path):] if parts.path.startswith(base_path) else parts.path
        return '%s?%s' % (path, parts.query) if parts.query else path

    # Lost command responses

    def _remember(self, created):
        if isinstance(created, dict) and created.get('id'):
            self._created_ids.add(created['id'])

    def _adopt_lost_command(self, body, first_sent, failure, lost_how='was lost'):
        """The command request a lost POST of body created (adopted, with a warning), or None if there is none.

        Looks in the command list filtered by command and the first device (or group); reads the
        last page too when there are more than one page, as the list's order is not documented.
        """
        command = body.get('command')
        devices = body.get('devices') or []
        groups = body.get('groups') or []
        if devices:
            params = {'command': command, 'devices': devices[0], 'limit': RECONCILE_PAGE}
        elif groups:
            params = {'command': command, 'groups': groups[0], 'limit': RECONCILE_PAGE}
        else:
            raise self._maybe_created(body, failure, 'the request names no device or group to look it up by')
        try:
            page = self.request('GET', COMMANDS_PATH, params=params)
            candidates = list(_page_results(page))
            count = page.get('count') if isinstance(page, dict) else None
            if isinstance(count, int) and count > len(candidates):
                last = dict(params, offset=max(len(candidates), count - RECONCILE_PAGE))
                candidates.extend(_page_results(self.request('GET', COMMANDS_PATH, params=last)))
        except EsperApiError as exc:
            raise self._maybe_created(body, failure, str(exc)) from None
        earliest = first_sent - ADOPT_WINDOW
        matches = []
        for item in candidates:
            created_at = self._matching_created_at(item, body, earliest)
            if created_at is not None:
                matches.append((created_at, item))
        if not matches:
            return None
        matches.sort(key=lambda pair: pair[0])
        adopted = matches[-1][1]
        self._remember(adopted)
        self.warn('Esper API: the response to POST %s %s; adopted the request %s it had already created'
                  % (COMMANDS_PATH, lost_how, adopted['id']))
        return adopted

    def _matching_created_at(self, item, body, earliest):
        """item's creation time when item is the request body would have created since earliest, else None."""
        if not isinstance(item, dict) or not item.get('id') or item['id'] in self._created_ids:
            return None
        created_at = parse_iso8601(item.get('created_at'))
        if created_at is None or created_at < earliest:
            return None
        same = (
            item.get('command') == body.get('command')
            and _without_nulls(item.get('command_args')) == _without_nulls(body.get('command_args'))
            and (body.get('command_type') is None or item.get('command_type') == body.get('command_type'))
            and (item.get('schedule') or 'IMMEDIATE') == (body.get('schedule') or 'IMMEDIATE')
            and _without_nulls(item.get('schedule_args')) == _without_nulls(body.get('schedule_args'))
            and set(item.get('devices') or []) == set(body.get('devices') or [])
            and set(item.get('groups') or []) == set(body.get('groups') or [])
        )
        return created_at if same else None

    def _maybe_created(self, body, failure, reason):
        """The error raised when a lost POST cannot be checked: it may or may not have created the command."""
        message = ('the response was lost (%s) and checking whether the command request was created failed (%s): '
                   'the %s command request may or may not have been created; check the command requests of %s '
                   'before sending it again' % (failure.cause, reason, body.get('command'), _target_description(body)))
        return failure.error_class(message, status=failure.status, method='POST', path=COMMANDS_PATH)
