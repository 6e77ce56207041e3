"""A missing engine: the microdot module imports, and first use names what to install.

Each case runs in a fresh interpreter in which the engine cannot be imported (``sys.modules``
holds None for it, which is how Python spells "import this and fail").
"""
import subprocess
import sys
import textwrap


def run(code, tmp_path):
    (tmp_path / 'templates').mkdir(exist_ok=True)
    (tmp_path / 'templates' / 'index.html').write_text('hi\n')
    proc = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return proc.returncode, proc.stdout.decode()


def test_missing_utemplate_fails_on_first_use_with_the_install_command(tmp_path):
    code, out = run('''
        import sys
        sys.modules['utemplate'] = None
        from microdot.utemplate import Template, UTemplateExtension, EngineNotInstalledError
        from microdot import Microdot
        app = Microdot()
        UTemplateExtension(app)          # creating the extension does not need the engine yet
        for use in (lambda: Template('index.html'), Template.initialize,
                    lambda: Template('index.html', app=app)):
            try:
                use()
            except EngineNotInstalledError as exc:
                assert isinstance(exc, ImportError)
                print('ERROR:', exc)
            else:
                raise SystemExit('no error')
    ''', tmp_path)
    assert code == 0, out
    assert out.count('ERROR: microdot.utemplate needs the uTemplate engine') == 3, out
    assert 'python -m microdot.utemplate install' in out


def test_missing_jinja_fails_on_first_use_with_the_pip_command(tmp_path):
    code, out = run('''
        import sys
        sys.modules['jinja2'] = None
        from microdot.jinja import Template, JinjaExtension, EngineNotInstalledError
        from microdot import Microdot
        app = Microdot()
        ext = JinjaExtension(app)
        for use in (lambda: Template('index.html'), Template.initialize,
                    lambda: ext.template('index.html')):
            try:
                use()
            except ImportError as exc:
                assert type(exc) is EngineNotInstalledError
                print('ERROR:', exc)
            else:
                raise SystemExit('no error')
    ''', tmp_path)
    assert code == 0, out
    assert out.count('ERROR: microdot.jinja needs Jinja2, which is not installed: install it '
                     'with pip install "microdot-templates[jinja]"') == 3, out


def test_missing_engine_in_a_route_is_a_500_not_a_dead_server(tmp_path):
    code, out = run('''
        import sys
        sys.modules['utemplate'] = None
        import httpx
        from microdot import Microdot
        from microdot.testing import LiveServer
        from microdot.utemplate import Template
        app = Microdot()

        @app.get('/')
        def index(req):
            return Template('index.html').render()

        @app.get('/ok')
        def ok(req):
            return 'ok'

        with LiveServer(app) as server:
            print(httpx.get(server.url + '/').status_code, httpx.get(server.url + '/ok').text)
    ''', tmp_path)
    assert code == 0, out
    assert '500 ok' in out
    assert 'python -m microdot.utemplate install' in out  # the printed exception says what to do
