# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for command_runner.run_plans: check mode, sending, waiting, results and secrets."""

from __future__ import annotations

import json

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperValidationError
from ansible.module_utils.testing import patch_module_args

from ansible_collections.esper.mdm.plugins.module_utils._command_runner import (
    CommandPlan,
    EsperModule,
    no_log_option_names,
    plan_for_targets,
    supported_devices,
    supported_targets,
    exclude_already_run,
    protect_command_args,
    run_plans,
    same_request_filter,
)
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK, collect_secrets
from ansible_collections.esper.mdm.plugins.module_utils._submission import build_requests, empty_stats
from ansible_collections.esper.mdm.plugins.module_utils._targets import TargetError
from ansible_collections.esper.mdm.tests.unit.conversation import (
    API_KEY,
    BASE_URL,
    Exchange,
    content,
    device_id,
    page,
)
from ansible_collections.esper.mdm.tests.unit.module_harness import FakeModule, timed_client as make_client

CMD_1 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000001'
CMD_2 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000002'
CMD_3 = '9d0e6a4f-5b1c-4c1d-9e2f-000000000003'
GROUP_1 = '0b9a8c7d-1111-4e2f-9a0b-000000000001'
PASSWORD = 'Hunter2-lockscreen'


D1, D2, D3 = device_id(1), device_id(2), device_id(3)


def post(command_id, body=None, status=201):
    """A POST of body (when given, checked) answered with the created request."""
    reply = dict(body or {}, id=command_id, created_at='2025-05-01T10:00:00Z')
    return Exchange('POST', 'commands/v0/commands/', json=body, status=status, body=content(reply, code=201))


def stats(command_id, **totals):
    names = {'queued': 'Command Queued', 'in_progress': 'Command In Progress', 'scheduled': 'Command Scheduled',
             'success': 'Command Success', 'failure': 'Command Failure', 'timeout': 'Command TimeOut'}
    status = [{'state': names[key], 'total': total} for key, total in totals.items()]
    return Exchange('GET', 'commands/v0/commands/%s/stats/' % command_id, body=content({'id': command_id, 'status': status}))


def statuses(command_id, state, items):
    return Exchange('GET', 'commands/v0/status/', params={'request': command_id, 'state': state}, params_subset=True,
                    body=page(items))


def reboot_body(devices, **extra):
    body = {'command_type': 'DEVICE', 'devices': devices, 'device_type': 'all', 'command': 'REBOOT', 'command_args': {},
            'schedule': 'IMMEDIATE'}
    body.update(extra)
    return body


def test_check_mode_sends_nothing_and_shows_the_request():
    client, conversation, dummy = make_client([])
    module = FakeModule(check_mode=True)
    result = run_plans(module, client, [CommandPlan('REBOOT', {}, [D1, D2], [])])
    conversation.assert_done()
    assert conversation.count('POST') == 0
    assert result['changed'] is True
    assert result['command_id'] is None and result['command_ids'] == []
    assert result['request'] == reboot_body([D1, D2])
    assert result['stats'] == empty_stats()
    assert result['commands'] == [{'command': 'REBOOT', 'command_id': None, 'command_ids': [], 'stats': empty_stats(),
                                   'request': reboot_body([D1, D2])}]
    assert 'failure_message' not in result


def test_plan_without_targets_sends_nothing_and_reports_skips():
    client, conversation, dummy = make_client([])
    skipped = [{'device': D1, 'device_name': 'kiosk-0001', 'reason': 'already brightness_scale=60'}]
    result = run_plans(FakeModule(), client, [CommandPlan('SET_BRIGHTNESS_SCALE', {'brightness_value': 60}, [], [],
                                                          skipped_devices=skipped)])
    conversation.assert_done()
    assert result['changed'] is False
    assert result['command_id'] is None and result['request'] is None and result['commands'] == []
    assert result['skipped_devices'] == skipped


