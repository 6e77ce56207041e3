"""How many idle SSE streams one built-in server process holds, what each costs in memory, and how
quickly the same process still answers a plain GET meanwhile.

    python bench/idle_streams.py [--runtime cpython|micropython] [--steps 0,1000,2000,...]
                                 [--max-connections N] [--heap 4m] [--path /events|/baseline]

It starts ``bench/idle_app.py`` on 127.0.0.1 (CPython from this interpreter, or ``micropython``
with a flat ``microdot/`` folder built from the core and sse.py), then opens idle streams in steps
(each one has its response head and first event read, so it is really established). After each
step it measures the server's memory (RSS from /proc on both runtimes; on MicroPython also the GC
heap in use) and the latency of 50 plain GETs, each on a new connection, made while the streams
stay open. It stops at the last step, or when the server refuses or fails a stream. Prints one
row per step and a JSON line with the raw numbers. Not a test: nothing is asserted.
"""
import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
CPYTHON_ONLY = {'testing.py', '__main__.py'}


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def flat_folder():
    import microdot
    import microdot.sse
    root = tempfile.mkdtemp(prefix='sse-bench-')
    os.mkdir(os.path.join(root, 'microdot'))
    core = os.path.dirname(microdot.__file__)
    for name in os.listdir(core):
        if name.endswith('.py') and name not in CPYTHON_ONLY:
            shutil.copy(os.path.join(core, name), os.path.join(root, 'microdot', name))
    shutil.copy(microdot.sse.__file__, os.path.join(root, 'microdot', 'sse.py'))
    return root


def start_server(runtime, port, max_connections, heap):
    app = os.path.join(HERE, 'idle_app.py')
    if runtime == 'cpython':
        argv = [sys.executable, app, str(port), str(max_connections)]
        env = None
    else:
        argv = ['micropython', '-X', 'heapsize=' + heap, app, str(port), str(max_connections)]
        env = dict(os.environ, MICROPYPATH=flat_folder() + ':.frozen')
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=raise_fd_limit)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            get(port, '/plain')
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit('the server did not start: ' + proc.stderr.read().decode(errors='replace'))


def get(port, path, timeout=10):
    """A GET on a new connection; returns the body (the app answers with Content-Length)."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall('GET {} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n'.format(path).encode())
        data = b''
        while True:
            more = s.recv(65536)
            if not more:
                break
            data += more
    head, _, body = data.partition(b'\r\n\r\n')
    if not head.startswith(b'HTTP/1.1 200'):
        raise OSError('unexpected answer: {!r}'.format(head[:100]))
    return body


def rss_bytes(pid):
    with open('/proc/{}/status'.format(pid)) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    return None


def open_streams(port, streams, count, path, batch=200):
    """Open streams until there are ``count``; returns an error string when one fails."""
    while len(streams) < count:
        new = []
        for _ in range(min(batch, count - len(streams))):
            try:
                s = socket.create_connection(('127.0.0.1', port), timeout=15)
            except OSError as exc:  # the server is gone (or its backlog is full)
                streams.extend(new)  # closed by the caller
                return 'stream {} could not connect: {!r}'.format(len(streams) + 1, exc)
            s.sendall('GET {} HTTP/1.1\r\nHost: b\r\nAccept: text/event-stream\r\n\r\n'.format(
                path).encode())
            new.append(s)
        for s in new:
            data = b''
            try:
                while b'data: ready' not in data:
                    more = s.recv(4096)
                    if not more:
                        break
                    data += more
            except OSError as exc:
                data += repr(exc).encode()
            streams.append(s)
            if b'data: ready' not in data:
                return 'stream {} failed: {!r}'.format(len(streams), data[:120])
    return None


def plain_latencies(port, n=50):
    out = []
    for _ in range(n):
        start = time.perf_counter()
        get(port, '/plain')
        out.append((time.perf_counter() - start) * 1000)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runtime', default='cpython', choices=['cpython', 'micropython'])
    parser.add_argument('--steps', default=None)
    parser.add_argument('--max-connections', type=int, default=None,
                        help="the app's max_connections (default: the core's default)")
    parser.add_argument('--path', default='/events',
                        help='/events (SSE) or /baseline (a plain streamed body, for comparison)')
    parser.add_argument('--heap', default='4m', help='MicroPython heap size')
    args = parser.parse_args()
    raise_fd_limit()
    if args.steps:
        steps = [int(x) for x in args.steps.split(',')]
    elif args.runtime == 'cpython':
        steps = [0, 500, 1000, 2000, 4000, 8000]
    else:
        steps = [0, 25, 50, 100, 200, 400]
    max_connections = args.max_connections or (1024 if args.runtime == 'cpython' else 32)
    port = free_port()
    proc = start_server(args.runtime, port, max_connections, args.heap)
    streams = []
    rows = []
    try:
        for _ in range(20):
            get(port, '/plain')  # warm up
        base_rss = rss_bytes(proc.pid)
        base_heap = json.loads(get(port, '/mem'))['heap_used']
        print('{} built-in server, {} streams, max_connections={}, pid {}'.format(
            args.runtime, args.path, max_connections, proc.pid))
        print('{:>8} {:>10} {:>14} {:>14} {:>10} {:>10} {:>10}'.format(
            'streams', 'RSS MiB', 'RSS B/stream', 'heap B/stream', 'GET p50', 'GET p99',
            'GET max'))
        for step in steps:
            error = open_streams(port, streams, step, args.path)
            if error:
                print('stopped: ' + error)
                rows.append({'streams': len(streams), 'error': error})
                break
            time.sleep(0.5)
            try:
                rss = rss_bytes(proc.pid)
                heap = json.loads(get(port, '/mem'))['heap_used']
                lat = sorted(plain_latencies(port))
            except (OSError, ValueError) as exc:
                error = 'with {} streams the plain requests failed: {!r}'.format(len(streams), exc)
                print('stopped: ' + error)
                rows.append({'streams': len(streams), 'error': error})
                break
            n = len(streams)
            row = {'streams': n, 'rss': rss,
                   'rss_per_stream': (rss - base_rss) / n if n else None,
                   'heap_per_stream': (heap - base_heap) / n if n and heap is not None else None,
                   'get_ms_p50': statistics.median(lat), 'get_ms_p99': lat[int(len(lat) * 0.99)],
                   'get_ms_max': lat[-1]}
            rows.append(row)
            print('{:>8} {:>10.1f} {:>14} {:>14} {:>10.2f} {:>10.2f} {:>10.2f}'.format(
                n, rss / 1048576.0,
                '-' if row['rss_per_stream'] is None else int(row['rss_per_stream']),
                '-' if row['heap_per_stream'] is None else int(row['heap_per_stream']),
                row['get_ms_p50'], row['get_ms_p99'], row['get_ms_max']))
    finally:
        for s in streams:
            s.close()
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        lines = err.decode(errors='replace').strip().splitlines()
        if lines:
            print('server log (last lines): ' + ' | '.join(lines[-3:]))
    print(json.dumps({'runtime': args.runtime, 'path': args.path, 'max_connections': max_connections,
                      'base_rss': base_rss, 'base_heap_used': base_heap, 'rows': rows}))


if __name__ == '__main__':
    main()
