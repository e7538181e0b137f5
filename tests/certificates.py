# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test certificates: a root CA, an intermediate CA and PKCS#12 leaf bundles built with cryptography.

Used by the unit tests of esper_certificate and by the integration tests:

    path, fingerprint = make_pkcs12(tmp_path / 'proxy.p12', password='s3cret')
    bundles = make_test_bundles(tmp_path)          # every variant at once, see TEST_BUNDLES

Keys are EC P-256 so that generation is instant. The CA pair is made once per process and shared, so
every leaf chains to the same root. Fingerprints use the module's form: SHA-256 of the DER, 'AB:CD:..'.

Run as a script to write the whole set into a directory: python tests/certificates.py /tmp/certs
"""

from __future__ import annotations

import datetime
import json
import sys
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

UTC = datetime.timezone.utc

_authorities = {}


def fingerprint_of(cert):
    """SHA-256 fingerprint of a certificate in the 'AB:CD:..' form the module reports."""
    return ':'.join('%02X' % byte for byte in cert.fingerprint(hashes.SHA256()))


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'esper.mdm tests'),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_key():
    return ec.generate_private_key(ec.SECP256R1())


def _build(subject, issuer, public_key, signing_key, not_before, not_after, is_ca, serial=None):
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer)
               .public_key(public_key)
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    return builder.sign(signing_key, hashes.SHA256())


def certificate_authorities():
    """(root_key, root_cert, intermediate_key, intermediate_cert), made once per process."""
    if not _authorities:
        now = datetime.datetime.now(UTC)
        root_key = _new_key()
        root_name = _name('esper.mdm Test Root CA')
        root = _build(root_name, root_name, root_key.public_key(), root_key,
                      now - datetime.timedelta(days=1), now + datetime.timedelta(days=3650), True)
        intermediate_key = _new_key()
        intermediate = _build(_name('esper.mdm Test Intermediate CA'), root_name, intermediate_key.public_key(),
                              root_key, now - datetime.timedelta(days=1), now + datetime.timedelta(days=1825), True)
        _authorities.update(root_key=root_key, root=root, intermediate_key=intermediate_key,
                            intermediate=intermediate)
    return (_authorities['root_key'], _authorities['root'], _authorities['intermediate_key'],
            _authorities['intermediate'])


def make_leaf(common_name='corp-proxy', days_valid=365, expired=False):
    """(key, certificate) of a leaf signed by the intermediate CA.

    expired: valid from 400 days ago until yesterday; otherwise valid from yesterday for days_valid days.
    """
    _root_key, _root, intermediate_key, intermediate = certificate_authorities()
    now = datetime.datetime.now(UTC)
    if expired:
        not_before, not_after = now - datetime.timedelta(days=400), now - datetime.timedelta(days=1)
    else:
        not_before, not_after = now - datetime.timedelta(days=1), now + datetime.timedelta(days=days_valid)
    key = _new_key()
    cert = _build(_name(common_name), intermediate.subject, key.public_key(), intermediate_key, not_before,
                  not_after, False)
    return key, cert


def _encryption(password):
    if password:
        return serialization.BestAvailableEncryption(password.encode('utf-8'))
    return serialization.NoEncryption()


def pkcs12_bytes(password=None, days_valid=365, with_chain=True, expired=False, common_name='corp-proxy',
                 leaf=None):
    """(bundle bytes, leaf fingerprint) of a PKCS#12 bundle holding a new leaf, its key and, with_chain, the
    intermediate and root CAs. leaf: reuse a (key, certificate) pair to get the same certificate again."""
    _root_key, root, _intermediate_key, intermediate = certificate_authorities()
    key, cert = leaf or make_leaf(common_name, days_valid, expired)
    chain = [intermediate, root] if with_chain else None
    data = pkcs12.serialize_key_and_certificates(common_name.encode('utf-8'), key, cert, chain,
                                                 _encryption(password))
    return data, fingerprint_of(cert)


def make_pkcs12(path, password=None, days_valid=365, with_chain=True, expired=False, common_name='corp-proxy'):
    """Write a PKCS#12 leaf bundle to path; return (path, leaf fingerprint)."""
    data, fingerprint = pkcs12_bytes(password, days_valid, with_chain, expired, common_name)
    path = Path(path)
    path.write_bytes(data)
    return path, fingerprint


def key_only_pkcs12_bytes(password=None):
    """A valid PKCS#12 bundle with a private key and no certificate."""
    return pkcs12.serialize_key_and_certificates(b'no-cert', _new_key(), None, None, _encryption(password))


def ca_only_pkcs12_bytes(password=None):
    """(bundle bytes, root fingerprint) of a PKCS#12 bundle holding only the root CA certificate, no key."""
    _root_key, root, _intermediate_key, _intermediate = certificate_authorities()
    data = pkcs12.serialize_key_and_certificates(b'root-ca', None, None, [root], _encryption(password))
    return data, fingerprint_of(root)


def pem_bytes():
    """A PEM leaf certificate: a real certificate, but not PKCS#12."""
    _key, cert = make_leaf('pem-only')
    return cert.public_bytes(serialization.Encoding.PEM)


JUNK_BYTES = b'this is not a certificate bundle\n' * 4

# name -> keyword arguments of make_pkcs12, for make_test_bundles().
TEST_BUNDLES = {
    'with_password': {'password': 'S3cret-bundle-pw'},
    'without_password': {},
    'without_chain': {'password': 'S3cret-bundle-pw', 'with_chain': False},
    'expired': {'password': 'S3cret-bundle-pw', 'expired': True},
    'expiring_soon': {'password': 'S3cret-bundle-pw', 'days_valid': 10},
    'other_leaf': {'password': 'S3cret-bundle-pw', 'common_name': 'corp-proxy-2'},
}


def make_test_bundles(directory):
    """Write every TEST_BUNDLES variant, a junk file and a PEM file into directory.

    Returns name -> {'path': str, 'fingerprint': str or None, 'password': str or None}.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    bundles = {}
    for name, options in TEST_BUNDLES.items():
        path, fingerprint = make_pkcs12(directory / ('%s.p12' % name), **options)
        bundles[name] = {'path': str(path), 'fingerprint': fingerprint, 'password': options.get('password')}
    junk = directory / 'junk.p12'
    junk.write_bytes(JUNK_BYTES)
    bundles['junk'] = {'path': str(junk), 'fingerprint': None, 'password': None}
    pem = directory / 'leaf.pem'
    pem.write_bytes(pem_bytes())
    bundles['pem'] = {'path': str(pem), 'fingerprint': None, 'password': None}
    return bundles


if __name__ == '__main__':
    target = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix='esper-certs-')
    json.dump(make_test_bundles(target), sys.stdout, indent=2)
    sys.stdout.write('\n')
