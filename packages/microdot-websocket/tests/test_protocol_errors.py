"""Protocol edge cases and errors over a raw TCP socket: every client fault closes with its code."""
import socket
import struct

import httpx
import pytest

from conftest import client_frame, wait_for

TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10


def close_payload(code, reason=b''):
    return struct.pack('!H', code) + reason


# --- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('frame,code', [
    (client_frame(TEXT, 'hi', mask=False), 1002),                    # unmasked client frame
    (client_frame(TEXT, 'hi', rsv=0x40), 1002),                      # RSV1 without an extension
    (client_frame(TEXT, 'hi', rsv=0x20), 1002),                      # RSV2
    (client_frame(TEXT, 'hi', rsv=0x10), 1002),                      # RSV3
    (client_frame(3, b'x'), 1002),                                   # reserved data opcode
    (client_frame(11, b'x'), 1002),                                  # reserved control opcode
    (client_frame(PING, b'x', fin=False), 1002),                     # fragmented control frame
    (client_frame(PING, b'x' * 126), 1002),                          # control frame over 125 B
    (client_frame(CLOSE, b'\x03'), 1002),                            # 1-byte close payload
    (client_frame(CLOSE, close_payload(1005)), 1002),                # close code never sent
    (client_frame(CLOSE, close_payload(999)), 1002),                 # invalid close code
    (client_frame(0, b'orphan'), 1002),                              # continuation, no message
    (client_frame(TEXT, b'\xff\xfe'), 1007),                         # invalid UTF-8
    (client_frame(TEXT, b'\xed\xa0\x80'), 1007),                     # UTF-16 surrogate
    (client_frame(TEXT, b'\xc0\xaf'), 1007),                         # overlong encoding
    (client_frame(TEXT, b'\xf4\x90\x80\x80'), 1007),                 # above U+10FFFF
    (client_frame(TEXT, b'\xe2\x82'), 1007),                         # truncated sequence
    (client_frame(CLOSE, close_payload(1000, b'\xff')), 1007),       # invalid UTF-8 reason
])
def test_protocol_error_closes_with_code(raw_ws, frame, code):
    ws = raw_ws()
    ws.send(frame)
    # a client that sent a close frame itself does not answer the server's
    assert ws.close_frame(answer=frame[0] & 0x0F != CLOSE)[0] == code
    assert ws.at_eof(timeout=1)


def test_new_message_inside_a_fragmented_one(raw_ws):
    ws = raw_ws()
    ws.send(client_frame(TEXT, 'part', fin=False) + client_frame(TEXT, 'other'))
    assert ws.close_frame()[0] == 1002


def test_invalid_utf8_split_across_fragments(raw_ws):
    ws = raw_ws()
    # a valid character cut in two is fine; a bad byte in the second fragment is not
    ws.send(client_frame(TEXT, b'\xe2\x82', fin=False) + client_frame(0, b'\xac'))
    assert ws.frame() == (True, TEXT, '€'.encode())
    ws.send(client_frame(TEXT, b'ok', fin=False) + client_frame(0, b'\xff'))
    assert ws.close_frame()[0] == 1007


def test_oversized_message_refused_from_its_header(raw_ws):
    # the frame declares 10 MiB and sends none of it: the server answers from the header alone
    ws = raw_ws('/websocket/small')
    ws.send(client_frame(BINARY, b'', length=10 * 1024 * 1024)[:2 + 8 + 4])
    assert ws.close_frame()[0] == 1009


def test_oversized_message_counted_across_fragments(raw_ws):
    ws = raw_ws('/websocket/small')  # 1000-byte cap
    ws.send(client_frame(BINARY, b'a' * 600, fin=False))
    # the second fragment's header alone crosses the cap
    ws.send(client_frame(0, b'', length=600)[:2 + 2 + 4])
    assert ws.close_frame()[0] == 1009


def test_64_bit_length_with_high_bit_is_refused(raw_ws):
    ws = raw_ws()
    ws.send(bytes([0x82, 0xFF]) + b'\x80' + b'\x00' * 7 + b'abcd')
    assert ws.close_frame()[0] == 1002


# --- edge cases that must work ------------------------------------------------------------------

