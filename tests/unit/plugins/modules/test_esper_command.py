# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the esper_command module: each test scripts the module's whole HTTP conversation."""

from __future__ import annotations

import functools
import json

import pytest
import requests
from ansible.module_utils import basic

from ansible_collections.esper.mdm.plugins.module_utils import _device_state as device_state
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import EsperModule
from ansible_collections.esper.mdm.plugins.module_utils._catalogue import COMMAND_NAMES
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK
from ansible_collections.esper.mdm.plugins.module_utils._submission import build_requests, empty_stats
from ansible_collections.esper.mdm.plugins.modules import esper_command
from ansible_collections.esper.mdm.tests.unit.conversation import (
    API_KEY,
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    content,
    device_id,
    group_id,
    page,
)
from ansible_collections.esper.mdm.tests.unit.module_harness import FakeTime, run_module

CMD_1 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000001'
CMD_2 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000002'
CMD_3 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000003'
OLD_1 = '9d0e6a4f-5b1c-4c1d-9e2f-0000000000a1'
OLD_2 = '9d0e6a4f-5b1c-4c1d-9e2f-0000000000a2'
PASSWORD = 'Correct-Horse-77'
DEVICES_PATH = 'v2/devices/'
GROUPS_PATH = 'enterprise/%s/devicegroup/' % ENTERPRISE_ID


def device(number, **extra):
    record = {'id': device_id(number), 'device_name': 'kiosk-%04d' % number, 'alias_name': None, 'api_level': 30,
              'status': 1, 'state': 1, 'timezone_string': 'UTC'}
    record.update(extra)
    return record


def group(number, device_count):
    return {'id': group_id(number), 'name': 'Store-%03d' % number, 'device_count': device_count, 'path': 'All/Store-%03d' % number}


FLEET = [device(number) for number in range(1, 6)]
STORES = [group(1, 3), group(2, 2)]


def device_listing(devices=None):
    return Exchange('GET', DEVICES_PATH, params={'limit': 1000, 'offset': 0}, body={'content': page(devices or FLEET, enveloped=False, prev_key='prev')})


def group_listing(groups=None):
    return Exchange('GET', GROUPS_PATH, params={'limit': 500, 'offset': 0}, body=page(groups or STORES, enveloped=False))


def platform_check(number, platforms, count=0):
    """The count of the group's devices on platforms the command does not support (0: the group is sent as a group)."""
    return Exchange('GET', DEVICES_PATH, params={'group_multi': group_id(number), 'platform': platforms, 'limit': 1, 'offset': 0},
                    body={'content': page([], count=count, enveloped=False, prev_key='prev')})


def group_members(number, members):
    return Exchange('GET', DEVICES_PATH, params={'group_multi': group_id(number)}, params_subset=True,
                    body={'content': page(members, enveloped=False, prev_key='prev')})


def devicestate(number, **values):
    return Exchange('GET', 'device/v0/devices/%s/devicestate' % device_id(number), body=values)


def open_requests(command, requests_found=()):
    """The look-up of identical requests still open, made by a state command that sends something."""
    return Exchange('GET', 'commands/v0/commands/', params={'command': command}, params_subset=True, body=page(list(requests_found)))


def created(command_id, body=None, created_at='2025-05-01T10:00:00Z'):
    return dict(body or {}, id=command_id, created_at=created_at, created_by='42', reason='')


def post(command_id, body=None):
    return Exchange('POST', 'commands/v0/commands/', json=body, status=201, body=content(created(command_id, body), code=201))


def stats(command_id, **totals):
    names = {'queued': 'Command Queued', 'in_progress': 'Command In Progress', 'scheduled': 'Command Scheduled',
             'success': 'Command Success', 'failure': 'Command Failure', 'timeout': 'Command TimeOut',
             'cancelled': 'Command Cancelled'}
    status = [{'state': names[key], 'total': total} for key, total in totals.items()]
    return Exchange('GET', 'commands/v0/commands/%s/stats/' % command_id, body=content({'id': command_id, 'status': status}))


def statuses(params, items):
    return Exchange('GET', 'commands/v0/status/', params=params, params_subset=True, body=page(items))


def status(command_id, number, state, reason='', updated_at='2025-05-01T10:00:09Z'):
    return {'id': 'st-%s-%d' % (command_id[-2:], number), 'request': command_id, 'device': device_id(number), 'state': state,
            'reason': reason, 'created_at': '2025-05-01T10:00:01Z', 'updated_at': updated_at}


