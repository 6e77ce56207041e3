"""Authentication and login routes of the conformance app (MicroPython-safe), on a sub-app
mounted with ``local=True`` under ``/auth`` with its own session (login needs microdot-session).

Basic: user ``susan``, password ``hunter2`` (a PBKDF2 hash, 200 iterations so that boards check it
quickly). Bearer token ``tok-1``; header ``X-API-Key: key-1``. Login: ``POST /auth/login?id=1``
(``&remember=N`` days, ``&next=...``), ``GET /auth/me``, ``GET /auth/fresh``, ``POST /auth/logout``."""
from microdot import Microdot
from microdot.auth import BasicAuth, TokenAuth, check_password, compare_digest, hash_password

SECRET = 'conformance-auth-secret-0123456789abcdef'


class User:
    def __init__(self, id, name):
        self.id = id
        self.name = name


def install(app):
    sub = Microdot()
    users = {1: User(1, 'susan'), 2: User(2, 'david')}
    passwords = {'susan': hash_password('hunter2', iterations=200)}
    basic = BasicAuth(realm='Conformance')
    bearer = TokenAuth()
    apikey = TokenAuth(header='X-API-Key')

    @basic.authenticate
    def check_basic(request, username, password):
        stored = passwords.get(username)
        if stored and check_password(password, stored):
            return username

    @bearer.authenticate
    def check_bearer(request, token):
        return 'robot' if compare_digest(token, 'tok-1') else None

    @apikey.authenticate
    def check_key(request, token):
        return 'key-user' if compare_digest(token, 'key-1') else None

    @apikey.errorhandler
    def key_error(request):
        return {'error': 'invalid API key'}, 401

    @sub.get('/basic')
    @basic
    def basic_route(request):
        return 'hello ' + request.g.current_user

    @sub.get('/token')
    @bearer
    def token_route(request):
        return 'token ' + request.g.current_user

    @sub.get('/optional')
    @bearer.optional
    def optional_route(request):
        return 'user ' + str(request.g.current_user)

    @sub.get('/key')
    @apikey
    def key_route(request):
        return request.g.current_user

    try:
        from microdot.session import Session
        from microdot.login import Login
    except ImportError:  # microdot-session not installed: no login routes
        Session = None
    if Session is not None:
        Session(sub, secret_key=SECRET)
        login = Login(login_url='/auth/signin', remember_days=2)

        @login.user_loader
        def load_user(user_id):
            return users.get(user_id)

        @sub.post('/login')
        async def do_login(request):
            user = users[int(request.args.get('id', '1'))]
            remember = int(request.args.get('remember', '0'))
            return await login.login_user(request, user, remember=remember or False,
                                          redirect_url='/auth/me')

        @sub.post('/logout')
        async def do_logout(request):
            await login.logout_user(request)
            return 'bye'

        @sub.get('/me')
        @login
        def me(request):
            return request.g.current_user.name

        @sub.get('/fresh')
        @login.fresh
        def fresh(request):
            return 'fresh ' + request.g.current_user.name

    app.mount(sub, url_prefix='/auth', local=True)
