"""The built-in HTTP/1.1 server: one task per connection over asyncio streams (CPython and
MicroPython alike), keep-alive and pipelining, request body framing, timeouts and a connection cap.

Timeouts work the same way everywhere: each connection publishes a deadline while it waits on the
client (head, body, or a response write), and one reaper task cancels the connections whose deadline
has passed. Cancelling is the one mechanism that wakes a pending read on MicroPython too.
"""
import asyncio
import time

from .http11 import (HTTPException, ProtocolError, find_head_end, parse_head, parse_chunk_size,
                     request_body_framing, response_head, wants_keep_alive)
from .microdot import (MICROPYTHON, MUTED_SOCKET_ERRORS, NoCaseDict, Request, Response, log,
                       print_exception)

_monotonic = getattr(time, 'monotonic', time.time)
READ_SIZE = 2048 if MICROPYTHON else 65536
DISCARD_LIMIT = 64 * 1024  # unread request body we skip to keep a connection; more closes it
CONTINUE = b'HTTP/1.1 100 Continue\r\n\r\n'


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

    # -- reading --

    async def _fill(self, deadline=None):
        """Read more from the client; False at end of stream."""
        if self.eof:
            return False
        if deadline is None:
            timeout = self.app.read_timeout if self.read_timeout is None else self.read_timeout
            deadline = _monotonic() + timeout if timeout else None
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
                    head_deadline = _monotonic() + app.head_timeout
            if not await self._fill(head_deadline if pending else first_byte_deadline):
                if self.buffered():
                    raise ProtocolError(400, 'Incomplete request head')
                return None

    # -- writing --

    def write(self, data):
        self.writer.write(data)

    async def drain(self):
        self.deadline = _monotonic() + self.app.read_timeout
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


class _ChunkedBody(_Body):
    """A body in chunked transfer coding (RFC 9112 7.1); trailers are read and dropped."""

    def __init__(self, conn, max_size):
        self.conn = conn
        self.max_size = max_size
        self.total = 0
        self.chunk_left = 0
        self.done = False

    async def _line(self):
        line = await self.conn.readline(self.conn.app.max_request_line)
        if not line.endswith(b'\n'):
            raise ProtocolError(400, 'Chunked body ended early')
        return line.rstrip(b'\r\n')

    async def _read(self, n=-1):
        if self.done:
            return b''
        await self._continue()
        if self.chunk_left == 0:
            size = parse_chunk_size(await self._line(), self.max_size - self.total)
            if size == 0:
                trailers = 0
                while await self._line():  # trailer fields, then the empty line
                    trailers += 1
                    if trailers > self.conn.app.max_headers:
                        raise ProtocolError(431, 'Too many trailer fields')
                self.done = True
                return b''
            self.chunk_left = size
            self.total += size
        n = self.chunk_left if n < 0 else min(n, self.chunk_left)
        data = await self.conn.read(n)
        if not data:
            raise ProtocolError(400, 'Chunked body ended early')
        self.chunk_left -= len(data)
        if self.chunk_left == 0 and await self._line() != b'':
            raise ProtocolError(400, 'Malformed chunk')
        return data

    async def read_up_to(self, n):
        data = b''
        while len(data) < n:
            more = await self.read(n - len(data))
            if not more:
                break
            data += more
        return data


class _PrefixedBody(_Body):
    """What was read ahead of a chunked body, followed by the rest of it."""

    def __init__(self, prefix, rest):
        self.prefix = prefix
        self.rest = rest
        self.conn = rest.conn

    @property
    def done(self):
        return not self.prefix and self.rest.done

    async def _read(self, n=-1):
        if self.prefix:
            if n < 0 or n >= len(self.prefix):
                data, self.prefix = self.prefix, b''
            else:
                data, self.prefix = self.prefix[:n], self.prefix[n:]
            return data
        return await self.rest.read(n)