def body_for(command, devices=(), groups=(), command_args=None, command_type=None, **extra):
    body = {'command_type': command_type or ('DYNAMIC' if devices and groups else 'DEVICE' if devices else 'GROUP')}
    if devices:
        body['devices'] = list(devices)
    if groups:
        body['groups'] = list(groups)
    body.update({'device_type': 'all', 'command': command, 'command_args': command_args or {}, 'schedule': 'IMMEDIATE'})
    body.update(extra)
    return body


@pytest.fixture
def sequential_state_reads(monkeypatch):
    """Read device state one device at a time so the scripted conversation sees a fixed order."""
    monkeypatch.setattr(esper_command, 'plan_state_command', functools.partial(device_state.plan_state_command, workers=1))


def run(args, exchanges, **options):
    conversation = Conversation(exchanges)
    result = run_module(esper_command.main, args, conversation, **options)
    conversation.assert_done()
    result['posts'] = conversation.count('POST')
    return result


# ---------------------------------------------------------------- actions


def test_reboot_by_name_sends_one_device_request_and_waits():
    body = body_for('REBOOT', [device_id(1), device_id(2)], alias='weekly')
    result = run({'command': 'REBOOT', 'devices': ['kiosk-0001', 'kiosk-0002'], 'alias': 'weekly'}, [
        device_listing(),
        post(CMD_1, body),
        stats(CMD_1, in_progress=2),
        stats(CMD_1, success=2),
    ])
    assert result.get('failed') is not True
    assert result['changed'] is True
    assert result['command_id'] == CMD_1 and result['command_ids'] == [CMD_1]
    assert result['request'] == body
    assert result['stats'] == dict(empty_stats(), total=2, success=2)
    assert result['skipped_devices'] == [] and result['failed_devices'] == [] and result['timed_out'] is False
    assert result['sleeps'] == [0.5]
    assert 'commands' not in result


def test_check_mode_makes_zero_posts_and_shows_the_request():
    result = run({'command': 'REBOOT', 'devices': ['kiosk-0001']}, [device_listing()], check_mode=True)
    assert result['posts'] == 0
    assert result['changed'] is True
    assert result['command_id'] is None and result['command_ids'] == []
    assert result['request'] == body_for('REBOOT', [device_id(1)])


def test_check_mode_diff_of_an_action_names_the_targets():
    result = run({'command': 'LOCK', 'groups': ['Store-001']}, [group_listing(), platform_check(1, 'LINUX')], check_mode=True,
                 diff=True)
    assert result['posts'] == 0
    assert result['diff'] == {'before': {}, 'after': {'command': 'LOCK', 'command_args': {}, 'groups': ['Store-001']}}


def test_group_action_waits_until_the_groups_devices_are_listed():
    body = body_for('REBOOT', groups=[group_id(1)])
    result = run({'command': 'REBOOT', 'groups': ['Store-001']}, [
        group_listing(),
        platform_check(1, 'LINUX'),
        post(CMD_1, body),
        stats(CMD_1),                       # fan-out not started: not "done"
        stats(CMD_1, success=1),            # 1 of the group's 3 devices known
        stats(CMD_1, success=3),
    ])
    assert result['request']['command_type'] == 'GROUP'
    assert result['stats']['success'] == 3
    assert len(result['sleeps']) == 2


def test_group_without_device_count_waits_for_any_device():
    body = body_for('REBOOT', groups=[group_id(1)])
    store = dict(group(1, 0))
    store.pop('device_count')
    result = run({'command': 'REBOOT', 'groups': ['Store-001']}, [
        group_listing([store]), platform_check(1, 'LINUX'), post(CMD_1, body), stats(CMD_1), stats(CMD_1, success=2),
    ])
    assert result['stats']['success'] == 2


def test_empty_group_action_completes_at_once():
    body = body_for('REBOOT', groups=[group_id(3)])
    result = run({'command': 'REBOOT', 'groups': ['Store-003']}, [
        group_listing(STORES + [group(3, 0)]), platform_check(3, 'LINUX'), post(CMD_1, body), stats(CMD_1),
    ])
    assert result.get('failed') is not True
    assert result['changed'] is True and result['stats'] == empty_stats()
    assert result['sleeps'] == []


def test_devices_and_groups_become_a_dynamic_request():
    body = body_for('UPDATE_HEARTBEAT', [device_id(5)], [group_id(2)])
    result = run({'command': 'UPDATE_HEARTBEAT', 'devices': ['kiosk-0005'], 'groups': [group_id(2)]}, [
        device_listing(), group_listing(), platform_check(2, 'APPLE,WINDOWS,LINUX'), post(CMD_1, body), stats(CMD_1, success=3),
    ])
    assert result['request']['command_type'] == 'DYNAMIC'
    assert result['command_id'] == CMD_1


