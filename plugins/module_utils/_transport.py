# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""HTTP(S) with the standard library: keep-alive connections per thread, TLS, proxies from the environment.

EsperClient talks to a session object with the part of the requests.Session interface it uses (request, mount,
close, headers). This is that session, on http.client: the module then loads in a fraction of the time the requests
library takes to import, which is most of a short task's cost. Its errors say which phase failed, because the client
decides from that whether a command may have reached the server: ConnectError (never connected), ConnectTimeout,
TLSError, ReadTimeout and ConnectionLost (sent, or partly sent, and no full answer).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import http.client
import json as jsonlib
import select
import socket
import ssl
import threading
import uuid
import zlib
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import getproxies_environment, proxy_bypass_environment


class TransportError(OSError):
    """A request that got no complete HTTP answer; ``phase`` is connect, tls, read or lost."""

    phase = 'lost'


class ConnectError(TransportError):
    """No connection was made (refused, unreachable, name not resolved): nothing reached the server."""

    phase = 'connect'


class ConnectTimeout(ConnectError):
    """No connection within the time-out: nothing reached the server."""


class TLSError(TransportError):
    """The TLS handshake failed (certificate, protocol): nothing was sent."""

    phase = 'tls'


class ReadTimeout(TransportError):
    """The request was sent and no answer came within the time-out."""

    phase = 'read'


class ConnectionLost(TransportError):
    """The connection broke while the request was sent or the answer read."""


class Response(object):
    """What EsperClient reads of an answer: status_code, reason, headers (a dict), content, text, json()."""

    def __init__(self, status_code, reason, headers, content):
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.content = content

    @property
    def text(self):
        charset = 'utf-8'
        content_type = self.headers.get('Content-Type') or self.headers.get('content-type') or ''
        for part in content_type.split(';')[1:]:
            name, sep, value = part.strip().partition('=')
            if sep and name.lower() == 'charset' and value.strip('"\' '):
                charset = value.strip('"\' ')
        try:
            return self.content.decode(charset, 'replace')
        except LookupError:
            return self.content.decode('utf-8', 'replace')

    def json(self):
        return jsonlib.loads(self.text)


def _with_params(url, params):
    """url with params appended to its query (as requests does: the URL's own query first)."""
    if not params:
        return url
    parts = urlsplit(url)
    extra = urlencode([(key, value) for key, value in params.items() if value is not None], doseq=True)
    query = '&'.join(part for part in (parts.query, extra) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _multipart(files):
    """(body, content type) of multipart/form-data for {field: (filename, fileobj, content type)}."""
    boundary = uuid.uuid4().hex
    chunks = []
    for field, (filename, fileobj, content_type) in files.items():
        data = fileobj.read()
        if not isinstance(data, bytes):
            data = data.encode('utf-8')
        chunks.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n'
                       % (boundary, field, str(filename).replace('"', '%22'), content_type or 'application/octet-stream'))
                      .encode('utf-8'))
        chunks.append(data)
        chunks.append(b'\r\n')
    chunks.append(('--%s--\r\n' % boundary).encode('ascii'))
    return b''.join(chunks), 'multipart/form-data; boundary=%s' % boundary


def _decoded(content, encoding):
    encoding = (encoding or '').strip().lower()
    if encoding in ('gzip', 'x-gzip'):
        return zlib.decompress(content, 16 + zlib.MAX_WBITS)
    if encoding == 'deflate':
        try:
            return zlib.decompress(content)
        except zlib.error:
            return zlib.decompress(content, -zlib.MAX_WBITS)
    return content


def _dropped(connection):
    """True when a kept-alive connection was closed by the server (readable with nothing to read): open a new one."""
    sock = getattr(connection, 'sock', None)
    if sock is None:
        return True
    try:
        readable, dummy, dummy = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


# Idle kept-alive connections kept per server: as many as the parallel reads use (_parallel.DEFAULT_WORKERS is 8),
# with room for a caller that runs more.
MAX_IDLE_CONNECTIONS = 16


