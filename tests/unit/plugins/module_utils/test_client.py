# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EsperClient, each test a scripted HTTP conversation (tests/unit/conversation.py)."""

from __future__ import annotations

import base64
import email.utils
import json
import os
import subprocess
import sys

import pytest
import requests
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from urllib3.exceptions import MaxRetryError, NewConnectionError

from ansible_collections.esper.mdm.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.esper.mdm.plugins.module_utils import _client as client_module
from ansible_collections.esper.mdm.plugins.module_utils import _masking as masking_module
from ansible_collections.esper.mdm.plugins.module_utils._client import (
    EsperApiError,
    EsperAuthError,
    EsperClient,
    EsperConfigError,
    EsperNotFoundError,
    EsperRateLimitError,
    EsperServerError,
    EsperTransportError,
    EsperValidationError,
    client_from_module,
    connection_argument_spec,
    parse_iso8601,
)
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK
from ansible_collections.esper.mdm.tests.unit.conversation import (
    API_KEY,
    BASE_URL,
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    content,
    page,
)

COMMANDS = 'commands/v0/commands/'
NOW = parse_iso8601('2025-05-01T10:00:00Z')
DEVICE_1 = '6f1c2d3e-0000-4a5b-8c9d-000000000001'
DEVICE_2 = '6f1c2d3e-0000-4a5b-8c9d-000000000002'
GROUP_1 = '0b9a8c7d-1111-4e2f-9a0b-222233334444'
REQUEST_ID = '9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f'
OTHER_ID = '9d0e6a4f-5b1c-4c1d-9e2f-000000000000'

REBOOT = {'command_type': 'DEVICE', 'devices': [DEVICE_1, DEVICE_2], 'device_type': 'all', 'command': 'REBOOT',
          'command_args': {}, 'schedule': 'IMMEDIATE'}


def command_request(body=None, request_id=REQUEST_ID, created_at='2025-05-01T10:00:05Z', **changes):
    """The CommandRequest the server would hold for body."""
    item = dict(body or REBOOT)
    item.setdefault('groups', [])
    item.setdefault('devices', [])
    item.update({'id': request_id, 'schedule_args': None, 'reason': '', 'created_by': '42', 'created_at': created_at})
    item.update(changes)
    return item


def connection_refused():
    """requests' error for a refused connection: the request never left the machine."""
    return requests.exceptions.ConnectionError(MaxRetryError(
        None, '/api/commands/v0/commands/',
        NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')))


def connection_reset():
    """requests' error for a connection reset after the request was sent."""
    return requests.exceptions.ConnectionError(
        "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")


class Harness:
    """A client on a scripted conversation, recording sleeps and warnings."""

    def __init__(self, exchanges, max_retries=5, enterprise_id=ENTERPRISE_ID, **kwargs):
        self.conversation = Conversation(exchanges)
        self.sleeps = []
        self.warnings = []
        self.client = EsperClient(BASE_URL, API_KEY, enterprise_id=enterprise_id, session=self.conversation,
                                  sleep=self.sleeps.append, warn=self.warnings.append, max_retries=max_retries,
                                  clock=lambda: NOW, **kwargs)
        self.client.jitter = lambda: 0.0

    def done(self):
        self.conversation.assert_done()


# Envelopes and requests


def test_content_envelope_is_unwrapped_and_every_call_carries_auth_and_json_headers():
    harness = Harness([Exchange('GET', COMMANDS + REQUEST_ID + '/', body=content(command_request()))])
    result = harness.client.get(COMMANDS + REQUEST_ID + '/')
    harness.done()
    assert result['id'] == REQUEST_ID
    record = harness.conversation.requests[0]
    assert record['url'] == BASE_URL + '/' + COMMANDS + REQUEST_ID + '/'
    assert record['headers']['Authorization'] == 'Bearer ' + API_KEY
    assert record['headers']['Accept'] == 'application/json'
    assert record['headers']['User-Agent'].startswith('esper.mdm/0.1.0')
    assert 'Content-Type' not in record['headers']
    assert record['timeout'] == 30
    assert record['verify'] is True


def test_bare_legacy_object_is_returned_as_is():
    device = {'id': DEVICE_1, 'device_name': 'kiosk-1', 'content': 'not an envelope', 'status': 1}
    harness = Harness([Exchange('GET', 'enterprise/%s/device/%s/' % (ENTERPRISE_ID, DEVICE_1), body=device)])
    assert harness.client.get(harness.client.enterprise_path('device/%s/' % DEVICE_1)) == device
    harness.done()


@pytest.mark.parametrize('body', [
    {'content': {'id': 'op-1'}},                       # operations: content only
    {'message': 'Success', 'content': {'id': 'op-1'}},  # no code
    {'code': 200, 'content': {'id': 'op-1'}},           # no message
])
def test_content_envelope_without_code_or_message_is_unwrapped(body):
    harness = Harness([Exchange('GET', 'v0/operations/op-1/', body=body)])
    assert harness.client.get('v0/operations/op-1/') == {'id': 'op-1'}
    harness.done()


def test_list_page_with_prev_also_gets_previous():
    harness = Harness([Exchange('GET', 'v2/devices/', body=page([{'id': 1}], previous='https://x/prev', prev_key='prev'))])
    result = harness.client.get('v2/devices/')
    harness.done()
    assert result['previous'] == 'https://x/prev'
    assert result['results'] == [{'id': 1}]


@pytest.mark.parametrize('status', [204, 304])
def test_no_content_and_not_modified_return_none(status):
    harness = Harness([Exchange('PUT', 'commands/v0/status/s-1/', json={'state': 'Command Cancelled'}, status=status)])
    assert harness.client.request('put', 'commands/v0/status/s-1/', json={'state': 'Command Cancelled'}) is None
    harness.done()


def test_json_body_is_sent_with_content_type():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(), code=201))])
    assert harness.client.request('POST', COMMANDS, json=REBOOT)['id'] == REQUEST_ID
    harness.done()
    assert harness.conversation.requests[0]['headers']['Content-Type'] == 'application/json'


def test_malformed_json_on_success_is_a_server_error_without_the_body():
    text = '<html>proxy page echoing Bearer %s</html>' % API_KEY
    harness = Harness([Exchange('GET', COMMANDS, text=text, headers={'Content-Type': 'text/html'})])
    with pytest.raises(EsperServerError) as caught:
        harness.client.get(COMMANDS)
    harness.done()
    assert 'not JSON' in str(caught.value)
    assert caught.value.status == 200
    assert 'proxy page' not in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_tls_settings_reach_the_session():
    harness = Harness([Exchange('GET', COMMANDS, body=page([])), Exchange('GET', COMMANDS, body=page([]))],
                      validate_certs=False, timeout=7)
    harness.client.get(COMMANDS)
    harness.client.validate_certs = True
    harness.client.ca_path = '/etc/ssl/esper.pem'
    harness.client.get(COMMANDS)
    harness.done()
    assert [r['verify'] for r in harness.conversation.requests] == [False, '/etc/ssl/esper.pem']
    assert harness.conversation.requests[0]['timeout'] == 7


# Errors


