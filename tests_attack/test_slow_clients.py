"""Clients that hold connections without finishing a request: silent, half a head, trickling,
stalled mid-body; 200 of them at once while normal clients keep being served.

The single-client cases (silent, partial head, slowloris, idle keep-alive, stalled body) are the
conformance suite's, run again through test_reused_core.py. The limits in force are the small
ones tests/conftest.py gives the server (head_timeout 1 s, read_timeout 2 s, idle_timeout 1 s).
Under uvicorn and gunicorn those timeouts are the server's own business (docs/security.md): there
only the "normal clients are still served" half is checked.
"""
import select
import socket
import threading
import time

import httpx
import pytest

from conftest import FIGURES, OWN_PROTOCOL
from test_core_conformance import (  # noqa: F401
    test_idle_keep_alive_connection_is_closed, test_partial_head_gets_408_or_close,
    test_silent_client_is_closed_after_head_timeout, test_slow_head_does_not_block_others,
    test_slowloris_head_is_cut_at_head_timeout, test_stalled_body_is_cut_at_read_timeout)

SLACK = 3.0
KINDS = ('silent', 'half-head', 'trickle', 'stalled-body')
HALF_HEAD = b'GET /core/text HTTP/1.1\r\nHost: x\r\nX-Slow: '
STALLED = b'POST /core/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc'
TRICKLE = b'GET /core/text HTTP/1.1\r\nHost: x\r\n' + b'X-Trickle: ' + b'a' * 4000


class Attackers:
    """``n`` hostile connections driven by one thread; records when the server closed each."""

    def __init__(self, server, n, duration):
        self.server = server
        self.duration = duration
        self.socks = []
        self.kind = {}
        self.opened = {}
        self.closed_after = {}
        self.refused = 0
        for i in range(n):
            kind = KINDS[i % len(KINDS)]
            try:
                s = socket.create_connection((server.host, server.port), timeout=5)
            except OSError:
                self.refused += 1
                continue
            if kind == 'half-head':
                s.sendall(HALF_HEAD)
            elif kind == 'stalled-body':
                s.sendall(STALLED)
            s.setblocking(False)
            self.socks.append(s)
            self.kind[s] = kind
            self.opened[s] = time.monotonic()
        # connecting 200 takes a while on a slow accept loop (MicroPython): the timeouts are
        # measured from when the last one was connected
        self.ready = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic() + self.duration
        sent = dict((s, 0) for s in self.socks)
        live = list(self.socks)
        next_trickle = time.monotonic()
        while live and time.monotonic() < deadline:
            readable, _, _ = select.select(live, [], [], 0.1)
            for s in readable:
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b''
                if not data:  # a 408/400/503 answer is read first, then the close counts
                    self.closed_after[s] = time.monotonic() - self.ready
                    live.remove(s)
            if time.monotonic() >= next_trickle:
                next_trickle = time.monotonic() + 0.2
                for s in live:
                    if self.kind[s] == 'trickle' and sent[s] < len(TRICKLE):
                        try:
                            s.send(TRICKLE[sent[s]:sent[s] + 1])
                            sent[s] += 1
                        except OSError:
                            pass

    def join(self):
        self.thread.join(self.duration + 5)

    def close(self):
        for s in self.socks:
            s.close()


def served_within(server, limit):
    """Seconds until a normal request is answered 200; a 503 refusal (connection cap) is retried."""
    start = time.monotonic()
    while True:
        try:
            res = httpx.get(server.url + '/core/text', timeout=limit)
            if res.status_code == 200:
                return time.monotonic() - start
            assert res.status_code == 503, res
        except httpx.TransportError:
            pass  # a refused or reset connection at the cap
        assert time.monotonic() - start < limit, 'no normal request served within {}s'.format(limit)
        time.sleep(0.05)


@pytest.mark.parametrize('n', [200])
def test_many_slow_clients_at_once(server, n):
    own = server.runtime in OWN_PROTOCOL
    if server.runtime == 'gunicorn':
        pytest.skip('gunicorn (gthread) gives each slow head a worker thread until its --timeout; '
                    'deploy it behind a buffering proxy (docs/security.md)')
    limits = server.limits
    cut_off = max(limits['head_timeout'], limits['read_timeout']) + SLACK
    started = time.monotonic()
    attackers = Attackers(server, n, duration=cut_off + 2 if own else 4)
    connecting = attackers.ready - started
    try:
        # normal clients while the attack goes on: served at once on CPython (the cap is far),
        # within one head timeout on MicroPython (its cap of 32 connections answers 503 first)
        wait = served_within(server, limits['head_timeout'] + SLACK)
        times = [served_within(server, limits['head_timeout'] + SLACK) for _ in range(5)]
        attackers.join()
        FIGURES.append('slow clients ({}): {} attackers connected in {:.2f}s ({} refused at '
                       'connect), first normal request after {:.2f}s, then {}'.format(
                           server.runtime, n, connecting, attackers.refused, wait,
                               ', '.join('{:.3f}'.format(t) for t in times)))
        if own:
            left = [attackers.kind[s] for s in attackers.socks if s not in attackers.closed_after]
            assert not left, '{} slow clients still open after {}s: {}'.format(
                len(left), cut_off, left[:10])
            slowest = max(attackers.closed_after.values())
            assert slowest < cut_off, slowest
    finally:
        attackers.close()