def test_dynamic_request_waits_for_the_groups_devices_too():
    # The listed device reports at once; the group's 2 devices only once the fan-out has run.
    body = body_for('UPDATE_HEARTBEAT', [device_id(5)], [group_id(2)])
    result = run({'command': 'UPDATE_HEARTBEAT', 'devices': ['kiosk-0005'], 'groups': ['Store-002']}, [
        device_listing(), group_listing(), platform_check(2, 'APPLE,WINDOWS,LINUX'), post(CMD_1, body), stats(CMD_1, success=1),
        stats(CMD_1, success=3),
    ])
    assert result.get('failed') is not True
    assert result['stats'] == dict(empty_stats(), total=3, success=3)
    assert result['sleeps'] == [0.5]


def test_2500_devices_become_3_requests():
    fleet = [device(number) for number in range(1, 2501)]
    ids = [record['id'] for record in fleet]
    bodies = build_requests('REBOOT', {}, ids, [])
    result = run({'command': 'REBOOT', 'devices': ids}, [
        Exchange('GET', DEVICES_PATH, params={'limit': 1000, 'offset': 0}, body={'content': page(fleet, enveloped=False, prev_key='prev')}),
        post(CMD_1, bodies[0]), post(CMD_2, bodies[1]), post(CMD_3, bodies[2]),
        stats(CMD_1, success=1000), stats(CMD_2, success=1000), stats(CMD_3, success=500),
    ])
    assert result['posts'] == 3
    assert result['command_ids'] == [CMD_1, CMD_2, CMD_3]
    assert result['command_id'] == CMD_1
    assert result['stats']['success'] == 2500


def test_a_lost_post_response_adopts_the_stored_request_and_reports_one_command_id():
    fake_time = FakeTime()
    body = body_for('REBOOT', [device_id(1)])
    stored = created(CMD_1, body, created_at='2023-11-14T22:13:20Z')  # FakeTime's start: sent just now
    result = run({'command': 'REBOOT', 'devices': [device_id(1)]}, [
        Exchange('GET', DEVICES_PATH + device_id(1), body={'content': device(1)}),
        Exchange('POST', 'commands/v0/commands/', json=body, raises=requests.exceptions.ReadTimeout('read timed out')),
        Exchange('GET', 'commands/v0/commands/', params={'command': 'REBOOT', 'devices': device_id(1)}, params_subset=True,
                 body=page([created(OLD_1, body, created_at='2023-11-01T00:00:00Z'), stored])),
        stats(CMD_1, success=1),
    ], fake_time=fake_time)
    assert result.get('failed') is not True
    assert result['posts'] == 1
    assert result['command_id'] == CMD_1 and result['command_ids'] == [CMD_1]
    assert any('adopted the request %s' % CMD_1 in warning for warning in result['warnings'])


def test_no_wait_returns_after_the_post_with_the_first_stats():
    result = run({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'wait': False}, [
        device_listing(), post(CMD_1), stats(CMD_1, queued=1),
    ])
    assert result['changed'] is True
    assert result['stats'] == dict(empty_stats(), total=1, queued=1)
    assert result['sleeps'] == []


def test_failed_devices_fail_the_module_and_keep_ids_and_stats():
    result = run({'command': 'UNINSTALL', 'command_args': {'package_name': 'com.example.app'},
                  'devices': ['kiosk-0001', 'kiosk-0002', 'kiosk-0003'], 'max_devices': 3}, [
        device_listing(),
        post(CMD_1),
        stats(CMD_1, success=1, failure=1, timeout=1),
        statuses({'request': CMD_1, 'state': 'Command Failure'}, [status(CMD_1, 2, 'Command Failure', 'App not installed')]),
        statuses({'request': CMD_1, 'state': 'Command TimeOut'}, [status(CMD_1, 3, 'Command TimeOut')]),
    ])
    assert result['failed'] is True
    assert result['msg'].startswith('2 of 3 devices did not succeed (1 Command Failure, 1 Command TimeOut)')
    assert 'kiosk-0002: Command Failure (App not installed)' in result['msg']
    assert result['command_id'] == CMD_1 and result['stats']['success'] == 1
    assert [(entry['device_name'], entry['state']) for entry in result['failed_devices']] == [
        ('kiosk-0002', 'Command Failure'), ('kiosk-0003', 'Command TimeOut')]