async def read_request(app, conn, client_addr, scheme=None, first_byte_deadline=None):
    """Read and frame the next request on ``conn``: a Request, or None when the client closed.
    Raises HTTPException (ProtocolError) for a request that must be refused."""
    head = await conn.read_head(first_byte_deadline)
    if head is None:
        return None
    method, target, version, header_list = parse_head(head, app)
    headers = NoCaseDict()
    hosts = 0
    for name, value in header_list:
        headers[name] = value  # a repeated header: the last one wins, as in Microdot 2.x
        if name.lower() == 'host':
            hosts += 1
    if hosts > 1 or (hosts == 0 and version == '1.1'):
        raise ProtocolError(400, 'Missing or repeated Host header')
    framing, length = request_body_framing(version, header_list)
    conn.keep_alive = wants_keep_alive(version, header_list)
    conn.expect_continue = False
    expect = headers.get('Expect')
    if expect is not None:
        if expect.lower() != '100-continue':
            raise ProtocolError(417, 'Expectation failed')
        conn.expect_continue = version == '1.1'
    body = b''
    stream = None
    if framing == 'chunked':
        reader = _ChunkedBody(conn, app.max_content_length)
        data = await reader.read_up_to(app.max_body_length + 1)
        if reader.done and len(data) <= app.max_body_length:
            body = data
        else:
            reader = stream = _PrefixedBody(data, reader)
    else:
        reader = _LengthBody(conn, length)
        if length > app.max_content_length:
            conn.keep_alive = False  # refused with 413 below; the body is never read
            conn.expect_continue = False
            stream = reader
        elif length <= app.max_body_length:
            body = await reader.readexactly(length) if length else b''
        else:
            stream = reader
    conn.body = reader
    req = Request(app, client_addr, method, target, version, headers, body=body, stream=stream,
                  sock=(conn, conn), scheme=scheme)
    if framing == 'chunked' and stream is None:
        req.content_length = len(body)
    return req


# --- responses -----------------------------------------------------------------------------------

def error_bytes(status_code, text, close=True):
    """A small plain-text response for protocol-level refusals."""
    body = text.encode()
    items = [('Content-Type', 'text/plain; charset=UTF-8'), ('Content-Length', str(len(body)))]
    if close:
        items.append(('Connection', 'close'))
    return response_head('1.1', status_code, None, items) + body


async def write_response(conn, req, res, keep_alive):
    """Write ``res`` to the client; returns whether the connection can serve another request."""
    res.complete()
    if conn.expect_continue:
        # the body was announced but never asked for: no 1xx may follow the final head, and the
        # client may or may not send the body now, so the connection cannot be reused
        conn.expect_continue = False
        keep_alive = False
    status = res.status_code
    headers = res.headers
    body = res.body
    no_body = req.method == 'HEAD' or status in (204, 304) or status < 200
    streaming = not isinstance(body, bytes) and body is not None
    chunked = False
    declared = None
    extra = []
    if status == 204 or status < 200:
        headers.pop('Content-Length', None)
    elif body is None:
        if 'Content-Length' not in headers:
            extra.append(('Content-Length', '0'))
    elif streaming and not no_body:
        declared = headers.get('Content-Length')
        if declared is not None:
            declared = int(declared)
        elif req.http_version == '1.1':
            chunked = True
            extra.append(('Transfer-Encoding', 'chunked'))
        else:
            keep_alive = False  # an HTTP/1.0 client reads this body until the connection closes
    if headers.get('Connection', '').lower() == 'close':
        keep_alive = False
    elif not keep_alive:
        extra.append(('Connection', 'close'))
    elif req.http_version == '1.0':
        extra.append(('Connection', 'keep-alive'))
    items = list(headers.items())
    if extra:
        items.extend(extra)
    head = response_head('1.1', status, res.reason, items)
    if not streaming:
        conn.write(head if no_body or not body else head + body)
        await conn.drain()
        return keep_alive
    it = res.body_iter()
    try:
        conn.write(head)
        if no_body:
            await conn.drain()
            return keep_alive
        sent = 0
        while True:
            try:
                chunk = await it.__anext__()
            except StopAsyncIteration:
                break
            except Exception as exc:  # the handler's stream failed: the response cannot be mended
                log('streamed response of {} {} failed: {!r}'.format(req.method, req.path, exc))
                print_exception(exc)
                return False
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if not chunk:
                continue
            sent += len(chunk)
            if chunked:
                conn.write('{:x}\r\n'.format(len(chunk)).encode())
                conn.write(chunk)
                conn.write(b'\r\n')
            else:
                conn.write(chunk)
            await conn.drain()
        if chunked:
            conn.write(b'0\r\n\r\n')
            await conn.drain()
        if declared is not None and sent != declared:
            log('{} {}: body of {} bytes, Content-Length {}'.format(
                req.method, req.path, sent, declared))
            return False
        return keep_alive
    finally:
        await it.aclose()


# --- the server ----------------------------------------------------------------------------------

