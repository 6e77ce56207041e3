"""The microdot showcase: one small app that uses every first-party extension together.

* log in and out (microdot.login: the user kept in a microdot.session signed cookie; the
  chat page is login-required),
* forms and API calls that other sites cannot forge (microdot.csrf, which trusts the origins
  that CORS allows),
* pages rendered from Jinja templates (microdot.jinja),
* a chat between browser tabs over a WebSocket (microdot.websocket),
* a live feed of server stats over Server-Sent Events (microdot.sse),
* a JSON API that pages on other origins may call with cookies (microdot.cors).

Run it on the built-in server (from the repository root):

    python3 examples/showcase/app.py [--port 5000] [--allowed-origin URL ...]

or under uvicorn / gunicorn (one worker: the chat room lives in the process):

    uvicorn --app-dir examples/showcase asgi_app:app --port 5000
    gunicorn --chdir examples/showcase -k gthread --threads 32 -b 127.0.0.1:5000 wsgi_app:app

Settings from the environment: SHOWCASE_SECRET_KEY signs the session cookies (a random key per
start by default, so sessions end when the server restarts), SHOWCASE_ALLOWED_ORIGINS is a
comma-separated list of origins the API answers with CORS headers (default: the client page of
client.py, http://127.0.0.1:5001 and http://localhost:5001). ``--allowed-origin`` overrides it.
"""
import asyncio
import binascii
import json
import os
import sys
import time

from microdot import Microdot, redirect, send_file
from microdot.cors import CORS
from microdot.csrf import CSRF
from microdot.jinja import Template
from microdot.login import Login
from microdot.session import Session
from microdot.sse import with_sse
from microdot.websocket import ConnectionClosed, with_websocket

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ALLOWED_ORIGINS = ['http://127.0.0.1:5001', 'http://localhost:5001']
MAX_NAME = 32      # characters in a user name
MAX_MESSAGE = 500  # characters in a chat message
HISTORY = 20       # messages a new chat client receives on arrival


class ChatRoom:
    """The chat of this process: each connected client has a queue of messages to send.

    One room per process. Under several worker processes each worker would have its own room;
    a shared room needs a broker (Redis pub/sub, say), which is out of this example's scope."""

    def __init__(self, history=HISTORY, max_queue=100):
        self.clients = set()
        self.history = []
        self.history_size = history
        self.max_queue = max_queue
        self.count = 0

    def join(self):
        queue = asyncio.Queue(self.max_queue)
        for message in self.history:
            queue.put_nowait(message)
        self.clients.add(queue)
        return queue

    def leave(self, queue):
        self.clients.discard(queue)

    def post(self, user, text):
        self.count += 1
        message = json.dumps({'user': user, 'text': text, 'time': time.time()})
        self.history = (self.history + [message])[-self.history_size:]
        for queue in list(self.clients):
            if queue.full():
                continue  # a client that does not read loses messages, it does not stall others
            queue.put_nowait(message)


def allowed_origins_from_env():
    value = os.environ.get('SHOWCASE_ALLOWED_ORIGINS')
    if value is None:
        return list(DEFAULT_ALLOWED_ORIGINS)
    return [origin.strip() for origin in value.split(',') if origin.strip()]


class User:
    """Whoever logged in: any name will do (microdot.login stores ``id`` in the session)."""

    def __init__(self, name):
        self.id = name
        self.name = name


def html(text):
    return text, {'Content-Type': 'text/html; charset=UTF-8'}