def test_send_and_wait_for_success():
    body = reboot_body([D1, D2], alias='weekly')
    client, conversation, fake_time = make_client([
        post(CMD_1, body),
        stats(CMD_1, queued=2),
        stats(CMD_1, success=2),
    ])
    result = run_plans(FakeModule(), client, [CommandPlan('REBOOT', {}, [D1, D2], [])], alias='weekly')
    conversation.assert_done()
    assert result['changed'] is True
    assert result['command_id'] == CMD_1 and result['command_ids'] == [CMD_1]
    assert result['request'] == body
    assert result['stats'] == dict(empty_stats(), total=2, success=2)
    assert result['failed_devices'] == [] and result['timed_out'] is False
    assert fake_time.sleeps == [0.5]
    assert 'failure_message' not in result


def test_2500_devices_are_sent_as_three_requests_and_stats_are_summed():
    devices = [device_id(number) for number in range(2500)]
    bodies = build_requests('REBOOT', {}, devices, [])
    client, conversation, dummy = make_client([
        post(CMD_1, bodies[0]), post(CMD_2, bodies[1]), post(CMD_3, bodies[2]),
        stats(CMD_1, success=1000), stats(CMD_2, success=1000), stats(CMD_3, success=500),
    ])
    result = run_plans(FakeModule(), client, [CommandPlan('REBOOT', {}, devices, [])])
    conversation.assert_done()
    assert conversation.count('POST') == 3
    assert result['command_ids'] == [CMD_1, CMD_2, CMD_3]
    assert result['command_id'] == CMD_1
    assert result['stats']['success'] == 2500 and result['stats']['total'] == 2500
    assert len(result['request']['devices']) == 1000


def test_failed_devices_fail_the_run_with_a_message_and_keep_the_ids():
    client, conversation, dummy = make_client([
        post(CMD_1),
        stats(CMD_1, success=1, failure=1),
        statuses(CMD_1, 'Command Failure', [{'id': 's2', 'request': CMD_1, 'device': D2, 'state': 'Command Failure',
                                             'reason': 'App not installed'}]),
    ])
    plan = CommandPlan('UNINSTALL', {'package_name': 'com.example.app'}, [D1, D2], [],
                       device_names={D1: 'kiosk-0001', D2: 'kiosk-0002'})
    result = run_plans(FakeModule(), client, [plan], max_devices=2)  # UNINSTALL is destructive
    conversation.assert_done()
    assert result['command_ids'] == [CMD_1]
    assert result['failed_devices'] == [{'device': D2, 'device_name': 'kiosk-0002', 'state': 'Command Failure',
                                         'reason': 'App not installed', 'command_id': CMD_1}]
    assert result['failure_message'] == ('1 of 2 devices did not succeed (1 Command Failure). '
                                         'kiosk-0002: Command Failure (App not installed)')


def test_timeout_fails_with_open_devices_listed():
    client, conversation, fake_time = make_client(
        [post(CMD_1)] + [stats(CMD_1, queued=1, success=1)] * 5
        + [statuses(CMD_1, 'Command Queued', [{'id': 's1', 'request': CMD_1, 'device': D1, 'state': 'Command Queued',
                                               'reason': ''}])])
    result = run_plans(FakeModule(), client, [CommandPlan('REBOOT', {}, [D1, D2], [])], wait_timeout=3)
    conversation.assert_done()
    assert result['timed_out'] is True
    assert result['failed_devices'] == [{'device': D1, 'state': 'Command Queued', 'reason': 'still Command Queued after 3s',
                                         'command_id': CMD_1}]
    assert 'did not succeed' not in result['failure_message']
    assert result['failure_message'].startswith('1 device still open after 3s (1 Command Queued)')
    assert fake_time.sleeps == [0.5, 0.5, 1.0, 1.0]


def test_no_wait_returns_the_first_stats():
    client, conversation, fake_time = make_client([post(CMD_1), stats(CMD_1, queued=2)])
    result = run_plans(FakeModule(), client, [CommandPlan('REBOOT', {}, [D1, D2], [])], wait=False)
    conversation.assert_done()
    assert result['stats'] == dict(empty_stats(), total=2, queued=2)
    assert fake_time.sleeps == []
    assert 'failure_message' not in result


