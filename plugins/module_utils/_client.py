# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""The one HTTP client of the collection: EsperClient, its typed errors, and the connection options.

Everything that talks to the Esper API goes through EsperClient.request(): it adds the Bearer
header, unwraps both envelope families, turns error bodies into typed exceptions, and is the only
place that retries. create_command() never sends a command request twice: once a POST may have
reached the server without a usable answer it only looks the request up, and never sends it again.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json as jsonlib
import math
import os
import random
import re
import socket
import sys
import time
from datetime import datetime, timedelta, timezone
from email.utils import mktime_tz, parsedate_tz

from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK, collect_secrets, mask_secrets, scrub_text

try:
    from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
except ImportError:  # pragma: no cover - only when ansible-core is incomplete
    ANSIBLE_VERSION = 'unknown'

from ansible_collections.esper.mdm.plugins.module_utils._transport import (
    ConnectError,
    ConnectTimeout,
    ReadTimeout,
    StdlibSession,
    TLSError,
)


def _requests_errors():
    """requests.exceptions when a caller brought requests in (a session of its own), else None: never imported here.

    The client's own transport (_transport.StdlibSession) is the standard library's http.client; requests and urllib3
    take longer to import than a short task takes to run.
    """
    module = sys.modules.get('requests.exceptions')
    return module if module is not None and hasattr(module, 'RequestException') else None


def _urllib3_not_connected():
    module = sys.modules.get('urllib3.exceptions')
    error = getattr(module, 'ConnectTimeoutError', None) if module is not None else None
    return (error,) if isinstance(error, type) else ()  # NewConnectionError derives from ConnectTimeoutError


COLLECTION_VERSION = '0.1.0'
DEFAULT_USER_AGENT = 'esper.mdm/%s' % COLLECTION_VERSION
COMMANDS_PATH = 'commands/v0/commands/'
STATUS_PATH = 'commands/v0/status/'

# Statuses retried by every request; 429 means the server did not process the request.
RETRY_STATUSES = (429, 502, 503, 504)
# A read (GET) is safe to repeat, so a 500 on it is retried too.
READ_RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_CAP = 60.0
RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 60.0
BACKOFF_JITTER = 0.25
# Only when no response ever carried a Date header: a command request created more than this many
# seconds (by the client's clock) before the first POST was sent existed before it and is never adopted.
ADOPT_SKEW = 5
# After a POST that may have reached the server without a usable answer, the command list is read
# after each of these pauses (30 s in all) until the request shows up; it is never sent again.
LOOKUP_DELAYS = (2.0, 4.0, 8.0, 16.0)
RECONCILE_PAGE = 50
# How much of a non-JSON error body goes into a message.
BODY_EXCERPT = 200

