"""A tiny, strict HTTP/1.1 client over a raw socket, for the protocol edge cases that httpx
(rightly) refuses to send: pipelining, smuggling attempts, oversized heads, slow clients.

It reads responses exactly as the wire has them (status line, header list in order, body framed by
Content-Length, chunked coding or the connection closing) and keeps what it read ahead, so
pipelined responses come out one by one.
"""
import socket
import time


class Response:
    def __init__(self, version, status, reason, headers, body, chunked, raw_head):
        self.version = version        # 'HTTP/1.1'
        self.status = status          # int
        self.reason = reason
        self.headers = headers        # list of (name, value) as received
        self.body = body              # bytes (de-chunked)
        self.chunked = chunked        # whether the body came in chunked coding
        self.raw_head = raw_head

    def header(self, name, default=None):
        """The value of header ``name`` (case-insensitive); AssertionError if it is repeated."""
        values = self.header_list(name)
        assert len(values) <= 1, 'header {} repeated: {}'.format(name, values)
        return values[0] if values else default

    def header_list(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def __repr__(self):
        return '<Response {} {} {!r}>'.format(self.status, self.headers, self.body[:200])


class ConnectionClosed(Exception):
    pass


class RawConnection:
    """A client connection; ``timeout`` bounds every single read."""

    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b''

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _recv(self):
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b''
        if not data:
            raise ConnectionClosed('connection closed by the server')
        self.buf += data

    def _read_until(self, sep):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                data, self.buf = self.buf[:i + len(sep)], self.buf[i + len(sep):]
                return data
            self._recv()

    def _read_exactly(self, n):
        while len(self.buf) < n:
            self._recv()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_to_close(self):
        while True:
            try:
                self._recv()
            except ConnectionClosed:
                data, self.buf = self.buf, b''
                return data

    def read_response(self, method='GET'):
        """The next response; 1xx interim responses are returned like any other."""
        head = self._read_until(b'\r\n\r\n')
        lines = head[:-4].split(b'\r\n')
        version, status, reason = (lines[0].decode('latin-1').split(' ', 2) + [''])[:3]
        status = int(status)
        headers = []
        for line in lines[1:]:
            name, _, value = line.decode('latin-1').partition(':')
            assert name and name == name.strip(), 'malformed response header line {!r}'.format(line)
            headers.append((name, value.strip()))
        res = Response(version, status, reason, headers, b'', False, head)
        if method == 'HEAD' or status in (204, 304) or 100 <= status < 200:
            return res
        te = res.header('Transfer-Encoding')
        cl = res.header('Content-Length')
        if te is not None:
            assert te.lower() == 'chunked', 'unexpected Transfer-Encoding {}'.format(te)
            assert cl is None, 'both Transfer-Encoding and Content-Length in a response'
            res.chunked = True
            res.body = self._read_chunked()
        elif cl is not None:
            res.body = self._read_exactly(int(cl))
        else:
            res.body = self._read_to_close()
        return res

    def _read_chunked(self):
        body = b''
        while True:
            line = self._read_until(b'\r\n')
            size = int(line.split(b';')[0].strip(), 16)
            if size == 0:
                while self._read_until(b'\r\n') != b'\r\n':
                    pass  # trailers
                return body
            body += self._read_exactly(size)
            assert self._read_exactly(2) == b'\r\n', 'chunk not followed by CRLF'

    def is_closed(self, timeout=2.0):
        """Whether the server closes the connection within ``timeout`` seconds (without sending
        anything more); AssertionError if it sends data instead."""
        self.sock.settimeout(timeout)
        try:
            data = self.buf or self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(self.timeout)
        assert not data, 'unexpected data from the server: {!r}'.format(data[:200])
        return True

    def wait_closed(self, timeout):
        """Seconds until the server closed the connection; AssertionError if it did not in time."""
        start = time.monotonic()
        assert self.is_closed(timeout), 'server kept the connection open for {}s'.format(timeout)
        return time.monotonic() - start


def request_bytes(method='GET', path='/', headers=None, body=b'', version='HTTP/1.1',
                  host='127.0.0.1'):
    """A request as bytes; ``Host`` is added for HTTP/1.1, ``Content-Length`` for a body unless
    ``headers`` already frames it. ``headers`` is a list of (name, value) pairs, sent as given."""
    headers = list(headers or [])
    names = [k.lower() for k, v in headers]
    if version == 'HTTP/1.1' and 'host' not in names:
        headers.insert(0, ('Host', host))
    if isinstance(body, str):
        body = body.encode()
    if body and 'content-length' not in names and 'transfer-encoding' not in names:
        headers.append(('Content-Length', str(len(body))))
    head = '{} {} {}\r\n'.format(method, path, version)
    head += ''.join('{}: {}\r\n'.format(k, v) for k, v in headers)
    return head.encode() + b'\r\n' + body


def chunked(*parts):
    """A chunked-coded body from byte strings (an empty final chunk is added)."""
    out = b''
    for part in parts:
        if isinstance(part, str):
            part = part.encode()
        out += '{:x}\r\n'.format(len(part)).encode() + part + b'\r\n'
    return out + b'0\r\n\r\n'