def test_no_wait_only_warns_when_the_stats_cannot_be_read():
    client, conversation, dummy = make_client([
        post(CMD_1),
        Exchange('GET', 'commands/v0/commands/%s/stats/' % CMD_1, status=404, body={'code': 404, 'message': 'Not found', 'content': {}}),
    ])
    module = FakeModule()
    result = run_plans(module, client, [CommandPlan('REBOOT', {}, [D1], [])], wait=False)
    conversation.assert_done()
    assert result['command_id'] == CMD_1 and 'failure_message' not in result
    assert module.warnings and 'could not read the progress of REBOOT' in module.warnings[0]


def test_scheduled_requests_are_accepted_once_scheduled():
    schedule_args = {'name': 'night', 'start_datetime': '2025-06-01T02:00:00Z', 'end_datetime': '2025-06-02T02:00:00Z',
                     'time_type': 'device'}
    body = reboot_body([D1], schedule='WINDOW', schedule_args=schedule_args)
    client, conversation, fake_time = make_client([post(CMD_1, body), stats(CMD_1, scheduled=1)])
    result = run_plans(FakeModule(), client, [CommandPlan('REBOOT', {}, [D1], [])], schedule='WINDOW',
                       schedule_args=schedule_args)
    conversation.assert_done()
    assert result['stats']['scheduled'] == 1 and 'failure_message' not in result
    assert fake_time.sleeps == []


def test_group_plans_wait_for_expected_total():
    client, conversation, dummy = make_client([post(CMD_1), stats(CMD_1, success=1), stats(CMD_1, success=3)])
    result = run_plans(FakeModule(), client, [CommandPlan('REBOOT', {}, [], [GROUP_1], expected_total=3)])
    conversation.assert_done()
    assert result['request']['command_type'] == 'GROUP'
    assert result['stats']['success'] == 3


def test_secrets_are_masked_registered_and_scrubbed():
    args = {'new_lockscreen_password': PASSWORD}
    client, conversation, dummy = make_client([
        post(CMD_1),
        stats(CMD_1, failure=1),
        statuses(CMD_1, 'Command Failure', [{'id': 's1', 'request': CMD_1, 'device': D1, 'state': 'Command Failure',
                                             'reason': 'rejected %s' % PASSWORD}]),
    ])
    module = FakeModule()
    result = run_plans(module, client, [CommandPlan('RESET_LOCKSCREEN_PASSWORD', args, [D1], [])], max_devices=1)
    conversation.assert_done()
    assert conversation.requests[0]['json']['command_args'] == args
    assert result['request']['command_args'] == {'new_lockscreen_password': MASK}
    assert PASSWORD in module.no_log_values
    assert PASSWORD not in result['failure_message']
    assert PASSWORD not in json.dumps({key: value for key, value in result.items() if key != 'failed_devices'})


def test_partial_submission_reports_the_created_requests():
    devices = [device_id(number) for number in range(1500)]
    client, conversation, dummy = make_client([
        post(CMD_1),
        Exchange('POST', 'commands/v0/commands/', status=400, body={'code': 400, 'message': 'Quota exceeded', 'content': {}}),
        stats(CMD_1, success=1000),
    ])
    result = run_plans(FakeModule(), client, [CommandPlan('REBOOT', {}, devices, [])])
    conversation.assert_done()
    assert result['command_ids'] == [CMD_1]
    assert result['changed'] is True
    assert 'REBOOT: 1 of 2 requests were created before this error' in result['failure_message']
    assert 'Quota exceeded' in result['failure_message']


def test_a_failure_before_anything_was_created_is_raised():
    client, conversation, dummy = make_client([
        Exchange('POST', 'commands/v0/commands/', status=400, body={'code': 400, 'message': 'Bad', 'content': {}}),
    ])
    with pytest.raises(EsperValidationError):
        run_plans(FakeModule(), client, [CommandPlan('REBOOT', {}, [D1], [])])
    conversation.assert_done()


def test_a_later_plan_failing_keeps_the_first_plans_ids_and_stops():
    client, conversation, dummy = make_client([
        post(CMD_1),
        Exchange('POST', 'commands/v0/commands/', status=400, body={'code': 400, 'message': 'Bad', 'content': {}}),
        stats(CMD_1, success=1),
    ])
    plans = [CommandPlan('REBOOT', {}, [D1], []), CommandPlan('LOCK', {}, [D2], []), CommandPlan('UPDATE_HEARTBEAT', {}, [D3], [])]
    result = run_plans(FakeModule(), client, plans)
    conversation.assert_done()
    assert result['command_ids'] == [CMD_1]
    assert result['failure_message'].startswith('LOCK: not sent:')