@pytest.mark.parametrize('status, body, text, error_class, message', [
    (400, {'code': 400, 'message': 'Invalid command arguments', 'content': {}}, None,
     EsperValidationError, 'Invalid command arguments'),
    (400, {'errors': ['device_id: not a valid UUID'], 'message': 'Bad request', 'status': 400}, None,
     EsperValidationError, 'Bad request: device_id: not a valid UUID'),
    (400, {'errors': ['device_id: not a valid UUID'], 'status': 400}, None,
     EsperValidationError, 'device_id: not a valid UUID'),
    (400, {'devices': ['Ensure this field has no more than 1000 elements.']}, None,
     EsperValidationError, '{"devices": ["Ensure this field has no more than 1000 elements."]}'),
    (404, {'message': 'Custom action not found', 'code': 404}, None, EsperNotFoundError, 'Custom action not found'),
    (413, {'error': 'File too large'}, None, EsperValidationError, 'File too large'),
    (409, {'code': 409, 'message': 'Account already linked', 'content': {}}, None, EsperValidationError, 'Account already linked'),
    (401, {'detail': 'Authentication credentials were not provided.'}, None,
     EsperAuthError, 'Authentication credentials were not provided. (check api_key)'),
    (403, {'code': 403, 'message': 'Forbidden', 'content': {}}, None,
     EsperAuthError, "Forbidden (the API key's user lacks a permission this request needs)"),
    (500, None, '<html>\n<body>  Internal   error </body></html>', EsperServerError,
     'Internal Server Error: <html> <body> Internal error </body></html>'),
    (500, None, '', EsperServerError, 'Internal Server Error'),
])
def test_error_bodies_become_typed_errors_with_the_api_message(status, body, text, error_class, message):
    method = 'PUT' if status == 500 else 'GET'  # a GET answered 500 is retried
    harness = Harness([Exchange(method, COMMANDS + 'x/', status=status, body=body, text=text)])
    with pytest.raises(error_class) as caught:
        harness.client.request(method, COMMANDS + 'x/')
    harness.done()
    assert caught.value.status == status
    assert caught.value.message == message
    assert caught.value.method == method
    assert caught.value.path == COMMANDS + 'x/'
    assert str(caught.value) == '%s %sx/: HTTP %d: %s' % (method, COMMANDS, status, message)
    assert isinstance(caught.value, EsperApiError)


def test_not_found_reads_like_the_design():
    harness = Harness([Exchange('GET', COMMANDS + 'x/', status=404, body={'code': 404, 'message': 'Not found', 'content': {}})])
    with pytest.raises(EsperNotFoundError) as caught:
        harness.client.get(COMMANDS + 'x/')
    harness.done()
    assert str(caught.value) == 'GET commands/v0/commands/x/: HTTP 404: Not found'


def test_unauthorized_message_never_contains_the_key_even_when_echoed():
    harness = Harness([Exchange('GET', COMMANDS, status=401,
                                body={'code': 401, 'message': 'Invalid token Bearer %s' % API_KEY, 'content': {}})])
    with pytest.raises(EsperAuthError) as caught:
        harness.client.get(COMMANDS)
    harness.done()
    for text in (str(caught.value), caught.value.message, repr(caught.value)):
        assert API_KEY not in text
        assert 'Invalid token Bearer ' + MASK in text


def test_non_json_error_body_is_cut_to_200_characters_and_scrubbed():
    text = '<html>' + API_KEY + 'x' * 500 + '</html>'
    harness = Harness([Exchange('PUT', COMMANDS, status=500, text=text)])  # PUT: a GET answered 500 is retried
    with pytest.raises(EsperServerError) as caught:
        harness.client.request('PUT', COMMANDS)
    harness.done()
    assert API_KEY not in str(caught.value)
    assert caught.value.message.startswith('Internal Server Error: <html>' + MASK + 'xxx')
    assert len(caught.value.message) <= len('Internal Server Error: ') + 200


def test_secret_values_of_the_request_body_are_scrubbed_from_errors():
    body = {'command_type': 'DEVICE', 'devices': [DEVICE_1], 'command': 'INSTALL_CERTIFICATE',
            'command_args': {'cert_data_base64': 'TUlJQ2Zj', 'cert_password': 'hunter22'}}
    harness = Harness([Exchange('POST', COMMANDS, status=400,
                                body={'code': 400, 'message': 'wrong password hunter22 for TUlJQ2Zj', 'content': {}})])
    with pytest.raises(EsperValidationError) as caught:
        harness.client.request('POST', COMMANDS, json=body)
    harness.done()
    assert str(caught.value) == 'POST commands/v0/commands/: HTTP 400: wrong password %s for %s' % (MASK, MASK)


def test_a_non_json_error_page_echoing_a_long_secret_never_shows_a_slice_of_it():
    # The excerpt is cut at 200 characters: cutting before scrubbing would leave the secret's first part unmasked.
    secret = base64.b64encode(bytes(range(256)) * 3).decode('ascii')
    body = {'command_type': 'DEVICE', 'devices': [DEVICE_1], 'command': 'INSTALL_CERTIFICATE',
            'command_args': {'cert_data_base64': secret, 'cert_alias_name': 'corp-ca'}}
    page_text = '<pre>%s</pre>' % json.dumps(body)
    harness = Harness([Exchange('POST', COMMANDS, status=400, text=page_text)])
    with pytest.raises(EsperValidationError) as caught:
        harness.client.create_command(body)
    harness.done()
    text = str(caught.value)
    assert '"cert_data_base64": "' + MASK in text
    assert not any(secret[start:start + 12] in text for start in range(len(secret) - 11))


def test_client_repr_shows_no_key():
    harness = Harness([])
    assert API_KEY not in repr(harness.client)
    assert BASE_URL in repr(harness.client)


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE'])
def test_server_error_500_is_not_retried_on_a_write(method):
    harness = Harness([Exchange(method, COMMANDS, status=500, body={'code': 500, 'message': 'boom', 'content': {}})])
    with pytest.raises(EsperServerError):
        harness.client.request(method, COMMANDS)
    harness.done()
    assert harness.sleeps == []


def test_tls_error_is_not_retried():
    harness = Harness([Exchange('GET', COMMANDS, raises=requests.exceptions.SSLError('certificate verify failed'))])
    with pytest.raises(EsperTransportError) as caught:
        harness.client.get(COMMANDS)
    harness.done()
    assert 'certificate verify failed' in str(caught.value)
    assert 'validate_certs' in str(caught.value)
    assert caught.value.status is None
    assert harness.sleeps == []


# Retries


@pytest.mark.parametrize('retry_after, slept', [
    ('120', 60.0), ('0', 1.0), ('3', 3.0), ('2.5', 2.5),
    ('Wed, 21 Oct 2015 07:28:00 GMT', 2.0),  # an HTTP date counts as absent: backoff
])
def test_retry_after_is_honoured_and_clamped(retry_after, slept):
    harness = Harness([
        Exchange('GET', COMMANDS, status=429, headers={'Retry-After': retry_after},
                 body={'code': 429, 'message': 'Too many requests', 'content': {}}),
        Exchange('GET', COMMANDS, body=page([{'id': 1}])),
    ])
    assert harness.client.get(COMMANDS)['results'] == [{'id': 1}]
    harness.done()
    assert harness.sleeps == [slept]
    assert harness.warnings == ['Esper API: GET commands/v0/commands/: HTTP 429: Too many requests; retry 1/5 in %gs' % slept]


def test_lower_case_retry_after_header_is_read():
    harness = Harness([Exchange('GET', COMMANDS, status=429, headers={'retry-after': '7'}),
                       Exchange('GET', COMMANDS, body=page([]))])
    harness.client.get(COMMANDS)
    harness.done()
    assert harness.sleeps == [7.0]


def test_without_retry_after_the_backoff_doubles_up_to_the_cap():
    exchanges = [Exchange('GET', COMMANDS, status=429) for dummy in range(7)] + [Exchange('GET', COMMANDS, body=page([]))]
    harness = Harness(exchanges, max_retries=7)
    harness.client.get(COMMANDS)
    harness.done()
    assert harness.sleeps == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def test_backoff_jitter_shortens_the_delay_by_up_to_a_quarter():
    harness = Harness([Exchange('GET', COMMANDS, status=503), Exchange('GET', COMMANDS, status=503),
                       Exchange('GET', COMMANDS, body=page([]))])
    fractions = iter([1.0, 0.5])
    harness.client.jitter = lambda: next(fractions)
    harness.client.get(COMMANDS)
    harness.done()
    assert harness.sleeps == [1.5, 3.5]


