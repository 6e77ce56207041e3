"""The built-in server on a real socket, driven by httpx and by raw sockets."""
import asyncio
import socket
import ssl
import subprocess
import threading
import time

import httpx
import pytest

from microdot import Microdot, Response
from microdot.testing import LiveServer


def make_app():
    app = Microdot()
    app.head_timeout = 0.5
    app.idle_timeout = 0.5
    app.read_timeout = 0.5
    app.max_body_length = 1000  # larger bodies are read through request.stream

    @app.route('/')
    async def index(req):
        return 'hello'

    @app.route('/info')
    async def info(req):
        return {'scheme': req.scheme, 'version': req.http_version}

    @app.post('/echo')
    async def echo(req):
        if req.body:
            return req.body
        data = b''
        while True:
            chunk = await req.stream.read(1000)
            if not chunk:
                break
            data += chunk
        return data

    @app.route('/stream')
    async def stream(req):
        def gen():
            for i in range(3):
                yield 'part%d;' % i
        return gen()

    @app.route('/slow')
    async def slow(req):
        await asyncio.sleep(0.3)
        return 'slow'

    @app.route('/boom')
    async def boom(req):
        raise RuntimeError('secret detail')

    @app.route('/bad-stream')
    async def bad_stream(req):
        def gen():
            yield 'first;'
            raise RuntimeError('stream failed')
        return gen()

    @app.route('/ignore-body', methods=['POST'])
    async def ignore_body(req):
        return 'ignored'

    return app


@pytest.fixture
def server():
    with LiveServer(make_app()) as live:
        yield live


def connect(server):
    return socket.create_connection((server.host, server.port), timeout=5)


def read_response(sock, buf=b''):
    """One response from a socket: (status, headers dict, body, rest of buffer)."""
    while b'\r\n\r\n' not in buf:
        data = sock.recv(65536)
        if not data:
            raise EOFError(buf)
        buf += data
    head, _, buf = buf.partition(b'\r\n\r\n')
    lines = head.decode().split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
    if status == 100:
        return status, headers, b'', buf
    if headers.get('transfer-encoding') == 'chunked':
        body = b''
        while True:
            while b'\r\n' not in buf:
                buf += sock.recv(65536)
            size_line, _, buf = buf.partition(b'\r\n')
            size = int(size_line, 16)
            while len(buf) < size + 2:
                buf += sock.recv(65536)
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                return status, headers, body, buf
    length = int(headers.get('content-length', 0))
    while len(buf) < length:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
    return status, headers, buf[:length], buf[length:]


def is_closed(sock, wait=2.0):
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b''
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_httpx_keep_alive_reuses_one_connection(server):
    with httpx.Client() as client:
        ports = set()
        for _ in range(3):
            r = client.get(server.url + '/', extensions={})
            assert r.status_code == 200 and r.http_version == 'HTTP/1.1'
            assert r.headers['date'].endswith('GMT')
            ports.add(r.extensions['network_stream'].get_extra_info('client_addr')[1])
        assert len(ports) == 1


def test_pipelined_requests_answered_in_order(server):
    with connect(server) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
                  b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'
                  b'GET /info HTTP/1.1\r\nHost: x\r\n\r\n')
        status, _, body, buf = read_response(s)
        assert (status, body) == (200, b'hello')
        status, _, body, buf = read_response(s, buf)
        assert (status, body) == (200, b'abc')
        status, _, body, buf = read_response(s, buf)
        assert body == b'{"scheme": "http", "version": "1.1"}'