def test_several_plans_name_their_command_in_messages():
    client, conversation, dummy = make_client([
        post(CMD_1), post(CMD_2),
        stats(CMD_1, success=1),
        stats(CMD_2, failure=1),
        statuses(CMD_2, 'Command Failure', [{'id': 's', 'request': CMD_2, 'device': D2, 'state': 'Command Failure', 'reason': 'x'}]),
    ])
    plans = [CommandPlan('REBOOT', {}, [D1], []), CommandPlan('LOCK', {}, [D2], [])]
    result = run_plans(FakeModule(), client, plans)
    conversation.assert_done()
    assert [entry['command'] for entry in result['commands']] == ['REBOOT', 'LOCK']
    assert result['failure_message'].startswith('LOCK: 1 of 1 devices did not succeed')
    assert result['stats']['total'] == 2


@pytest.mark.parametrize('diff_mode', [True, False])
def test_diff_is_merged_in_diff_mode_only(diff_mode):
    client, conversation, dummy = make_client([])
    plans = [CommandPlan('SET_WIFI_STATE', {'wifi_state': True}, [D1], [],
                         diff={'before': {'kiosk-0001': {'wifi_state': False}}, 'after': {'kiosk-0001': {'wifi_state': True}}}),
             CommandPlan('SET_GPS_STATE', {'gps_state': 3}, [D2], [],
                         diff={'before': {'kiosk-0002': {'gps_state': 'LOCATION_MODE_ON'}},
                               'after': {'kiosk-0002': {'gps_state': 'LOCATION_MODE_OFF'}}})]
    result = run_plans(FakeModule(check_mode=True, diff=diff_mode), client, plans)
    if diff_mode:
        assert result['diff'] == {'before': {'kiosk-0001': {'wifi_state': False}, 'kiosk-0002': {'gps_state': 'LOCATION_MODE_ON'}},
                                  'after': {'kiosk-0001': {'wifi_state': True}, 'kiosk-0002': {'gps_state': 'LOCATION_MODE_OFF'}}}
    else:
        assert 'diff' not in result


def test_collect_secrets_finds_nested_secrets():
    args = {'wifi_access_points': [{'wifi_ssid': 'Corp', 'wifi_password': 'corp-pass'}, 'Guest'], 'cert_password': ''}
    assert collect_secrets(args, {'wifi_password', 'cert_password'}) == ['corp-pass']
    module = FakeModule()
    assert protect_command_args(module, 'ADD_WIFI_AP', args) == {'corp-pass'}
    assert module.no_log_values == {'corp-pass'}


def history_request(command_id, args, created_at):
    return {'id': command_id, 'command': 'INSTALL', 'command_args': args, 'command_type': 'DEVICE', 'devices': [D1, D2, D3],
            'created_at': created_at}


def test_exclude_already_run_keeps_failed_and_unseen_devices():
    app = {'app_version': '0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11'}
    other = {'app_version': '0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d22'}
    client, conversation, dummy = make_client([
        Exchange('GET', 'commands/v0/commands/', params={'command': 'INSTALL'}, params_subset=True, body=page([
            history_request(CMD_1, dict(app, app_version_note=None), '2025-05-01T10:00:00Z'),
            history_request(CMD_2, other, '2025-05-02T10:00:00Z')])),
        Exchange('GET', 'commands/v0/status/', params={'request': CMD_1, 'device': ','.join([D1, D2, D3, device_id(4)])},
                 params_subset=True, body=page([
                     {'request': CMD_1, 'device': D1, 'state': 'Command Success', 'updated_at': '2025-05-01T10:01:00Z'},
                     {'request': CMD_1, 'device': D2, 'state': 'Command In Progress', 'updated_at': '2025-05-01T10:01:00Z'},
                     {'request': CMD_1, 'device': D3, 'state': 'Command Failure', 'updated_at': '2025-05-01T10:01:00Z'}])),
    ])
    remaining, skipped = exclude_already_run(client, 'INSTALL', app, [D1, D2, D3, device_id(4)], {D1: 'kiosk-0001'})
    conversation.assert_done()
    assert remaining == [D3, device_id(4)]
    assert skipped == [
        {'device': D1, 'device_name': 'kiosk-0001', 'command_id': CMD_1,
         'reason': 'already completed an identical INSTALL request %s (Command Success)' % CMD_1},
        {'device': D2, 'device_name': D2, 'command_id': CMD_1,
         'reason': 'still running an identical INSTALL request %s (Command In Progress)' % CMD_1}]


