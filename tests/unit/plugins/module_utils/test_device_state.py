# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_device_state.py."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import COMMANDS, StateSpec
from ansible_collections.esper.mdm.plugins.module_utils._client import EsperAuthError, EsperClient, EsperNotFoundError
from ansible_collections.esper.mdm.plugins.module_utils._device_state import (
    desired_value,
    for_each_device,
    plan_state_command,
    read_current_values,
    read_devicestates,
)
from ansible_collections.esper.mdm.tests.unit.conversation import (
    API_KEY,
    BASE_URL,
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    UnorderedSession,
    content,
    device_id,
    page,
    request_id,
    refuse_sleep as fake_sleep,
)

BRIGHTNESS = COMMANDS['SET_BRIGHTNESS_SCALE'].state
ROTATION = COMMANDS['SET_ROTATION_STATE'].state
WIFI = COMMANDS['SET_WIFI_STATE'].state
SAVED_ONLY = COMMANDS['USE_ONLY_SAVED_WIFI_AP'].state
SCREEN_OFF_TIMEOUT = COMMANDS['SET_SCREEN_OFF_TIMEOUT'].state
TIMEZONE = COMMANDS['SET_TIMEZONE'].state


def make_client(session):
    return EsperClient(BASE_URL, API_KEY, enterprise_id=ENTERPRISE_ID, session=session, sleep=fake_sleep)


def device(number, name=None, timezone='Europe/Berlin'):
    return {'id': device_id(number), 'device_name': name or 'device-%d' % number, 'timezone_string': timezone}


def state_path(number):
    return 'device/v0/devices/%s/devicestate' % device_id(number)


def settings(**values):
    body = {'gps_state': 'LOCATION_MODE_HIGH_ACCURACY', 'wifi_state': True, 'bluetooth_state': False,
            'brightness_scale': 60, 'screen_off_timeout': 60000, 'rotation_state': 'AUTO', 'use_only_saved_ap': False}
    body.update(values)
    return body


def not_found(number):
    return Exchange('GET', state_path(number), status=404, body=content({}, code=404, message='Device not found'))


COMMANDS_PATH = 'commands/v0/commands/'
STATUS_PATH = 'commands/v0/status/'


def history(command, requests=()):
    """The listing of command's requests that the open-request check reads (one page)."""
    return Exchange('GET', COMMANDS_PATH, params={'command': command}, params_subset=True, body=page(list(requests)))


def command_request(number, command, args, created_at):
    return {'id': request_id(number), 'command': command, 'command_type': 'DEVICE', 'devices': [], 'groups': [],
            'command_args': args, 'schedule': 'IMMEDIATE', 'created_at': created_at}


def status(request_number, device_number, state, updated_at='2025-05-01T10:00:09Z'):
    return {'id': 'st-%d-%d' % (request_number, device_number), 'request': request_id(request_number),
            'device': device_id(device_number), 'state': state, 'reason': '', 'created_at': '2025-05-01T10:00:01Z',
            'updated_at': updated_at}


def statuses(request_numbers, device_numbers, items):
    params = {'request': ','.join(request_id(n) for n in request_numbers),
              'device': ','.join(device_id(n) for n in device_numbers)}
    return Exchange('GET', STATUS_PATH, params=params, params_subset=True, body=page(items))


# --- for_each_device -------------------------------------------------------------------------

def test_for_each_device_maps_ids_in_input_order_and_passes_each_item_as_given():
    seen = []

    def read_one(item):
        seen.append(item)
        return 'read %s' % (item['device_name'] if isinstance(item, dict) else item)

    items = [device(3, 'till-3'), device_id(1), device(2, 'till-2')]
    results = for_each_device(items, read_one, workers=1)
    assert list(results.items()) == [(device_id(3), 'read till-3'), (device_id(1), 'read %s' % device_id(1)),
                                     (device_id(2), 'read till-2')]
    assert seen == items
    assert for_each_device([], read_one) == {} and for_each_device(None, read_one) == {}


def test_for_each_device_runs_in_parallel_once_each_and_keeps_input_order():
    numbers = list(range(1, 13))
    # Four calls must be running at once to pass the barrier; one at a time would break it.
    barrier = threading.Barrier(4, timeout=30)
    calls = []
    lock = threading.Lock()

    def read_one(item):
        with lock:
            calls.append(item)
        barrier.wait()
        return item[-2:]

    ids = [device_id(n) for n in reversed(numbers)]
    results = for_each_device(ids, read_one, workers=4)
    assert list(results.items()) == [(item, item[-2:]) for item in ids]
    assert sorted(calls) == sorted(ids)


