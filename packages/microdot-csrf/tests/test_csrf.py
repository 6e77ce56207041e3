"""microdot.csrf on a real server (LiveServer, httpx) and in process (TestClient)."""
import httpx
import pytest

from microdot import Microdot
from microdot.csrf import CSRF
from microdot.test_client import TestClient
from microdot.testing import LiveServer


def make_app(**options):
    app = Microdot()
    cors = options.pop('cors', None)
    csrf = CSRF(app, cors=cors, **options)

    @app.route('/data', methods=['GET', 'POST', 'PUT', 'DELETE'])
    async def data(request):
        return request.method

    @app.post('/hook')
    @csrf.exempt
    async def hook(request):
        return 'exempt'

    @app.get('/guarded')
    @csrf.protect
    async def guarded(request):
        return 'guarded'

    return app, csrf


@pytest.fixture(scope='module')
def server():
    app, _ = make_app()
    with LiveServer(app) as srv:
        yield srv


def own_origin(server):
    return 'http://127.0.0.1:{}'.format(server.port)


@pytest.mark.parametrize('headers, status', [
    ({}, 200),  # curl, scripts: no browser metadata
    ({'Sec-Fetch-Site': 'same-origin'}, 200),
    ({'Sec-Fetch-Site': 'none'}, 200),
    ({'Sec-Fetch-Site': 'cross-site'}, 403),
    ({'Sec-Fetch-Site': 'same-site'}, 403),
    ({'Sec-Fetch-Site': 'cross-site', 'Origin': 'https://evil.example'}, 403),
    ({'Origin': 'https://evil.example'}, 403),
    ({'Origin': 'null'}, 403),
    ({'Origin': 'garbage'}, 403),
    ({'Sec-Fetch-Site': 'SAME-ORIGIN'}, 200),
], ids=['no-headers', 'same-origin', 'none', 'cross-site', 'same-site', 'cross-site-origin',
        'foreign-origin', 'null-origin', 'garbage-origin', 'case'])
def test_post_decisions(server, headers, status):
    res = httpx.post(server.url + '/data', headers=headers)
    assert res.status_code == status
    if status == 403:
        assert res.text == 'Forbidden'


def test_origin_fallback_own_origin(server):
    # an older browser: no Sec-Fetch-Site, but its Origin is this server
    res = httpx.post(server.url + '/data', headers={'Origin': own_origin(server)})
    assert res.status_code == 200
    res = httpx.post(server.url + '/data', headers={'Origin': 'http://127.0.0.1:1'})
    assert res.status_code == 403


def test_safe_methods_and_exempt_and_protect(server):
    evil = {'Sec-Fetch-Site': 'cross-site', 'Origin': 'https://evil.example'}
    assert httpx.get(server.url + '/data', headers=evil).status_code == 200
    assert httpx.head(server.url + '/data', headers=evil).status_code == 200
    assert httpx.put(server.url + '/data', headers=evil).status_code == 403
    assert httpx.delete(server.url + '/data', headers=evil).status_code == 403
    assert httpx.post(server.url + '/hook', headers=evil).text == 'exempt'
    assert httpx.get(server.url + '/guarded', headers=evil).status_code == 403
    assert httpx.get(server.url + '/guarded',
                     headers={'Sec-Fetch-Site': 'same-origin'}).status_code == 200
    # routing first: unknown paths and wrong methods keep their answers
    assert httpx.post(server.url + '/nope', headers=evil).status_code == 404
    assert httpx.post(server.url + '/guarded', headers=evil).status_code == 405


async def test_protect_all_false_checks_only_protected_routes():
    app, _ = make_app(protect_all=False)
    client = TestClient(app)
    evil = {'Sec-Fetch-Site': 'cross-site'}
    assert (await client.post('/data', headers=evil)).status_code == 200
    assert (await client.get('/guarded', headers=evil)).status_code == 403


async def test_allow_subdomains():
    app, _ = make_app(allow_subdomains=True)
    client = TestClient(app)
    ok = await client.post('/data', headers={'Sec-Fetch-Site': 'same-site',
                                             'Host': 'example.com'})
    assert ok.status_code == 200
    ok = await client.post('/data', headers={'Origin': 'https://api.example.com',
                                             'Host': 'example.com'})
    assert ok.status_code == 200
    bad = await client.post('/data', headers={'Origin': 'https://evilexample.com',
                                              'Host': 'example.com'})
    assert bad.status_code == 403
    app, _ = make_app()
    client = TestClient(app)
    bad = await client.post('/data', headers={'Origin': 'https://api.example.com',
                                              'Host': 'example.com'})
    assert bad.status_code == 403


async def test_trusted_origins():
    app, _ = make_app(trusted_origins=['https://admin.example.com'])
    client = TestClient(app)
    ok = await client.post('/data', headers={'Sec-Fetch-Site': 'cross-site',
                                             'Origin': 'https://admin.example.com'})
    assert ok.status_code == 200
    bad = await client.post('/data', headers={'Sec-Fetch-Site': 'cross-site',
                                              'Origin': 'http://admin.example.com'})
    assert bad.status_code == 403
    with pytest.raises(ValueError):
        CSRF(trusted_origins=['admin.example.com'])


async def test_origins_shared_with_cors_explicit_and_from_the_app():
    # tox installs microdot-cors beside microdot-csrf; the wheel test (dist-csrf) has csrf alone
    CORS = pytest.importorskip('microdot.cors').CORS
    cross = {'Sec-Fetch-Site': 'cross-site', 'Origin': 'https://app.example.com'}
    # explicit
    app, _ = make_app(cors=CORS(allowed_origins=['https://app.example.com']))
    assert (await TestClient(app).post('/data', headers=cross)).status_code == 200
    # found in app.extensions
    app = Microdot()
    CORS(app, allowed_origins=['https://app.example.com'], allow_credentials=True)
    CSRF(app)

    @app.post('/x')
    async def x(request):
        return 'x'
    client = TestClient(app)
    res = await client.post('/x', headers=cross)
    assert res.status_code == 200
    assert res.headers['Access-Control-Allow-Origin'] == 'https://app.example.com'
    res = await client.post('/x', headers={'Sec-Fetch-Site': 'cross-site',
                                           'Origin': 'https://other.example.com'})
    assert res.status_code == 403
    # a CORS '*' never vouches for a request
    app, _ = make_app(cors=CORS(allowed_origins='*'))
    assert (await TestClient(app).post('/data', headers=cross)).status_code == 403


def test_one_extension_per_app_and_entry_point():
    app = Microdot()
    CSRF(app)
    assert isinstance(app.extensions['csrf'], CSRF)
    with pytest.raises(RuntimeError):
        CSRF(app)
    from microdot import registry
    info = registry.find_extension('csrf')
    assert info.distribution == 'microdot-csrf' and info.compatible
