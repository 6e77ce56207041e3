"""Routes for the multi-worker checks of microdot-servers (``/servers/...``).

``/servers/pid`` says which worker process answered. Not in main.py's list: asgi_main.py and
wsgi_main.py install it, since only the uvicorn and gunicorn targets have several workers.
"""
import os


def install(app):
    @app.get('/servers/pid')
    def pid(request):
        return str(os.getpid())
