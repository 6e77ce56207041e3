"""microdot.auth: Basic and token authentication on a real server (LiveServer, httpx), and the
password helpers."""
import base64
import hashlib

import httpx
import pytest

from microdot import Microdot
from microdot.auth import BasicAuth, TokenAuth, check_password, compare_digest, \
    hash_password, pbkdf2_sha256
from microdot.testing import LiveServer

USERS = {'susan': hash_password('hunter2', iterations=1000)}
TOKENS = {'tok-1': 'robot'}


def make_app():
    app = Microdot()
    basic = BasicAuth(realm='Staff')
    bearer = TokenAuth()
    apikey = TokenAuth(header='X-API-Key', error_status=403)

    @basic.authenticate
    def check_basic(request, username, password):
        if username in USERS and check_password(password, USERS[username]):
            return {'name': username}

    assert check_basic.__name__ == 'check_basic'  # 2.x returned None here

    @bearer.authenticate
    async def check_token(request, token):
        return TOKENS.get(token)

    @apikey.authenticate
    async def check_key(request, token):
        return 'key-user' if compare_digest(token, 'secret-key') else None

    @apikey.errorhandler
    async def key_error(request):
        return {'error': 'bad key'}, 403

    assert key_error.__name__ == 'key_error'

    @app.get('/basic')
    @basic
    async def basic_route(request):
        return 'hello ' + request.g.current_user['name']

    @app.get('/basic-sync/<int:n>')
    @basic
    def basic_sync(request, n):
        return 'sync {} {}'.format(request.g.current_user['name'], n)

    @app.get('/token')
    @bearer
    async def token_route(request):
        return 'token ' + request.g.current_user

    @app.get('/maybe')
    @bearer.optional
    async def maybe(request):
        return repr(request.g.current_user)

    @app.get('/key')
    @apikey
    async def key_route(request):
        return request.g.current_user

    return app


@pytest.fixture(scope='module')
def server():
    with LiveServer(make_app()) as srv:
        yield srv


def basic_header(user, password):
    return 'Basic ' + base64.b64encode('{}:{}'.format(user, password).encode()).decode()


def test_basic_auth(server):
    res = httpx.get(server.url + '/basic', auth=('susan', 'hunter2'))
    assert (res.status_code, res.text) == (200, 'hello susan')
    res = httpx.get(server.url + '/basic-sync/7', auth=('susan', 'hunter2'))
    assert res.text == 'sync susan 7'
    for headers in ({}, {'Authorization': basic_header('susan', 'wrong')},
                    {'Authorization': basic_header('nobody', 'hunter2')},
                    {'Authorization': 'Basic !!!notbase64'},
                    {'Authorization': 'Basic ' + base64.b64encode(b'nocolon').decode()},
                    {'Authorization': 'Basic ' + base64.b64encode(b'\xff:\xfe').decode()},
                    {'Authorization': 'Bearer tok-1'}):
        res = httpx.get(server.url + '/basic', headers=headers)
        assert res.status_code == 401, headers
        assert res.headers['WWW-Authenticate'] == 'Basic realm="Staff", charset="UTF-8"'


def test_basic_scheme_case_insensitive(server):
    res = httpx.get(server.url + '/basic',
                    headers={'Authorization': basic_header('susan', 'hunter2')
                             .replace('Basic', 'bAsIc')})
    assert res.status_code == 200


def test_bearer_token(server):
    res = httpx.get(server.url + '/token', headers={'Authorization': 'Bearer tok-1'})
    assert res.text == 'token robot'
    res = httpx.get(server.url + '/token', headers={'Authorization': 'bearer   tok-1'})
    assert res.text == 'token robot'
    for value in ('Bearer nope', 'Bearer', 'Basic tok-1', 'tok-1'):
        res = httpx.get(server.url + '/token', headers={'Authorization': value})
        assert res.status_code == 401
        assert res.headers['WWW-Authenticate'] == 'Bearer'
    assert httpx.get(server.url + '/token').status_code == 401


def test_optional(server):
    assert httpx.get(server.url + '/maybe').text == 'None'
    assert httpx.get(server.url + '/maybe',
                     headers={'Authorization': 'Bearer tok-1'}).text == "'robot'"
    assert httpx.get(server.url + '/maybe',
                     headers={'Authorization': 'Bearer wrong'}).text == 'None'


def test_custom_header_and_error_handler(server):
    res = httpx.get(server.url + '/key', headers={'X-API-Key': 'secret-key'})
    assert res.text == 'key-user'
    res = httpx.get(server.url + '/key', headers={'x-api-key': 'wrong'})
    assert (res.status_code, res.json()) == (403, {'error': 'bad key'})
    assert httpx.get(server.url + '/key').status_code == 403


def test_basic_auth_rejects_header_injection():
    with pytest.raises(ValueError):
        BasicAuth(realm='a"b')


def test_pbkdf2_known_vector():
    # RFC 7914 section 11 test vector for PBKDF2-HMAC-SHA256
    out = pbkdf2_sha256(b'passwd', b'salt', 1, 64)
    assert out.hex().startswith('55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc')
    assert pbkdf2_sha256(b'Password', b'NaCl', 80000, 32) == \
        hashlib.pbkdf2_hmac('sha256', b'Password', b'NaCl', 80000, 32)


def test_pure_python_pbkdf2_matches_hashlib(monkeypatch):
    import microdot.auth as auth
    want = hashlib.pbkdf2_hmac('sha256', b'x' * 70, b'salty', 50, 40)
    monkeypatch.delattr(auth.hashlib, 'pbkdf2_hmac')  # the MicroPython path
    assert auth.pbkdf2_sha256(b'x' * 70, b'salty', 50, 40) == want


def test_hash_and_check_password():
    h = hash_password('s3cret', iterations=2000)
    assert h.startswith('pbkdf2_sha256$2000$')
    assert h != hash_password('s3cret', iterations=2000)  # salted
    assert check_password('s3cret', h)
    assert not check_password('s3cret!', h)
    assert not check_password('s3cret', 'garbage')
    assert not check_password('s3cret', 'md5$1$aa$bb')
    assert not check_password('s3cret', None)
    assert compare_digest('abc', 'abc') and not compare_digest('abc', 'abd')
    assert not compare_digest(b'abc', b'abcd')
