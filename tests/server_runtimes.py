"""The uvicorn and gunicorn targets of the conformance suite (owned by microdot-servers).

``runtimes(options)`` returns ``{'uvicorn': f, 'gunicorn': f}`` where ``f(port, workdir, *extra)``
gives the ``(argv, env)`` that serves ``tests/apps/main.py``'s app (through ``asgi_main.py`` and
``wsgi_main.py``) on 127.0.0.1:port. The app options (limits) travel in ``MICRODOT_APP_OPTIONS``
because the server, not main.py, owns the command line. ``extra`` adds server flags (``--workers
4``).

gunicorn runs the ``gthread`` worker: WebSocket and SSE connections each hold a thread for as long
as they are open, which the ``sync`` worker cannot do (its ``--timeout`` would kill it).
"""
import os
import sys

APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'apps')


def _env(options):
    return dict(os.environ, MICRODOT_APP_OPTIONS=' '.join(str(o) for o in options),
                PYTHONUNBUFFERED='1')


def uvicorn_argv(port, *extra):
    return [sys.executable, '-m', 'uvicorn', '--app-dir', APPS, '--host', '127.0.0.1',
            '--port', str(port), '--log-level', 'warning', '--timeout-graceful-shutdown', '3'] + \
        list(extra) + ['asgi_main:app']


def gunicorn_argv(port, *extra):
    argv = [sys.executable, '-m', 'gunicorn', '--chdir', APPS,
            '--bind', '127.0.0.1:{}'.format(port),
            '--worker-class', 'gthread', '--threads', '32', '--graceful-timeout', '3',
            '--log-level', 'warning']
    import gunicorn.config
    if any(getattr(s, 'name', None) == 'control_socket_disable'
           for s in vars(gunicorn.config).values()):
        argv.append('--no-control-socket')  # gunicorn 24+: no shared control socket per run
    return argv + list(extra) + ['wsgi_main:app']


def runtimes(options):
    def uvicorn_runtime(port, workdir, *extra):
        return uvicorn_argv(port, *extra), _env(options)

    def gunicorn_runtime(port, workdir, *extra):
        return gunicorn_argv(port, *extra), _env(options)

    return {'uvicorn': uvicorn_runtime, 'gunicorn': gunicorn_runtime}