def test_for_each_device_one_at_a_time_stops_at_the_first_error():
    calls = []

    def read_one(item):
        calls.append(item)
        if item == device_id(2):
            raise EsperAuthError('Invalid API key', status=401)
        return item

    with pytest.raises(EsperAuthError):
        for_each_device([device_id(n) for n in range(1, 5)], read_one, workers=1)
    assert calls == [device_id(1), device_id(2)]


def test_for_each_device_in_threads_raises_the_first_error_in_input_order_not_in_time():
    # Device 5 fails first in time; device 2 fails only after that, yet device 2 comes first in the input.
    # The short pause after device 5 has failed leaves a reader that raised in completion order time to see it.
    later_failed = threading.Event()

    def read_one(item):
        if item == device_id(5):
            later_failed.set()
            raise EsperNotFoundError('device 5 is gone', status=404)
        if item == device_id(2):
            assert later_failed.wait(30)
            time.sleep(0.1)
            raise EsperAuthError('Invalid API key', status=401)
        return item

    with pytest.raises(EsperAuthError):
        for_each_device([device_id(n) for n in range(1, 7)], read_one, workers=6)


def test_for_each_device_leaves_a_404_to_read_one():
    conversation = Conversation([Exchange('GET', state_path(1), body=settings()), not_found(2)])
    client = make_client(conversation)
    with pytest.raises(EsperNotFoundError):
        for_each_device([device_id(1), device_id(2)], lambda item: client.get('device/v0/devices/%s/devicestate' % item),
                        workers=1)
    conversation.assert_done()


# --- read_devicestates -----------------------------------------------------------------------

def test_read_devicestates_reads_each_device_once_and_notes_devices_without_state():
    conversation = Conversation([
        Exchange('GET', state_path(1), body=settings(wifi_state=False)),
        not_found(2),
        Exchange('GET', state_path(3), body=content(settings(use_only_saved_ap=True))),
    ])
    notes = []
    states = read_devicestates(make_client(conversation), [device(1), device(2, 'till-2'), device(3)], workers=1,
                               notes=notes)
    assert list(states) == [device_id(1), device_id(2), device_id(3)]
    assert states[device_id(1)] == settings(wifi_state=False)
    assert states[device_id(2)] is None
    assert states[device_id(3)] == settings(use_only_saved_ap=True)
    assert notes == ['device till-2 has no device state (HTTP 404); its current settings are unknown']
    conversation.assert_done()


def test_read_devicestates_in_threads_keeps_the_notes_in_device_order():
    replies = [(state_path(n), (404, content({}, code=404, message='Not found'))) for n in (1, 2, 3)]
    session = UnorderedSession(replies, barrier=threading.Barrier(3, timeout=30))
    notes = []
    states = read_devicestates(make_client(session), [device(3), device(1), device(2)], workers=3, notes=notes)
    assert states == {device_id(3): None, device_id(1): None, device_id(2): None}
    assert [note.split()[1] for note in notes] == ['device-3', 'device-1', 'device-2']


def test_two_settings_are_planned_from_one_devicestate_read_per_device():
    conversation = Conversation([
        Exchange('GET', state_path(1), body=settings(wifi_state=False, use_only_saved_ap=True)),
        Exchange('GET', state_path(2), body=settings(wifi_state=True, use_only_saved_ap=False)),
        history('SET_WIFI_STATE'),
        history('USE_ONLY_SAVED_WIFI_AP'),
    ])
    client = make_client(conversation)
    devices = [device(1), device(2)]
    states = read_devicestates(client, devices, workers=1)
    notes = []
    radio = plan_state_command(client, devices, WIFI, {'wifi_state': True}, notes=notes, states=states)
    lock = plan_state_command(client, devices, SAVED_ONLY, {'use_only_saved_ap': True}, notes=notes, states=states)
    conversation.assert_done()
    assert conversation.count('GET', 'device/') == 2
    assert [d['id'] for d in radio[0]] == [device_id(1)] and radio[2] == {'device-1': {'wifi_state': False}}
    assert [d['id'] for d in lock[0]] == [device_id(2)] and lock[2] == {'device-2': {'use_only_saved_ap': False}}
    assert notes == []


