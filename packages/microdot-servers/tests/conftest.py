"""Real uvicorn and gunicorn processes on 127.0.0.1 for the microdot-servers tests.

Every server starts on a free port, must answer within START_TIMEOUT, and is always stopped
(SIGTERM, then SIGKILL). It runs in its own session so that a signal it sends to its own master
(``app.shutdown()``) can never reach the test runner.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, 'apps')
START_TIMEOUT = float(os.environ.get('SERVERS_START_TIMEOUT', '30'))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def gunicorn_has_control_socket():
    import gunicorn.config
    return any(getattr(s, 'name', None) == 'control_socket_disable'
               for s in vars(gunicorn.config).values())


def uvicorn_argv(port, *extra):
    return [sys.executable, '-m', 'uvicorn', '--app-dir', APPS, '--host', '127.0.0.1',
            '--port', str(port), '--log-level', 'warning', '--timeout-graceful-shutdown', '5'] + \
        list(extra) + ['asgi_app:app']


def gunicorn_argv(port, *extra):
    argv = [sys.executable, '-m', 'gunicorn', '--chdir', APPS, '--bind', '127.0.0.1:' + str(port),
            '--worker-class', 'gthread', '--threads', '8', '--graceful-timeout', '5',
            '--log-level', 'warning']
    if gunicorn_has_control_socket():
        argv.append('--no-control-socket')
    return argv + list(extra) + ['wsgi_app:app']


class ServerProcess:
    def __init__(self, runtime, argv, port, env=None, url_prefix='', scheme='http', verify=True):
        self.runtime = runtime
        self.verify = verify
        self.argv = argv
        self.port = port
        self.host = '127.0.0.1'
        self.url = '{}://127.0.0.1:{}{}'.format(scheme, port, url_prefix)
        self.env = env
        self.proc = None
        self.log = tempfile.NamedTemporaryFile(prefix='servers-{}-'.format(runtime),
                                               suffix='.log', delete=False)

    def start(self):
        self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('{} exited with {}:\n{}'.format(
                    self.runtime, self.proc.returncode, self.log_text()))
            try:
                if httpx.get(self.url + '/', timeout=2, verify=self.verify).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('{} did not answer within {}s:\n{}'.format(
                    self.runtime, START_TIMEOUT, self.log_text()))
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM and wait (SIGKILL after ``timeout``); returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only its workers
                self.proc.wait(5)
        return self.proc.returncode

    def log_text(self):
        self.log.flush()
        with open(self.log.name, 'rb') as f:
            return f.read()[-6000:].decode(errors='replace')


@pytest.fixture(scope='session')
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp('data') / 'data.bin'
    path.write_bytes(os.urandom(300 * 1024 + 7))
    return str(path)


def make_env(data_file, **extra):
    env = dict(os.environ, SERVERS_TEST_DATA_FILE=data_file, PYTHONUNBUFFERED='1')
    env.update(extra)
    return env


def start_server(runtime, data_file, extra_args=(), env=None, url_prefix='', scheme='http',
                 verify=True):
    port = free_port()
    argv = uvicorn_argv(port, *extra_args) if runtime == 'uvicorn' else \
        gunicorn_argv(port, *extra_args)
    return ServerProcess(runtime, argv, port, env or make_env(data_file), url_prefix=url_prefix,
                         scheme=scheme, verify=verify).start()


@pytest.fixture(scope='module', params=['uvicorn', 'gunicorn'])
def server(request, data_file):
    srv = start_server(request.param, data_file)
    try:
        yield srv
    finally:
        alive = srv.alive()
        srv.stop()
        if not alive:
            pytest.fail('{} died during the tests:\n{}'.format(srv.runtime, srv.log_text()))
