# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/_certificate.py: PKCS#12 parsing, the history rules, the Android 9 rule, masking."""

from __future__ import annotations

import base64
import datetime

import pytest

from ansible_collections.esper.mdm.plugins.module_utils import _certificate as certificate
from ansible_collections.esper.mdm.plugins.module_utils._certificate import (
    ABSENT,
    PRESENT,
    UNKNOWN,
    CertificateError,
    HistoryIdentities,
    alias_filter,
    bundle_digest,
    bundle_source,
    device_certificate_state,
    diff_entry,
    encode_base64,
    ineligibility_reason,
    inspect_bundle,
    install_command_args,
    leaf_fingerprint,
    looks_like_pkcs12,
    needs_install,
    needs_uninstall,
    read_bundle,
    uninstall_command_args,
    up_to_date_reason,
)
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK, redact
from ansible_collections.esper.mdm.tests import certificates

PASSWORD = 'S3cret-bundle-pw'
OTHER_PASSWORD = 'An0ther-pw-9'


@pytest.fixture(scope='module')
def leaf():
    return certificates.make_leaf('corp-proxy')


@pytest.fixture(scope='module')
def bundle(leaf):
    """(bytes, fingerprint) of a password-protected bundle with its chain."""
    return certificates.pkcs12_bytes(password=PASSWORD, leaf=leaf)


# Parsing


def test_valid_bundle_with_password_is_described(bundle):
    data, fingerprint = bundle
    inspection = inspect_bundle(data, PASSWORD)
    cert = inspection.certificate
    assert cert['fingerprint_sha256'] == fingerprint
    assert inspection.fingerprint == fingerprint
    assert cert['subject'] == 'CN=corp-proxy,O=esper.mdm tests'
    assert cert['issuer'] == 'CN=esper.mdm Test Intermediate CA,O=esper.mdm tests'
    assert cert['chain_length'] == 3
    assert cert['chain_complete'] is True
    assert cert['has_private_key'] is True
    assert cert['not_before'].endswith('Z') and cert['not_after'] > cert['not_before']
    assert inspection.warnings == []
    assert inspection.password_required is True


def test_bundle_without_password_needs_none():
    data, fingerprint = certificates.pkcs12_bytes(password=None)
    inspection = inspect_bundle(data, None)
    assert inspection.fingerprint == fingerprint
    assert inspection.password_required is False
    assert inspection.warnings == []


def test_empty_password_counts_as_none():
    data, fingerprint = certificates.pkcs12_bytes(password=None)
    inspection = inspect_bundle(data, '')
    assert inspection.fingerprint == fingerprint
    assert inspection.password_required is False


def test_password_for_an_unprotected_bundle_is_a_warning_and_not_needed():
    data, fingerprint = certificates.pkcs12_bytes(password=None)
    inspection = inspect_bundle(data, PASSWORD)
    assert inspection.fingerprint == fingerprint
    assert inspection.password_required is False
    assert len(inspection.warnings) == 1
    assert 'not password-protected' in inspection.warnings[0]
    assert PASSWORD not in inspection.warnings[0]


def test_wrong_password_is_a_clear_error_without_the_password(bundle):
    with pytest.raises(CertificateError) as caught:
        inspect_bundle(bundle[0], 'wrong-password-123')
    message = str(caught.value)
    assert 'cannot be opened with the given password' in message
    assert 'wrong-password-123' not in message


def test_missing_password_is_a_clear_error(bundle):
    with pytest.raises(CertificateError, match='cannot be opened without a password: set password'):
        inspect_bundle(bundle[0], None)


def test_expired_certificate_is_an_error():
    data, _fingerprint = certificates.pkcs12_bytes(password=PASSWORD, expired=True)
    with pytest.raises(CertificateError, match=r'the certificate CN=corp-proxy,O=esper\.mdm tests expired on \d{4}-'):
        inspect_bundle(data, PASSWORD)


