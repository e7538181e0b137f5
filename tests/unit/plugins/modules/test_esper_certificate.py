# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the esper_certificate module, each with its whole HTTP conversation scripted."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._certificate import encode_base64
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK
from ansible_collections.esper.mdm.plugins.modules import esper_certificate
from ansible_collections.esper.mdm.tests import certificates
from ansible_collections.esper.mdm.tests.unit.conversation import (
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    content,
    device_id,
    page,
    request_id,
)
from ansible_collections.esper.mdm.tests.unit.module_harness import run_module

PASSWORD = 'S3cret-bundle-pw'
OLD_PASSWORD = 'Old-bundle-pw-7'
ALIAS = 'corp-proxy'
COMMANDS_PATH = 'commands/v0/commands/'
STATUS_PATH = 'commands/v0/status/'
DEVICES_PATH = 'v2/devices/'
GROUPS_PATH = 'enterprise/%s/devicegroup/' % ENTERPRISE_ID
NEW_COMMAND = '9d0e6a4f-5b1c-4c1d-9e2f-00000000c0de'
GROUP_ID = '0b9a8c7d-1111-4e2f-9a0b-000000000001'


def android(number, api_level=30):
    return {'id': device_id(number), 'device_name': 'kiosk-%d' % number, 'api_level': api_level, 'status': 1}


KIOSK_1 = android(1)
KIOSK_2 = android(2, api_level=28)
LEGACY = android(3, api_level=27)
IPAD = {'id': device_id(4), 'device_name': 'ipad-4', 'api_level': None, 'platform': 'IOS', 'status': 1}
FLEET = [KIOSK_1, KIOSK_2, LEGACY, IPAD]


@pytest.fixture(scope='module')
def leaf():
    return certificates.make_leaf('corp-proxy')


@pytest.fixture(scope='module')
def bundle(leaf):
    """(bytes, fingerprint) of the bundle being installed."""
    return certificates.pkcs12_bytes(password=PASSWORD, leaf=leaf)


@pytest.fixture
def src(tmp_path, bundle):
    path = tmp_path / 'corp-proxy.p12'
    path.write_bytes(bundle[0])
    return str(path)


# Scripted exchanges


def device_listing(devices=None):
    """The one listing resolve_devices makes when names are given (of FLEET unless devices is given)."""
    return Exchange('GET', DEVICES_PATH, params={'limit': 1000, 'offset': 0},
                    body={'content': page(FLEET if devices is None else devices, enveloped=False, prev_key='prev')})


def commands_listing(command, requests):
    return Exchange('GET', COMMANDS_PATH, params={'command': command}, params_subset=True, body=page(requests))


def history(install_requests=(), uninstall_requests=(), statuses=(), device_ids=(device_id(1), device_id(2))):
    """The history reads of latest_statuses: both listings, then the statuses when any request matched."""
    exchanges = [commands_listing('INSTALL_CERTIFICATE', list(install_requests)),
                 commands_listing('UNINSTALL_CERTIFICATE', list(uninstall_requests))]
    matching = [request for request in list(install_requests) + list(uninstall_requests)
                if (request.get('command_args') or {}).get('cert_alias_name') == ALIAS]
    if matching:
        def asks_for_every_matching_request(record):
            assert set(record['params']['request'].split(',')) == set(request['id'] for request in matching)

        exchanges.append(Exchange('GET', STATUS_PATH, params={'device': ','.join(device_ids)}, params_subset=True,
                                  body=page(list(statuses)), check=asks_for_every_matching_request))
    return exchanges


def past_install(number, data, password=PASSWORD, alias=ALIAS, created_at='2025-05-01T10:00:00Z'):
    args = {'cert_file_type': 'pkcs12', 'cert_data_base64': encode_base64(data), 'cert_alias_name': alias,
            'cert_storage_type': 'system'}
    if password:
        args['cert_password'] = password
    return {'id': request_id(number), 'command': 'INSTALL_CERTIFICATE', 'command_type': 'DEVICE',
            'devices': [device_id(1), device_id(2)], 'groups': [], 'command_args': args, 'schedule': 'IMMEDIATE',
            'created_at': created_at}


