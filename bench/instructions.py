"""User-space instructions per request of a server under valgrind (cachegrind), `GET /` over 32
connections: a figure that, unlike CPU time, does not move with the load of a shared machine.

    python bench/instructions.py [--md262-venv DIR] [--connections 32] ours md262 starlette

Each server runs twice under ``valgrind --tool=cachegrind --cache-sim=no --trace-children=yes``,
serving 10 and then 50 requests per connection (keep-alive where the server keeps the connection
open, a new connection per request where it closes it, as Microdot 2.6.2 does); the difference of
the two totals divided by the difference in requests leaves out start-up, imports and connection
set-up. Kernel work (system calls, the loopback network) is not counted: CPU time in bench/run.py
is the figure that has it. Needs valgrind (Debian: ``apt-get install valgrind``).
"""
import argparse
import asyncio
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(BENCH, 'apps')
REQUEST = b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n'


def server_command(name, md262_python):
    uvicorn = [sys.executable, '-m', 'uvicorn', '--host', '127.0.0.1', '--port', '{port}',
               '--log-level', 'warning', '--no-access-log', '--loop', 'uvloop', '--http', 'httptools']
    return {
        'ours': [sys.executable, 'md_builtin.py', '{port}'],
        'md262': [md262_python, 'md_builtin.py', '{port}'],
        'starlette': uvicorn + ['starlette_app:app'],
    }[name]


async def _client(port, connections, per_connection):
    async def worker():
        writer = None
        for _ in range(per_connection):
            if writer is None:
                reader, writer = await asyncio.open_connection('127.0.0.1', port)
            writer.write(REQUEST)
            head = (await reader.readuntil(b'\r\n\r\n')).lower()
            length = int(re.search(rb'content-length: *(\d+)', head).group(1))
            await reader.readexactly(length)
            if head.startswith(b'http/1.0') or b'connection: close' in head:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()
    await asyncio.gather(*(worker() for _ in range(connections)))


def _wait_for_port(port, proc):
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError('the server exited')
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError('the server did not start')


def instructions(command, connections, per_connection):
    """Total user-space instructions of the server's process tree for one run."""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    logs = tempfile.mkdtemp(prefix='bench-instructions-')
    argv = ['valgrind', '--tool=cachegrind', '--cache-sim=no', '--trace-children=yes',
            '--cachegrind-out-file=/dev/null', '--log-file=' + os.path.join(logs, 'vg.%p.log')]
    argv += [part.replace('{port}', str(port)) for part in command]
    env = dict(os.environ, PYTHONHASHSEED='0')
    proc = subprocess.Popen(argv, cwd=APPS, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, proc)
        asyncio.run(_client(port, connections, per_connection))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    total = 0
    for path in glob.glob(os.path.join(logs, 'vg.*.log')):
        with open(path) as f:
            m = re.search(r'I\s+refs:\s+([\d,]+)', f.read())
        if m:
            total += int(m.group(1).replace(',', ''))
    shutil.rmtree(logs, ignore_errors=True)
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('servers', nargs='+', choices=('ours', 'md262', 'starlette'))
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--md262-venv', default=os.path.join(tempfile.gettempdir(), 'bench-md262'))
    args = parser.parse_args(argv)
    if not shutil.which('valgrind'):
        sys.exit('valgrind is not installed')
    few, many = 10, 50
    for name in args.servers:
        command = server_command(name, os.path.join(args.md262_venv, 'bin', 'python'))
        low = instructions(command, args.connections, few)
        high = instructions(command, args.connections, many)
        per_request = (high - low) / (args.connections * (many - few))
        print('{:10} {:>9,.0f} instructions per request'.format(name, per_request), flush=True)


if __name__ == '__main__':
    main()
