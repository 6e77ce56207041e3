"""WebSocket through real servers with the ``websockets`` client: under uvicorn through
``request.ws_channel`` (the server frames messages), under gunicorn through ``request.sock`` (the
raw connection; the test app speaks just enough RFC 6455 to prove it)."""
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect


def ws_url(server, path):
    return server.url.replace('http://', 'ws://') + path


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_echo_text_and_binary(server):
    with connect(ws_url(server, '/ws/echo'), open_timeout=10) as ws:
        ws.send('hello')
        assert ws.recv(timeout=5) == 'hello'
        ws.send(b'\x00\x01\xff')
        assert ws.recv(timeout=5) == b'\x00\x01\xff'
        big = 'x' * 70000
        ws.send(big)
        assert ws.recv(timeout=5) == big


def test_subprotocol_is_negotiated(server):
    with connect(ws_url(server, '/ws/echo'), subprotocols=['other', 'chat'],
                 open_timeout=10) as ws:
        assert ws.subprotocol == 'chat'
        ws.send('x')
        assert ws.recv(timeout=5) == 'x'


def test_client_close_code_reaches_handler(server):
    reason = 'done-{}'.format(time.monotonic_ns())
    with connect(ws_url(server, '/ws/echo'), open_timeout=10) as ws:
        ws.send('ping')
        assert ws.recv(timeout=5) == 'ping'
        ws.close(4000, reason)
    expected = 'ws:4000:' + reason
    assert wait_for(lambda: expected in httpx.get(server.url + '/state').json()['cleaned'])


def test_server_close_code_reaches_client(server):
    with connect(ws_url(server, '/ws/echo'), open_timeout=10) as ws:
        ws.send('close please')
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd.code == 4001
    assert info.value.rcvd.reason == 'asked'


@pytest.mark.parametrize('path,status', [('/ws/refuse', 403), ('/ws/missing', 404)])
def test_refused_upgrade_gets_http_response(server, path, status):
    with pytest.raises(InvalidStatus) as info:
        with connect(ws_url(server, path), open_timeout=10):
            pass
    assert info.value.response.status_code == status


def test_http_still_served_while_websocket_open(server):
    with connect(ws_url(server, '/ws/echo'), open_timeout=10) as ws:
        assert httpx.get(server.url + '/').text == 'hello'
        ws.send('still here')
        assert ws.recv(timeout=5) == 'still here'


def test_abrupt_disconnect_is_abnormal_closure(server):
    if server.runtime != 'uvicorn':
        pytest.skip('under gunicorn the test app frames RFC 6455 itself (microdot-websocket '
                    'reports 1006 there; the conformance suite checks it)')
    import socket
    import struct
    with connect(ws_url(server, '/ws/echo'), open_timeout=10) as ws:
        ws.send('x')
        assert ws.recv(timeout=5) == 'x'
        sock = ws.socket
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        sock.close()  # a reset, no close frame
        try:
            ws.close()
        except Exception:
            pass
    assert wait_for(lambda: any(c.startswith('ws:1006:')
                                for c in httpx.get(server.url + '/state').json()['cleaned']))


def raw_websocket(server, path):
    """A raw TCP connection that completed a WebSocket handshake."""
    import socket
    sock = socket.create_connection((server.host, server.port), timeout=5)
    sock.sendall('GET {} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'
                 '\r\n'.format(path).encode())
    head = b''
    while b'\r\n\r\n' not in head:
        head += sock.recv(1)
    assert head.startswith(b'HTTP/1.1 101'), head
    return sock


def masked_frame(opcode, payload):
    mask = b'\x01\x02\x03\x04'
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + \
        bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def test_close_without_status_code_is_1005(server):
    if server.runtime != 'uvicorn':
        pytest.skip('checks the ASGI channel mapping')
    before = httpx.get(server.url + '/state').json()['cleaned'].count('ws:1005:')
    sock = raw_websocket(server, '/ws/echo')
    try:
        sock.sendall(masked_frame(8, b''))  # a close frame with no status code
        assert sock.recv(2)[0] == 0x88  # the server's close frame
    finally:
        sock.close()
    assert wait_for(lambda: httpx.get(server.url + '/state').json()['cleaned'].count('ws:1005:')
                    > before)