def test_cancelled_devices_fail_the_module():
    result = run({'command': 'LOCK', 'devices': ['kiosk-0001']}, [
        device_listing(), post(CMD_1), stats(CMD_1, cancelled=1),
        statuses({'request': CMD_1, 'state': 'Command Cancelled'}, [status(CMD_1, 1, 'Command Cancelled', 'by admin')]),
    ])
    assert result['failed'] is True and '1 Command Cancelled' in result['msg']


def test_deadline_with_open_devices_fails_with_timed_out():
    exchanges = [device_listing(), post(CMD_1)] + [stats(CMD_1, queued=1, success=1)] * 5
    exchanges.append(statuses({'request': CMD_1, 'state': 'Command Queued'}, [status(CMD_1, 2, 'Command Queued')]))
    result = run({'command': 'REBOOT', 'devices': ['kiosk-0001', 'kiosk-0002'], 'wait_timeout': 3}, exchanges)
    assert result['failed'] is True and result['timed_out'] is True
    assert result['msg'] == ('1 device still open after 3s (1 Command Queued); queued devices may be offline. '
                             'kiosk-0002: Command Queued')
    assert result['failed_devices'] == [{'device': device_id(2), 'device_name': 'kiosk-0002', 'state': 'Command Queued',
                                         'reason': 'still Command Queued after 3s', 'command_id': CMD_1}]
    assert result['command_ids'] == [CMD_1]


def test_window_schedule_is_accepted_once_scheduled():
    schedule_args = {'name': 'night', 'start_datetime': '2035-06-01T22:00:00+02:00', 'end_datetime': '2035-06-02T04:00:00Z',
                     'time_type': 'device'}
    wire = {'name': 'night', 'start_datetime': '2035-06-01T20:00:00Z', 'end_datetime': '2035-06-02T04:00:00Z',
            'time_type': 'device'}
    body = body_for('REBOOT', [device_id(1)], schedule='WINDOW', schedule_args=wire)
    result = run({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'schedule': 'WINDOW', 'schedule_args': schedule_args}, [
        device_listing(), post(CMD_1, body), stats(CMD_1, scheduled=1),
    ])
    assert result.get('failed') is not True
    assert result['stats']['scheduled'] == 1 and result['sleeps'] == []


def test_recurring_schedule_is_sent_in_wire_form():
    schedule_args = {'name': 'nightly', 'start_datetime': '2035-06-01T00:00:00Z', 'end_datetime': '2035-07-01T00:00:00Z',
                     'time_type': 'console', 'window_start_time': '02:00', 'window_end_time': '04:00:00',
                     'days': ['monday', 'Friday']}
    wire = dict(schedule_args, window_start_time='02:00:00', days=['Monday', 'Friday'])
    body = body_for('REBOOT', groups=[group_id(1)], schedule='RECURRING', schedule_args=wire)
    result = run({'command': 'REBOOT', 'groups': ['Store-001'], 'schedule': 'RECURRING', 'schedule_args': schedule_args,
                  'wait': False}, [group_listing(), platform_check(1, 'LINUX'), post(CMD_1, body), stats(CMD_1)])
    assert result['request']['schedule_args'] == wire


# ---------------------------------------------------------------- state commands


def test_state_command_to_devices_already_in_that_state_makes_zero_posts(sequential_state_reads):
    result = run({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 60},
                  'devices': ['kiosk-0001', 'kiosk-0002']}, [
        device_listing(),
        devicestate(1, brightness_scale=60, wifi_state=True),
        devicestate(2, brightness_scale=60, wifi_state=False),
    ])
    assert result['posts'] == 0
    assert result['changed'] is False
    assert result['command_id'] is None and result['request'] is None
    assert result['skipped_devices'] == [
        {'device': device_id(1), 'device_name': 'kiosk-0001', 'reason': 'already brightness_scale=60'},
        {'device': device_id(2), 'device_name': 'kiosk-0002', 'reason': 'already brightness_scale=60'}]


def test_state_command_expands_groups_and_sends_only_to_differing_devices(sequential_state_reads):
    body = body_for('SET_WIFI_STATE', [device_id(2)], command_args={'wifi_state': True})
    result = run({'command': 'SET_WIFI_STATE', 'command_args': {'wifi_state': 'yes'}, 'groups': ['Store-001']}, [
        group_listing(),
        group_members(1, [device(1), device(2), device(3)]),
        devicestate(1, wifi_state=True),
        devicestate(2, wifi_state=False),
        devicestate(3, wifi_state=True),
        open_requests('SET_WIFI_STATE'),
        post(CMD_1, body),
        stats(CMD_1, success=1),
    ], diff=True)
    assert result['changed'] is True
    assert result['request'] == body
    assert [entry['device_name'] for entry in result['skipped_devices']] == ['kiosk-0001', 'kiosk-0003']
    assert result['diff'] == {'before': {'kiosk-0002': {'wifi_state': False}}, 'after': {'kiosk-0002': {'wifi_state': True}}}