def test_empty_messages_are_delivered(raw_ws):
    ws = raw_ws()
    ws.send(client_frame(TEXT, b'') + client_frame(BINARY, b''))
    assert ws.frame() == (True, TEXT, b'')
    assert ws.frame() == (True, BINARY, b'')


def test_control_frames_inside_a_fragmented_message(raw_ws):
    ws = raw_ws()
    ws.send(client_frame(TEXT, 'Hel', fin=False) + client_frame(PING, b'p1') +
            client_frame(0, 'lo ', fin=False) + client_frame(PONG, b'unsolicited') +
            client_frame(PING, b'p2') + client_frame(0, 'world'))
    assert ws.frame() == (True, PONG, b'p1')
    assert ws.frame() == (True, PONG, b'p2')
    assert ws.frame() == (True, TEXT, b'Hello world')


def test_fragments_with_empty_continuations(raw_ws):
    ws = raw_ws()
    ws.send(client_frame(BINARY, b'', fin=False) + client_frame(0, b'', fin=False) +
            client_frame(0, b'x'))
    assert ws.frame() == (True, BINARY, b'x')


def test_ping_payload_is_echoed_in_the_pong(raw_ws):
    ws = raw_ws()
    payload = bytes(range(125))
    ws.send(client_frame(PING, payload))
    assert ws.frame() == (True, PONG, payload)


def test_frames_sent_with_the_handshake_are_not_lost(live):
    from conftest import RawWebSocket
    ws = RawWebSocket(live.host, live.port, '/echo', extra=client_frame(TEXT, 'early'))
    try:
        assert ws.frame() == (True, TEXT, b'early')
    finally:
        ws.close()


def test_server_pings_and_sends_pong(raw_ws):
    ws = raw_ws('/ping')
    assert ws.frame() == (True, PING, b'are you there')
    assert ws.frame() == (True, PONG, b'heartbeat')
    ws.send(client_frame(TEXT, 'ok'))
    assert ws.frame() == (True, TEXT, b'ok')


def test_close_without_status_code(raw_ws):
    ws = raw_ws()
    ws.send(client_frame(CLOSE, b''))
    assert ws.close_frame(answer=False) == (None, '')  # echoed without a code
    assert ws.at_eof()


def test_close_handshake_echoes_code_and_closes_tcp(raw_ws):
    ws = raw_ws()
    ws.send(client_frame(CLOSE, close_payload(1001, b'bye')))
    assert ws.close_frame(answer=False) == (1001, '')
    assert ws.at_eof(timeout=1)


def test_server_initiated_close_waits_for_the_answer(raw_ws):
    ws = raw_ws('/websocket/close/3001')
    ws.send(client_frame(TEXT, 'bob'))
    assert ws.close_frame(answer=False) == (3001, 'bye bob')
    ws.send(client_frame(CLOSE, close_payload(3001)))
    assert ws.at_eof(timeout=1)


def test_server_close_gives_up_on_a_silent_peer(raw_ws):
    # the peer never answers the close frame: the server drops it after close_timeout (2 s)
    ws = raw_ws('/websocket/close/1000')
    ws.send(client_frame(TEXT, 'x'))
    assert ws.close_frame(answer=False) == (1000, 'bye x')
    assert ws.at_eof(timeout=6)


def test_abrupt_disconnect_ends_the_handler_cleanly(live, raw_ws, capfd):
    live.app.state['ended'].clear()
    ws = raw_ws()
    ws.send(client_frame(TEXT, 'x'))
    assert ws.frame() == (True, TEXT, b'x')
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    ws.close()  # RST, no close frame
    assert wait_for(lambda: live.app.state['ended'])
    assert live.app.state['ended'][-1] == {'route': 'echo', 'how': 'returned', 'close_code': 1006}
    assert 'Traceback' not in capfd.readouterr().err
    assert httpx.get(live.url + '/state', timeout=5).status_code == 200


def test_abrupt_disconnect_ends_a_handler_that_only_sends(live, raw_ws):
    live.app.state['ended'].clear()
    ws = raw_ws('/sender?n=100000&delay=0.01')
    assert ws.frame() == (True, TEXT, b'0')
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    ws.close()
    assert wait_for(lambda: live.app.state['ended'])
    assert live.app.state['ended'][-1] == {'route': 'sender', 'how': 'ConnectionClosed',
                                           'close_code': 1006}