@pytest.mark.parametrize('failure', [
    {'status': 502}, {'status': 503}, {'status': 504},
    {'raises': connection_reset()}, {'raises': connection_refused()},
    {'raises': requests.exceptions.ReadTimeout('Read timed out. (read timeout=30)')},
    {'raises': requests.exceptions.ConnectTimeout('Connection to acme-api.esper.cloud timed out')},
    {'raises': requests.exceptions.ChunkedEncodingError('Connection broken: IncompleteRead')},
])
def test_transient_failures_are_retried_then_succeed(failure):
    harness = Harness([Exchange('GET', COMMANDS, **failure), Exchange('GET', COMMANDS, **failure),
                       Exchange('GET', COMMANDS, body=page([{'id': 1}]))])
    assert harness.client.get(COMMANDS)['results'] == [{'id': 1}]
    harness.done()
    assert harness.sleeps == [2.0, 4.0]
    assert len(harness.warnings) == 2
    assert harness.warnings[0].startswith('Esper API: GET commands/v0/commands/: ')
    assert harness.warnings[0].endswith('; retry 1/5 in 2s')
    assert harness.warnings[1].endswith('; retry 2/5 in 4s')


def test_each_retry_warning_names_the_cause():
    harness = Harness([Exchange('GET', COMMANDS, status=503, body={'code': 503, 'message': 'Maintenance', 'content': {}}),
                       Exchange('GET', COMMANDS, raises=requests.exceptions.ReadTimeout('Read timed out.')),
                       Exchange('GET', COMMANDS, body=page([]))])
    harness.client.get(COMMANDS)
    harness.done()
    assert harness.warnings == [
        'Esper API: GET commands/v0/commands/: HTTP 503: Maintenance; retry 1/5 in 2s',
        'Esper API: GET commands/v0/commands/: read timeout (no answer within 30s); retry 2/5 in 4s',
    ]


@pytest.mark.parametrize('failure, error_class, cause', [
    ({'status': 503, 'body': {'code': 503, 'message': 'Maintenance', 'content': {}}}, EsperServerError, 'HTTP 503: Maintenance'),
    ({'status': 429}, EsperRateLimitError, 'HTTP 429: Too Many Requests'),
    ({'raises': requests.exceptions.ReadTimeout('Read timed out.')}, EsperTransportError, 'read timeout (no answer within 30s)'),
    ({'raises': connection_refused()}, EsperTransportError, 'connection failed ('),
])
def test_gives_up_after_max_retries_naming_the_cause_and_attempts(failure, error_class, cause):
    harness = Harness([Exchange('GET', COMMANDS, **failure) for dummy in range(3)], max_retries=2)
    with pytest.raises(error_class) as caught:
        harness.client.get(COMMANDS)
    harness.done()
    text = str(caught.value)
    assert text.startswith('GET commands/v0/commands/: ' + cause)
    assert text.endswith('; gave up after 3 attempts')
    assert harness.sleeps == [2.0, 4.0]
    assert [w.split('; retry ')[1] for w in harness.warnings] == ['1/2 in 2s', '2/2 in 4s']


def test_max_retries_zero_makes_one_attempt():
    harness = Harness([Exchange('GET', COMMANDS, status=503)], max_retries=0)
    with pytest.raises(EsperServerError) as caught:
        harness.client.get(COMMANDS)
    harness.done()
    assert str(caught.value) == 'GET commands/v0/commands/: HTTP 503: Service Unavailable; gave up after 1 attempt'
    assert harness.sleeps == []
    assert harness.warnings == []


def test_transport_error_message_has_no_headers_or_key():
    error = requests.exceptions.ConnectionError('reset while sending Authorization: Bearer %s' % API_KEY)
    harness = Harness([Exchange('GET', COMMANDS, raises=error)], max_retries=0)
    with pytest.raises(EsperTransportError) as caught:
        harness.client.get(COMMANDS)
    harness.done()
    assert API_KEY not in str(caught.value)
    assert API_KEY not in ' '.join(harness.warnings)
    assert caught.value.__cause__ is None


# create_command: never twice


def test_create_command_returns_the_created_request():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(), code=201))])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()


@pytest.mark.parametrize('failure', [
    {'status': 429, 'headers': {'Retry-After': '5'}},
    {'raises': connection_refused()},
    {'raises': requests.exceptions.ConnectTimeout('Connection to acme-api.esper.cloud timed out')},
])
def test_create_command_retries_when_the_request_never_reached_the_server(failure):
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, **failure),
                       Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(), code=201))])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()
    assert harness.conversation.count('GET') == 0
    assert harness.conversation.count('POST') == 2
    assert len(harness.warnings) == 1


def reconcile(results, count=None, **params):
    """The look-up of a lost POST: command requests of the first device."""
    wanted = {'command': 'REBOOT', 'devices': DEVICE_1, 'limit': 50}
    wanted.update(params)
    return Exchange('GET', COMMANDS, params=wanted, body=page(results, count=count))


ADOPTED_WARNING = ('Esper API: the response to POST commands/v0/commands/ was lost; adopted the request %s it had already created'
                   % REQUEST_ID)


@pytest.mark.parametrize('failure', [
    {'raises': requests.exceptions.ReadTimeout('Read timed out. (read timeout=30)')},
    {'raises': connection_reset()},
    {'status': 502}, {'status': 503}, {'status': 504},
])
def test_lost_response_is_reconciled_and_the_created_request_adopted(failure):
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, **failure),
                       reconcile([command_request(request_id=OTHER_ID, command_args={'x': 1}), command_request()])])
    result = harness.client.create_command(REBOOT)
    harness.done()
    assert result['id'] == REQUEST_ID
    assert harness.conversation.count('POST') == 1
    assert harness.warnings[-1] == ADOPTED_WARNING
    assert harness.sleeps == [2.0]


def test_post_answered_500_adopts_the_request_it_stored_and_never_posts_again():
    # A 500 is not retried, but the server may have stored the request before failing.
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=500, body={'code': 500, 'message': 'boom', 'content': {}}),
                       reconcile([command_request()])])
    result = harness.client.create_command(REBOOT)
    harness.done()
    assert result['id'] == REQUEST_ID
    assert harness.conversation.count('POST') == 1
    assert harness.warnings == ['Esper API: the response to POST commands/v0/commands/ was HTTP 500; adopted the request %s '
                                'it had already created' % REQUEST_ID]


def test_post_answered_500_with_nothing_stored_raises_without_posting_again_when_retries_are_used_up():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=500, body={'code': 500, 'message': 'boom', 'content': {}}),
                       reconcile([])], max_retries=0)
    with pytest.raises(EsperServerError) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    assert caught.value.status == 500 and 'boom' in str(caught.value)
    assert str(caught.value) == ('POST commands/v0/commands/: HTTP 500: boom; gave up after 1 attempt; '
                                 'no command request matching it was stored')
    assert harness.conversation.count('POST') == 1


def test_post_answered_400_is_not_looked_up():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=400,
                                body={'code': 400, 'message': 'Invalid command arguments', 'content': {}})])
    with pytest.raises(EsperValidationError):
        harness.client.create_command(REBOOT)
    harness.done()


def test_lost_response_with_nothing_created_is_never_posted_again():
    # Item 2: a slow server may store the request after the read timeout; only look-ups follow, then a clear failure.
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, raises=requests.exceptions.ReadTimeout('Read timed out.')),
                       reconcile([]), reconcile([]), reconcile([]), reconcile([])])
    with pytest.raises(EsperTransportError) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    assert harness.conversation.count('POST') == 1
    assert harness.sleeps == [2.0, 4.0, 8.0, 16.0]
    assert str(caught.value) == (
        'POST commands/v0/commands/: the response was lost (read timeout (no answer within 30s)) and no command request '
        'matching it appeared in 4 look-ups over 30s (GET commands/v0/commands/?command=REBOOT&devices=%s&limit=50): '
        'the REBOOT command request may or may not have been created; check the command requests of device %s before '
        'sending it again' % (DEVICE_1, DEVICE_1))


def test_reconcile_ignores_requests_that_differ_or_are_too_old():
    window_start = '2025-05-01T09:59:55Z'   # NOW - 5 s (no Date header: the client's clock less ADOPT_SKEW)
    too_old = '2025-05-01T09:59:54Z'
    candidates = [
        command_request(request_id='different-args', command_args={'force': True}),
        command_request(request_id='too-old', created_at=too_old),
        command_request(request_id='fewer-devices', devices=[DEVICE_1]),
        command_request(request_id='with-group', groups=[GROUP_1]),
        command_request(request_id='scheduled', schedule='WINDOW'),
        command_request(request_id='schedule-args', schedule_args={'name': 'x'}),
        command_request(request_id='group-type', command_type='GROUP'),
        command_request(request_id='other-command', command='LOCK'),
        command_request(request_id='no-date', created_at=None),
    ]
    # HTTP 500 (a definite answer): the look-up finds nothing of ours, so the POST is sent again.
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=500), reconcile(candidates),
                       Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(), code=201))])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()
    assert harness.conversation.count('POST') == 2
    assert not any('adopted' in warning for warning in harness.warnings)
    assert parse_iso8601(window_start) == NOW - client_module.ADOPT_SKEW