def create_app(app=None, allowed_origins=None, secret_key=None):
    """Build the showcase on ``app`` (a new ``Microdot`` by default; pass a ``microdot.asgi`` or
    ``microdot.wsgi`` one to serve it another way)."""
    app = app or Microdot()
    if allowed_origins is None:
        allowed_origins = allowed_origins_from_env()
    secret_key = secret_key or os.environ.get('SHOWCASE_SECRET_KEY') or \
        binascii.hexlify(os.urandom(32)).decode()
    Session(app, secret_key=secret_key)
    cors = CORS(app, allowed_origins=allowed_origins, allow_credentials=True,
                allowed_methods=['GET', 'POST'], allowed_headers=['Content-Type'])
    # every POST (log in, log out, the API) from a browser on another origin is refused with 403,
    # unless CORS allows that origin: one list of trusted origins for both
    CSRF(app, cors=cors)
    login = Login(app, login_url='/login')

    @login.user_loader
    def load_user(user_id):
        return User(user_id)
    Template.initialize(os.path.join(HERE, 'templates'))
    room = ChatRoom()
    started = time.time()

    def stats():
        return {'online': len(room.clients), 'messages': room.count,
                'uptime': round(time.time() - started, 1)}

    # -- pages ---------------------------------------------------------------------------------
    @app.get('/')
    @login  # login required: others go to /login?next=/
    async def index(request):
        return html(Template('index.html').render(user=request.g.current_user.name,
                                                  origins=allowed_origins))

    @app.route('/login', methods=['GET', 'POST'])
    async def log_in(request):
        error = None
        if request.method == 'POST':
            name = (request.form.get('username') or '').strip() if request.form else ''
            if not name or len(name) > MAX_NAME:
                error = 'Type a name of 1 to {} characters.'.format(MAX_NAME)
            else:
                return await login.login_user(request, User(name))  # 302 to ?next= or /
        return html(Template('login.html').render(error=error))

    @app.post('/logout')
    async def log_out(request):
        await login.logout_user(request)
        return redirect('/login')

    @app.get('/static/<name>')
    async def static(request, name):
        if name not in ('showcase.js', 'style.css'):
            return 'Not found', 404
        return send_file(os.path.join(HERE, 'static', name), max_age=60)

    # -- chat over a WebSocket -------------------------------------------------------------------
    @app.route('/chat')
    @with_websocket
    async def chat(request, ws):
        current = await login.get_current_user(request)
        if current is None:
            await ws.close(1008, 'log in first')  # policy violation: no session
            return
        user = current.name
        queue = room.join()

        async def forward():
            try:
                while True:
                    await ws.send(await queue.get())
            except (ConnectionClosed, OSError):
                pass  # the receiving loop below sees the close too and cleans up

        sender = asyncio.ensure_future(forward())
        room.post('*', user + ' joined')
        try:
            while True:
                text = await ws.receive()
                if isinstance(text, bytes):
                    continue  # the page sends text only
                text = text.strip()[:MAX_MESSAGE]
                if text:
                    room.post(user, text)
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            room.leave(queue)
            room.post('*', user + ' left')

    # -- live feed over SSE -----------------------------------------------------------------------
    @app.route('/feed')
    @with_sse
    async def feed(request, sse):
        tick = 0
        while True:
            tick += 1
            data = stats()
            data['tick'] = tick
            await sse.send(data, event='stats', event_id=str(tick))
            await asyncio.sleep(1)

    # -- JSON API, callable cross-origin --------------------------------------------------------
    @app.get('/api/status')
    async def api_status(request):
        data = stats()
        user = await login.get_current_user(request)
        data['user'] = user.name if user else None
        return data

    @app.post('/api/messages')
    async def api_post_message(request):
        current = await login.get_current_user(request)
        if current is None:
            return {'error': 'log in first'}, 401
        user = current.name
        body = request.json if isinstance(request.json, dict) else {}
        text = body.get('text')
        if not isinstance(text, str) or not text.strip():
            return {'error': 'send {"text": "..."}'}, 400
        room.post(user, text.strip()[:MAX_MESSAGE])
        return {'posted': True}, 201

    return app


def parse_args(argv):
    port, origins = 5000, None
    i = 0
    while i < len(argv):
        if argv[i] == '--port' and i + 1 < len(argv):
            port = int(argv[i + 1])
        elif argv[i] == '--allowed-origin' and i + 1 < len(argv):
            origins = (origins or []) + [argv[i + 1]]
        else:
            raise SystemExit('usage: app.py [--port N] [--allowed-origin URL ...]')
        i += 2
    return port, origins


if __name__ == '__main__':
    port, origins = parse_args(sys.argv[1:])
    app = create_app(allowed_origins=origins)
    print('microdot showcase: http://127.0.0.1:{}/ (Ctrl+C to stop)'.format(port), flush=True)
    app.run(host='127.0.0.1', port=port)