def test_certificate_expiring_within_30_days_is_a_warning():
    data, fingerprint = certificates.pkcs12_bytes(password=PASSWORD, days_valid=10)
    inspection = inspect_bundle(data, PASSWORD)
    assert inspection.fingerprint == fingerprint
    assert len(inspection.warnings) == 1
    assert 'expires in 10 days' in inspection.warnings[0]


def test_expiry_is_judged_against_the_given_time(bundle):
    data = bundle[0]
    not_after = datetime.datetime.strptime(inspect_bundle(data, PASSWORD).certificate['not_after'],
                                           '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    soon = inspect_bundle(data, PASSWORD, now=not_after - datetime.timedelta(days=29, hours=12))
    assert ['expires in 30 days' in warning for warning in soon.warnings] == [True]
    later = inspect_bundle(data, PASSWORD, now=not_after - datetime.timedelta(days=31))
    assert later.warnings == []
    with pytest.raises(CertificateError, match='expired'):
        inspect_bundle(data, PASSWORD, now=not_after + datetime.timedelta(seconds=1))


def test_not_yet_valid_certificate_is_a_warning(bundle):
    data = bundle[0]
    inspection = inspect_bundle(data, PASSWORD, now=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc))
    assert any('is not valid before' in warning for warning in inspection.warnings)


def test_missing_chain_is_a_warning():
    data, fingerprint = certificates.pkcs12_bytes(password=PASSWORD, with_chain=False)
    inspection = inspect_bundle(data, PASSWORD)
    assert inspection.fingerprint == fingerprint
    assert inspection.certificate['chain_length'] == 1
    assert inspection.certificate['chain_complete'] is False
    assert len(inspection.warnings) == 1
    assert 'does not hold the chain' in inspection.warnings[0]
    assert 'missing the issuer CN=esper.mdm Test Intermediate CA' in inspection.warnings[0]


@pytest.mark.parametrize('data', [
    certificates.JUNK_BYTES,
    b'',
    b'\x30\x03\x02\x01\x03',
    b'\x30\x82\xff\xff\x02\x01\x03',
], ids=['junk', 'empty', 'truncated', 'length-past-end'])
def test_not_pkcs12_is_an_error(data):
    assert looks_like_pkcs12(data) is False
    with pytest.raises(CertificateError, match=r'not a PKCS#12 \(\.p12/\.pfx\) bundle'):
        inspect_bundle(data, PASSWORD)


def _indefinite_length(der):
    """The BER form of a DER PKCS#12 that macOS Keychain and Windows exports use: the outer PFX SEQUENCE and the
    authSafe ContentInfo SEQUENCE with indefinite lengths (0x80 ... 00 00)."""
    def split(data, offset):
        first = data[offset + 1]
        start = offset + 2 + (first & 0x7f if first & 0x80 else 0)
        length = int.from_bytes(data[offset + 2:start], 'big') if first & 0x80 else first
        return start, start + length

    outer_start, outer_end = split(der, 0)
    version_end = split(der, outer_start)[1]
    auth_start, auth_end = split(der, version_end)
    auth_safe = b'\x30\x80' + der[auth_start:auth_end] + b'\x00\x00'
    return b'\x30\x80' + der[outer_start:version_end] + auth_safe + der[auth_end:outer_end] + b'\x00\x00'


@pytest.mark.filterwarnings('ignore:PKCS#12 bundle could not be parsed as DER')
def test_ber_bundle_with_indefinite_lengths_is_pkcs12(bundle):
    data, fingerprint = bundle
    ber = _indefinite_length(data)
    assert ber[:2] == b'\x30\x80' and ber != data
    assert looks_like_pkcs12(ber) is True
    inspection = inspect_bundle(ber, PASSWORD)
    assert inspection.fingerprint == fingerprint
    assert leaf_fingerprint(ber, (PASSWORD,)) == fingerprint