class StdlibSession(object):
    """A requests.Session look-alike on http.client, safe to use from several threads.

    Kept-alive connections are pooled by the session, not by thread: each request takes an idle one (the most
    recently used) or opens one, and gives it back once its answer is read. The pools of parallel reads that come
    and go (one per polling round) therefore reuse the same few connections, so a task opens about as many
    connections (and TLS handshakes) as it ever reads in parallel, not that many per round.
    """

    def __init__(self):
        self._idle = {}
        self._lock = threading.Lock()
        self.headers = {}

    def mount(self, *args, **kwargs):
        """Accept adapter mounting like a Session (nothing to configure)."""

    def close(self):
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    @staticmethod
    def _tls_context(verify):
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)

    def _connection(self, key, timeout):
        """(connection, fresh) for key (scheme, host, port, verify): an idle kept-alive one the server has not closed,
        or a new one, not yet connected (through a proxy when set). The caller owns it until it gives it back."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None:
                break
            if not _dropped(connection):
                connection.timeout = timeout
                if connection.sock is not None:
                    connection.sock.settimeout(timeout)
                return connection, False
            connection.close()
        scheme, host, port, verify = key
        proxy = None if proxy_bypass_environment(host) else getproxies_environment().get(scheme)
        if scheme == 'https':
            context = self._tls_context(verify)
            if proxy:
                proxy_parts = urlsplit(proxy if '//' in proxy else '//' + proxy)
                connection = http.client.HTTPSConnection(proxy_parts.hostname, proxy_parts.port or 8080, timeout=timeout,
                                                         context=context)
                connection.set_tunnel(host, port)
            else:
                connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        elif proxy:
            proxy_parts = urlsplit(proxy if '//' in proxy else '//' + proxy)
            connection = http.client.HTTPConnection(proxy_parts.hostname, proxy_parts.port or 8080, timeout=timeout)
            connection.esper_via_proxy = True
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        return connection, True

    def _give_back(self, key, connection):
        """Keep a connection whose answer was read whole for the next request, unless enough are idle already."""
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE_CONNECTIONS:
                idle.append(connection)
                return
        connection.close()

    def request(self, method, url, params=None, json=None, headers=None, timeout=None, verify=True, files=None, **kwargs):
        url = _with_params(url, params)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ('http', 'https'):
            raise ConnectError('unsupported URL scheme %r' % parts.scheme)
        host = parts.hostname
        port = parts.port or (443 if scheme == 'https' else 80)
        headers = dict(headers or {})
        body = None
        if files:
            body, headers['Content-Type'] = _multipart(files)
        elif json is not None:
            body = jsonlib.dumps(json).encode('utf-8')
            headers.setdefault('Content-Type', 'application/json')
        key = (scheme, host, port, verify)
        connection, fresh = self._connection(key, timeout)
        target = urlunsplit(('', '', parts.path or '/', parts.query, ''))
        if getattr(connection, 'esper_via_proxy', False):
            target = url
        if fresh:
            try:
                connection.connect()
            except socket.timeout as exc:
                connection.close()
                raise ConnectTimeout('no connection to %s:%s within %ss' % (host, port, timeout)) from exc
            except ssl.SSLError as exc:
                connection.close()
                raise TLSError(str(exc)) from exc
            except OSError as exc:
                connection.close()
                raise ConnectError(str(exc) or exc.__class__.__name__) from exc
        try:
            connection.request(method, target, body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
        except socket.timeout as exc:
            connection.close()
            raise ReadTimeout('no answer from %s:%s within %ss' % (host, port, timeout)) from exc
        except (http.client.HTTPException, OSError) as exc:
            connection.close()
            raise ConnectionLost(str(exc) or exc.__class__.__name__) from exc
        response_headers = dict(answer.getheaders())
        if answer.will_close:
            connection.close()
        else:
            self._give_back(key, connection)
        try:
            content = _decoded(content, answer.getheader('Content-Encoding'))
        except zlib.error as exc:
            raise ConnectionLost('the answer could not be decompressed: %s' % exc) from exc
        return Response(answer.status, answer.reason, response_headers, content)