def past_uninstall(number, created_at='2025-05-02T10:00:00Z'):
    return {'id': request_id(number), 'command': 'UNINSTALL_CERTIFICATE', 'command_type': 'DEVICE',
            'devices': [device_id(1), device_id(2)], 'groups': [],
            'command_args': {'cert_alias_name': ALIAS, 'cert_storage_type': 'system'}, 'schedule': 'IMMEDIATE',
            'created_at': created_at}


def status(request_number, device_number, state):
    return {'id': 'st-%d-%d' % (request_number, device_number), 'request': request_id(request_number),
            'device': device_id(device_number), 'state': state, 'reason': '',
            'created_at': '2025-05-01T10:00:01Z', 'updated_at': '2025-05-01T10:00:09Z'}


def install_body(data, devices, password=PASSWORD):
    args = {'cert_file_type': 'pkcs12', 'cert_data_base64': encode_base64(data), 'cert_alias_name': ALIAS,
            'cert_storage_type': 'system'}
    if password:
        args['cert_password'] = password
    return {'command_type': 'DEVICE', 'devices': list(devices), 'device_type': 'all', 'command': 'INSTALL_CERTIFICATE',
            'command_args': args, 'schedule': 'IMMEDIATE'}


def uninstall_body(devices):
    return {'command_type': 'DEVICE', 'devices': list(devices), 'device_type': 'all',
            'command': 'UNINSTALL_CERTIFICATE', 'command_args': {'cert_alias_name': ALIAS, 'cert_storage_type': 'system'},
            'schedule': 'IMMEDIATE'}


def post(body):
    created = dict(body, id=NEW_COMMAND, created_at='2026-01-01T00:00:00Z', created_by='42', reason='')
    return Exchange('POST', COMMANDS_PATH, json=body, status=201, body=content(created, code=201))


def stats(**totals):
    status_list = [{'state': 'Command %s' % state.replace('_', ' ').title().replace('Timeout', 'TimeOut'), 'total': total}
                   for state, total in totals.items()]
    return Exchange('GET', COMMANDS_PATH + '%s/stats/' % NEW_COMMAND, body=content({'id': NEW_COMMAND, 'status': status_list}))


def run(args, exchanges, check_mode=False, diff=False):
    conversation = Conversation(exchanges)
    result = run_module(esper_certificate.main, args, conversation, check_mode=check_mode, diff=diff)
    conversation.assert_done()
    return result, conversation


def assert_no_secret(result, *secrets):
    text = json.dumps(result)
    for secret in secrets:
        assert secret not in text


def present_args(src, **extra):
    args = {'alias': ALIAS, 'src': src, 'password': PASSWORD, 'devices': ['kiosk-1', 'kiosk-2', 'kiosk-3', 'ipad-4']}
    args.update(extra)
    return args


# state=present


def test_first_install_goes_to_eligible_devices_and_skips_the_rest(src, bundle):
    data, fingerprint = bundle
    result, _conversation = run(present_args(src), [
        device_listing(),
        *history(),
        post(install_body(data, [device_id(1), device_id(2)])),
        stats(success=2),
    ], diff=True)
    assert result.get('failed') is not True, result.get('msg')
    assert result['changed'] is True
    assert result['command_id'] == NEW_COMMAND
    assert result['command_ids'] == [NEW_COMMAND]
    assert result['stats']['success'] == 2 and result['stats']['total'] == 2
    assert result['failed_devices'] == []
    assert result['request']['command_args'] == {'cert_file_type': 'pkcs12', 'cert_data_base64': MASK,
                                                 'cert_alias_name': ALIAS, 'cert_storage_type': 'system',
                                                 'cert_password': MASK}
    assert result['certificate']['fingerprint_sha256'] == fingerprint
    assert result['certificate']['chain_length'] == 3
    assert [(entry['device'], entry['device_name']) for entry in result['skipped_devices']] == [
        (device_id(3), 'kiosk-3'), (device_id(4), 'ipad-4')]
    assert 'API level 27' in result['skipped_devices'][0]['reason']
    assert 'Android devices' in result['skipped_devices'][1]['reason']
    assert len(result['warnings']) == 1
    assert '2 device(s) are not sent INSTALL_CERTIFICATE' in result['warnings'][0]
    assert 'kiosk-3' in result['warnings'][0] and 'ipad-4' in result['warnings'][0]
    assert result['diff'] == {
        'before': {'kiosk-1': {'state': 'absent', 'fingerprint': None}, 'kiosk-2': {'state': 'absent', 'fingerprint': None}},
        'after': {'kiosk-1': {'state': 'present', 'fingerprint': fingerprint},
                  'kiosk-2': {'state': 'present', 'fingerprint': fingerprint}},
    }
    assert_no_secret(result, PASSWORD, encode_base64(data))