def test_plan_state_command_treats_a_device_missing_from_states_as_unknown():
    states = {device_id(1): settings(wifi_state=True), device_id(2): None}
    conversation = Conversation([history('SET_WIFI_STATE')])
    to_send, skipped, before, after = plan_state_command(make_client(conversation), [device(1), device(2), device(3)],
                                                         WIFI, {'wifi_state': True}, states=states)
    conversation.assert_done()
    assert [d['id'] for d in to_send] == [device_id(2), device_id(3)]
    assert skipped == [{'device': device_id(1), 'device_name': 'device-1', 'reason': 'already wifi_state=true'}]
    assert before == {'device-2': {'wifi_state': None}, 'device-3': {'wifi_state': None}}


def test_plan_state_command_ignores_states_for_a_setting_read_from_the_device_info():
    states = {device_id(1): {'timezone_string': 'UTC'}}
    to_send, skipped, dummy, dummy = plan_state_command(make_client(Conversation([])), [device(1, timezone='Asia/Tokyo')],
                                                        TIMEZONE, {'timezone_string': 'Asia/Tokyo'}, states=states)
    assert to_send == [] and skipped[0]['reason'] == 'already timezone_string=Asia/Tokyo'


# --- read_current_values ---------------------------------------------------------------------

def test_devicestate_read_accepts_bare_and_enveloped_bodies_without_trailing_slash():
    conversation = Conversation([
        Exchange('GET', state_path(1), body=settings(brightness_scale=40)),
        Exchange('GET', state_path(2), body=content(settings(brightness_scale=75))),
    ])
    values = read_current_values(make_client(conversation), [device(1), device(2)], BRIGHTNESS, workers=1)
    assert values == {device_id(1): 40, device_id(2): 75}
    conversation.assert_done()
    assert all(not r['url'].endswith('/') for r in conversation.requests)


def test_missing_field_reads_as_none():
    conversation = Conversation([Exchange('GET', state_path(1), body={'wifi_state': False})])
    assert read_current_values(make_client(conversation), [device(1)], BRIGHTNESS) == {device_id(1): None}
    conversation.assert_done()


def test_device_without_state_reads_as_none_with_a_note():
    conversation = Conversation([not_found(1), Exchange('GET', state_path(2), body=settings())])
    notes = []
    values = read_current_values(make_client(conversation), [device(1, 'till-1'), device(2)], WIFI, workers=1,
                                 notes=notes)
    assert values == {device_id(1): None, device_id(2): True}
    assert notes == ['device till-1 has no device state (HTTP 404); its current wifi_state is unknown']
    conversation.assert_done()


def test_device_source_reads_the_dict_in_hand_without_any_request():
    conversation = Conversation([])
    devices = [device(1, timezone='Asia/Tokyo'), {'id': device_id(2), 'device_name': 'no-tz'}]
    values = read_current_values(make_client(conversation), devices, TIMEZONE)
    assert values == {device_id(1): 'Asia/Tokyo', device_id(2): None}
    conversation.assert_done()


def test_first_error_propagates_as_the_clients_typed_error():
    conversation = Conversation([
        Exchange('GET', state_path(1), body=settings()),
        Exchange('GET', state_path(2), status=401, body=content({}, code=401, message='Invalid API key')),
    ])
    with pytest.raises(EsperAuthError):
        read_current_values(make_client(conversation), [device(1), device(2), device(3)], WIFI, workers=1)
    conversation.assert_done()


def test_thread_pool_reads_devices_in_parallel_once_each_and_keeps_input_order():
    numbers = list(range(1, 13))
    # Four requests must be in flight at once to pass the barrier; one at a time would break it.
    session = UnorderedSession(((state_path(n), (200, content(settings(brightness_scale=n * 5)))) for n in numbers),
                               barrier=threading.Barrier(4, timeout=30))
    devices = [device(n) for n in reversed(numbers)]
    values = read_current_values(make_client(session), devices, BRIGHTNESS, workers=4)
    assert list(values.items()) == [(device_id(n), n * 5) for n in reversed(numbers)]
    assert sorted(session.asked) == sorted(('GET', state_path(n)) for n in numbers)


def test_thread_pool_notes_follow_device_order():
    replies = [(state_path(n), (404, content({}, code=404, message='Not found'))) for n in (1, 2, 3)]
    session = UnorderedSession(replies)
    notes = []
    values = read_current_values(make_client(session), [device(3), device(1), device(2)], WIFI, workers=3, notes=notes)
    assert values == {device_id(1): None, device_id(2): None, device_id(3): None}
    assert [note.split()[1] for note in notes] == ['device-3', 'device-1', 'device-2']