def test_pem_certificate_is_not_pkcs12():
    with pytest.raises(CertificateError, match='not a PKCS#12'):
        inspect_bundle(certificates.pem_bytes(), None)


def test_bundle_without_certificate_is_an_error():
    with pytest.raises(CertificateError, match='holds no certificate'):
        inspect_bundle(certificates.key_only_pkcs12_bytes(PASSWORD), PASSWORD)


def test_ca_only_bundle_uses_the_ca_as_leaf():
    data, fingerprint = certificates.ca_only_pkcs12_bytes()
    inspection = inspect_bundle(data, None)
    assert inspection.fingerprint == fingerprint
    assert inspection.certificate['has_private_key'] is False
    assert inspection.certificate['chain_complete'] is True
    assert inspection.certificate['chain_length'] == 1
    assert inspection.warnings == []


def test_cryptography_error_text_is_never_passed_on(bundle, monkeypatch):
    def leaky_loader(data, password):
        raise ValueError('cannot parse %r with %r' % (data[:16], password))

    monkeypatch.setattr(certificate.pkcs12, 'load_key_and_certificates', leaky_loader)
    with pytest.raises(CertificateError) as caught:
        inspect_bundle(bundle[0], PASSWORD)
    assert PASSWORD not in str(caught.value)
    assert 'cannot parse' not in str(caught.value)


def test_missing_cryptography_is_an_error(bundle, monkeypatch):
    monkeypatch.setattr(certificate, 'HAS_CRYPTOGRAPHY', False)
    with pytest.raises(CertificateError, match='cryptography Python library is required'):
        inspect_bundle(bundle[0], PASSWORD)


# Reading the bundle


def test_read_bundle_from_src(tmp_path):
    path, _fingerprint = certificates.make_pkcs12(tmp_path / 'proxy.p12', password=PASSWORD)
    assert read_bundle(src=str(path)) == path.read_bytes()


def test_read_bundle_from_base64_content_with_line_breaks(bundle):
    encoded = base64.encodebytes(bundle[0]).decode('ascii')
    assert '\n' in encoded.strip()
    assert read_bundle(content=encoded) == bundle[0]


def test_invalid_base64_content_is_an_error_without_the_content():
    content = 'not*base64*at*all-' + 'A' * 40
    with pytest.raises(CertificateError) as caught:
        read_bundle(content=content)
    assert 'content is not valid base64' in str(caught.value)
    assert content not in str(caught.value)


def test_missing_src_file_is_an_error(tmp_path):
    missing = tmp_path / 'missing.p12'
    with pytest.raises(CertificateError, match='cannot read src .*missing.p12'):
        read_bundle(src=str(missing))


def test_empty_src_file_is_an_error(tmp_path):
    empty = tmp_path / 'empty.p12'
    empty.write_bytes(b'')
    with pytest.raises(CertificateError, match='is empty'):
        read_bundle(src=str(empty))


def test_read_bundle_needs_src_or_content():
    with pytest.raises(CertificateError, match='src or content is required'):
        read_bundle()


# Command arguments


def test_install_command_args_carry_the_bundle_and_password(bundle):
    args = install_command_args('corp-proxy', bundle[0], PASSWORD)
    assert args == {'cert_file_type': 'pkcs12', 'cert_data_base64': encode_base64(bundle[0]),
                    'cert_alias_name': 'corp-proxy', 'cert_storage_type': 'system', 'cert_password': PASSWORD}
    assert base64.b64decode(args['cert_data_base64']) == bundle[0]


def test_install_command_args_without_password(bundle):
    assert 'cert_password' not in install_command_args('corp-proxy', bundle[0], None)
    assert 'cert_password' not in install_command_args('corp-proxy', bundle[0], '')


def test_uninstall_command_args():
    assert uninstall_command_args('Corp-Proxy') == {'cert_alias_name': 'Corp-Proxy', 'cert_storage_type': 'system'}


