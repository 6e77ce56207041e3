"""Black-box conformance of the core over real sockets: routing, bodies, errors, and the built-in
server's HTTP/1.1 (keep-alive, pipelining, framing, limits, timeouts, smuggling defences).

Runs once per runtime (MICRODOT_TARGET). httpx covers what a well-behaved client does; rawhttp
covers what httpx would never send. The limits in force come from the server (``server.limits``).
"""
import socket
import threading
import time

import httpx
import pytest

from conftest import require_own_protocol
from rawhttp import ConnectionClosed, chunked, request_bytes

# A timeout test allows this much beyond the configured limit: the server checks its deadlines
# periodically, and a loaded CI machine is slow.
SLACK = 3.0

# a request hidden where a body should be: it must never be answered
SMUGGLED = b'GET /core/int/666 HTTP/1.1\r\nHost: x\r\n\r\n'


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


@pytest.fixture
def own_protocol(server):
    require_own_protocol(server)


def assert_clean_error(res, status):
    """A refusal: the expected status, a short plain body, no traceback on the wire."""
    assert res.status == status, res
    assert b'Traceback' not in res.body and b'File "' not in res.body, res.body


# --- routes, bodies, errors (any runtime) ---------------------------------------------------------

def test_hello(client):
    res = client.get('/')
    assert res.status_code == 200
    assert res.text == 'Hello, World!'
    assert res.http_version == 'HTTP/1.1'
    assert res.headers['content-type'].startswith('text/plain')
    assert res.headers['content-length'] == '13'


def test_json_response(client):
    res = client.get('/core/json')
    assert res.status_code == 200
    assert res.headers['content-type'].startswith('application/json')
    assert res.json() == {'hello': 'world', 'list': [1, 2, 3]}


def test_request_as_the_app_sees_it(client):
    res = client.get('/core/request?a=1&b=two&a=3&sp=x+y%20z', headers={'X-Custom': 'Value'})
    info = res.json()
    assert info['method'] == 'GET'
    assert info['path'] == '/core/request'
    assert info['args'] == {'a': ['1', '3'], 'b': ['two'], 'sp': ['x y z']}
    assert info['http_version'] == '1.1'
    assert info['scheme'] == 'http'
    headers = dict((k.lower(), v) for k, v in info['headers'].items())
    assert headers['x-custom'] == 'Value'


@pytest.mark.parametrize('code', [200, 201, 202, 400, 403, 418, 500, 503])
def test_status_codes(client, code):
    res = client.get('/core/status/{}'.format(code))
    assert res.status_code == code
    assert res.text == 'status {}'.format(code)


def test_none_gives_204_without_body(raw):
    raw.send(request_bytes('GET', '/core/empty'))
    res = raw.read_response()
    assert res.status == 204
    assert res.header('Content-Length') is None
    assert res.header('Transfer-Encoding') is None
    raw.send(request_bytes('GET', '/core/text'))
    assert raw.read_response().body == b'hello'  # nothing was left on the wire after the 204


def test_routing_arguments(client):
    assert client.get('/core/path/a/b/c.txt').json() == {'rest': 'a/b/c.txt'}
    assert client.get('/core/int/-42').json() == {'n': -42}
    assert client.get('/core/int/forty').status_code == 404


def test_not_found(client):
    res = client.get('/no/such/route')
    assert res.status_code == 404
    assert 'Traceback' not in res.text


def test_method_not_allowed_lists_allowed_methods(client):
    res = client.get('/core/post-only')
    assert res.status_code == 405
    allow = [m.strip() for m in res.headers['allow'].split(',')]
    assert 'POST' in allow and 'GET' not in allow
    res = client.delete('/core/get-put')
    assert res.status_code == 405
    allow = [m.strip() for m in res.headers['allow'].split(',')]
    assert 'GET' in allow and 'PUT' in allow and 'DELETE' not in allow


