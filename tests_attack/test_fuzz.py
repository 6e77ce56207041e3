"""A seeded random fuzz of the request head: 5,000 mutated requests (MICRODOT_FUZZ_N), each on its
own connection, half-closed after sending so that a cut head ends at once instead of waiting for
the head timeout. No 5xx (but 501 for an unknown transfer coding and 505), no hang, no traceback
in the server's log and at most one log line per rejected request. The figures are printed at the
end of the run (conftest.FIGURES); a failure prints the offending requests. MICRODOT_FUZZ_SEED picks
another seed (the same seed always makes the same requests).
"""
import os
import random
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import FIGURES, OWN_PROTOCOL

N = int(os.environ.get('MICRODOT_FUZZ_N', '5000'))
SEED = int(os.environ.get('MICRODOT_FUZZ_SEED', '13'))
HANG = 8.0  # a connection the server neither answers nor closes within this is a hang

BASES = [
    b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    b'GET /core/text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    b'GET /core/request?a=1&b=%20x&c=%E2%82%AC HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n'
    b'User-Agent: fuzz/1.0\r\n\r\n',
    b'GET /core/cookies HTTP/1.1\r\nHost: x\r\nCookie: a=1; b=two; c="3"\r\n\r\n',
    b'POST /core/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n'
    b'\r\nhello',
    b'POST /core/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\n',
    b'POST /core/echo-form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded'
    b'\r\nContent-Length: 11\r\n\r\na=1&b=%41+c',
    b'GET /core/path/a/b%20c HTTP/1.0\r\n\r\n',
    b'GET /core/int/42 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n',
    b'HEAD /core/json HTTP/1.1\r\nHost: x\r\n\r\n',
    b'OPTIONS /cors/api HTTP/1.1\r\nHost: x\r\nOrigin: https://allowed.example\r\n'
    b'Access-Control-Request-Method: PUT\r\n\r\n',
    b'GET /session/get HTTP/1.1\r\nHost: x\r\nCookie: session=eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.'
    b'abc\r\n\r\n',
    b'GET /websocket/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
]
INTERESTING = [b'\r\n', b'\n', b'\r', b'\x00', b' ', b'\t', b':', b'%', b'%zz', b'%ff', b'\xff',
               b'\xc0\xaf', b'\x80', b'/', b'..', b'?', b'#', b';', b',', b'=', b'"', b'\\',
               b'HTTP/1.1', b'HTTP/2.0', b'chunked', b'Content-Length: 3\r\n',
               b'Transfer-Encoding: chunked\r\n', b'Host: y\r\n', b'\r\n\r\n',
               b'99999999999999999999', b'-1', b'0x10', b'\x16\x03\x01', b'A' * 3000]


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        i = rng.randrange(len(data) + 1)
        if op == 0 and data:      # flip a bit
            j = min(i, len(data) - 1)
            data[j] ^= 1 << rng.randrange(8)
        elif op == 1:             # insert a random byte
            data[i:i] = bytes([rng.randrange(256)])
        elif op == 2 and data:    # delete a run
            del data[i:i + rng.randint(1, 8)]
        elif op == 3:             # insert something interesting
            data[i:i] = rng.choice(INTERESTING)
        elif op == 4 and data:    # duplicate a run (repeated headers, doubled tokens)
            j = rng.randrange(len(data))
            data[i:i] = data[j:j + rng.randint(1, 40)]
        elif op == 5:             # truncate
            del data[i:]
        else:                     # replace a byte with an interesting one
            data[i:i + 1] = rng.choice(INTERESTING)
    return bytes(data)


def exchange(host, port, data):
    """Send, half-close, read to the end: (status of the first response or None, seconds, hung)."""
    start = time.monotonic()
    with socket.create_connection((host, port), timeout=HANG) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        got = b''
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
                if len(got) > 1 << 20:
                    break
        except socket.timeout:
            return _status(got), time.monotonic() - start, True
        except OSError:
            pass
    return _status(got), time.monotonic() - start, False


def _status(got):
    if not got.startswith(b'HTTP/1.'):
        return None
    try:
        status = int(got[9:12])
    except ValueError:
        return -1
    if status == 100:  # the interim answer to Expect: the final status follows
        rest = got.split(b'\r\n\r\n', 1)[1]
        return _status(rest) if rest.startswith(b'HTTP/1.') else 100
    return status


def test_fuzz_request_head(server):
    rng = random.Random(SEED)
    cases = [mutate(rng, rng.choice(BASES)) for _ in range(N)]
    log_start = os.path.getsize(server.log_path)
    counts = {}
    bad = []
    start = time.monotonic()
    workers = 4 if server.runtime == 'micropython' else 8
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda d: exchange(server.host, server.port, d), cases))
    elapsed = time.monotonic() - start
    slowest = 0.0
    for data, (status, seconds, hung) in zip(cases, results):
        counts[status] = counts.get(status, 0) + 1
        slowest = max(slowest, seconds)
        refused_5xx = status is not None and status >= 500 and status not in (501, 505)
        if hung or refused_5xx or status == -1:
            bad.append((status, hung, data[:300]))
    time.sleep(0.5)  # let the last log lines reach the file
    with open(server.log_path, 'rb') as f:
        f.seek(log_start)
        log = f.read().decode('utf-8', 'replace')
    log_lines = [line for line in log.splitlines() if line.strip()]
    rejected = sum(n for s, n in counts.items() if s is None or s >= 400)
    FIGURES.append('fuzz ({}): {} mutated requests (seed {}) in {:.1f}s, slowest {:.2f}s; '
                   'statuses {}; {} rejected, {} log lines; {} failures'.format(
                       server.runtime, N, SEED, elapsed, slowest,
                       ', '.join('{}: {}'.format(k, v) for k, v in sorted(
                           counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))),
                       rejected, len(log_lines), len(bad)))
    assert not bad, '{} 5xx or hung cases, first ones:\n{}'.format(
        len(bad), '\n'.join(repr(b) for b in bad[:10]))
    assert 'Traceback' not in log, log[log.find('Traceback') - 200:][:3000]
    if server.runtime in OWN_PROTOCOL:
        assert len(log_lines) <= rejected, '{} log lines for {} rejected requests:\n{}'.format(
            len(log_lines), rejected, '\n'.join(log_lines[:20]))