def test_alias_filter_is_case_sensitive_and_tolerates_missing_args():
    keep = alias_filter('corp-proxy')
    assert keep({'command_args': {'cert_alias_name': 'corp-proxy'}}) is True
    assert keep({'command_args': {'cert_alias_name': 'Corp-Proxy'}}) is False
    assert keep({'command_args': None}) is False
    assert keep({}) is False


# History rules


def install_entry(data, state, password=PASSWORD, request_id='req-install'):
    args = {'cert_file_type': 'pkcs12', 'cert_data_base64': encode_base64(data), 'cert_alias_name': 'corp-proxy',
            'cert_storage_type': 'system'}
    if password is not None:
        args['cert_password'] = password
    return {'request': {'id': request_id, 'command': 'INSTALL_CERTIFICATE', 'command_args': args,
                        'created_at': '2025-05-01T10:00:00Z'},
            'status': {'id': 'st-1', 'request': request_id, 'device': 'dev-1', 'state': state}}


def uninstall_entry(state):
    return {'request': {'id': 'req-uninstall', 'command': 'UNINSTALL_CERTIFICATE',
                        'command_args': {'cert_alias_name': 'corp-proxy', 'cert_storage_type': 'system'},
                        'created_at': '2025-05-02T10:00:00Z'},
            'status': {'id': 'st-2', 'request': 'req-uninstall', 'device': 'dev-1', 'state': state}}


def decide(entry, data, fingerprint, password=PASSWORD):
    state = device_certificate_state(entry, HistoryIdentities(password))
    return state, needs_install(state, fingerprint, bundle_digest(data)), needs_uninstall(state)


def test_never_installed_is_absent(bundle):
    state, install, uninstall = decide(None, *bundle)
    assert state['state'] == ABSENT
    assert (install, uninstall) == (True, False)
    assert diff_entry(state) == {'state': 'absent', 'fingerprint': None}


def test_successful_install_of_the_same_certificate_is_present(bundle):
    data, fingerprint = bundle
    state, install, uninstall = decide(install_entry(data, 'Command Success'), data, fingerprint)
    assert state['state'] == PRESENT
    assert state['fingerprint'] == fingerprint
    assert state['pending'] is False
    assert (install, uninstall) == (False, True)
    assert diff_entry(state) == {'state': 'present', 'fingerprint': fingerprint}


def test_same_certificate_in_a_new_file_is_recognised_by_fingerprint(leaf, bundle):
    """Re-exporting gives new bytes (new salt) but the same leaf: no reinstall."""
    data, fingerprint = bundle
    re_exported, same_fingerprint = certificates.pkcs12_bytes(password=PASSWORD, leaf=leaf)
    assert re_exported != data and same_fingerprint == fingerprint
    _state, install, _uninstall = decide(install_entry(data, 'Command Success'), re_exported, fingerprint)
    assert install is False


def test_reinstall_of_a_different_certificate_is_a_change(bundle):
    data, fingerprint = bundle
    other, other_fingerprint = certificates.pkcs12_bytes(password=PASSWORD, common_name='corp-proxy-2')
    state, install, uninstall = decide(install_entry(data, 'Command Success'), other, other_fingerprint)
    assert state['state'] == PRESENT and state['fingerprint'] == fingerprint
    assert (install, uninstall) == (True, True)


@pytest.mark.parametrize('open_state', ['Command Queued', 'Command Initiated', 'Command Acknowledged',
                                        'Command In Progress', 'Command Scheduled'])
def test_pending_install_of_the_same_certificate_is_not_sent_again(bundle, open_state):
    data, fingerprint = bundle
    state, install, uninstall = decide(install_entry(data, open_state), data, fingerprint)
    assert state['state'] == PRESENT and state['pending'] is True
    assert (install, uninstall) == (False, True)


