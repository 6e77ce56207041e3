"""Fixtures of the root conformance suite: one black-box suite, one server per runtime.

``MICRODOT_TARGET`` names the runtime (``cpython`` by default, ``micropython``, ``uvicorn``,
``gunicorn``). Each runtime is a small function in RUNTIMES, ``f(port, workdir, *extra)``, that
returns the ``(argv, env)`` serving ``tests/apps/main.py``'s app on 127.0.0.1:port; adding a runtime
is adding one such function (uvicorn and gunicorn live in ``server_runtimes.py``).

Fixtures:
- ``server`` (session): the running target: ``.url``, ``.host``, ``.port``, ``.runtime``,
  ``.features`` (installed route modules, from ``/_features``), ``.limits`` (from ``/_limits``).
- ``raw``: a ``rawhttp.RawConnection`` to the server, for protocol edge cases; ``connect()`` opens
  more.
- ``require(server, 'websocket_routes')`` skips a test whose route module is not installed.

After every test that used the server, the server must still answer a normal request: bad input
may fail one connection, never the server.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import pytest

import rawhttp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAIN = os.path.join(ROOT, 'tests', 'apps', 'main.py')
TARGET = os.environ.get('MICRODOT_TARGET', 'cpython')
START_TIMEOUT = float(os.environ.get('MICRODOT_START_TIMEOUT', '30'))

# Small limits so that the limit and timeout tests run fast; the tests read the values back
# from /_limits rather than repeating them.
SERVER_OPTIONS = [
    '--head-timeout', '1', '--idle-timeout', '1', '--read-timeout', '2',
    '--max-content-length', '65536', '--max-body-length', '4096',
    '--max-request-line', '2048', '--max-readline', '1024', '--max-head-size', '8192',
    '--max-headers', '32',
]


# --- runtimes: each returns (argv, env) for a server on 127.0.0.1:port ---------------------------

def cpython_runtime(port, workdir, *extra):
    return [sys.executable, MAIN, '--port', str(port)] + SERVER_OPTIONS + list(extra), None


def micropython_runtime(port, workdir, *extra):
    # MICRODOT_MP_BUILD names a ready folder (say, `tools/micropython_build.py --mpy --out X`);
    # otherwise packages/ is built into the session's workdir, compiled to .mpy with
    # MICRODOT_MP_MPY=1 (needs mpy-cross). MICRODOT_MP_HEAP sets the heap.
    build = os.environ.get('MICRODOT_MP_BUILD')
    if build:
        workdir = os.path.abspath(build)
    else:
        sys.path.insert(0, os.path.join(ROOT, 'tools'))
        import micropython_build
        names = micropython_build.build(workdir)
        if os.environ.get('MICRODOT_MP_MPY') == '1':
            micropython_build.compile_mpy(workdir, names)  # as a board runs them
        failures = micropython_build.check(workdir, names, heapsize='512k')
        if failures:
            raise RuntimeError('modules that do not import on MicroPython (fix them, or list '
                               'them in tools/micropython_build.py CPYTHON_ONLY):\n' + '\n'.join(
                                   '{}: {}'.format(m, e.splitlines()[-1]) for m, e in failures))
    heap = os.environ.get('MICRODOT_MP_HEAP', '1m')  # generous: .py sources compile in RAM
    env = dict(os.environ, MICROPYPATH=workdir + ':.frozen')
    argv = [os.environ.get('MICROPYTHON', 'micropython'), '-X', 'heapsize=' + heap, MAIN,
            '--port', str(port)] + SERVER_OPTIONS + list(extra)
    return argv, env


RUNTIMES = {
    'cpython': cpython_runtime,
    'micropython': micropython_runtime,
}
try:
    import server_runtimes  # uvicorn and gunicorn, owned by microdot-servers
    RUNTIMES.update(server_runtimes.runtimes(SERVER_OPTIONS))
except ImportError:
    pass

# Runtimes whose HTTP/1.1 handling (framing, keep-alive, limits, timeouts) is microdot's own
# server; under uvicorn or gunicorn those tests check someone else's server and are skipped.
OWN_PROTOCOL = {'cpython', 'micropython'}


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class ServerProcess:
    """The target app in its own process, on 127.0.0.1 and a free port."""

    def __init__(self, runtime):
        if runtime not in RUNTIMES:
            raise pytest.UsageError('MICRODOT_TARGET={} is not one of {}'.format(
                runtime, ', '.join(sorted(RUNTIMES))))
        self.runtime = runtime
        self.host = '127.0.0.1'
        self.port = free_port()
        self.url = 'http://{}:{}'.format(self.host, self.port)
        self.workdir = tempfile.mkdtemp(prefix='microdot-conformance-')
        self.log_path = os.path.join(self.workdir, 'server.log')
        self.proc = None
        self.features = []
        self.limits = {}

    def start(self):
        argv, env = RUNTIMES[self.runtime](self.port, self.workdir)
        self.log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('{} server exited with {}:\n{}'.format(
                    self.runtime, self.proc.returncode, self.log_tail()))
            try:
                res = httpx.get(self.url + '/_features', timeout=2)
                res.raise_for_status()
                self.features = res.json()
                self.limits = httpx.get(self.url + '/_limits', timeout=2).json()
                return self
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError('{} server did not answer within {}s:\n{}'.format(
                        self.runtime, START_TIMEOUT, self.log_tail()))
                time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()

    def log_tail(self, size=4000):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read()[-size:].decode(errors='replace')
        except OSError:
            return ''

    def connect(self, timeout=5.0):
        """A new raw connection to the server."""
        return rawhttp.RawConnection(self.host, self.port, timeout)


@pytest.fixture(scope='session')
def server():
    srv = ServerProcess(TARGET).start()
    try:
        yield srv
    finally:
        alive = srv.alive()
        srv.stop()
        if not alive:
            pytest.fail('the {} server died during the run:\n{}'.format(
                srv.runtime, srv.log_tail()))


@pytest.fixture
def raw(server):
    conn = server.connect()
    try:
        yield conn
    finally:
        conn.close()


def require(server, feature):
    """Skip unless the route module ``feature`` (e.g. 'websocket_routes') is installed."""
    if feature not in server.features:
        pytest.skip('{} is not installed on the {} server'.format(feature, server.runtime))


def require_own_protocol(server):
    """Skip a test of microdot's own HTTP/1.1 server on runtimes that use another server."""
    if server.runtime not in OWN_PROTOCOL:
        pytest.skip('HTTP/1.1 is handled by {}, not by microdot'.format(server.runtime))


@pytest.fixture(autouse=True)
def server_still_answers(request):
    """After each test that used the server: it is alive and answers a new connection."""
    yield
    if 'server' not in request.fixturenames:
        return
    srv = request.getfixturevalue('server')
    assert srv.alive(), 'the server died:\n' + srv.log_tail()
    try:
        res = httpx.get(srv.url + '/_features', timeout=5)
    except httpx.HTTPError as exc:
        pytest.fail('the server no longer answers ({!r}):\n{}'.format(exc, srv.log_tail()))
    assert res.status_code == 200, 'the server answers {} after this test'.format(res.status_code)
