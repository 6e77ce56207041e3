"""microdot.login with the real session extension, on a real server with a cookie-keeping client."""
import time

import httpx
import pytest

from microdot import Microdot
from microdot.login import Login, safe_next_url
from microdot.testing import LiveServer

session_module = pytest.importorskip(
    'microdot.session', reason='microdot.login needs microdot-session (tox installs it)')
Session = session_module.Session

SECRET = 'k' * 40


class User:
    def __init__(self, id, name):
        self.id = id
        self.name = name


USERS = {1: User(1, 'susan'), 2: User(2, 'david')}


def make_app(login):
    app = Microdot()
    Session(app, secret_key=SECRET)

    @login.user_loader
    def load_user(user_id):
        return USERS.get(user_id)

    assert load_user.__name__ == 'load_user'  # 2.x returned None

    @app.post('/login')
    async def do_login(request):
        user = USERS[int(request.args.get('id', '1'))]
        remember = request.args.get('remember')
        if remember is not None:
            remember = True if remember == 'yes' else int(remember)
        return await login.login_user(request, user, remember=remember or False,
                                      redirect_url='/home')

    @app.post('/logout')
    async def do_logout(request):
        await login.logout_user(request)
        return 'bye'

    @app.get('/me')
    @login
    async def me(request):
        return request.g.current_user.name

    @app.get('/settings')
    @login.fresh
    async def settings(request):
        return 'settings of ' + request.g.current_user.name

    @app.get('/who')
    async def who(request):
        user = await login.get_current_user(request)
        return user.name if user else 'anonymous'

    return app


@pytest.fixture(scope='module')
def server():
    with LiveServer(make_app(Login(login_url='/signin', remember_days=2))) as srv:
        yield srv


def client(server):
    return httpx.Client(base_url=server.url, follow_redirects=False)


def test_login_required_redirects_with_next(server):
    with client(server) as c:
        res = c.get('/me?a=b')
        assert res.status_code == 302
        assert res.headers['Location'] == '/signin?next=/me%3Fa%3Db'


def test_login_logout_flow(server):
    with client(server) as c:
        res = c.post('/login?id=2')
        assert (res.status_code, res.headers['Location']) == (302, '/home')
        assert '_remember' not in c.cookies
        assert c.get('/me').text == 'david'
        assert c.get('/settings').text == 'settings of david'
        assert c.post('/logout').text == 'bye'
        assert c.get('/me').status_code == 302
        assert c.get('/who').text == 'anonymous'


@pytest.mark.parametrize('target, expected', [
    ('/account', '/account'),
    ('/a?b=c', '/a?b=c'),
    ('//evil.example/x', '/home'),
    ('/\\evil.example', '/home'),
    ('https://evil.example/', '/home'),
    ('javascript:alert(1)', '/home'),
    ('/x\r\nSet-Cookie:a=b', '/home'),
])
def test_next_is_only_a_local_path(server, target, expected):
    with client(server) as c:
        res = c.post('/login', params={'next': target})
        assert res.headers['Location'] == expected


def test_safe_next_url():
    assert safe_next_url(None) == '/'
    assert safe_next_url('') == '/'
    assert safe_next_url('/ok', '/d') == '/ok'
    assert safe_next_url('\t/x') == '/'


def remember_cookie(res):
    for value in res.headers.get_list('set-cookie'):
        if value.startswith('_remember='):
            return value
    return None


def test_remember_me_cookie_flags_and_lifetime(server):
    with client(server) as c:
        res = c.post('/login?remember=yes')
        cookie = remember_cookie(res)
        assert cookie is not None
        attrs = [a.strip().lower() for a in cookie.split(';')]
        assert 'max-age=172800' in attrs  # remember_days=2, not 30
        assert 'path=/' in attrs and 'httponly' in attrs and 'samesite=lax' in attrs
        res = c.post('/login?remember=5')
        assert 'Max-Age=432000' in remember_cookie(res)


def test_remember_me_restores_a_non_fresh_login(server):
    with client(server) as c:
        c.post('/login?id=1&remember=3')
        token = c.cookies['_remember']
    with client(server) as c:  # a new browser session: only the remember-me cookie is kept
        c.cookies.set('_remember', token)
        res = c.get('/me')
        assert res.text == 'susan'
        # the restored login is renewed for the days the user asked for (2.x: always 30)
        assert 'Max-Age=259200' in remember_cookie(res)
        # not fresh: the sensitive page asks for the password again
        res = c.get('/settings')
        assert res.status_code == 302 and res.headers['Location'].startswith('/signin?next=')
        c.post('/login?id=1')
        assert c.get('/settings').text == 'settings of susan'
        # logout forgets the remember-me cookie
        res = c.post('/logout')
        deleted = remember_cookie(res)
        assert deleted is not None and 'max-age=0' in deleted.lower()


def test_forged_or_expired_remember_cookie_is_ignored(server):
    ext = Session(secret_key=SECRET)
    expired = ext.encode({'user_id': 1, 'days': 1, 'exp': int(time.time()) - 10})
    forged = Session(secret_key='x' * 40).encode({'user_id': 1, 'days': 1,
                                                  'exp': int(time.time()) + 100})
    for token in (expired, forged, 'garbage'):
        with client(server) as c:
            c.cookies.set('_remember', token)
            assert c.get('/who').text == 'anonymous'


def test_login_needs_the_session_extension():
    app = Microdot()
    login = Login()

    @app.get('/')
    @login
    async def index(request):
        return 'x'

    with LiveServer(app) as srv:
        res = httpx.get(srv.url + '/')
        assert res.status_code == 500


def test_two_x_positional_login_url_and_extension():
    assert Login('/in').login_url == '/in'
    app = Microdot()
    ext = Login(app, login_url='/x')
    assert app.extensions['login'] is ext