@pytest.mark.parametrize('failed_state', ['Command Failure', 'Command TimeOut', 'Command Cancelled'])
def test_failed_install_leaves_the_state_unknown(bundle, failed_state):
    # A failed install of a new certificate leaves the previous one under the alias: present sends the install
    # again, absent removes whatever may be there.
    data, fingerprint = bundle
    state, install, uninstall = decide(install_entry(data, failed_state), data, fingerprint)
    assert state['state'] == UNKNOWN
    assert state['last_state'] == failed_state and state['request_id'] == 'req-install'
    assert (install, uninstall) == (True, True)


@pytest.mark.parametrize('done_state', ['Command Success', 'Command Queued'])
def test_uninstall_succeeded_or_pending_is_absent(bundle, done_state):
    state, install, uninstall = decide(uninstall_entry(done_state), *bundle)
    assert state['state'] == ABSENT
    assert (install, uninstall) == (True, False)


@pytest.mark.parametrize('failed_state', ['Command Failure', 'Command TimeOut', 'Command Cancelled'])
def test_failed_uninstall_leaves_the_state_unknown(bundle, failed_state):
    state, install, uninstall = decide(uninstall_entry(failed_state), *bundle)
    assert state['state'] == UNKNOWN
    assert (install, uninstall) == (True, True)
    assert diff_entry(state) == {'state': 'unknown', 'fingerprint': None}


def test_past_bundle_opens_with_the_password_sent_alongside_it(leaf):
    past, fingerprint = certificates.pkcs12_bytes(password=OTHER_PASSWORD, leaf=leaf)
    current, _same = certificates.pkcs12_bytes(password=PASSWORD, leaf=leaf)
    state, install, _uninstall = decide(install_entry(past, 'Command Success', password=OTHER_PASSWORD),
                                        current, fingerprint)
    assert state['fingerprint'] == fingerprint
    assert install is False


def test_past_bundle_opens_with_the_current_password_when_history_hides_it(bundle):
    data, fingerprint = bundle
    state, install, _uninstall = decide(install_entry(data, 'Command Success', password=MASK), data, fingerprint)
    assert state['fingerprint'] == fingerprint
    assert install is False


def test_unreadable_past_bundle_falls_back_to_the_raw_bytes(leaf):
    """A past bundle no known password opens is the same certificate only if its bytes are the same."""
    past, fingerprint = certificates.pkcs12_bytes(password=OTHER_PASSWORD, leaf=leaf)
    entry = install_entry(past, 'Command Success', password=None)
    state, install, _uninstall = decide(entry, past, fingerprint, password=PASSWORD)
    assert state['fingerprint'] is None
    assert state['bundle_sha256'] == bundle_digest(past)
    assert install is False
    re_exported, _same = certificates.pkcs12_bytes(password=PASSWORD, leaf=leaf)
    _state, install, _uninstall = decide(entry, re_exported, fingerprint, password=PASSWORD)
    assert install is True


@pytest.mark.parametrize('recorded', [MASK, None, '!!not base64!!'])
def test_past_install_without_readable_data_is_treated_as_different(bundle, recorded):
    data, fingerprint = bundle
    entry = install_entry(data, 'Command Success')
    if recorded is None:
        del entry['request']['command_args']['cert_data_base64']
    else:
        entry['request']['command_args']['cert_data_base64'] = recorded
    state, install, uninstall = decide(entry, data, fingerprint)
    assert state['state'] == PRESENT
    assert (install, uninstall) == (True, True)


def test_each_past_bundle_is_opened_once(bundle, monkeypatch):
    data, fingerprint = bundle
    calls = []
    real = certificate.leaf_fingerprint

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(certificate, 'leaf_fingerprint', counting)
    identities = HistoryIdentities(PASSWORD)
    entry = install_entry(data, 'Command Success')
    states = [device_certificate_state(entry, identities) for _device in range(5)]
    assert [state['fingerprint'] for state in states] == [fingerprint] * 5
    assert len(calls) == 1


