"""Several worker processes behind one port (uvicorn --workers 4, gunicorn -w 4): a session
cookie made by one worker is honoured by the others, because sessions are signed cookies and not
process memory. Runs on the uvicorn and gunicorn targets only (MICRODOT_TARGET)."""
import os
import signal
import subprocess
import tempfile
import time

import httpx
import pytest

import server_runtimes
from conftest import START_TIMEOUT, free_port

WORKERS = 4


@pytest.fixture(scope='module')
def workers(server):
    if server.runtime not in ('uvicorn', 'gunicorn'):
        pytest.skip('several workers are a uvicorn/gunicorn matter')
    port = free_port()
    argv, env = server_runtimes.runtimes([])[server.runtime](port, None, '--workers', str(WORKERS))
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = 'http://127.0.0.1:{}'.format(port)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert proc.poll() is None, 'the server exited with {}'.format(proc.returncode)
            try:
                if httpx.get(url + '/servers/pid', timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, 'the server did not start'
            time.sleep(0.1)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


def fresh_get(url, cookies=None):
    # a new connection per request, so that the kernel may hand it to any worker
    with httpx.Client(cookies=cookies, timeout=10) as client:
        return client.get(url, headers={'Connection': 'close'})


def test_requests_are_spread_over_workers(workers):
    pids = set()
    for _ in range(200):
        pids.add(fresh_get(workers + '/servers/pid').text)
        if len(pids) > 1:
            break
    assert len(pids) > 1, 'every request went to worker {}'.format(pids)


def test_session_made_by_one_worker_is_honoured_by_another(workers):
    res = fresh_get(workers + '/servers/session/set/shared-value')
    if res.status_code == 404:
        pytest.skip('microdot-session is not installed')
    assert res.status_code == 200
    maker = res.text
    cookies = {name: value for name, value in res.cookies.items()}
    assert 'session' in cookies
    readers = set()
    for _ in range(200):
        got = fresh_get(workers + '/servers/session/get', cookies=cookies).json()
        assert got['value'] == 'shared-value', got
        readers.add(str(got['pid']))
        if readers - {maker}:
            break
    assert readers - {maker}, 'no other worker than {} answered'.format(maker)
