"""Resource bounds, measured (issue 13 item 3); run by hand, not in CI:

    python tests_attack/measure_memory.py [--runtime cpython|micropython|uvicorn|gunicorn ...]
        [--requests 100000] [--cycles 10000]

For each runtime it starts the conformance app with the attack suite's launcher (tests/conftest.py)
and measures the server process's resident memory (VmRSS, /proc) while it serves
1. ``--requests`` keep-alive requests (GET /core/text) over 4 connections, sampled every tenth;
2. ``--cycles`` connect/disconnect cycles (half with one request, half closing at once, a third of
   those with a TCP reset);
3. a burst of 300 simultaneous connections (refused with 503 past ``max_connections``).
On MicroPython the heap (``GET /_memory`` after a collection) is reported too. The figures go in
docs/security.md. Loopback only; every loop is bounded.
"""
import argparse
import os
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import conftest  # noqa: E402  (the attack suite's, which imports tests/conftest.py)

import httpx  # noqa: E402

REQUEST = b'GET /core/text HTTP/1.1\r\nHost: x\r\n\r\n'


def rss_kib(pid):
    with open('/proc/{}/status'.format(pid)) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return -1


def tree_rss(proc):
    """RSS of the server and its children (gunicorn's workers), KiB."""
    total = rss_kib(proc.pid)
    try:
        children = open('/proc/{0}/task/{0}/children'.format(proc.pid)).read().split()
    except OSError:
        children = []
    for child in children:
        try:
            total += rss_kib(int(child))
        except OSError:
            pass
    return total


def heap(server):
    try:
        return httpx.get(server.url + '/_memory', timeout=5).json() or None
    except Exception:
        return None


def read_response(sock, buf):
    while b'\r\n\r\n' not in buf:
        data = sock.recv(65536)
        if not data:
            raise EOFError
        buf += data
    head, buf = buf.split(b'\r\n\r\n', 1)
    length = 0
    for line in head.split(b'\r\n'):
        if line.lower().startswith(b'content-length:'):
            length = int(line.split(b':')[1])
    while len(buf) < length:
        buf += sock.recv(65536)
    return head.split(b' ')[1], buf[length:]


def keep_alive(server, n, samples):
    socks = [socket.create_connection((server.host, server.port), timeout=10) for _ in range(4)]
    bufs = [b''] * 4
    done, start = 0, time.monotonic()
    step = n // 10
    while done < n:
        for i, s in enumerate(socks):
            s.sendall(REQUEST)
            status, bufs[i] = read_response(s, bufs[i])
            assert status == b'200', status
            done += 1
            if done % step == 0:
                samples.append((done, tree_rss(server.proc), heap(server)))
    for s in socks:
        s.close()
    return time.monotonic() - start


def cycles(server, n, samples):
    step = n // 10
    start = time.monotonic()
    for i in range(n):
        s = socket.create_connection((server.host, server.port), timeout=10)
        if i % 2 == 0:
            s.sendall(REQUEST)
            read_response(s, b'')
        elif i % 3 == 0:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()
        if (i + 1) % step == 0:
            samples.append((i + 1, tree_rss(server.proc), heap(server)))
    return time.monotonic() - start


def burst(server, n=300):
    socks, statuses = [], {}
    for _ in range(n):
        try:
            s = socket.create_connection((server.host, server.port), timeout=5)
            s.sendall(b'GET /core/text HTTP/1.1\r\nHost: x\r\n')  # half a head: holds the slot
            socks.append(s)
        except OSError as exc:
            statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
    for s in socks:
        s.settimeout(5)
        try:
            data = s.recv(64)
            key = data[9:12].decode() if data.startswith(b'HTTP/1.1 ') else 'closed'
        except socket.timeout:
            key = 'held open'
        except OSError:
            key = 'reset'
        statuses[key] = statuses.get(key, 0) + 1
    for s in socks:
        s.close()
    return statuses


def fmt(samples):
    return '\n'.join('    {:>7} {:>9} KiB{}'.format(
        k, r, '' if h is None else '   heap free {free} / alloc {alloc}'.format(**h))
        for k, r, h in samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--runtime', action='append')
    parser.add_argument('--requests', type=int, default=100000)
    parser.add_argument('--cycles', type=int, default=10000)
    args = parser.parse_args()
    for runtime in args.runtime or ['cpython', 'micropython']:
        server = conftest.ServerProcess(runtime).start()
        try:
            base = tree_rss(server.proc)
            print('== {}: RSS after start {} KiB{}'.format(
                runtime, base, '' if heap(server) is None else ', heap {}'.format(heap(server))))
            samples = [(0, base, heap(server))]
            t = keep_alive(server, args.requests, samples)
            print('  {} keep-alive requests in {:.1f}s ({:.0f} req/s); RSS by requests served:\n{}'
                  .format(args.requests, t, args.requests / t, fmt(samples)))
            samples = [(0, tree_rss(server.proc), heap(server))]
            t = cycles(server, args.cycles, samples)
            print('  {} connect/disconnect cycles in {:.1f}s; RSS by cycles:\n{}'.format(
                args.cycles, t, fmt(samples)))
            statuses = burst(server)
            print('  burst of 300 connections holding half a head: {}; server alive: {}; RSS {} '
                  'KiB{}'.format(statuses, server.alive(), tree_rss(server.proc),
                                 '' if heap(server) is None else ', heap {}'.format(heap(server))))
            print('  server log tail:', server.log_tail(300).replace('\n', ' | ')[-300:])
        finally:
            server.stop()


if __name__ == '__main__':
    main()
