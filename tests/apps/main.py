"""The conformance suite's target app.

    python tests/apps/main.py --port 8001 [--host 127.0.0.1] [--<limit> VALUE ...]
    MICROPYPATH=build/micropython:.frozen micropython tests/apps/main.py --port 8001

Installs every ``<name>_routes`` module of this folder whose plugin is importable. ``--<limit>``
flags set app limits by name (``--head-timeout 1`` sets ``app.head_timeout = 1``), so the suite can
run its timeout and size tests quickly. ``GET /_features`` lists the installed route modules and
``GET /_limits`` the limits in force. MicroPython-safe: argv is parsed by hand.
"""
import sys

ROUTE_MODULES = ['core_routes', 'websocket_routes', 'sse_routes', 'session_routes', 'cors_routes',
                 'templates_routes', 'auth_routes', 'csrf_routes', 'multipart_routes']
LIMITS = ['max_content_length', 'max_body_length', 'max_readline', 'max_request_line',
          'max_head_size', 'max_headers', 'head_timeout', 'idle_timeout', 'read_timeout',
          'max_connections', 'shutdown_timeout']


def parse_args(argv):
    """``['--port', '8001', '--head-timeout', '1']`` -> ``{'port': 8001, 'head_timeout': 1}``."""
    options = {}
    i = 0
    while i < len(argv):
        flag = argv[i]
        if not flag.startswith('--') or i + 1 >= len(argv):
            raise SystemExit('usage: main.py --port N [--host H] [--<limit> VALUE ...]')
        value = argv[i + 1]
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                pass
        options[flag[2:].replace('-', '_')] = value
        i += 2
    return options


def install_routes(app):
    """Install each available route module; returns the names of those installed."""
    installed = []
    for name in ROUTE_MODULES:
        try:
            module = __import__(name)
        except ImportError as exc:
            # a plugin (or its route module) that is not installed skips its routes; any other
            # import problem (a name missing from an installed module) is a bug and must show
            if 'no module named' not in str(exc).lower():
                raise
            print('main.py: {} skipped ({})'.format(name, exc))
            continue
        module.install(app)
        installed.append(name)
    return installed


def create_app(app, options=None):
    """Configure ``app`` (a Microdot, or the ASGI/WSGI subclass) with limits and every route module."""
    options = options or {}
    for name in LIMITS:
        if name in options:
            setattr(app, name, options[name])
    features = install_routes(app)

    @app.get('/_features')
    def features_route(request):
        return features

    @app.get('/_limits')
    def limits_route(request):
        limits = {}
        for name in LIMITS:
            limits[name] = getattr(app, name, None)
        return limits

    @app.get('/_memory')
    def memory_route(request):
        # MicroPython heap after a collection (for heap-size work); empty on CPython
        import gc
        if not hasattr(gc, 'mem_free'):
            return {}
        gc.collect()
        return {'free': gc.mem_free(), 'alloc': gc.mem_alloc()}

    return app


def main(argv):
    from microdot import Microdot
    options = parse_args(argv)
    for name in options:
        if name not in LIMITS and name not in ('host', 'port'):
            raise SystemExit('unknown option --' + name.replace('_', '-'))
    app = create_app(Microdot(), options)
    host = options.get('host', '127.0.0.1')
    port = options.get('port', 5000)
    print('main.py serving on {}:{}'.format(host, port))
    app.run(host=host, port=port)


if __name__ == '__main__':
    main(sys.argv[1:])
