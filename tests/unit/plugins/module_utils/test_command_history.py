# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_command_history.py."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._command_history import (
    find_requests,
    is_open,
    is_success,
    latest_statuses,
    request_order_key,
)
from ansible_collections.esper.mdm.tests.unit.conversation import (
    BASE_URL,
    Exchange,
    device_id,
    page,
    request_id,
    scripted_client as make_client,
)

COMMANDS_PATH = 'commands/v0/commands/'
STATUS_PATH = 'commands/v0/status/'


def command_request(number, command, created_at, args=None):
    return {'id': request_id(number), 'command': command, 'command_type': 'DEVICE', 'devices': [],
            'groups': [], 'command_args': args or {}, 'schedule': 'IMMEDIATE', 'created_at': created_at}


def status(request_number, device_number, state, updated_at='2025-05-01T10:00:09Z'):
    return {'id': 'st-%d-%d' % (request_number, device_number), 'request': request_id(request_number),
            'device': device_id(device_number), 'state': state, 'reason': '', 'created_at': '2025-05-01T10:00:01Z',
            'updated_at': updated_at}


def listing(path, pages, params):
    """Exchanges for one paginated content-envelope listing split into the given pages."""
    total = sum(len(items) for items in pages)
    exchanges = []
    offset = 0
    for index, items in enumerate(pages):
        offset += len(items)
        query = urlencode(dict(params, limit=len(items), offset=offset))
        # Like the API, next links carry the filters along with limit and offset.
        following = '%s/%s?%s' % (BASE_URL, path, query) if index + 1 < len(pages) else None
        exchanges.append(Exchange('GET', path, params=params, params_subset=True,
                                  body=page(items, count=total, next_url=following)))
    return exchanges


def commands_listing(command, pages):
    return listing(COMMANDS_PATH, pages, {'command': command})


def status_listing(request_numbers, device_numbers, pages):
    params = {'request': ','.join(request_id(n) for n in request_numbers),
              'device': ','.join(device_id(n) for n in device_numbers)}
    return listing(STATUS_PATH, pages, params)


# --- request_order_key -----------------------------------------------------------------------

def test_order_key_compares_across_zones_and_puts_missing_times_first():
    assert request_order_key({'created_at': '2025-05-01T12:00:00+02:00'}) == request_order_key({'created_at': '2025-05-01T10:00:00Z'})
    assert request_order_key({'created_at': '2025-05-01T10:00:00.5Z'}) > request_order_key({'created_at': '2025-05-01T10:00:00Z'})
    assert request_order_key({'created_at': 'yesterday'}) < request_order_key({'created_at': '1970-01-01T00:00:00Z'})
    assert request_order_key({}) < request_order_key({'created_at': '1970-01-01T00:00:00Z'})
    same_request = {'created_at': '2025-05-01T10:00:00Z'}
    assert request_order_key(same_request, {'updated_at': '2025-05-01T10:00:02Z'}) > request_order_key(same_request, {'updated_at': '2025-05-01T10:00:01Z'})
    assert request_order_key(same_request, {'updated_at': None}) < request_order_key(same_request, {'updated_at': '2025-05-01T10:00:01Z'})


# --- is_open / is_success --------------------------------------------------------------------

@pytest.mark.parametrize('state, open_, success', [
    ('Command Queued', True, False),
    ('Command Initiated', True, False),
    ('Command Acknowledged', True, False),
    ('Command In Progress', True, False),
    ('Command Scheduled', True, False),
    ('Command Success', False, True),
    ('Command Failure', False, False),
    ('Command TimeOut', False, False),
    ('Command Cancelled', False, False),
    (None, False, False),
])
def test_is_open_and_is_success(state, open_, success):
    assert is_open({'state': state}) is open_
    assert is_success({'state': state}) is success
    assert is_open(state) is open_
    assert is_success(state) is success


# --- find_requests ---------------------------------------------------------------------------

def test_find_requests_pages_each_command_filters_and_sorts_newest_first():
    install = [command_request(1, 'INSTALL_CERTIFICATE', '2025-05-01T10:00:00Z', {'cert_alias': 'corp'}),
               command_request(2, 'INSTALL_CERTIFICATE', '2025-05-03T10:00:00Z', {'cert_alias': 'other'}),
               command_request(3, 'INSTALL_CERTIFICATE', '2025-05-02T10:00:00Z', {'cert_alias': 'corp'})]
    uninstall = [command_request(4, 'UNINSTALL_CERTIFICATE', '2025-05-04T10:00:00Z', {'cert_alias': 'corp'}),
                 command_request(1, 'INSTALL_CERTIFICATE', '2025-05-01T10:00:00Z', {'cert_alias': 'corp'})]
    client, conversation = make_client(commands_listing('INSTALL_CERTIFICATE', [install[:2], install[2:]])
                                       + commands_listing('UNINSTALL_CERTIFICATE', [uninstall]))
    found = find_requests(client, ['INSTALL_CERTIFICATE', 'UNINSTALL_CERTIFICATE'],
                          request_filter=lambda request: request['command_args'].get('cert_alias') == 'corp')
    assert [r['id'] for r in found] == [request_id(4), request_id(3), request_id(1)]
    conversation.assert_done()


def test_find_requests_accepts_one_name_and_no_filter():
    requests = [command_request(1, 'REBOOT', '2025-05-01T10:00:00Z'), command_request(2, 'REBOOT', '2025-05-02T10:00:00Z')]
    client, conversation = make_client(commands_listing('REBOOT', [requests]))
    assert [r['id'] for r in find_requests(client, 'REBOOT')] == [request_id(2), request_id(1)]
    conversation.assert_done()


