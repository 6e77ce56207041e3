"""Options, defaults, errors, per-app state, sub-apps and error responses (in process)."""
import jwt
import pytest

from microdot import Microdot, abort
from microdot.session import Session, SessionTooLargeError, with_session
from microdot.test_client import TestClient

KEY = 'unit-test-session-key-0123456789abcdef'


def make_app(**options):
    app = Microdot()
    session_ext = Session(app, **options)

    @app.get('/set')
    @with_session
    def set_(request, session):  # a sync handler, as 2.x allows
        for name in request.args:
            session[name] = request.args[name]
        session.save()
        return 'saved'

    @app.get('/get')
    @with_session
    async def get(request, session):
        return {'session': dict(session.items())}

    @app.get('/save-then-abort')
    @with_session
    async def save_then_abort(request, session):
        session['a'] = 'b'
        session.save()
        abort(409)

    @app.get('/big')
    @with_session
    async def big(request, session):
        session['big'] = 'x' * int(request.args['n'])
        session.save()
        return 'saved'

    return app, session_ext


def cookie_of(res):
    cookies = res.headers.get('Set-Cookie') or []
    assert len(cookies) == 1, cookies
    return cookies[0]


def attributes(cookie):
    return [part.strip() for part in cookie.split(';')[1:]]


async def test_defaults_over_http_and_https():
    app, _ = make_app(secret_key=KEY)
    res = await TestClient(app).get('/set?a=1')
    assert attributes(cookie_of(res)) == ['Path=/', 'HttpOnly', 'SameSite=Lax']
    res = await TestClient(app, scheme='https').get('/set?a=1')
    assert attributes(cookie_of(res)) == ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax']


async def test_every_option_is_configurable():
    options = {'path': '/app', 'domain': 'example.com', 'max_age': 60, 'secure': True,
               'http_only': False, 'same_site': 'None', 'partitioned': True,
               'expires': 'Wed, 21 Oct 2037 07:28:00 GMT'}
    app, _ = make_app(secret_key=KEY, cookie_options=options)
    res = await TestClient(app).get('/set?a=1')
    assert attributes(cookie_of(res)) == [
        'Path=/app', 'Domain=example.com', 'Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'Max-Age=60',
        'Secure', 'SameSite=None', 'Partitioned']
    assert options['path'] == '/app' and len(options) == 8   # the caller's dict is untouched


async def test_secure_false_is_respected_on_https():
    app, _ = make_app(secret_key=KEY, cookie_options={'secure': False, 'same_site': 'strict'})
    res = await TestClient(app, scheme='https').get('/set?a=1')
    assert attributes(cookie_of(res)) == ['Path=/', 'HttpOnly', 'SameSite=Strict']


def test_bad_options_are_refused_when_configured():
    with pytest.raises(ValueError, match='unknown session cookie option'):
        Session(secret_key=KEY, cookie_options={'httponly': True})
    with pytest.raises(ValueError, match='same_site'):
        Session(secret_key=KEY, cookie_options={'same_site': 'sometimes'})
    with pytest.raises(ValueError, match='lifetime'):
        Session(secret_key=KEY, lifetime=0)


async def test_missing_key_is_a_clear_error(capsys):
    app, ext = make_app()
    res = await TestClient(app).get('/get')
    assert res.status_code == 500
    assert 'The session secret key is not configured' in capsys.readouterr().err
    with pytest.raises(ValueError, match='secret key is not configured'):
        ext.encode({'a': 1})


async def test_short_key_is_logged_once_and_works(capsys):
    app, _ = make_app(secret_key='top-secret')
    client = TestClient(app)
    for _ in range(3):
        assert (await client.get('/set?a=1')).status_code == 200
    assert (await client.get('/get')).json == {'session': {'a': '1'}}
    err = capsys.readouterr().err
    assert err.count('a secret key of 10 bytes is short for HS256') == 1


