"""Shared fixtures: the test app on a real server (LiveServer) and a raw WebSocket client."""
import asyncio
import base64
import os
import socket
import struct
import sys
import time

import pytest

from microdot import Microdot
from microdot.testing import LiveServer
from microdot.websocket import WebSocketExtension, with_websocket

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                                os.pardir, 'tests', 'apps'))
import websocket_routes  # noqa: E402 (the conformance app's routes, shared with these tests)

KEY = base64.b64encode(os.urandom(16)).decode()


def make_app():
    """The app the real-socket tests talk to; ``app.state`` records how handlers ended."""
    app = Microdot()
    app.read_timeout = 1  # short, to prove that an idle WebSocket is not subject to it
    WebSocketExtension(app, max_message_length=2 * 1024 * 1024, close_timeout=2)
    app.state = {'ended': []}
    # the conformance app's routes (/websocket/small, /websocket/close/<code>,
    # /websocket/concurrent, /websocket/info, /websocket/origin...), plus these below
    websocket_routes.install(app)

    def ended(name, ws, how):
        app.state['ended'].append({'route': name, 'how': how, 'close_code': ws.close_code})

    def recording_echo(name):
        # echoes until the peer closes, then records how it ended
        async def echo(request, ws):
            how = 'returned'
            try:
                async for message in ws:
                    await ws.send(message)
            except BaseException as exc:
                how = type(exc).__name__
                raise
            finally:
                ended(name, ws, how)
        return echo

    app.route('/echo')(with_websocket(recording_echo('echo')))
    # pings tolerant of a loaded machine
    app.route('/keepalive')(with_websocket(ping_interval=0.1, ping_timeout=1)(
        recording_echo('keepalive')))

    @app.route('/sender')
    @with_websocket
    async def sender(request, ws):
        # only sends: pings must still be answered
        count = int(request.args.get('n', '20'))
        how = 'returned'
        try:
            for i in range(count):
                await ws.send(str(i))
                await asyncio.sleep(float(request.args.get('delay', '0.05')))
            await ws.send('done')
        except BaseException as exc:
            how = type(exc).__name__
            raise
        finally:
            ended('sender', ws, how)

    @app.route('/ping')
    @with_websocket
    async def ping(request, ws):
        await ws.ping(b'are you there')
        await ws.pong(b'heartbeat')
        await ws.send(await ws.receive())

    @app.route('/error')
    @with_websocket
    async def error(request, ws):
        await ws.receive()
        raise RuntimeError('handler bug (expected by the test)')

    @app.route('/after-close')
    @with_websocket
    async def after_close(request, ws):
        # the peer closes; then receive() and send() raise ConnectionClosed with its code
        try:
            await ws.receive()
        except Exception as exc:
            first = exc
        try:
            await ws.send('late')
        except Exception as exc:
            second = exc
        app.state['after_close'] = [type(first).__name__, first.code, first.reason,
                                    type(second).__name__, second.code]

    @app.route('/manual')
    async def manual(request):
        from microdot.websocket import websocket_upgrade
        if request.args.get('token') != 'secret':
            return 'forbidden', 403
        ws = await websocket_upgrade(request)
        await ws.send('authorised')
        await ws.close()
        return 'ignored'

    @app.get('/state')
    async def state(request):
        return app.state

    return app


@pytest.fixture(scope='module')
def live():
    app = make_app()
    with LiveServer(app) as server:
        server.app = app
        yield server


def ws_url(server, path):
    return 'ws://{}:{}{}'.format(server.host, server.port, path)


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# --- a raw client: builds frames by hand, independent of the code under test ---------------------

def client_frame(opcode, payload=b'', fin=True, mask=True, rsv=0, length=None):
    """A client frame as bytes; ``length`` overrides the declared payload length."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    head = bytearray([(0x80 if fin else 0) | rsv | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 65536:
        head.append(mbit | 126)
        head += struct.pack('!H', n)
    else:
        head.append(mbit | 127)
        head += struct.pack('!Q', n)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    return bytes(head) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWebSocket:
    """A TCP socket that did the opening handshake; reads server frames."""

    def __init__(self, host, port, path, timeout=5.0, extra=b''):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b''
        self.sock.sendall(
            'GET {} HTTP/1.1\r\nHost: {}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
            'Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n'.format(
                path, host, port, KEY).encode() + extra)
        while b'\r\n\r\n' not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        self.head = head.decode()
        assert self.head.startswith('HTTP/1.1 101'), self.head

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError('server closed the connection')
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, data):
        self.sock.sendall(data)

    def frame(self):
        """The next server frame: (fin, opcode, payload). Server frames must be unmasked."""
        b0, b1 = self._take(2)
        assert not b1 & 0x80, 'server frames must not be masked'
        assert not b0 & 0x70, 'server frames must not set reserved bits'
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack('!H', self._take(2))[0]
        elif n == 127:
            n = struct.unpack('!Q', self._take(8))[0]
        return bool(b0 & 0x80), b0 & 0x0F, self._take(n)

    def close_frame(self, answer=True):
        """Skip to the server's close frame; returns (code or None, reason). With ``answer`` the
        close handshake is completed as a well-behaved client does."""
        while True:
            fin, opcode, payload = self.frame()
            if opcode == 8:
                if answer:
                    try:
                        self.send(client_frame(8, payload[:2]))
                    except OSError:
                        pass  # the server may have closed already
                if not payload:
                    return None, ''
                return struct.unpack('!H', payload[:2])[0], payload[2:].decode()

    def at_eof(self, timeout=5.0):
        """True when the server closes the TCP connection within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except (socket.timeout, ConnectionResetError):
            return False

    def close(self):
        self.sock.close()


@pytest.fixture
def raw_ws(live):
    opened = []

    def connect(path='/echo', **kwargs):
        conn = RawWebSocket(live.host, live.port, path, **kwargs)
        opened.append(conn)
        return conn
    yield connect
    for conn in opened:
        conn.close()