def test_leaf_fingerprint_returns_none_for_junk_and_wrong_passwords(bundle):
    assert leaf_fingerprint(certificates.JUNK_BYTES, (PASSWORD,)) is None
    assert leaf_fingerprint(bundle[0], ('nope', None)) is None
    assert leaf_fingerprint(bundle[0], ('nope', PASSWORD)) == bundle[1]


@pytest.mark.parametrize('entry, reason', [
    (None, 'certificate corp-proxy was never installed'),
    (uninstall_entry('Command Success'), 'certificate corp-proxy was already removed (request req-uninstall)'),
    (uninstall_entry('Command Queued'),
     'the removal of certificate corp-proxy is still open (request req-uninstall, Command Queued)'),
    ('install:Command Success', 'certificate corp-proxy is already installed (request req-install)'),
    ('install:Command In Progress',
     'the install of certificate corp-proxy is still open (request req-install, Command In Progress)'),
    ('install:Command TimeOut',
     'the last install of certificate corp-proxy did not complete (request req-install, Command TimeOut)'),
])
def test_up_to_date_reason(bundle, entry, reason):
    if isinstance(entry, str):
        entry = install_entry(bundle[0], entry.split(':', 1)[1])
    assert up_to_date_reason('corp-proxy', device_certificate_state(entry, HistoryIdentities(PASSWORD))) == reason


# The Android 9 rule


@pytest.mark.parametrize('device, expected', [
    ({'id': 'd1', 'api_level': 28}, None),
    ({'id': 'd1', 'api_level': 34, 'platform': 'ANDROID'}, None),
    ({'id': 'd1', 'api_level': '29', 'os': 'Android'}, None),
    ({'id': 'd1', 'api_level': 27}, 'the device runs API level 27; Android 9 (API 28) or later is required'),
    ({'id': 'd1', 'api_level': 21, 'platform': 'ANDROID'}, 'API level 21'),
    ({'id': 'd1', 'platform': 'IOS'}, 'only be installed on Android devices; this device runs APPLE'),
    ({'id': 'd1', 'os': 'Windows', 'api_level': 30}, 'this device runs WINDOWS'),
    ({'id': 'd1'}, 'reports no Android API level'),
    ({'id': 'd1', 'api_level': None, 'platform': 'ANDROID'}, 'reports no Android API level'),
])
def test_ineligibility_reason(device, expected):
    reason = ineligibility_reason(device)
    if expected is None:
        assert reason is None
    else:
        assert expected in reason


# Masking


def test_the_redactor_replaces_secrets_in_nested_values():
    value = {'msg': 'echo S3cret-bundle-pw and QUJDREVGRw==', 'list': ['x QUJDREVGRw== y', 3, None],
             'nested': {'reason': 'fine'}}
    scrubbed = redact(value, [PASSWORD, 'QUJDREVGRw==', None, ''])
    assert scrubbed == {'msg': 'echo %s and %s' % (MASK, MASK), 'list': ['x %s y' % MASK, 3, None],
                        'nested': {'reason': 'fine'}}
    assert value['msg'].startswith('echo S3cret')  # the input is left alone


def test_the_redactor_masks_slices_of_the_bundle_but_not_ordinary_values(bundle):
    data, fingerprint = bundle
    encoded = encode_base64(data)
    inspection = inspect_bundle(data, PASSWORD)
    ordinary = {'certificate': inspection.certificate, 'device': '6f1c2d3e-0000-4a5b-8c9d-000000000001',
                'reason': 'certificate corp-proxy is already installed (request 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f)'}
    assert redact(ordinary, [PASSWORD, encoded]) == ordinary
    echoed = 'rejected: %s... and ...%s' % (encoded[:150], encoded[-100:-60])
    assert redact(echoed, [encoded]) == 'rejected: %s... and ...%s' % (MASK, MASK)
    assert fingerprint == redact(fingerprint, [encoded])


# Every bundle error names the option the bundle came from (issue 8 item 12)

NOT_PKCS12_ADVICE = 'PEM or DER certificates must be converted first, for example with openssl pkcs12 -export'