TENANT_PATTERN = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$')
UUID_PATTERN = re.compile(r'^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$')
# Characters that cannot go into an HTTP header value (requests refuses them, quoting the header).
CONTROL_CHARACTERS = re.compile(r'[\x00-\x1f\x7f]')
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
    """The argument spec of the esper.mdm.connection doc fragment, with environment fallbacks.

    api_key is not required here: client_from_module() checks it, so that the message can name the
    ESPER_API_KEY variable too.
    """
    return dict(
        api_key=dict(type='str', no_log=True, fallback=(env_fallback, ['ESPER_API_KEY'])),
        tenant=dict(type='str', fallback=(env_fallback, ['ESPER_TENANT'])),
        api_url=dict(type='str', fallback=(env_fallback, ['ESPER_API_URL'])),
        enterprise_id=dict(type='str', fallback=(env_fallback, ['ESPER_ENTERPRISE_ID'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['ESPER_VALIDATE_CERTS'])),
        ca_path=dict(type='path', fallback=(env_fallback, ['ESPER_CA_PATH'])),
        timeout=dict(type='int', default=30, fallback=(env_fallback, ['ESPER_TIMEOUT'])),
        max_retries=dict(type='int', default=5, fallback=(env_fallback, ['ESPER_MAX_RETRIES'])),
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


def check_api_key(api_key):
    """api_key without surrounding white space; EsperConfigError when it is missing, blank or cannot go into a header.

    A vaulted block scalar ends in a newline, which requests would refuse and quote (key included) in its error.
    """
    key = api_key.strip() if isinstance(api_key, str) else ''
    if not key:
        raise EsperConfigError('api_key is required: set the api_key option or the ESPER_API_KEY environment variable '
                               '(an empty or blank value counts as missing)')
    if CONTROL_CHARACTERS.search(key):
        raise EsperConfigError('api_key contains a line break or another control character inside it (not only at its ends), '
                               'so it cannot be sent in the Authorization header; check how the api_key option or '
                               'ESPER_API_KEY is stored')
    return key


def check_enterprise_id(enterprise_id):
    """enterprise_id without surrounding white space (None when unset); EsperConfigError unless it is a UUID."""
    if enterprise_id is None:
        return None
    value = str(enterprise_id).strip()
    if not value:
        return None
    if not UUID_PATTERN.match(value):
        raise EsperConfigError('enterprise_id must be the enterprise UUID shown in API Key Management, such as '
                               '5f2e7c1a-0000-4000-8000-00000000e001; check the enterprise_id option or the '
                               'ESPER_ENTERPRISE_ID environment variable, got %r' % value)
    return value


def check_ca_path(ca_path):
    """EsperConfigError when ca_path is set but is not a readable file or directory."""
    if not ca_path:
        return
    if os.path.isdir(ca_path):
        if not os.access(ca_path, os.R_OK | os.X_OK):
            raise EsperConfigError('ca_path %r is a directory that cannot be read' % ca_path)
        return
    if not os.path.isfile(ca_path):
        raise EsperConfigError('ca_path %r does not exist (or is neither a file nor a directory); set the ca_path option '
                               'to a readable CA bundle file or certificate directory' % ca_path)
    if not os.access(ca_path, os.R_OK):
        raise EsperConfigError('ca_path %r cannot be read' % ca_path)


def _from_environment(params, name, variable):
    """True when params[name] holds the value of the environment variable (its env_fallback filled it in).

    AnsibleModule keeps no record of where a value came from, so this compares values: an option set on
    the task to exactly the environment variable's value counts as coming from the environment.
    """
    value = params.get(name)
    return value is not None and variable in os.environ and os.environ[variable] == value


def choose_base_url(params, warn):
    """The API base URL from the tenant and api_url options; warns when both are set and differ.

    api_url takes precedence over tenant, except that an option set on the task beats one that only
    comes from an environment variable: a task's tenant wins over ESPER_API_URL.
    """
    tenant = params.get('tenant')
    api_url = params.get('api_url')
    if not (tenant and tenant.strip() and api_url and api_url.strip()):
        return api_base_url(tenant, api_url)
    tenant_from_env = _from_environment(params, 'tenant', 'ESPER_TENANT')
    url_from_env = _from_environment(params, 'api_url', 'ESPER_API_URL')
    use_tenant = url_from_env and not tenant_from_env
    chosen = api_base_url(tenant=tenant) if use_tenant else api_base_url(api_url=api_url)
    try:
        other = api_base_url(api_url=api_url) if use_tenant else api_base_url(tenant=tenant)
    except EsperConfigError:
        other = None
    if other != chosen:
        tenant_text = 'tenant %r (%s)' % (tenant, 'from ESPER_TENANT' if tenant_from_env else 'set on the task')
        url_text = 'api_url %r (%s)' % (api_url, 'from ESPER_API_URL' if url_from_env else 'set on the task')
        if use_tenant:
            warn('Esper API: both tenant and api_url are set; %s is used and %s is ignored, as an option set on the task '
                 'beats an environment variable; the API is %s' % (tenant_text, url_text, chosen))
        else:
            warn('Esper API: both tenant and api_url are set; %s is used and %s is ignored, as api_url takes precedence '
                 'over tenant; the API is %s' % (url_text, tenant_text, chosen))
    return chosen


def client_from_options(params, warn=None, user_agent=None):
    """Build the EsperClient from connection options (a dict with the keys of connection_argument_spec()).

    The one place the options become a client, used by client_from_module() and by the inventory plugin, which
    has no AnsibleModule. Raises EsperConfigError (before any request) when api_key is missing
    or blank, neither tenant nor api_url is set, on a malformed tenant, api_url or enterprise_id, on a ca_path that
    cannot be read, or on a non-positive timeout or negative max_retries; its text never holds the key. Warns
    (through warn) when tenant and api_url are both set.
    """
    warn = warn or (lambda message: None)
    try:
        api_key = check_api_key(params.get('api_key'))
        base_url = choose_base_url(params, warn)
        timeout = params.get('timeout')
        if timeout is None:
            timeout = 30
        if timeout <= 0:
            raise EsperConfigError('timeout must be a positive number of seconds, got %s' % timeout)
        max_retries = params.get('max_retries')
        if max_retries is None:
            max_retries = 5
        if max_retries < 0:
            raise EsperConfigError('max_retries must be 0 or more, got %s' % max_retries)
        validate_certs = params.get('validate_certs')
        return EsperClient(
            base_url,
            api_key,
            enterprise_id=params.get('enterprise_id') or None,
            validate_certs=True if validate_certs is None else validate_certs,
            ca_path=params.get('ca_path'),
            timeout=timeout,
            max_retries=max_retries,
            warn=warn,
            user_agent=user_agent or '%s ansible/%s' % (DEFAULT_USER_AGENT, ANSIBLE_VERSION),
        )
    except EsperConfigError as exc:
        raise EsperConfigError(scrub_text(exc.message, [params.get('api_key')])) from None


def client_from_module(module):
    """Build the EsperClient from a module's connection options (client_from_options); fail the module on bad options."""
    try:
        return client_from_options(module.params, module.warn)
    except EsperConfigError as exc:
        module.fail_json(msg=str(exc))
    return None


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
    kinds = (ConnectionRefusedError, socket.gaierror, ConnectError) + _urllib3_not_connected()
    errors = _requests_errors()
    if errors is not None:
        kinds += (errors.ConnectTimeout,)
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


def _date_header(response):
    """The server's clock (epoch seconds) from a response's Date header, or None when it is absent or unreadable."""
    value = _header(response, 'Date')
    if not value:
        return None
    try:
        parsed = parsedate_tz(str(value))
        return float(mktime_tz(parsed)) if parsed else None
    except (TypeError, ValueError, OverflowError):
        return None


def _query_text(params):
    """params as a query string, for messages."""
    return urlencode(sorted(params.items()))


def _lookup_params(body):
    """The query of the command list that finds the requests body may have created, or None without targets."""
    devices = body.get('devices') or []
    groups = body.get('groups') or []
    if devices:
        return {'command': body.get('command'), 'devices': devices[0], 'limit': RECONCILE_PAGE}
    if groups:
        return {'command': body.get('command'), 'groups': groups[0], 'limit': RECONCILE_PAGE}
    return None


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
    """The Esper API over one keep-alive session (_transport.StdlibSession): auth, JSON, envelopes, typed errors, retries.

    The constructor checks the options it can check without a request (EsperConfigError): api_key
    (stripped of surrounding white space, required), enterprise_id (a UUID when set) and ca_path (a
    readable file or directory when validate_certs is true).
    """

    def __init__(self, base_url, api_key, enterprise_id=None, validate_certs=True, ca_path=None,
                 timeout=30, max_retries=5, warn=None, sleep=time.sleep, session=None, clock=time.time,
                 user_agent=DEFAULT_USER_AGENT):
        self.base_url = base_url.rstrip('/')
        self._api_key = check_api_key(api_key)
        # The key as given too (with its newline, say): error text could quote either form.
        self._key_forms = [self._api_key] + ([api_key] if api_key != self._api_key else [])
        self.enterprise_id = check_enterprise_id(enterprise_id)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        if validate_certs:
            check_ca_path(ca_path)
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.warn = warn or (lambda message: None)
        self.sleep = sleep
        self.clock = clock
        self.user_agent = user_agent
        self._last_date = self._last_server_time = None
        # Fraction in [0, 1) that spreads backoff delays; tests replace it to get exact delays.
        self.jitter = random.random
        if session is None:
            session = StdlibSession()
        self.session = session
        # Ids this client created or adopted: never adopted again for another body.
        self._created_ids = set()
        # Command request id -> client time of the first listing that showed it (it existed by then).
        self._listed_ids = {}
        # Lower bound of (server clock - client clock), from the Date headers seen; None before the first one.
        self._offset_floor = None
        self._insecure_warned = False
        # Counts create_command() calls; _listed_ids holds the count at the first listing of each id.
        self._command_serial = 0

    def __repr__(self):
        return 'EsperClient(base_url=%r, enterprise_id=%r, api_key=%r)' % (self.base_url, self.enterprise_id, MASK)

    # Public API

    def enterprise_path(self, suffix):
        """'enterprise/<enterprise_id>/' + suffix; EsperConfigError (no request made) without a UUID enterprise_id."""
        if not self.enterprise_id:
            raise EsperConfigError('enterprise_id is required to reach enterprise/<enterprise_id>/%s: set the enterprise_id option '
                                   'or the ESPER_ENTERPRISE_ID environment variable' % suffix.lstrip('/'))
        return 'enterprise/%s/%s' % (check_enterprise_id(self.enterprise_id), suffix.lstrip('/'))

    def request(self, method, path, params=None, json=None, files=None):
        """Send one API call and return the unwrapped content.

        Retries 429, 502/503/504 and transport errors (and 500 on a GET, which is safe to repeat).
        path is relative to base_url, or an absolute URL (a next link) whose scheme and host are
        replaced by base_url's. Returns None for 204 and 304. Raises an EsperApiError subclass.
        """
        method = method.upper()
        url = self._url(path)
        display = self._display_path(url)
        secrets = self._secrets(json)
        retries = 0
        while True:
            response, failure = self._attempt(method, url, display, params, json, secrets, files=files)
            if failure is None:
                result = self._content(method, display, response, secrets)
                if method == 'GET':
                    self._note_listed(display, result)
                return result
            if retries >= self.max_retries:
                raise self._gave_up(method, display, failure, retries + 1)
            retries += 1
            self._pause(method, display, failure, retries)

    def get(self, path, params=None):
        """GET path and return the unwrapped content."""
        return self.request('GET', path, params=params)

    def upload(self, path, field, filename, fileobj, content_type='application/octet-stream'):
        """POST one file as multipart/form-data (field: the form field) and return the unwrapped content.

        No JSON Content-Type is sent (the session sets the multipart one, §11.4). fileobj is rewound before each
        attempt; retries are those of any POST (429, 502/503/504, failures before sending): only for uploads
        whose repetition is harmless (Esper refuses a second copy of an app version).
        """
        return self.request('POST', path, files={field: (filename, fileobj, content_type)})

    def paginate(self, path, params=None, page_size=500, limit=None):
        """Every item of every page of a list endpoint (either envelope family), in order.

        Walks limit/offset and the next links (iter_pages). Stops on a null next, an empty page, once count
        items were read, or after limit items when limit is given.
        """
        items = []
        for results, _count in self.iter_pages(path, params=params, page_size=page_size, limit=limit):
            items.extend(results)
            if limit and len(items) >= limit:
                return items[:limit]
        return items

    def iter_pages(self, path, params=None, page_size=500, limit=None):
        """Yield (results, count) for each page of a list endpoint, in order; count is the page's count or None.

        Walks limit/offset and the next links. A next link is resolved as RFC 3986 says against the
        URL of the page that carried it (so '/api/enterprise/...' and '?offset=20' work), and an
        absolute one gets base_url's scheme and host (the API key never goes to another host).
        Stops on a null next, an empty page, or once count (or limit, when given) items were read.
        A caller that has seen enough simply stops iterating: no further page is requested.
        """
        page_size = max(1, int(page_size))
        query = dict(params or {})
        query['limit'] = min(page_size, limit) if limit else page_size
        query.setdefault('offset', 0)
        seen = 0
        target = self._url(path)
        visited = set()
        while True:
            page = self.request('GET', target, params=query)
            try:
                results = _page_results(page)
            except EsperServerError as exc:
                raise EsperServerError(exc.message, method='GET', path=self._display_path(target)) from None
            count = page.get('count') if isinstance(page, dict) else None
            count = count if isinstance(count, int) and not isinstance(count, bool) else None
            seen += len(results)
            next_url = page.get('next') if results and isinstance(page, dict) else None
            # Only what the next request needs is kept while it runs: a page of 1,000 v2 records is a few MB.
            page = None
            yield results, count
            results = None
            if limit and seen >= limit:
                return
            if count is not None and seen >= count:
                return
            if not next_url:
                return
            target = self._next_url(target, next_url)
            if target in visited:
                raise EsperServerError('pagination loop: the next link %s was already read' % self._display_path(target),
                                       method='GET', path=self._display_path(self._url(path)))
            visited.add(target)
            query = None

    def create_command(self, body):
        """POST commands/v0/commands/ and return the created CommandRequest, never sending it twice.

        - 429 and failures before anything was sent (connection refused, connect time-out) are
          retried within max_retries.
        - HTTP 500 is a definite answer: the list is read once; a request the POST stored is
          adopted, otherwise the POST is retried within max_retries.
        - A failure after which the request may have reached the server (read time-out, connection
          reset, 502/503/504) is never followed by another POST: the list is read after each pause of
          LOOKUP_DELAYS (30 s in all) until the request shows up, and adopted; if it never does,
          the error says the request may or may not have been created.
        - A 2xx whose body cannot be read created the request: it is looked up once and adopted.

        Only a request created after this POST was first sent is adopted, see _adopt_lost_command(); the requests
        the look-up would find are read once before the first POST (_note_existing), so none of them is ever taken
        for this one, however close in time.
        """
        url = self._url(COMMANDS_PATH)
        display = self._display_path(url)
        secrets = self._secrets(body)
        self._note_existing(body)  # listed in the previous call's serial: "existed before this POST"
        self._command_serial += 1
        first_sent = None
        retries = 0
        while True:
            if first_sent is None:
                first_sent = self.clock()
            response, failure = self._attempt('POST', url, display, None, body, secrets)
            if failure is None and response.status_code == 500:
                failure = self._status_failure(response, secrets)
                adopted = self._adopt_lost_command(body, first_sent, failure, lost_how='was HTTP 500')
                if adopted is not None:
                    return adopted
                failure.cause += '; no command request was stored'
            elif failure is None:
                return self._created_request(body, display, response, secrets, first_sent)
            elif failure.reached_server:
                return self._await_lost_command(body, first_sent, failure)
            if retries >= self.max_retries:
                raise self._gave_up('POST', display, failure, retries + 1,
                                    note='no command request matching it was stored' if failure.status == 500 else None)
            retries += 1
            self._pause('POST', display, failure, retries)

    def _await_lost_command(self, body, first_sent, failure):
        """The request a POST that may have reached the server created, looked for over LOOKUP_DELAYS; never POSTs.

        Raises failure's error class saying the request may or may not have been created when it never shows up.
        """
        params = _lookup_params(body)
        if params is None:
            raise self._maybe_created(body, failure, 'the request names no device or group to look it up by')
        for delay in LOOKUP_DELAYS:
            self.sleep(delay)
            adopted = self._adopt_lost_command(body, first_sent, failure)
            if adopted is not None:
                return adopted
        raise self._maybe_created(body, failure, 'no command request matching it appeared in %d look-ups over %gs (GET %s?%s)'
                                  % (len(LOOKUP_DELAYS), sum(LOOKUP_DELAYS), COMMANDS_PATH, _query_text(params)))

    def _created_request(self, body, display, response, secrets, first_sent):
        """The CommandRequest of a final POST response other than HTTP 500.

        A 2xx whose body cannot be read or holds no id still created the request: it is looked up and
        adopted, and never POSTed again. Another 5xx (501, 505 ..) may also come after the request was
        stored, so it is looked up before the error is raised; it is never POSTed again either.
        """
        try:
            created = self._content('POST', display, response, secrets)
            problem = 'the response holds no command request id'
        except EsperServerError as exc:
            if response.status_code >= 500:
                failed = _RetryableFailure('HTTP %s' % response.status_code, EsperServerError, exc.message,
                                           status=response.status_code)
                adopted = self._adopt_lost_command(body, first_sent, failed, lost_how='was HTTP %s' % response.status_code)
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
        """The API key (as given and stripped) and every secret value of a request body (masking's one collector)."""
        return self._key_forms + collect_secrets(body)

    def _warn_insecure_once(self):
        if not self.validate_certs and not self._insecure_warned and urlsplit(self.base_url).scheme == 'https':
            self._insecure_warned = True
            self.warn('Esper API: validate_certs is false: the TLS certificate of %s is not checked, so the API key '
                      'could be sent to whoever answers for that host' % urlsplit(self.base_url).netloc)

    def _attempt(self, method, url, display, params, json, secrets, files=None):
        """Make one request. Returns (response, None) for a final response, (None, failure) for a
        retryable one; raises EsperTransportError for transport errors that retrying cannot fix."""
        self._warn_insecure_once()
        failure = None
        extra = {}
        if files:
            for dummy, fileobj, dummy_type in files.values():
                fileobj.seek(0)  # a retry sends the whole file again
            extra['files'] = files
        try:
            response = self.session.request(method, url, params=params, json=json, headers=self._headers(json is not None),
                                            timeout=self.timeout, verify=self._verify(), **extra)
        except OSError as exc:  # the transport's errors (and requests', with a session of its own) derive from IOError
            # Only text leaves this block: a transport error can hold the prepared request and its headers.
            failure = self._transport_failure(method, display, exc, secrets)
        if failure is not None:
            if isinstance(failure, EsperApiError):
                raise failure
            return None, failure
        self._note_server_time(response)
        if response.status_code in (READ_RETRY_STATUSES if method == 'GET' else RETRY_STATUSES):
            return None, self._status_failure(response, secrets)
        return response, None

    def _note_server_time(self, response):
        """Tighten the lower bound of (server clock - client clock) with the response's Date header.

        The server wrote Date (rounded down to the second) before the client read the response, so
        server clock - client clock >= Date - (client time now); the largest such value is kept.
        """
        date = _header(response, 'Date')
        if date != self._last_date:  # Date changes once a second: most responses need no parsing
            self._last_date, self._last_server_time = date, _date_header(response)
        server_time = self._last_server_time
        if server_time is None:
            return
        floor = server_time - self.clock()
        if self._offset_floor is None or floor > self._offset_floor:
            self._offset_floor = floor

    def _transport_failure(self, method, display, exc, secrets):
        """A _RetryableFailure for a retryable transport error, or the EsperTransportError to raise at once."""
        # requests wraps urllib3's MaxRetryError, whose reason says what actually went wrong.
        reason = getattr(exc.args[0], 'reason', None) if exc.args else None
        # Scrubbed before white space is folded: folding the line break of a key quoted in a header would hide it from the scrub.
        detail = ' '.join(scrub_text(str(reason or exc), secrets).split())[:BODY_EXCERPT]
        if isinstance(exc, TLSError):
            return EsperTransportError('TLS error: %s; check validate_certs and ca_path' % detail, method=method, path=display)
        if isinstance(exc, ConnectTimeout):
            cause = 'connect timeout (no connection within %ss)' % self.timeout
            return _RetryableFailure(cause, EsperTransportError, cause, reached_server=False)
        if isinstance(exc, ReadTimeout):
            cause = 'read timeout (no answer within %ss)' % self.timeout
            return _RetryableFailure(cause, EsperTransportError, cause)
        errors = _requests_errors()
        if errors is not None:
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
            if self._names_enterprise(display) and re.search(r'enterprise|route', message, re.I):
                message += (' (the enterprise_id option or ESPER_ENTERPRISE_ID may be wrong: it must be the UUID of the '
                            'enterprise of this API key, shown in API Key Management)')
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

    def _names_enterprise(self, display):
        return bool(self.enterprise_id) and display.startswith('enterprise/%s/' % self.enterprise_id)

    # URLs

    def _next_url(self, page_url, link):
        """The full URL of a next link: resolved against page_url (RFC 3986), then given base_url's scheme and host."""
        joined = urljoin(page_url, str(link).strip())
        if urlsplit(joined).scheme not in ('http', 'https'):
            raise EsperServerError('the next link %r is not an http(s) URL' % link, method='GET', path=self._display_path(page_url))
        return self._url(joined)

    def _url(self, path):
        """The full URL of path; an absolute URL keeps its path and query but takes base_url's scheme and host."""
        if path.startswith('http://') or path.startswith('https://'):
            base = urlsplit(self.base_url)
            parts = urlsplit(path)
            return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ''))
        return '%s/%s' % (self.base_url, path.lstrip('/'))

    def _display_path(self, url):
        """url relative to base_url (with its query, if any) for messages."""
        prefix = self.base_url + '/'
        if url.startswith(prefix) and '#' not in url:
            return url[len(prefix):]  # what _url() builds: no need to split it (this runs for every request)
        base_path = urlsplit(self.base_url).path.rstrip('/') + '/'
        parts = urlsplit(url)
        path = parts.path[len(base_path):] if parts.path.startswith(base_path) else parts.path
        return '%s?%s' % (path, parts.query) if parts.query else path

    # Lost command responses

    def _remember(self, created):
        if isinstance(created, dict) and created.get('id'):
            self._created_ids.add(created['id'])

    def _note_listed(self, display, result):
        """Remember the ids of a command list page, with the create_command() call they were first listed before."""
        if display.split('?')[0] != COMMANDS_PATH or not isinstance(result, dict) or not isinstance(result.get('results'), list):
            return
        for item in result['results']:
            if isinstance(item, dict) and isinstance(item.get('id'), str):
                self._listed_ids.setdefault(item['id'], self._command_serial)

    def _earliest_own(self, first_sent):
        """The earliest created_at (server clock) that a request created by a POST first sent at first_sent can have.

        With a Date header seen: first_sent plus the lower bound of the clock offset, which is no later
        than the moment the POST reached the server (rounded down to the second, less the network
        delay). Without one: the client's own clock less ADOPT_SKEW seconds.
        """
        if self._offset_floor is not None:
            return first_sent + self._offset_floor
        return first_sent - ADOPT_SKEW

    def _adopt_lost_command(self, body, first_sent, failure, lost_how='was lost'):
        """The command request a POST of body created (adopted, with a warning), or None if there is none.

        Looks in the command list filtered by command and the first device (or group); reads the
        last page too when there are more than one page, as the list's order is not documented.

        Never adopts a request that existed before this POST was first sent, which would drop a
        repeated command (two REBOOTs of the same devices) silently:
        - one this client created or adopted, or listed before this create_command() call;
        - one created (created_at) before _earliest_own(first_sent): by the server's clock, taken from
          the Date headers of its responses, so client clock skew does not matter; a request created
          within about a second (plus the network delay) before the POST arrived is the one case time
          cannot tell apart.
        """
        params = _lookup_params(body)
        if params is None:
            raise self._maybe_created(body, failure, 'the request names no device or group to look it up by')
        try:
            candidates = self._requests_like(params)
        except EsperApiError as exc:
            raise self._maybe_created(body, failure, 'checking whether the command request was created failed (%s)' % exc) from None
        earliest = self._earliest_own(first_sent)
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

    def _requests_like(self, params):
        """The command requests the look-up params find: the first page, and the last one when there are more (the
        list's order is not documented). Every id read is remembered with the create_command() call it was read in."""
        page = self.request('GET', COMMANDS_PATH, params=params)
        candidates = list(_page_results(page))
        count = page.get('count') if isinstance(page, dict) else None
        if isinstance(count, int) and count > len(candidates):
            last = dict(params, offset=max(len(candidates), count - RECONCILE_PAGE))
            candidates.extend(_page_results(self.request('GET', COMMANDS_PATH, params=last)))
        return candidates

    def _note_existing(self, body):
        """Before the first POST of body: read the requests a lost answer's look-up would find, so none of them can
        be taken for this POST's (Date headers give the server's clock to the second only: a repeated command sent
        within a second of the first would otherwise be that one case time cannot tell apart). A failed read only
        loses that extra certainty; the POST goes ahead with the time-based rule."""
        params = _lookup_params(body)
        if params is None:
            return
        try:
            self._requests_like(params)
        except EsperApiError:
            pass

    def _matching_created_at(self, item, body, earliest):
        """item's creation time when item is the request body would have created, created since earliest, else None."""
        if not isinstance(item, dict) or not item.get('id') or item['id'] in self._created_ids:
            return None
        if self._listed_ids.get(item['id'], self._command_serial) < self._command_serial:
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
        """The error raised when a POST that may have reached the server cannot be matched: it may or may not have created the command."""
        if failure.status is None:
            what = 'the response was lost (%s) and %s' % (failure.cause, reason)
        else:
            what = '%s; %s' % (failure.message, reason)  # str() puts 'HTTP <status>: ' in front
        message = ('%s: the %s command request may or may not have been created; check the command requests of %s '
                   'before sending it again' % (what, body.get('command'), _target_description(body)))
        return failure.error_class(message, status=failure.status, method='POST', path=COMMANDS_PATH)
