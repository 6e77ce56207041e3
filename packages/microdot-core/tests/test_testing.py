"""microdot.testing and microdot.testing_micropython: the helpers plugin authors test with."""
import os
import time
import urllib.request

import pytest

import microdot
from microdot import Microdot
from microdot.testing import LiveServer
from microdot.testing_micropython import (CPYTHON_ONLY, MicroPythonServer, find_micropython,
                                          micropython_flat_build, run_micropython, run_stubtest)

needs_micropython = pytest.mark.skipif(find_micropython() is None,
                                       reason='micropython is not installed')
CORE = os.path.dirname(os.path.abspath(microdot.__file__))
HELLO_APP = '''
from microdot import Microdot
app = Microdot()

@app.get('/')
async def index(request):
    return 'hello from ' + request.args.get('who', 'micropython')

app.run(host='127.0.0.1', port={port})
'''


def test_live_server_serves_the_app():
    app = Microdot()
    app.get('/')(lambda request: 'live')
    with LiveServer(app) as server:
        assert server.port != 0
        with urllib.request.urlopen(server.url + '/', timeout=10) as res:
            assert res.read() == b'live'


def test_flat_build_holds_the_core_without_cpython_only_modules(tmp_path):
    out = micropython_flat_build(tmp_path, modules=[])
    assert out == str(tmp_path)
    core = set(n for n in os.listdir(CORE) if n.endswith('.py'))
    built = set(os.listdir(str(tmp_path / 'microdot')))
    assert built == core - CPYTHON_ONLY
    assert '__init__.py' in built and 'testing.py' not in built and '__main__.py' not in built
    with open(os.path.join(CORE, 'http11.py'), 'rb') as f:
        assert (tmp_path / 'microdot' / 'http11.py').read_bytes() == f.read()


def test_flat_build_empties_the_folder_and_refuses_unknown_modules(tmp_path):
    (tmp_path / 'microdot').mkdir()
    (tmp_path / 'microdot' / 'stale.py').write_text('x = 1\n')
    micropython_flat_build(tmp_path)
    assert not (tmp_path / 'microdot' / 'stale.py').exists()
    with pytest.raises(RuntimeError, match='no_such_plugin'):
        micropython_flat_build(tmp_path, modules=['no_such_plugin'])
    with pytest.raises(RuntimeError, match='testing.py'):  # CPython only: never copied
        micropython_flat_build(tmp_path, modules=['testing'])


def test_flat_build_refuses_a_module_shipped_twice(tmp_path):
    for dist in ('a', 'b'):
        (tmp_path / dist).mkdir()
        (tmp_path / dist / 'same.py').write_text('')
    (tmp_path / 'a' / '__init__.py').write_text('')
    with pytest.raises(RuntimeError, match='same.py is shipped twice'):
        micropython_flat_build(tmp_path / 'out', folders=[str(tmp_path / 'a'),
                                                          str(tmp_path / 'b')])


@needs_micropython
def test_run_micropython_imports_the_flat_build(tmp_path):
    build = micropython_flat_build(tmp_path)
    result = run_micropython('import sys, microdot\nprint(sys.implementation.name, '
                             'microdot.__version__)', micropypath=[build], heapsize='128k')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['micropython', microdot.__version__]
    script = tmp_path / 'fails.py'
    script.write_text('import sys\nprint("out")\nraise ValueError(sys.argv[1])\n')
    result = run_micropython(str(script), args=['boom'], micropypath=[build])
    assert result.returncode != 0
    # the unix port prints an uncaught exception's traceback on stdout
    assert result.stdout.startswith('out\n')
    assert 'ValueError: boom' in result.stdout + result.stderr


@needs_micropython
def test_micropython_server_serves_and_always_stops(tmp_path):
    build = micropython_flat_build(tmp_path)
    with MicroPythonServer(HELLO_APP, micropypath=[build], heapsize='128k') as server:
        assert server.url == 'http://127.0.0.1:{}'.format(server.port)
        with urllib.request.urlopen(server.url + '/?who=test', timeout=10) as res:
            assert res.read() == b'hello from test'
        process = server.process
    assert process.poll() is not None


@needs_micropython
def test_micropython_server_reports_a_failed_start_with_its_output(tmp_path):
    build = micropython_flat_build(tmp_path)
    server = MicroPythonServer('import microdot\nraise OSError("no {port} for you")',
                               micropypath=[build])
    with pytest.raises(RuntimeError) as info:
        server.start()
    assert 'OSError: no {} for you'.format(server.port) in str(info.value)
    assert server.process.poll() is not None


@needs_micropython
def test_micropython_server_waits_a_bounded_time(tmp_path):
    server = MicroPythonServer('import time\ntime.sleep(60)', start_timeout=1)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match='did not start'):
        server.start()
    assert time.monotonic() - started < 15
    assert server.process.poll() is not None  # stopped, not left running


def test_stubtest_passes_for_the_testing_stubs_and_reports_a_failure():
    pytest.importorskip('mypy')
    result = run_stubtest('microdot.testing', 'microdot.testing_micropython')
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_stubtest('microdot.no_such_module')
    assert result.returncode != 0
    assert 'no_such_module' in result.stdout + result.stderr