def test_state_command_check_mode_reads_state_and_shows_the_diff(sequential_state_reads):
    result = run({'command': 'SET_ROTATION_STATE', 'command_args': {'rotate_state': 1}, 'devices': ['kiosk-0001', 'kiosk-0002']}, [
        device_listing(),
        devicestate(1, rotation_state='AUTO'),
        devicestate(2, rotation_state='PORTRAIT_ONLY'),
        open_requests('SET_ROTATION_STATE'),
    ], check_mode=True, diff=True)
    assert result['posts'] == 0
    assert result['changed'] is True
    assert result['request'] == body_for('SET_ROTATION_STATE', [device_id(1)], command_args={'rotate_state': 1})
    assert result['diff'] == {'before': {'kiosk-0001': {'rotation_state': 'AUTO'}},
                              'after': {'kiosk-0001': {'rotation_state': 'PORTRAIT_ONLY'}}}


def test_state_command_is_not_queued_again_for_a_device_with_an_identical_open_request(sequential_state_reads):
    queued = created(OLD_1, body_for('SET_BRIGHTNESS_SCALE', [device_id(1)], command_args={'brightness_value': 60}))
    body = body_for('SET_BRIGHTNESS_SCALE', [device_id(2)], command_args={'brightness_value': 60})
    result = run({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 60},
                  'devices': ['kiosk-0001', 'kiosk-0002', 'kiosk-0003']}, [
        device_listing(),
        devicestate(1, brightness_scale=30),
        devicestate(2, brightness_scale=30),
        devicestate(3, brightness_scale=60),
        open_requests('SET_BRIGHTNESS_SCALE', [queued]),
        statuses({'request': OLD_1, 'device': '%s,%s' % (device_id(1), device_id(2))}, [status(OLD_1, 1, 'Command Queued')]),
        post(CMD_1, body),
        stats(CMD_1, success=1),
    ], diff=True)
    assert result['request'] == body
    assert result['skipped_devices'] == [
        {'device': device_id(1), 'device_name': 'kiosk-0001', 'command_id': OLD_1,
         'reason': 'an identical SET_BRIGHTNESS_SCALE request %s is still open (Command Queued)' % OLD_1},
        {'device': device_id(3), 'device_name': 'kiosk-0003', 'reason': 'already brightness_scale=60'}]
    assert result['diff'] == {'before': {'kiosk-0002': {'brightness_scale': 30}}, 'after': {'kiosk-0002': {'brightness_scale': 60}}}


def test_timezone_is_compared_with_the_device_record_without_extra_reads():
    result = run({'command': 'SET_TIMEZONE', 'command_args': {'timezone_string': 'UTC'}, 'devices': ['kiosk-0001']},
                 [device_listing()])
    assert result['posts'] == 0 and result['changed'] is False


def test_force_skips_the_state_check_and_keeps_the_group_target():
    body = body_for('SET_GPS_STATE', groups=[group_id(2)], command_args={'gps_state': 3})
    result = run({'command': 'SET_GPS_STATE', 'command_args': {'gps_state': '3'}, 'groups': ['Store-002'], 'force': True}, [
        group_listing(), platform_check(2, 'APPLE,WINDOWS,LINUX'), post(CMD_1, body), stats(CMD_1, success=2),
    ])
    assert result['changed'] is True and result['request'] == body


# ---------------------------------------------------------------- once


def history(requests_found, status_items):
    return [
        Exchange('GET', 'commands/v0/commands/', params={'command': 'INSTALL'}, params_subset=True, body=page(requests_found)),
        statuses({}, status_items),
    ]


def install_request(command_id, app_version, created_at):
    return created(command_id, body_for('INSTALL', [device_id(1), device_id(2), device_id(3)],
                                        command_args={'app_version': app_version}), created_at=created_at)


APP = '0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11'
OTHER_APP = '0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d22'


