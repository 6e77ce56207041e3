"""User logins for microdot, kept in the signed session cookie (needs ``microdot.session``).

Public: ``Login`` (entry point ``login``).

    Session(app, secret_key=SECRET)
    login = Login(login_url='/login')

    @login.user_loader
    async def load_user(user_id):
        return USERS.get(user_id)             # None: nobody

    @app.post('/login')
    async def do_login(request):
        user = ...                            # check the password with auth.check_password()
        return await login.login_user(request, user, remember=True)   # 302 to ?next= or '/'

    @app.get('/account')
    @login                                    # 302 to /login?next=/account when logged out
    async def account(request):
        return 'Hi ' + request.g.current_user.name

``@login.fresh`` also needs a login typed in this browser session (not one restored from the
remember-me cookie). Differences from Microdot 2.x: every decorator returns the function it
decorates; the remember-me cookie lives as many days as asked (2.x always used 30), is
``HttpOnly``, ``Path=/``, ``SameSite=Lax`` and ``Secure`` over HTTPS; ``next`` must be a path on
this site (``//evil.example``, ``/\\evil.example`` and absolute URLs fall back to the default).

MicroPython-safe: no typing, no f-strings.
"""
import time

from microdot.helpers import wraps
from microdot.microdot import iscoroutine, invoke_handler, redirect, urlencode

__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1

DEFAULT_REMEMBER_DAYS = 30


def _session_extension(request):
    """The Session serving ``request``: a mounted sub-app's own, else the app's."""
    subapp = getattr(request, 'subapp', None)
    if subapp is not None and 'session' in subapp.extensions:
        return subapp.extensions['session']
    session = request.app.extensions.get('session')
    if session is None:
        raise RuntimeError('microdot.login needs the session extension on this app: '
                           'pip install microdot-session, then Session(app, secret_key=...)')
    return session


async def _maybe_await(value):
    if iscoroutine(value):
        value = await value
    return value


def safe_next_url(url, default='/'):
    """``url`` when it is a path on this site (``/x?y``), else ``default``: no scheme, no host,
    no ``//host`` or ``/\\host`` (browsers read both as another site), no control characters."""
    if not url or not isinstance(url, str) or url[0] != '/':
        return default
    if len(url) > 1 and url[1] in '/\\':
        return default
    for c in url:
        if ord(c) < 32 or ord(c) == 127:
            return default
    return url


class Login:
    """Logins for the apps that use it; one object may serve several apps.

    ``login_url``: where ``@login`` sends a logged-out user (with ``?next=<the page>``).
    ``remember_days``: lifetime of the remember-me cookie when ``remember=True``.
    ``cookie_name``: the remember-me cookie's name (``_remember`` as in 2.x).
    ``Login(app, ...)`` also records it in ``app.extensions['login']``; ``Login('/login')`` (the
    2.x form) works too.
    """

    name = 'login'

    def __init__(self, app=None, login_url='/login', remember_days=DEFAULT_REMEMBER_DAYS,
                 cookie_name='_remember'):
        if isinstance(app, str):  # Microdot 2.x: Login('/login')
            app, login_url = None, app
        self.login_url = login_url
        self.remember_days = remember_days
        self.cookie_name = cookie_name
        self.user_loader_callback = None
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        app.add_extension(self.name, self)
        return self

    def user_loader(self, f):
        """Register ``f(user_id)`` (sync or async): the user with that id, or ``None``.
        Returns ``f``."""
        self.user_loader_callback = f
        return f

    # -- logging in and out --

    async def login_user(self, request, user, remember=False, redirect_url='/'):
        """Log ``user`` in (``user.id`` is stored in the session) and return a ``302`` to the
        ``next`` query argument when it is a path on this site, else to ``redirect_url``.
        ``remember``: ``True`` (``remember_days``) or a number of days for the remember-me
        cookie."""
        session = await self._session(request)
        session['_user_id'] = user.id
        session['_fresh'] = True
        session.save()
        request.g.current_user = user
        if remember:
            days = self.remember_days if remember is True else remember
            self._set_remember_cookie(request, user.id, days)
        return redirect(safe_next_url(request.args.get('next'), redirect_url))

    async def logout_user(self, request):
        """Log the current user out of the session and forget the remember-me cookie."""
        session = await self._session(request)
        session.pop('_user_id', None)
        session.pop('_fresh', None)
        session.save()
        request.g.current_user = None
        if self.cookie_name in request.cookies:
            name = self.cookie_name
            secure = request.scheme == 'https'

            def forget(request, response):
                response.delete_cookie(name, path='/', http_only=True, secure=secure)
            request.after_request(forget)

    async def get_current_user(self, request):
        """The logged-in user (cached on ``request.g.current_user``), or ``None``."""
        if getattr(request.g, 'current_user', None) is not None:
            return request.g.current_user
        session = await self._session(request)
        user_id = session.get('_user_id')
        if user_id is None:
            remembered = self._remembered(request)
            if remembered is not None:
                user_id, days = remembered
                session['_user_id'] = user_id
                session['_fresh'] = False
                session.save()
                # renewed for as many days as the user asked for (2.x always used 30)
                self._set_remember_cookie(request, user_id, days)
        user = None
        if user_id is not None and self.user_loader_callback is not None:
            user = await invoke_handler(self.user_loader_callback, user_id)
        request.g.current_user = user
        return user

    # -- decorators --

    def __call__(self, f):
        """Decorator: the route runs for a logged-in user; others are sent to ``login_url``."""
        return self._required(f, fresh=False)

    def fresh(self, f):
        """Decorator: as ``@login``, and the login must not come from the remember-me cookie."""
        return self._required(f, fresh=True)

    def _required(self, f, fresh):
        login = self

        @wraps(f)
        async def wrapper(request, *args, **kwargs):
            user = await login.get_current_user(request)
            if user is None:
                return login._to_login(request)
            if fresh:
                session = await login._session(request)
                if not session.get('_fresh'):
                    return login._to_login(request)
            return await invoke_handler(f, request, *args, **kwargs)

        return wrapper

    def _to_login(self, request):
        return '', 302, {'Location': self.login_url + '?next=' + urlencode(request.url)}

    # -- the session and the remember-me cookie --

    async def _session(self, request):
        return await _maybe_await(_session_extension(request).get(request))

    def _set_remember_cookie(self, request, user_id, days):
        seconds = int(days * 86400)
        token = _session_extension(request).encode(
            {'user_id': user_id, 'days': days, 'exp': int(time.time()) + seconds})
        if not isinstance(token, str):
            token = token.decode()
        name = self.cookie_name
        secure = request.scheme == 'https'

        def set_cookie(request, response):
            response.set_cookie(name, token, path='/', max_age=seconds, http_only=True,
                                secure=secure, same_site='Lax')
        request.after_request(set_cookie)

    def _remembered(self, request):
        """``(user_id, days)`` from a valid, unexpired remember-me cookie, or None."""
        token = request.cookies.get(self.cookie_name)
        if not token:
            return None
        try:
            payload = _session_extension(request).decode(token)
        except Exception:  # a forged or damaged cookie is simply not a login
            return None
        if not isinstance(payload, dict) or payload.get('user_id') is None:
            return None
        try:
            days = payload.get('days', self.remember_days)
            if int(payload.get('exp', 0)) < time.time() or not 0 < float(days) <= 3650:
                return None
        except (TypeError, ValueError):
            return None
        return payload['user_id'], days