def test_automatic_options(client):
    res = client.options('/core/get-put')
    assert res.status_code == 200
    allow = [m.strip() for m in res.headers['allow'].split(',')]
    assert 'GET' in allow and 'PUT' in allow


def test_custom_response_headers(client):
    res = client.get('/core/headers')
    assert res.headers['x-one'] == '1'
    assert res.headers['x-two'] == 'two'


def test_date_header(client):
    # RFC 9110 6.6.1: an origin server with a clock sends Date
    assert client.get('/').headers['date'].endswith(' GMT')


def test_redirect(client):
    res = client.get('/core/redirect')
    assert res.status_code == 302
    assert res.headers['location'] == '/core/text'
    assert client.get('/core/redirect', follow_redirects=True).text == 'hello'


def test_abort(client):
    res = client.get('/core/abort/403')
    assert res.status_code == 403
    res = client.get('/core/abort-reason')
    assert res.status_code == 406
    assert res.text == 'Not acceptable here'


def test_unhandled_exception_is_a_clean_500(client):
    res = client.get('/core/error')
    assert res.status_code == 500
    assert res.text == 'Internal server error'
    assert 'ValueError' not in res.text


def test_exception_handler(client):
    res = client.get('/core/handled-error')
    assert res.status_code == 418
    assert res.json() == {'error': 'handled'}


def test_set_and_send_cookies(client):
    res = client.get('/core/set-cookies')
    cookies = res.headers.get_list('set-cookie')
    assert len(cookies) == 2
    assert cookies[0] == 'plain=one'
    assert cookies[1].startswith('scoped=two; Path=/core')
    assert 'HttpOnly' in cookies[1] and 'Max-Age=60' in cookies[1]
    res = client.get('/core/cookies', headers={'Cookie': 'a=1; b=two'})
    assert res.json() == {'cookies': {'a': '1', 'b': 'two'}}


def test_delete_cookie(client):
    cookie = client.get('/core/delete-cookie').headers['set-cookie']
    assert cookie.startswith('plain=;')
    assert 'Max-Age=0' in cookie and '1970' in cookie


def test_post_echo(client):
    res = client.post('/core/echo', content=b'some bytes', headers={'Content-Type': 'text/x-demo'})
    assert res.status_code == 200
    assert res.content == b'some bytes'
    assert res.headers['content-type'] == 'text/x-demo'
    assert res.headers['x-content-length'] == '10'


@pytest.mark.parametrize('method', ['PUT', 'PATCH', 'DELETE'])
def test_other_methods_with_body(client, method):
    res = client.request(method, '/core/echo', content=b'payload')
    assert res.content == b'payload'
    assert res.headers['x-method'] == method


def test_json_and_form_bodies(client):
    assert client.post('/core/echo-json', json={'a': [1, 2]}).json() == {'json': {'a': [1, 2]}}
    res = client.post('/core/echo-form', data={'x': '1', 'y': 'a b'})
    assert res.json() == {'form': {'x': ['1'], 'y': ['a b']}}


def test_invalid_json_is_400(client):
    res = client.post('/core/echo-json', content=b'{not json',
                      headers={'Content-Type': 'application/json'})
    assert res.status_code == 400