async def test_lifetime_sets_and_requires_exp():
    app, ext = make_app(secret_key=KEY, lifetime=120)
    client = TestClient(app)
    res = await client.get('/set?a=1')
    payload = jwt.decode(cookie_of(res).split(';')[0][8:], KEY, algorithms=['HS256'])
    assert set(payload) == {'a', 'exp'}
    assert (await client.get('/get')).json == {'session': {'a': '1'}}   # exp is not shown
    no_exp = jwt.encode({'a': '1'}, KEY, algorithm='HS256')
    res = await TestClient(app, cookies={'session': no_exp}).get('/get')
    assert res.json == {'session': {}}


async def test_too_large_is_an_error_at_save_time():
    app, ext = make_app(secret_key=KEY)
    assert (await TestClient(app).get('/big?n=2500')).status_code == 200
    res = await TestClient(app).get('/big?n=5000')
    assert res.status_code == 500
    assert res.headers.get('Set-Cookie') is None
    with pytest.raises(SessionTooLargeError, match='too large for a cookie'):
        ext.update(None, {'big': 'x' * 5000})
    small = Session(secret_key=KEY, max_cookie_size=100)
    with pytest.raises(SessionTooLargeError):
        small.update(None, {'a': 'x' * 60})


async def test_saved_cookie_goes_out_with_an_error_response_once():
    app, _ = make_app(secret_key=KEY)
    parent = Microdot()
    Session(parent, secret_key='another-key-for-the-parent-app-0123456789')
    parent.mount(app, url_prefix='/sub', local=True)
    res = await TestClient(parent).get('/sub/save-then-abort')
    assert res.status_code == 409
    token = cookie_of(res).split(';')[0][8:]   # one Set-Cookie, though both apps have hooks
    assert jwt.decode(token, KEY, algorithms=['HS256']) == {'a': 'b'}  # the sub-app's key


async def test_sub_app_without_a_session_uses_the_parent_apps():
    sub = Microdot()

    @sub.get('/get')
    @with_session
    async def get(request, session):
        return {'session': dict(session.items())}

    parent = Microdot()
    Session(parent, secret_key=KEY)
    parent.mount(sub, url_prefix='/sub', local=True)
    token = jwt.encode({'a': 1}, KEY, algorithm='HS256')
    res = await TestClient(parent, cookies={'session': token}).get('/sub/get')
    assert res.json == {'session': {'a': 1}}


def test_state_is_per_app_and_double_initialisation_is_refused():
    ext = Session(secret_key=KEY)
    one, two = Microdot(), Microdot()
    ext.initialize(one)
    ext.initialize(two)
    assert one.extensions['session'] is ext and two.extensions['session'] is ext
    with pytest.raises(RuntimeError, match='already initialised'):
        Session(one, secret_key=KEY)


async def test_initialize_later_with_the_key_and_2x_style_use():
    app = Microdot()
    ext = Session()
    ext.initialize(app, secret_key=KEY)

    @app.get('/')
    @with_session
    def index(request, session):
        session['n'] = session.get('n', 0) + 1
        session.save()
        return str(session['n'])

    client = TestClient(app)
    assert [(await client.get('/')).text for _ in range(3)] == ['1', '2', '3']
    assert index.__name__ == 'index'


async def test_without_the_extension_with_session_says_so(capsys):
    app = Microdot()

    @app.get('/')
    @with_session
    async def index(request, session):
        return 'never'

    res = await TestClient(app).get('/')
    assert res.status_code == 500
    assert 'the session extension is not initialised on this app' in capsys.readouterr().err


async def test_delete_clears_the_session_and_expires_the_cookie():
    app = Microdot()
    Session(app, secret_key=KEY)

    @app.get('/')
    @with_session
    async def index(request, session):
        session.delete()
        return {'after': dict(session.items())}

    token = jwt.encode({'a': 1}, KEY, algorithm='HS256')
    res = await TestClient(app, cookies={'session': token}).get('/')
    assert res.json == {'after': {}}
    assert cookie_of(res).startswith('session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:01 GMT')


def test_registry_finds_the_extension():
    from microdot import registry
    info = registry.find_extension('session')
    assert info.distribution == 'microdot-session' and info.compatible, info.reason
    assert registry.load_extension('session') is Session
