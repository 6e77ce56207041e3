"""HTTP through real uvicorn and gunicorn processes: requests, bodies, streaming, files, HEAD,
disconnects and SSE. Each test runs once per server (the ``server`` fixture)."""
import hashlib
import json
import socket
import threading
import time

import httpx
import pytest
from httpx_sse import connect_sse


def test_hello(server):
    res = httpx.get(server.url + '/')
    assert res.status_code == 200
    assert res.text == 'hello'
    assert res.headers['content-type'] == 'text/plain; charset=UTF-8'
    assert res.headers['content-length'] == '5'


def test_sync_handler(server):
    assert httpx.get(server.url + '/sync').text == 'sync'


def test_request_mapping(server):
    res = httpx.get(server.url + '/info/a%20b/c%2Fd?x=1&y=%2B&x=2',
                    headers={'X-Custom-Thing': 'v1', 'Cookie': 'a=1; b=two'})
    info = res.json()
    assert info['rest'] == 'a b/c/d'  # arguments decoded by the core, as on the built-in server
    assert info['path'] == '/info/a%20b/c%2Fd'  # the path as sent
    assert info['url'] == '/info/a%20b/c%2Fd?x=1&y=%2B&x=2'
    assert info['args'] == {'x': ['1', '2'], 'y': ['+']}
    assert info['headers']['X-Custom-Thing'] == 'v1'
    assert info['cookies'] == {'a': '1', 'b': 'two'}
    assert info['scheme'] == 'http'
    assert info['client'][0] == '127.0.0.1'
    assert info['http_version'] == '1.1'
    assert info['method'] == 'GET'


def test_unknown_route_and_method(server):
    assert httpx.get(server.url + '/nope').status_code == 404
    res = httpx.put(server.url + '/echo')
    assert res.status_code == 405
    assert 'POST' in res.headers['allow']


def test_small_body_in_memory(server):
    data = b'x' * 1000
    info = httpx.post(server.url + '/echo', content=data).json()
    assert info == {'in_memory': True, 'size': 1000, 'sha': hashlib.sha256(data).hexdigest()}


def test_large_body_streamed(server):
    data = bytes(range(256)) * 200  # 51200: above max_body_length, below max_content_length
    info = httpx.post(server.url + '/echo', content=data).json()
    assert info == {'in_memory': False, 'size': len(data),
                    'sha': hashlib.sha256(data).hexdigest()}


def test_body_over_limit_is_413(server):
    res = httpx.post(server.url + '/echo', content=b'x' * (64 * 1024 + 1))
    assert res.status_code == 413


def chunks(data, size):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_small_chunked_upload_in_memory(server):
    data = b'abc' * 100
    res = httpx.post(server.url + '/echo', content=chunks(data, 7))
    assert res.json() == {'in_memory': True, 'size': 300,
                          'sha': hashlib.sha256(data).hexdigest()}


def test_large_chunked_upload_streamed(server):
    data = bytes(range(256)) * 100
    res = httpx.post(server.url + '/echo', content=chunks(data, 1000))
    assert res.json() == {'in_memory': False, 'size': len(data),
                          'sha': hashlib.sha256(data).hexdigest()}


def test_chunked_upload_over_limit_is_413(server):
    res = httpx.post(server.url + '/echo', content=chunks(b'y' * (70 * 1024), 4096))
    assert res.status_code == 413


def test_stream_readline(server):
    text = ''.join('line {}\n'.format(i) for i in range(200)) + 'last'
    res = httpx.post(server.url + '/lines', content=text.encode())
    assert res.json() == text.splitlines(True)


def test_streamed_response(server):
    with httpx.stream('GET', server.url + '/stream/5') as res:
        assert res.headers.get('transfer-encoding') == 'chunked'
        got = [line for line in res.iter_lines()]
    assert got == ['chunk {}'.format(i) for i in range(1, 6)]


def test_str_chunks_are_encoded(server):
    res = httpx.get(server.url + '/strchunks')
    assert res.content == 'caf\u00e9 na\u00efve \u2603'.encode()


def test_file(server, data_file):
    res = httpx.get(server.url + '/file')
    with open(data_file, 'rb') as f:
        expected = f.read()
    assert res.status_code == 200
    assert res.headers['content-length'] == str(len(expected))
    assert res.content == expected


