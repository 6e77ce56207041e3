"""Routes that the microdot-servers tests exercise under uvicorn and gunicorn.

``install(app)`` adds them to a ``microdot.asgi.Microdot`` or ``microdot.wsgi.Microdot``. Process
state (what a stream cleaned up, what start-up did) lives in ``STATE``: the tests run one worker
unless they say otherwise, and ask ``/state`` for it.
"""
import asyncio
import base64
import hashlib
import os
import struct

from microdot import Response

STATE = {'started': 0, 'startup_failures': 0, 'cleaned': [], 'lock': None}
RELEASE = {}


def install(app):
    app.max_content_length = 64 * 1024
    app.max_body_length = 1024

    fail_startup = int(os.environ.get('SERVERS_TEST_FAIL_STARTUP', '0'))

    @app.on_startup
    async def startup():
        if STATE['startup_failures'] < fail_startup:
            STATE['startup_failures'] += 1
            raise RuntimeError('start-up failed on purpose')
        STATE['started'] += 1
        STATE['lock'] = asyncio.Lock()  # an app-wide asyncio object, made on the serving loop

    @app.on_shutdown
    def shutdown_file():
        path = os.environ.get('SERVERS_TEST_SHUTDOWN_FILE')
        if path:
            with open(path, 'a') as f:
                f.write('shutdown {}\n'.format(os.getpid()))

    @app.get('/')
    async def index(req):
        return 'hello'

    @app.get('/sync')
    def sync_handler(req):
        return 'sync'

    @app.get('/state')
    async def state(req):
        return {'started': STATE['started'], 'startup_failures': STATE['startup_failures'],
                'cleaned': STATE['cleaned'], 'pid': os.getpid()}

    @app.get('/pid')
    async def pid(req):
        return str(os.getpid())

    @app.route('/info/<path:rest>', methods=['GET', 'POST'])
    async def info(req, rest):
        scope = getattr(req, 'asgi_scope', None)
        environ = getattr(req, 'environ', None)
        return {
            'rest': rest, 'path': req.path, 'url': req.url, 'method': req.method,
            'args': req.args, 'scheme': req.scheme, 'client': list(req.client_addr),
            'http_version': req.http_version, 'headers': dict(req.headers),
            'cookies': req.cookies,
            'root_path': scope.get('root_path') if scope else None,
            'script_name': environ.get('SCRIPT_NAME') if environ else None,
            'lifespan_state': dict(scope.get('state') or {}) if scope else None,
        }

    @app.post('/echo')
    async def echo(req):
        if req.body:
            return {'in_memory': True, 'size': len(req.body),
                    'sha': hashlib.sha256(req.body).hexdigest()}
        h = hashlib.sha256()
        size = 0
        while True:
            chunk = await req.stream.read(4000)
            if not chunk:
                break
            size += len(chunk)
            h.update(chunk)
        return {'in_memory': False, 'size': size, 'sha': h.hexdigest()}

    @app.post('/lines')
    async def lines(req):
        out = []
        while True:
            line = await req.stream.readline()
            if not line:
                break
            out.append(line.decode())
        return out

    @app.get('/stream/<int:n>')
    async def stream(req, n):
        return Counter(n, 0.02)

    @app.get('/strchunks')
    async def strchunks(req):
        return iter(['caf\u00e9 ', 'na\u00efve ', '\u2603'])

    @app.get('/forever/<tag>')
    async def forever(req, tag):
        return Forever(tag)

    @app.get('/idle/<tag>')
    async def idle(req, tag):
        return Idle(tag)

    @app.get('/events/<tag>')
    async def events(req, tag):
        RELEASE[tag] = asyncio.Event()
        return Events(tag), 200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'}

    @app.post('/release/<tag>')
    async def release(req, tag):
        RELEASE[tag].set()
        return 'ok'

    @app.get('/file')
    async def file(req):
        return Response.send_file(os.environ['SERVERS_TEST_DATA_FILE'],
                                  content_type='application/octet-stream')

    @app.get('/slow/<int:i>')
    async def slow(req, i):
        async with STATE['lock']:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        return str(i)

    @app.get('/shutdown')
    async def shutdown(req):
        app.shutdown()
        return 'bye'

    @app.get('/cookie')
    async def cookie(req):
        res = Response('set')
        res.set_cookie('a', '1', http_only=True)
        res.set_cookie('b', '2')
        return res

    @app.route('/ws/echo')
    async def ws_echo(req):
        if req.ws_channel is not None:
            return await channel_echo(req, req.ws_channel)
        return await rfc6455_echo(req)

    @app.get('/upgrade-but-http')
    async def upgrade_but_http(req):
        # a request with an Upgrade header that the route answers as plain HTTP, with a body
        # far bigger than the socket buffers (a non-blocking socket would fail to send it)
        return b'u' * (32 * 1024 * 1024)

    @app.get('/header/bad')
    async def bad_header(req):
        return 'x', 200, {'X-Bad': 'a\r\nInjected: yes'}

    @app.get('/header/utf8')
    async def utf8_header(req):
        return 'x', 200, {'X-Name': 'caf\u00e9 \u2603'}

    @app.get('/ws/refuse')
    async def ws_refuse(req):
        return 'no websocket for you', 403