def test_exclude_already_run_looks_past_a_newer_identical_request_that_failed():
    # An older identical request that succeeded, or is still queued, counts even when a newer one failed or was cancelled.
    app = {'app_version': '0c7bd83a-6a5f-4b0e-8a53-3f2f0b1e9d11'}
    client, conversation, dummy = make_client([
        Exchange('GET', 'commands/v0/commands/', params={'command': 'INSTALL'}, params_subset=True, body=page([
            history_request(CMD_1, app, '2025-05-01T10:00:00Z'),
            history_request(CMD_2, app, '2025-05-02T10:00:00Z')])),
        Exchange('GET', 'commands/v0/status/', params={'device': ','.join([D1, D2, D3])}, params_subset=True, body=page([
            {'request': CMD_1, 'device': D1, 'state': 'Command Success', 'updated_at': '2025-05-01T10:01:00Z'},
            {'request': CMD_1, 'device': D2, 'state': 'Command Queued', 'updated_at': '2025-05-01T10:00:00Z'},
            {'request': CMD_1, 'device': D3, 'state': 'Command Success', 'updated_at': '2025-05-01T10:01:00Z'},
            {'request': CMD_2, 'device': D1, 'state': 'Command Failure', 'updated_at': '2025-05-02T10:01:00Z'},
            {'request': CMD_2, 'device': D2, 'state': 'Command Cancelled', 'updated_at': '2025-05-02T10:01:00Z'},
            {'request': CMD_2, 'device': D3, 'state': 'Command Success', 'updated_at': '2025-05-02T10:01:00Z'}])),
    ])
    remaining, skipped = exclude_already_run(client, 'INSTALL', app, [D1, D2, D3])
    conversation.assert_done()
    assert remaining == []
    assert [(entry['device'], entry['command_id']) for entry in skipped] == [(D1, CMD_1), (D2, CMD_1), (D3, CMD_2)]
    assert skipped[1]['reason'] == 'still running an identical INSTALL request %s (Command Queued)' % CMD_1


