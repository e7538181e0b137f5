# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""PKCS#12 bundles and the certificate history rules of esper_certificate (CONTRACT §6).

No Esper API lists the certificates installed on a device, so a device's certificate state is read from the
newest INSTALL_CERTIFICATE / UNINSTALL_CERTIFICATE request that named the alias (command_history.py).

Secrets: nothing here puts the bundle bytes, its base64 or a password into a message. cryptography's own
exception texts are never passed on; every failure is re-worded into a CertificateError.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import math

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12
except ImportError:
    HAS_CRYPTOGRAPHY = False
else:
    HAS_CRYPTOGRAPHY = True

from ansible_collections.esper.mdm.plugins.module_utils._command_history import is_open, is_success
from ansible_collections.esper.mdm.plugins.module_utils._masking import MASK
from ansible_collections.esper.mdm.plugins.module_utils._targets import device_api_level, device_platform

INSTALL_COMMAND = 'INSTALL_CERTIFICATE'
UNINSTALL_COMMAND = 'UNINSTALL_CERTIFICATE'
CERTIFICATE_COMMANDS = (INSTALL_COMMAND, UNINSTALL_COMMAND)

# The only values the commands accept (§4.3, §6).
CERT_FILE_TYPE = 'pkcs12'
CERT_STORAGE_TYPE = 'system'

# INSTALL_CERTIFICATE needs Android 9 (§6).
MINIMUM_API_LEVEL = 28

# A certificate that expires sooner than this is installed with a warning.
EXPIRY_WARNING_DAYS = 30

# Device states as the diff reports them.
PRESENT = 'present'
ABSENT = 'absent'
UNKNOWN = 'unknown'

UTC = datetime.timezone.utc

# DER encodings that open every PKCS#12 PFX (RFC 7292): version 3, then a ContentInfo of type data or signedData.
DER_SEQUENCE = 0x30
DER_INTEGER = 0x02
DER_OID = 0x06
DER_CONSTRUCTED = 0x20
BER_INDEFINITE_LENGTH = 0x80
PFX_VERSION = b'\x03'
OID_PKCS7_DATA = bytes(bytearray([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]))
OID_PKCS7_SIGNED_DATA = bytes(bytearray([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]))


class CertificateError(Exception):
    """A bundle that cannot be installed. The message never contains the bundle's bytes, base64 or password."""


class BundleInspection(object):
    """What inspect_bundle() found in a PKCS#12 bundle.

    certificate: the dict the module returns as ``certificate`` (subject, issuer, not_before, not_after,
        fingerprint_sha256, chain_length, chain_complete, has_private_key, serial_number).
    warnings: sentences for the user (expiring soon, missing chain, needless password).
    password_required: False when the bundle opened without a password, so none needs to be sent.
    """

    def __init__(self, certificate, warnings, password_required):
        self.certificate = certificate
        self.warnings = warnings
        self.password_required = password_required

    @property
    def fingerprint(self):
        """The leaf certificate's SHA-256 fingerprint (AA:BB:.. form)."""
        return self.certificate['fingerprint_sha256']


NOT_PKCS12_ADVICE = 'PEM or DER certificates must be converted first, for example with openssl pkcs12 -export'


def bundle_source(src=None, content=None):
    """How messages name where a bundle came from: 'src <path>' or 'content' (read_bundle's choice: src first)."""
    if src:
        return 'src %s' % src
    if content:
        return 'content'
    return 'the certificate file'


def read_bundle(src=None, content=None):
    """The bundle's bytes, read from the file src or decoded from the base64 text content.

    Raises CertificateError when the file cannot be read, content is not base64, or the data does not start
    like a PKCS#12 bundle; the message names the option (src with its path, or content), never the data.
    """
    if src:
        try:
            with open(src, 'rb') as bundle_file:
                data = bundle_file.read()
        except (IOError, OSError) as error:
            raise CertificateError('cannot read src %s: %s' % (src, error.strerror or error.__class__.__name__))
        if not data:
            raise CertificateError('src %s is empty' % src)
    elif content:
        data = decode_base64(content)
        if data is None:
            raise CertificateError('content is not valid base64 (it must be the base64 of a .p12/.pfx file)')
        if not data:
            raise CertificateError('content decodes to an empty file')
    else:
        raise CertificateError('src or content is required')
    if not looks_like_pkcs12(data):
        raise CertificateError(_not_pkcs12_message(bundle_source(src, content)))
    return data


