"""The cap on concurrent connections (``app.max_connections``): the connection past the cap gets a
clean 503 and is closed, the ones inside it are unaffected, and the server serves again as soon as
slots free up. On MicroPython a burst of connections ends in 503 refusals, not a MemoryError.

A second server with ``--max-connections 8`` is started through the conformance launcher (the
runtime functions take extra arguments). uvicorn and gunicorn have their own caps
(--limit-concurrency, --worker-connections): not microdot's, skipped.
"""
import socket
import time

import httpx
import pytest

from conftest import FIGURES, RUNTIMES, TARGET, ServerProcess, require_own_protocol
from rawhttp import ConnectionClosed, RawConnection

CAP = 8
HALF_HEAD = b'GET /core/text HTTP/1.1\r\nHost: x\r\n'


@pytest.fixture(scope='module')
def capped(server):
    require_own_protocol(server)
    name = TARGET + '-capped'
    base = RUNTIMES[TARGET]
    RUNTIMES[name] = lambda port, workdir, *extra: base(port, workdir, '--max-connections',
                                                        str(CAP), '--head-timeout', '3', *extra)
    srv = ServerProcess(name).start()
    try:
        yield srv
    finally:
        alive = srv.alive()
        srv.stop()
        assert alive, srv.log_tail()


def status_of(conn):
    try:
        return conn.read_response()
    except (ConnectionClosed, OSError):
        return None


def test_connection_past_the_cap_gets_503_and_close(capped):
    time.sleep(1)  # the fixture's start-up requests have left
    held = [RawConnection(capped.host, capped.port, 5) for _ in range(CAP)]
    try:
        for conn in held:
            conn.send(HALF_HEAD)
        time.sleep(0.3)
        refused = []
        for _ in range(5):
            with RawConnection(capped.host, capped.port, 5) as extra:
                extra.send(b'GET /core/text HTTP/1.1\r\nHost: x\r\n\r\n')
                res = status_of(extra)
                refused.append(res.status if res is not None else None)
                if res is not None:
                    assert res.header('Connection') == 'close', res
                    assert b'Traceback' not in res.body
                    assert extra.is_closed()
        assert refused == [503] * 5, refused
        # the held connections are still served when they finish their heads
        held[0].send(b'\r\n')
        assert held[0].read_response().status == 200
    finally:
        for conn in held:
            conn.close()
    time.sleep(0.3)
    res = httpx.get(capped.url + '/core/text', timeout=5)
    assert res.status_code == 200


def test_burst_of_connections_is_refused_cleanly(capped):
    n = 150
    socks, statuses = [], {}
    try:
        for _ in range(n):
            try:
                s = socket.create_connection((capped.host, capped.port), timeout=5)
                s.sendall(HALF_HEAD)
                socks.append(s)
            except OSError as exc:
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
        for s in socks:
            s.settimeout(5)
            try:
                data = s.recv(64)
                key = data[9:12].decode() if data.startswith(b'HTTP/1.1 ') else 'closed'
            except socket.timeout:
                key = 'held'
            except OSError:
                key = 'reset'
            statuses[key] = statuses.get(key, 0) + 1
    finally:
        for s in socks:
            s.close()
    FIGURES.append('connection cap ({}, max_connections={}): burst of {}: {}'.format(
        capped.runtime, CAP, n, statuses))
    # every connection is answered cleanly: 503 past the cap, 408 for those the cap let in (on a
    # slow accept loop, slots free up at the head timeout while the burst is still arriving)
    assert set(statuses) <= {'503', '408'}, statuses
    assert statuses.get('503', 0) >= n // 2, statuses
    assert capped.alive()
    assert 'MemoryError' not in capped.log_tail(100000)
    deadline = time.monotonic() + 8
    while True:
        try:
            if httpx.get(capped.url + '/core/text', timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, 'not served again after the burst'
        time.sleep(0.1)
