"""A test client that sends requests into an app without a network: each request is rendered as
HTTP/1.1 bytes and read back through the server's own parser, so every limit and check applies."""
import asyncio

try:
    import orjson as json
except ImportError:
    import json

from .datastructures import AsyncBytesIO
from .http11 import HTTPException
from .response import Response
from .connection import Connection, read_request

__all__ = ['TestClient', 'TestResponse']


class TestResponse:
    """What the app answered: ``status_code``, ``reason``, ``headers``, ``body``, ``text``,
    ``json`` and, for ``text/event-stream``, the parsed ``events``."""

    __test__ = False

    def __init__(self):
        self.status_code = None
        self.reason = None
        self.headers = None
        self.body = None
        self.text = None
        self.json = None
        self.events = None

    @classmethod
    async def create(cls, res):
        self = cls()
        if res is Response.already_handled:
            return self
        res.complete()
        self.status_code = res.status_code
        self.reason = res.reason
        self.headers = res.headers
        it = res.body_iter()
        try:
            if res.is_head:
                return self
            chunks = []
            async for chunk in it:
                chunks.append(chunk.encode() if isinstance(chunk, str) else chunk)
            self.body = b''.join(chunks)
        finally:
            await it.aclose()
        try:
            self.text = self.body.decode()
        except UnicodeError:
            return self
        mime = (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        if mime == 'application/json':
            self.json = json.loads(self.text)
        elif mime == 'text/event-stream':
            self.events = parse_event_stream(self.body)
        return self


def parse_event_stream(data):
    """Events of a ``text/event-stream`` body, as dicts with ``data`` (bytes), ``data_json``,
    ``event``, ``event_id`` and ``retry`` (seconds), per the WHATWG parsing rules."""
    events = []
    for block in data.replace(b'\r\n', b'\n').split(b'\n\n'):
        event = {'data': None, 'data_json': None, 'event': None, 'event_id': None, 'retry': None}
        lines = []
        for line in block.split(b'\n'):
            if not line or line.startswith(b':'):
                continue
            name, _, value = line.partition(b':')
            if value.startswith(b' '):
                value = value[1:]
            if name == b'data':
                lines.append(value)
            elif name == b'event':
                event['event'] = value.decode()
            elif name == b'id':
                event['event_id'] = value.decode()
            elif name == b'retry' and value.isdigit():
                event['retry'] = int(value) / 1000
        if not lines:
            continue  # a comment-only block, or a block without data, dispatches no event
        event['data'] = b'\n'.join(lines)
        try:
            event['data_json'] = json.loads(event['data'])
        except ValueError:
            pass
        events.append(event)
    return events


class _Sink:
    """The writer of an in-process connection: keeps what the app writes."""

    def __init__(self):
        self.data = b''
        self.event = asyncio.Event()

    def write(self, data):
        self.data += data
        self.event.set()

    async def drain(self):
        pass

    def close(self):
        self.event.set()

    async def wait_closed(self):
        pass


class _Pipe:
    """An in-memory byte stream the test client writes and the app reads."""

    def __init__(self, data=b''):
        self.data = data
        self.eof = False
        self.event = asyncio.Event()

    def feed(self, data):
        self.data += data
        self.event.set()

    def feed_eof(self):
        self.eof = True
        self.event.set()

    async def read(self, n=-1):
        while not self.data and not self.eof:
            self.event.clear()
            await self.event.wait()
        n = len(self.data) if n < 0 else n
        data, self.data = self.data[:n], self.data[n:]
        return data


class TestClient:
    """Send requests to ``app`` in process. ``cookies`` starts the cookie jar."""

    __test__ = False

    def __init__(self, app, cookies=None, scheme=None, host=None):
        self.app = app
        self.cookies = cookies or {}
        self.scheme = scheme
        self.host = host or 'example.com:1234'

    def _render(self, method, path, headers, body):
        headers = dict(headers or {})
        lower = {k.lower() for k in headers}
        if body is None:
            body = b''
        elif isinstance(body, (dict, list)):
            body = json.dumps(body)
            if 'content-type' not in lower:
                headers['Content-Type'] = 'application/json'
        if isinstance(body, str):
            body = body.encode()
        if body and 'content-length' not in lower and 'transfer-encoding' not in lower:
            headers['Content-Length'] = str(len(body))
        cookies = [k + '=' + v for k, v in self._cookies_for(path)]
        if cookies:
            for k in list(headers):
                if k.lower() == 'cookie':
                    cookies.insert(0, headers.pop(k))
            headers['Cookie'] = '; '.join(cookies)
        if 'host' not in lower:
            headers['Host'] = self.host
        lines = ['{} {} HTTP/1.1'.format(method, path)]
        lines.extend('{}: {}'.format(k, v) for k, v in headers.items())
        return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body

    def _cookies_for(self, path):
        for name, value in self.cookies.items():
            if isinstance(value, tuple):
                value, cookie_path = value
                if not path.startswith(cookie_path):
                    continue
            yield name, value

    def _update_cookies(self, res):
        for cookie in res.headers.get('Set-Cookie', []) if res.headers else []:
            parts = [p.strip() for p in cookie.split(';')]
            name, _, value = parts[0].partition('=')
            attrs = {}
            for attr in parts[1:]:
                k, _, v = attr.partition('=')
                attrs[k.lower()] = v
            path = attrs.get('path', '/') or '/'
            delete = ('max-age' in attrs and attrs['max-age'].lstrip('-').isdigit()
                      and int(attrs['max-age']) <= 0) or \
                '1 jan 1970' in attrs.get('expires', '').lower()
            if delete:
                stored = self.cookies.get(name)
                stored_path = stored[1] if isinstance(stored, tuple) else '/'
                if stored is not None and stored_path == path:
                    del self.cookies[name]
            else:
                self.cookies[name] = value if path == '/' else (value, path)

    async def request(self, method, path, headers=None, body=None, sock=None):
        """Send one request; returns a TestResponse."""
        raw = self._render(method, path, headers, body)
        conn = Connection(self.app, AsyncBytesIO(raw), _Sink())
        try:
            req = await read_request(self.app, conn, ('127.0.0.1', 1234), self.scheme)
        except HTTPException as exc:
            res = Response(exc.reason, exc.status_code)
        else:
            if sock is not None:
                req.sock = sock
            res = await self.app.dispatch_request(req)
        test_res = await TestResponse.create(res)
        if res is not Response.already_handled:
            self._update_cookies(test_res)
        return test_res

    async def get(self, path, headers=None):
        return await self.request('GET', path, headers=headers)

    async def head(self, path, headers=None):
        return await self.request('HEAD', path, headers=headers)

    async def options(self, path, headers=None):
        return await self.request('OPTIONS', path, headers=headers)

    async def post(self, path, headers=None, body=None):
        return await self.request('POST', path, headers=headers, body=body)

    async def put(self, path, headers=None, body=None):
        return await self.request('PUT', path, headers=headers, body=body)

    async def patch(self, path, headers=None, body=None):
        return await self.request('PATCH', path, headers=headers, body=body)

    async def delete(self, path, headers=None):
        return await self.request('DELETE', path, headers=headers)

    async def websocket(self, path, client, headers=None):
        """Open a WebSocket to ``path``. ``client`` is a generator function (sync or async) that
        yields messages to send (str: text, bytes: binary) and receives each reply of the server
        as the value of its ``yield``. Returns the TestResponse of a refused upgrade, or an empty
        one."""
        ws_headers = {
            'Upgrade': 'websocket',
            'Connection': 'Upgrade',
            'Sec-WebSocket-Version': '13',
            'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        }
        ws_headers.update(headers or {})
        incoming = _Pipe(self._render('GET', path, ws_headers, None))
        sink = _Sink()
        conn = Connection(self.app, incoming, sink)
        req = await read_request(self.app, conn, ('127.0.0.1', 1234), self.scheme)
        task = asyncio.create_task(self.app.dispatch_request(req))
        frames = _ServerFrames(sink, task)
        if not await frames.read_handshake():
            return await TestResponse.create(await task)
        gen = client()
        is_async = hasattr(gen, '__anext__')
        try:
            message = await gen.__anext__() if is_async else next(gen)
            while True:
                incoming.feed(_client_frame(message))
                reply = await frames.next_message()
                if reply is None:
                    break
                message = await gen.asend(reply) if is_async else gen.send(reply)
        except (StopIteration, StopAsyncIteration):
            pass
        incoming.feed(_client_frame(b'\x03\xe8', opcode=8))  # close, 1000
        incoming.feed_eof()
        try:
            await asyncio.wait_for(task, 5)
        except asyncio.TimeoutError:
            pass
        return TestResponse()


def _client_frame(data, opcode=None):
    """One masked client frame (RFC 6455 5.2); the mask need not be secret in a test."""
    if opcode is None:
        opcode = 1 if isinstance(data, str) else 2
    if isinstance(data, str):
        data = data.encode()
    n = len(data)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, 'big')
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, 'big')
    mask = b'\x12\x34\x56\x78'
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class _ServerFrames:
    """Reads the handshake and then the frames the app writes to the in-process connection."""

    def __init__(self, sink, task):
        self.sink = sink
        self.task = task

    async def _wait(self):
        if not self.sink.data:
            if self.task.done():
                return False
            self.sink.event.clear()
            waiter = asyncio.create_task(self.sink.event.wait())
            await asyncio.wait([waiter, self.task], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        return True

    async def _take(self, n):
        while len(self.sink.data) < n:
            if self.task.done() and len(self.sink.data) < n:
                return None
            self.sink.event.clear()
            waiter = asyncio.create_task(self.sink.event.wait())
            await asyncio.wait([waiter, self.task], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        data, self.sink.data = self.sink.data[:n], self.sink.data[n:]
        return data

    async def read_handshake(self):
        while b'\r\n\r\n' not in self.sink.data:
            if self.task.done():
                return False
            await self._wait()
            if self.task.done() and b'\r\n\r\n' not in self.sink.data:
                return False
        head, _, rest = self.sink.data.partition(b'\r\n\r\n')
        self.sink.data = rest
        return head.startswith(b'HTTP/1.1 101')

    async def next_message(self):
        """The next text (str) or binary (bytes) message, or None when the server closed."""
        parts = []
        while True:
            head = await self._take(2)
            if head is None:
                return None
            opcode = head[0] & 0x0f
            n = head[1] & 0x7f
            if n == 126:
                n = int.from_bytes(await self._take(2), 'big')
            elif n == 127:
                n = int.from_bytes(await self._take(8), 'big')
            payload = await self._take(n) if n else b''
            if payload is None or opcode == 8:
                return None
            if opcode in (0, 1, 2):
                if opcode:
                    parts = [opcode]
                parts.append(payload)
                if head[0] & 0x80:
                    data = b''.join(parts[1:])
                    return data.decode() if parts[0] == 1 else data