def test_already_installed_certificate_sends_nothing(src, bundle):
    data, fingerprint = bundle
    result, conversation = run(present_args(src, devices=['kiosk-1', 'kiosk-2']), [
        device_listing(),
        *history([past_install(1, data)], [], [status(1, 1, 'Command Success'), status(1, 2, 'Command Success')]),
    ], diff=True)
    assert result['changed'] is False
    assert result['command_id'] is None and result['command_ids'] == []
    assert result['request'] is None
    assert conversation.count('POST') == 0
    assert result['diff']['before'] == result['diff']['after'] == {
        'kiosk-1': {'state': 'present', 'fingerprint': fingerprint},
        'kiosk-2': {'state': 'present', 'fingerprint': fingerprint}}
    assert result['skipped_devices'] == [
        {'device': device_id(number), 'device_name': 'kiosk-%d' % number, 'command_id': request_id(1),
         'reason': 'certificate corp-proxy is already installed (request %s)' % request_id(1)}
        for number in (1, 2)]
    assert result['warnings'] == []


def test_same_certificate_re_exported_with_another_password_is_not_reinstalled(src, leaf):
    """The past bundle opens with the password sent alongside it, so its leaf fingerprint is compared."""
    past_data, _fingerprint = certificates.pkcs12_bytes(password=OLD_PASSWORD, leaf=leaf)
    result, conversation = run(present_args(src, devices=['kiosk-1']), [
        device_listing(),
        *history([past_install(1, past_data, password=OLD_PASSWORD)], [], [status(1, 1, 'Command Success')],
                 device_ids=[device_id(1)]),
    ])
    assert result['changed'] is False
    assert conversation.count('POST') == 0
    assert_no_secret(result, OLD_PASSWORD, encode_base64(past_data))


def test_different_certificate_under_the_alias_is_overwritten(src, bundle):
    data, fingerprint = bundle
    other, other_fingerprint = certificates.pkcs12_bytes(password=PASSWORD, common_name='corp-proxy-old')
    result, _conversation = run(present_args(src, devices=['kiosk-1', 'kiosk-2']), [
        device_listing(),
        # kiosk-1 has the old certificate, kiosk-2 already the new one.
        *history([past_install(2, data, created_at='2025-06-01T10:00:00Z'), past_install(1, other)], [],
                 [status(1, 1, 'Command Success'), status(1, 2, 'Command Success'), status(2, 2, 'Command Success')]),
        post(install_body(data, [device_id(1)])),
        stats(success=1),
    ], diff=True)
    assert result['changed'] is True
    assert result['diff']['before']['kiosk-1'] == {'state': 'present', 'fingerprint': other_fingerprint}
    assert result['diff']['after']['kiosk-1'] == {'state': 'present', 'fingerprint': fingerprint}
    assert result['diff']['before']['kiosk-2'] == result['diff']['after']['kiosk-2']
    assert [(entry['device'], entry['command_id']) for entry in result['skipped_devices']] == [(device_id(2), request_id(2))]


def test_pending_install_is_not_sent_again_but_a_failed_one_is(src, bundle):
    data, _fingerprint = bundle
    result, _conversation = run(present_args(src, devices=['kiosk-1', 'kiosk-2']), [
        device_listing(),
        *history([past_install(1, data)], [], [status(1, 1, 'Command Queued'), status(1, 2, 'Command Failure')]),
        post(install_body(data, [device_id(2)])),
        stats(success=1),
    ])
    assert result['changed'] is True
    assert result['request']['devices'] == [device_id(2)]
    assert result['skipped_devices'] == [{
        'device': device_id(1), 'device_name': 'kiosk-1', 'command_id': request_id(1),
        'reason': 'the install of certificate corp-proxy is still open (request %s, Command Queued)' % request_id(1)}]


