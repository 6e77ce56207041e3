"""Where the MicroPython gc heap of the hello app goes, for this project and Microdot 2.6.2:

    python bench/mp_memory.py [--conns 32] [--md262-venv /tmp/bench-md262] [--no-md262]

For each of ``.py`` and ``.mpy`` (mip-installed from tools/mip_index.py, as bench/run.py does) it
prints, in bytes of gc heap in use after ``gc.collect()``:

* ``asyncio``: MicroPython's own ``import asyncio`` (the same for both frameworks);
* ``import microdot``: ``from microdot import Microdot`` on top of that, and the server modules
  the app loads when it starts serving (``microdot.server``; 2.6.2 has none);
* ``start-up``: bench/apps/hello_mem.py serving, measured by its ``/_mem?collect=1`` (the
  bench/run.py figure), total and without the interpreter and ``asyncio`` (``ours only``);
* ``per idle connection``: what each keep-alive connection that made one request keeps while it
  waits for the next (``--conns`` connections open at once, counting the one that asks
  ``/_mem``); 2.6.2 closes every connection, so it has no figure.

A measurement, not a test. Runs on a 2 MB heap so that nothing is cut short by a full heap.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import run  # noqa: E402  (bench/run.py: the builds, shared with the side-by-side benchmark)

_IMPORT_PROBE = '''
import gc
gc.collect()
base = gc.mem_alloc()
import asyncio
gc.collect()
after_asyncio = gc.mem_alloc()
from microdot import Microdot
gc.collect()
after_import = gc.mem_alloc()
try:
    import microdot.server
except ImportError:
    pass
gc.collect()
print(base, after_asyncio, after_import, gc.mem_alloc())
'''


def _micropython(folder, args, **kwargs):
    # run from an empty folder: MicroPython puts the current folder first on its path
    return subprocess.Popen(['micropython', '-X', 'heapsize=2m'] + args,
                            env=dict(os.environ, MICROPYPATH=folder + ':.frozen'),
                            cwd=tempfile.gettempdir(), **kwargs)


def import_steps(folder):
    with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f:
        f.write(_IMPORT_PROBE)
    try:
        out = _micropython(folder, [f.name], stdout=subprocess.PIPE).communicate()[0]
    finally:
        os.remove(f.name)
    base, after_asyncio, after_import, after_server = (int(v) for v in out.split())
    return {'base': base, 'asyncio': after_asyncio - base, 'import': after_import - after_asyncio,
            'server_modules': after_server - after_import}


def _get(sock, path):
    sock.sendall('GET {} HTTP/1.1\r\nHost: bench\r\n\r\n'.format(path).encode())
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise EOFError
        data += chunk
    head, body = data.split(b'\r\n\r\n', 1)
    length = next(int(line.split(b':')[1]) for line in head.split(b'\r\n')
                  if line.lower().startswith(b'content-length:'))
    while len(body) < length:
        body += sock.recv(4096)
    return body


def _mem(port):
    with socket.create_connection(('127.0.0.1', port), timeout=10) as s:
        return json.loads(_get(s, '/_mem?collect=1'))['alloc']


def serving(folder, conns):
    port = run.free_port()
    proc = _micropython(folder, [os.path.join(run.APPS, 'hello_mem.py'), str(port)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                start = _mem(port)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError('hello_mem.py did not start')
        socks, idle = [], None
        try:
            for _ in range(conns - 1):  # the /_mem request is the last of ``conns``
                s = socket.create_connection(('127.0.0.1', port), timeout=10)
                socks.append(s)
                _get(s, '/')
            if _still_open(socks[0]):
                idle = (_mem(port) - start) // (conns - 1)
        finally:
            for s in socks:
                s.close()
        return {'start': start, 'per_connection': idle}
    finally:
        proc.kill()
        proc.wait()


def _still_open(sock):
    """False if the server closed the connection after its response (Microdot 2.6.2)."""
    sock.settimeout(0.2)
    try:
        return sock.recv(1) != b''
    except socket.timeout:
        return True
    finally:
        sock.settimeout(10)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--conns', type=int, default=32)
    parser.add_argument('--md262-venv', default=os.path.join(tempfile.gettempdir(), 'bench-md262'))
    parser.add_argument('--no-md262', action='store_true')
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix='mp-memory-')
    builds = {'ours': run.our_micropython_builds(work)}
    if not args.no_md262:
        builds['md262'] = run.md262_micropython_builds(run.ensure_md262_venv(args.md262_venv), work)
    print('| build | modules | asyncio | import microdot | server modules | start-up (total) '
          '| start-up (ours only) | per idle connection |')
    print('|---|---|---:|---:|---:|---:|---:|---:|')
    for who, flavours in builds.items():
        for flavour in ('py', 'mpy'):
            steps = import_steps(flavours[flavour])
            serve = serving(flavours[flavour], args.conns)
            ours_only = serve['start'] - steps['base'] - steps['asyncio']
            print('| {} | .{} | {:,} | {:,} | {:,} | {:,} | {:,} | {} |'.format(
                'this project' if who == 'ours' else 'Microdot 2.6.2', flavour, steps['asyncio'],
                steps['import'], steps['server_modules'], serve['start'], ours_only,
                '{:,}'.format(serve['per_connection']) if serve['per_connection'] is not None
                else 'n/a (closes connections)'), flush=True)


if __name__ == '__main__':
    main()