def test_reconcile_adopts_a_request_created_at_the_window_start_with_devices_in_another_order():
    item = command_request(created_at='2025-05-01T09:59:55Z', devices=[DEVICE_2, DEVICE_1],
                           command_args={'unused': None}, schedule=None)
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=503), reconcile([item])])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()


def test_reconcile_adopts_the_newest_of_several_matches():
    older = command_request(request_id=OTHER_ID, created_at='2025-05-01T09:59:00Z')
    newer = command_request(created_at='2025-05-01T10:00:03.250Z')
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=503), reconcile([older, newer])])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()


def test_reconcile_never_adopts_a_request_this_client_created_itself():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(), code=201)),
                       Exchange('POST', COMMANDS, json=REBOOT, status=500),
                       reconcile([command_request()]),
                       Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(request_id=OTHER_ID), code=201))])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    assert harness.client.create_command(REBOOT)['id'] == OTHER_ID
    harness.done()


def test_reconcile_of_a_group_request_looks_up_the_first_group():
    body = {'command_type': 'GROUP', 'groups': [GROUP_1], 'device_type': 'all', 'command': 'SET_BRIGHTNESS_SCALE',
            'command_args': {'brightness_value': 60}, 'schedule': 'IMMEDIATE'}
    harness = Harness([Exchange('POST', COMMANDS, json=body, raises=connection_reset()),
                       Exchange('GET', COMMANDS, params={'command': 'SET_BRIGHTNESS_SCALE', 'groups': GROUP_1, 'limit': 50},
                                body=page([command_request(body)]))])
    assert harness.client.create_command(body)['id'] == REQUEST_ID
    harness.done()


def test_reconcile_reads_the_last_page_too_when_there_are_more():
    first = [command_request(request_id='old-%d' % n, created_at='2025-04-01T00:00:00Z') for n in range(50)]
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=502),
                       reconcile(first, count=120),
                       reconcile([command_request()], count=120, offset=70)])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()


def test_failed_reconcile_raises_may_or_may_not_and_never_posts_again():
    # max_retries 0: the look-up's GET answered 500 is not retried either.
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, raises=requests.exceptions.ReadTimeout('Read timed out.')),
                       Exchange('GET', COMMANDS, status=500, body={'code': 500, 'message': 'database down', 'content': {}})],
                      max_retries=0)
    with pytest.raises(EsperTransportError) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    text = str(caught.value)
    assert text.startswith('POST commands/v0/commands/: the response was lost (read timeout')
    assert 'database down' in text
    assert 'the REBOOT command request may or may not have been created' in text
    assert DEVICE_1 in text
    assert harness.conversation.count('POST') == 1


def test_gives_up_on_a_lost_response_only_after_checking_it_was_not_created():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=503)] + [reconcile([]) for dummy in range(4)], max_retries=0)
    with pytest.raises(EsperServerError) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    assert str(caught.value) == (
        'POST commands/v0/commands/: HTTP 503: Service Unavailable; no command request matching it '
        'appeared in 4 look-ups over 30s (GET commands/v0/commands/?command=REBOOT&devices=%s&limit=50): the REBOOT command '
        'request may or may not have been created; check the command requests of device %s before sending it again'
        % (DEVICE_1, DEVICE_1))
    assert caught.value.status == 503
    assert harness.conversation.count('POST') == 1


def test_adopts_on_the_last_attempt_too():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=504), reconcile([command_request()])], max_retries=0)
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()
    assert harness.warnings == [ADOPTED_WARNING]


@pytest.mark.parametrize('reply', [
    {'text': '{"code": 201, "message": "Command request created", "content": {"id": "9d0e6a4f'},
    {'text': ''},
    {'body': content({}, code=201)},
])
def test_created_request_whose_reply_cannot_be_read_is_looked_up_never_posted_again(reply):
    # A 2xx means the request exists; only its id was lost with the unreadable body.
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=201, **reply), reconcile([command_request()])])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()
    assert harness.conversation.count('POST') == 1
    assert harness.sleeps == []
    assert harness.warnings == ['Esper API: the response to POST commands/v0/commands/ could not be read; '
                                'adopted the request %s it had already created' % REQUEST_ID]


def test_created_request_whose_reply_cannot_be_read_and_is_not_found_says_it_was_created():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=201, text='{"code": 201, "con'), reconcile([])])
    with pytest.raises(EsperServerError) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    assert harness.conversation.count('POST') == 1
    text = str(caught.value)
    assert text.startswith('POST commands/v0/commands/: HTTP 201: ')
    assert 'the REBOOT command request was created' in text
    assert 'check the command requests of device %s before sending it again' % DEVICE_1 in text


def test_retries_of_create_command_count_against_max_retries():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=429),
                       Exchange('POST', COMMANDS, json=REBOOT, status=500),
                       reconcile([])], max_retries=1)
    with pytest.raises(EsperServerError) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    assert str(caught.value).endswith('gave up after 2 attempts; no command request matching it was stored')
    assert harness.conversation.count('POST') == 2


@pytest.mark.parametrize('created_at', [
    '2025-05-01T10:00:05Z', '2025-05-01T10:00:05.123456Z', '2025-05-01T10:00:05.1Z', '2025-05-01T10:00:05.123456789Z',
    '2025-05-01T10:00:05+00:00', '2025-05-01T12:00:05+02:00', '2025-05-01T10:00:05', '2025-05-01 10:00:05.5-0000',
])
def test_created_at_formats_are_understood(created_at):
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=503), reconcile([command_request(created_at=created_at)])])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()


def test_parse_iso8601_values():
    assert parse_iso8601('2025-05-01T10:00:00Z') == 1746093600.0
    assert parse_iso8601('2025-05-01T10:00:00.250Z') == 1746093600.25
    assert parse_iso8601('2025-05-01T12:00:00+02:00') == 1746093600.0
    assert parse_iso8601('2025-05-01T05:30:00-0430') == 1746093600.0
    assert parse_iso8601('2025-13-01T10:00:00Z') is None
    assert parse_iso8601('yesterday') is None
    assert parse_iso8601(None) is None


# Pagination


def device_path():
    return 'enterprise/%s/device/' % ENTERPRISE_ID


def devices(first, last):
    return [{'id': 'device-%d' % n} for n in range(first, last)]


@pytest.mark.parametrize('enveloped, prev_key', [(True, 'previous'), (False, 'previous'), (True, 'prev')])
def test_paginate_walks_three_pages_of_each_family(enveloped, prev_key):
    link = BASE_URL + '/' + device_path() + '?limit=2&offset=%d'
    harness = Harness([
        Exchange('GET', device_path(), params={'limit': 2, 'offset': 0, 'state': 1},
                 body=page(devices(0, 2), count=5, next_url=link % 2, enveloped=enveloped, prev_key=prev_key)),
        Exchange('GET', device_path(), params={'limit': '2', 'offset': '2'},
                 body=page(devices(2, 4), count=5, next_url=link % 4, previous=link % 0, enveloped=enveloped, prev_key=prev_key)),
        Exchange('GET', device_path(), params={'limit': '2', 'offset': '4'},
                 body=page(devices(4, 5), count=5, next_url=None, previous=link % 2, enveloped=enveloped, prev_key=prev_key)),
    ])
    items = harness.client.paginate(device_path(), params={'state': 1}, page_size=2)
    harness.done()
    assert items == devices(0, 5)


def test_paginate_asks_for_large_pages_by_default():
    harness = Harness([Exchange('GET', COMMANDS, params={'limit': 500, 'offset': 0}, body=page(devices(0, 3)))])
    assert len(harness.client.paginate(COMMANDS)) == 3
    harness.done()


