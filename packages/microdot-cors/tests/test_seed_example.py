"""The user docs' example (seed core-extensions.txt, "Cross-Origin Resource Sharing"), as written,
end to end on a real server with a real client."""
import httpx
import pytest

from microdot.testing import LiveServer


@pytest.fixture(scope='module')
def server():
    from microdot import Microdot
    from microdot.cors import CORS

    app = Microdot()
    cors = CORS(app, allowed_origins=['https://example.com'], allow_credentials=True)

    @app.route('/api/data', methods=['GET', 'POST'])
    def data(request):
        return {'user': request.cookies.get('user')}

    assert app.extensions['cors'] is cors
    with LiveServer(app) as live:
        yield live


def test_credentialed_request_from_the_allowed_origin(server):
    res = httpx.get(server.url + '/api/data', headers={'Origin': 'https://example.com',
                                                       'Cookie': 'user=susan'})
    assert res.status_code == 200
    assert res.json() == {'user': 'susan'}
    assert res.headers['access-control-allow-origin'] == 'https://example.com'
    assert res.headers['access-control-allow-credentials'] == 'true'
    assert res.headers['vary'] == 'Origin'


def test_preflight_from_the_allowed_origin(server):
    res = httpx.options(server.url + '/api/data', headers={
        'Origin': 'https://example.com', 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type'})
    assert res.status_code == 200
    assert res.headers['access-control-allow-origin'] == 'https://example.com'
    assert res.headers['access-control-allow-credentials'] == 'true'
    assert res.headers['access-control-allow-methods'] == 'POST'
    assert res.headers['access-control-allow-headers'] == 'content-type'
    assert res.headers['allow'] == 'GET, POST, HEAD, OPTIONS'
    assert res.content == b''


def test_other_origins_get_no_cors_headers(server):
    for origin in ['https://evil.example', 'null', 'https://example.com.evil.example']:
        res = httpx.get(server.url + '/api/data', headers={'Origin': origin})
        assert res.status_code == 200
        assert not [name for name in res.headers if name.startswith('access-control-')]
        assert res.headers['vary'] == 'Origin'
        res = httpx.options(server.url + '/api/data', headers={
            'Origin': origin, 'Access-Control-Request-Method': 'POST'})
        assert not [name for name in res.headers if name.startswith('access-control-')]