def test_large_body_is_streamed(client, server):
    # larger than max_body_length, within max_content_length: the app reads it from request.stream
    size = server.limits['max_content_length'] - 100
    assert size > server.limits['max_body_length']
    data = bytes(range(256)) * (size // 256)
    res = client.post('/core/echo-stream', content=data)
    assert res.status_code == 200
    assert res.content == data
    # and request.body is not filled with it
    res = client.post('/core/echo', content=data)
    assert res.status_code == 200
    assert res.content == b''
    assert res.headers['x-content-length'] == str(len(data))


def test_large_response(client):
    # in memory (kept small for a MicroPython heap), then streamed from one buffer (1 MiB)
    res = client.get('/core/big?size=16000')
    assert res.content == b'x' * 16000
    res = client.get('/core/blocks?n=64&size=16384')
    assert res.content == b'b' * (64 * 16384)


def test_streamed_response(client):
    res = client.get('/core/stream?n=20')
    assert res.text == ''.join('line {}\n'.format(i) for i in range(20))
    res = client.get('/core/async-stream?n=4&delay=0.05')
    assert res.text == ''.join('line {}\n'.format(i) for i in range(4))


def test_body_too_large_is_413(client, server):
    data = b'x' * (server.limits['max_content_length'] + 1)
    res = client.post('/core/echo-stream', content=data)
    assert res.status_code == 413


def test_client_address(client):
    host, port = client.get('/core/request').json()['client_addr']
    assert host == '127.0.0.1'
    assert isinstance(port, int) and port > 0


def test_keep_alive_with_httpx(client):
    # the same client connection (same client port) serves consecutive requests
    first = client.get('/core/request').json()['client_addr']
    second = client.get('/core/request').json()['client_addr']
    assert first == second
    assert first[1] > 0


def test_concurrent_requests(server):
    results = []

    def fetch(i):
        with httpx.Client(base_url=server.url, timeout=20) as c:
            for _ in range(5):
                res = c.get('/core/int/{}'.format(i))
                results.append(res.status_code == 200 and res.json() == {'n': i})

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [True] * 40


# --- HTTP/1.1 connection management (microdot's own server) ---------------------------------------

def test_keep_alive_two_requests_on_one_connection(own_protocol, raw):
    for path, body in (('/', b'Hello, World!'), ('/core/text', b'hello')):
        raw.send(request_bytes('GET', path))
        res = raw.read_response()
        assert res.version == 'HTTP/1.1'
        assert res.status == 200
        assert res.body == body
        assert (res.header('Connection') or '').lower() != 'close'
    assert not raw.is_closed(0.2)


def test_connection_close(own_protocol, raw):
    raw.send(request_bytes('GET', '/core/text', [('Connection', 'close')]))
    res = raw.read_response()
    assert res.status == 200 and res.body == b'hello'
    assert res.header('Connection').lower() == 'close'
    assert raw.is_closed()


def test_http10_closes_by_default(own_protocol, raw):
    raw.send(request_bytes('GET', '/core/text', version='HTTP/1.0'))
    res = raw.read_response()
    assert res.status == 200 and res.body == b'hello'
    assert raw.is_closed()


def test_http10_keep_alive_on_request(own_protocol, raw):
    for _ in range(2):
        raw.send(request_bytes('GET', '/core/text', [('Connection', 'keep-alive')],
                               version='HTTP/1.0'))
        res = raw.read_response()
        assert res.status == 200 and res.body == b'hello'
        assert res.header('Connection').lower() == 'keep-alive'


def test_http10_streamed_response_ends_with_close(own_protocol, raw):
    # an HTTP/1.0 client knows no chunked coding: the body ends when the connection closes
    raw.send(request_bytes('GET', '/core/stream?n=3', [('Connection', 'keep-alive')],
                           version='HTTP/1.0'))
    res = raw.read_response()
    assert res.status == 200
    assert not res.chunked
    assert res.body == b'line 0\nline 1\nline 2\n'


def test_http11_without_host_is_400(own_protocol, raw):
    # RFC 9112 3.2: a server responds 400 to an HTTP/1.1 request without Host
    raw.send(b'GET /core/text HTTP/1.1\r\n\r\n')
    assert_clean_error(raw.read_response(), 400)


def test_pipelined_requests_answered_in_order(own_protocol, raw):
    raw.send(request_bytes('GET', '/core/int/1') + request_bytes('POST', '/core/echo', body=b'two')
             + request_bytes('GET', '/core/int/3'))
    assert raw.read_response().body == b'{"n": 1}'
    assert raw.read_response().body == b'two'
    assert raw.read_response().body == b'{"n": 3}'


def test_pipelined_slow_request_keeps_order(own_protocol, raw):
    raw.send(request_bytes('GET', '/core/sleep?s=0.3') + request_bytes('GET', '/core/text'))
    assert raw.read_response().body == b'slept'
    assert raw.read_response().body == b'hello'


def test_streamed_response_is_chunked_on_http11(own_protocol, raw):
    raw.send(request_bytes('GET', '/core/stream?n=3'))
    res = raw.read_response()
    assert res.status == 200
    assert res.chunked
    assert res.header('Content-Length') is None
    assert res.body == b'line 0\nline 1\nline 2\n'
    raw.send(request_bytes('GET', '/core/text'))  # and the connection stays usable
    assert raw.read_response().body == b'hello'


def test_streamed_response_with_declared_length(own_protocol, raw):
    raw.send(request_bytes('GET', '/core/stream-length'))
    res = raw.read_response()
    assert not res.chunked
    assert res.header('Content-Length') == str(len(res.body))
    assert res.body == b''.join(b'line %d\n' % i for i in range(5))


def test_failing_stream_is_not_terminated_as_complete(own_protocol, raw):
    # a body that breaks half-way must not look complete to the client: no final 0-chunk
    raw.send(request_bytes('GET', '/core/stream-error'))
    with pytest.raises((ConnectionClosed, ValueError)):
        raw.read_response()


@pytest.mark.parametrize('path', ['/core/text', '/core/stream?n=3', '/core/big?size=10000'])
def test_head_has_no_body(own_protocol, raw, path):
    raw.send(request_bytes('HEAD', path))
    res = raw.read_response(method='HEAD')
    assert res.status == 200
    if path == '/core/text':
        assert res.header('Content-Length') == '5'
    # any body bytes sent after the head would be read as the start of this next response
    raw.send(request_bytes('GET', '/core/text'))
    res = raw.read_response()
    assert res.status == 200 and res.body == b'hello'


def test_chunked_request_body(own_protocol, raw):
    raw.send(request_bytes('POST', '/core/echo', [('Transfer-Encoding', 'chunked')],
                           body=chunked(b'hello ', b'chunked ', b'world')))
    res = raw.read_response()
    assert res.status == 200
    assert res.body == b'hello chunked world'
    raw.send(request_bytes('GET', '/core/text'))
    assert raw.read_response().body == b'hello'


def test_chunked_request_with_extensions_and_trailers(own_protocol, raw):
    body = b'5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n'
    raw.send(request_bytes('POST', '/core/echo', [('Transfer-Encoding', 'chunked')], body=body))
    res = raw.read_response()
    assert res.status == 200
    assert res.body == b'hello world'
    raw.send(request_bytes('GET', '/core/text'))
    assert raw.read_response().body == b'hello'


def test_large_chunked_request_is_streamed(own_protocol, raw, server):
    piece = bytes(range(256)) * 16  # 4 KiB
    count = (server.limits['max_content_length'] - 1024) // len(piece)
    assert len(piece) * count > server.limits['max_body_length']
    raw.send(request_bytes('POST', '/core/echo-stream', [('Transfer-Encoding', 'chunked')],
                           body=chunked(*([piece] * count))))
    res = raw.read_response()
    assert res.status == 200
    assert res.body == piece * count


def test_chunked_request_over_limit_is_413(own_protocol, raw, server):
    piece = b'x' * 4096
    count = server.limits['max_content_length'] // len(piece) + 2
    raw.send(request_bytes('POST', '/core/consume', [('Transfer-Encoding', 'chunked')],
                           body=chunked(*([piece] * count))))
    assert_clean_error(raw.read_response(), 413)
    assert raw.is_closed()


def test_chunked_request_over_limit_smuggles_nothing(own_protocol, raw, server):
    # the chunk that crosses max_content_length carries what looks like the end of the body and
    # a second request: once the body is refused, none of its bytes may be read as a request
    limit = server.limits['max_content_length']
    first = b'a' * (limit - 1000)
    hidden = b'0\r\n\r\n' + SMUGGLED
    second = hidden + b'z' * (2000 - len(hidden))
    body = b'%x\r\n' % len(first) + first + b'\r\n' + b'%x\r\n' % len(second) + second \
        + b'\r\n0\r\n\r\n'
    raw.send(request_bytes('POST', '/core/consume', [('Transfer-Encoding', 'chunked')], body=body))
    assert_clean_error(raw.read_response(), 413)
    assert raw.is_closed(), 'the connection was kept after a refused chunked body'


def test_chunked_request_over_limit_while_streaming_breaks_off(own_protocol, raw, server):
    # the handler already answers while it reads: the response cannot become a 413, so it
    # must break off rather than look complete
    piece = b'x' * 4096
    count = server.limits['max_content_length'] // len(piece) + 2
    raw.send(request_bytes('POST', '/core/echo-stream', [('Transfer-Encoding', 'chunked')],
                           body=chunked(*([piece] * count))))
    try:
        res = raw.read_response()
    except ConnectionClosed:
        return
    assert res.status == 413, 'a chunked body over max_content_length was echoed whole'


def test_expect_100_continue(own_protocol, raw):
    raw.send(request_bytes('POST', '/core/echo', [('Expect', '100-continue'),
                                                   ('Content-Length', '4')]))
    interim = raw.read_response()
    assert interim.status == 100
    raw.send(b'data')
    res = raw.read_response()
    assert res.status == 200 and res.body == b'data'


def test_expect_100_continue_streamed_body(own_protocol, raw, server):
    # a handler that streams its answer while it reads the body. The client behaves like curl:
    # it waits a second for the 100, then sends the body anyway (RFC 9110 10.1.1). Either way
    # no 1xx may come after the final head, and the whole body must be echoed.
    data = b'y' * (server.limits['max_body_length'] + 10)
    raw.send(request_bytes('POST', '/core/echo-stream', [
        ('Expect', '100-continue'), ('Content-Length', str(len(data)))]))
    raw.sock.settimeout(1.0)
    try:
        raw._recv()
    except socket.timeout:
        pass
    raw.sock.settimeout(raw.timeout)
    if raw.buf.startswith(b'HTTP/1.1 100 '):
        assert raw.read_response().status == 100
    raw.send(data)
    res = raw.read_response()
    assert res.status == 200 and res.body == data


def test_expect_100_continue_refused_body_gets_no_100(own_protocol, raw, server):
    too_big = server.limits['max_content_length'] + 1
    raw.send(request_bytes('POST', '/core/echo', [('Expect', '100-continue'),
                                                   ('Content-Length', str(too_big))]))
    res = raw.read_response()
    assert_clean_error(res, 413)


def test_expect_100_continue_body_not_read_by_handler(own_protocol, raw, server):
    # a body larger than max_body_length that the handler ignores: the server may answer at once
    # without a 100 (then, as the client may or may not send the body now, it must not reuse
    # the connection), or send 100 and read the body
    size = server.limits['max_body_length'] + 100
    raw.send(request_bytes('POST', '/core/post-only', [('Expect', '100-continue'),
                                                        ('Content-Length', str(size))]))
    res = raw.read_response()
    if res.status == 100:
        raw.send(b'b' * size)
        res = raw.read_response()
        assert res.status == 200 and res.body == b'posted'
    else:
        assert res.status == 200 and res.body == b'posted'
        assert raw.is_closed()


def test_unknown_expectation_is_417(own_protocol, raw):
    raw.send(request_bytes('POST', '/core/echo', [('Expect', 'something-else')], body=b'x'))
    assert_clean_error(raw.read_response(), 417)


def test_unread_small_body_is_skipped_for_next_request(own_protocol, raw):
    # a handler that ignores a body: the body must not be parsed as the next request
    raw.send(request_bytes('POST', '/core/post-only', body=b'GET /core/text HTTP/1.1\r\n\r\n'))
    assert raw.read_response().body == b'posted'
    raw.send(request_bytes('GET', '/core/int/7'))
    assert raw.read_response().body == b'{"n": 7}'


# --- limits -----------------------------------------------------------------------------------------

def test_request_line_too_long_is_414(own_protocol, raw, server):
    path = '/core/text?' + 'a' * server.limits['max_request_line']
    raw.send(request_bytes('GET', path))
    assert_clean_error(raw.read_response(), 414)
    assert raw.is_closed()


def test_request_line_at_limit_is_served(own_protocol, raw, server):
    line = 'GET /core/text?{} HTTP/1.1'
    pad = server.limits['max_request_line'] - len(line.format(''))
    raw.send(request_bytes('GET', '/core/text?' + 'a' * pad))
    assert raw.read_response().status == 200


def test_header_line_too_long_is_431(own_protocol, raw, server):
    raw.send(request_bytes('GET', '/core/text', [('X-Long', 'v' * server.limits['max_readline'])]))
    assert_clean_error(raw.read_response(), 431)
    assert raw.is_closed()


def test_head_too_large_is_431(own_protocol, raw, server):
    limits = server.limits
    count = limits['max_headers'] - 2
    size = min(limits['max_readline'] - 20, limits['max_head_size'] // count + 50)
    assert count * size > limits['max_head_size']
    headers = [('X-H{}'.format(i), 'v' * size) for i in range(count)]
    raw.send(request_bytes('GET', '/core/text', headers))
    assert_clean_error(raw.read_response(), 431)
    assert raw.is_closed()


def test_too_many_headers_is_431(own_protocol, raw, server):
    headers = [('X-H{}'.format(i), 'v') for i in range(server.limits['max_headers'] + 1)]
    raw.send(request_bytes('GET', '/core/text', headers))
    assert_clean_error(raw.read_response(), 431)
    assert raw.is_closed()


def test_headers_at_limit_are_served(own_protocol, raw, server):
    headers = [('X-H{}'.format(i), 'v') for i in range(server.limits['max_headers'] - 1)]
    raw.send(request_bytes('GET', '/core/text', headers))  # plus Host
    assert raw.read_response().status == 200


def test_body_too_large_is_413_and_close(own_protocol, raw, server):
    too_big = server.limits['max_content_length'] + 1
    raw.send(request_bytes('POST', '/core/echo', [('Content-Length', str(too_big))]) + b'x' * 100)
    assert_clean_error(raw.read_response(), 413)
    # the rest of that body is not read: the connection cannot be trusted for another request
    assert raw.is_closed()


def test_silent_client_is_closed_after_head_timeout(own_protocol, raw, server):
    # a connection that never sends anything; a 408 may be sent first
    start = time.monotonic()
    limit = server.limits['head_timeout'] + SLACK
    raw.sock.settimeout(limit)
    try:
        data = raw.sock.recv(4096)
    except Exception as exc:
        pytest.fail('connection still open after {}s ({!r})'.format(limit, exc))
    assert data == b'' or data.startswith(b'HTTP/1.1 408 ')
    assert time.monotonic() - start >= server.limits['head_timeout'] * 0.5


def test_partial_head_gets_408_or_close(own_protocol, raw, server):
    raw.send(b'GET /core/text HTTP/1.1\r\nHost: x\r\n')
    start = time.monotonic()
    raw.sock.settimeout(server.limits['head_timeout'] + SLACK)
    try:
        res = raw.read_response()
        assert_clean_error(res, 408)
    except ConnectionClosed:
        pass
    assert time.monotonic() - start >= server.limits['head_timeout'] * 0.5


def server_stepped_in(raw, timeout):
    """Whether the server answered 408 or closed the connection within ``timeout`` seconds."""
    raw.sock.settimeout(timeout)
    try:
        data = raw.sock.recv(65536)
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
    finally:
        raw.sock.settimeout(raw.timeout)
    if data:
        raw.buf += data
        assert_clean_error(raw.read_response(), 408)
        assert raw.is_closed()
    return True


def test_slowloris_head_is_cut_at_head_timeout(own_protocol, raw, server):
    # a byte at a time: the head timeout bounds the whole head, not each read
    head = request_bytes('GET', '/core/text', [('X-Pad', 'p' * 200)])
    start = time.monotonic()
    limit = server.limits['head_timeout'] + SLACK
    stepped_in = False
    for i in range(len(head) - 4):
        if time.monotonic() - start > limit:
            break
        try:
            raw.send(head[i:i + 1])
        except OSError:
            stepped_in = True
            break
        if server_stepped_in(raw, 0.1):
            stepped_in = True
            break
    else:
        pytest.fail('the whole head was trickled in without the server stepping in')
    stepped_in = stepped_in or server_stepped_in(raw, SLACK)
    assert stepped_in, 'slow head still open after {:.1f}s'.format(time.monotonic() - start)


def test_idle_keep_alive_connection_is_closed(own_protocol, raw, server):
    raw.send(request_bytes('GET', '/core/text'))
    assert raw.read_response().body == b'hello'
    idle = server.limits['idle_timeout']
    waited = raw.wait_closed(idle + SLACK)
    assert waited >= idle * 0.5


def test_stalled_body_is_cut_at_read_timeout(own_protocol, raw, server):
    raw.send(request_bytes('POST', '/core/echo', [('Content-Length', '100')]) + b'only ten!!')
    raw.sock.settimeout(server.limits['read_timeout'] + SLACK)
    try:
        res = raw.read_response()
        assert res.status in (400, 408), res
    except ConnectionClosed:
        pass


# --- smuggling and malformed framing: refused, and the connection closed ---------------------------

def assert_refused_and_closed(raw, statuses):
    res = raw.read_response()
    assert res.status in statuses, res
    assert_clean_error(res, res.status)
    # nothing after the refusal is answered: whatever followed on the wire is not a request
    assert raw.is_closed(), 'connection left open after {}'.format(res.status)


@pytest.mark.parametrize('headers', [
    [('Content-Length', '5'), ('Transfer-Encoding', 'chunked')],
    [('Transfer-Encoding', 'chunked'), ('Content-Length', '5')],
    [('Content-Length', '5'), ('Content-Length', '5')],
    [('Content-Length', '5'), ('Content-Length', '40')],
    [('Content-Length', '5, 5')],
    [('Content-Length', 'abc')],
    [('Content-Length', '-5')],
    [('Content-Length', '+5')],
    [('Content-Length', '0x5')],
    [('Content-Length', '5 5')],
    [('Content-Length', '99999999999999999999999999')],
], ids=['cl-te', 'te-cl', 'cl-twice-same', 'cl-twice-differ', 'cl-list', 'cl-alpha', 'cl-negative',
        'cl-plus', 'cl-hex', 'cl-space', 'cl-huge'])
def test_ambiguous_length_is_400(own_protocol, raw, headers):
    raw.send(request_bytes('POST', '/core/echo', headers) + b'0\r\n\r\n' + SMUGGLED)
    assert_refused_and_closed(raw, (400, 413))


@pytest.mark.parametrize('te', ['gzip', 'identity', 'chunked, gzip', 'gzip, chunked',
                                'xchunked', 'chunked, chunked'])
def test_unsupported_transfer_encoding(own_protocol, raw, te):
    raw.send(request_bytes('POST', '/core/echo', [('Transfer-Encoding', te)]) + b'0\r\n\r\n'
             + SMUGGLED)
    assert_refused_and_closed(raw, (400, 501))


def test_transfer_encoding_in_http10_is_400(own_protocol, raw):
    raw.send(request_bytes('POST', '/core/echo', [('Transfer-Encoding', 'chunked')],
                           version='HTTP/1.0') + chunked(b'abc') + SMUGGLED)
    assert_refused_and_closed(raw, (400,))


@pytest.mark.parametrize('raw_request', [
    b'GET /core/text HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n',
    b'GET /core/text HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n',
    b'GET /core/text HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n',
    b'GET /core/text HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n',
    b'GET /core/text HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n',
    b'GET /core/text HTTP/1.1\r\nHost: x\r\n: empty-name\r\n\r\n',
    b'GET /core/te\x00xt HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET  /core/text HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET /core/text\r\nHost: x\r\n\r\n',
    b'G(T /core/text HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET /core/text HTTP/1.1 extra\r\nHost: x\r\n\r\n',
    b'GET /core/text HTTX/1.1\r\nHost: x\r\n\r\n',
    b'GET core/text HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET /core/text HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n',
    b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + b'\x00' * 40 + b'\r\n\r\n',
], ids=['obs-fold', 'space-before-colon', 'bare-cr', 'nul-in-value', 'no-colon', 'empty-name',
        'nul-in-target', 'double-space', 'no-version', 'bad-method', 'four-parts', 'bad-protocol',
        'relative-target', 'two-hosts', 'tls-hello'])
def test_malformed_head_is_400(own_protocol, raw, raw_request):
    raw.send(raw_request + SMUGGLED)
    assert_refused_and_closed(raw, (400,))


def test_unsupported_http_version_is_505(own_protocol, raw):
    raw.send(b'GET /core/text HTTP/2.0\r\nHost: x\r\n\r\n')
    assert_refused_and_closed(raw, (505,))


@pytest.mark.parametrize('body', [
    b'zz\r\nhello\r\n0\r\n\r\n',
    b'5\r\nhelloXX0\r\n\r\n',
    b'ffffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n',
    b'-5\r\nhello\r\n0\r\n\r\n',
    b'0x5\r\nhello\r\n0\r\n\r\n',
], ids=['not-hex', 'no-crlf-after-data', 'huge-size', 'negative', 'hex-prefix'])
def test_malformed_chunked_body(own_protocol, raw, body):
    raw.send(request_bytes('POST', '/core/echo', [('Transfer-Encoding', 'chunked')], body=body)
             + SMUGGLED)
    assert_refused_and_closed(raw, (400, 413))


def test_body_cut_short_by_close_is_not_served(own_protocol, server):
    # the client announces 100 bytes, sends 10 and half-closes: the handler never sees a request
    with server.connect() as conn:
        conn.send(request_bytes('POST', '/core/echo', [('Content-Length', '100')]) + b'0123456789')
        conn.sock.shutdown(socket.SHUT_WR)
        try:
            res = conn.read_response()
            assert res.status == 400, res
        except ConnectionClosed:
            pass


# --- one client cannot hold up the others ----------------------------------------------------------

def test_slow_head_does_not_block_others(own_protocol, server, client):
    with server.connect() as slow:
        slow.send(b'GET /core/text HTTP/1.1\r\nHost: x\r\n')  # head not finished
        assert client.get('/core/int/5').json() == {'n': 5}
        slow.send(b'\r\n')
        assert slow.read_response().body == b'hello'


def test_slow_handler_does_not_block_others(server, client):
    done = []

    def sleeper():
        with httpx.Client(base_url=server.url, timeout=20) as c:
            done.append(c.get('/core/sleep?s=2').text)

    t = threading.Thread(target=sleeper)
    t.start()
    time.sleep(0.3)
    assert client.get('/core/text').text == 'hello'
    assert not done, 'a quick request waited for a sleeping handler'
    t.join(20)
    assert done == ['slept']


def test_client_that_does_not_read_does_not_block_others(own_protocol, server, client):
    with server.connect() as lazy:
        lazy.send(request_bytes('GET', '/core/blocks?n=1000&size=16384'))  # 16 MB, never read
        time.sleep(0.3)
        for i in range(3):
            assert client.get('/core/int/{}'.format(i)).json() == {'n': i}


def test_client_gone_mid_stream(own_protocol, server, client):
    with server.connect() as gone:
        gone.send(request_bytes('GET', '/core/async-stream?n=50&delay=0.02'))
        gone.sock.recv(100)
    time.sleep(0.3)
    assert client.get('/core/text').text == 'hello'