def test_paginate_stops_on_an_empty_page():
    link = BASE_URL + '/' + COMMANDS + '?limit=2&offset=%d'
    harness = Harness([
        Exchange('GET', COMMANDS, body=page(devices(0, 2), count=10, next_url=link % 2)),
        Exchange('GET', COMMANDS, body=page([], count=10, next_url=link % 4)),
    ])
    assert harness.client.paginate(COMMANDS, page_size=2) == devices(0, 2)
    harness.done()


def test_paginate_stops_once_count_items_were_read():
    link = BASE_URL + '/' + COMMANDS + '?limit=2&offset=%d'
    harness = Harness([
        Exchange('GET', COMMANDS, body=page(devices(0, 2), count=3, next_url=link % 2)),
        Exchange('GET', COMMANDS, body=page(devices(2, 3), count=3, next_url=link % 4)),
    ])
    assert harness.client.paginate(COMMANDS, page_size=2) == devices(0, 3)
    harness.done()


def test_paginate_stops_after_the_overall_limit():
    link = BASE_URL + '/' + COMMANDS + '?limit=2&offset=%d'
    harness = Harness([
        Exchange('GET', COMMANDS, params={'limit': 2, 'offset': 0}, body=page(devices(0, 2), count=10, next_url=link % 2)),
        Exchange('GET', COMMANDS, body=page(devices(2, 4), count=10, next_url=link % 4)),
    ])
    assert harness.client.paginate(COMMANDS, page_size=2, limit=3) == devices(0, 3)
    harness.done()


def test_paginate_asks_for_no_more_than_the_overall_limit():
    harness = Harness([Exchange('GET', COMMANDS, params={'limit': 5, 'offset': 0},
                                body=page(devices(0, 5), count=10, next_url=BASE_URL + '/' + COMMANDS + '?offset=5'))])
    assert harness.client.paginate(COMMANDS, limit=5) == devices(0, 5)
    harness.done()


def test_paginate_rejects_a_response_that_is_not_a_list_page():
    harness = Harness([Exchange('GET', COMMANDS + 'x/', body=content({'id': 'x'}))])
    with pytest.raises(EsperServerError) as caught:
        harness.client.paginate(COMMANDS + 'x/')
    harness.done()
    assert 'not a list page' in str(caught.value)


def test_paginate_detects_a_next_link_loop():
    link = BASE_URL + '/' + COMMANDS + '?limit=2&offset=2'
    no_count = {'code': 200, 'message': 'ok', 'content': {'next': link, 'results': devices(0, 2)}}
    harness = Harness([Exchange('GET', COMMANDS, body=no_count), Exchange('GET', COMMANDS, body=no_count)])
    with pytest.raises(EsperServerError) as caught:
        harness.client.paginate(COMMANDS, page_size=2)
    harness.done()
    assert 'pagination loop' in str(caught.value)


# Enterprise paths


def test_enterprise_path_without_enterprise_id_fails_before_any_request():
    harness = Harness([], enterprise_id=None)
    with pytest.raises(EsperConfigError) as caught:
        harness.client.paginate(harness.client.enterprise_path('device/'))
    harness.done()
    assert harness.conversation.requests == []
    assert 'enterprise_id' in str(caught.value)
    assert 'ESPER_ENTERPRISE_ID' in str(caught.value)


def test_enterprise_path_with_enterprise_id():
    assert Harness([]).client.enterprise_path('/devicegroup/') == 'enterprise/%s/devicegroup/' % ENTERPRISE_ID


# Connection options


class FailJson(Exception):
    """Raised by FakeModule.fail_json, as AnsibleModule.fail_json would exit."""


class FakeModule:
    def __init__(self, **params):
        self.params = dict(api_key=API_KEY, tenant=None, api_url=None, enterprise_id=None, validate_certs=True,
                           ca_path=None, timeout=30, max_retries=5)
        self.params.update(params)
        self.warnings = []

    def fail_json(self, msg, **kwargs):
        raise FailJson(msg)

    def warn(self, message):
        self.warnings.append(message)


@pytest.mark.parametrize('params, base_url, warnings', [
    ({'tenant': 'acme'}, 'https://acme-api.esper.cloud/api', []),
    ({'tenant': 'acme', 'api_url': 'http://127.0.0.1:8080/api/'}, 'http://127.0.0.1:8080/api',
     ["Esper API: both tenant and api_url are set; api_url 'http://127.0.0.1:8080/api/' (set on the task) is used and "
      "tenant 'acme' (set on the task) is ignored, as api_url takes precedence over tenant; the API is http://127.0.0.1:8080/api"]),
    ({'api_url': 'https://develop-api.esper.cloud/api'}, 'https://develop-api.esper.cloud/api', []),
])
def test_client_from_module_builds_the_base_url(params, base_url, warnings, monkeypatch):
    for variable in ('ESPER_TENANT', 'ESPER_API_URL'):
        monkeypatch.delenv(variable, raising=False)
    module = FakeModule(enterprise_id=ENTERPRISE_ID, timeout=12, max_retries=2, validate_certs=False, **params)
    client = client_from_module(module)
    assert client.base_url == base_url
    assert client.enterprise_id == ENTERPRISE_ID
    assert (client.timeout, client.max_retries, client.validate_certs) == (12, 2, False)
    assert client.user_agent.startswith('esper.mdm/0.1.0 ansible/')
    client.warn('retrying')
    assert module.warnings == warnings + ['retrying']
    assert API_KEY not in repr(client)


@pytest.mark.parametrize('params, words', [
    ({}, ['tenant', 'api_url', 'ESPER_TENANT', 'ESPER_API_URL']),
    ({'tenant': ''}, ['tenant', 'api_url', 'ESPER_TENANT', 'ESPER_API_URL']),
    ({'tenant': 'acme/evil'}, ['tenant must be the tenant name only']),
    ({'tenant': 'https://acme-api.esper.cloud'}, ['use api_url for a full URL']),
    ({'tenant': 'ac me'}, ['tenant must be the tenant name only']),
    ({'api_url': 'ftp://acme-api.esper.cloud/api'}, ['api_url must be an http:// or https:// URL']),
    ({'api_url': 'acme-api.esper.cloud/api'}, ['api_url must be an http:// or https:// URL']),
    ({'tenant': 'acme', 'timeout': 0}, ['timeout must be a positive']),
    ({'tenant': 'acme', 'max_retries': -1}, ['max_retries must be 0 or more']),
])
def test_client_from_module_fails_on_bad_connection_options(params, words):
    with pytest.raises(FailJson) as caught:
        client_from_module(FakeModule(**params))
    for word in words:
        assert word in str(caught.value)


def test_the_client_needs_neither_requests_nor_urllib3():
    # A fresh interpreter: building a client and its session must not import them (they cost a short task most of its time).
    root = client_module.__file__
    for _level in range(6):  # .../ansible_collections/esper/mdm/plugins/module_utils/_client.py
        root = os.path.dirname(root)
    code = (
        'import sys\n'
        'sys.path.insert(0, %r)\n'
        'from ansible_collections.esper.mdm.plugins.module_utils._client import EsperClient\n'
        'from ansible_collections.esper.mdm.plugins.module_utils._transport import StdlibSession\n'
        'client = EsperClient("https://acme-api.esper.cloud/api", "k" * 20)\n'
        'assert isinstance(client.session, StdlibSession)\n'
        'print(sorted(name for name in sys.modules if name.split(".")[0] in ("requests", "urllib3")))\n'
    ) % root
    completed = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=False, env=dict(os.environ))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == '[]'


def test_connection_argument_spec_takes_values_from_the_environment(monkeypatch):
    monkeypatch.setenv('ESPER_API_KEY', API_KEY)
    monkeypatch.setenv('ESPER_TENANT', 'acme')
    monkeypatch.setenv('ESPER_ENTERPRISE_ID', ENTERPRISE_ID)
    monkeypatch.setenv('ESPER_VALIDATE_CERTS', 'false')
    monkeypatch.delenv('ESPER_API_URL', raising=False)
    result = ArgumentSpecValidator(connection_argument_spec()).validate({})
    assert result.error_messages == []
    params = result.validated_parameters
    assert params['api_key'] == API_KEY
    assert (params['tenant'], params['enterprise_id'], params['validate_certs']) == ('acme', ENTERPRISE_ID, False)
    assert (params['timeout'], params['max_retries']) == (30, 5)
    assert API_KEY in result._no_log_values