def raw_exchange(server, request, wait=1.0):
    """Send raw bytes, read until the server closes or ``wait`` passes in silence."""
    with socket.create_connection((server.host, server.port), timeout=wait) as s:
        s.sendall(request)
        data = b''
        while True:
            try:
                more = s.recv(65536)
            except socket.timeout:
                break
            if not more:
                break
            data += more
    return data


@pytest.mark.parametrize('path', ['/', '/stream/3', '/file'])
def test_head_has_no_body(server, path):
    data = raw_exchange(server, 'HEAD {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
                        .format(path).encode())
    head, _, body = data.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 200')
    assert body == b''


def test_cookies_are_separate_headers(server):
    res = httpx.get(server.url + '/cookie')
    assert res.headers.get_list('set-cookie') == ['a=1; HttpOnly', 'b=2']


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_client_disconnect_stops_stream_and_cleans_up(server):
    tag = 'gone-{}'.format(time.monotonic_ns())
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall('GET /forever/{} HTTP/1.1\r\nHost: x\r\n\r\n'.format(tag).encode())
        data = b''
        while b'tick' not in data:
            data += s.recv(4096)
    assert wait_for(lambda: tag in httpx.get(server.url + '/state').json()['cleaned'])


def test_client_disconnect_ends_an_idle_stream(server):
    # the stream has nothing more to send: only watching the connection can notice the client left
    tag = 'idle-{}'.format(time.monotonic_ns())
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall('GET /idle/{} HTTP/1.1\r\nHost: x\r\n\r\n'.format(tag).encode())
        data = b''
        while b'first' not in data:
            data += s.recv(4096)
    assert wait_for(lambda: tag in httpx.get(server.url + '/state').json()['cleaned'])


def test_sse_streams_event_by_event(server):
    tag = 'sse-{}'.format(time.monotonic_ns())
    with httpx.Client(timeout=10) as client:
        with connect_sse(client, 'GET', server.url + '/events/' + tag) as source:
            assert source.response.headers['content-type'] == 'text/event-stream'
            events = source.iter_sse()
            first = next(events)
            assert (first.event, first.data) == ('first', 'one')
            # the second event exists only after this request: it cannot have been buffered
            assert httpx.post(server.url + '/release/' + tag).text == 'ok'
            second = next(events)
            assert (second.event, second.id, json.loads(second.data)) == \
                ('message', '2', {'n': 2})
            assert list(events) == []


def test_concurrent_async_requests(server):
    results = {}

    def get(i):
        results[i] = httpx.get(server.url + '/slow/{}'.format(i), timeout=20).text

    threads = [threading.Thread(target=get, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: str(i) for i in range(8)}


def test_startup_ran_once_before_requests(server):
    assert httpx.get(server.url + '/state').json()['started'] == 1


def test_wsgi_file_wrapper_is_used_for_files(data_file):
    # in process, with the stdlib's WSGI helpers: a file body is handed to wsgi.file_wrapper
    from wsgiref.util import FileWrapper, setup_testing_defaults
    from microdot import Microdot, send_file
    from microdot.wsgi import WSGI

    app = Microdot()

    @app.get('/f')
    async def f(request):
        return send_file(data_file)

    environ = {'PATH_INFO': '/f', 'wsgi.file_wrapper': FileWrapper}
    setup_testing_defaults(environ)
    status = []
    body = WSGI(app)(environ, lambda s, h: status.append((s, h)))
    try:
        assert isinstance(body, FileWrapper)
        assert status[0][0] == '200 OK'
        with open(data_file, 'rb') as expected:
            assert b''.join(body) == expected.read()
    finally:
        body.close()


def test_upgrade_request_answered_with_plain_http(server):
    # the route does not take the connection over: the server sends the response as usual, and
    # the connection stays usable
    with httpx.Client(timeout=10) as client:
        res = client.get(server.url + '/upgrade-but-http',
                         headers={'Upgrade': 'h2c', 'Connection': 'Upgrade'})
        assert res.status_code == 200
        assert res.content == b'u' * (32 * 1024 * 1024)
        assert client.get(server.url + '/').text == 'hello'


def test_header_injection_is_refused(server):
    res = httpx.get(server.url + '/header/bad')
    assert res.status_code == 500
    assert 'injected' not in res.headers
    assert b'Traceback' not in res.content


def test_non_ascii_header_is_utf8_as_on_the_builtin_server(server):
    res = httpx.get(server.url + '/header/utf8')
    raw = dict(res.headers.raw)
    assert raw[b'x-name' if b'x-name' in raw else b'X-Name'] == 'caf\u00e9 \u2603'.encode()