def test_install_after_an_uninstall_and_other_aliases_are_ignored(src, bundle):
    data, _fingerprint = bundle
    other_alias = past_install(3, data, alias='Corp-Proxy', created_at='2025-07-01T10:00:00Z')
    result, _conversation = run(present_args(src, devices=['kiosk-1']), [
        device_listing(),
        *history([past_install(1, data), other_alias], [past_uninstall(2)],
                 [status(1, 1, 'Command Success'), status(2, 1, 'Command Success')], device_ids=[device_id(1)]),
        post(install_body(data, [device_id(1)])),
        stats(success=1),
    ])
    assert result['changed'] is True


def test_force_sends_to_every_eligible_device_without_reading_history(src, bundle):
    data, _fingerprint = bundle
    result, conversation = run(present_args(src, force=True), [
        device_listing(),
        post(install_body(data, [device_id(1), device_id(2)])),
        stats(success=2),
    ], diff=True)
    assert result['changed'] is True
    assert conversation.count('GET', COMMANDS_PATH) == 1  # only the stats
    assert result['diff']['before']['kiosk-1'] == {'state': 'unknown', 'fingerprint': None}


def test_check_mode_sends_nothing_and_shows_the_masked_request(src, bundle):
    data, fingerprint = bundle
    result, conversation = run(present_args(src), [device_listing(), *history()], check_mode=True, diff=True)
    assert result['changed'] is True
    assert conversation.count('POST') == 0
    assert result['command_id'] is None
    assert result['request']['devices'] == [device_id(1), device_id(2)]
    assert result['request']['command_args']['cert_data_base64'] == MASK
    assert result['request']['command_args']['cert_password'] == MASK
    assert result['diff']['after']['kiosk-2'] == {'state': 'present', 'fingerprint': fingerprint}
    assert_no_secret(result, PASSWORD, encode_base64(data))


def test_content_option_is_decoded_and_never_returned(bundle):
    data, fingerprint = bundle
    wrapped = base64.encodebytes(data).decode('ascii')
    args = {'alias': ALIAS, 'content': wrapped, 'password': PASSWORD, 'devices': ['kiosk-1']}
    result, _conversation = run(args, [
        device_listing(),
        *history(device_ids=[device_id(1)]),
        post(install_body(data, [device_id(1)])),
        stats(success=1),
    ])
    assert result['certificate']['fingerprint_sha256'] == fingerprint
    assert_no_secret(result, PASSWORD, encode_base64(data), wrapped.splitlines()[1])


def test_password_is_not_sent_for_an_unprotected_bundle(tmp_path):
    path, _fingerprint = certificates.make_pkcs12(tmp_path / 'open.p12', password=None)
    data = path.read_bytes()
    result, _conversation = run(present_args(str(path), devices=['kiosk-1']), [
        device_listing(),
        *history(device_ids=[device_id(1)]),
        post(install_body(data, [device_id(1)], password=None)),
        stats(success=1),
    ])
    assert 'cert_password' not in result['request']['command_args']
    assert any('not password-protected' in warning for warning in result['warnings'])


def test_expiring_certificate_and_missing_chain_are_warnings(tmp_path):
    path, _fingerprint = certificates.make_pkcs12(tmp_path / 'soon.p12', password=PASSWORD, days_valid=10,
                                                  with_chain=False)
    result, _conversation = run(present_args(str(path), devices=['kiosk-1']), [
        device_listing(),
        *history(device_ids=[device_id(1)]),
    ], check_mode=True)
    assert result['changed'] is True
    assert any('expires in 10 days' in warning for warning in result['warnings'])
    assert any('does not hold the chain' in warning for warning in result['warnings'])
    assert result['certificate']['chain_complete'] is False


