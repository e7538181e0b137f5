# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""esper_certificate with real ansible-playbook runs against the simulator.

The certificates are generated per test in tmp_path. The playbooks assert what a task returns; this driver
asserts what only it can see: the command requests in the simulator's request log (what was sent, and that
check mode, unchanged re-runs and bad bundles sent nothing), the certificate details against the generated
file, the warnings, and that no secret shows up in -vvv output.
"""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.esper.mdm.tests.certificates import JUNK_BYTES, make_pkcs12, pem_bytes
from ansible_collections.esper.mdm.tests.integration.conftest import COLLECTION_DIR, run_playbook

COMMANDS_PATH = '/api/commands/v0/commands/'
MASK = '********'
ALIAS = 'corp-proxy'
# Store-001 holds kiosk-0001, -0004, -0007 and kiosk-0010 (API 27); kiosk-0011 (API 26) is in Store-002 and
# kiosk-0012 is the iOS device.
SIMULATOR_ARGS = ('--devices', '12', '--groups', '3', '--offline', '0', '--legacy-android', '2',
                  '--other-platforms', '1', '--step-seconds', '0.05')
PASSWORD = 'Integration-p12-Pw-7fK3q'
OTHER_PASSWORD = 'Integration-p12-Pw-other-9xZ'
ISO = '%Y-%m-%dT%H:%M:%SZ'


def command_posts(simulator):
    """The bodies of every command request POSTed to the simulator, oldest first."""
    return [record['body'] for record in simulator.requests(method='POST', path_prefix=COMMANDS_PATH)]


def device_ids(simulator, names):
    """The simulator's device ids for these device names."""
    by_name = {device['device_name']: device['id'] for device in simulator.fleet()['devices']}
    return sorted(by_name[name] for name in names)


def expected_certificate(path, password):
    """What the module should report about a bundle, read independently from the file."""
    _key, leaf, additional = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode('utf-8'))
    return {
        'subject': leaf.subject.rfc4514_string(),
        'issuer': leaf.issuer.rfc4514_string(),
        'not_before': leaf.not_valid_before_utc.strftime(ISO),
        'not_after': leaf.not_valid_after_utc.strftime(ISO),
        'chain_length': 1 + len(additional),
    }


def encoded(path):
    """The base64 of a file, as the module sends it in cert_data_base64."""
    return base64.b64encode(path.read_bytes()).decode('ascii')


def warnings_of(result):
    """All warnings of a task result as one string."""
    return ' '.join(result.get('warnings') or [])