def test_connection_argument_spec_leaves_the_api_key_check_to_client_from_module(monkeypatch):
    # Item 12: the spec's own message ('missing required arguments: api_key') could not name ESPER_API_KEY.
    monkeypatch.delenv('ESPER_API_KEY', raising=False)
    result = ArgumentSpecValidator(connection_argument_spec()).validate({'tenant': 'acme'})
    assert result.error_messages == []
    assert connection_argument_spec()['api_key'].get('required', False) is False


def test_doc_fragment_matches_the_argument_spec():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    spec = connection_argument_spec()
    assert set(documented['options']) == set(spec)
    for name, option in spec.items():
        doc = documented['options'][name]
        assert doc['type'] == option['type'], name
        assert doc.get('default') == option.get('default'), name
        assert bool(doc.get('required')) == bool(option.get('required')), name
        if 'fallback' in option:
            assert 'E(%s)' % option['fallback'][1][0] in ' '.join(doc['description']), name
    assert spec['api_key']['no_log'] is True
    assert 'requirements' not in documented  # HTTP is the standard library's (_transport): nothing to install


# Issue 8, item 1: a repeated command is never silently dropped by adopting the earlier request

FIRST_TASK_ID = '9d0e6a4f-5b1c-4c1d-9e2f-00000000aaaa'
SECOND_TASK_ID = '9d0e6a4f-5b1c-4c1d-9e2f-00000000bbbb'


def http_date(iso):
    """An HTTP Date header value for an ISO-8601 time."""
    return email.utils.formatdate(parse_iso8601(iso), usegmt=True)


def test_repeated_command_within_two_minutes_is_sent_not_adopted_by_the_server_clock():
    # The client's clock is a minute behind the server's; the Date header of the 500 tells the client so.
    # The first task's request was created 30 s (server time) before this POST: it must not be adopted.
    first_task = command_request(request_id=FIRST_TASK_ID, created_at='2025-05-01T10:00:30Z')
    harness = Harness([
        Exchange('POST', COMMANDS, json=REBOOT, status=500, headers={'Date': http_date('2025-05-01T10:01:00Z')},
                 body={'code': 500, 'message': 'proxy error', 'content': {}}),
        reconcile([first_task]),
        Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(request_id=SECOND_TASK_ID), code=201)),
    ])
    assert harness.client.create_command(REBOOT)['id'] == SECOND_TASK_ID
    harness.done()
    assert harness.conversation.count('POST') == 2
    assert not any(FIRST_TASK_ID in warning for warning in harness.warnings)
    assert harness.warnings == ['Esper API: POST commands/v0/commands/: HTTP 500: proxy error; no command request was stored; '
                                'retry 1/5 in 2s']


def test_a_request_listed_before_the_first_post_is_never_taken_for_it_however_close_in_time():
    # The first task's request was created in the same second as this POST (its created_at is even after the Date the
    # 500 carries, so the server's clock cannot tell them apart); it was read before the POST, so it is not adopted.
    first_task = command_request(request_id=FIRST_TASK_ID, created_at='2025-05-01T10:01:00.600Z')
    harness = Harness([
        reconcile([first_task]),
        Exchange('POST', COMMANDS, json=REBOOT, status=500, headers={'Date': http_date('2025-05-01T10:01:00Z')},
                 body={'code': 500, 'message': 'proxy error', 'content': {}}),
        reconcile([first_task]),
        Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(request_id=SECOND_TASK_ID), code=201)),
    ])
    assert harness.client.create_command(REBOOT)['id'] == SECOND_TASK_ID
    harness.done()
    # One look-up before the first POST only, not before the retry.
    assert harness.conversation.count('POST') == 2 and harness.conversation.count('GET') == 2
    assert not any(FIRST_TASK_ID in warning for warning in harness.warnings)


def test_a_failed_look_up_before_the_post_does_not_stop_the_send():
    harness = Harness([
        Exchange('GET', COMMANDS, params={'command': 'REBOOT', 'devices': DEVICE_1, 'limit': 50}, status=404,
                 body={'code': 404, 'message': 'Not found', 'content': {}}),
        Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(), code=201)),
    ])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()


def test_repeated_command_answered_503_never_reports_the_earlier_request():
    # A 503 may have reached the server: no second POST, and the first task's request is never taken for this one.
    first_task = command_request(request_id=FIRST_TASK_ID, created_at='2025-05-01T10:00:30Z')
    date = {'Date': http_date('2025-05-01T10:01:00Z')}
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=503, headers=date)]
                      + [Exchange('GET', COMMANDS, params={'command': 'REBOOT', 'devices': DEVICE_1, 'limit': 50}, headers=date,
                                  body=page([first_task])) for dummy in range(4)])
    with pytest.raises(EsperServerError) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    assert 'the REBOOT command request may or may not have been created' in str(caught.value)
    assert FIRST_TASK_ID not in str(caught.value)
    assert not any('adopted' in warning for warning in harness.warnings)
    assert harness.conversation.count('POST') == 1


def test_without_a_date_header_a_request_30_seconds_older_than_the_send_is_not_adopted():
    earlier = command_request(request_id=FIRST_TASK_ID, created_at='2025-05-01T09:59:30Z')  # NOW - 30 s
    harness = Harness([
        Exchange('POST', COMMANDS, json=REBOOT, status=500),
        reconcile([earlier]),
        Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(request_id=SECOND_TASK_ID), code=201)),
    ])
    assert harness.client.create_command(REBOOT)['id'] == SECOND_TASK_ID
    harness.done()


def test_a_request_this_client_listed_before_the_send_is_never_adopted_whatever_its_created_at():
    # The server's clock runs ahead and sends no Date header: created_at alone would make the old request look new.
    listed = command_request(request_id=FIRST_TASK_ID, created_at='2025-05-01T10:00:30Z')
    harness = Harness([
        Exchange('GET', COMMANDS, params={'command': 'REBOOT', 'devices': DEVICE_1, 'limit': 500, 'offset': 0}, body=page([listed])),
        Exchange('POST', COMMANDS, json=REBOOT, status=500),
        reconcile([listed]),
        Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(request_id=SECOND_TASK_ID), code=201)),
    ])
    assert harness.client.paginate(COMMANDS, params={'command': 'REBOOT', 'devices': DEVICE_1}) == [listed]
    assert harness.client.create_command(REBOOT)['id'] == SECOND_TASK_ID
    harness.done()


def test_own_request_is_adopted_when_the_server_clock_is_an_hour_behind():
    # The Date header moves the window to the server's clock: the request is this POST's though its created_at is old.
    date = {'Date': http_date('2025-05-01T09:00:00Z')}  # the server wrote it at 09:00:00.7, after storing at 09:00:00.5
    own = command_request(created_at='2025-05-01T09:00:00.500Z')
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=504, headers=date),
                       Exchange('GET', COMMANDS, params={'command': 'REBOOT', 'devices': DEVICE_1, 'limit': 50}, headers=date,
                                body=page([own]))])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()
    assert harness.conversation.count('POST') == 1


# Issue 8, item 2: a slow server never gets the command twice


def test_request_stored_late_by_a_slow_server_is_adopted_on_a_later_look_up():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, raises=requests.exceptions.ReadTimeout('Read timed out.')),
                       reconcile([]), reconcile([]), reconcile([command_request()])])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()
    assert harness.conversation.count('POST') == 1
    assert harness.sleeps == [2.0, 4.0, 8.0]
    assert harness.warnings == [ADOPTED_WARNING]