def test_groups_are_expanded_to_their_devices(src, bundle):
    data, _fingerprint = bundle
    group = {'id': GROUP_ID, 'name': 'Store-017', 'device_count': 2}
    args = {'alias': ALIAS, 'src': src, 'password': PASSWORD, 'groups': ['Store-017']}
    result, _conversation = run(args, [
        Exchange('GET', GROUPS_PATH, params={'limit': 500, 'offset': 0}, body=page([group], enveloped=False)),
        Exchange('GET', DEVICES_PATH, params={'group_multi': GROUP_ID}, params_subset=True,
                 body={'content': page([KIOSK_1, LEGACY], enveloped=False, prev_key='prev')}),
        *history(device_ids=[device_id(1)]),
        post(install_body(data, [device_id(1)])),
        stats(success=1),
    ])
    assert result['changed'] is True
    assert [entry['device'] for entry in result['skipped_devices']] == [device_id(3)]


def test_only_ineligible_devices_means_nothing_to_do(src):
    result, conversation = run(present_args(src, devices=['kiosk-3', 'ipad-4']), [device_listing()])
    assert result['changed'] is False
    assert len(result['skipped_devices']) == 2
    assert conversation.count('GET', COMMANDS_PATH) == 0
    assert len(result['warnings']) == 1


# state=absent


def absent_args(**extra):
    args = {'alias': ALIAS, 'state': 'absent', 'devices': ['kiosk-1', 'kiosk-2']}
    args.update(extra)
    return args


def test_absent_uninstalls_where_installed_or_unknown(bundle):
    data, fingerprint = bundle
    result, _conversation = run(absent_args(), [
        device_listing(),
        # kiosk-1: installed; kiosk-2: its latest UNINSTALL failed, so the certificate may still be there.
        *history([past_install(1, data)], [past_uninstall(2)],
                 [status(1, 1, 'Command Success'), status(1, 2, 'Command Success'), status(2, 2, 'Command Failure')]),
        post(uninstall_body([device_id(1), device_id(2)])),
        stats(success=2),
    ], diff=True)
    assert result['changed'] is True
    assert 'certificate' not in result
    assert result['request']['command'] == 'UNINSTALL_CERTIFICATE'
    assert result['diff'] == {
        'before': {'kiosk-1': {'state': 'present', 'fingerprint': fingerprint},
                   'kiosk-2': {'state': 'unknown', 'fingerprint': None}},
        'after': {'kiosk-1': {'state': 'absent', 'fingerprint': None}, 'kiosk-2': {'state': 'absent', 'fingerprint': None}},
    }


def test_absent_sends_nothing_when_never_installed_or_uninstalled(bundle):
    data, _fingerprint = bundle
    result, conversation = run(absent_args(), [
        device_listing(),
        # kiosk-1: installed, then removed; kiosk-2: never named in a request for the alias.
        *history([past_install(1, data)], [past_uninstall(2)],
                 [status(1, 1, 'Command Success'), status(2, 1, 'Command Success')]),
    ])
    assert result['changed'] is False
    assert conversation.count('POST') == 0
    assert [entry['reason'] for entry in result['skipped_devices']] == [
        'certificate corp-proxy was already removed (request %s)' % request_id(2),
        'certificate corp-proxy was never installed']


def test_absent_uninstalls_where_the_latest_install_failed(bundle):
    data, _fingerprint = bundle
    # kiosk-2's latest install failed: an older certificate may still be under the alias, so it is removed.
    result, _conversation = run(absent_args(), [
        device_listing(),
        *history([past_install(1, data)], [],
                 [status(1, 1, 'Command Success'), status(1, 2, 'Command Failure')]),
        post(uninstall_body([device_id(1), device_id(2)])),
        stats(success=2),
    ])
    assert result['changed'] is True
    assert result['request']['devices'] == [device_id(1), device_id(2)]


def test_absent_ignores_src_and_content(tmp_path):
    expired, _fingerprint = certificates.make_pkcs12(tmp_path / 'expired.p12', password=PASSWORD, expired=True)
    result, _conversation = run(absent_args(src=str(expired), password=PASSWORD, devices=['kiosk-1']),
                                [device_listing(), *history(device_ids=[device_id(1)])])
    assert result['changed'] is False
    assert result.get('failed') is not True
    assert result['skipped_devices'][0]['reason'] == 'certificate corp-proxy was never installed'
    assert 'certificate' not in result


