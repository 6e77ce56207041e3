"""A third-party plugin made from templates/plugin, built and installed like a user would.

One clean venv (module scope) gets the core and two rendered plugins, all as wheels built by
hatchling through pip (PEP 517, isolated build): ``microdot-acme`` declares the default core
range, ``microdot-oldie`` declares ``>=99,<100``. The checks then run in that venv, in real
processes, with no PYTHONPATH and no editable installs.
"""
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
TEMPLATE = REPO / 'templates' / 'plugin'
CORE_DIR = REPO / 'packages' / 'microdot-core'
BIN = 'Scripts' if os.name == 'nt' else 'bin'


def clean_env():
    env = dict(os.environ)
    for var in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'PYTHONSTARTUP'):
        env.pop(var, None)
    return env


def run(cmd, cwd, check=True, timeout=300):
    out = subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=clean_env(), capture_output=True,
                         text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError('{} failed ({}):\n{}\n{}'.format(
            ' '.join(str(c) for c in cmd), out.returncode, out.stdout, out.stderr))
    return out


class PluginVenv:
    def __init__(self, root):
        self.root = root
        self.wheels = root / 'wheels'
        self.python = root / 'venv' / BIN / 'python'

    def py(self, code, check=True):
        """Run ``code`` with the venv's Python, outside the repository."""
        return run([self.python, '-c', textwrap.dedent(code)], self.root, check=check)

    def wheel(self, dist):
        [path] = self.wheels.glob(dist.replace('-', '_') + '-*.whl')
        return path


@pytest.fixture(scope='module')
def venv(tmp_path_factory):
    if not (TEMPLATE / 'render.py').is_file():
        pytest.skip('the plugin template is not here (run from a checkout of the repository)')
    root = tmp_path_factory.mktemp('plugin-template')
    env = PluginVenv(root)
    run([sys.executable, TEMPLATE / 'render.py', 'acme', root / 'microdot-acme',
         '--description', 'Request ids for microdot.'], root)
    run([sys.executable, TEMPLATE / 'render.py', 'oldie', root / 'microdot-oldie',
         '--core-range', '>=99,<100'], root)
    run([sys.executable, '-m', 'venv', root / 'venv'], root)
    run([env.python, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', env.wheels,
         CORE_DIR, root / 'microdot-acme', root / 'microdot-oldie'], root, timeout=600)
    run([env.python, '-m', 'pip', 'install', '-q', '--no-index', '--find-links', env.wheels,
         'microdot-acme'], root)
    # pip itself refuses the plugin whose core range excludes this core ...
    env.pip_refusal = run([env.python, '-m', 'pip', 'install', '--no-index', '--find-links',
                           env.wheels, 'microdot-oldie'], root, check=False)
    # ... so install it the way a core upgrade leaves an old plugin behind: without deps
    run([env.python, '-m', 'pip', 'install', '-q', '--no-deps', env.wheel('microdot-oldie')], root)
    return env


def test_the_plugin_wheel_holds_its_module_and_never_microdot_init(venv):
    names = zipfile.ZipFile(str(venv.wheel('microdot-acme'))).namelist()
    assert 'microdot_acme/__init__.py' in names
    assert not [n for n in names if n.startswith('microdot/')]
    entry_points = [n for n in names if n.endswith('entry_points.txt')]
    text = zipfile.ZipFile(str(venv.wheel('microdot-acme'))).read(entry_points[0]).decode()
    assert '[microdot.extensions]' in text and 'acme = microdot_acme:Acme' in text


def test_the_venv_is_clean_so_the_registry_uses_its_own_specifier_evaluator(venv):
    out = venv.py('''
        import importlib.metadata as m
        print(sorted(d.metadata["Name"].lower() for d in m.distributions()))
        try:
            import packaging
        except ImportError:
            print("no packaging")
    ''')
    names, packaging = out.stdout.splitlines()
    assert packaging == 'no packaging'
    assert {'microdot-core', 'microdot-acme', 'microdot-oldie'} <= set(eval(names))


