"""What the ASGI and WSGI adapters share: request building blocks, the bounded body stream, the
lazy WebSocket re-exports and the shutdown signal. CPython only (servers run on CPython).
"""
import errno
import os
import signal
from urllib.parse import quote

from microdot.microdot import HTTPException, Response, print_exception

__version__ = '0.1.0'

#: Names that Microdot 2.x exported from ``microdot.asgi``/``microdot.wsgi`` and that now live in
#: ``microdot.websocket`` (another distribution): resolved only when accessed.
WEBSOCKET_NAMES = ('WebSocket', 'WebSocketError', 'websocket_upgrade', 'websocket_wrapper',
                   'with_websocket')

#: Hop-by-hop headers (RFC 9110 7.6.1): the server owns them, PEP 3333 forbids them from apps.
HOP_BY_HOP = ('connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te',
              'trailer', 'trailers', 'transfer-encoding', 'upgrade')


def websocket_attribute(module_name, name):
    """Module ``__getattr__`` body: the 2.x WebSocket names, imported from microdot.websocket."""
    if name in WEBSOCKET_NAMES:
        try:
            import microdot.websocket as websocket
        except ImportError as exc:
            raise ImportError('{}.{} comes from the microdot-websocket distribution: '
                              'pip install microdot-websocket'.format(module_name, name)) from exc
        return getattr(websocket, name)
    raise AttributeError('module {!r} has no attribute {!r}'.format(module_name, name))


def complete_response(res):
    """``res.complete()`` plus the framing rules the built-in server applies (RFC 9110 8.6): no
    Content-Length on 1xx/204, ``Content-Length: 0`` for a response without a body."""
    res.complete()
    status = res.status_code
    if status == 204 or status < 200:
        res.headers.pop('Content-Length', None)
        res.body = b''
    elif res.body is None and 'Content-Length' not in res.headers:
        res.headers['Content-Length'] = '0'
    elif status == 304:
        res.body = b''


#: the most entries a name cache below keeps: names come from the app's code, but a handler that
#: makes them up per request must not grow a cache without end
NAME_CACHE_SIZE = 256


def cached(cache, key, make):
    """``cache[key]``, made by ``make(key)`` on first use (kept while the cache has room)."""
    value = make(key)
    if len(cache) < NAME_CACHE_SIZE:
        cache[key] = value
    return value


def _injected(text):
    return '\r' in text or '\n' in text or '\0' in text


class HeaderNames:
    """How one adapter sends response header names: each name is checked (header injection) and
    converted once, then looked up. ``convert(name)`` gives what is sent, or None to drop the
    header; ``as_bytes`` says whether values are sent as bytes (ASGI) or native strings (WSGI)."""

    def __init__(self, convert, as_bytes):
        self.convert = convert
        self.as_bytes = as_bytes
        self.sent = {}

    def _make(self, name):
        if _injected(name):
            raise ValueError('invalid response header {!r}'.format(name))
        return self.convert(name)

    def header_list(self, res):
        """``(name, value)`` pairs of a completed Response as the server takes them; a list
        value (Set-Cookie) gives one pair per item. A CR, LF or NUL in a name or value raises
        ValueError (header injection)."""
        pairs = []
        sent_names = self.sent
        as_bytes = self.as_bytes
        for name, value in res.headers.items():
            values = value if isinstance(value, list) else (value,)
            if not values:
                continue
            sent = sent_names.get(name, False)
            if sent is False:
                sent = cached(sent_names, name, self._make)
            if sent is None:
                continue
            for v in values:
                if v.__class__ is not str:
                    v = str(v)
                if _injected(v):
                    raise ValueError('invalid response header {!r}'.format(name))
                if as_bytes:
                    v = v.encode()
                elif not v.isascii():
                    v = v.encode().decode('latin-1')  # PEP 3333: bytes as latin-1 code points
                pairs.append((sent, v))
        return pairs