# Failures


@pytest.mark.parametrize('extra, message', [
    ({'password': 'not-the-password-42'}, 'cannot be opened with the given password'),
    ({'password': None}, 'cannot be opened without a password: set password'),
])
def test_bundle_problems_fail_before_any_request(src, extra, message):
    args = present_args(src)
    args.update(extra)
    if args['password'] is None:
        del args['password']
    result, conversation = run(args, [])
    assert result['failed'] is True
    assert message in result['msg']
    assert conversation.requests == []
    assert_no_secret(result, 'not-the-password-42')


def test_expired_and_junk_bundles_fail(tmp_path):
    expired, _fingerprint = certificates.make_pkcs12(tmp_path / 'expired.p12', password=PASSWORD, expired=True)
    result, _conversation = run(present_args(str(expired)), [])
    assert result['failed'] is True and 'expired on' in result['msg']
    junk = tmp_path / 'junk.p12'
    junk.write_bytes(certificates.JUNK_BYTES)
    result, _conversation = run(present_args(str(junk)), [])
    assert result['failed'] is True and 'not a PKCS#12' in result['msg']


def test_invalid_base64_content_fails_without_echoing_it():
    content_value = 'definitely-not-base64-%%%-' + 'Q' * 30
    result, _conversation = run({'alias': ALIAS, 'content': content_value, 'devices': ['kiosk-1']}, [])
    assert result['failed'] is True
    assert 'content is not valid base64' in result['msg']
    assert_no_secret(result, content_value)


@pytest.mark.parametrize('args, message', [
    ({'alias': ALIAS, 'devices': ['kiosk-1']}, 'state is present but any of the following are missing: src, content'),
    ({'alias': ALIAS, 'state': 'absent'}, 'at least one of devices or groups is required'),
    ({'alias': ' ', 'state': 'absent', 'devices': ['kiosk-1']}, 'alias must not be empty'),
    ({'alias': ALIAS, 'state': 'absent', 'devices': ['6f1c2d3e-0000-4a5b-8c9d-00000000001']},
     "devices[0] '6f1c2d3e-0000-4a5b-8c9d-00000000001' is not a valid UUID"),
    ({'alias': ALIAS, 'state': 'absent', 'devices': ['kiosk-1'], 'wait_timeout': -1}, 'wait_timeout must be 0 or more'),
])
def test_parameter_problems_fail_before_any_request(args, message):
    result, conversation = run(args, [])
    assert conversation.requests == []
    assert result['failed'] is True
    assert message in result['msg']


def test_src_and_content_are_mutually_exclusive(src, bundle):
    result, _conversation = run(present_args(src, content=encode_base64(bundle[0])), [])
    assert result['failed'] is True
    assert 'mutually exclusive' in result['msg']
    assert_no_secret(result, encode_base64(bundle[0]))


def test_unknown_device_name_fails_before_sending(src):
    result, conversation = run(present_args(src, devices=['kiosk-99']), [device_listing()])
    assert result['failed'] is True
    assert "device 'kiosk-99' not found" in result['msg']
    assert conversation.count('POST') == 0


def test_failed_device_fails_the_module_with_the_ids_and_no_secret(src, bundle):
    data, _fingerprint = bundle
    failure = dict(status(99, 2, 'Command Failure'), request=NEW_COMMAND,
                   reason='keystore rejected %s' % PASSWORD)
    result, _conversation = run(present_args(src, devices=['kiosk-1', 'kiosk-2']), [
        device_listing(),
        *history(),
        post(install_body(data, [device_id(1), device_id(2)])),
        stats(success=1, failure=1),
        Exchange('GET', STATUS_PATH, params={'request': NEW_COMMAND, 'state': 'Command Failure'}, params_subset=True,
                 body=page([failure])),
    ])
    assert result['failed'] is True
    assert result['changed'] is True
    assert result['command_id'] == NEW_COMMAND
    assert '1 of 2 devices did not succeed' in result['msg']
    assert [entry['device'] for entry in result['failed_devices']] == [device_id(2)]
    assert result['certificate']['subject'].startswith('CN=corp-proxy')
    assert_no_secret(result, PASSWORD, encode_base64(data))