def _not_pkcs12_message(source):
    return '%s is not a PKCS#12 (.p12/.pfx) bundle; %s' % (source, NOT_PKCS12_ADVICE)


def decode_base64(text):
    """bytes of a base64 text (whitespace and line breaks allowed), or None when it is not base64."""
    if isinstance(text, bytes):
        text = text.decode('ascii', 'replace')
    if not isinstance(text, str):
        return None
    compact = ''.join(text.split())
    try:
        return base64.b64decode(compact.encode('ascii'), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def encode_base64(data):
    """The one-line standard base64 of data, as sent in cert_data_base64."""
    return base64.b64encode(data).decode('ascii')


def bundle_digest(data):
    """SHA-256 hex digest of the raw bundle bytes (the fallback identity when a bundle cannot be opened)."""
    return hashlib.sha256(data).hexdigest()


def _read_der_header(data, offset):
    """(tag, content_start, content_end) of the DER element at offset, or None when it is malformed.

    A constructed element with a BER indefinite length (as in PKCS#12 files exported by macOS Keychain and Windows,
    which cryptography opens) is taken to run to the end of data.
    """
    if offset + 2 > len(data):
        return None
    tag = bytearray(data[offset:offset + 1])[0]
    first = bytearray(data[offset + 1:offset + 2])[0]
    position = offset + 2
    if first == BER_INDEFINITE_LENGTH and tag & DER_CONSTRUCTED:
        return tag, position, len(data)
    if first < 0x80:
        length = first
    else:
        count = first & 0x7f
        if count == 0 or count > 4 or position + count > len(data):
            return None
        length = 0
        for byte in bytearray(data[position:position + count]):
            length = (length << 8) | byte
        position += count
    if position + length > len(data):
        return None
    return tag, position, position + length


def looks_like_pkcs12(data):
    """True when data starts like a DER or BER PKCS#12 PFX: SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7 data|signedData ..."""
    if not isinstance(data, bytes):
        return False
    outer = _read_der_header(data, 0)
    if outer is None or outer[0] != DER_SEQUENCE:
        return False
    version = _read_der_header(data, outer[1])
    if version is None or version[0] != DER_INTEGER or data[version[1]:version[2]] != PFX_VERSION:
        return False
    auth_safe = _read_der_header(data, version[2])
    if auth_safe is None or auth_safe[0] != DER_SEQUENCE:
        return False
    content_type = _read_der_header(data, auth_safe[1])
    if content_type is None or content_type[0] != DER_OID:
        return False
    return data[content_type[1]:content_type[2]] in (OID_PKCS7_DATA, OID_PKCS7_SIGNED_DATA)


def _password_bytes(password):
    if password is None or password == '':
        return None
    if isinstance(password, bytes):
        return password
    return password.encode('utf-8')


def _open_pkcs12(data, password):
    """(key, certificate, additional_certificates) or None when cryptography cannot open it with password."""
    try:
        return pkcs12.load_key_and_certificates(data, _password_bytes(password))
    except Exception:  # any failure means "cannot open"; see below
        # cryptography raises ValueError, TypeError or backend errors depending on its version; the text may
        # describe the data, so only the fact of failure is used.
        return None


def _utc(value):
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _not_before(cert):
    return _utc(getattr(cert, 'not_valid_before_utc', None) or cert.not_valid_before)


def _not_after(cert):
    return _utc(getattr(cert, 'not_valid_after_utc', None) or cert.not_valid_after)


def _iso(moment):
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def certificate_fingerprint(cert):
    """SHA-256 fingerprint of a certificate's DER encoding, as openssl shows it: 'AB:CD:...'."""
    digest = bytearray(cert.fingerprint(hashes.SHA256()))
    return ':'.join('%02X' % byte for byte in digest)


def _is_self_issued(cert):
    return cert.subject == cert.issuer


def _pick_leaf(certificates):
    """The end-entity certificate of a bundle without a key: the first one that issued none of the others."""
    for candidate in certificates:
        issued_others = any(other is not candidate and other.issuer == candidate.subject and not _is_self_issued(other)
                            for other in certificates)
        if not issued_others:
            return candidate
    return certificates[0]


def build_chain(leaf, others):
    """(chain, complete): the certificates from leaf up through issuers found in others, and whether it ends at a
    self-issued root. Issuers are matched by name; a bundle is expected to hold one path, not alternatives."""
    chain = [leaf]
    remaining = [cert for cert in others if cert is not leaf]
    current = leaf
    while not _is_self_issued(current):
        issuer = None
        for candidate in remaining:
            if candidate.subject == current.issuer:
                issuer = candidate
                break
        if issuer is None:
            return chain, False
        chain.append(issuer)
        remaining.remove(issuer)
        current = issuer
    return chain, True


def _now(now):
    if now is None:
        return datetime.datetime.now(UTC)
    return _utc(now)


def inspect_bundle(data, password=None, now=None, source=None):
    """Open a PKCS#12 bundle locally and describe it, before anything is sent.

    Raises CertificateError when data is not PKCS#12, the password is missing or wrong, the bundle holds no
    certificate, or the leaf certificate has expired. Returns a BundleInspection whose warnings cover a leaf
    expiring within EXPIRY_WARNING_DAYS, a chain that does not reach a root, an expired chain certificate and a
    password given for a bundle that needs none. now: an aware or UTC datetime (tests); defaults to now.
    source: where the bundle came from, as bundle_source(src, content) gives it ('src /path/x.p12' or 'content');
    every error then names it. Without it the errors speak of 'the certificate file' / 'the PKCS#12 bundle'.
    """
    if not HAS_CRYPTOGRAPHY:
        raise CertificateError('the cryptography Python library is required to read certificate bundles')
    if not looks_like_pkcs12(data):
        raise CertificateError(_not_pkcs12_message(source or 'the certificate file'))
    bundle = 'the PKCS#12 bundle in %s' % source if source else 'the PKCS#12 bundle'
    warnings = []
    password_required = True
    opened = _open_pkcs12(data, password)
    if opened is None:
        if _password_bytes(password) is None:
            raise CertificateError('%s cannot be opened without a password: set password (or the bundle is damaged)' % bundle)
        if _open_pkcs12(data, None) is None:
            raise CertificateError('%s cannot be opened with the given password (wrong password, or a damaged or unsupported '
                                   'bundle)' % bundle)
        opened = _open_pkcs12(data, None)
        warnings.append('password is set but the PKCS#12 bundle is not password-protected; no password is sent')
        password_required = False
    elif _password_bytes(password) is None:
        password_required = False
    key, cert, additional = opened
    certificates = ([cert] if cert is not None else []) + list(additional or [])
    if not certificates:
        raise CertificateError('%s holds no certificate' % bundle)
    leaf = cert if cert is not None else _pick_leaf(certificates)
    chain, complete = build_chain(leaf, certificates)
    moment = _now(now)
    not_before = _not_before(leaf)
    not_after = _not_after(leaf)
    subject = leaf.subject.rfc4514_string()
    if not_after <= moment:
        raise CertificateError('the certificate %s%s expired on %s' % (subject, ' in %s' % source if source else '', _iso(not_after)))
    # Rounded up, so a certificate made to last 10 days is reported as expiring in 10 days.
    days_left = int(math.ceil((not_after - moment).total_seconds() / 86400.0))
    if not_after - moment < datetime.timedelta(days=EXPIRY_WARNING_DAYS):
        warnings.append('the certificate %s expires in %d days, on %s' % (subject, days_left, _iso(not_after)))
    if not_before > moment:
        warnings.append('the certificate %s is not valid before %s' % (subject, _iso(not_before)))
    if not complete:
        warnings.append('the PKCS#12 bundle does not hold the chain of %s up to a root CA (missing the issuer %s); '
                        'devices that do not already trust that issuer may reject it'
                        % (subject, chain[-1].issuer.rfc4514_string()))
    for chain_cert in chain[1:]:
        if _not_after(chain_cert) <= moment:
            warnings.append('the chain certificate %s expired on %s'
                            % (chain_cert.subject.rfc4514_string(), _iso(_not_after(chain_cert))))
    certificate = {
        'subject': subject,
        'issuer': leaf.issuer.rfc4514_string(),
        'serial_number': '%X' % leaf.serial_number,
        'not_before': _iso(not_before),
        'not_after': _iso(not_after),
        'fingerprint_sha256': certificate_fingerprint(leaf),
        'chain_length': len(chain),
        'chain_complete': complete,
        'has_private_key': key is not None,
    }
    return BundleInspection(certificate, warnings, password_required)


def leaf_fingerprint(data, passwords=(None,)):
    """The leaf SHA-256 fingerprint of a bundle, trying each password in turn; None when none opens it.

    Used on bundles found in the command history, so it never raises.
    """
    if not HAS_CRYPTOGRAPHY or not looks_like_pkcs12(data):
        return None
    tried = set()
    for password in passwords:
        password = _password_bytes(password)
        if password in tried:
            continue
        tried.add(password)
        opened = _open_pkcs12(data, password)
        if opened is None:
            continue
        cert, additional = opened[1], opened[2]
        certificates = ([cert] if cert is not None else []) + list(additional or [])
        if certificates:
            return certificate_fingerprint(cert if cert is not None else _pick_leaf(certificates))
    return None


def install_command_args(alias, data, password=None):
    """command_args of INSTALL_CERTIFICATE for the bundle bytes data under alias (cert_password only when set)."""
    args = {
        'cert_file_type': CERT_FILE_TYPE,
        'cert_data_base64': encode_base64(data),
        'cert_alias_name': alias,
        'cert_storage_type': CERT_STORAGE_TYPE,
    }
    if _password_bytes(password) is not None:
        args['cert_password'] = password
    return args


def uninstall_command_args(alias):
    """command_args of UNINSTALL_CERTIFICATE for alias."""
    return {'cert_alias_name': alias, 'cert_storage_type': CERT_STORAGE_TYPE}


def alias_filter(alias):
    """A command_history request_filter keeping certificate requests for exactly this alias (case-sensitive, §6)."""
    def has_alias(request):
        args = request.get('command_args') if isinstance(request, dict) else None
        return isinstance(args, dict) and args.get('cert_alias_name') == alias
    return has_alias


def _usable_secret(value):
    """A history value that can be tried as a password: a non-empty string that is not a mask."""
    return isinstance(value, str) and value != '' and value != MASK


class HistoryIdentities(object):
    """Identities (leaf fingerprint, raw bundle digest) of bundles sent by past INSTALL requests, each computed once.

    A past bundle is opened with the password sent alongside it, then with the current password, then with
    none. When none opens it (or its data is missing), only the SHA-256 of its raw bytes can identify it, and
    it is the same certificate only when those bytes equal the current bundle's.
    """

    def __init__(self, password=None):
        self.password = password
        self._cache = {}

    def identity(self, request):
        """{'fingerprint': str or None, 'bundle_sha256': str or None} for the bundle of an INSTALL request."""
        key = request.get('id') or id(request)
        if key not in self._cache:
            self._cache[key] = self._compute(request)
        return self._cache[key]

    def _compute(self, request):
        args = request.get('command_args') or {}
        encoded = args.get('cert_data_base64')
        data = decode_base64(encoded) if _usable_secret(encoded) else None
        if not data:
            return {'fingerprint': None, 'bundle_sha256': None}
        past_password = args.get('cert_password') if _usable_secret(args.get('cert_password')) else None
        fingerprint = leaf_fingerprint(data, (past_password, self.password, None))
        return {'fingerprint': fingerprint, 'bundle_sha256': bundle_digest(data)}


def device_certificate_state(entry, identities):
    """What the history says about the alias on one device.

    entry: latest_statuses()'s {'request', 'status'} for the device, or None when no request named the alias.
    identities: a HistoryIdentities. Returns {'state', 'fingerprint', 'bundle_sha256', 'pending', 'request_id',
    'last_command', 'last_state'} where state is:
      present  - the latest request is an INSTALL that succeeded or is still open (pending=True when open);
      absent   - never installed, or the latest UNINSTALL succeeded or is still open;
      unknown  - the latest request failed, timed out or was cancelled: what was there before may remain (a failed
                 INSTALL of a new certificate leaves the previous one; a failed UNINSTALL leaves the certificate).
    """
    if not entry:
        return {'state': ABSENT, 'fingerprint': None, 'bundle_sha256': None, 'pending': False,
                'request_id': None, 'last_command': None, 'last_state': None}
    request = entry.get('request') or {}
    status = entry.get('status') or {}
    command = request.get('command')
    result = {'state': ABSENT, 'fingerprint': None, 'bundle_sha256': None, 'pending': is_open(status),
              'request_id': request.get('id'), 'last_command': command, 'last_state': status.get('state')}
    if not (is_success(status) or is_open(status)):
        result['state'] = UNKNOWN
    elif command == INSTALL_COMMAND:
        result['state'] = PRESENT
        result.update(identities.identity(request))
    return result


def is_same_certificate(device_state, fingerprint, bundle_sha256):
    """True when the device's recorded certificate is this one: same leaf fingerprint, or failing that, same bytes."""
    if device_state.get('fingerprint') and fingerprint:
        return device_state['fingerprint'] == fingerprint
    return bool(device_state.get('bundle_sha256')) and device_state['bundle_sha256'] == bundle_sha256


def needs_install(device_state, fingerprint, bundle_sha256):
    """state=present: INSTALL unless the latest request is a successful or open INSTALL of this certificate."""
    if device_state['state'] != PRESENT:
        return True
    return not is_same_certificate(device_state, fingerprint, bundle_sha256)


def needs_uninstall(device_state):
    """state=absent: UNINSTALL where a certificate may be under the alias (present, or unknown after a failed
    request)."""
    return device_state['state'] in (PRESENT, UNKNOWN)


def up_to_date_reason(alias, device_state):
    """Why a device is not sent the command, from its history state (for skipped_devices)."""
    request_id = device_state.get('request_id')
    last_state = device_state.get('last_state')
    if device_state.get('last_command') is None:
        return 'certificate %s was never installed' % alias
    if device_state['state'] == PRESENT:
        if device_state.get('pending'):
            return 'the install of certificate %s is still open (request %s, %s)' % (alias, request_id, last_state)
        return 'certificate %s is already installed (request %s)' % (alias, request_id)
    if device_state.get('last_command') == UNINSTALL_COMMAND:
        if device_state.get('pending'):
            return 'the removal of certificate %s is still open (request %s, %s)' % (alias, request_id, last_state)
        return 'certificate %s was already removed (request %s)' % (alias, request_id)
    return 'the last install of certificate %s did not complete (request %s, %s)' % (alias, request_id, last_state)


def ineligibility_reason(device):
    """Why a device cannot get a certificate command (not Android, or below Android 9), or None when it can."""
    platform = device_platform(device)
    if platform is not None and platform != 'ANDROID':
        return 'certificates can only be installed on Android devices; this device runs %s' % platform
    api_level = device_api_level(device)
    if api_level is None:
        return ('the device reports no Android API level (not an Android device, or not provisioned yet); '
                'Android 9 (API %d) or later is required' % MINIMUM_API_LEVEL)
    if api_level < MINIMUM_API_LEVEL:
        return 'the device runs API level %d; Android 9 (API %d) or later is required' % (api_level, MINIMUM_API_LEVEL)
    return None


def diff_entry(device_state):
    """The diff's view of a device: {'state': present|absent|unknown, 'fingerprint': str or None}."""
    if device_state is None:
        return {'state': UNKNOWN, 'fingerprint': None}
    fingerprint = device_state.get('fingerprint') if device_state['state'] == PRESENT else None
    return {'state': device_state['state'], 'fingerprint': fingerprint}