@pytest.mark.parametrize('failure, error_class, start', [
    ({'raises': requests.exceptions.ReadTimeout('Read timed out.')}, EsperTransportError,
     'POST commands/v0/commands/: the response was lost (read timeout (no answer within 30s)) and no command request'),
    ({'raises': connection_reset()}, EsperTransportError, 'POST commands/v0/commands/: the response was lost (connection lost ('),
    ({'status': 502}, EsperServerError, 'POST commands/v0/commands/: HTTP 502: Bad Gateway; no command request'),
    ({'status': 503}, EsperServerError, 'POST commands/v0/commands/: HTTP 503: Service Unavailable; no command request'),
    ({'status': 504}, EsperServerError, 'POST commands/v0/commands/: HTTP 504: Gateway Timeout; no command request'),
])
def test_post_that_may_have_reached_the_server_is_never_sent_again(failure, error_class, start):
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, **failure)] + [reconcile([]) for dummy in range(4)])
    with pytest.raises(error_class) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    text = str(caught.value)
    assert text.startswith(start)
    assert 'appeared in 4 look-ups over 30s (GET commands/v0/commands/?command=REBOOT&devices=%s&limit=50)' % DEVICE_1 in text
    assert text.endswith('the REBOOT command request may or may not have been created; check the command requests of '
                         'device %s before sending it again' % DEVICE_1)
    assert harness.conversation.count('POST') == 1
    assert harness.sleeps == [2.0, 4.0, 8.0, 16.0]


def test_lost_group_request_failure_names_the_group_looked_up():
    body = {'command_type': 'GROUP', 'groups': [GROUP_1], 'device_type': 'all', 'command': 'REBOOT', 'command_args': {},
            'schedule': 'IMMEDIATE'}
    lookup = Exchange('GET', COMMANDS, params={'command': 'REBOOT', 'groups': GROUP_1, 'limit': 50}, body=page([]))
    harness = Harness([Exchange('POST', COMMANDS, json=body, raises=requests.exceptions.ReadTimeout('Read timed out.'))]
                      + [lookup] * 4)
    with pytest.raises(EsperTransportError) as caught:
        harness.client.create_command(body)
    harness.done()
    assert '?command=REBOOT&groups=%s&limit=50' % GROUP_1 in str(caught.value)
    assert 'check the command requests of group %s' % GROUP_1 in str(caught.value)


# Issue 8, item 3: 500 on a read is retried; a POST answered 500 with nothing stored is sent again


def test_get_answered_500_is_retried():
    harness = Harness([Exchange('GET', COMMANDS, status=500, body={'code': 500, 'message': 'boom', 'content': {}}),
                       Exchange('GET', COMMANDS, body=page([{'id': 1}]))])
    assert harness.client.get(COMMANDS)['results'] == [{'id': 1}]
    harness.done()
    assert harness.sleeps == [2.0]
    assert harness.warnings == ['Esper API: GET commands/v0/commands/: HTTP 500: boom; retry 1/5 in 2s']


def test_post_answered_500_with_nothing_stored_is_sent_again():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=500, body={'code': 500, 'message': 'boom', 'content': {}}),
                       reconcile([]),
                       Exchange('POST', COMMANDS, json=REBOOT, status=201, body=content(command_request(), code=201))])
    assert harness.client.create_command(REBOOT)['id'] == REQUEST_ID
    harness.done()
    assert harness.conversation.count('POST') == 2
    assert harness.sleeps == [2.0]


def test_post_answered_500_then_timing_out_is_not_sent_a_third_time():
    harness = Harness([Exchange('POST', COMMANDS, json=REBOOT, status=500), reconcile([]),
                       Exchange('POST', COMMANDS, json=REBOOT, raises=requests.exceptions.ReadTimeout('Read timed out.'))]
                      + [reconcile([]) for dummy in range(4)])
    with pytest.raises(EsperTransportError) as caught:
        harness.client.create_command(REBOOT)
    harness.done()
    assert 'may or may not have been created' in str(caught.value)
    assert harness.conversation.count('POST') == 2


# Issue 8, item 5: next links given as a path or relative to the page


@pytest.mark.parametrize('next_link', [
    # An absolute link to another host: scheme and host become base_url's (the key never goes elsewhere).
    'http://internal-lb.esper.cloud:8080/api/%s?limit=2&offset=2',
    # A path: followed from the root of the host, not appended to base_url.
    '/api/%s?limit=2&offset=2',
    # Relative to the page: resolved against the page's URL.
    '?limit=2&offset=2',
])
def test_paginate_follows_every_form_of_next_link_to_the_base_url(next_link):
    if '%s' in next_link:
        next_link = next_link % device_path()

    def on_base_url(record):
        assert record['url'] == BASE_URL + '/' + device_path() + '?limit=2&offset=2'

    harness = Harness([
        Exchange('GET', device_path(), body=page(devices(0, 2), count=4, next_url=next_link, enveloped=False)),
        Exchange('GET', device_path(), params={'limit': '2', 'offset': '2'}, check=on_base_url,
                 body=page(devices(2, 4), count=4, enveloped=False)),
    ])
    assert harness.client.paginate(device_path(), page_size=2) == devices(0, 4)
    harness.done()


def test_paginate_refuses_a_next_link_that_is_not_http():
    harness = Harness([Exchange('GET', device_path(), body=page(devices(0, 2), count=4, next_url='ftp://evil.example/x', enveloped=False))])
    with pytest.raises(EsperServerError) as caught:
        harness.client.paginate(device_path(), page_size=2)
    harness.done()
    assert 'not an http(s) URL' in str(caught.value)


# Issue 8, item 7: the API key is stripped, and secrets are found by masking's one collector


def test_api_key_ending_in_a_newline_is_sent_stripped():
    conversation = Conversation([Exchange('GET', COMMANDS, body=page([]))])
    client = EsperClient(BASE_URL, '  %s\n' % API_KEY, session=conversation, sleep=[].append)
    client.get(COMMANDS)
    conversation.assert_done()
    assert conversation.requests[0]['headers']['Authorization'] == 'Bearer ' + API_KEY


def test_client_from_module_strips_the_api_key():
    client = client_from_module(FakeModule(api_url=BASE_URL, api_key=API_KEY + '\n'))
    assert client._headers(False)['Authorization'] == 'Bearer ' + API_KEY


def test_transport_error_quoting_the_header_with_the_key_shows_no_part_of_it():
    key = 'k3y-0123456789abcdefghijklmnop'
    error = requests.exceptions.InvalidHeader('Invalid leading whitespace, reserved character(s), or return character(s) in '
                                              'header value: %r' % ('Bearer %s\n' % key))
    conversation = Conversation([Exchange('GET', COMMANDS, raises=error)])
    warnings = []
    client = EsperClient(BASE_URL, key + '\n', session=conversation, sleep=[].append, warn=warnings.append)
    with pytest.raises(EsperTransportError) as caught:
        client.get(COMMANDS)
    text = str(caught.value) + ' '.join(warnings)
    assert not any(key[start:start + 8] in text for start in range(len(key) - 7))


def test_a_numeric_secret_echoed_by_the_api_is_masked():
    body = {'command_type': 'DEVICE', 'devices': [DEVICE_1], 'command': 'SET_NEW_PASSWORD',
            'command_args': {'new_lockscreen_password': 918273645546372819}}
    harness = Harness([Exchange('POST', COMMANDS, status=400,
                                body={'code': 400, 'message': 'password 918273645546372819 is too long', 'content': {}})])
    with pytest.raises(EsperValidationError) as caught:
        harness.client.create_command(body)
    harness.done()
    assert '918273645546372819' not in str(caught.value)
    assert 'password %s is too long' % MASK in str(caught.value)


def test_the_client_uses_the_masking_collector():
    assert not hasattr(client_module, '_secret_values')
    assert client_module.collect_secrets is masking_module.collect_secrets


@pytest.mark.parametrize('api_key', ['abc\ndef-0123456789', 'abc\rdef', 'abc\x00def'])
def test_api_key_with_a_control_character_inside_fails_before_any_request_without_showing_it(api_key):
    with pytest.raises(FailJson) as caught:
        client_from_module(FakeModule(api_url=BASE_URL, api_key=api_key))
    assert 'api_key contains a line break or another control character' in str(caught.value)
    assert 'abc' not in str(caught.value) and 'def' not in str(caught.value)


