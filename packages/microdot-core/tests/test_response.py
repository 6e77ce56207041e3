import datetime
import os

import pytest

from microdot import Microdot, Response, redirect, send_file, send_from_directory
from microdot.test_client import TestClient


def test_set_cookie_attributes_in_order():
    res = Response()
    res.set_cookie('a', '1', path='/p', domain='d.example', expires='Wed, 21 Oct 2026 07:28:00 GMT',
                   max_age=0, secure=True, http_only=True, same_site='lax', partitioned=True)
    assert res.headers['Set-Cookie'] == [
        'a=1; Path=/p; Domain=d.example; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=0; '
        'Secure; HttpOnly; SameSite=Lax; Partitioned']
    res.set_cookie('b', '2', expires=datetime.datetime(2026, 1, 2, 3, 4, 5))
    assert res.headers['Set-Cookie'][1] == 'b=2; Expires=Fri, 02 Jan 2026 03:04:05 GMT'


@pytest.mark.parametrize('name,value,kwargs', [
    ('a', 'x;y', {}), ('a', 'x\r\nSet-Cookie: evil=1', {}), ('a', 'x', {'path': '/\n'}),
    ('a;b', 'x', {}), ('a', 'x', {'same_site': 'sometimes'})])
def test_set_cookie_refuses_injection(name, value, kwargs):
    with pytest.raises(ValueError):
        Response().set_cookie(name, value, **kwargs)


def test_delete_cookie():
    res = Response()
    res.delete_cookie('foo', path='/s', max_age=10)
    assert res.headers['Set-Cookie'] == [
        'foo=; Path=/s; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0']


def test_redirect():
    res = redirect('/there')
    assert res.status_code == 302 and res.headers['Location'] == '/there'
    assert redirect('/x', 301).status_code == 301
    with pytest.raises(ValueError):
        redirect('/x\r\nSet-Cookie: a=b')


def test_complete_defaults():
    res = Response('x')
    res.complete()
    assert res.headers['Content-Length'] == '1'
    assert res.headers['Content-Type'] == 'text/plain; charset=UTF-8'
    res = Response('x', headers={'Content-Type': 'text/csv'})
    res.complete()
    assert res.headers['Content-Type'] == 'text/csv'
    assert Response(None, 404).body is None


async def test_streaming_body_kinds():
    app = Microdot()

    class AsyncIter:
        def __init__(self):
            self.n = 0
            self.closed = False

        def __aiter__(self):
            return self

        async def __anext__(self):
            self.n += 1
            if self.n > 3:
                raise StopAsyncIteration
            return 'a%d' % self.n

        async def aclose(self):
            self.closed = True

    it = AsyncIter()

    @app.route('/async')
    async def async_body(req):
        return it

    @app.route('/gen')
    async def gen_body(req):
        return (str(i) for i in range(4))

    @app.route('/list-iter')
    async def list_iter(req):
        return iter([b'x', b'y'])

    client = TestClient(app)
    assert (await client.get('/async')).text == 'a1a2a3' and it.closed
    assert (await client.get('/gen')).text == '0123'
    assert (await client.get('/list-iter')).text == 'xy'


async def test_send_file(tmp_path):
    (tmp_path / 'a.html').write_text('<p>hi</p>')
    (tmp_path / 'b.css.gz').write_bytes(b'\x1f\x8b...')
    (tmp_path / 'noext').write_bytes(b'raw')
    app = Microdot()

    @app.route('/<name>')
    async def files(req, name):
        if name == 'gz':
            return send_file(str(tmp_path / 'b.css.gz'), compressed=True, max_age=60)
        return send_file(str(tmp_path / name))

    client = TestClient(app)
    res = await client.get('/a.html')
    assert res.text == '<p>hi</p>' and res.headers['Content-Type'] == 'text/html'
    assert res.headers['Content-Length'] == '9'
    res = await client.get('/gz')
    assert res.headers['Content-Type'] == 'text/css'
    assert res.headers['Content-Encoding'] == 'gzip' and res.headers['Cache-Control'] == 'max-age=60'
    assert (await client.get('/noext')).headers['Content-Type'] == 'application/octet-stream'


async def test_send_from_directory_refuses_escapes(tmp_path):
    root = tmp_path / 'static'
    (root / 'sub').mkdir(parents=True)
    (root / 'ok.txt').write_text('ok')
    (root / 'sub' / 'deep.txt').write_text('deep')
    (tmp_path / 'secret.txt').write_text('secret')
    os.symlink(str(tmp_path / 'secret.txt'), str(root / 'link.txt'))
    app = Microdot()

    @app.route('/static/<path:path>')
    async def static(req, path):
        return send_from_directory(str(root), path)

    client = TestClient(app)
    assert (await client.get('/static/ok.txt')).text == 'ok'
    assert (await client.get('/static/sub/deep.txt')).text == 'deep'
    for bad in ['../secret.txt', '%2e%2e/secret.txt', '%252e%252e/secret.txt', 'sub/../../secret.txt',
                '%2Fetc%2Fpasswd', 'sub\\..\\..\\secret.txt', 'ok.txt%00', 'link.txt', 'missing.txt',
                'sub', 'sub/', './ok.txt']:
        res = await client.get('/static/' + bad)
        assert res.status_code == 404, bad
        assert b'secret' not in (res.body or b'')
