"""Per-app and per-route settings, their precedence, and discovery through the registry."""
import pytest

from microdot import Microdot
from microdot.test_client import TestClient
from microdot.websocket import (DEFAULT_MAX_MESSAGE_LENGTH, WebSocket, WebSocketExtension,
                                with_websocket)


def app_reporting_settings(**route_options):
    app = Microdot()

    @app.route('/settings')
    @with_websocket(**route_options)
    async def settings(request, ws):
        await ws.receive()
        await ws.send('{} {}'.format(ws.max_message_length, ws.close_timeout))

    return app


async def settings_of(app):
    replies = []

    def talk():
        replies.append((yield 'x'))

    await TestClient(app).websocket('/settings', talk)
    return replies[0]


async def test_defaults():
    assert await settings_of(app_reporting_settings()) == '{} 5'.format(DEFAULT_MAX_MESSAGE_LENGTH)
    assert DEFAULT_MAX_MESSAGE_LENGTH == 1024 * 1024


async def test_app_settings_then_route_settings_win():
    app = app_reporting_settings()
    WebSocketExtension(app, max_message_length=2048, close_timeout=1)
    assert await settings_of(app) == '2048 1'
    app = app_reporting_settings(max_message_length=100)
    WebSocketExtension(app, max_message_length=2048)
    assert await settings_of(app) == '100 5'


@pytest.mark.parametrize('value', [0, None])
async def test_zero_or_none_disables_the_cap(value):
    app = app_reporting_settings(max_message_length=value)
    assert await settings_of(app) == '0 5'

    @app.route('/echo')
    @with_websocket(max_message_length=value)
    async def echo(request, ws):
        async for message in ws:
            await ws.send(message)

    replies = []
    big = b'x' * (DEFAULT_MAX_MESSAGE_LENGTH + 1)

    def talk():
        replies.append((yield big))

    await TestClient(app).websocket('/echo', talk)
    assert replies == [big]


async def test_class_attribute_of_microdot_2x(monkeypatch):
    monkeypatch.setattr(WebSocket, 'max_message_length', 4096)
    assert await settings_of(app_reporting_settings()) == '4096 5'
    app = app_reporting_settings()
    WebSocketExtension(app, max_message_length=8192)  # the app setting wins over the class
    assert await settings_of(app) == '8192 5'


async def test_extension_initialised_later_and_once():
    app = Microdot()
    ext = WebSocketExtension(max_message_length=10)
    ext.initialize(app)
    assert app.extensions['websocket'] is ext
    with pytest.raises(RuntimeError):
        WebSocketExtension(app)


def test_registry_finds_and_initialises_the_extension():
    registry = pytest.importorskip('microdot.registry')
    names = [info.name for info in registry.list_extensions()]
    assert 'websocket' in names
    app = Microdot()
    ext = registry.initialize_extension(app, 'websocket', max_message_length=1234)
    assert isinstance(ext, WebSocketExtension)
    assert app.extensions['websocket'].max_message_length == 1234


def test_unknown_option_fails_at_decoration():
    with pytest.raises(TypeError):
        with_websocket(max_mesage_length=10)(lambda request, ws: None)


async def test_keepalive_settings_from_the_app():
    app = Microdot()
    WebSocketExtension(app, ping_interval=15, ping_timeout=3)

    @app.route('/k')
    @with_websocket
    async def k(request, ws):
        await ws.receive()
        await ws.send('{} {}'.format(ws.ping_interval, ws.ping_timeout))

    replies = []

    def talk():
        replies.append((yield 'x'))

    await TestClient(app).websocket('/k', talk)
    assert replies == ['15 3']