def prepare_response(res, names):
    """Complete ``res`` for sending: ``(response, header list)``, the list made by ``names`` (a
    HeaderNames). A response whose headers cannot be sent (header injection) is logged and
    replaced by a plain 500, as the built-in server refuses to write it."""
    complete_response(res)
    try:
        return res, names.header_list(res)
    except ValueError as exc:
        print_exception(exc)
    res = Response('Internal server error', 500)
    complete_response(res)
    return res, names.header_list(res)


def quote_path(path):
    """``path`` (str, or bytes as a WSGI server hands them over) percent-encoded again, for a
    server that gives only the decoded path: the core routes on the path as sent."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def split_mount(path, mount):
    """The path the app routes on: ``path`` without the ``mount`` prefix (ASGI ``root_path``).

    ASGI servers put the root path in ``path`` too (uvicorn since 0.26); older ones did not, so a
    path that does not start with the mount point is taken as already relative.
    """
    if mount and (path == mount or path.startswith(mount + '/')):
        return path[len(mount):] or '/'
    return path


def to_bytes(chunk):
    """A response body chunk as bytes (iterators may yield str, e.g. templates)."""
    if isinstance(chunk, str):
        return chunk.encode()
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    return chunk


def server_master_pid(under_gunicorn=False):
    """The process to signal to stop the whole server: the gunicorn arbiter for a gunicorn
    worker, the supervisor of a multi-worker (or reloading) uvicorn, else this process."""
    if under_gunicorn:
        return os.getppid()
    try:
        import multiprocessing
        parent = multiprocessing.parent_process()
    except (ImportError, AttributeError):
        parent = None
    if parent is not None and parent.pid:
        return parent.pid
    return os.getpid()


def signal_shutdown(under_gunicorn=False):
    """Ask the server that runs this app to stop gracefully (SIGTERM to its master process).

    Microdot 2.x signalled the whole process group, which also hits whatever started the server
    (a shell script, a test runner); only the server's own master is signalled here.
    """
    os.kill(server_master_pid(under_gunicorn), signal.SIGTERM)


class BodyStream:
    """``request.stream`` for a body the server hands over in pieces (ASGI events, WSGI input).

    Subclasses implement ``async _pull(n)`` returning the next bytes (``b''`` at the end). The
    stream never yields more than ``limit`` bytes in total: reading past it aborts the request
    with 413, which is how a chunked upload without Content-Length is held to
    ``max_content_length``. ``readline`` is bounded by ``max_line`` (400 above it).
    """

    def __init__(self, limit, prefix=b'', max_line=8192):
        self.limit = limit
        self.max_line = max_line
        self._buf = prefix
        self._received = len(prefix)
        self._eof = False
        self._check_limit()

    def _check_limit(self):
        if self.limit is not None and self._received > self.limit:
            raise HTTPException(413, 'Payload too large')

    async def _fill(self, n=65536):
        """Append the next piece to the buffer; False at the end of the body."""
        if self._eof:
            return False
        data = await self._pull(n)
        if not data:
            self._eof = True
            return False
        self._received += len(data)
        self._check_limit()
        self._buf = self._buf + data if self._buf else data
        return True

    def _take(self, n):
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    async def read(self, n=-1):
        if n is None or n < 0:
            while await self._fill():
                pass
            return self._take(len(self._buf))
        if not self._buf:
            await self._fill(n)
        return self._take(n)

    async def readexactly(self, n):
        while len(self._buf) < n:
            if not await self._fill(n - len(self._buf)):
                import asyncio
                partial = self._take(len(self._buf))
                raise asyncio.IncompleteReadError(partial, n)
        return self._take(n)

    async def readuntil(self, separator=b'\n'):
        start = 0
        while True:
            i = self._buf.find(separator, start)
            if i >= 0:
                return self._take(i + len(separator))
            if self.max_line and len(self._buf) > self.max_line:
                raise HTTPException(400, 'Line too long')
            start = max(0, len(self._buf) - len(separator) + 1)
            if not await self._fill():
                return self._take(len(self._buf))

    async def readline(self):
        return await self.readuntil(b'\n')

    async def aclose(self):
        pass


def client_gone_error():
    """The error a body read or a send raises once the client went away (a muted socket error)."""
    return ConnectionResetError(errno.ECONNRESET, 'Connection lost')
