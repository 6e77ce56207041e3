"""CPU time per request of the application side alone under ASGI and WSGI: each app is called
in a loop with a uvicorn-like scope or a gunicorn-like environ for ``GET /`` (no server, no
socket), so what is left is the framework's own work plus the adapter's (docs/performance.md,
"Where the time goes"). A measurement, not a test.

    python bench/adapter_cost.py [--requests 30000] [--rounds 3]
    python bench/adapter_cost.py --profile asgi|wsgi|starlette|flask

Needs the bench env's packages (``tox -e bench`` installs them: microdot, starlette, flask).
"""
import argparse
import asyncio
import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'apps'))

SCOPE = {'type': 'http', 'asgi': {'version': '3.0', 'spec_version': '2.3'}, 'http_version': '1.1',
         'server': ('127.0.0.1', 8000), 'client': ('127.0.0.1', 5555), 'scheme': 'http',
         'method': 'GET', 'root_path': '', 'path': '/', 'raw_path': b'/', 'query_string': b'',
         'headers': [(b'host', b'127.0.0.1:8000'), (b'user-agent', b'wrk'), (b'accept', b'*/*')],
         'state': {}}
ENVIRON = {'REQUEST_METHOD': 'GET', 'SCRIPT_NAME': '', 'PATH_INFO': '/', 'QUERY_STRING': '',
           'RAW_URI': '/', 'SERVER_PROTOCOL': 'HTTP/1.1', 'REMOTE_ADDR': '127.0.0.1',
           'REMOTE_PORT': '5555', 'SERVER_NAME': '127.0.0.1', 'SERVER_PORT': '8000',
           'HTTP_HOST': '127.0.0.1:8000', 'HTTP_USER_AGENT': 'wrk', 'HTTP_ACCEPT': '*/*',
           'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http', 'wsgi.errors': sys.stderr,
           'wsgi.multithread': False, 'wsgi.multiprocess': False, 'wsgi.run_once': False,
           'wsgi.input_terminated': True}


def asgi_cost(app, n, profiler=None):
    async def receive():
        return {'type': 'http.request', 'body': b'', 'more_body': False}

    async def send(message):
        pass

    async def main():
        for _ in range(200):  # warm-up (and start-up handlers)
            await app(dict(SCOPE), receive, send)
        start = time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(n):
            await app(dict(SCOPE), receive, send)
        if profiler:
            profiler.disable()
        return (time.process_time() - start) / n * 1e6
    return asyncio.run(main())


def wsgi_cost(app, n, profiler=None):
    def start_response(status, headers, exc_info=None):
        pass

    def one():
        environ = dict(ENVIRON)
        environ['wsgi.input'] = io.BytesIO(b'')
        body = app(environ, start_response)
        for _ in body:
            pass
        if hasattr(body, 'close'):
            body.close()

    for _ in range(200):
        one()
    start = time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(n):
        one()
    if profiler:
        profiler.disable()
    return (time.process_time() - start) / n * 1e6


APPS = {'asgi': ('md_asgi', asgi_cost), 'starlette': ('starlette_app', asgi_cost),
        'wsgi': ('md_wsgi', wsgi_cost), 'flask': ('flask_app', wsgi_cost)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=30000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--profile', choices=sorted(APPS), help='cProfile one app instead')
    args = parser.parse_args()
    if args.profile:
        import cProfile
        import pstats
        module, cost = APPS[args.profile]
        profiler = cProfile.Profile()
        cost(__import__(module).app, args.requests, profiler)
        pstats.Stats(profiler).sort_stats('tottime').print_stats(25)
        return
    loaded = {name: (__import__(module).app, cost) for name, (module, cost) in APPS.items()}
    figures = {name: [] for name in APPS}
    for _ in range(args.rounds):
        for name, (app, cost) in loaded.items():
            figures[name].append(cost(app, args.requests))
    for name, values in figures.items():
        print('{:10} {:7.1f} us/request (median of {}: {})'.format(
            name, statistics.median(values), len(values),
            ', '.join('{:.1f}'.format(v) for v in values)))
    print('ASGI: Starlette / microdot {:.2f}x; WSGI: Flask / microdot {:.2f}x'.format(
        statistics.median(figures['starlette']) / statistics.median(figures['asgi']),
        statistics.median(figures['flask']) / statistics.median(figures['wsgi'])))


if __name__ == '__main__':
    main()
