"""SSE on the built-in server over real sockets: the ``httpx-sse`` client for event order, ids and
reconnection; raw sockets for the exact bytes, HTTP/1.1 framing, heartbeats and disconnects; curl
for the documentation's counter example."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from httpx_sse import connect_sse

from conftest import parse_stream, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def client(live):
    with httpx.Client(base_url=live.url, timeout=10) as c:
        yield c


def open_stream(live, path, headers=b''):
    """A raw socket that sent ``GET path`` and read the response head; returns (sock, head, rest)."""
    sock = socket.create_connection((live.host, live.port), timeout=5)
    sock.sendall('GET {} HTTP/1.1\r\nHost: t\r\n'.format(path).encode() + headers + b'\r\n')
    buf = b''
    while b'\r\n\r\n' not in buf:
        data = sock.recv(65536)
        assert data, 'connection closed before the head'
        buf += data
    head, rest = buf.split(b'\r\n\r\n', 1)
    return sock, head.decode(), rest


def read_chunked_body(sock, buf=b''):
    """De-chunk a complete chunked body; returns (body, what was read after it)."""
    body = b''
    while True:
        while b'\r\n' not in buf:
            buf += sock.recv(65536)
        line, buf = buf.split(b'\r\n', 1)
        size = int(line, 16)
        while len(buf) < size + 2:
            more = sock.recv(65536)
            assert more, 'connection closed inside a chunk'
            buf += more
        if size == 0:
            assert buf[:2] == b'\r\n'
            return body, buf[2:]
        body, buf = body + buf[:size], buf[size + 2:]


def test_events_in_order_with_ids(client):
    with connect_sse(client, 'GET', '/numbers?n=5') as source:
        assert source.response.headers['content-type'] == 'text/event-stream; charset=utf-8'
        got = [(e.event, e.id, json.loads(e.data)) for e in source.iter_sse()]
    assert got == [('number', str(i), {'n': i}) for i in range(5)]


def test_reconnect_with_last_event_id(client, live):
    token = uuid.uuid4().hex
    seen = []
    with connect_sse(client, 'GET', '/numbers?n=3&hold=1&token=' + token) as source:
        for event in source.iter_sse():
            seen.append(event.id)
            if len(seen) == 3:
                break  # the connection drops mid-stream
    # EventSource reconnects with the id of the last event it got
    with connect_sse(client, 'GET', '/numbers?n=3', headers={'Last-Event-ID': seen[-1]}) as source:
        resumed = [e.id for e in source.iter_sse()]
    assert seen + resumed == [str(i) for i in range(6)]


def test_heartbeat_arrives_after_the_idle_interval(live):
    sock, head, rest = open_stream(live, '/held?idle=3600')
    try:
        assert 'Transfer-Encoding: chunked' in head
        start = time.monotonic()
        buf = rest
        sock.settimeout(3)
        while buf.count(b': ping\n\n') < 3:
            data = sock.recv(65536)
            assert data
            buf += data
        elapsed = time.monotonic() - start
        # three heartbeats of 0.2 s: not sent in a burst, and not held back either
        assert 0.4 < elapsed < 3
        assert buf.startswith(b'd\r\ndata: ready\n\n\r\n8\r\n: ping\n\n\r\n')
    finally:
        sock.close()


def test_no_heartbeat_when_disabled(live):
    sock, head, rest = open_stream(live, '/quiet?idle=0.7')
    body, _ = read_chunked_body(sock, rest)
    sock.close()
    assert body == b'data: ready\n\ndata: done\n\n'


@pytest.mark.parametrize('how', ['close', 'reset'])
def test_disconnect_cancels_the_handler_and_frees_the_connection(live, client, how):
    token = uuid.uuid4().hex
    before = len(live.app.http_server.connections)
    sock, head, rest = open_stream(live, '/held-long?token=' + token)
    buf = rest
    while b'data: ready' not in buf:
        buf += sock.recv(65536)
    assert wait_for(lambda: live.app.state.get(token) == ['started'])
    if how == 'reset':
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
    closed_at = time.monotonic()
    sock.close()
    # heartbeat 2 s: the server notices the departed client by itself (not only when a write to
    # it fails, which could be the second heartbeat), so clean-up runs within one interval
    assert wait_for(lambda: 'finally' in live.app.state.get(token, []), timeout=10)
    took = time.monotonic() - closed_at
    assert live.app.state[token] == ['started', 'cancelled', 'finally']
    assert took < 2 + 1, took
    assert wait_for(lambda: len(live.app.http_server.connections) <= before)
    assert client.get('/plain').text == 'plain'


def test_handler_exception_ends_the_stream_cleanly(live, capfd):
    sock, head, rest = open_stream(live, '/error')
    try:
        body, after = read_chunked_body(sock, rest)
        assert body == b'data: before the error\n\n'
        # the chunked body was terminated properly, so the connection serves the next request
        sock.sendall(b'GET /plain HTTP/1.1\r\nHost: t\r\n\r\n')
        buf = after
        while b'plain' not in buf:
            buf += sock.recv(65536)
        assert buf.startswith(b'HTTP/1.1 200')
    finally:
        sock.close()
    assert 'RuntimeError: handler bug' in capfd.readouterr().err


def test_connection_reused_after_streams(live):
    sock, head, rest = open_stream(live, '/sse/counter?n=2')
    try:
        body, after = read_chunked_body(sock, rest)
        assert body.endswith(b'event: comment\ndata: end\n\n')
        sock.sendall(b'GET /items/2 HTTP/1.1\r\nHost: t\r\n\r\n')
        buf = after
        while b'\r\n\r\n' not in buf:
            buf += sock.recv(65536)
        head2, rest2 = buf.split(b'\r\n\r\n', 1)
        body2, _ = read_chunked_body(sock, rest2)
        assert body2 == b'id: 0\ndata: item 0\n\nid: 1\ndata: item 1\n\n'
    finally:
        sock.close()


def test_each_event_is_flushed_when_sent(live):
    sock, head, rest = open_stream(live, '/sse/counter?n=3&delay=0.3')
    try:
        arrivals = []
        buf = rest
        sock.settimeout(5)
        while len(arrivals) < 3:
            data = sock.recv(65536)
            assert data
            buf += data
            while len(arrivals) < buf.count(b'"counter"'):
                arrivals.append(time.monotonic())
        # one event per recv, about 0.3 s apart: nothing waits for a buffer to fill
        assert arrivals[2] - arrivals[0] > 0.4
    finally:
        sock.close()


def test_many_idle_streams_and_a_quick_plain_get(live, client):
    streams = []
    try:
        for _ in range(50):
            streams.append(open_stream(live, '/held?idle=3600')[0])
        start = time.monotonic()
        assert client.get('/plain').text == 'plain'
        assert time.monotonic() - start < 5  # a hang bound, not a speed claim
    finally:
        for sock in streams:
            sock.close()


@pytest.mark.skipif(shutil.which('curl') is None, reason='curl is not installed')
def test_counter_example_under_curl(tmp_path):
    # examples/counter.py is the docs' example as written: ten events a second apart
    example = os.path.join(os.path.dirname(HERE), 'examples', 'counter.py')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    script = tmp_path / 'run_counter.py'
    script.write_text(
        'import runpy, sys\n'
        'ns = runpy.run_path({!r})\n'
        'ns["app"].run(host="127.0.0.1", port={})\n'.format(example, port))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, 'the example did not start'
                time.sleep(0.05)
        out = subprocess.run(['curl', '-sS', '-N', '--max-time', '30',
                              'http://127.0.0.1:{}/events'.format(port)],
                             capture_output=True, timeout=40)
        assert out.returncode == 0, out.stderr
        events, _ = parse_stream(out.stdout)
        assert [json.loads(e['data']) for e in events[:-1]] == [{'counter': i} for i in range(10)]
        assert (events[-1]['type'], events[-1]['data']) == ('comment', 'end')
    finally:
        proc.terminate()
        proc.wait(10)