def test_half_sent_frame_then_disconnect(live, raw_ws):
    live.app.state['ended'].clear()
    ws = raw_ws()
    ws.send(client_frame(TEXT, 'hello world')[:5])
    ws.close()
    assert wait_for(lambda: live.app.state['ended'])
    assert live.app.state['ended'][-1]['close_code'] == 1006


# --- handshake refusals -------------------------------------------------------------------------

def upgrade_headers(**changes):
    headers = {'Upgrade': 'websocket', 'Connection': 'Upgrade',
               'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13'}
    for name, value in changes.items():
        name = name.replace('_', '-')
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    return headers


@pytest.mark.parametrize('changes,status', [
    ({'Upgrade': None}, 400),
    ({'Upgrade': 'h2c'}, 400),
    ({'Connection': None}, 400),
    ({'Connection': 'keep-alive'}, 400),
    ({'Sec_WebSocket_Key': None}, 400),
    ({'Sec_WebSocket_Key': 'too-short'}, 400),
    ({'Sec_WebSocket_Key': 'not base64 at all!!!!!!!'}, 400),
    ({'Sec_WebSocket_Version': '8'}, 426),
    ({'Sec_WebSocket_Version': None}, 426),
])
def test_handshake_refused(live, changes, status):
    res = httpx.get(live.url + '/echo', headers=upgrade_headers(**changes), timeout=5)
    assert res.status_code == status
    if status == 426:
        assert res.headers['Sec-WebSocket-Version'] == '13'


def test_handshake_accepts_token_lists(raw_ws, live):
    sock = socket.create_connection((live.host, live.port), timeout=5)
    try:
        sock.sendall(b'GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n'
                     b'Connection: keep-alive, Upgrade\r\n'
                     b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
                     b'Sec-WebSocket-Version: 13\r\n\r\n')
        head = sock.recv(4096)
        assert head.startswith(b'HTTP/1.1 101 ')
        # RFC 6455 section 1.3's example key and answer
        assert b'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' in head
    finally:
        sock.close()


def test_handshake_requires_get(live):
    res = httpx.post(live.url + '/echo', headers=upgrade_headers(), timeout=5)
    assert res.status_code == 405  # the route only allows GET; the router answers first


def test_manual_upgrade_refusal_keeps_the_version_header(live):
    res = httpx.get(live.url + '/manual?token=secret',
                    headers=upgrade_headers(Sec_WebSocket_Version='7'), timeout=5)
    assert res.status_code == 426
    assert res.headers['Sec-WebSocket-Version'] == '13'


def test_idle_websocket_outlives_the_read_timeout(live, raw_ws):
    import time
    ws = raw_ws()
    time.sleep(live.app.read_timeout + 1)  # silent longer than the app's read_timeout
    ws.send(client_frame(TEXT, 'still here'))
    assert ws.frame() == (True, TEXT, b'still here')


def test_keepalive_drops_a_peer_that_does_not_answer_pings(live, raw_ws):
    live.app.state['ended'].clear()
    ws = raw_ws('/keepalive')  # pings every 0.1 s, 1 s to answer
    assert ws.frame() == (True, PING, b'')
    assert ws.close_frame(answer=False) == (1011, 'keepalive ping timeout')
    assert ws.at_eof(timeout=2)
    assert wait_for(lambda: live.app.state['ended'])
    assert live.app.state['ended'][-1]['close_code'] == 1011


def test_keepalive_keeps_a_live_peer(live, raw_ws):
    import time
    ws = raw_ws('/keepalive')
    deadline = time.monotonic() + 1  # about ten pings
    pings = 0
    while time.monotonic() < deadline:
        fin, opcode, payload = ws.frame()
        assert opcode == PING
        pings += 1
        ws.send(client_frame(PONG, payload))
    assert pings >= 3
    ws.send(client_frame(TEXT, 'alive'))
    while True:
        fin, opcode, payload = ws.frame()
        if opcode != PING:
            break
    assert (opcode, payload) == (TEXT, b'alive')
