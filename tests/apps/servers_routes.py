"""Routes for the multi-worker checks of microdot-servers (``/servers/...``).

Not in main.py's list: asgi_main.py and wsgi_main.py install them, since only the uvicorn and
gunicorn targets run several worker processes. ``/servers/pid`` says which worker answered; the
session routes (when microdot-session is installed) write and read a signed-cookie session.
"""
import os


def install(app):
    @app.get('/servers/pid')
    def pid(request):
        return str(os.getpid())

    try:
        from microdot.session import Session, with_session
    except ImportError:
        return
    # a sub-app with its own Session (a fixed key, as every deployment with several workers must
    # have), so that the app-wide hooks of the other route modules are left alone
    from microdot import Microdot
    sub = Microdot()
    Session(sub, secret_key='servers-conformance-secret-0123456789abcdef')

    @sub.get('/set/<value>')
    @with_session
    async def session_set(request, session, value):
        session['value'] = value
        session.save()
        return str(os.getpid())

    @sub.get('/get')
    @with_session
    async def session_get(request, session):
        return {'value': session.get('value'), 'pid': os.getpid()}

    app.mount(sub, url_prefix='/servers/session', local=True)
