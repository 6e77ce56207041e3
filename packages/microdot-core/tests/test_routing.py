import pytest

from microdot import Microdot, URLPattern
from microdot.test_client import TestClient


def test_static_segments_are_literal():
    p = URLPattern('/file.txt')
    assert p.match('/file.txt') == {}
    assert p.match('/fileXtxt') is None  # 2.x treated '.' as a regex wildcard


@pytest.mark.parametrize('pattern,path,expected', [
    ('/users/<int:id>', '/users/-123', {'id': -123}),
    ('/users/<int:id>', '/users/--1', None),
    ('/users/<id>', '/users/a%20b', {'id': 'a b'}),
    ('/users/<id>', '/users/a/b', None),
    ('/files/<path:p>', '/files/a/b/c', {'p': 'a/b/c'}),
    ('/re/<re:[a-c]+:x>', '/re/abca', {'x': 'abca'}),
    ('/re/<re:(a|b)c:x>/<int:n>', '/re/ac/5', {'x': 'ac', 'n': 5}),
    ('/a/<x>/b/<y>', '/a/1/b/2', {'x': '1', 'y': '2'}),
    ('/foo', '/foo/', None),
    ('/', '/', {}),
    ('/a.b/<x>', '/aXb/1', None),
])
def test_match(pattern, path, expected):
    assert URLPattern(pattern).match(path) == expected


def test_invalid_patterns():
    for bad in ('/<x', '/<bad:x>', '/a<x>'):
        with pytest.raises(ValueError):
            URLPattern(bad).compile()


def test_custom_type():
    URLPattern.register_type('hex', '[0-9a-f]+', lambda v: int(v, 16))
    URLPattern.register_type('even', '[0-9]+', lambda v: int(v) if int(v) % 2 == 0 else None)
    assert URLPattern('/h/<hex:v>').match('/h/ff') == {'v': 255}
    assert URLPattern('/e/<even:v>').match('/e/4') == {'v': 4}
    assert URLPattern('/e/<even:v>').match('/e/3') is None


async def test_first_registered_route_wins_and_methods():
    app = Microdot()

    @app.route('/x/<name>')
    async def dynamic(req, name):
        return 'dynamic ' + name

    @app.route('/x/static')
    async def static(req):
        return 'static'

    @app.route('/m', methods=['post', 'PUT'])
    async def m(req):
        return req.method

    @app.route('/h', methods=['HEAD'])
    async def head_only(req):
        return '', 200, {'X-Head': 'yes'}

    client = TestClient(app)
    assert (await client.get('/x/static')).text == 'dynamic static'
    assert (await client.post('/m')).text == 'POST'
    assert (await client.put('/m')).text == 'PUT'
    res = await client.get('/m')
    assert res.status_code == 405
    assert res.headers['Allow'] == 'POST, PUT'
    res = await client.request('HEAD', '/h')
    assert res.status_code == 200 and res.headers['X-Head'] == 'yes'
    res = await client.request('HEAD', '/x/y')
    assert res.status_code == 200 and res.body is None
    assert res.headers['Content-Length'] == str(len('dynamic y'))
    assert (await client.get('/nope')).status_code == 404


async def test_automatic_options():
    app = Microdot()

    @app.get('/a')
    async def a(req):
        return 'a'

    @app.post('/a')
    async def a_post(req):
        return 'a'

    @app.route('/own', methods=['OPTIONS'])
    async def own(req):
        return 'mine', 200, {'Allow': 'OPTIONS'}

    client = TestClient(app)
    res = await client.request('OPTIONS', '/a')
    assert res.status_code == 200
    assert res.headers['Allow'] == 'GET, POST, HEAD, OPTIONS'
    assert (await client.request('OPTIONS', '/own')).text == 'mine'
    assert (await client.request('OPTIONS', '/missing')).status_code == 404
    app.options_handler = None
    assert (await client.request('OPTIONS', '/a')).status_code == 405


async def test_local_subapp_hooks_see_automatic_options_and_405():
    app = Microdot()
    sub = Microdot()

    @sub.route('/x')
    async def x(req):
        return 'x'

    @sub.after_request
    async def mark(req, res):
        res.headers['X-Sub'] = '1'

    @sub.after_error_request
    async def mark_error(req, res):
        res.headers['X-Sub-Error'] = '1'

    app.mount(sub, '/sub', local=True)
    client = TestClient(app)
    res = await client.request('OPTIONS', '/sub/x')
    assert res.headers['X-Sub'] == '1' and res.headers['Allow'] == 'GET, HEAD, OPTIONS'
    res = await client.request('DELETE', '/sub/x')
    assert res.status_code == 405 and res.headers['X-Sub-Error'] == '1'


async def test_bad_percent_encoding_in_a_path_argument_is_400():
    app = Microdot()

    @app.route('/p/<path:rest>')
    async def p(req, rest):
        return rest

    client = TestClient(app)
    assert (await client.get('/p/a%20b')).text == 'a b'
    for bad in ('/p/%zz', '/p/%ff', '/p/%e2%80'):
        assert (await client.get(bad)).status_code == 400