def test_http10_and_connection_close(server):
    with connect(server) as s:
        s.sendall(b'GET / HTTP/1.0\r\n\r\n')
        status, headers, body, _ = read_response(s)
        assert status == 200 and headers['connection'] == 'close' and is_closed(s)
    with connect(server) as s:
        s.sendall(b'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
        status, headers, _, _ = read_response(s)
        assert headers['connection'] == 'keep-alive'
        s.sendall(b'GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
        data = b''
        while True:  # an HTTP/1.0 client reads a stream until the connection closes
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        assert data.endswith(b'part0;part1;part2;') and b'chunked' not in data
    with connect(server) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        read_response(s)
        assert is_closed(s)


def test_chunked_request_and_response(server):
    with connect(server) as s:
        s.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
                  b'3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n'
                  b'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n')
        status, _, body, buf = read_response(s)
        assert (status, body) == (200, b'abcdefg')
        status, headers, body, _ = read_response(s, buf)
        assert headers['transfer-encoding'] == 'chunked' and body == b'part0;part1;part2;'
    big = b'x' * 40000
    with httpx.Client() as client:
        r = client.post(server.url + '/echo', content=iter([big[:20000], big[20000:]]))
        assert r.status_code == 413  # chunked total above max_content_length (16 KiB)
        r = client.post(server.url + '/echo', content=b'y' * 16000)
        assert r.content == b'y' * 16000


@pytest.mark.parametrize('request_bytes,status', [
    (b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
     b'0\r\n\r\n', 400),
    (b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400),
    (b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n', 400),
    (b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 400),
    (b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501),
    (b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400),
    (b'GET / HTTP/1.1\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400),
    (b'GET / HTTP/3.0\r\nHost: a\r\n\r\n', 505),
    (b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505),
    (b'GET /' + b'a' * 9000 + b' HTTP/1.1\r\nHost: x\r\n\r\n', 414),
    (b'GET / HTTP/1.1\r\nHost: x\r\nX: ' + b'a' * 9000 + b'\r\n\r\n', 431),
    (b'GET / HTTP/1.1\r\nHost: x\r\n' + b'X-A: b\r\n' * 101 + b'\r\n', 431),
    (b'GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n', 417),
])
def test_refusals_close_the_connection_and_smuggle_nothing(server, request_bytes, status):
    smuggled = b'GET /info HTTP/1.1\r\nHost: x\r\n\r\n'
    with connect(server) as s:
        s.sendall(request_bytes + smuggled)
        got, headers, body, _ = read_response(s)
        assert got == status and headers['connection'] == 'close'
        assert b'Traceback' not in body
        assert is_closed(s)
    with httpx.Client() as client:  # the server is alive and well
        assert client.get(server.url + '/').text == 'hello'


def test_expect_100_continue(server):
    with connect(server) as s:
        s.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n'
                  b'Expect: 100-continue\r\n\r\n')
        status, _, _, buf = read_response(s)
        assert status == 100
        s.sendall(b'hello')
        status, _, body, _ = read_response(s, buf)
        assert (status, body) == (200, b'hello')
    with connect(server) as s:  # too large: refused without 100, the body never sent
        s.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n'
                  b'Expect: 100-continue\r\n\r\n')
        status, headers, _, _ = read_response(s)
        assert status == 413 and headers['connection'] == 'close'


def test_head_has_no_body(server):
    with connect(server) as s:
        s.sendall(b'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nHEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n'
                  b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        data = b''
        while data.count(b'HTTP/1.1 200') < 3 or not data.endswith(b'hello'):
            chunk = s.recv(65536)
            assert chunk
            data += chunk
        first, second, third = data.split(b'HTTP/1.1 200 OK\r\n')[1:]
        assert b'Content-Length: 5\r\n' in first and first.endswith(b'\r\n\r\n')
        assert second.endswith(b'\r\n\r\n')  # announces a stream, sends no body
        assert third.endswith(b'\r\n\r\nhello')


def test_unread_body_is_skipped_for_keep_alive(server):
    with connect(server) as s:
        s.sendall(b'POST /ignore-body HTTP/1.1\r\nHost: x\r\nContent-Length: 15000\r\n\r\n'
                  + b'z' * 15000 + b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        status, _, body, buf = read_response(s)
        assert (status, body) == (200, b'ignored')
        assert read_response(s, buf)[2] == b'hello'


def test_500_has_no_traceback_on_the_wire(server, capfd):
    with httpx.Client() as client:
        r = client.get(server.url + '/boom')
        assert r.status_code == 500 and r.text == 'Internal server error'
        assert client.get(server.url + '/').text == 'hello'
    assert 'secret detail' in capfd.readouterr().err  # logged on the server side


def test_failed_stream_truncates_and_closes(server):
    with connect(server) as s:
        s.sendall(b'GET /bad-stream HTTP/1.1\r\nHost: x\r\n\r\n')
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        assert b'first;' in data and not data.endswith(b'0\r\n\r\n')


def test_head_timeout_and_idle_timeout(server):
    with connect(server) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')  # never finishes the head
        status, headers, _, _ = read_response(s)
        assert status == 408 and is_closed(s)
    with connect(server) as s:  # trickling one byte at a time does not extend the deadline
        start = time.monotonic()
        with pytest.raises((EOFError, ConnectionResetError, BrokenPipeError)):
            for c in b'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + b'a' * 100:
                s.sendall(bytes([c]))
                time.sleep(0.05)
            read_response(s)
        assert time.monotonic() - start < 3
    with connect(server) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        read_response(s)
        assert is_closed(s, wait=3)  # idle keep-alive connection closed after idle_timeout
    with connect(server) as s:  # a client that connects and says nothing
        assert is_closed(s, wait=3)


def test_stalled_body_is_cut_off(server):
    with connect(server) as s:
        s.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc')
        assert is_closed(s, wait=3)


def test_slow_clients_do_not_block_others(server):
    slow = [connect(server) for _ in range(20)]
    try:
        for s in slow:
            s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')
        with httpx.Client() as client:
            start = time.monotonic()
            for _ in range(20):
                assert client.get(server.url + '/').text == 'hello'
            assert time.monotonic() - start < 5
    finally:
        for s in slow:
            s.close()


def test_concurrent_requests_run_concurrently():
    app = make_app()
    arrived = []
    events = []

    @app.route('/rendezvous')
    async def rendezvous(req):
        # answers only once all five requests are inside a handler at the same time
        if not events:
            events.append(asyncio.Event())  # created on the server's loop (Python 3.9)
        all_here = events[0]
        arrived.append(1)
        if len(arrived) == 5:
            all_here.set()
        try:
            await asyncio.wait_for(all_here.wait(), 10)
        except asyncio.TimeoutError:
            return 'alone'
        return 'together'

    results = []
    with LiveServer(app) as server:
        threads = [threading.Thread(target=lambda: results.append(
            httpx.get(server.url + '/rendezvous', timeout=20).text)) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == ['together'] * 5


def test_connection_cap_refuses_cleanly():
    app = make_app()
    app.max_connections = 2
    with LiveServer(app) as server:
        held = [connect(server) for _ in range(2)]
        time.sleep(0.2)
        with connect(server) as s:
            s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            status, headers, _, _ = read_response(s)
            assert status == 503 and headers['connection'] == 'close'
        for s in held:
            s.close()
        time.sleep(0.2)
        assert httpx.get(server.url + '/').text == 'hello'


def test_graceful_shutdown_finishes_in_flight_and_runs_hooks():
    app = make_app()
    events = []

    @app.on_startup
    async def started():
        events.append('startup')

    @app.on_shutdown
    def stopped():
        events.append('shutdown')

    @app.route('/stop')
    async def stop(req):
        req.app.shutdown()
        return 'stopping'

    server = LiveServer(app).start()
    assert events == ['startup']
    result = []
    t = threading.Thread(target=lambda: result.append(httpx.get(server.url + '/slow').text))
    t.start()
    time.sleep(0.1)
    assert httpx.get(server.url + '/stop').text == 'stopping'
    t.join()
    server._thread.join(5)
    assert result == ['slow']
    assert events == ['startup', 'shutdown']
    assert not server._thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + '/')


def test_sigterm_stops_a_real_process(tmp_path):
    script = tmp_path / 'app.py'
    script.write_text(
        'import sys\n'
        'from microdot import Microdot\n'
        'app = Microdot()\n'
        '@app.on_shutdown\n'
        'def bye():\n'
        '    print("shutdown hook ran", flush=True)\n'
        '@app.route("/")\n'
        'async def index(req):\n'
        '    return "up"\n'
        'app.run(host="127.0.0.1", port=int(sys.argv[1]))\n')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    import sys
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                assert httpx.get('http://127.0.0.1:%d/' % port).text == 'up'
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0 and b'shutdown hook ran' in out
    finally:
        proc.kill()


def test_tls(tmp_path):
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                    '-subj', '/CN=127.0.0.1', '-keyout', str(key), '-out', str(cert)],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    with LiveServer(make_app(), ssl=ctx) as server:
        assert server.url.startswith('https://')
        with httpx.Client(verify=False) as client:
            assert client.get(server.url + '/info').json() == {'scheme': 'https', 'version': '1.1'}
            assert client.get(server.url + '/').text == 'hello'


def test_start_server_without_serving():
    app = make_app()

    async def main():
        server = await app.start_server('127.0.0.1', 0, start_serving=False)
        assert not server.is_serving()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_response_write_compat():
    from microdot.microdot import AsyncBytesIO
    out = AsyncBytesIO(b'')

    async def main():
        await Response('hi', 201, {'X-A': 'b'}).write(out)

    asyncio.run(main())
    data = out.stream.getvalue()
    assert data.startswith(b'HTTP/1.1 201 Created\r\n') and data.endswith(b'\r\n\r\nhi')


def test_whole_head_over_max_head_size_in_one_read():
    app = make_app()
    app.max_head_size = 2048
    with LiveServer(app) as server, connect(server) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n' + b'X-Pad: ' + b'v' * 100 + b'\r\n' * 1
                  + b''.join(b'X-H%d: %s\r\n' % (i, b'v' * 100) for i in range(30)) + b'\r\n')
        assert read_response(s)[0] == 431


def test_chunked_body_over_the_limit_smuggles_nothing():
    app = make_app()
    app.max_content_length = 4096

    @app.post('/consume')
    async def consume(req):
        while await req.stream.read(1024):
            pass
        return 'consumed'

    hidden = b'0\r\n\r\nGET /info HTTP/1.1\r\nHost: x\r\n\r\n'
    with LiveServer(app) as server, connect(server) as s:
        s.sendall(b'POST /consume HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
                  b'f00\r\n' + b'a' * 0xf00 + b'\r\n'
                  b'800\r\n' + hidden + b'b' * (0x800 - len(hidden)) + b'\r\n0\r\n\r\n')
        status, headers, _, buf = read_response(s)
        assert status == 413
        assert is_closed(s) and b'scheme' not in buf


def test_no_100_continue_after_the_final_head():
    app = make_app()

    @app.post('/echo-stream')
    async def echo_stream(req):
        class Echo:
            def __aiter__(self):
                return self

            async def __anext__(self):
                data = await req.stream.read(1024)
                if not data:
                    raise StopAsyncIteration
                return data
        return Echo()

    with LiveServer(app) as server, connect(server) as s:
        s.sendall(b'POST /echo-stream HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n'
                  b'Expect: 100-continue\r\n\r\n')
        time.sleep(0.1)
        s.sendall(b'z' * 4000)  # the client gives up waiting for 100 and sends the body
        status, headers, body, _ = read_response(s)
        assert status == 200 and body == b'z' * 4000
        assert headers['connection'] == 'close'


def test_idle_async_stream_ends_when_the_client_leaves(capfd):
    app = make_app()
    state = {'finally': False, 'chunks': 0}

    @app.route('/forever')
    async def forever(req):
        async def gen():  # an async generator body: its aclose() must be awaited
            try:
                yield 'first\n'
                while True:
                    await asyncio.sleep(30)  # idle: nothing written that could fail
                    yield 'never\n'
            finally:
                state['finally'] = True
        return gen()

    with LiveServer(app) as server:
        with connect(server) as s:
            s.sendall(b'GET /forever HTTP/1.1\r\nHost: x\r\n\r\n')
            data = b''
            while b'first' not in data:
                data += s.recv(1000)
        deadline = time.monotonic() + 2
        while not state['finally'] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert state['finally']  # cancelled at once, not at the next write in 30 s
    assert 'failed' not in capfd.readouterr().err  # a client leaving is not an error


def test_shutdown_does_not_wait_for_taken_over_connections():
    app = make_app()

    @app.route('/takeover')
    async def takeover(req):
        reader, writer = req.sock
        writer.read_timeout = 0  # a long-lived takeover (e.g. an idle WebSocket)
        await writer.awrite(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n')
        await reader.read(1)  # waits forever for the client
        return Response.already_handled

    server = LiveServer(app).start()
    s = connect(server)
    s.sendall(b'GET /takeover HTTP/1.1\r\nHost: x\r\n\r\n')
    assert s.recv(100).startswith(b'HTTP/1.1 200')
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 3
    s.close()