def test_a_src_that_is_not_pkcs12_is_named_with_its_path(tmp_path):
    pem = tmp_path / 'leaf.pem'
    pem.write_bytes(certificates.pem_bytes())
    with pytest.raises(CertificateError) as caught:
        read_bundle(src=str(pem))
    assert str(caught.value) == 'src %s is not a PKCS#12 (.p12/.pfx) bundle; %s' % (pem, NOT_PKCS12_ADVICE)


def test_content_that_is_not_pkcs12_is_named_content():
    junk = base64.b64encode(certificates.JUNK_BYTES).decode('ascii')
    with pytest.raises(CertificateError) as caught:
        read_bundle(content=junk)
    assert str(caught.value) == 'content is not a PKCS#12 (.p12/.pfx) bundle; %s' % NOT_PKCS12_ADVICE
    assert junk not in str(caught.value)


def test_src_is_read_before_content_and_named_when_both_are_given(tmp_path, bundle):
    junk = tmp_path / 'junk.p12'
    junk.write_bytes(certificates.JUNK_BYTES)
    with pytest.raises(CertificateError, match='^src %s is not a PKCS#12' % junk):
        read_bundle(src=str(junk), content=base64.b64encode(bundle[0]).decode('ascii'))


def test_bundle_source_names_the_option():
    assert bundle_source('/tmp/x.p12', None) == 'src /tmp/x.p12'
    assert bundle_source('/tmp/x.p12', 'TUlJSw==') == 'src /tmp/x.p12'
    assert bundle_source(None, 'TUlJSw==') == 'content'
    assert bundle_source(None, None) == 'the certificate file'


@pytest.mark.parametrize('source', ['src /tmp/proxy.p12', 'content'])
def test_every_inspect_error_names_the_source(bundle, source):
    data = bundle[0]
    expected = {
        'no password': ('the PKCS#12 bundle in %s cannot be opened without a password: set password (or the bundle is damaged)'
                        % source),
        'wrong password': ('the PKCS#12 bundle in %s cannot be opened with the given password (wrong password, or a damaged '
                           'or unsupported bundle)' % source),
        'not pkcs12': '%s is not a PKCS#12 (.p12/.pfx) bundle; %s' % (source, NOT_PKCS12_ADVICE),
        'no certificate': 'the PKCS#12 bundle in %s holds no certificate' % source,
    }
    calls = {
        'no password': lambda: inspect_bundle(data, None, source=source),
        'wrong password': lambda: inspect_bundle(data, 'wrong-password-123', source=source),
        'not pkcs12': lambda: inspect_bundle(certificates.pem_bytes(), None, source=source),
        'no certificate': lambda: inspect_bundle(certificates.key_only_pkcs12_bytes(PASSWORD), PASSWORD, source=source),
    }
    for name, call in calls.items():
        with pytest.raises(CertificateError) as caught:
            call()
        assert str(caught.value) == expected[name], name


def test_an_expired_certificate_names_the_source():
    data, _fingerprint = certificates.pkcs12_bytes(password=PASSWORD, expired=True)
    with pytest.raises(CertificateError, match=r'^the certificate CN=corp-proxy,O=esper\.mdm tests in src /tmp/old\.p12 expired on \d{4}-'):
        inspect_bundle(data, PASSWORD, source='src /tmp/old.p12')


def test_read_then_inspect_names_src_for_a_wrong_password(tmp_path):
    path, _fingerprint = certificates.make_pkcs12(tmp_path / 'proxy.p12', password=PASSWORD)
    data = read_bundle(src=str(path))
    with pytest.raises(CertificateError) as caught:
        inspect_bundle(data, OTHER_PASSWORD, source=bundle_source(str(path), None))
    assert str(caught.value).startswith('the PKCS#12 bundle in src %s cannot be opened with the given password' % path)
    assert OTHER_PASSWORD not in str(caught.value)
