"""Server-Sent Events conformance, black-box over real sockets, on every runtime.

The real ``httpx-sse`` client parses the streams (it follows the WHATWG event-stream rules); a raw
socket checks the exact bytes, the HTTP/1.1 framing and connection reuse. Routes:
tests/apps/sse_routes.py.
"""
import json
import time
import uuid

import httpx
import pytest
from httpx_sse import connect_sse

import rawhttp
from conftest import require, require_own_protocol


@pytest.fixture(autouse=True)
def sse_installed(server):
    require(server, 'sse_routes')


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def events_of(client, path, headers=None, limit=None):
    """``(response, [ServerSentEvent, ...])`` of a stream read to its end (or ``limit`` events)."""
    events = []
    with connect_sse(client, 'GET', path, headers=dict(headers or {})) as source:
        for event in source.iter_sse():
            events.append(event)
            if limit is not None and len(events) >= limit:
                break
        return source.response, events


def wait_for_state(client, token, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        state = client.get('/sse/handlers/' + token).json()['events']
        if what in state or time.monotonic() > deadline:
            return state
        time.sleep(0.02)


# --- the response ---------------------------------------------------------------------------------

def test_headers(client):
    res, events = events_of(client, '/sse/counter?n=1')
    assert res.status_code == 200
    content_type = res.headers['content-type'].replace(' ', '').lower()
    assert content_type in ('text/event-stream', 'text/event-stream;charset=utf-8')
    assert res.headers['cache-control'] == 'no-cache'
    assert res.headers['x-accel-buffering'] == 'no'
    assert 'content-length' not in res.headers


def test_counter_example_events_in_order(client):
    res, events = events_of(client, '/sse/counter?n=10')
    assert [json.loads(e.data) for e in events[:-1]] == [{'counter': i} for i in range(10)]
    assert all(e.event == 'message' for e in events[:-1])  # unnamed events
    assert (events[-1].event, events[-1].data) == ('comment', 'end')


def test_data_kinds_and_fields(client):
    res, events = events_of(client, '/sse/kinds')
    got = [(e.event, e.data, e.id, e.retry) for e in events]
    # httpx-sse keeps the last id seen, as the spec's "last event ID" does. (It also dispatches an
    # empty event for a comment-only block once an id was seen, which browsers do not: so the
    # route sends its comment before the first id.)
    assert got == [
        ('message', '{"a": 1}', '', None),
        ('message', '[1, "two"]', '', None),
        ('message', 'plain text', '', None),
        ('message', 'raw bytes', '', None),
        ('message', 'line one\nline two\nline three\nline four', '', None),
        ('greeting', 'named', '', None),
        ('message', 'with id', 'id-42', None),
        ('message', 'with retry', 'id-42', 2500),
        ('full', 'all', '7', 250),
        ('message', 'caf\u00e9 \u2603 \U0001f600', '7', None),
        ('message', '', '7', None),
        ('message', 'trailing newline\n', '7', None),
        ('end', 'done', '7', None),
    ]


def test_wire_format_bytes(server):
    with server.connect() as conn:
        conn.send(rawhttp.request_bytes('GET', '/sse/kinds'))
        res = conn.read_response()
    assert res.status == 200
    body = res.body
    for block in (b'data: {"a": 1}\n\n', b'data: raw bytes\n\n',
                  b'data: line one\ndata: line two\ndata: line three\ndata: line four\n\n',
                  b'event: greeting\ndata: named\n\n', b'id: id-42\ndata: with id\n\n',
                  b'retry: 2500\ndata: with retry\n\n',
                  b'retry: 250\nevent: full\nid: 7\ndata: all\n\n',
                  b': not an event\n\n', 'data: caf\u00e9 \u2603 \U0001f600\n\n'.encode('utf-8'),
                  b'data: trailing newline\ndata: \n\n'):
        assert block in body, block
    assert body.endswith(b'event: end\ndata: done\n\n')


def test_no_line_break_injection(client, server):
    res, events = events_of(client, '/sse/injection')
    assert [(e.event, e.data) for e in events] == [
        ('refused', json.dumps(['event', 'event_id', 'event_id', 'event']))]
    with server.connect() as conn:
        conn.send(rawhttp.request_bytes('GET', '/sse/injection'))
        body = conn.read_response().body
    assert b'forged' not in body.replace(b': comment\n: data: forged\n\n', b'')
    assert b': comment\n: data: forged\n\n' in body


# --- resuming ------------------------------------------------------------------------------------

def test_last_event_id_reaches_the_handler(client):
    res, events = events_of(client, '/sse/last-event-id', headers={'Last-Event-ID': 'abc-17'})
    assert json.loads(events[0].data) == {'last_event_id': 'abc-17', 'header': 'abc-17'}
    res, events = events_of(client, '/sse/last-event-id')
    assert json.loads(events[0].data) == {'last_event_id': None, 'header': None}


def test_reconnect_with_last_event_id_resumes(client):
    res, first = events_of(client, '/sse/resume?n=3&hold=1', limit=3)
    assert [e.id for e in first] == ['0', '1', '2']
    # the client went away mid-stream; it reconnects as EventSource does, with the last id it saw
    res, second = events_of(client, '/sse/resume?n=3', headers={'Last-Event-ID': first[-1].id})
    assert [(e.id, json.loads(e.data)) for e in second] == [
        ('3', {'n': 3}), ('4', {'n': 4}), ('5', {'n': 5})]


# --- liveness ------------------------------------------------------------------------------------

def test_heartbeat_comments_arrive_while_idle(client):
    seen = b''
    start = time.monotonic()
    with client.stream('GET', '/sse/heartbeat') as res:
        for chunk in res.iter_raw():
            seen += chunk
            if seen.count(b': ping\n\n') >= 2 or time.monotonic() - start > 5:
                break
    assert seen.startswith(b'data: ready\n\n')
    assert seen.count(b': ping\n\n') >= 2, seen


def test_events_are_flushed_one_by_one(client):
    arrivals = []
    with connect_sse(client, 'GET', '/sse/counter?n=3&delay=0.4') as source:
        for event in source.iter_sse():
            arrivals.append(time.monotonic())
    assert len(arrivals) == 4
    # nothing is held back until the end: the first event came long before the last one
    assert arrivals[-1] - arrivals[0] > 0.6


def test_client_disconnect_cancels_the_handler(client, server):
    token = uuid.uuid4().hex
    with connect_sse(client, 'GET', '/sse/held?token=' + token) as source:
        for event in source.iter_sse():
            assert event.data == 'ready'
            break
    # the client closed its connection; the handler (heartbeat 0.2 s) must be cancelled and its
    # finally block run, within a few heartbeats
    state = wait_for_state(client, token, 'finally')
    assert state == ['started', 'cancelled', 'finally'], state


def test_disconnect_noticed_within_one_heartbeat_interval(client, server):
    token = uuid.uuid4().hex
    with connect_sse(client, 'GET', '/sse/held-long?token=' + token) as source:
        for event in source.iter_sse():
            assert event.data == 'ready'
            break  # leaving the loop closes the response, and so the connection
    left = time.monotonic()
    # heartbeat 2 s: the handler's clean-up must run within one interval (plus scheduling slack),
    # not at the second heartbeat, when a write to the departed client would fail
    state = wait_for_state(client, token, 'finally', timeout=10)
    took = time.monotonic() - left
    assert state == ['started', 'finally'], state
    assert took < 2 + 1, took


def test_handler_exception_ends_the_stream_cleanly(client, server):
    res, events = events_of(client, '/sse/error')
    assert [e.data for e in events] == ['before the error']
    with server.connect() as conn:
        conn.send(rawhttp.request_bytes('GET', '/sse/error'))
        res = conn.read_response()
        assert res.status == 200
        assert res.body == b'data: before the error\n\n'  # the error is logged, never sent


def test_slow_client_gets_every_event(server):
    # 500 events of 200 bytes: more than the send buffer holds, so send() has to wait
    with server.connect(timeout=10) as conn:
        conn.send(rawhttp.request_bytes('GET', '/sse/many?n=500'))
        time.sleep(0.5)  # let the server fill its buffer and wait
        res = conn.read_response()
    ids = [line for line in res.body.split(b'\n') if line.startswith(b'id: ')]
    assert ids == [('id: %d' % i).encode() for i in range(500)]


# --- HTTP/1.1 framing (microdot's own server) -----------------------------------------------------

def test_chunked_and_connection_reused_after_the_stream(server):
    require_own_protocol(server)
    with server.connect() as conn:
        conn.send(rawhttp.request_bytes('GET', '/sse/counter?n=2'))
        res = conn.read_response()
        assert res.chunked
        assert res.body.endswith(b'event: comment\ndata: end\n\n')
        conn.send(rawhttp.request_bytes('GET', '/sse/error'))
        assert conn.read_response().body == b'data: before the error\n\n'
        conn.send(rawhttp.request_bytes('GET', '/_features'))
        res = conn.read_response()
        assert res.status == 200 and b'sse_routes' in res.body


def test_http10_stream_ends_with_the_connection(server):
    require_own_protocol(server)
    with server.connect() as conn:
        conn.send(rawhttp.request_bytes('GET', '/sse/counter?n=2', version='HTTP/1.0'))
        res = conn.read_response()
        assert not res.chunked
        assert res.body.startswith(b'data: {"counter": 0}\n\n')
        assert res.body.endswith(b'event: comment\ndata: end\n\n')


def test_head_does_not_run_the_handler(server, client):
    token = uuid.uuid4().hex
    res = client.head('/sse/held?token=' + token)
    assert res.status_code == 200
    assert res.content == b''
    time.sleep(0.3)
    assert client.get('/sse/handlers/' + token).json()['events'] == []
