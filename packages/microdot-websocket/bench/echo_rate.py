"""WebSocket echo round-trip rate: microdot's built-in server next to the ``websockets``
library's own server, in the same run, as a ratio. Not a test: nothing here asserts a speed.

    python packages/microdot-websocket/bench/echo_rate.py [--seconds 3] [--rounds 3] [--size 32]
        [--client raw|websockets] [--micropython]

Each server runs in its own process on 127.0.0.1 and echoes every message. One client sends a
small text message, waits for the echo, and repeats for ``--seconds``; each server is measured
``--rounds`` times, alternating, and the median rate and the median of the per-round ratios are
reported. ``--client raw`` (the default) is a minimal blocking socket client with prebuilt masked
frames, so that the servers' cost shows; ``--client websockets`` is the ``websockets`` asyncio
client (no compression), a heavier client. ``--micropython`` also measures microdot on the
MicroPython unix port.
Loops are bounded in count and time; every process is stopped at the end.
"""
import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

MAX_MESSAGES = 2000000  # a bound on one measurement, whatever the speed

MICRODOT_SERVER = r'''
import sys
from microdot import Microdot
from microdot.websocket import with_websocket
app = Microdot()

@app.route('/echo')
@with_websocket
async def echo(request, ws):
    while True:
        await ws.send(await ws.receive())

app.run(host='127.0.0.1', port=int(sys.argv[1]))
'''

WEBSOCKETS_SERVER = r'''
import asyncio, sys
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main():
    async with serve(echo, '127.0.0.1', int(sys.argv[1]), compression=None, max_size=None):
        await asyncio.Future()

asyncio.run(main())
'''


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('server exited with {}: {}'.format(
                proc.returncode, proc.stderr.read().decode(errors='replace')[-2000:]))
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('server did not start on port {}'.format(port))


def micropython_folder():
    """A flat microdot/ folder (core + websocket.py) for the MicroPython unix port."""
    import microdot
    import microdot.websocket
    root = tempfile.mkdtemp(prefix='ws-bench-')
    package = os.path.join(root, 'microdot')
    os.makedirs(package)
    core = os.path.dirname(microdot.__file__)
    for name in os.listdir(core):
        if name.endswith('.py') and name not in ('testing.py', '__main__.py'):
            shutil.copy(os.path.join(core, name), package)
    shutil.copy(microdot.websocket.__file__, package)
    return root


def start(kind, port):
    if kind == 'micropython':
        env = dict(os.environ, MICROPYPATH=micropython_folder() + ':.frozen')
        argv = ['micropython', '-X', 'heapsize=512k', '-c',
                MICRODOT_SERVER.replace('int(sys.argv[1])', str(port))]
    else:
        env = None
        code = MICRODOT_SERVER if kind == 'microdot' else WEBSOCKETS_SERVER
        argv = [sys.executable, '-c', code, str(port)]
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_listening(port, proc)
    return proc


async def measure(url, seconds, size):
    from websockets.asyncio.client import connect
    message = 'x' * size
    async with connect(url, compression=None, max_size=None, ping_interval=None) as ws:
        for _ in range(200):  # warm-up
            await ws.send(message)
            await ws.recv()
        count = 0
        start = time.perf_counter()
        deadline = start + seconds
        while count < MAX_MESSAGES:
            await ws.send(message)
            await ws.recv()
            count += 1
            if count % 100 == 0 and time.perf_counter() > deadline:
                break
        return count / (time.perf_counter() - start)


def measure_raw(port, path, seconds, size):
    import base64
    sock = socket.create_connection(('127.0.0.1', port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall('GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
                     'Connection: Upgrade\r\nSec-WebSocket-Key: {}\r\n'
                     'Sec-WebSocket-Version: 13\r\n\r\n'.format(path, key).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            head += sock.recv(4096)
        assert head.startswith(b'HTTP/1.1 101'), head
        mask = b'\x01\x02\x03\x04'
        payload = b'x' * size
        assert size < 126
        frame = bytes([0x81, 0x80 | size]) + mask + bytes(
            b ^ mask[i % 4] for i, b in enumerate(payload))
        reply = 2 + size
        recv = sock.recv
        send = sock.sendall

        def round_trip():
            send(frame)
            got = len(recv(65536))
            while got < reply:
                got += len(recv(65536))

        for _ in range(200):  # warm-up
            round_trip()
        count = 0
        start = time.perf_counter()
        deadline = start + seconds
        while count < MAX_MESSAGES:
            round_trip()
            count += 1
            if count % 100 == 0 and time.perf_counter() > deadline:
                break
        return count / (time.perf_counter() - start)
    finally:
        sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=3.0)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--size', type=int, default=32, help='message size in bytes')
    parser.add_argument('--client', choices=['raw', 'websockets'], default='raw')
    parser.add_argument('--micropython', action='store_true')
    args = parser.parse_args()

    kinds = ['microdot', 'websockets']
    if args.micropython and shutil.which('micropython'):
        kinds.append('micropython')
    servers = {}
    try:
        for kind in kinds:
            port = free_port()
            servers[kind] = (start(kind, port), port)
        rates = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                path = '/' if kind == 'websockets' else '/echo'
                if args.client == 'raw':
                    rates[kind].append(measure_raw(servers[kind][1], path, args.seconds,
                                                   args.size))
                else:
                    url = 'ws://127.0.0.1:{}{}'.format(servers[kind][1], path)
                    rates[kind].append(asyncio.run(measure(url, args.seconds, args.size)))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    print('echo round trips, one {} client, {} B text messages, {} x {:.0f} s per server'.format(
        args.client, args.size, args.rounds, args.seconds))
    # the machine's load drifts between rounds: the ratio is taken round by round (each round
    # measures every server back to back), then the median of those ratios is reported
    for kind in kinds:
        median = statistics.median(rates[kind])
        ratios = [a / b for a, b in zip(rates[kind], rates['websockets'])]
        print('{:<12} median {:>8.0f} msg/s  ratio to websockets {:.2f}  (rounds: {})'.format(
            kind, median, statistics.median(ratios),
            ', '.join('{:.0f}'.format(r) for r in rates[kind])))


if __name__ == '__main__':
    main()
