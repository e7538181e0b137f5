# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The standard-library transport against real sockets on loopback: each failure phase, keep-alive, TLS, proxies."""

from __future__ import annotations

import datetime
import gzip
import io
import ipaddress
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.esper.mdm.plugins.module_utils import _transport as transport
from ansible_collections.esper.mdm.plugins.module_utils._client import EsperClient, EsperTransportError
from ansible_collections.esper.mdm.plugins.module_utils._parallel import parallel_map


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True

    def log_message(self, *args):
        """Quiet."""

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        server = self.server
        with server.lock:
            server.seen.append({'method': self.command, 'path': self.path, 'headers': dict(self.headers), 'body': body,
                                'peer': self.client_address})
        behaviour = server.behaviour
        if behaviour == 'hang':
            server.release.wait(5)
            return
        if behaviour == 'drop':
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = json.dumps({'content': {'path': self.path}}).encode()
        headers = {'Content-Type': 'application/json'}
        if behaviour == 'gzip':
            payload = gzip.compress(payload)
            headers['Content-Encoding'] = 'gzip'
        if behaviour == 'close':
            headers['Connection'] = 'close'
            self.close_connection = True
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _answer
    do_POST = _answer


def serve(behaviour=None, tls=None):
    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    server.behaviour = behaviour
    server.seen = []
    server.lock = threading.Lock()
    server.release = threading.Event()
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    return server


@pytest.fixture
def server():
    started = []

    def start(behaviour=None, tls=None):
        started.append(serve(behaviour, tls))
        return started[-1]

    yield start
    for item in started:
        item.release.set()
        item.shutdown()
        item.server_close()


def url(server, path='/api/x/', scheme='http'):
    return '%s://127.0.0.1:%d%s' % (scheme, server.server_address[1], path)


def test_params_join_the_urls_own_query_and_json_goes_as_the_body(server):
    backend = server()
    session = transport.StdlibSession()
    response = session.request('POST', url(backend, '/api/x/?offset=5'), params={'limit': 10, 'skip': None},
                               json={'a': 1}, headers={'Authorization': 'Bearer k'}, timeout=5)
    assert response.status_code == 200 and response.reason == 'OK'
    assert response.json() == {'content': {'path': '/api/x/?offset=5&limit=10'}}
    seen = backend.seen[0]
    assert seen['body'] == b'{"a": 1}' and seen['headers']['Content-Type'] == 'application/json'
    assert seen['headers']['Authorization'] == 'Bearer k'


def test_one_kept_alive_connection_for_successive_requests_and_a_new_one_when_the_server_closed_it(server):
    backend = server()
    session = transport.StdlibSession()
    for _attempt in range(3):
        session.request('GET', url(backend), timeout=5)
    assert len(set(item['peer'] for item in backend.seen)) == 1
    closing = server('close')
    session.request('GET', url(closing), timeout=5)
    session.request('GET', url(closing), timeout=5)     # the server closed the first one: a new connection, no error
    assert len(set(item['peer'] for item in closing.seen)) == 2


def test_parallel_rounds_reuse_the_same_connections_instead_of_opening_new_ones_per_round(server):
    # Polling reads each round's stats with a new pool of threads: the connections must outlive the threads, or
    # every round would open (and against a real tenant, TLS-handshake) up to 8 new ones.
    backend = server()
    session = transport.StdlibSession()
    for round_number in range(5):
        paths = ['/api/r%d/%d/' % (round_number, number) for number in range(8)]
        parallel_map(lambda path: session.request('GET', url(backend, path), timeout=5), paths, workers=8)
    assert len(backend.seen) == 40
    assert len(set(item['peer'] for item in backend.seen)) <= 8
    session.close()
    session.request('GET', url(backend), timeout=5)  # closed idle connections are not reused: a new one, no error
    assert backend.seen[-1]['peer'] not in set(item['peer'] for item in backend.seen[:-1])


def test_idle_connections_beyond_the_cap_are_closed(server, monkeypatch):
    monkeypatch.setattr(transport, 'MAX_IDLE_CONNECTIONS', 2)
    backend = server()
    session = transport.StdlibSession()
    started = threading.Barrier(4)

    def slow_read(path):
        started.wait(5)  # four requests in flight at once: four connections
        return session.request('GET', url(backend, path), timeout=5)

    parallel_map(slow_read, ['/api/a/%d/' % number for number in range(4)], workers=4)
    idle = [connection for connections in session._idle.values() for connection in connections]
    assert len(idle) == 2 and all(connection.sock is not None for connection in idle)


