# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""What each device last got for a command: the newest matching command request and its status there.

esper_command's ``once``, esper_certificate and esper_wifi use this to decide whether a device still needs a
command (CONTRACT §2.3, §3.1).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import normalise_command_args
from ansible_collections.esper.mdm.plugins.module_utils._client import COMMANDS_PATH, STATUS_PATH, parse_iso8601

# CSV filters are batched so that URLs stay short.
REQUEST_BATCH_SIZE = 50
DEVICE_BATCH_SIZE = 100

OPEN_STATES = frozenset([
    'Command Queued',
    'Command Initiated',
    'Command Acknowledged',
    'Command In Progress',
    'Command Scheduled',
])
SUCCESS_STATE = 'Command Success'


def request_order_key(request, status=None):
    """Sort key of a (request, status) pair: request created_at, then status updated_at; missing times sort first."""
    created = parse_iso8601(request.get('created_at')) if isinstance(request, dict) else None
    updated = parse_iso8601(status.get('updated_at')) if isinstance(status, dict) else None
    return (float('-inf') if created is None else created, float('-inf') if updated is None else updated)


def same_request_filter(command, command_args):
    """A request_filter accepting requests of command whose normalised command_args equal these."""
    wanted = normalise_command_args(command, command_args)

    def accept(request):
        if request.get('command') != command:
            return False
        try:
            return normalise_command_args(command, request.get('command_args') or {}) == wanted
        except ValueError:
            return False  # stored arguments that no longer validate cannot be the same request
    return accept


def _names(command_names):
    if isinstance(command_names, str):
        return [command_names]
    return list(command_names or [])


def find_requests(client, command_names, request_filter=None):
    """Every CommandRequest for the given command name(s) that request_filter accepts, newest first.

    One paginated listing of commands/v0/commands/?command=<name> per name; requests are kept when
    request_filter is None or request_filter(request) is true, and each id appears once.
    """
    requests = []
    seen_ids = set()
    for name in _names(command_names):
        for request in client.paginate(COMMANDS_PATH, params={'command': name}):
            if not isinstance(request, dict) or request.get('id') in seen_ids:
                continue
            if request_filter is not None and not request_filter(request):
                continue
            seen_ids.add(request.get('id'))
            requests.append(request)
    # sorted() is stable, so requests created at the same moment keep the API's order.
    return sorted(requests, key=request_order_key, reverse=True)


def _batches(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def latest_statuses(client, command_names, device_ids, request_filter=None, status_filter=None):
    """Map each device id to {'request': CommandRequest, 'status': CommandStatus} of its newest matching request.

    Newest means the latest request created_at, ties broken by the latest status updated_at. Statuses are read
    with commands/v0/status/?request=<csv>&device=<csv> (50 request ids, 100 device ids per call), paginated.
    status_filter, when given, keeps only the statuses it accepts (for example open or successful ones).
    Devices with no (accepted) status in any matching request are left out.
    """
    device_ids = [str(device_id) for device_id in device_ids or []]
    requests = find_requests(client, command_names, request_filter)
    if not requests or not device_ids:
        return {}
    requests_by_id = dict((str(request.get('id')), request) for request in requests)
    # Status bodies may spell UUIDs in another case than the caller; results use the caller's spelling.
    wanted_devices = dict((device_id.lower(), device_id) for device_id in device_ids)
    request_ids = list(requests_by_id)
    unique_device_ids = list(wanted_devices.values())
    latest = {}
    latest_keys = {}
    for request_batch in _batches(request_ids, REQUEST_BATCH_SIZE):
        for device_batch in _batches(unique_device_ids, DEVICE_BATCH_SIZE):
            params = {'request': ','.join(request_batch), 'device': ','.join(device_batch)}
            for status in client.paginate(STATUS_PATH, params=params):
                if not isinstance(status, dict):
                    continue
                request = requests_by_id.get(str(status.get('request')))
                device_id = wanted_devices.get(str(status.get('device')).lower())
                if request is None or device_id is None or (status_filter is not None and not status_filter(status)):
                    continue
                key = request_order_key(request, status)
                if device_id not in latest_keys or key > latest_keys[device_id]:
                    latest_keys[device_id] = key
                    latest[device_id] = {'request': request, 'status': status}
    return latest


def _state(status):
    if isinstance(status, dict):
        return status.get('state')
    return status


def is_open(status):
    """True when the status (a CommandStatus dict or its state string) may still change: queued .. scheduled."""
    return _state(status) in OPEN_STATES


def is_success(status):
    """True when the status (a CommandStatus dict or its state string) is Command Success."""
    return _state(status) == SUCCESS_STATE
