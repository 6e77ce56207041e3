"""The seed's example, exactly as the docs show it, on the built-in server with a real client and
its cookie jar."""
import httpx

from microdot import Microdot, redirect
from microdot.session import Session, with_session
from microdot.testing import LiveServer


def make_app():
    app = Microdot()
    Session(app, secret_key='top-secret')

    @app.route('/', methods=['GET', 'POST'])
    @with_session
    async def index(req, session):
        username = session.get('username')
        if req.method == 'POST':
            username = req.form.get('username')
            session['username'] = username
            session.save()
            return redirect('/')
        if username is None:
            return 'Not logged in'
        else:
            return 'Logged in as ' + username

    @app.post('/logout')
    @with_session
    async def logout(req, session):
        session.delete()
        return redirect('/')

    return app


def test_login_then_logout_with_a_cookie_jar():
    with LiveServer(make_app()) as server, \
            httpx.Client(base_url=server.url, follow_redirects=True) as client:
        assert client.get('/').text == 'Not logged in'
        res = client.post('/', data={'username': 'susan'})
        assert [r.status_code for r in res.history] == [302]
        assert res.text == 'Logged in as susan'
        assert client.cookies['session'].count('.') == 2  # a JWT
        assert client.get('/').text == 'Logged in as susan'
        assert client.post('/logout').text == 'Not logged in'
        assert 'session' not in client.cookies
        assert client.get('/').text == 'Not logged in'


def test_a_second_client_is_not_logged_in():
    with LiveServer(make_app()) as server:
        with httpx.Client(base_url=server.url, follow_redirects=True) as alice:
            alice.post('/', data={'username': 'alice'})
            assert alice.get('/').text == 'Logged in as alice'
        assert httpx.get(server.url + '/').text == 'Not logged in'