class HTTPServer:
    """Serves one app on one listening socket."""

    def __init__(self, app):
        self.app = app
        self.connections = set()
        self.closing = False
        self.stopped = asyncio.Event()
        self.scheme = 'http'
        self.server = None

    async def serve(self, host, port, ssl=None, start_serving=True):
        app = self.app
        self.scheme = 'https' if ssl else 'http'
        await app.run_startup_handlers()
        kwargs = {}
        if ssl:
            kwargs['ssl'] = ssl
        if not MICROPYTHON:
            kwargs['backlog'] = 2048
            if not start_serving:
                kwargs['start_serving'] = False
        elif not start_serving:
            raise ValueError('start_serving must be True')
        self.server = await asyncio.start_server(self.handle, host, port, **kwargs)
        app.server = self.server
        app.http_server = self
        reaper = asyncio.create_task(self._reap())
        self._add_signal_handlers()
        if not start_serving:
            return self.server
        if app.debug:
            print('Starting async server on {host}:{port}...'.format(host=host, port=port))
        try:
            await self.stopped.wait()
        finally:
            await self._stop()
            reaper.cancel()
            await app.run_shutdown_handlers()
            app.server = None
            app.http_server = None

    def shutdown(self):
        """Stop accepting; serve() then finishes in-flight requests and returns."""
        if not self.closing:
            self.closing = True
            self.server.close()
            self.stopped.set()

    def _add_signal_handlers(self):
        if MICROPYTHON:
            return
        try:
            import signal
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.shutdown)
        except (ImportError, NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals on this platform

    async def _stop(self):
        app = self.app
        if not MICROPYTHON:
            try:
                import signal
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            except (ImportError, NotImplementedError, RuntimeError, ValueError):
                pass
        deadline = _monotonic() + app.shutdown_timeout
        while self.connections:
            for conn in list(self.connections):
                if conn.idle and conn.task is not None:
                    conn.task.cancel()  # waiting for a request that will not be served
            if _monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        for conn in list(self.connections):
            if conn.task is not None:
                conn.task.cancel()
        for _ in range(50):
            if not self.connections:
                break
            await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(self.server.wait_closed(), 1)
        except Exception:
            pass

    async def _reap(self):
        app = self.app
        while True:
            interval = min(app.head_timeout, app.idle_timeout, app.read_timeout) / 4
            await asyncio.sleep(min(max(interval, 0.05), 1))
            now = _monotonic()
            for conn in list(self.connections):
                if conn.deadline is not None and now > conn.deadline and conn.task is not None:
                    conn.deadline = None
                    conn.timed_out = True
                    conn.task.cancel()

    async def handle(self, reader, writer):
        """Serve one connection: requests in order until it closes or must be closed."""
        app = self.app
        conn = Connection(app, reader, writer)
        conn.task = asyncio.current_task()
        if len(self.connections) >= app.max_connections or self.closing:
            log('connection refused: {} connections open'.format(len(self.connections)))
            try:
                conn.write(error_bytes(503, 'Service unavailable'))
                await conn.drain()
            except Exception:
                pass
            await conn.aclose()
            return
        self.connections.add(conn)
        client_addr = conn.get_extra_info('peername')
        try:
            await self._serve_requests(conn, client_addr)
        except asyncio.CancelledError:
            if conn.timed_out and not conn.idle and conn.buffered():
                await self._refuse(conn, client_addr, 408, 'Request timeout')
        except MemoryError:
            import gc
            gc.collect()
            log('out of memory serving {}: connection closed'.format(client_addr))
        except (OSError, EOFError) as exc:
            if exc.args and exc.args[0] not in MUTED_SOCKET_ERRORS and \
                    exc.args[0] != 'Connection lost' and not isinstance(exc, EOFError):
                log('connection error: {!r}'.format(exc))
        except Exception as exc:
            print_exception(exc)
        finally:
            self.connections.discard(conn)
            await conn.aclose()

    async def _refuse(self, conn, client_addr, status, reason):
        log('{} refused with {}: {}'.format(client_addr, status, reason))
        try:
            conn.write(error_bytes(status, reason))
            await conn.drain()
        except Exception:
            pass

    async def _serve_requests(self, conn, client_addr):
        app = self.app
        first_byte_deadline = _monotonic() + app.head_timeout
        while not self.closing:
            conn.idle = True
            try:
                req = await read_request(app, conn, client_addr, self.scheme, first_byte_deadline)
            except HTTPException as exc:
                await self._refuse(conn, client_addr, exc.status_code, exc.reason)
                return
            if req is None:
                return
            conn.idle = False
            res = await app.dispatch_request(req)
            if res is Response.already_handled:
                return  # the handler took the connection over and is done with it
            keep_alive = conn.keep_alive and not self.closing
            keep_alive = await write_response(conn, req, res, keep_alive)
            if app.debug:
                print('{} {} {}'.format(req.method, req.path, res.status_code))
            if not keep_alive:
                return
            if not conn.body.done:
                if conn.expect_continue or not await conn.body.discard(DISCARD_LIMIT):
                    return
            first_byte_deadline = _monotonic() + app.idle_timeout