def test_thread_pool_raises_the_typed_error():
    replies = [(state_path(1), (200, settings())), (state_path(2), (403, content({}, code=403, message='Forbidden')))]
    session = UnorderedSession(replies + [(state_path(n), (200, settings())) for n in range(3, 7)])
    with pytest.raises(EsperAuthError):
        read_current_values(make_client(session), [device(n) for n in range(1, 7)], WIFI, workers=3)


def test_unknown_source_is_a_programming_error():
    with pytest.raises(ValueError):
        read_current_values(make_client(Conversation([])), [device(1)], StateSpec('elsewhere', 'x', 'x', str))


# --- desired_value and plan_state_command ----------------------------------------------------

def test_desired_value_maps_the_argument_to_what_the_device_reports():
    assert desired_value(ROTATION, {'rotate_state': 2}) == 'LANDSCAPE_ONLY'
    assert desired_value(ROTATION, {'rotate_state': 7}) is None
    assert desired_value(BRIGHTNESS, {'brightness_value': 70}) == 70
    assert desired_value(WIFI, {'wifi_state': 0}) is False
    assert desired_value(BRIGHTNESS, {}) is None
    assert desired_value(StateSpec('devicestate', 'wifi_state', 'wifi_state', None), {'wifi_state': False}) is False


def test_plan_state_command_sends_only_where_the_value_differs_or_is_unknown():
    conversation = Conversation([
        Exchange('GET', state_path(1), body=settings(brightness_scale=60)),
        Exchange('GET', state_path(2), body=content(settings(brightness_scale=30))),
        not_found(3),
        Exchange('GET', state_path(4), body={'wifi_state': True}),
        history('SET_BRIGHTNESS_SCALE'),
    ])
    devices = [device(1, 'till-1'), device(2, 'till-2'), device(3, 'till-3'), device(4, 'till-4')]
    notes = []
    to_send, skipped, before, after = plan_state_command(make_client(conversation), devices, BRIGHTNESS,
                                                         {'brightness_value': 60}, workers=1, notes=notes)
    assert [d['id'] for d in to_send] == [device_id(2), device_id(3), device_id(4)]
    assert skipped == [{'device': device_id(1), 'device_name': 'till-1', 'reason': 'already brightness_scale=60'}]
    assert before == {'till-2': {'brightness_scale': 30}, 'till-3': {'brightness_scale': None},
                      'till-4': {'brightness_scale': None}}
    assert after == {'till-2': {'brightness_scale': 60}, 'till-3': {'brightness_scale': 60},
                     'till-4': {'brightness_scale': 60}}
    assert len(notes) == 1 and 'till-3' in notes[0]
    conversation.assert_done()


def test_plan_state_command_formats_booleans_and_does_not_confuse_them_with_numbers():
    conversation = Conversation([
        Exchange('GET', state_path(1), body=settings(wifi_state=False)),
        Exchange('GET', state_path(2), body=settings(wifi_state=0)),
        history('SET_WIFI_STATE'),
    ])
    to_send, skipped, before, after = plan_state_command(make_client(conversation), [device(1), device(2)], WIFI,
                                                         {'wifi_state': False}, workers=1)
    assert skipped == [{'device': device_id(1), 'device_name': 'device-1', 'reason': 'already wifi_state=false'}]
    assert [d['id'] for d in to_send] == [device_id(2)]
    assert before == {'device-2': {'wifi_state': 0}} and after == {'device-2': {'wifi_state': False}}
    conversation.assert_done()


def test_plan_state_command_treats_a_numeric_string_and_its_number_as_the_same_setting():
    conversation = Conversation([Exchange('GET', state_path(1), body=settings(screen_off_timeout='60000'))])
    to_send, skipped, before, after = plan_state_command(make_client(conversation), [device(1)], SCREEN_OFF_TIMEOUT,
                                                         {'screen_off_timeout': 60000}, workers=1)
    assert to_send == [] and before == {} and after == {}
    assert skipped[0]['reason'] == 'already screen_off_timeout=60000'
    conversation.assert_done()


