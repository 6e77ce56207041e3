"""Authentication and login conformance, black-box over real sockets, on every runtime.
Routes: tests/apps/auth_routes.py."""
import base64

import httpx
import pytest

from conftest import require


@pytest.fixture(autouse=True)
def auth_routes(server):
    require(server, 'auth_routes')


def basic(user, password):
    return {'Authorization': 'Basic ' + base64.b64encode(
        '{}:{}'.format(user, password).encode()).decode()}


def test_basic(server):
    res = httpx.get(server.url + '/auth/basic', headers=basic('susan', 'hunter2'))
    assert (res.status_code, res.text) == (200, 'hello susan')
    for headers in ({}, basic('susan', 'x'), basic('x', 'hunter2'),
                    {'Authorization': 'Basic %%%'}, {'Authorization': 'Bearer tok-1'}):
        res = httpx.get(server.url + '/auth/basic', headers=headers)
        assert res.status_code == 401
        assert res.headers['WWW-Authenticate'] == 'Basic realm="Conformance", charset="UTF-8"'


def test_bearer_and_optional(server):
    res = httpx.get(server.url + '/auth/token', headers={'Authorization': 'Bearer tok-1'})
    assert res.text == 'token robot'
    res = httpx.get(server.url + '/auth/token', headers={'Authorization': 'Bearer no'})
    assert res.status_code == 401 and res.headers['WWW-Authenticate'] == 'Bearer'
    assert httpx.get(server.url + '/auth/optional').text == 'user None'
    assert httpx.get(server.url + '/auth/optional',
                     headers={'Authorization': 'Bearer tok-1'}).text == 'user robot'


def test_custom_header_and_error_handler(server):
    assert httpx.get(server.url + '/auth/key', headers={'X-API-Key': 'key-1'}).text == 'key-user'
    res = httpx.get(server.url + '/auth/key', headers={'X-API-Key': 'nope'})
    assert (res.status_code, res.json()) == (401, {'error': 'invalid API key'})


def login_available(server):
    with httpx.Client(base_url=server.url) as c:
        if c.post('/auth/login').status_code == 404:
            pytest.skip('microdot-session is not installed: no login routes')


def test_login_flow(server):
    login_available(server)
    with httpx.Client(base_url=server.url) as c:
        res = c.get('/auth/me?x=1')
        assert (res.status_code, res.headers['Location']) == \
            (302, '/auth/signin?next=/auth/me%3Fx%3D1')
        res = c.post('/auth/login?id=2&next=/auth/fresh')
        assert (res.status_code, res.headers['Location']) == (302, '/auth/fresh')
        assert c.get('/auth/me').text == 'david'
        assert c.get('/auth/fresh').text == 'fresh david'
        assert c.post('/auth/logout').text == 'bye'
        assert c.get('/auth/me').status_code == 302


@pytest.mark.parametrize('target', ['//evil.example', '/\\evil.example', 'https://evil.example'])
def test_login_next_cannot_leave_the_site(server, target):
    login_available(server)
    res = httpx.post(server.url + '/auth/login', params={'id': '1', 'next': target})
    assert res.headers['Location'] == '/auth/me'


def test_remember_me(server):
    login_available(server)
    with httpx.Client(base_url=server.url) as c:
        res = c.post('/auth/login?id=1&remember=3')
        cookie = [v for v in res.headers.get_list('set-cookie') if v.startswith('_remember=')]
        assert len(cookie) == 1
        attrs = [a.strip().lower() for a in cookie[0].split(';')]
        assert 'max-age=259200' in attrs and 'httponly' in attrs and 'path=/' in attrs
        token = c.cookies['_remember']
    with httpx.Client(base_url=server.url, cookies={'_remember': token}) as c:
        assert c.get('/auth/me').text == 'susan'
        assert c.get('/auth/fresh').status_code == 302  # restored logins are not fresh