class Counter:
    """n chunks, one every ``delay`` seconds (an async iterator class: no async generators)."""

    def __init__(self, n, delay):
        self.i = 0
        self.n = n
        self.delay = delay

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.i >= self.n:
            raise StopAsyncIteration
        self.i += 1
        await asyncio.sleep(self.delay)
        return 'chunk {}\n'.format(self.i).encode()


class Forever:
    """A stream that never ends; records its clean-up in STATE['cleaned']."""

    def __init__(self, tag):
        self.tag = tag

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(0.05)
        return b'tick\n'

    async def aclose(self):
        STATE['cleaned'].append(self.tag)


class Idle:
    """One chunk, then nothing ever again (an SSE stream with no news); records its clean-up."""

    def __init__(self, tag):
        self.tag = tag
        self.sent = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.sent:
            self.sent = True
            return b'first\n'
        await asyncio.Event().wait()

    async def aclose(self):
        STATE['cleaned'].append(self.tag)


class Events:
    """SSE: one event now, the next only after POST /release/<tag>, then the end."""

    def __init__(self, tag):
        self.tag = tag
        self.step = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        self.step += 1
        if self.step == 1:
            return 'event: first\ndata: one\n\n'
        if self.step == 2:
            await RELEASE[self.tag].wait()
            return 'id: 2\ndata: {"n": 2}\n\n'
        raise StopAsyncIteration


async def channel_echo(req, ws):
    offered = [p.strip() for p in req.headers.get('Sec-WebSocket-Protocol', '').split(',')]
    await ws.accept(subprotocol='chat' if 'chat' in offered else None,
                    headers={'X-Accepted': 'yes'})
    while True:
        msg = await ws.receive()
        if msg is None:
            STATE['cleaned'].append('ws:{}:{}'.format(ws.close_code, ws.close_reason))
            break
        if msg == 'close please':
            await ws.close(4001, 'asked')
            break
        await ws.send(msg)
    return Response.already_handled


async def rfc6455_echo(req):
    """Just enough RFC 6455 to prove that request.sock is the raw connection (the real
    implementation is microdot-websocket's)."""
    reader, writer = req.sock
    key = req.headers['Sec-WebSocket-Key']
    accept = base64.b64encode(hashlib.sha1(
        (key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
    offered = [p.strip() for p in req.headers.get('Sec-WebSocket-Protocol', '').split(',')]
    head = ('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
            'Sec-WebSocket-Accept: ' + accept + '\r\n')
    if 'chat' in offered:
        head += 'Sec-WebSocket-Protocol: chat\r\n'
    await writer.awrite((head + '\r\n').encode())
    while True:
        opcode, payload = await _read_frame(reader)
        if opcode == 8:
            code = struct.unpack('!H', payload[:2])[0] if len(payload) >= 2 else 1005
            STATE['cleaned'].append('ws:{}:{}'.format(code, payload[2:].decode()))
            await writer.awrite(_frame(8, payload[:2]))
            break
        if opcode == 1 and payload == b'close please':
            await writer.awrite(_frame(8, struct.pack('!H', 4001) + b'asked'))
            await _read_frame(reader)
            break
        if opcode in (1, 2):
            await writer.awrite(_frame(opcode, payload))
    return Response.already_handled


async def _read_frame(reader):
    b1, b2 = await reader.readexactly(2)
    length = b2 & 0x7f
    if length == 126:
        length = struct.unpack('!H', await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack('!Q', await reader.readexactly(8))[0]
    mask = await reader.readexactly(4) if b2 & 0x80 else None
    payload = await reader.readexactly(length)
    if mask:
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return b1 & 0x0f, payload


def _frame(opcode, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack('!BB', 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack('!BBH', 0x80 | opcode, 126, n)
    else:
        head = struct.pack('!BBQ', 0x80 | opcode, 127, n)
    return head + payload