def test_once_sends_only_to_devices_that_did_not_finish_an_identical_request():
    found = [install_request(OLD_1, APP, '2025-05-01T10:00:00Z'), install_request(OLD_2, OTHER_APP, '2025-05-02T10:00:00Z')]
    body = body_for('INSTALL', [device_id(3), device_id(4)], command_args={'app_version': APP})
    result = run({'command': 'INSTALL', 'command_args': {'app_version': APP}, 'groups': ['Store-001'], 'once': True},
                 [group_listing(), group_members(1, [device(1), device(2), device(3), device(4)])]
                 + history(found, [status(OLD_1, 1, 'Command Success'), status(OLD_1, 2, 'Command Queued'),
                                   status(OLD_1, 3, 'Command Failure', 'no space')])
                 + [post(CMD_1, body), stats(CMD_1, success=2)])
    assert result['request'] == body
    assert result['skipped_devices'] == [
        {'device': device_id(1), 'device_name': 'kiosk-0001', 'command_id': OLD_1,
         'reason': 'already completed an identical INSTALL request %s (Command Success)' % OLD_1},
        {'device': device_id(2), 'device_name': 'kiosk-0002', 'command_id': OLD_1,
         'reason': 'still running an identical INSTALL request %s (Command Queued)' % OLD_1}]


def test_once_sends_nothing_when_every_device_already_ran_it():
    found = [install_request(OLD_1, APP, '2025-05-01T10:00:00Z')]
    result = run({'command': 'INSTALL', 'command_args': {'app_version': APP}, 'devices': ['kiosk-0001', 'kiosk-0002'],
                  'once': True},
                 [device_listing()] + history(found, [status(OLD_1, 1, 'Command Success'), status(OLD_1, 2, 'Command Success')]))
    assert result['posts'] == 0 and result['changed'] is False
    assert len(result['skipped_devices']) == 2


# ---------------------------------------------------------------- secrets


def test_secret_arguments_never_appear_in_the_result(monkeypatch):
    registered = []
    real_add = EsperModule.add_secrets

    def recording_add(module, values):
        values = set(values)
        real_add(module, values)
        registered.extend(value for value in module.no_log_values if value in values)

    monkeypatch.setattr(EsperModule, 'add_secrets', recording_add)
    result = run({'command': 'RESET_LOCKSCREEN_PASSWORD', 'command_args': {'new_lockscreen_password': PASSWORD},
                  'devices': ['kiosk-0001'], 'max_devices': 1}, [
        device_listing(),
        Exchange('POST', 'commands/v0/commands/', check=lambda record: record['json']['command_args'] == {
            'new_lockscreen_password': PASSWORD}, status=201, body=content(created(CMD_1))),
        stats(CMD_1, failure=1),
        statuses({'request': CMD_1, 'state': 'Command Failure'}, [status(CMD_1, 1, 'Command Failure', 'rejected %s' % PASSWORD)]),
    ], diff=True, monkeypatch=monkeypatch)
    assert result['failed'] is True
    assert result['request']['command_args'] == {'new_lockscreen_password': MASK}
    assert result['diff']['after']['command_args'] == {'new_lockscreen_password': MASK}
    assert result['failed_devices'][0]['reason'] == 'rejected %s' % MASK
    assert PASSWORD not in json.dumps(result)
    # Ansible's own output scrubbing (invocation, -vvv) gets the value too (registered as the arguments are loaded and again by run_plans).
    # The API key is registered with the redactor too, so no slice of it reaches a message.
    assert registered and set(registered) == {PASSWORD, API_KEY}


def test_secret_arguments_never_reach_the_invocation_log(monkeypatch):
    # AnsibleModule logs its arguments to syslog or the journal as it starts; command_args is not a no_log option.
    logged = []
    monkeypatch.setattr(basic.AnsibleModule, 'log', lambda self, msg, log_args=None: logged.append((msg, dict(log_args or {}))))
    result = run({'command': 'RESET_LOCKSCREEN_PASSWORD', 'command_args': {'new_lockscreen_password': PASSWORD},
                  'devices': ['kiosk-0001'], 'max_devices': 1}, [device_listing()], check_mode=True, monkeypatch=monkeypatch)
    assert result['changed'] is True
    assert len(logged) == 1 and logged[0][0].startswith('Invoked with ')
    assert 'new_lockscreen_password' in logged[0][1]['command_args']
    assert PASSWORD not in repr(logged)


def test_secret_values_are_not_echoed_in_validation_errors():
    result = run({'command': 'RESET_LOCKSCREEN_PASSWORD', 'command_args': {'new_lockscreen_password': 1234},
                  'devices': ['kiosk-0001']}, [])
    assert result['failed'] is True
    assert 'new_lockscreen_password' in result['msg'] and '1234' not in result['msg']


# ---------------------------------------------------------------- bad input: errors before any request


