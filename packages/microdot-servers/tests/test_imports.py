"""The Microdot 2.x import paths, the lazy WebSocket re-exports and the registry entries."""
import importlib.util
import subprocess
import sys

import pytest

import microdot
from microdot import asgi, wsgi
from microdot.registry import find_extension, initialize_extension


@pytest.mark.parametrize('module', [asgi, wsgi])
def test_2x_names(module):
    for name in ('Microdot', 'Request', 'Response', 'abort', 'redirect', 'send_file',
                 'URLPattern', 'AsyncBytesIO', 'iscoroutine'):
        assert hasattr(module, name), name
    assert issubclass(module.Microdot, microdot.Microdot)
    assert module.Request is microdot.Request
    assert module.send_file is microdot.send_file
    assert module.__version__ == '0.1.0'


@pytest.mark.parametrize('module', [asgi, wsgi])
def test_websocket_names_are_lazy(module):
    # importing the adapter does not import the websocket plugin
    code = 'import sys, microdot.{0}; print("microdot.websocket" in sys.modules)'.format(
        module.__name__.rsplit('.', 1)[1])
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'False'
    if importlib.util.find_spec('microdot.websocket') is None:
        with pytest.raises(ImportError, match='pip install microdot-websocket'):
            module.with_websocket
    else:
        import microdot.websocket
        assert module.with_websocket is microdot.websocket.with_websocket
        assert module.websocket_upgrade is microdot.websocket.websocket_upgrade
        assert module.WebSocket is microdot.websocket.WebSocket
    with pytest.raises(AttributeError):
        module.no_such_name


def test_asgi_microdot_attributes():
    async def start(scope):
        pass

    app = asgi.Microdot(lifespan_startup=start)
    assert app.lifespan_startup is start
    assert app.lifespan_shutdown is None
    assert app.embedded_server is False
    app.lifespan_shutdown = start
    assert app.extensions['asgi'].lifespan_shutdown is start


def test_wsgi_microdot_attributes():
    app = wsgi.Microdot()
    assert app.embedded_server is False
    assert isinstance(app.extensions['wsgi'], wsgi.WSGI)


@pytest.mark.parametrize('name,cls', [('asgi', asgi.ASGI), ('wsgi', wsgi.WSGI)])
def test_registry_entry_points(name, cls):
    info = find_extension(name)
    assert info.distribution == 'microdot-servers'
    assert info.compatible
    assert info.load() is cls
    app = microdot.Microdot()
    adapter = initialize_extension(app, name)
    assert app.extensions[name] is adapter
    assert adapter.app is app
    with pytest.raises(RuntimeError):
        cls(app)  # once per app
    with pytest.raises(RuntimeError):
        adapter.initialize(microdot.Microdot())  # an adapter serves one app


def test_extension_then_initialize():
    adapter = asgi.ASGI()
    app = microdot.Microdot()
    adapter.initialize(app)
    assert app.extensions['asgi'] is adapter
