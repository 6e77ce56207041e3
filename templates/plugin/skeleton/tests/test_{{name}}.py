"""Tests for {{dist}}: in process with microdot's TestClient, and over a real socket with
microdot.testing.LiveServer. They run against whichever microdot-core is installed (see tox.ini)."""
import asyncio
import urllib.request

import pytest

from microdot import Microdot
from microdot.test_client import TestClient
from {{module}} import {{class}}


def make_app(**options):
    app = Microdot()
    {{class}}(app, **options)

    @app.get('/')
    def index(request):
        return request.g.request_id

    @app.get('/fail')
    def fail(request):
        raise RuntimeError('boom')

    return app


def get(app, path, headers=None):
    return asyncio.run(TestClient(app).get(path, headers=headers))


def test_every_response_gets_an_id_that_handlers_can_read():
    res = get(make_app(), '/')
    assert res.status_code == 200
    assert len(res.headers['X-Request-ID']) == 16
    assert res.text == res.headers['X-Request-ID']


def test_ids_differ_between_requests():
    app = make_app()
    assert get(app, '/').text != get(app, '/').text


def test_a_sensible_client_id_is_echoed():
    res = get(make_app(), '/', headers={'X-Request-ID': 'abc-123'})
    assert res.text == 'abc-123' and res.headers['X-Request-ID'] == 'abc-123'


@pytest.mark.parametrize('bad', ['a' * 65, 'has space', 'semi;colon', '<script>'])
def test_an_unusual_client_id_is_replaced(bad):
    res = get(make_app(), '/', headers={'X-Request-ID': bad})
    assert res.headers['X-Request-ID'] != bad and len(res.headers['X-Request-ID']) == 16


def test_error_responses_get_an_id_too():
    app = make_app()
    assert get(app, '/missing').status_code == 404
    assert 'X-Request-ID' in get(app, '/missing').headers
    assert 'X-Request-ID' in get(app, '/fail').headers


def test_options_configure_the_header():
    res = get(make_app(header='X-Trace'), '/')
    assert 'X-Trace' in res.headers and 'X-Request-ID' not in res.headers


def test_the_extension_is_recorded_on_the_app_and_only_once():
    app = Microdot()
    ext = {{class}}(app)
    assert app.extensions['{{name}}'] is ext
    with pytest.raises(RuntimeError, match='{{name}}'):
        {{class}}(app)


def test_one_object_serves_several_apps():
    ext = {{class}}()
    first, second = Microdot(), Microdot()
    ext.initialize(first)
    ext.initialize(second)
    assert first.extensions['{{name}}'] is ext and second.extensions['{{name}}'] is ext


def test_over_a_real_socket():
    testing = pytest.importorskip('microdot.testing')
    with testing.LiveServer(make_app()) as server:
        request = urllib.request.Request(server.url + '/', headers={'X-Request-ID': 'live-1'})
        with urllib.request.urlopen(request, timeout=10) as res:
            assert res.headers['X-Request-ID'] == 'live-1'
            assert res.read() == b'live-1'


def test_microdot_finds_the_installed_plugin():
    from microdot import registry
    info = registry.find_extension('{{name}}')
    assert info.distribution == '{{dist}}' and info.compatible, info.reason
    assert registry.load_extension('{{name}}') is {{class}}