def test_the_plugin_is_discovered_without_being_imported(venv):
    out = venv.py('''
        import json, sys
        from microdot import registry
        infos = {i.name: i for i in registry.list_extensions()}
        print(json.dumps({name: [i.distribution, i.version, i.target, i.requires_core,
                                 i.compatible, i.reason] for name, i in infos.items()}))
        print(json.dumps(sorted(m for m in sys.modules if 'acme' in m or 'oldie' in m)))
    ''')
    listing, imported = out.stdout.splitlines()
    listing = json.loads(listing)
    assert listing['acme'] == ['microdot-acme', '0.1.0', 'microdot_acme:Acme', '>=0.1,<1', True,
                               None]
    assert listing['oldie'][:5] == ['microdot-oldie', '0.1.0', 'microdot_oldie:Oldie',
                                    '>=99,<100', False]
    assert json.loads(imported) == []


def test_the_plugin_loads_and_hooks_into_a_request_on_a_real_server(venv):
    out = venv.py('''
        import urllib.request
        from microdot import Microdot, registry
        from microdot.testing import LiveServer

        app = Microdot()

        @app.get('/')
        def index(request):
            return 'id=' + request.g.request_id

        ext = registry.initialize_extension(app, 'acme', header='X-Acme-ID')
        assert app.extensions['acme'] is ext
        with LiveServer(app) as server:
            req = urllib.request.Request(server.url + '/', headers={'X-Acme-ID': 'abc-1'})
            with urllib.request.urlopen(req, timeout=10) as res:
                print(res.status, res.headers['X-Acme-ID'], res.read().decode())
        try:
            registry.initialize_extension(app, 'acme')
        except RuntimeError as exc:
            print('twice:', exc)
    ''')
    first, second = out.stdout.splitlines()
    assert first == '200 abc-1 id=abc-1'
    assert second.startswith('twice:') and "'acme'" in second


def test_python_m_microdot_extensions_shows_the_plugin(venv):
    out = run([venv.python, '-m', 'microdot', 'extensions'], venv.root)
    print(out.stdout)  # the report quotes it (pytest -s)
    rows = {line.split()[0]: line for line in out.stdout.splitlines()[2:] if line.strip()}
    assert rows['acme'].split() == ['acme', 'microdot-acme', '0.1.0', 'microdot_acme:Acme', 'yes']
    assert rows['oldie'].split()[:5] == ['oldie', 'microdot-oldie', '0.1.0', 'microdot_oldie:Oldie',
                                         'NO:']
    assert 'microdot-core >=99,<100, this is microdot-core 0.1.0' in rows['oldie']
    assert 'pip install microdot-session' in out.stdout


def test_pip_already_refuses_the_incompatible_plugin(venv):
    assert venv.pip_refusal.returncode != 0
    assert 'microdot-core' in venv.pip_refusal.stdout + venv.pip_refusal.stderr


def test_the_incompatible_plugin_is_refused_with_one_clear_message(venv):
    out = venv.py('''
        import sys
        from microdot import registry
        try:
            registry.load_extension('oldie')
        except registry.IncompatibleExtensionError as exc:
            print(exc)
        print('imported' if 'microdot_oldie' in sys.modules else 'not imported')
    ''')
    message, imported = out.stdout.splitlines()
    assert message == ("microdot extension 'oldie' (microdot-oldie 0.1.0) cannot be loaded: it "
                       "supports microdot-core >=99,<100, this is microdot-core 0.1.0. Install a "
                       "version of microdot-oldie that supports microdot-core 0.1.0.")
    assert imported == 'not imported'


def test_the_templates_own_tests_pass_against_the_installed_wheel(venv):
    # last: pytest brings `packaging` into the venv
    run([venv.python, '-m', 'pip', 'install', '-q', '-r',
         venv.root / 'microdot-acme' / 'tests' / 'requirements.txt'], venv.root)
    out = run([venv.python, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'],
              venv.root / 'microdot-acme', check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ' passed' in out.stdout and 'failed' not in out.stdout
