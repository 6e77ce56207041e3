"""Reading requests from a client connection: a buffered reader and writer over an asyncio stream
pair (CPython and MicroPython alike), request heads, and request bodies framed by Content-Length or
chunked coding. Used by the built-in server and the test client."""
import time

from .datastructures import NoCaseDict
from .http11 import (HTTPException, ProtocolError, find_head_end, parse_head,
                     request_body_framing, wants_keep_alive)
from .request import Request
from .runtime import MICROPYTHON

monotonic = getattr(time, 'monotonic', time.time)
# MicroPython: each read allocates a buffer of this size; with 32 connections, 2 KB blocks are
# what a fragmented heap fails to find first (hello app, 32 connections, 256 KB heap: 1,195
# connections dropped for memory with 2048, none with 512, at the same requests/s)
READ_SIZE = 512 if MICROPYTHON else 65536
CONTINUE = b'HTTP/1.1 100 Continue\r\n\r\n'
_FRAMING_HEADERS = {'host', 'transfer-encoding', 'content-length', 'connection', 'expect'}


# --- the connection ------------------------------------------------------------------------------

class Connection:
    """One client connection: a buffered reader and a writer over an asyncio stream pair.

    It is also the ``(reader, writer)`` pair a handler gets as ``request.sock`` to take the
    connection over (WebSocket): ``read``, ``readexactly``, ``readline``, ``awrite``, ``aclose``.
    """

    def __init__(self, app, reader, writer):
        self.app = app
        self.reader = reader
        self.writer = writer
        self.buf = b''
        self.pos = 0
        self.eof = False
        self.deadline = None
        self.task = None
        self.timed_out = False
        self.idle = True
        self.keep_alive = False
        self.body = None
        self.expect_continue = False
        self.closed = False
        #: seconds a read may wait for the client; None: the app's read_timeout; 0: no limit
        #: (a handler that took the connection over, e.g. an idle WebSocket, sets this)
        self.read_timeout = None
        # CPython's transport writes at once and says when a drain has nothing to wait for
        self.writer_ready = getattr(writer, 'ready_for_writes', None)

    # -- reading --

    async def _fill(self, deadline=None):
        """Read more from the client; False at end of stream."""
        if self.eof:
            return False
        if deadline is None:
            timeout = self.app.read_timeout if self.read_timeout is None else self.read_timeout
            deadline = monotonic() + timeout if timeout else None
        self.deadline = deadline
        try:
            data = await self.reader.read(READ_SIZE)
        finally:
            self.deadline = None
        if not data:
            self.eof = True
            return False
        if self.pos >= len(self.buf):
            self.buf = data
        else:
            self.buf = self.buf[self.pos:] + data
        self.pos = 0
        return True

    def buffered(self):
        return len(self.buf) - self.pos

    async def read(self, n=-1):
        if self.pos >= len(self.buf) and not await self._fill():
            return b''
        end = len(self.buf) if n < 0 else self.pos + n
        data = self.buf[self.pos:end]
        self.pos += len(data)
        return data

    async def readexactly(self, n):
        data = await self.read(n)
        while len(data) < n:
            more = await self.read(n - len(data))
            if not more:
                raise EOFError('connection closed')
            data += more
        return data

    async def readline(self, max_length=64 * 1024):
        """A line including its ``\\n`` (shorter at end of stream); ProtocolError if too long."""
        while True:
            i = self.buf.find(b'\n', self.pos)
            if i >= 0:
                return await self.read(i + 1 - self.pos)
            if self.buffered() > max_length:
                raise ProtocolError(400, 'Line too long')
            if not await self._fill():
                return await self.read()

    async def read_head(self, first_byte_deadline):
        """The next request head (bytes), or None when the client closed between requests."""
        app = self.app
        head_deadline = None
        while True:
            end = find_head_end(self.buf, self.pos)
            if end >= 0:
                if end - self.pos > app.max_head_size:
                    raise ProtocolError(431, 'Request head too large')
                head = self.buf[self.pos:end]
                self.pos = end
                return head
            pending = self.buffered()
            if pending > app.max_request_line and self.buf.find(
                    b'\n', self.pos, self.pos + app.max_request_line + 2) < 0:
                raise ProtocolError(414, 'Request line too long')
            if pending > app.max_head_size:
                raise ProtocolError(431, 'Request head too large')
            if pending:
                self.idle = False
                if head_deadline is None:
                    head_deadline = monotonic() + app.head_timeout
            if not await self._fill(head_deadline if pending else first_byte_deadline):
                if self.buffered():
                    raise ProtocolError(400, 'Incomplete request head')
                return None

    # -- writing --

    def write(self, data):
        self.writer.write(data)

    async def drain(self):
        if self.writer_ready is not None and self.writer_ready():
            return
        self.deadline = monotonic() + self.app.read_timeout
        try:
            await self.writer.drain()
        finally:
            self.deadline = None

    async def awrite(self, data):
        self.writer.write(data)
        await self.drain()

    async def aclose(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.writer.close()
            await self.writer.wait_closed()
        except Exception:
            pass  # the peer may be gone already

    def get_extra_info(self, name, default=None):
        try:
            value = self.writer.get_extra_info(name)  # MicroPython takes no default
        except (AttributeError, KeyError):
            return default
        return default if value is None else value


# --- request bodies ------------------------------------------------------------------------------

class _Body:
    """Base of the request body readers: async ``read``, ``readexactly``, ``readline``.

    Once a read fails (limit crossed, bad framing, client gone) the framing of what follows on
    the connection is unknown, so the connection is closed after the response: nothing behind the
    body can be taken for a request (no smuggling)."""

    async def read(self, n=-1):
        try:
            return await self._read(n)
        except BaseException:
            self.conn.keep_alive = False
            raise

    async def readexactly(self, n):
        data = b''
        while len(data) < n:
            more = await self.read(n - len(data))
            if not more:
                raise EOFError('request body ended early')
            data += more
        return data

    async def readline(self):
        data = b''
        while not data.endswith(b'\n'):
            c = await self.read(1)
            if not c:
                break
            data += c
        return data

    async def discard(self, limit):
        """Skip what is left of the body; False when more than ``limit`` is left, or the body is
        broken: the connection is then closed instead."""
        try:
            while not self.done:
                data = await self.read(min(limit, READ_SIZE))
                if not data:
                    return self.done
                limit -= len(data)
                if limit < 0:
                    return False
        except (HTTPException, EOFError):
            return False
        return True

    async def _continue(self):
        # the client waits for this before it sends a body it announced with Expect: 100-continue
        conn = self.conn
        if conn.expect_continue:
            conn.expect_continue = False
            await conn.awrite(CONTINUE)


class _LengthBody(_Body):
    """A body delimited by Content-Length."""

    def __init__(self, conn, length):
        self.conn = conn
        self.remaining = length
        self.done = length == 0

    async def _read(self, n=-1):
        if self.remaining <= 0:
            return b''
        await self._continue()
        n = self.remaining if n < 0 else min(n, self.remaining)
        data = await self.conn.read(n)
        if not data:
            raise ProtocolError(400, 'Request body ended early')
        self.remaining -= len(data)
        self.done = self.remaining == 0
        return data


def _valid_host(host):
    # uri-host [ ":" port ] (RFC 9110 7.2): no whitespace, list, path or userinfo characters
    for c in ' ,/@\\?#':
        if c in host:
            return False
    return True


_NO_BODY = _LengthBody(None, 0)  # shared by every request without a body: it reads nothing


async def read_request(app, conn, client_addr, scheme=None, first_byte_deadline=None):
    """Read and frame the next request on ``conn``: a Request, or None when the client closed.
    Raises HTTPException (ProtocolError) for a request that must be refused."""
    head = await conn.read_head(first_byte_deadline)
    if head is None:
        return None
    method, target, version, header_list = parse_head(head, app)
    headers = NoCaseDict()
    framing_values = {}  # every value of the headers that framing depends on
    for name, value in header_list:
        lname = name.lower()
        headers.set_lowered(name, lname, value)  # repeated: the last one wins, as in 2.x
        if lname in _FRAMING_HEADERS:
            framing_values.setdefault(lname, []).append(value)
    hosts = framing_values.get('host', ())
    if len(hosts) > 1 or (not hosts and version == '1.1'):
        raise ProtocolError(400, 'Missing or repeated Host header')
    if hosts and not _valid_host(hosts[0]):
        raise ProtocolError(400, 'Invalid Host header')
    framing, length = request_body_framing(
        version, framing_values.get('transfer-encoding'), framing_values.get('content-length'))
    conn.keep_alive = wants_keep_alive(version, framing_values.get('connection', ()))
    conn.expect_continue = False
    expect = framing_values.get('expect')
    if expect is not None:
        if expect[-1].lower() != '100-continue':
            raise ProtocolError(417, 'Expectation failed')
        conn.expect_continue = version == '1.1'
    body = b''
    stream = None
    if framing == 'chunked':
        from .chunked import ChunkedBody, PrefixedBody
        reader = ChunkedBody(conn, app.max_content_length)
        data = await reader.read_up_to(app.max_body_length + 1)
        if reader.done and len(data) <= app.max_body_length:
            body = data
        else:
            reader = stream = PrefixedBody(data, reader)
    else:
        reader = _LengthBody(conn, length) if length else _NO_BODY
        if length and length > app.max_content_length:
            conn.keep_alive = False  # refused with 413 below; the body is never read
            conn.expect_continue = False
            stream = reader
        elif length and length <= app.max_body_length:
            body = await reader.readexactly(length)
        elif length:
            stream = reader
    conn.body = reader
    req = Request(app, client_addr, method, target, version, headers, body=body, stream=stream,
                  sock=(conn, conn), scheme=scheme)
    if framing == 'chunked' and stream is None:
        req.content_length = len(body)
    return req
