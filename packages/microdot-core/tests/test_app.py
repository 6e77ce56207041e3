import pytest

from microdot import Microdot, Response, abort
from microdot.test_client import TestClient


@pytest.fixture
def app():
    return Microdot()


async def test_response_shapes(app):
    @app.route('/<kind>')
    async def shapes(req, kind):
        return {
            'str': 'text',
            'bytes': b'\x00\x01',
            'dict': {'a': 1},
            'list': [1, 2],
            'none': None,
            'int': 202,
            'tuple2': ('created', 201),
            'tuple3': ('teapot', 418, {'X-A': 'b'}),
            'bodyheaders': ('body', {'X-A': 'c'}),
            'status_headers': (204, {'X-A': 'd'}),
            'response': Response('r', 203),
        }[kind]

    client = TestClient(app)
    res = await client.get('/str')
    assert (res.status_code, res.text, res.headers['Content-Type']) == \
        (200, 'text', 'text/plain; charset=UTF-8')
    assert (await client.get('/bytes')).body == b'\x00\x01'
    res = await client.get('/dict')
    assert res.json == {'a': 1} and res.headers['Content-Type'].startswith('application/json')
    assert (await client.get('/list')).json == [1, 2]
    assert (await client.get('/none')).status_code == 204
    assert (await client.get('/int')).status_code == 202
    assert (await client.get('/tuple2')).status_code == 201
    res = await client.get('/tuple3')
    assert (res.status_code, res.text, res.headers['X-A']) == (418, 'teapot', 'b')
    res = await client.get('/bodyheaders')
    assert (res.status_code, res.headers['X-A']) == (200, 'c')
    res = await client.get('/status_headers')
    assert (res.status_code, res.headers['X-A']) == (204, 'd')
    assert (await client.get('/response')).status_code == 203


async def test_json_content_type_is_not_overridden(app):
    @app.route('/')
    async def index(req):
        return {'a': 1}, 200, {'Content-Type': 'application/vnd.api+json'}

    res = await TestClient(app).get('/')
    assert res.headers['Content-Type'] == 'application/vnd.api+json'


async def test_sync_handler_and_request_data(app):
    @app.post('/data')
    def data(req):
        return {'args': req.args.getlist('a'), 'json': req.json, 'cookies': req.cookies,
                'path': req.path, 'qs': req.query_string, 'method': req.method,
                'addr': list(req.client_addr)}

    client = TestClient(app)
    res = await client.post('/data?a=1&a=2&b', body={'x': 1},
                            headers={'Cookie': 'c=1; d'})
    assert res.json == {'args': ['1', '2'], 'json': {'x': 1}, 'cookies': {'c': '1', 'd': ''},
                        'path': '/data', 'qs': 'a=1&a=2&b', 'method': 'POST',
                        'addr': ['127.0.0.1', 1234]}


