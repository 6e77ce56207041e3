"""Start-up, shut-down, lifespan, mounting under a prefix and app.shutdown(), per server."""
import socket
import time

import httpx
import pytest

from conftest import make_env, start_server

# uvicorn (0.29+) re-raises the SIGTERM it handled once it has shut down gracefully
CLEAN_EXIT = (0, -15)


@pytest.mark.parametrize('runtime,args', [('uvicorn', ()), ('gunicorn', ()),
                                          ('gunicorn', ('--worker-class', 'sync'))])
def test_shutdown_handlers_run_when_server_stops(runtime, args, data_file, tmp_path):
    marker = tmp_path / 'shutdown.txt'
    srv = start_server(runtime, data_file, extra_args=args,
                       env=make_env(data_file, SERVERS_TEST_SHUTDOWN_FILE=str(marker)))
    try:
        worker_pid = httpx.get(srv.url + '/pid').text
        assert not marker.exists()
    finally:
        code = srv.stop()
    assert code in CLEAN_EXIT, srv.log_text()
    assert marker.read_text() == 'shutdown {}\n'.format(worker_pid)


@pytest.mark.parametrize('runtime,workers', [('uvicorn', 1), ('gunicorn', 1), ('uvicorn', 2),
                                             ('gunicorn', 2)])
def test_app_shutdown_stops_the_whole_server(runtime, workers, data_file):
    srv = start_server(runtime, data_file, extra_args=('--workers', str(workers)))
    try:
        assert httpx.get(srv.url + '/shutdown').text == 'bye'
        deadline = time.monotonic() + 20
        while srv.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not srv.alive(), 'the server is still running:\n' + srv.log_text()
        assert srv.proc.returncode in CLEAN_EXIT, srv.log_text()
    finally:
        srv.stop()


def test_lifespan_state_and_startup(data_file):
    srv = start_server('uvicorn', data_file)
    try:
        info = httpx.get(srv.url + '/info/x').json()
        assert info['lifespan_state'] == {'from_lifespan': 'yes'}
        assert httpx.get(srv.url + '/state').json()['started'] == 1
    finally:
        srv.stop()


def test_startup_without_lifespan(data_file):
    srv = start_server('uvicorn', data_file, extra_args=('--lifespan', 'off'))
    try:
        assert httpx.get(srv.url + '/state').json()['started'] == 1
    finally:
        srv.stop()


def test_asgi_root_path(data_file):
    # uvicorn puts --root-path in front of every path; the app routes on what follows it
    srv = start_server('uvicorn', data_file, extra_args=('--root-path', '/mount'))
    try:
        info = httpx.get(srv.url + '/info/a%2Fb?q=1').json()
        assert info['root_path'] == '/mount'
        assert info['path'] == '/info/a%2Fb'
        assert info['url'] == '/info/a%2Fb?q=1'
        assert info['rest'] == 'a/b'
    finally:
        srv.stop()


def test_wsgi_script_name(data_file):
    srv = start_server('gunicorn', data_file, env=make_env(data_file, SCRIPT_NAME='/mount'),
                       url_prefix='/mount')
    try:
        info = httpx.get(srv.url + '/info/a%2Fb?q=1').json()
        assert info['script_name'] == '/mount'
        assert info['path'] == '/info/a%2Fb'
        assert info['url'] == '/info/a%2Fb?q=1'
        assert info['rest'] == 'a/b'
    finally:
        srv.stop()


@pytest.mark.parametrize('args', [('--worker-class', 'sync'),
                                  ('--preload', '--workers', '2')])
def test_gunicorn_worker_variants(args, data_file):
    srv = start_server('gunicorn', data_file, extra_args=args)
    try:
        assert httpx.get(srv.url + '/slow/3').text == '3'
        assert httpx.post(srv.url + '/echo', content=b'z' * 5000).json()['size'] == 5000
        with httpx.stream('GET', srv.url + '/stream/3') as res:
            assert list(res.iter_lines()) == ['chunk 1', 'chunk 2', 'chunk 3']
        if '--preload' in args:
            return  # two workers: /state may come from the other one
        # a client leaving an idle stream frees the worker (the sync worker has only this one)
        with socket.create_connection((srv.host, srv.port), timeout=5) as s:
            s.sendall(b'GET /idle/variant HTTP/1.1\r\nHost: x\r\n\r\n')
            data = b''
            while b'first' not in data:
                data += s.recv(4096)
        deadline = time.monotonic() + 10
        while 'variant' not in httpx.get(srv.url + '/state', timeout=10).json()['cleaned']:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        assert srv.stop() in CLEAN_EXIT


def test_failed_lifespan_startup_stops_uvicorn(data_file):
    with pytest.raises(RuntimeError) as info:
        srv = start_server('uvicorn', data_file,
                           env=make_env(data_file, SERVERS_TEST_FAIL_STARTUP='1'))
        srv.stop()
    assert 'start-up failed on purpose' in str(info.value)


def test_failed_startup_under_gunicorn_answers_500_then_retries(data_file):
    srv = start_server('gunicorn', data_file,
                       env=make_env(data_file, SERVERS_TEST_FAIL_STARTUP='1'))
    try:
        # the readiness probe got the 500; start-up then succeeded on the next request
        state = httpx.get(srv.url + '/state').json()
        assert (state['startup_failures'], state['started']) == (1, 1)
        assert 'start-up failed on purpose' in srv.log_text()
    finally:
        srv.stop()


@pytest.mark.parametrize('module', ['asgi_app', 'wsgi_app'])
def test_run_uses_the_builtin_server(module, data_file):
    import sys
    from conftest import APPS, ServerProcess, free_port
    port = free_port()
    code = 'import {0}; {0}.app.run(host="127.0.0.1", port={1})'.format(module, port)
    env = make_env(data_file, PYTHONPATH=APPS)
    srv = ServerProcess('built-in', [sys.executable, '-c', code], port, env).start()
    try:
        assert httpx.get(srv.url + '/info/x').json()['http_version'] == '1.1'
        with httpx.stream('GET', srv.url + '/stream/2') as res:
            assert list(res.iter_lines()) == ['chunk 1', 'chunk 2']
        assert httpx.get(srv.url + '/shutdown').text == 'bye'
        srv.proc.wait(15)
        assert srv.proc.returncode == 0, srv.log_text()
    finally:
        srv.stop()