def test_wait_timeout_fails_the_module(src, bundle):
    data, _fingerprint = bundle
    queued = dict(status(99, 1, 'Command Queued'), request=NEW_COMMAND)
    result, _conversation = run(present_args(src, devices=['kiosk-1'], wait_timeout=0), [
        device_listing(),
        *history(device_ids=[device_id(1)]),
        post(install_body(data, [device_id(1)])),
        stats(queued=1),
        Exchange('GET', STATUS_PATH, params={'request': NEW_COMMAND, 'state': 'Command Queued'}, params_subset=True,
                 body=page([queued])),
    ])
    assert result['failed'] is True
    assert result['timed_out'] is True
    assert 'still open' in result['msg']
    assert [entry['device'] for entry in result['failed_devices']] == [device_id(1)]


def test_api_error_echoing_the_request_is_scrubbed(src, bundle):
    data, _fingerprint = bundle
    echo = {'code': 400, 'message': 'bad cert_data_base64 %s with password %s' % (encode_base64(data), PASSWORD),
            'content': {}}
    result, _conversation = run(present_args(src, devices=['kiosk-1']), [
        device_listing(),
        *history(device_ids=[device_id(1)]),
        Exchange('POST', COMMANDS_PATH, status=400, body=echo),
    ])
    assert result['failed'] is True
    assert 'HTTP 400' in result['msg']
    assert_no_secret(result, PASSWORD, encode_base64(data))


@pytest.mark.parametrize('reply', ['proxy page', 'truncated echo'])
def test_api_error_echoing_a_slice_of_the_bundle_is_scrubbed(src, bundle, reply):
    """An error page or message that quotes the request cut short still carries a recognisable slice of the bundle."""
    data, _fingerprint = bundle
    encoded = encode_base64(data)
    if reply == 'proxy page':
        # The client keeps the first 200 characters of a non-JSON body, cutting the base64 short.
        rejection = Exchange('POST', COMMANDS_PATH, status=400,
                             text='<html><body>Request blocked: cert_data_base64=%s</body></html>' % encoded)
    else:
        rejection = Exchange('POST', COMMANDS_PATH, status=400,
                             body={'errors': ['cert_data_base64: invalid value %s...' % encoded[:120]]})
    result, _conversation = run(present_args(src, devices=['kiosk-1']), [
        device_listing(),
        *history(device_ids=[device_id(1)]),
        rejection,
    ])
    assert result['failed'] is True
    assert 'HTTP 400' in result['msg']
    assert MASK in result['msg']
    text = json.dumps(result)
    for start in range(0, 100, 10):
        assert encoded[start:start + 24] not in text


def test_retry_warning_quoting_a_slice_of_the_bundle_is_scrubbed(src, bundle):
    """A 500 page that echoes the request becomes a retry warning; the slice of the bundle in it is masked."""
    data, _fingerprint = bundle
    encoded = encode_base64(data)
    result, _conversation = run(present_args(src, devices=['kiosk-1']), [
        device_listing(),
        *history(device_ids=[device_id(1)]),
        Exchange('POST', COMMANDS_PATH, status=500, text='Service Unavailable for cert_data_base64=%s' % encoded),
        # The client looks for a request the POST may have stored; only after a 500 (not a 502/503/504) does it send again.
        Exchange('GET', COMMANDS_PATH, params={'command': 'INSTALL_CERTIFICATE', 'devices': device_id(1)},
                 params_subset=True, body=page([])),
        post(install_body(data, [device_id(1)])),
        stats(success=1),
    ])
    assert result.get('failed') is not True, result.get('msg')
    assert any('HTTP 500' in warning and MASK in warning for warning in result['warnings'])
    text = json.dumps(result)
    for start in range(0, 100, 10):
        assert encoded[start:start + 24] not in text