def assert_lifecycle(simulator, tmp_path, targets, eligible, ineligible, never_installed=()):
    """Run certificate_lifecycle.yml and check what was sent and returned.

    targets: cert_devices/cert_groups (and cert_absent_*) variables; eligible/ineligible: device names.
    """
    first, first_fingerprint = make_pkcs12(tmp_path / 'corp-proxy.p12', password=PASSWORD)
    # The second bundle has no chain: it installs, with a warning.
    other, other_fingerprint = make_pkcs12(tmp_path / 'corp-proxy-2.p12', password=OTHER_PASSWORD,
                                           common_name='corp-proxy-2', with_chain=False)
    extra_vars = dict(targets, cert_src=str(first), cert_password=PASSWORD, cert_other_src=str(other),
                      cert_other_password=OTHER_PASSWORD, cert_eligible=list(eligible),
                      cert_ineligible=list(ineligible), cert_never_installed=list(never_installed))

    run = run_playbook(simulator, 'certificate_lifecycle.yml', extra_vars=extra_vars)

    assert run.rc == 0, run.output[-6000:]
    # Three requests, in order: so the check-mode task, the unchanged re-install and the unchanged re-removal
    # sent nothing (any of them would have added a POST).
    posts = command_posts(simulator)
    assert [body['command'] for body in posts] == ['INSTALL_CERTIFICATE', 'INSTALL_CERTIFICATE', 'UNINSTALL_CERTIFICATE']
    eligible_ids = device_ids(simulator, eligible)
    for body in posts:
        assert body['command_type'] == 'DEVICE'
        assert sorted(body['devices']) == eligible_ids
    assert posts[0]['command_args'] == {'cert_file_type': 'pkcs12', 'cert_data_base64': encoded(first),
                                        'cert_alias_name': ALIAS, 'cert_storage_type': 'system',
                                        'cert_password': PASSWORD}
    assert posts[1]['command_args']['cert_data_base64'] == encoded(other)
    assert posts[1]['command_args']['cert_password'] == OTHER_PASSWORD
    assert posts[2]['command_args'] == {'cert_alias_name': ALIAS, 'cert_storage_type': 'system'}

    installed = run.result('Install the certificate')
    certificate = installed['certificate']
    assert certificate['fingerprint_sha256'] == first_fingerprint
    for key, value in expected_certificate(first, PASSWORD).items():
        assert certificate[key] == value, key
    assert certificate['subject'] == 'CN=corp-proxy,O=esper.mdm tests'
    assert certificate['issuer'] == 'CN=esper.mdm Test Intermediate CA,O=esper.mdm tests'
    assert certificate['chain_length'] == 3
    overwritten = run.result('Install another certificate under the same alias')
    assert overwritten['certificate']['fingerprint_sha256'] == other_fingerprint
    assert overwritten['certificate']['chain_length'] == 1
    assert overwritten['certificate']['chain_complete'] is False
    assert 'does not hold the chain of CN=corp-proxy-2,O=esper.mdm tests up to a root CA' in warnings_of(overwritten)

    # Diff mode: per device, state and fingerprint before and after.
    assert run.result('Plan the install in check mode')['diff'] == {
        'before': {name: {'state': 'absent', 'fingerprint': None} for name in eligible},
        'after': {name: {'state': 'present', 'fingerprint': first_fingerprint} for name in eligible}}
    assert overwritten['diff'] == {
        'before': {name: {'state': 'present', 'fingerprint': first_fingerprint} for name in eligible},
        'after': {name: {'state': 'present', 'fingerprint': other_fingerprint} for name in eligible}}
    removed = run.result('Remove the certificate')
    assert {name: removed['diff']['before'][name] for name in eligible} == {
        name: {'state': 'present', 'fingerprint': other_fingerprint} for name in eligible}
    assert removed['diff']['after'] == {name: {'state': 'absent', 'fingerprint': None}
                                        for name in list(eligible) + list(never_installed)}

    # Devices that cannot take a certificate: listed with the reason, and named in a warning.
    skipped = {entry['device_name']: entry['reason'] for entry in installed['skipped_devices']}
    warning = warnings_of(installed)
    for name in ineligible:
        assert name in warning
        assert name in skipped
    for name, reason in skipped.items():
        device = next(device for device in simulator.fleet()['devices'] if device['device_name'] == name)
        if device['platform'] == 'ANDROID':
            assert reason == 'the device runs API level %d; Android 9 (API 28) or later is required' % device['api_level']
        else:
            # The device listing the module reads has no platform field, only the missing API level.
            assert (reason.startswith('certificates can only be installed on Android devices')
                    or reason.startswith('the device reports no Android API level')), reason
    assert 'Android 9' in warning
    assert installed['stats']['success'] == len(eligible)
    return run


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_lifecycle_on_a_group(simulator, tmp_path):
    """Store-001 by name: three eligible devices and kiosk-0010 (API 27), which is skipped."""
    assert_lifecycle(simulator, tmp_path, {'cert_groups': ['Store-001']},
                     eligible=['kiosk-0001', 'kiosk-0004', 'kiosk-0007'], ineligible=['kiosk-0010'])


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_lifecycle_on_devices(simulator, tmp_path):
    """Devices by name, with one below Android 9 and one iOS device; the removal also names a device that never
    had the certificate, which gets no UNINSTALL."""
    devices = ['kiosk-0002', 'kiosk-0005', 'kiosk-0011', 'kiosk-0012']
    assert_lifecycle(simulator, tmp_path,
                     {'cert_devices': devices, 'cert_absent_devices': devices + ['kiosk-0008']},
                     eligible=['kiosk-0002', 'kiosk-0005'], ineligible=['kiosk-0011', 'kiosk-0012'],
                     never_installed=['kiosk-0008'])


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_bad_bundles_are_refused_before_any_request(simulator, tmp_path):
    """Wrong or missing password, not PKCS#12 (junk, PEM, junk base64), expired: refused with no API request."""
    protected, _fingerprint = make_pkcs12(tmp_path / 'protected.p12', password=PASSWORD)
    expired, _fingerprint = make_pkcs12(tmp_path / 'expired.p12', password=PASSWORD, expired=True)
    junk = tmp_path / 'junk.p12'
    junk.write_bytes(JUNK_BYTES)
    pem = tmp_path / 'leaf.pem'
    pem.write_bytes(pem_bytes())

    run = run_playbook(simulator, 'certificate_errors.yml', extra_vars={
        'cert_protected_src': str(protected), 'cert_expired_src': str(expired), 'cert_junk_src': str(junk),
        'cert_pem_src': str(pem), 'cert_password': PASSWORD})

    assert run.rc == 0, run.output[-6000:]
    assert simulator.requests() == []
    # Every bundle error names the option the bundle came from (src and its path, or content).
    assert run.result('Install with a wrong password')['msg'] == (
        'the PKCS#12 bundle in src %s cannot be opened with the given password (wrong password, or a damaged or '
        'unsupported bundle)' % protected)
    assert run.result('Install an expired certificate')['msg'].startswith(
        'the certificate CN=corp-proxy,O=esper.mdm tests in src %s expired on ' % expired)
    assert PASSWORD not in run.output


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
@pytest.mark.parametrize('source', ['content', 'src'])
def test_secrets_never_appear_at_vvv(simulator, tmp_path, source):
    """The password and the bundle's base64 are absent from -vvv output, whether the bundle comes as content or src."""
    bundle, _fingerprint = make_pkcs12(tmp_path / 'secret.p12', password=PASSWORD)
    data = encoded(bundle)
    extra_vars = {'cert_password': PASSWORD}
    if source == 'content':
        extra_vars['cert_content'] = data
    else:
        extra_vars['cert_src'] = str(bundle)

    run = run_playbook(simulator, 'certificate_secrets.yml', extra_vars=extra_vars, verbosity=3, json_output=False)

    assert run.rc == 0, run.output[-6000:]
    # The run really printed module results at -vvv (otherwise the absence checks below prove nothing).
    assert 'cert_alias_name' in run.output
    assert '"cert_data_base64": "%s"' % MASK in run.output
    assert '"cert_password": "%s"' % MASK in run.output
    assert 'cannot be opened with the given password' in run.output
    for secret in (PASSWORD, 'Wrong-p12-Pw-for-the-test', data, data[200:260], data[-80:-20]):
        assert secret not in run.output
    # The device did get the real bundle and password.
    posts = command_posts(simulator)
    assert len(posts) == 1
    assert posts[0]['command_args']['cert_data_base64'] == data
    assert posts[0]['command_args']['cert_password'] == PASSWORD


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_example_playbook(simulator, tmp_path):
    """playbooks/install_certificate.yml from the repository root installs on a group by name."""
    bundle, fingerprint = make_pkcs12(tmp_path / 'corp-proxy.p12', password=PASSWORD)
    playbook = os.path.join(COLLECTION_DIR, 'playbooks', 'install_certificate.yml')

    run = run_playbook(simulator, playbook, extra_vars={
        'certificate_src': str(bundle), 'certificate_password': PASSWORD, 'certificate_groups': ['Store-002']})

    assert run.rc == 0, run.output[-6000:]
    plan = run.result('Show which devices would get the certificate')
    assert plan['changed'] is True
    assert plan['certificate']['fingerprint_sha256'] == fingerprint
    assert [entry['device_name'] for entry in plan['skipped_devices']] == ['kiosk-0011']
    sent = run.result('Send the certificate command where it is needed')
    assert sent['changed'] is True
    assert sent['stats']['success'] == 3
    posts = command_posts(simulator)
    assert [body['command'] for body in posts] == ['INSTALL_CERTIFICATE']
    assert sorted(posts[0]['devices']) == device_ids(simulator, ['kiosk-0002', 'kiosk-0005', 'kiosk-0008'])
    assert posts[0]['command_args']['cert_data_base64'] == encoded(bundle)
