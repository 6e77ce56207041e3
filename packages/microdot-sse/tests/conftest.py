"""Shared pieces: the test app (in process and on a real socket) and an independent parser of the
``text/event-stream`` format, written from the WHATWG HTML rules (section 9.2.6), that the tests
use to read what the server wrote."""
import asyncio
import os
import sys
import time

import pytest

from microdot import Microdot
from microdot.sse import SSEExtension, sse_response, with_sse
from microdot.testing import LiveServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                                os.pardir, 'tests', 'apps'))
import sse_routes  # noqa: E402 (the conformance app's routes, shared with these tests)


def parse_stream(data):
    """WHATWG event-stream parsing of ``data`` (bytes): a list of dispatched events, each a dict
    ``{'type', 'data', 'id', 'retry'}`` (``id`` is the last event id in force, as EventSource's
    ``lastEventId``), plus the comment lines in the order they came: ``(events, comments)``."""
    text = data.decode('utf-8')
    if text.startswith('\ufeff'):
        text = text[1:]
    lines = text.replace('\r\n', '\n').replace('\r', '\n').split('\n')
    events, comments = [], []
    buffer, event_type, last_id, retry = '', '', '', None
    for line in lines[:-1]:  # the last piece has no line end yet: not a line
        if line == '':
            if buffer:
                events.append({'type': event_type or 'message', 'data': buffer[:-1],
                               'id': last_id, 'retry': retry})
            buffer, event_type, retry = '', '', None
            continue
        if line.startswith(':'):
            comments.append(line[1:])
            continue
        name, colon, value = line.partition(':')
        if colon and value.startswith(' '):
            value = value[1:]
        if name == 'data':
            buffer += value + '\n'
        elif name == 'event':
            event_type = value
        elif name == 'id' and '\x00' not in value:
            last_id = value
        elif name == 'retry' and value.isdigit():
            retry = int(value)
    return events, comments


def make_app():
    """The app the tests talk to; ``app.state`` records how handlers ended."""
    app = Microdot()
    SSEExtension(app, heartbeat=0.2)
    app.state = {}
    sse_routes.install(app)  # the conformance app's routes: /sse/counter, /sse/kinds...

    def record(token, what):
        if token:
            app.state.setdefault(token, []).append(what)

    @app.route('/numbers')
    @with_sse
    async def numbers(request, sse):
        # ids count up; a reconnecting client sends the last id it saw and gets what follows
        start = int(sse.last_event_id) + 1 if sse.last_event_id else 0
        for i in range(start, start + int(request.args.get('n', '3'))):
            await sse.send({'n': i}, event='number', event_id=i)
        if request.args.get('hold'):
            await asyncio.sleep(3600)

    async def held(request, sse):
        token = request.args.get('token')
        record(token, 'started')
        try:
            await sse.send('ready')
            await asyncio.sleep(float(request.args.get('idle', '3600')))
            await sse.send('woke up')
        except asyncio.CancelledError:
            record(token, 'cancelled')
            raise
        finally:
            record(token, 'finally')

    app.route('/held')(with_sse(held))  # the app's heartbeat, 0.2 s
    app.route('/held-long')(with_sse(held, heartbeat=2))

    @app.route('/quiet')
    @with_sse(heartbeat=0)
    async def quiet(request, sse):
        await sse.send('ready')
        await asyncio.sleep(float(request.args.get('idle', '0.5')))
        await sse.send('done')

    @app.route('/error')
    @with_sse
    async def error(request, sse):
        await sse.send('before the error')
        raise RuntimeError('handler bug (expected by the test)')

    @app.route('/items/<int:count>')
    @with_sse
    async def items(request, sse, count):
        for i in range(count):
            await sse.send('item {}'.format(i), event_id=i)

    @app.route('/legacy')
    async def legacy(request):
        # the Microdot 2.x way, without the decorator
        async def events(request, sse, word, times=1):
            for _ in range(times):
                await sse.send(word)
        return sse_response(request, events, 'hi', times=2)

    @app.get('/state/<token>')
    async def state(request, token):
        return {'events': app.state.get(token, [])}

    @app.get('/plain')
    async def plain(request):
        return 'plain'

    return app


@pytest.fixture(scope='module')
def live():
    app = make_app()
    with LiveServer(app) as server:
        server.app = app
        yield server


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