def test_plan_state_command_from_device_info_reads_no_state_and_keeps_same_names_apart():
    conversation = Conversation([history('SET_TIMEZONE')])
    devices = [device(1, 'kiosk', timezone='UTC'), device(2, 'kiosk', timezone='Asia/Tokyo'),
               device(3, 'kiosk', timezone='Europe/Paris')]
    to_send, skipped, before, after = plan_state_command(make_client(conversation), devices, TIMEZONE,
                                                         {'timezone_string': 'Asia/Tokyo'})
    assert [d['id'] for d in to_send] == [device_id(1), device_id(3)]
    assert skipped == [{'device': device_id(2), 'device_name': 'kiosk', 'reason': 'already timezone_string=Asia/Tokyo'}]
    assert before == {'kiosk': {'timezone_string': 'UTC'}, 'kiosk (%s)' % device_id(3): {'timezone_string': 'Europe/Paris'}}
    assert after == {'kiosk': {'timezone_string': 'Asia/Tokyo'}, 'kiosk (%s)' % device_id(3): {'timezone_string': 'Asia/Tokyo'}}
    conversation.assert_done()


# --- identical requests still open (an offline device still reports its old value) ------------------------------

def test_device_with_an_identical_open_request_is_skipped_with_the_request_named():
    brightness_60 = command_request(7, 'SET_BRIGHTNESS_SCALE', {'brightness_value': 60}, '2025-05-01T10:00:00Z')
    conversation = Conversation([
        Exchange('GET', state_path(1), body=settings(brightness_scale=30)),
        Exchange('GET', state_path(2), body=settings(brightness_scale=30)),
        Exchange('GET', state_path(3), body=settings(brightness_scale=60)),
        history('SET_BRIGHTNESS_SCALE', [brightness_60]),
        # Only the devices that differ are looked up.
        statuses([7], [1, 2], [status(7, 1, 'Command Queued'), status(7, 2, 'Command Success')]),
    ])
    devices = [device(1, 'offline-till'), device(2, 'online-till'), device(3, 'done-till')]
    to_send, skipped, before, after = plan_state_command(make_client(conversation), devices, BRIGHTNESS,
                                                         {'brightness_value': 60}, workers=1)
    conversation.assert_done()
    # device 2 ran it but reports 30 again (changed on the device since): it gets the command again.
    assert [d['id'] for d in to_send] == [device_id(2)]
    assert skipped == [
        {'device': device_id(1), 'device_name': 'offline-till', 'command_id': request_id(7),
         'reason': 'an identical SET_BRIGHTNESS_SCALE request %s is still open (Command Queued)' % request_id(7)},
        {'device': device_id(3), 'device_name': 'done-till', 'reason': 'already brightness_scale=60'},
    ]
    assert before == {'online-till': {'brightness_scale': 30}} and after == {'online-till': {'brightness_scale': 60}}


@pytest.mark.parametrize('state', ['Command Initiated', 'Command Acknowledged', 'Command In Progress', 'Command Scheduled'])
def test_every_open_state_counts_as_open(state):
    wifi_off = command_request(3, 'SET_WIFI_STATE', {'wifi_state': False}, '2025-05-01T10:00:00Z')
    conversation = Conversation([history('SET_WIFI_STATE', [wifi_off]), statuses([3], [1], [status(3, 1, state)])])
    to_send, skipped, dummy, dummy = plan_state_command(make_client(conversation), [device(1)], WIFI, {'wifi_state': False},
                                                        states={device_id(1): settings(wifi_state=True)})
    conversation.assert_done()
    assert to_send == []
    assert skipped[0]['reason'] == 'an identical SET_WIFI_STATE request %s is still open (%s)' % (request_id(3), state)
    assert skipped[0]['command_id'] == request_id(3)


@pytest.mark.parametrize('state', ['Command Failure', 'Command Timeout', 'Command Cancelled', 'Command Success'])
def test_an_identical_request_that_is_no_longer_open_does_not_skip(state):
    brightness_60 = command_request(7, 'SET_BRIGHTNESS_SCALE', {'brightness_value': 60}, '2025-05-01T10:00:00Z')
    conversation = Conversation([history('SET_BRIGHTNESS_SCALE', [brightness_60]), statuses([7], [1], [status(7, 1, state)])])
    to_send, skipped, before, dummy = plan_state_command(make_client(conversation), [device(1)], BRIGHTNESS,
                                                         {'brightness_value': 60}, states={device_id(1): settings(brightness_scale=30)})
    conversation.assert_done()
    assert [d['id'] for d in to_send] == [device_id(1)] and skipped == []
    assert before == {'device-1': {'brightness_scale': 30}}