@pytest.mark.parametrize('args, fragment', [
    ({'command': 'REBOOT'}, 'at least one of devices or groups is required'),
    ({'command': 'SET_BRIGHTNESS_SCALE', 'devices': ['kiosk-0001']}, 'command_args.brightness_value is required'),
    ({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 150}, 'devices': ['kiosk-0001']},
     'command_args.brightness_value must be an integer from 1 to 100, got 150'),
    ({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightnes_value': 50}, 'devices': ['kiosk-0001']},
     'command_args.brightnes_value is not an argument of SET_BRIGHTNESS_SCALE'),
    ({'command': 'REBOOT', 'command_args': {'force': True}, 'devices': ['kiosk-0001']}, 'is not an argument of REBOOT'),
    ({'command': 'SET_SCREEN_OFF_TIMEOUT', 'command_args': {'screen_off_timeout': 1000}, 'devices': ['kiosk-0001']},
     'command_args.screen_off_timeout must be -1 or an integer from 5000 to 1800000'),
    ({'command': 'SET_GPS_STATE', 'command_args': {'gps_state': 5}, 'devices': ['kiosk-0001']}, 'command_args.gps_state must be'),
    ({'command': 'SET_ROTATION_STATE', 'command_args': {'rotate_state': -1}, 'devices': ['kiosk-0001']}, 'command_args.rotate_state must be'),
    ({'command': 'SET_STREAM_VOLUME', 'command_args': {'stream': 4, 'volume_level': 101}, 'devices': ['kiosk-0001']},
     'command_args.volume_level must be'),
    ({'command': 'BEEP_DEVICE', 'command_args': {'duration': '5'}, 'devices': ['kiosk-0001']}, 'command_args.duration must be'),
    ({'command': 'BEEP_DEVICE', 'command_args': {'duration': 'ten'}, 'devices': ['kiosk-0001']}, 'command_args.duration must be'),
    ({'command': 'SET_STATIC_IP', 'command_args': {'interface': 'wlan', 'dhcp_enabled': 'maybe', 'static_ip': '10.0.0.5',
                                                   'primary_dns': '10.0.0.1', 'subnet_mask': '33', 'gateway': '10.0.0.1'},
      'devices': ['kiosk-0001']}, 'command_args.subnet_mask must be'),
    ({'command': 'SET_STATIC_IP', 'command_args': {'interface': 'wlan', 'dhcp_enabled': 'maybe', 'static_ip': '10.0.0.5',
                                                   'primary_dns': '10.0.0.1', 'subnet_mask': '24', 'gateway': '10.0.0.1'},
      'devices': ['kiosk-0001']}, 'command_args.dhcp_enabled must be'),
    ({'command': 'REBOOT', 'devices': ['6f1c2d3e-0000-4a5b-8c9d-00000000001']}, 'devices[0] ' + repr('6f1c2d3e-0000-4a5b-8c9d-00000000001')),
    ({'command': 'REBOOT', 'groups': ['0b9a8c7d-1111-4e2f-9a0b-00000000000g']}, 'is not a valid UUID'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001', ' ']}, 'devices[1] is empty'),
    ({'command': 'REBOOT', 'groups': ['']}, 'groups[0] is empty'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'command_type': 'GROUP'}, 'command_type GROUP needs groups and no devices'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'schedule_args': {'name': 'x'}}, 'not used with schedule IMMEDIATE'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'schedule': 'WINDOW', 'schedule_args': {'name': 'x'}},
     'schedule_args.start_datetime is required for schedule WINDOW'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'schedule': 'WINDOW',
      'schedule_args': {'name': 'x', 'start_datetime': '2025-06-02T00:00:00Z', 'end_datetime': '2025-06-01T00:00:00Z',
                        'time_type': 'device'}}, 'must be later than schedule_args.start_datetime'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'schedule': 'RECURRING',
      'schedule_args': {'name': 'x', 'start_datetime': '2025-06-01T00:00:00Z', 'end_datetime': '2025-06-09T00:00:00Z',
                        'time_type': 'device', 'window_start_time': '25:00:00', 'window_end_time': '04:00:00',
                        'days': ['Funday']}}, 'schedule_args.window_start_time must be'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'schedule': 'RECURRING',
      'schedule_args': {'name': 'x', 'start_datetime': '2025-06-01T00:00:00Z', 'end_datetime': '2025-06-09T00:00:00Z',
                        'time_type': 'device', 'window_start_time': '02:00:00', 'window_end_time': '04:00:00',
                        'days': ['Funday']}}, 'schedule_args.days[0] must be one of'),
    ({'command': 'CLEAR_PASSCODE', 'devices': ['kiosk-0001'], 'schedule': 'WINDOW',
      'schedule_args': {'name': 'x', 'start_datetime': '2025-06-01T00:00:00Z', 'end_datetime': '2025-06-02T00:00:00Z',
                        'time_type': 'device'}}, 'CLEAR_PASSCODE cannot use schedule WINDOW'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'wait_timeout': -1}, 'wait_timeout must be 0 or more'),
    ({'command': 'SHUTDOWN_EVERYTHING', 'devices': ['kiosk-0001']}, 'value of command must be one of'),
    ({'command': 'REBOOT', 'devices': ['kiosk-0001'], 'device_type': 'active'}, 'value of device_type must be one of'),
])
def test_bad_input_fails_before_any_request(args, fragment):
    result = run(args, [])
    assert result['failed'] is True
    assert fragment in result['msg']


