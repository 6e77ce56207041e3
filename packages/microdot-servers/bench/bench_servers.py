"""Hello-world throughput of microdot under uvicorn and gunicorn, next to Starlette and Flask on
the same servers, in the same run, as ratios.

    apt-get install -y wrk
    pip install -e packages/microdot-core -e packages/microdot-servers \
        -r packages/microdot-servers/bench/requirements.txt
    python packages/microdot-servers/bench/bench_servers.py [--duration 10] [--connections 32]
        [--rounds 3] [--server-cpu 0] [--load-cpu 1] [--json results.json]

Each server runs one worker process pinned to ``--server-cpu`` with taskset; wrk (one thread,
keep-alive connections) runs in a second process pinned to ``--load-cpu``; everything is on
127.0.0.1. Every case gets a short warm-up. With ``--rounds N`` the cases of a pair alternate
(A, B, A, B...) and the median is reported, since figures on a shared machine swing between runs:
compare only the ratios of one run. This is a measurement, not a test: nothing is asserted.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, 'apps')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def uvicorn(module):
    def argv(port):
        return [sys.executable, '-m', 'uvicorn', '--app-dir', APPS, '--host', '127.0.0.1',
                '--port', str(port), '--workers', '1', '--log-level', 'warning',
                '--no-access-log', module + ':app']
    return argv


def gunicorn(module, worker_class, threads=1):
    def argv(port):
        return [sys.executable, '-m', 'gunicorn', '--chdir', APPS, '--bind',
                '127.0.0.1:{}'.format(port), '--workers', '1', '--worker-class', worker_class,
                '--threads', str(threads), '--log-level', 'warning', module + ':app']
    return argv


def builtin(port):
    return [sys.executable, os.path.join(APPS, 'hello_microdot_builtin.py'), str(port)]


# (group, peer label, peer argv, microdot label, microdot argv)
PAIRS = [
    ('uvicorn', 'starlette', uvicorn('hello_starlette'),
     'microdot-asgi', uvicorn('hello_microdot_asgi')),
    ('gunicorn sync', 'flask', gunicorn('hello_flask', 'sync'),
     'microdot-wsgi', gunicorn('hello_microdot_wsgi', 'sync')),
    ('gunicorn gthread x4', 'flask', gunicorn('hello_flask', 'gthread', 4),
     'microdot-wsgi', gunicorn('hello_microdot_wsgi', 'gthread', 4)),
]


def start(argv_of, cpu):
    port = free_port()
    argv = ['taskset', '-c', str(cpu)] + argv_of(port)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    url = 'http://127.0.0.1:{}/'.format(port)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError('server exited: {}\n{}'.format(
                ' '.join(argv), proc.stderr.read().decode(errors='replace')))
        try:
            with urllib.request.urlopen(url, timeout=2) as res:
                if res.read() == b'Hello, World!':
                    return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError('server did not start: ' + ' '.join(argv))
        time.sleep(0.1)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _ms(text):
    value = float(re.match(r'[\d.]+', text).group(0))
    if text.endswith('us'):
        return value / 1000
    if text.endswith('ms'):
        return value
    if text.endswith('s'):
        return value * 1000
    return value


def wrk(url, cpu, duration, connections):
    out = subprocess.run(['taskset', '-c', str(cpu), 'wrk', '-t1', '-c', str(connections),
                          '-d', '{}s'.format(duration), '--latency', url],
                         capture_output=True, text=True, check=True).stdout
    result = {'rps': float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))}
    for pct in ('50', '99'):
        m = re.search(r'^\s+{}%\s+(\S+)'.format(pct), out, re.M)
        result['p' + pct + '_ms'] = _ms(m.group(1)) if m else None
    m = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    result['non_2xx'] = int(m.group(1)) if m else 0
    m = re.search(r'Socket errors: (.*)', out)
    result['socket_errors'] = m.group(1).strip() if m else ''
    result['requests'] = int(re.search(r'(\d+) requests in', out).group(1))
    return result


def measure(argv_of, args):
    proc, url = start(argv_of, args.server_cpu)
    try:
        wrk(url, args.load_cpu, args.warmup, args.connections)
        return wrk(url, args.load_cpu, args.duration, args.connections)
    finally:
        stop(proc)


def median_run(runs):
    runs = sorted(runs, key=lambda r: r['rps'])
    return runs[len(runs) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--duration', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=1)
    parser.add_argument('--server-cpu', type=int, default=0)
    parser.add_argument('--load-cpu', type=int, default=1)
    parser.add_argument('--no-builtin', action='store_true', help='skip the built-in server row')
    parser.add_argument('--json', help='also write the raw results here')
    args = parser.parse_args()

    results = []
    print('hello world, {} keep-alive connections, {}s x {} round(s), server on CPU {}, wrk on '
          'CPU {}'.format(args.connections, args.duration, args.rounds, args.server_cpu,
                          args.load_cpu))
    print('{:<22} {:<14} {:>10} {:>9} {:>9} {:>8}  {}'.format(
        'server', 'app', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'socket errors'))
    for group, peer, peer_argv, ours, our_argv in PAIRS:
        peer_runs, our_runs = [], []
        for _ in range(args.rounds):
            peer_runs.append(measure(peer_argv, args))
            our_runs.append(measure(our_argv, args))
        p, o = median_run(peer_runs), median_run(our_runs)
        for label, r in ((peer, p), (ours, o)):
            print('{:<22} {:<14} {:>10.0f} {:>9.2f} {:>9.2f} {:>8}  {}'.format(
                group, label, r['rps'], r['p50_ms'] or 0, r['p99_ms'] or 0, r['non_2xx'],
                r['socket_errors'] or '-'))
        ratio = o['rps'] / p['rps'] if p['rps'] else float('nan')
        print('{:<22} {} / {} = {:.2f}'.format(group, ours, peer, ratio))
        results.append({'server': group, 'peer': peer, 'peer_result': p, 'peer_runs': peer_runs,
                        'microdot': ours, 'microdot_result': o, 'microdot_runs': our_runs,
                        'ratio': ratio})
    if not args.no_builtin:
        r = median_run([measure(builtin, args) for _ in range(args.rounds)])
        print('{:<22} {:<14} {:>10.0f} {:>9.2f} {:>9.2f} {:>8}  {}'.format(
            'built-in', 'microdot', r['rps'], r['p50_ms'] or 0, r['p99_ms'] or 0, r['non_2xx'],
            r['socket_errors'] or '-'))
        results.append({'server': 'built-in', 'microdot': 'microdot', 'microdot_result': r})
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'args': vars(args), 'results': results}, f, indent=2)


if __name__ == '__main__':
    main()
