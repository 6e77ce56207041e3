"""`python -m microdot extensions` and `python -m microdot run`, run as real processes."""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

from microdot import registry

from registry_helpers import CORE_SRC, write_distribution


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError('server exited early: {}'.format(proc.communicate()))
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError('server did not listen on port {}'.format(port))


def run_cli(args, cwd=None, pythonpath=()):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(list(pythonpath) + [CORE_SRC] + (
        [env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    return subprocess.run([sys.executable, '-m', 'microdot'] + args, capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=60)


# ---------------------------------------------------------------------------------------------
# extensions
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def site(tmp_path):
    path = str(tmp_path / 'site')
    write_distribution(path, 'microdot-acme', '1.2.0', {'acme': 'acme_cli:Acme'},
                       requires=['microdot-core>=0.1,<1'],
                       modules={'acme_cli.py': 'raise SystemExit("listing must not import me")\n'})
    write_distribution(path, 'microdot-oldie', '0.3.0', {'oldie': 'oldie_cli:Oldie'},
                       requires=['microdot-core>=99,<100'])
    return path


def row(output, name):
    [line] = [line for line in output.splitlines() if line.split()[:1] == [name]]
    return line


def test_extensions_lists_name_distribution_version_target_and_compatibility(site):
    out = run_cli(['extensions'], pythonpath=[site])
    assert out.returncode == 0, out.stderr
    assert out.stderr == ''
    assert out.stdout.startswith('microdot-core {} (extension API {})'.format(
        registry.core_version(), registry.EXTENSION_API))
    assert row(out.stdout, 'name').split() == ['name', 'distribution', 'version', 'points', 'to',
                                                'compatible']
    assert row(out.stdout, 'acme').split() == ['acme', 'microdot-acme', '1.2.0', 'acme_cli:Acme',
                                                'yes']
    oldie = row(out.stdout, 'oldie')
    assert oldie.split()[:5] == ['oldie', 'microdot-oldie', '0.3.0', 'oldie_cli:Oldie', 'NO:']
    assert 'microdot-core >=99,<100' in oldie and registry.core_version() in oldie


def test_extensions_gives_the_pip_line_for_missing_first_party_extensions(site):
    out = run_cli(['extensions'], pythonpath=[site])
    installed = set(line.split()[0] for line in out.stdout.splitlines()[3:] if line.strip())
    section = out.stdout.split('First-party extensions not installed:')[1]
    for name, (dist, pip_arg) in registry.FIRST_PARTY.items():
        if name in installed:
            continue
        assert row(section, name).split(None, 1)[1] == 'pip install ' + pip_arg
    if 'jinja' not in installed:
        assert 'pip install "microdot-templates[jinja]"' in section


def test_extensions_with_nothing_installed_says_so(tmp_path):
    # -S keeps site-packages out, so only the core on PYTHONPATH is seen
    env = dict(os.environ, PYTHONPATH=CORE_SRC)
    out = subprocess.run([sys.executable, '-S', '-m', 'microdot', 'extensions'], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert 'No microdot extensions are installed.' in out.stdout
    assert 'pip install microdot-websocket' in out.stdout


def test_version_and_usage():
    out = run_cli(['--version'])
    assert out.stdout.strip() == 'microdot-core {}'.format(registry.core_version())
    out = run_cli([])
    assert out.returncode == 2 and 'extensions' in out.stderr and 'run' in out.stderr


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------

APP_MODULE = textwrap.dedent('''
    from microdot import Microdot

    application = Microdot()

    @application.on_startup
    def started():
        print('started', flush=True)

    @application.on_shutdown
    def stopped():
        print('stopped', flush=True)

    @application.get('/')
    def index(request):
        return 'debug={}'.format(request.app.debug)

    @application.get('/stop')
    def stop(request):
        request.app.shutdown()
        return 'bye'
''')


@pytest.fixture
def app_dir(tmp_path):
    (tmp_path / 'cli_app.py').write_text(APP_MODULE)
    return str(tmp_path)


def start(app_dir, *args):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=CORE_SRC, PYTHONUNBUFFERED='1')
    proc = subprocess.Popen([sys.executable, '-m', 'microdot', 'run', 'cli_app:application',
                             '--port', str(port)] + list(args), cwd=app_dir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_port(port, proc)
    return proc, 'http://127.0.0.1:{}'.format(port)


def stop(proc):
    if proc.poll() is None:
        proc.kill()
    return proc.communicate()


def get(url):
    with urllib.request.urlopen(url, timeout=10) as res:
        return res.status, res.read().decode()


@pytest.mark.parametrize('debug', [False, True])
def test_run_serves_the_app_and_runs_its_lifecycle_hooks(app_dir, debug):
    proc, url = start(app_dir, *(['--debug'] if debug else []))
    try:
        assert get(url + '/') == (200, 'debug={}'.format(debug))
        assert get(url + '/stop') == (200, 'bye')
        proc.wait(timeout=30)
    finally:
        out, err = stop(proc)
    assert proc.returncode == 0, err
    assert out.split()[0] == 'started' and out.split()[-1] == 'stopped'
    assert 'Traceback' not in err


def test_run_stops_cleanly_on_ctrl_c(app_dir):
    proc, url = start(app_dir)
    try:
        assert get(url + '/')[0] == 200
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        out, err = stop(proc)
    assert 'Traceback' not in err
    assert proc.returncode in (0, -signal.SIGINT, 130)
    assert 'stopped' in out


def test_run_listens_on_127_0_0_1_by_default(app_dir):
    proc, url = start(app_dir)
    try:
        assert get(url + '/')[0] == 200
    finally:
        stop(proc)


@pytest.mark.parametrize('spec, message', [
    ('no_such_module:app', "cannot import 'no_such_module': no module named 'no_such_module'"),
    ('cli_app:nope', "module 'cli_app' has no attribute 'nope'"),
    ('cli_app:textwrap', 'is not a microdot application'),
    ('cli_app', "module 'cli_app' has no attribute 'app'"),
])
def test_run_with_a_wrong_target_says_what_is_wrong_in_one_line(app_dir, spec, message):
    with open(os.path.join(app_dir, 'cli_app.py'), 'a') as f:
        f.write('import textwrap\n')
    out = run_cli(['run', spec], cwd=app_dir)
    assert out.returncode != 0
    assert message in out.stderr
    assert 'Traceback' not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_run_shows_the_traceback_of_an_error_inside_the_users_module(tmp_path):
    (tmp_path / 'buggy.py').write_text('import not_installed_dependency_xyz\n')
    out = run_cli(['run', 'buggy:app'], cwd=str(tmp_path))
    assert out.returncode != 0
    assert 'Traceback' in out.stderr and 'not_installed_dependency_xyz' in out.stderr
