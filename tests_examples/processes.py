"""Real server processes for the example and browser tests: start on a free port of 127.0.0.1,
wait (bounded) until the port accepts connections, always stop."""
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, 'examples')
START_TIMEOUT = 20


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class ServerProcess:
    """``argv`` run in ``cwd``; ``{port}`` in argv is replaced by a free port."""

    def __init__(self, argv, cwd=ROOT, env=None, port=None):
        self.port = port or free_port()
        self.url = 'http://127.0.0.1:{}'.format(self.port)
        self.argv = [a.replace('{port}', str(self.port)) for a in argv]
        self.cwd = cwd
        self.env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
        self.log = tempfile.TemporaryFile()
        self.proc = None

    def output(self):
        self.log.seek(0)
        return self.log.read().decode('utf-8', 'replace')

    def start(self):
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('{} exited with {}:\n{}'.format(
                    self.argv, self.proc.returncode, self.output()))
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError('{} did not listen within {}s:\n{}'.format(
            self.argv, START_TIMEOUT, self.output()))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.output()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def python(*args):
    return [sys.executable] + list(args)


def uvicorn(app_dir, target):
    return python('-m', 'uvicorn', '--app-dir', app_dir, '--host', '127.0.0.1', '--port', '{port}',
                  '--log-level', 'warning', target)


def gunicorn(chdir, target):
    return python('-m', 'gunicorn', '--chdir', chdir, '-b', '127.0.0.1:{port}', '-k', 'gthread',
                  '--threads', '16', '-w', '1', '--graceful-timeout', '2', target)
