"""The real ``websockets`` client library against the built-in server on a real socket."""
import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed as ClientConnectionClosed
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from conftest import wait_for, ws_url


def client(live, path, **kwargs):
    kwargs.setdefault('max_size', None)
    kwargs.setdefault('proxy', None)
    kwargs.setdefault('open_timeout', 5)
    kwargs.setdefault('close_timeout', 5)
    return connect(ws_url(live, path), **kwargs)


@pytest.mark.parametrize('size', [0, 1, 125, 126, 127, 65535, 65536, 64 * 1024 + 1, 1024 * 1024])
def test_echo_binary_sizes(live, size):
    payload = bytes(i % 251 for i in range(size))
    with client(live, '/echo') as ws:
        ws.send(payload)
        assert ws.recv(timeout=10) == payload


@pytest.mark.parametrize('size', [0, 125, 126, 64 * 1024, 1024 * 1024])
def test_echo_text_sizes(live, size):
    text = ('héllo wörld ✓ ' * (size // 10 + 1))[:size]
    with client(live, '/echo') as ws:
        ws.send(text)
        assert ws.recv(timeout=10) == text


def test_many_messages_keep_order(live):
    with client(live, '/echo') as ws:
        for i in range(200):
            ws.send('message {}'.format(i))
        for i in range(200):
            assert ws.recv(timeout=5) == 'message {}'.format(i)


def test_fragmented_messages_are_reassembled(live):
    with client(live, '/echo') as ws:
        ws.send(['frag', 'ment', 'ed ✓'])
        assert ws.recv(timeout=5) == 'fragmented ✓'
        ws.send([b'\x00\x01', b'', b'\x02' * 70000])
        assert ws.recv(timeout=5) == b'\x00\x01' + b'\x02' * 70000


def test_client_ping_is_answered(live):
    with client(live, '/echo') as ws:
        pong = ws.ping(b'payload')
        assert pong.wait(5)
        ws.send('still open')
        assert ws.recv(timeout=5) == 'still open'


def test_pings_answered_while_the_app_only_sends(live):
    with client(live, '/sender?n=40&delay=0.02', ping_interval=None) as ws:
        assert ws.recv(timeout=5) == '0'
        pongs = [ws.ping(str(i).encode()) for i in range(5)]
        for pong in pongs:
            assert pong.wait(2), 'a ping went unanswered while the app was only sending'
        received = [ws.recv(timeout=5) for _ in range(40)]
        assert received[-1] == 'done'


def test_server_ping_and_pong(live):
    # the client library answers the server's ping by itself; the echo proves the stream is fine
    with client(live, '/ping') as ws:
        ws.send('after ping')
        assert ws.recv(timeout=5) == 'after ping'


def test_send_from_another_task_while_receive_is_pending(live):
    with client(live, '/websocket/concurrent') as ws:
        ticks = [ws.recv(timeout=5) for _ in range(5)]
        assert ticks == ['tick {}'.format(i) for i in range(5)]
        ws.send('hello')
        assert ws.recv(timeout=5) == 'got hello'


@pytest.mark.parametrize('code', [1000, 1001, 1008, 3000, 4999])
def test_server_close_code_and_reason(live, code):
    with client(live, '/websocket/close/{}'.format(code)) as ws:
        ws.send('alice')
        with pytest.raises(ClientConnectionClosed) as info:
            ws.recv(timeout=5)
        assert info.value.rcvd.code == code
        assert info.value.rcvd.reason == 'bye alice'


@pytest.mark.parametrize('code,reason', [(1000, ''), (1001, 'going away'), (4000, 'custom ✓')])
def test_client_close_code_reaches_the_handler(live, code, reason):
    live.app.state['ended'].clear()
    with client(live, '/echo') as ws:
        ws.send('x')
        assert ws.recv(timeout=5) == 'x'
        ws.close(code, reason)
        # the server echoes the code (RFC 6455 5.5.1)
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == code
    assert wait_for(lambda: live.app.state['ended'])
    assert live.app.state['ended'][-1] == {'route': 'echo', 'how': 'returned', 'close_code': code}


def test_receive_and_send_after_close_raise_connection_closed(live):
    with client(live, '/after-close') as ws:
        ws.close(4321, 'done')
    assert wait_for(lambda: 'after_close' in live.app.state)
    assert live.app.state['after_close'] == ['ConnectionClosed', 4321, 'done',
                                             'ConnectionClosed', 4321]


def test_handler_exception_closes_with_1011(live, capfd):
    with client(live, '/error') as ws:
        ws.send('boom')
        with pytest.raises(ClientConnectionClosed) as info:
            ws.recv(timeout=5)
        assert info.value.rcvd.code == 1011
    assert wait_for(lambda: 'handler bug' in capfd.readouterr().err, 2)


def test_message_over_the_route_limit_closes_with_1009(live):
    with client(live, '/websocket/small') as ws:
        ws.send(b'x' * 1000)
        assert ws.recv(timeout=5) == b'x' * 1000
        ws.send(b'x' * 1001)
        with pytest.raises(ClientConnectionClosed) as info:
            ws.recv(timeout=5)
        assert info.value.rcvd.code == 1009


def test_message_over_the_limit_in_fragments_closes_with_1009(live):
    with client(live, '/websocket/small') as ws:
        with pytest.raises(ClientConnectionClosed) as info:
            # the close may arrive while the second fragment is being sent
            ws.send([b'x' * 600, b'y' * 600])
            ws.recv(timeout=5)
        assert info.value.rcvd.code == 1009


def test_huge_message_is_refused_without_being_read(live):
    # 3 MiB against the app's 2 MiB cap: refused from the header, the close still arrives
    with client(live, '/echo') as ws:
        with pytest.raises(ClientConnectionClosed) as info:
            ws.send(b'z' * (3 * 1024 * 1024))
            ws.recv(timeout=5)
        assert info.value.rcvd.code == 1009


def test_subprotocol_negotiation(live):
    with client(live, '/websocket/info', subprotocols=['chat.v1', 'chat.v2'],
                origin='https://x.example') as ws:
        assert ws.subprotocol == 'chat.v2'  # the server's preference wins
        assert ws.recv(timeout=5) == 'chat.v2|https://x.example'
    with client(live, '/websocket/info', subprotocols=['chat.v1']) as ws:
        assert ws.subprotocol == 'chat.v1'
        assert ws.recv(timeout=5) == 'chat.v1|None'
    with client(live, '/websocket/info') as ws:
        assert ws.subprotocol is None
        assert ws.recv(timeout=5) == 'None|None'


def test_allowed_origins(live):
    with client(live, '/websocket/origin', origin='https://good.example') as ws:
        assert ws.recv(timeout=5) == 'welcome'
    with pytest.raises(InvalidStatus) as info:
        client(live, '/websocket/origin', origin='https://evil.example')
    assert info.value.response.status_code == 403


def test_manual_upgrade(live):
    with client(live, '/manual?token=secret') as ws:
        assert ws.recv(timeout=5) == 'authorised'
    with pytest.raises(InvalidStatus) as info:
        client(live, '/manual')
    assert info.value.response.status_code == 403


def test_server_keeps_serving_http(live):
    with client(live, '/echo') as ws:
        ws.send('x')
        assert ws.recv(timeout=5) == 'x'
        res = httpx.get(live.url + '/state', timeout=5)
        assert res.status_code == 200
        assert 'ended' in json.loads(res.text)


def test_server_shutdown_closes_with_1001():
    from conftest import make_app
    from microdot.testing import LiveServer
    app = make_app()
    app.shutdown_timeout = 1  # open WebSockets never finish by themselves
    server = LiveServer(app).start()
    try:
        with client(server, '/echo') as ws:
            ws.send('x')
            assert ws.recv(timeout=5) == 'x'
            server.stop()
            with pytest.raises(ClientConnectionClosed) as info:
                ws.recv(timeout=5)
            assert info.value.rcvd.code == 1001
    finally:
        server.stop()


def test_keepalive_pings_are_answered_by_the_client_library(live):
    import time
    with client(live, '/keepalive') as ws:
        time.sleep(1.5)  # several 0.1 s pings, each answered within its 1 s timeout
        ws.send('still open')
        assert ws.recv(timeout=5) == 'still open'