def test_every_input_problem_is_reported_at_once():
    result = run({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 0, 'colour': 'red'},
                  'devices': ['kiosk-0001'], 'command_type': 'GROUP', 'schedule': 'WINDOW'}, [])
    assert result['failed'] is True
    assert len(result['problems']) >= 4
    for fragment in ('brightness_value must be', 'colour is not an argument', 'command_type GROUP',
                     'schedule_args.name is required'):
        assert fragment in result['msg']


def test_unknown_device_name_fails_after_the_listing_and_before_any_post():
    result = run({'command': 'REBOOT', 'devices': ['kiosk-0001', 'kiosk-9999']}, [device_listing()])
    assert result['failed'] is True and result['posts'] == 0
    assert "device 'kiosk-9999' not found" in result['msg']


def test_ambiguous_group_name_fails_before_any_post():
    stores = STORES + [dict(group(3, 1), name='Store-001', path='Other/Store-001')]
    result = run({'command': 'REBOOT', 'groups': ['Store-001']}, [group_listing(stores)])
    assert result['failed'] is True and result['posts'] == 0
    assert "group name 'Store-001' matches 2 groups" in result['msg']


def test_api_errors_fail_cleanly_without_the_key():
    result = run({'command': 'REBOOT', 'devices': ['kiosk-0001']}, [
        Exchange('GET', DEVICES_PATH, status=401, body={'code': 401, 'message': 'Invalid token', 'content': {}})])
    assert result['failed'] is True
    assert 'HTTP 401' in result['msg'] and 'Invalid token' in result['msg']
    assert 'test-api-key' not in result['msg']


# ---------------------------------------------------------------- documentation


def test_documented_choices_match_the_catalogue():
    import yaml
    doc = yaml.safe_load(esper_command.DOCUMENTATION)
    assert doc['options']['command']['choices'] == COMMAND_NAMES
    args_text = ' '.join(doc['options']['command_args']['description'])
    for name in COMMAND_NAMES:
        assert name in args_text, name
    yaml.safe_load(esper_command.EXAMPLES)
    yaml.safe_load(esper_command.RETURN)


# ---------------------------------------------------------------- fleet-scale targets


def test_an_unknown_id_among_many_is_refused_before_the_first_of_several_batches():
    fleet = [device(number) for number in range(1, 2501)]
    unknown = device_id(7777)
    result = run({'command': 'REBOOT', 'devices': [d['id'] for d in fleet] + [unknown]}, [device_listing(fleet)])
    assert result['failed'] is True and result['posts'] == 0
    assert unknown in result['msg']


def test_a_few_ids_of_a_large_fleet_are_read_one_by_one_and_an_unknown_one_sends_nothing():
    first = [device(number) for number in range(1, 1001)]
    listing_page = Exchange('GET', DEVICES_PATH, params={'limit': 1000, 'offset': 0},
                            body={'content': page(first, count=50000, enveloped=False, prev_key='prev',
                                                  next_url='https://acme-api.esper.cloud/api/v2/devices/?limit=1000&offset=1000')})
    wanted = list(range(20001, 20030))
    unknown = device_id(99999)
    exchanges = [listing_page] + [Exchange('GET', DEVICES_PATH + device_id(n), body={'content': device(n)}) for n in wanted]
    exchanges.append(Exchange('GET', DEVICES_PATH + unknown, status=404, body={'code': 404, 'message': 'Not found', 'content': {}}))
    result = run({'command': 'REBOOT', 'devices': [device_id(n) for n in wanted] + [unknown]}, exchanges)
    assert result['failed'] is True and result['posts'] == 0
    assert unknown in result['msg']
