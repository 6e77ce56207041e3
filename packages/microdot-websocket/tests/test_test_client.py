"""The core's TestClient opens WebSockets in process; the same handlers work there."""
import asyncio

from microdot import Microdot
from microdot.test_client import TestClient
from microdot.websocket import WebSocketExtension, with_websocket


def make_app():
    app = Microdot()

    @app.route('/echo')
    @with_websocket
    async def echo(request, ws):
        while True:
            message = await ws.receive()
            await ws.send(message)

    @app.route('/upper/<name>')
    @with_websocket
    async def upper(request, ws, name):
        async for message in ws:
            await ws.send('{}: {}'.format(name, message.upper()))

    @app.route('/limited')
    @with_websocket(max_message_length=10)
    async def limited(request, ws):
        async for message in ws:
            await ws.send(message)

    return app


async def test_echo_sync_generator():
    client = TestClient(make_app())
    replies = []

    def talk():
        replies.append((yield 'hello'))
        replies.append((yield b'\x00\x01'))
        replies.append((yield ''))
        replies.append((yield 'x' * 70000))

    res = await client.websocket('/echo', talk)
    assert res.status_code is None
    assert replies == ['hello', b'\x00\x01', '', 'x' * 70000]


async def test_async_generator_and_url_args():
    client = TestClient(make_app())
    replies = []

    async def talk():
        replies.append((yield 'one'))
        await asyncio.sleep(0)
        replies.append((yield 'two'))

    await client.websocket('/upper/bob', talk)
    assert replies == ['bob: ONE', 'bob: TWO']


async def test_refused_upgrade_returns_the_response():
    client = TestClient(make_app())

    def talk():
        yield 'never sent'

    res = await client.websocket('/echo', talk, headers={'Sec-WebSocket-Version': '12'})
    assert res.status_code == 426
    assert res.headers['Sec-WebSocket-Version'] == '13'


async def test_plain_get_on_a_websocket_route_is_400():
    res = await TestClient(make_app()).get('/echo')
    assert res.status_code == 400


async def test_limit_from_the_route_and_from_the_app():
    app = make_app()
    client = TestClient(app)
    replies = []

    def talk():
        replies.append((yield 'short'))
        replies.append((yield 'much too long'))

    await client.websocket('/limited', talk)
    # the server closed (1009) instead of answering; the client's generator is not resumed
    assert replies == ['short']

    WebSocketExtension(app, max_message_length=4)
    replies.clear()
    await client.websocket('/echo', talk)
    assert replies == []


async def test_server_without_a_connection_to_take_over_refuses_with_501():
    # e.g. a WSGI server that does not hand its socket over: request.sock is (None, None)
    client = TestClient(make_app())
    headers = {'Upgrade': 'websocket', 'Connection': 'Upgrade', 'Sec-WebSocket-Version': '13',
               'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ=='}
    res = await client.request('GET', '/echo', headers=headers, sock=(None, None))
    assert res.status_code == 501
