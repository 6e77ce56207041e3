"""The ``request.ws_channel`` seam: under a server that frames WebSockets itself (ASGI), the same
handler talks to the server's message channel instead of framing RFC 6455 itself.

The channel here is an in-memory implementation of the interface in docs/architecture.md (the
other side of the seam, as microdot.asgi provides it); the handlers are the real ones. The real
thing runs in tests/test_websocket_conformance.py under uvicorn.
"""
import asyncio

from microdot import Microdot
from microdot.test_client import TestClient
from microdot.websocket import ConnectionClosed, with_websocket


class MemoryChannel:
    def __init__(self, incoming, close_code=1000, close_reason='bye'):
        self.incoming = list(incoming)
        self.sent = []
        self.accepted = None
        self.closed_with = None
        self.close_code = None
        self.close_reason = ''
        self._peer_code = (close_code, close_reason)

    async def accept(self, subprotocol=None, headers=None):
        self.accepted = {'subprotocol': subprotocol}

    async def receive(self):
        await asyncio.sleep(0)
        if self.incoming:
            return self.incoming.pop(0)
        self.close_code, self.close_reason = self._peer_code
        return None

    async def send(self, data):
        if self.closed_with is not None:
            raise OSError(32, 'closed')
        self.sent.append(data)

    async def close(self, code=1000, reason=''):
        self.closed_with = (code, reason)


def make_app(channel, **options):
    app = Microdot()
    app.state = {}

    @app.before_request
    def attach_channel(request):
        request.ws_channel = channel  # what an ASGI adapter does for a websocket scope

    @app.route('/echo')
    @with_websocket(**options)
    async def echo(request, ws):
        try:
            async for message in ws:
                await ws.send(message)
            await ws.send('late')
        except ConnectionClosed as exc:
            app.state['closed'] = (exc.code, exc.reason, ws.close_code)
            raise

    return app


async def get(app, headers=None):
    return await TestClient(app).get('/echo', headers=headers)


async def test_messages_go_through_the_channel():
    channel = MemoryChannel(['hello', b'\x00\x01', ''])
    app = make_app(channel)
    res = await get(app)
    assert res.status_code is None  # already handled: the server sends nothing else
    assert channel.accepted == {'subprotocol': None}
    assert channel.sent == ['hello', b'\x00\x01', '']
    # the peer closed (1000 'bye'): the late send raised ConnectionClosed with that code
    assert app.state['closed'] == (1000, 'bye', 1000)


async def test_subprotocol_is_passed_to_accept():
    channel = MemoryChannel([])
    app = make_app(channel, subprotocols=['v2', 'v1'])
    await get(app, {'Sec-WebSocket-Protocol': 'v1, v2'})
    assert channel.accepted == {'subprotocol': 'v2'}


async def test_message_over_the_limit_closes_the_channel_with_1009():
    channel = MemoryChannel(['short', 'x' * 11])
    app = make_app(channel, max_message_length=10)
    await get(app)
    assert channel.sent == ['short']
    assert channel.closed_with == (1009, 'message too big')
    assert app.state['closed'][0] == 1009


async def test_handler_exception_closes_the_channel_with_1011():
    channel = MemoryChannel(['boom'])
    app = Microdot()

    @app.before_request
    def attach_channel(request):
        request.ws_channel = channel

    @app.route('/echo')
    @with_websocket
    async def echo(request, ws):
        await ws.receive()
        raise RuntimeError('handler bug (expected by the test)')

    await get(app)
    assert channel.closed_with == (1011, '')


async def test_origin_check_applies_under_a_channel():
    channel = MemoryChannel([])
    app = make_app(channel, allowed_origins=['https://good.example'])
    res = await get(app, {'Origin': 'https://evil.example'})
    assert res.status_code == 403
    assert channel.accepted is None