def test_same_request_filter_compares_normalised_arguments():
    accept = same_request_filter('SET_BRIGHTNESS_SCALE', {'brightness_value': 60})
    assert accept({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': '60'}})
    assert not accept({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 61}})
    assert not accept({'command': 'REBOOT', 'command_args': {}})
    assert not accept({'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 500}})


# ---------------------------------------------------------------- EsperModule: secrets before Ansible checks the arguments


def _rejected(spec, args, capsys):
    """What Ansible prints when EsperModule(spec) rejects args (the real fail_json, no_log scrubbing included)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            EsperModule(argument_spec=spec, supports_check_mode=True)
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('bad', [{'wait_timeout': 'soon'}, {'schedule': 'LATER'}, {'devcies': ['kiosk-0001']}])
def test_a_rejected_option_never_shows_secret_command_args(bad, capsys):
    from ansible_collections.esper.mdm.plugins.modules import esper_command
    args = {'api_key': API_KEY, 'api_url': BASE_URL, 'command': 'ADD_WIFI_AP', 'devices': ['kiosk-0001'],
            'command_args': {'wifi_access_points': [{'wifi_ssid': 'Corp', 'wifi_password': 'wifi-secret-99'}]}}
    args.update(bad)
    printed = _rejected(esper_command.argument_spec(), args, capsys)
    assert printed['failed'] is True and list(bad)[0] in printed['msg']
    # The arguments are still shown (so users see what was rejected), with the secret replaced.
    assert 'command_args' in printed['invocation']['module_args']
    text = json.dumps(printed)
    assert 'wifi-secret-99' not in text and API_KEY not in text


def test_a_rejected_option_never_shows_the_lockscreen_password_or_wifi_passwords(capsys):
    from ansible_collections.esper.mdm.plugins.modules import esper_command, esper_wifi
    printed = _rejected(esper_command.argument_spec(), {
        'api_key': API_KEY, 'api_url': BASE_URL, 'command': 'RESET_LOCKSCREEN_PASSWORD', 'devices': ['kiosk-0001'],
        'command_args': {'new_lockscreen_password': PASSWORD}, 'wait_timeout': 'soon'}, capsys)
    assert 'wait_timeout' in printed['msg'] and PASSWORD not in json.dumps(printed)
    printed = _rejected(esper_wifi.argument_spec(), {
        'api_key': API_KEY, 'api_url': BASE_URL, 'groups': ['Store-001'], 'wait_timeout': 'soon',
        'access_points': [{'ssid': 'Corp', 'password': 'wifi-secret-42'}]}, capsys)
    assert 'wait_timeout' in printed['msg'] and 'wifi-secret-42' not in json.dumps(printed)


def test_esper_module_redacts_slices_in_messages_warnings_and_results(capsys):
    secret = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789'
    with patch_module_args({'content': secret, 'password': 'p12-password'}):
        module = EsperModule(argument_spec={'content': {'type': 'str', 'no_log': True}, 'password': {'type': 'str', 'no_log': True}})
        assert {secret, 'p12-password'} <= module.secret_values
        assert module.redact({'msg': 'quoted %s...' % secret[:20]}) == {'msg': 'quoted %s...' % MASK}
        with pytest.raises(SystemExit):
            module.fail_json(msg='HTTP 400: content %s cut' % secret[5:40], detail=['pw p12-password'])
    printed = json.loads(capsys.readouterr().out)
    assert printed['msg'] == 'HTTP 400: content %s cut' % MASK
    assert secret[5:40] not in json.dumps(printed) and 'p12-password' not in json.dumps(printed)


def test_long_target_lists_are_echoed_cut_short_with_their_length_and_secrets_still_hidden(capsys):
    devices = ['kiosk-%05d' % number for number in range(250)]
    spec = {'devices': {'type': 'list', 'elements': 'str'}, 'groups': {'type': 'list', 'elements': 'str'},
            'api_key': {'type': 'str', 'no_log': True}}
    with patch_module_args({'devices': devices, 'groups': ['Store-001'], 'api_key': API_KEY}):
        module = EsperModule(argument_spec=spec)
        with pytest.raises(SystemExit):
            module.exit_json(changed=False)
    printed = json.loads(capsys.readouterr().out)
    assert printed['invocation']['module_args']['devices'] == devices[:100]
    assert printed['invocation']['module_args']['groups'] == ['Store-001']
    assert printed['invocation']['module_args_cut'] == {'devices': 250}
    assert API_KEY not in json.dumps(printed)
    # Short lists are echoed by Ansible as usual, whole.
    with patch_module_args({'devices': devices[:3], 'api_key': API_KEY}):
        module = EsperModule(argument_spec=spec)
        with pytest.raises(SystemExit):
            module.exit_json(changed=False)
    printed = json.loads(capsys.readouterr().out)
    assert printed['invocation'] == {'module_args': {'devices': devices[:3], 'groups': None, 'api_key': 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'}}


def test_no_log_option_names_include_suboptions():
    spec = {'a': {'no_log': True}, 'b': {'type': 'list', 'options': {'password': {'no_log': True}, 'ssid': {}}}, 'c': {}}
    assert no_log_option_names(spec) == {'a', 'password'}


def test_plan_for_targets_expects_the_groups_device_count_in_dynamic_requests():
    devices = [{'id': D1, 'device_name': 'kiosk-0001'}]
    groups = [{'id': GROUP_1, 'name': 'Store-001', 'device_count': 10}]
    plan = plan_for_targets('REBOOT', {}, devices, groups)
    assert (plan.devices, plan.groups, plan.expected_total) == ([D1], [GROUP_1], 10)
    assert plan.device_names == {D1: 'kiosk-0001'}
    assert plan_for_targets('REBOOT', {}, devices, []).expected_total is None
    many = [{'id': device_id(n)} for n in range(12)]
    assert plan_for_targets('REBOOT', {}, many, groups).expected_total == 12


# ---------------------------------------------------------------- platforms: never send a command a device cannot run


def _device(number, platform, name=None):
    return {'id': device_id(number), 'name': name or 'dev-%04d' % number, 'device_name': name or 'dev-%04d' % number,
            'platform': platform}


def _unsupported_count(group, platforms, count):
    return Exchange('GET', 'v2/devices/', params={'group_multi': group, 'platform': platforms, 'limit': 1, 'offset': 0},
                    body={'content': {'count': count, 'next': None, 'prev': None, 'results': []}})


def test_supported_targets_keeps_a_group_without_unsupported_devices_and_skips_listed_ones():
    module = FakeModule()
    client, conversation, dummy = make_client([_unsupported_count(GROUP_1, 'LINUX', 0)])
    devices = [_device(1, 'ANDROID'), _device(2, 'LINUX', 'edge-01'), _device(3, 'APPLE')]
    groups = [{'id': GROUP_1, 'name': 'Store-001', 'device_count': 4}]
    sent, kept, skipped = supported_targets(module, client, 'REBOOT', devices, groups)
    conversation.assert_done()
    assert [device['id'] for device in sent] == [D1, D3]
    assert kept == groups
    assert skipped == [{'device': D2, 'device_name': 'edge-01',
                        'reason': 'REBOOT is not supported on LINUX devices (supported: ANDROID, APPLE, WINDOWS)'}]
    assert module.warnings == ['1 device(s) are not sent REBOOT: edge-01 (REBOOT is not supported on LINUX devices '
                               '(supported: ANDROID, APPLE, WINDOWS))']


def test_supported_targets_expands_a_group_holding_an_unsupported_device():
    module = FakeModule()
    members = [_device(4, 'ANDROID'), _device(5, 'WINDOWS'), _device(6, 'LINUX')]
    client, conversation, dummy = make_client([
        _unsupported_count(GROUP_1, 'APPLE,WINDOWS,LINUX', 2),
        Exchange('GET', 'v2/devices/', params={'group_multi': GROUP_1}, params_subset=True,
                 body={'content': {'count': 3, 'next': None, 'prev': None, 'results': members}}),
    ])
    sent, kept, skipped = supported_targets(module, client, 'SET_BRIGHTNESS_SCALE', [_device(4, 'ANDROID')],
                                            [{'id': GROUP_1, 'name': 'Store-001', 'device_count': 3}])
    conversation.assert_done()
    assert [device['id'] for device in sent] == [device_id(4)] and kept == []
    assert [entry['device'] for entry in skipped] == [device_id(5), device_id(6)]
    plan = plan_for_targets('SET_BRIGHTNESS_SCALE', {'brightness_value': 50}, sent, kept)
    # Only the devices that receive the command are waited for.
    assert (plan.devices, plan.groups, plan.expected_total) == ([device_id(4)], [], None)


def test_naming_only_unsupported_devices_is_an_error_before_any_write():
    module = FakeModule()
    client, conversation, dummy = make_client([])
    with pytest.raises(TargetError) as caught:
        supported_targets(module, client, 'SET_BRIGHTNESS_SCALE', [_device(7, 'APPLE', 'ipad-07')], [])
    assert str(caught.value) == ('no target can receive SET_BRIGHTNESS_SCALE: ipad-07 (SET_BRIGHTNESS_SCALE is not supported '
                                 'on APPLE devices (supported: ANDROID))')
    with pytest.raises(TargetError):
        supported_devices(module, ['ADD_WIFI_AP', 'SET_WIFI_STATE'], [_device(8, 'WINDOWS')])
    assert conversation.requests == []


def test_supported_devices_applies_every_command_and_unknown_platforms_pass():
    module = FakeModule()
    unknown = {'id': device_id(9), 'device_name': 'old-record'}
    kept, skipped = supported_devices(module, ['REBOOT'], [_device(1, 'ANDROID'), unknown, _device(2, 'LINUX')])
    assert [device['id'] for device in kept] == [D1, device_id(9)]
    assert [entry['device'] for entry in skipped] == [D2]
    assert len(module.warnings) == 1 and module.warnings[0].startswith('1 device(s) are not sent REBOOT: ')