async def test_form_and_bad_input(app):
    @app.post('/form')
    async def form(req):
        return {'form': req.form.getlist('a'), 'flag': req.form.get('flag')}

    @app.post('/json')
    async def json_body(req):
        return {'json': req.json}

    @app.get('/args')
    async def args(req):
        return dict(req.args)

    client = TestClient(app)
    res = await client.post('/form', body='a=1&a=x+y&flag',
                            headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert res.json == {'form': ['1', 'x y'], 'flag': ''}
    res = await client.post('/json', body='{bad', headers={'Content-Type': 'application/json'})
    assert res.status_code == 400
    assert (await client.get('/args?x=%zz')).status_code == 400
    assert (await client.get('/args?x=%ff')).status_code == 400


async def test_hooks_order_and_short_circuit(app):
    calls = []

    @app.before_request
    async def before(req):
        calls.append('before')
        if req.path == '/stop':
            return 'stopped', 403

    @app.after_request
    def after(req, res):
        calls.append('after')
        res.headers['X-After'] = '1'

    @app.after_error_request
    async def after_error(req, res):
        calls.append('after_error')
        res.headers['X-Error'] = '1'

    @app.route('/')
    async def index(req):
        calls.append('handler')

        @req.after_request
        async def per_request(req, res):
            calls.append('per_request')
            return Response('replaced')
        return 'ok'

    @app.route('/stop')
    async def stop(req):
        calls.append('never')

    client = TestClient(app)
    res = await client.get('/')
    assert res.text == 'replaced' and calls == ['before', 'handler', 'after', 'per_request']
    calls.clear()
    res = await client.get('/stop')
    assert res.status_code == 403 and res.headers['X-After'] == '1'
    assert calls == ['before', 'after']
    calls.clear()
    res = await client.get('/missing')
    assert res.status_code == 404 and res.headers['X-Error'] == '1' and calls == ['after_error']


async def test_error_handlers(app):
    class MyError(LookupError):
        pass

    @app.errorhandler(404)
    async def not_found(req):
        return {'error': 'not here'}, 404

    @app.errorhandler(LookupError)
    async def lookup(req, exc):
        return 'lookup', 409

    @app.errorhandler(IndexError)
    async def index_error(req, exc):
        return 'index', 410

    @app.errorhandler(ZeroDivisionError)
    async def broken_handler(req, exc):
        raise RuntimeError('handler failed too')

    @app.route('/raise/<kind>')
    async def raiser(req, kind):
        if kind == 'index':
            raise IndexError()
        if kind == 'mine':
            raise MyError()
        if kind == 'zero':
            1 / 0
        if kind == 'abort':
            abort(406, 'Not acceptable')
        if kind == 'abort-headers':
            abort(426, headers={'Upgrade': 'x'})
        raise ValueError('boom')

    client = TestClient(app)
    assert (await client.get('/nowhere')).json == {'error': 'not here'}
    res = await client.get('/raise/index')
    assert (res.status_code, res.text) == (410, 'index')
    assert (await client.get('/raise/mine')).status_code == 409
    res = await client.get('/raise/zero')
    assert (res.status_code, res.text) == (500, 'Internal server error')
    res = await client.get('/raise/other')
    assert res.status_code == 500 and 'boom' not in res.text
    res = await client.get('/raise/abort')
    assert (res.status_code, res.text) == (406, 'Not acceptable')
    res = await client.get('/raise/abort-headers')
    assert res.status_code == 426 and res.headers['Upgrade'] == 'x'
    app.debug = True
    assert 'ValueError: boom' in (await client.get('/raise/other')).text


async def test_error_handler_normalisation(app):
    @app.errorhandler(404)
    async def not_found(req):
        return 'custom', {'X-A': 'b'}

    res = await TestClient(app).get('/x')
    # 2.x broke on (body, headers) from an error handler; it is a normal response shape here
    assert (res.status_code, res.text, res.headers['X-A']) == (200, 'custom', 'b')


async def test_payload_too_large(app):
    @app.post('/')
    async def index(req):
        return 'x'

    app.max_content_length = 10
    res = await TestClient(app).post('/', body='x' * 11)
    assert res.status_code == 413


async def test_class_level_limits_still_apply():
    from microdot import Request
    app = Microdot()

    @app.post('/')
    async def index(req):
        return {'body': len(req.body), 'stream': len(await req.stream.read())}

    old = Request.max_body_length
    Request.max_body_length = 4
    try:
        res = await TestClient(app).post('/', body='123456')
        assert res.json == {'body': 0, 'stream': 6}
    finally:
        Request.max_body_length = old
    assert app.max_body_length == old


async def test_mount(app):
    sub = Microdot()
    local = Microdot()
    seen = []

    @sub.before_request
    async def sub_before(req):
        seen.append('sub')

    @sub.route('/hello')
    async def hello(req):
        return 'hello from ' + req.url_prefix

    @local.before_request
    async def local_before(req):
        seen.append('local')

    @local.errorhandler(404)
    async def local_404(req):
        return 'local 404', 404

    @local.route('/x')
    async def x(req):
        return 'x'

    @local.route('/fail')
    async def fail(req):
        abort(404)

    @app.route('/')
    async def index(req):
        return 'root'

    app.mount(sub, '/sub')
    app.mount(local, '/local', local=True)
    client = TestClient(app)
    assert (await client.get('/sub/hello')).text == 'hello from /sub'
    assert (await client.get('/')).text == 'root'
    assert seen == ['sub', 'sub']  # a non-local mount's hooks apply to the whole app
    seen.clear()
    assert (await client.get('/local/x')).text == 'x'
    assert seen == ['sub', 'local']
    assert (await client.get('/local/fail')).text == 'local 404'
    assert (await client.get('/missing')).status_code == 404


async def test_extensions_registry_on_app(app):
    ext = object()
    app.add_extension('thing', ext)
    assert app.extensions['thing'] is ext
    with pytest.raises(RuntimeError, match="'thing' is already initialised"):
        app.add_extension('thing', object())


async def test_cookies_jar():
    app = Microdot()

    @app.route('/set')
    async def set_cookie(req):
        res = Response('set')
        res.set_cookie('a', '1')
        res.set_cookie('b', '2', path='/sub')
        return res

    @app.route('/del')
    async def del_cookie(req):
        res = Response('deleted')
        res.delete_cookie('a')
        return res

    @app.route('/show')
    async def show(req):
        return req.cookies

    @app.route('/sub/show')
    async def sub_show(req):
        return req.cookies

    client = TestClient(app, cookies={'pre': 'x'})
    await client.get('/set')
    assert (await client.get('/show')).json == {'pre': 'x', 'a': '1'}
    assert (await client.get('/sub/show')).json == {'pre': 'x', 'a': '1', 'b': '2'}
    await client.get('/del')
    assert (await client.get('/show')).json == {'pre': 'x'}
