"""Session routes of the conformance app (MicroPython-safe).

Each configuration is a sub-app with its own ``Session``, mounted with ``local=True`` under
``/session/...`` (so the sessions are also exercised inside mounted sub-apps, and the other route
modules keep their own session, if any). The keys are test constants: the tests forge tokens with
them.

* ``/session/...``: the seed's example (``/session/``, ``/session/logout``), plus ``get``, ``set``
  (query args into the session), ``sync`` (a sync handler), ``big`` (``?n=`` bytes, too large for a
  cookie), ``fail/abort``, ``fail/raise`` and ``fail/delete-then-abort`` (the cookie also goes
  out on error responses);
  keys ``[KEY, OLD_KEY]`` (rotation: the first signs, both verify);
Handlers copy the session with ``dict(session.items())``: MicroPython's ``dict()`` cannot copy a
dict subclass.

* ``/session/lifetime/rw``: read (and write the query args) with a 60 s lifetime (``exp``);
* ``/session/opts/rw``: the same, with every cookie option set (``Path=/session/opts``,
  ``Domain``, ``Max-Age``, ``Secure``, ``SameSite=Strict``, ``Partitioned``).
"""
from microdot import Microdot, abort, redirect
from microdot.session import Session, SessionTooLargeError, with_session

KEY = 'conformance-session-key-0123456789abcdef'      # 40 bytes
OLD_KEY = 'conformance-old-session-key-0123456789'       # 38 bytes
LIFETIME = 60
OPTIONS = {'path': '/session/opts', 'domain': 'example.com', 'max_age': 600, 'secure': True,
           'same_site': 'Strict', 'partitioned': True}


def add_read_write(sub):
    # one route (each route costs heap on MicroPython): query args, if any, are saved
    @sub.get('/rw')
    @with_session
    async def read_write(request, session):
        if request.args:
            for name in request.args:
                session[name] = request.args[name]
            session.save()
        return {'session': dict(session.items())}


def add_get_set(sub):
    @sub.get('/get')
    @with_session
    async def get(request, session):
        return {'session': dict(session.items())}

    @sub.get('/set')
    @with_session
    async def set_(request, session):
        for name in request.args:
            session[name] = request.args[name]
        session.save()
        return {'session': dict(session.items())}


def seed_example(sub, prefix):
    # the seed's example, with the redirects kept inside the sub-app
    @sub.route('/', methods=['GET', 'POST'])
    @with_session
    async def index(req, session):
        username = session.get('username')
        if req.method == 'POST':
            username = req.form.get('username')
            session['username'] = username
            session.save()
            return redirect(prefix + '/')
        if username is None:
            return 'Not logged in'
        else:
            return 'Logged in as ' + username

    @sub.post('/logout')
    @with_session
    async def logout(req, session):
        session.delete()
        return redirect(prefix + '/')


def main_sub():
    sub = Microdot()
    Session(sub, secret_key=[KEY, OLD_KEY])
    seed_example(sub, '/session')
    add_get_set(sub)

    @sub.get('/sync')
    @with_session
    def sync(request, session):
        session['sync'] = session.get('sync', 0) + 1
        session.save()
        return {'session': dict(session.items())}

    @sub.get('/big')
    @with_session
    async def big(request, session):
        session['big'] = 'x' * int(request.args.get('n', '3500'))
        if request.args.get('catch'):
            try:
                session.save()
            except SessionTooLargeError as exc:
                return {'error': str(exc)}, 413
            return {'saved': True}
        session.save()  # uncaught: a 500, and no cookie
        return {'saved': True}

    @sub.get('/fail/<how>')
    @with_session
    async def fail(request, session, how):
        # save (or delete), then fail: the cookie goes out with the error response
        if how == 'delete-then-abort':
            session.delete()
            abort(403)
        session['saved'] = 'before ' + how
        session.save()
        if how == 'abort':
            abort(409)
        raise RuntimeError('expected by the session conformance tests')

    return sub


def install(app):
    app.mount(main_sub(), url_prefix='/session', local=True)

    lifetime = Microdot()
    Session(lifetime, secret_key=KEY, lifetime=LIFETIME)
    add_read_write(lifetime)
    app.mount(lifetime, url_prefix='/session/lifetime', local=True)

    opts = Microdot()
    Session(opts, secret_key=KEY, cookie_options=OPTIONS)
    add_read_write(opts)
    app.mount(opts, url_prefix='/session/opts', local=True)