def test_an_open_request_with_other_arguments_does_not_skip():
    brightness_80 = command_request(7, 'SET_BRIGHTNESS_SCALE', {'brightness_value': 80}, '2025-05-01T10:00:00Z')
    conversation = Conversation([history('SET_BRIGHTNESS_SCALE', [brightness_80]), statuses([7], [1], [status(7, 1, 'Command Queued')])])
    to_send, skipped, dummy, dummy = plan_state_command(make_client(conversation), [device(1)], BRIGHTNESS,
                                                        {'brightness_value': 60}, states={device_id(1): settings(brightness_scale=30)})
    conversation.assert_done()
    assert [d['id'] for d in to_send] == [device_id(1)] and skipped == []


def test_a_newer_open_request_with_other_arguments_wins_over_an_older_identical_one():
    """60 then 30 are queued for an offline device; asking for 60 again must send it, or the device ends at 30."""
    brightness_60 = command_request(7, 'SET_BRIGHTNESS_SCALE', {'brightness_value': 60}, '2025-05-01T10:00:00Z')
    brightness_30 = command_request(8, 'SET_BRIGHTNESS_SCALE', {'brightness_value': 30}, '2025-05-01T11:00:00Z')
    conversation = Conversation([
        history('SET_BRIGHTNESS_SCALE', [brightness_60, brightness_30]),
        statuses([8, 7], [1], [status(7, 1, 'Command Queued'), status(8, 1, 'Command Queued')]),
    ])
    to_send, skipped, dummy, dummy = plan_state_command(make_client(conversation), [device(1)], BRIGHTNESS,
                                                        {'brightness_value': 60}, states={device_id(1): settings(brightness_scale=45)})
    conversation.assert_done()
    assert [d['id'] for d in to_send] == [device_id(1)] and skipped == []


def test_identical_arguments_are_compared_normalised():
    """A stored "60" (string) is the same request as 60; the group-targeted request counts by its device status."""
    stored = command_request(7, 'SET_BRIGHTNESS_SCALE', {'brightness_value': '60'}, '2025-05-01T10:00:00Z')
    stored['command_type'] = 'GROUP'
    conversation = Conversation([history('SET_BRIGHTNESS_SCALE', [stored]), statuses([7], [1], [status(7, 1, 'Command Queued')])])
    to_send, skipped, dummy, dummy = plan_state_command(make_client(conversation), [device(1)], BRIGHTNESS,
                                                        {'brightness_value': 60}, states={device_id(1): settings(brightness_scale=30)})
    conversation.assert_done()
    assert to_send == [] and skipped[0]['command_id'] == request_id(7)


def test_no_history_is_read_when_every_device_is_already_in_the_desired_state():
    conversation = Conversation([Exchange('GET', state_path(1), body=settings(brightness_scale=60)),
                                 Exchange('GET', state_path(2), body=settings(brightness_scale=60))])
    to_send, skipped, dummy, dummy = plan_state_command(make_client(conversation), [device(1), device(2)], BRIGHTNESS,
                                                        {'brightness_value': 60}, workers=1)
    conversation.assert_done()
    assert len(conversation.requests) == 2
    assert to_send == [] and [entry['reason'] for entry in skipped] == ['already brightness_scale=60'] * 2


def test_no_history_is_read_without_devices():
    conversation = Conversation([])
    assert plan_state_command(make_client(conversation), [], BRIGHTNESS, {'brightness_value': 60}) == ([], [], {}, {})
    assert conversation.requests == []


def test_a_state_spec_outside_the_catalogue_is_planned_without_the_history():
    custom = StateSpec('devicestate', 'brightness_scale', 'level', None)
    conversation = Conversation([])
    to_send, dummy, dummy, dummy = plan_state_command(make_client(conversation), [device(1)], custom, {'level': 70},
                                                      states={device_id(1): settings()})
    assert [d['id'] for d in to_send] == [device_id(1)] and conversation.requests == []


def test_the_command_can_be_named_explicitly():
    custom = StateSpec('devicestate', 'brightness_scale', 'brightness_value', None)
    conversation = Conversation([history('SET_BRIGHTNESS_SCALE')])
    to_send, dummy, dummy, dummy = plan_state_command(make_client(conversation), [device(1)], custom, {'brightness_value': 70},
                                                      states={device_id(1): settings()}, command='SET_BRIGHTNESS_SCALE')
    conversation.assert_done()
    assert [d['id'] for d in to_send] == [device_id(1)]