# --- latest_statuses -------------------------------------------------------------------------

def test_newest_request_wins_for_each_device():
    # Request 2 is newer although its text sorts lower: 09:00 in UTC-03:00 is 12:00Z.
    requests = [command_request(1, 'ADD_WIFI_AP', '2025-05-02T10:00:00.123456Z'),
                command_request(2, 'ADD_WIFI_AP', '2025-05-02T09:00:00-03:00')]
    statuses = [status(2, 1, 'Command Failure'), status(1, 1, 'Command Success'),
                status(1, 2, 'Command Success'), status(2, 3, 'Command Queued')]
    client, conversation = make_client(commands_listing('ADD_WIFI_AP', [requests])
                                       + status_listing([2, 1], [1, 2, 3, 4], [statuses[:2], statuses[2:]]))
    latest = latest_statuses(client, ['ADD_WIFI_AP'], [device_id(n) for n in (1, 2, 3, 4)])
    assert sorted(latest) == [device_id(1), device_id(2), device_id(3)]
    assert latest[device_id(1)]['request']['id'] == request_id(2)
    assert latest[device_id(1)]['status']['state'] == 'Command Failure'
    assert latest[device_id(2)]['request']['id'] == request_id(1)
    assert is_success(latest[device_id(2)]['status'])
    assert is_open(latest[device_id(3)]['status'])
    conversation.assert_done()


def test_ties_on_request_time_go_to_the_latest_status_update():
    requests = [command_request(1, 'ADD_WIFI_AP', '2025-05-01T10:00:00Z'),
                command_request(2, 'ADD_WIFI_AP', '2025-05-01T10:00:00Z')]
    statuses = [status(1, 1, 'Command Success', updated_at='2025-05-01T10:05:00Z'),
                status(2, 1, 'Command Failure', updated_at='2025-05-01T10:01:00Z')]
    client, conversation = make_client(commands_listing('ADD_WIFI_AP', [requests])
                                       + status_listing([1, 2], [1], [statuses]))
    latest = latest_statuses(client, 'ADD_WIFI_AP', [device_id(1)])
    assert latest[device_id(1)]['request']['id'] == request_id(1)
    assert latest[device_id(1)]['status']['state'] == 'Command Success'
    conversation.assert_done()


def test_filtered_out_requests_are_never_asked_about_and_their_statuses_ignored():
    requests = [command_request(1, 'INSTALL_CERTIFICATE', '2025-05-01T10:00:00Z', {'cert_alias': 'corp'}),
                command_request(2, 'INSTALL_CERTIFICATE', '2025-05-05T10:00:00Z', {'cert_alias': 'other'})]
    # The status listing is asked only about request 1; a stray status of request 2 in the reply is ignored,
    # as is one for a device nobody asked about.
    statuses = [status(2, 1, 'Command Failure'), status(1, 1, 'Command Success'), status(1, 9, 'Command Success')]
    client, conversation = make_client(commands_listing('INSTALL_CERTIFICATE', [requests])
                                       + status_listing([1], [1], [statuses]))
    latest = latest_statuses(client, ['INSTALL_CERTIFICATE'], [device_id(1)],
                             request_filter=lambda request: request['command_args']['cert_alias'] == 'corp')
    assert list(latest) == [device_id(1)]
    assert latest[device_id(1)]['status']['state'] == 'Command Success'
    conversation.assert_done()


def test_no_matching_request_means_no_status_call():
    client, conversation = make_client(commands_listing('REBOOT', [[]]))
    assert latest_statuses(client, ['REBOOT'], [device_id(1)]) == {}
    conversation.assert_done()


def test_device_ids_are_matched_whatever_their_case():
    requests = [command_request(1, 'REBOOT', '2025-05-01T10:00:00Z')]
    caller_id = device_id(1).upper()
    client, conversation = make_client(
        commands_listing('REBOOT', [requests])
        + listing(STATUS_PATH, [[status(1, 1, 'Command Success')]], {'request': request_id(1), 'device': caller_id}))
    latest = latest_statuses(client, ['REBOOT'], [caller_id])
    assert list(latest) == [caller_id]
    conversation.assert_done()


def test_request_and_device_csvs_are_batched():
    requests = [command_request(n, 'REBOOT', '2025-05-01T10:%02d:00Z' % (n % 60)) for n in range(1, 61)]
    # find_requests sorts newest first: minutes 59..1 then minute 0 (request 60) last.
    newest_first = list(range(59, 0, -1)) + [60]
    devices = list(range(1, 121))
    exchanges = commands_listing('REBOOT', [requests[:30], requests[30:]])
    exchanges += status_listing(newest_first[:50], devices[:100], [[status(59, 1, 'Command Success')]])
    exchanges += status_listing(newest_first[:50], devices[100:], [[status(10, 120, 'Command Failure')]])
    exchanges += status_listing(newest_first[50:], devices[:100], [[status(5, 1, 'Command Failure')]])
    exchanges += status_listing(newest_first[50:], devices[100:], [[]])
    client, conversation = make_client(exchanges)
    latest = latest_statuses(client, ['REBOOT'], [device_id(n) for n in devices])
    conversation.assert_done()
    assert conversation.count('GET', STATUS_PATH) == 4
    assert latest[device_id(1)]['request']['id'] == request_id(59)
    assert latest[device_id(120)]['status']['state'] == 'Command Failure'
    assert sorted(latest) == [device_id(1), device_id(120)]