# Issue 8, item 10: enterprise_id is checked before any request; a 404 naming the enterprise says it may be wrong


@pytest.mark.parametrize('enterprise_id', ['not-a-uuid', '../../commands/v0/commands', '%s/device' % ENTERPRISE_ID, ENTERPRISE_ID[:-1]])
def test_enterprise_id_that_is_not_a_uuid_fails_the_module_before_any_request(enterprise_id):
    with pytest.raises(FailJson) as caught:
        client_from_module(FakeModule(api_url=BASE_URL, enterprise_id=enterprise_id))
    assert 'enterprise_id must be the enterprise UUID' in str(caught.value)
    assert 'ESPER_ENTERPRISE_ID' in str(caught.value)


def test_enterprise_id_that_is_not_a_uuid_is_refused_by_the_client_too():
    conversation = Conversation([])
    with pytest.raises(EsperConfigError) as caught:
        EsperClient(BASE_URL, API_KEY, enterprise_id='not-a-uuid', session=conversation)
    assert 'enterprise_id' in str(caught.value)
    assert conversation.requests == []


def test_enterprise_id_with_surrounding_white_space_is_stripped():
    client = client_from_module(FakeModule(api_url=BASE_URL, enterprise_id=' %s\n' % ENTERPRISE_ID))
    assert client.enterprise_path('device/') == 'enterprise/%s/device/' % ENTERPRISE_ID


def test_404_saying_the_enterprise_is_unknown_hints_at_enterprise_id():
    path = 'enterprise/%s/device/' % ENTERPRISE_ID
    harness = Harness([Exchange('GET', path, status=404,
                                body={'errors': ['Enterprise %s not found' % ENTERPRISE_ID], 'message': 'Enterprise %s not found'
                                      % ENTERPRISE_ID, 'status': 404})])
    with pytest.raises(EsperNotFoundError) as caught:
        harness.client.get(path)
    harness.done()
    assert 'the enterprise_id option or ESPER_ENTERPRISE_ID may be wrong' in str(caught.value)


def test_404_for_a_device_on_an_enterprise_path_has_no_hint():
    path = 'enterprise/%s/device/%s/' % (ENTERPRISE_ID, DEVICE_1)
    body = {'errors': ['Device not found'], 'message': 'Device not found', 'status': 404}
    harness = Harness([Exchange('GET', path, status=404, body=body)])
    with pytest.raises(EsperNotFoundError) as caught:
        harness.client.get(path)
    harness.done()
    assert str(caught.value) == 'GET %s: HTTP 404: Device not found' % path


# Issue 8, item 11: ca_path is checked before any request; validate_certs false warns once


def test_missing_ca_path_fails_the_module_before_any_request(tmp_path):
    missing = str(tmp_path / 'nowhere.pem')
    with pytest.raises(FailJson) as caught:
        client_from_module(FakeModule(api_url=BASE_URL, ca_path=missing))
    assert 'ca_path %r does not exist' % missing in str(caught.value)


def test_missing_ca_path_is_refused_by_the_client_too(tmp_path):
    conversation = Conversation([])
    with pytest.raises(EsperConfigError):
        EsperClient(BASE_URL, API_KEY, ca_path=str(tmp_path / 'nowhere.pem'), session=conversation)
    assert conversation.requests == []


def test_existing_ca_file_or_directory_is_used(tmp_path):
    bundle = tmp_path / 'ca.pem'
    bundle.write_text('-----BEGIN CERTIFICATE-----\n')
    for ca_path in (str(bundle), str(tmp_path)):
        client = client_from_module(FakeModule(api_url=BASE_URL, ca_path=ca_path))
        assert client._verify() == ca_path


def test_missing_ca_path_is_ignored_without_certificate_validation(tmp_path):
    client = client_from_module(FakeModule(api_url=BASE_URL, ca_path=str(tmp_path / 'nowhere.pem'), validate_certs=False))
    assert client._verify() is False


def test_validate_certs_false_warns_once_per_client():
    harness = Harness([Exchange('GET', COMMANDS, body=page([])), Exchange('GET', COMMANDS, body=page([]))], validate_certs=False)
    harness.client.get(COMMANDS)
    harness.client.get(COMMANDS)
    harness.done()
    assert harness.warnings == ['Esper API: validate_certs is false: the TLS certificate of acme-api.esper.cloud is not checked, '
                                'so the API key could be sent to whoever answers for that host']


# Issue 8, item 12: a missing api_key names ESPER_API_KEY


@pytest.mark.parametrize('api_key', [None, '', '   ', '\n'])
def test_missing_or_blank_api_key_names_the_option_and_the_environment_variable(api_key):
    with pytest.raises(FailJson) as caught:
        client_from_module(FakeModule(api_url=BASE_URL, api_key=api_key))
    assert str(caught.value) == ('api_key is required: set the api_key option or the ESPER_API_KEY environment variable '
                                 '(an empty or blank value counts as missing)')


# Issue 8, item 13: tenant and api_url both set


def test_tenant_set_on_the_task_beats_esper_api_url_from_the_environment(monkeypatch):
    monkeypatch.setenv('ESPER_API_URL', 'http://127.0.0.1:8080/api')
    monkeypatch.delenv('ESPER_TENANT', raising=False)
    # What AnsibleModule's env_fallback leaves in params: api_url filled from the environment.
    module = FakeModule(tenant='acme', api_url='http://127.0.0.1:8080/api')
    assert client_from_module(module).base_url == 'https://acme-api.esper.cloud/api'
    assert module.warnings == ["Esper API: both tenant and api_url are set; tenant 'acme' (set on the task) is used and "
                               "api_url 'http://127.0.0.1:8080/api' (from ESPER_API_URL) is ignored, as an option set on the "
                               "task beats an environment variable; the API is https://acme-api.esper.cloud/api"]


def test_api_url_set_on_the_task_beats_esper_tenant_from_the_environment(monkeypatch):
    monkeypatch.setenv('ESPER_TENANT', 'acme')
    monkeypatch.delenv('ESPER_API_URL', raising=False)
    module = FakeModule(tenant='acme', api_url='http://127.0.0.1:8080/api')
    assert client_from_module(module).base_url == 'http://127.0.0.1:8080/api'
    assert module.warnings == ["Esper API: both tenant and api_url are set; api_url 'http://127.0.0.1:8080/api' (set on the task) "
                               "is used and tenant 'acme' (from ESPER_TENANT) is ignored, as api_url takes precedence over "
                               "tenant; the API is http://127.0.0.1:8080/api"]


def test_both_from_the_environment_api_url_wins_with_a_warning(monkeypatch):
    monkeypatch.setenv('ESPER_TENANT', 'acme')
    monkeypatch.setenv('ESPER_API_URL', 'http://127.0.0.1:8080/api')
    module = FakeModule(tenant='acme', api_url='http://127.0.0.1:8080/api')
    assert client_from_module(module).base_url == 'http://127.0.0.1:8080/api'
    assert len(module.warnings) == 1 and 'from ESPER_API_URL) is used' in module.warnings[0]


def test_tenant_and_api_url_naming_the_same_api_give_no_warning(monkeypatch):
    monkeypatch.setenv('ESPER_API_URL', 'https://acme-api.esper.cloud/api/')
    module = FakeModule(tenant='acme', api_url='https://acme-api.esper.cloud/api/')
    assert client_from_module(module).base_url == 'https://acme-api.esper.cloud/api'
    assert module.warnings == []


def test_tenant_from_the_task_beats_the_environment_through_the_argument_spec(monkeypatch):
    # The same decision on params built by the real argument spec (env_fallback fills api_url in).
    monkeypatch.setenv('ESPER_API_URL', 'http://127.0.0.1:8080/api')
    monkeypatch.setenv('ESPER_API_KEY', API_KEY)
    monkeypatch.delenv('ESPER_TENANT', raising=False)
    params = ArgumentSpecValidator(connection_argument_spec()).validate({'tenant': 'acme'}).validated_parameters
    module = FakeModule(**params)
    assert client_from_module(module).base_url == 'https://acme-api.esper.cloud/api'
