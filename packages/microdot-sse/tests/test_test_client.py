"""SSE routes in process, through the test client (whose ``TestResponse.events`` parses the stream),
and the stream objects themselves: the queue bound, ``aclose()`` and the settings."""
import asyncio

import pytest

from microdot import Microdot, registry
from microdot.sse import SSE, SSEExtension, SSEStream, sse_response, with_sse
from microdot.test_client import TestClient

from conftest import make_app


@pytest.fixture
def client():
    return TestClient(make_app())


async def test_events_on_the_test_response(client):
    res = await client.get('/sse/counter?n=3')
    assert res.status_code == 200
    assert res.headers['Content-Type'] == 'text/event-stream; charset=utf-8'
    assert res.headers['Cache-Control'] == 'no-cache'
    assert res.headers['X-Accel-Buffering'] == 'no'
    assert res.body == (b'data: {"counter": 0}\n\ndata: {"counter": 1}\n\ndata: {"counter": 2}\n\n'
                        b'event: comment\ndata: end\n\n')
    assert [(e['data_json'], e['event']) for e in res.events] == [
        ({'counter': 0}, None), ({'counter': 1}, None), ({'counter': 2}, None), (None, 'comment')]
    assert res.events[-1]['data'] == b'end'


async def test_ids_names_and_retry_parsed(client):
    res = await client.get('/numbers?n=2')
    assert res.events == [
        {'data': b'{"n": 0}', 'data_json': {'n': 0}, 'event': 'number', 'event_id': '0',
         'retry': None},
        {'data': b'{"n": 1}', 'data_json': {'n': 1}, 'event': 'number', 'event_id': '1',
         'retry': None},
    ]


async def test_last_event_id_resumes(client):
    res = await client.get('/numbers?n=2', headers={'Last-Event-ID': '41'})
    assert [e['event_id'] for e in res.events] == ['42', '43']


async def test_url_arguments_reach_the_handler(client):
    res = await client.get('/items/3')
    assert [e['data'] for e in res.events] == [b'item 0', b'item 1', b'item 2']


async def test_sse_response_without_the_decorator(client):
    res = await client.get('/legacy')
    assert [e['data'] for e in res.events] == [b'hi', b'hi']


async def test_handler_exception_ends_the_stream_and_is_logged(client, capfd):
    res = await client.get('/error')
    assert res.status_code == 200
    assert res.body == b'data: before the error\n\n'
    err = capfd.readouterr().err
    assert 'RuntimeError: handler bug (expected by the test)' in err


async def test_heartbeats_while_idle_are_not_events(client):
    res = await client.get('/held?idle=0.5')  # heartbeat 0.2 s (the app's SSEExtension)
    assert res.body.startswith(b'data: ready\n\n: ping\n\n: ping\n\n')
    assert res.body.endswith(b'data: woke up\n\n')
    assert [e['data'] for e in res.events] == [b'ready', b'woke up']


async def test_heartbeat_off_per_route(client):
    res = await client.get('/quiet?idle=0.5')
    assert res.body == b'data: ready\n\ndata: done\n\n'


async def test_head_does_not_start_the_handler():
    app = make_app()
    res = await TestClient(app).request('HEAD', '/held?token=h')
    assert res.status_code == 200
    assert res.body is None
    await asyncio.sleep(0.05)
    assert 'h' not in app.state


async def test_a_replaced_response_never_starts_the_handler():
    app = Microdot()
    started = []

    @app.route('/events')
    @with_sse
    async def events(request, sse):
        started.append(True)
        await sse.send('x')

    @app.after_request
    def replace(request, response):
        return 'replaced'

    res = await TestClient(app).get('/events')
    assert res.text == 'replaced'
    await asyncio.sleep(0.05)
    assert started == []


# --- the stream objects ----------------------------------------------------------------------------

async def test_send_waits_while_the_buffer_is_full():
    sse = SSE(max_buffer=30)
    await sse.send('0123456789')  # 18 bytes on the wire
    blocked = asyncio.ensure_future(sse.send('abcdefghij'))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    assert sse.queue == [b'data: 0123456789\n\n']
    assert sse._take() == b'data: 0123456789\n\n'  # what the body iterator does
    await asyncio.wait_for(blocked, 1)
    assert sse.queue == [b'data: abcdefghij\n\n']


async def test_one_event_larger_than_the_buffer_still_goes():
    sse = SSE(max_buffer=10)
    await asyncio.wait_for(sse.send('x' * 100), 1)
    assert sse.queued == 108


async def test_aclose_cancels_the_handler_and_runs_its_finally():
    log = []

    async def handler(sse):
        try:
            await sse.send('first')
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            log.append('cancelled')
            raise
        finally:
            await asyncio.sleep(0.01)  # clean-up that itself awaits
            log.append('finally')

    sse = SSE()
    stream = SSEStream(sse, handler, (sse,), {}, heartbeat=0)
    assert await stream.__anext__() == b'data: first\n\n'
    await stream.aclose()
    assert log == ['cancelled', 'finally']
    assert sse.closed
    await sse.send('dropped')  # after the end: no error, nothing queued
    assert sse.queue == []
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_aclose_releases_a_sender_waiting_for_room():
    sse = SSE(max_buffer=10)

    async def handler(sse):
        while True:
            await sse.send('x' * 20)

    stream = SSEStream(sse, handler, (sse,), {}, heartbeat=0)
    await stream.__anext__()
    await asyncio.wait_for(stream.aclose(), 1)
    assert stream.task.done()


async def test_stream_events_in_chunks_of_what_was_queued():
    sse = SSE()

    async def handler(sse):
        await sse.send('a')
        await sse.send('b')
        await asyncio.sleep(0.05)
        await sse.send('c')

    stream = SSEStream(sse, handler, (sse,), {}, heartbeat=0)
    chunks = [chunk async for chunk in stream]
    assert chunks == [b'data: a\n\ndata: b\n\n', b'data: c\n\n']


# --- settings ---------------------------------------------------------------------------------------

def test_extension_registers_on_the_app():
    app = Microdot()
    ext = SSEExtension(heartbeat=5, max_buffer=1024)
    ext.initialize(app)
    assert app.extensions['sse'] is ext
    with pytest.raises(RuntimeError):
        SSEExtension(app)


async def test_settings_apply_per_app_and_per_route():
    app = Microdot()
    SSEExtension(app, heartbeat=7, max_buffer=99)
    seen = {}

    @app.route('/app')
    @with_sse
    async def app_settings(request, sse):
        seen['app'] = sse.max_buffer

    @app.route('/route')
    @with_sse(max_buffer=5)
    async def route_settings(request, sse):
        seen['route'] = sse.max_buffer

    request = type('R', (), {'app': app, 'headers': {}})()
    body, status, headers = sse_response(request, app_settings)
    assert body.heartbeat == 7
    client = TestClient(app)
    await client.get('/app')
    await client.get('/route')
    assert seen == {'app': 99, 'route': 5}


async def test_defaults_without_the_extension():
    app = Microdot()

    @app.route('/e')
    @with_sse
    async def e(request, sse):
        await sse.send(sse.max_buffer)

    res = await TestClient(app).get('/e')
    assert res.events[0]['data_json'] == 64 * 1024


def test_entry_point_is_discovered():
    info = registry.find_extension('sse')
    assert info.distribution == 'microdot-sse'
    assert info.compatible, info.reason
    assert info.load() is SSEExtension