def test_reads_from_several_threads_each_get_their_answer(server):
    backend = server()
    session = transport.StdlibSession()
    paths = ['/api/d/%d/' % number for number in range(40)]
    answers = parallel_map(lambda path: session.request('GET', url(backend, path), timeout=5).json()['content']['path'], paths)
    assert answers == paths


def test_refused_connection_is_a_connect_error_that_never_reached_the_server():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    with pytest.raises(transport.ConnectError):
        transport.StdlibSession().request('GET', 'http://127.0.0.1:%d/api/' % port, timeout=2)
    client = EsperClient('http://127.0.0.1:%d/api' % port, 'k' * 20, max_retries=0)
    with pytest.raises(EsperTransportError) as raised:
        client.get('devices/')
    assert 'connection failed' in str(raised.value)


def test_no_answer_in_time_is_a_read_timeout(server):
    backend = server('hang')
    with pytest.raises(transport.ReadTimeout):
        transport.StdlibSession().request('GET', url(backend), timeout=0.3)


def test_a_connection_closed_without_an_answer_is_lost(server):
    backend = server('drop')
    with pytest.raises(transport.ConnectionLost):
        transport.StdlibSession().request('POST', url(backend), json={'command': 'REBOOT'}, timeout=5)
    assert backend.seen[0]['body'] == b'{"command": "REBOOT"}'


def test_gzip_answers_are_decoded(server):
    backend = server('gzip')
    assert transport.StdlibSession().request('GET', url(backend), timeout=5).json() == {'content': {'path': '/api/x/'}}


def test_files_go_as_multipart_form_data(server):
    backend = server()
    transport.StdlibSession().request('POST', url(backend), files={'app_file': ('a.apk', io.BytesIO(b'PK\x03\x04data'), 'x/y')},
                                      timeout=5)
    seen = backend.seen[0]
    content_type = seen['headers']['Content-Type']
    assert content_type.startswith('multipart/form-data; boundary=')
    boundary = content_type.split('=', 1)[1].encode()
    assert seen['body'].startswith(b'--' + boundary + b'\r\nContent-Disposition: form-data; name="app_file"; filename="a.apk"\r\n'
                                   b'Content-Type: x/y\r\n\r\nPK\x03\x04data\r\n')
    assert seen['body'].endswith(b'--' + boundary + b'--\r\n')


@pytest.fixture
def tls_files(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path = tmp_path / 'cert.pem'
    key_path = tmp_path / 'key.pem'
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_path), str(key_path))
    return str(cert_path), context


def test_tls_is_verified_against_the_system_store_or_ca_path_and_can_be_skipped(server, tls_files):
    cert_path, context = tls_files
    backend = server(tls=context)
    secure = url(backend, scheme='https')
    with pytest.raises(transport.TLSError):
        transport.StdlibSession().request('GET', secure, timeout=5)
    assert transport.StdlibSession().request('GET', secure, timeout=5, verify=cert_path).status_code == 200
    assert transport.StdlibSession().request('GET', secure, timeout=5, verify=False).status_code == 200
    client = EsperClient(secure[:-len('/x/')], 'k' * 20, max_retries=0)
    with pytest.raises(EsperTransportError) as raised:
        client.get('x/')
    assert 'TLS error' in str(raised.value) and 'validate_certs' in str(raised.value)


def test_http_goes_through_the_proxy_of_the_environment_unless_no_proxy_names_the_host(server, monkeypatch):
    proxy = server()
    backend_url = 'http://devices.example.invalid:8081/api/x/?a=1'
    monkeypatch.setenv('http_proxy', 'http://127.0.0.1:%d' % proxy.server_address[1])
    monkeypatch.delenv('no_proxy', raising=False)
    monkeypatch.delenv('NO_PROXY', raising=False)
    transport.StdlibSession().request('GET', backend_url, timeout=5)
    assert proxy.seen[0]['path'] == backend_url            # the absolute URI, as a proxy expects
    monkeypatch.setenv('no_proxy', '127.0.0.1')
    direct = server()
    transport.StdlibSession().request('GET', url(direct), timeout=5)
    assert direct.seen[0]['path'] == '/api/x/' and len(proxy.seen) == 1
