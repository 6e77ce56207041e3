"""Routes that exercise the core, for the conformance suite (``/`` and ``/core/...``).

MicroPython-safe: no f-strings, no async generator functions (a class is the async iterator).
"""
import asyncio

from microdot import Response, abort, redirect


class StreamEcho:
    """Async iterator that sends a request body back as it arrives (chunks of ``size`` bytes)."""

    def __init__(self, stream, size=1024):
        self.stream = stream
        self.size = size

    def __aiter__(self):
        return self

    async def __anext__(self):
        data = await self.stream.read(self.size)
        if not data:
            raise StopAsyncIteration
        return data


class SlowCounter:
    """Async iterator: ``count`` lines, ``delay`` seconds apart."""

    def __init__(self, count, delay):
        self.count = count
        self.delay = delay
        self.i = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.i >= self.count:
            raise StopAsyncIteration
        if self.i:
            await asyncio.sleep(self.delay)
        self.i += 1
        return 'line {}\n'.format(self.i - 1)


def counter_lines(count):
    for i in range(count):
        yield 'line {}\n'.format(i)


class CoreTestError(Exception):
    pass


def install(app):
    @app.route('/')
    def hello(request):
        return 'Hello, World!'

    @app.route('/core/text')
    def text(request):
        return 'hello'

    @app.route('/core/json')
    def json_response(request):
        return {'hello': 'world', 'list': [1, 2, 3]}

    @app.route('/core/request')
    def request_info(request):
        # what the app sees of the request, for the parsing tests
        return {
            'method': request.method,
            'path': request.path,
            'query_string': request.query_string,
            'args': dict((k, request.args.getlist(k)) for k in request.args)
            if request.args else {},
            'http_version': request.http_version,
            'scheme': request.scheme,
            'headers': dict(request.headers.items()),  # dict(subclass) fails on MicroPython
            'content_length': request.content_length,
            'client_addr': list(request.client_addr) if isinstance(request.client_addr, tuple)
            else repr(request.client_addr),
        }

    @app.route('/core/status/<int:code>')
    def status(request, code):
        return 'status {}'.format(code), code

    @app.route('/core/empty')
    def empty(request):
        return None  # 204

    @app.route('/core/stream')
    def stream(request):
        return counter_lines(int(request.args.get('n', '5')))

    @app.route('/core/async-stream')
    def async_stream(request):
        return SlowCounter(int(request.args.get('n', '5')), float(request.args.get('delay', '0')))

    @app.route('/core/stream-length')
    def stream_with_length(request):
        # a streamed body whose length the handler declares: no chunked coding needed
        lines = ['line {}\n'.format(i) for i in range(5)]
        return counter_lines(5), 200, {'Content-Length': str(len(''.join(lines)))}

    @app.route('/core/big')
    def big(request):
        size = int(request.args.get('size', '10000'))
        return b'x' * size, 200, {'Content-Type': 'application/octet-stream'}

    @app.route('/core/blocks')
    def blocks(request):
        # n blocks of size bytes, streamed from one buffer (memory-light on MicroPython)
        n = int(request.args.get('n', '10'))
        block = b'b' * int(request.args.get('size', '1024'))
        return (block for _ in range(n)), 200, {'Content-Type': 'application/octet-stream'}

    @app.route('/core/echo', methods=['POST', 'PUT', 'PATCH', 'DELETE'])
    def echo(request):
        # the body as read into memory (empty when it was larger than max_body_length)
        return request.body, 200, {
            'Content-Type': request.content_type or 'application/octet-stream',
            'X-Content-Length': str(request.content_length),
            'X-Method': request.method,
        }

    @app.route('/core/echo-stream', methods=['POST', 'PUT'])
    def echo_stream(request):
        # the body through request.stream, whatever its size or framing
        return StreamEcho(request.stream), 200, {'Content-Type': 'application/octet-stream'}

    @app.route('/core/consume', methods=['POST'])
    async def consume(request):
        # reads the whole body from request.stream before answering
        size = 0
        while True:
            data = await request.stream.read(1024)
            if not data:
                break
            size += len(data)
        return {'size': size}

    @app.route('/core/echo-json', methods=['POST'])
    def echo_json(request):
        return {'json': request.json}

    @app.route('/core/echo-form', methods=['POST'])
    def echo_form(request):
        form = request.form
        return {'form': dict((k, form.getlist(k)) for k in form) if form is not None else None}

    @app.route('/core/post-only', methods=['POST'])
    def post_only(request):
        return 'posted'

    @app.route('/core/get-put', methods=['GET', 'PUT'])
    def get_put(request):
        return request.method

    @app.route('/core/cookies')
    def cookies(request):
        return {'cookies': request.cookies}

    @app.route('/core/set-cookies')
    def set_cookies(request):
        res = Response('cookies set')
        res.set_cookie('plain', 'one')
        res.set_cookie('scoped', 'two', path='/core', http_only=True, max_age=60)
        return res

    @app.route('/core/delete-cookie')
    def delete_cookie(request):
        res = Response('cookie deleted')
        res.delete_cookie('plain')
        return res

    @app.route('/core/redirect')
    def redirect_route(request):
        return redirect('/core/text')

    @app.route('/core/abort/<int:code>')
    def abort_route(request, code):
        abort(code)

    @app.route('/core/abort-reason')
    def abort_reason(request):
        abort(406, 'Not acceptable here')

    @app.route('/core/error')
    def error(request):
        raise ValueError('a bug in a handler')

    @app.route('/core/handled-error')
    def handled_error(request):
        raise CoreTestError('handled')

    @app.errorhandler(CoreTestError)
    def core_test_error(request, exc):
        return {'error': str(exc)}, 418

    @app.route('/core/stream-error')
    def stream_error(request):
        def broken():
            yield 'first\n'
            raise ValueError('a bug in a streamed body')
        return broken()

    @app.route('/core/sleep')
    async def sleep(request):
        await asyncio.sleep(float(request.args.get('s', '0.5')))
        return 'slept'

    @app.route('/core/path/<path:rest>')
    def path_arg(request, rest):
        return {'rest': rest}

    @app.route('/core/int/<int:n>')
    def int_arg(request, n):
        return {'n': n}

    @app.route('/core/headers')
    def response_headers(request):
        return 'headers', 200, {'X-One': '1', 'X-Two': 'two'}
