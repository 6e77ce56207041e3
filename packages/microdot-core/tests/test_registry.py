"""The extension registry: listing, loading, compatibility, registration, and the app seams that
extensions use (app.extensions / add_extension, start-up and shut-down hooks)."""
import os
import shutil
import subprocess
import sys
import textwrap
import urllib.request

import pytest

from microdot import Microdot, registry
from microdot.registry import (ExtensionError, ExtensionLoadError, ExtensionNotFoundError,
                               IncompatibleExtensionError)
from microdot.test_client import TestClient

from registry_helpers import CORE_SRC, forget_modules, plugin_module, write_distribution

CORE = registry.core_version()


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder of installed distributions on sys.path, forgotten (with its modules) afterwards."""
    path = str(tmp_path / 'site')
    os.makedirs(path)
    monkeypatch.syspath_prepend(path)
    yield path
    for mod in [m for m in list(sys.modules) if m.startswith('acme')]:
        forget_modules(mod)


@pytest.fixture(autouse=True)
def no_registrations():
    saved = dict(registry._registered)
    registry._registered.clear()
    yield
    registry._registered.clear()
    registry._registered.update(saved)


def install_acme(site, dist='microdot-acme', version='1.2.0', name='acme', module='acme_ext',
                 requires=('microdot-core>=0.1,<1',), source=None):
    write_distribution(site, dist, version, {name: '{}:Acme'.format(module)}, requires=requires,
                       modules={module + '.py': source or plugin_module(name, 'Acme')})


def by_name(name):
    return [info for info in registry.list_extensions() if info.name == name]


# ---------------------------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------------------------

def test_listing_reads_metadata_and_imports_nothing(site):
    install_acme(site)
    [info] = by_name('acme')
    assert info.distribution == 'microdot-acme'
    assert info.version == '1.2.0'
    assert info.target == 'acme_ext:Acme'
    assert info.requires_core == '>=0.1,<1'
    assert info.compatible is True and info.reason is None
    assert info.source == 'entry point'
    assert 'acme_ext' not in sys.modules


def test_listing_flags_an_incompatible_core_range_with_the_reason(site):
    install_acme(site, requires=['microdot-core>=99,<100'])
    [info] = by_name('acme')
    assert info.compatible is False
    assert '>=99,<100' in info.reason and CORE in info.reason


def test_plugin_without_core_requirement_is_listed_as_compatible_with_a_note(site):
    install_acme(site, requires=['somethingelse>=1'])
    [info] = by_name('acme')
    assert info.compatible is True
    assert info.requires_core is None
    assert 'no microdot-core range' in info.reason


def test_two_distributions_offering_one_name_are_both_flagged(site):
    install_acme(site, dist='microdot-acme', module='acme_one')
    install_acme(site, dist='microdot-acme-fork', module='acme_two')
    infos = by_name('acme')
    assert sorted(i.distribution for i in infos) == ['microdot-acme', 'microdot-acme-fork']
    assert all(not i.compatible and 'several distributions' in i.reason for i in infos)
    with pytest.raises(ExtensionError, match='ambiguous'):
        registry.load_extension('acme')
    with pytest.raises(IncompatibleExtensionError) as excinfo:
        infos[0].load()
    assert str(excinfo.value).endswith('several distributions: microdot-acme, microdot-acme-fork.')


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def test_load_imports_on_demand_and_returns_the_extension_class(site):
    install_acme(site)
    cls = registry.load_extension('acme')
    assert cls.__name__ == 'Acme' and cls.__module__ == 'acme_ext'
    assert 'acme_ext' in sys.modules


async def test_initialize_extension_by_name_hooks_into_requests(site):
    install_acme(site)
    app = Microdot()

    @app.get('/')
    def index(request):
        return 'hi'

    ext = registry.initialize_extension(app, 'acme', value='yes')
    assert app.extensions['acme'] is ext
    res = await TestClient(app).get('/')
    assert res.status_code == 200 and res.text == 'hi'
    assert res.headers['X-Acme'] == 'yes'


def test_incompatible_plugin_is_refused_before_import_with_one_clear_message(site):
    install_acme(site, requires=['microdot-core>=99,<100'])
    with pytest.raises(IncompatibleExtensionError) as excinfo:
        registry.load_extension('acme')
    message = str(excinfo.value)
    for part in ("'acme'", 'microdot-acme 1.2.0', '>=99,<100', 'microdot-core ' + CORE):
        assert part in message
    assert 'acme_ext' not in sys.modules
    assert isinstance(excinfo.value, ImportError)


def test_broken_plugin_reports_its_name_not_a_bare_traceback(site):
    install_acme(site, source='import acme_dependency_that_is_not_installed\n')
    with pytest.raises(ExtensionLoadError) as excinfo:
        registry.load_extension('acme')
    message = str(excinfo.value)
    for part in ("'acme'", 'microdot-acme 1.2.0', 'acme_ext:Acme', 'ModuleNotFoundError',
                 'acme_dependency_that_is_not_installed', '>=0.1,<1', 'microdot-core ' + CORE):
        assert part in message
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)


def test_plugin_raising_at_import_is_wrapped_too(site):
    install_acme(site, source='raise RuntimeError("boom at import")\n')
    with pytest.raises(ExtensionLoadError, match="'acme'.*RuntimeError: boom at import"):
        registry.load_extension('acme')


def test_entry_point_naming_a_missing_attribute_is_a_load_error(site):
    write_distribution(site, 'microdot-acme', '1.0', {'acme': 'acme_attr:Nope'},
                       modules={'acme_attr.py': 'X = 1\n'})
    with pytest.raises(ExtensionLoadError, match="'acme'.*AttributeError"):
        registry.load_extension('acme')


@pytest.mark.parametrize('where', ['module', 'class'])
def test_declared_extension_api_is_checked_at_load(site, where):
    source = plugin_module('acme', 'Acme')
    if where == 'module':
        source = 'MICRODOT_EXTENSION_API = 99\n' + source
    else:
        source = source.replace('    def __init__', '    MICRODOT_EXTENSION_API = 99\n\n    def __init__')
    install_acme(site, source=source)
    [info] = by_name('acme')
    assert info.compatible  # metadata cannot know the API version: it is checked after import
    with pytest.raises(IncompatibleExtensionError) as excinfo:
        registry.load_extension('acme')
    message = str(excinfo.value)
    assert "'acme'" in message and 'extension API 99' in message
    assert 'provides extension API {}'.format(registry.EXTENSION_API) in message


def test_supported_extension_api_loads(site):
    install_acme(site, source='MICRODOT_EXTENSION_API = {}\n'.format(registry.EXTENSION_API)
                 + plugin_module('acme', 'Acme'))
    assert registry.load_extension('acme').__name__ == 'Acme'


def test_unknown_name_is_not_found():
    with pytest.raises(ExtensionNotFoundError, match="'nosuchext'"):
        registry.load_extension('nosuchext')


def test_missing_first_party_extension_names_the_pip_install_line():
    missing = [name for name in sorted(registry.FIRST_PARTY) if not by_name(name)]
    if not missing:
        pytest.skip('every first-party extension is installed here')
    for name in missing:
        with pytest.raises(ExtensionNotFoundError) as excinfo:
            registry.load_extension(name)
        assert str(excinfo.value).endswith('pip install ' + registry.FIRST_PARTY[name][1])


# ---------------------------------------------------------------------------------------------
# Explicit registration (what MicroPython has)
# ---------------------------------------------------------------------------------------------

class Greeter:
    def __init__(self, app=None, word='hello'):
        self.word = word
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        app.add_extension('greeter', self)


def test_register_an_object_lists_and_loads_it():
    info = registry.register_extension('greeter', Greeter, distribution='my-app', version='3.0')
    assert by_name('greeter') == [info]
    assert info.source == 'registered' and info.compatible
    assert info.target == '{}:Greeter'.format(__name__)
    assert registry.load_extension('greeter') is Greeter


def test_register_a_string_target_imports_it_lazily(site):
    with open(os.path.join(site, 'acme_lazy.py'), 'w') as f:
        f.write(plugin_module('lazy', 'Lazy'))
    registry.register_extension('lazy', 'acme_lazy:Lazy')
    assert 'acme_lazy' not in sys.modules
    assert registry.load_extension('lazy').__name__ == 'Lazy'


def test_registered_extension_with_incompatible_range_is_refused():
    registry.register_extension('greeter', Greeter, distribution='my-app', version='3.0',
                                requires_core='>=99')
    with pytest.raises(IncompatibleExtensionError, match="'greeter' \\(my-app 3.0\\)"):
        registry.load_extension('greeter')


def test_registered_name_hides_an_installed_one(site):
    install_acme(site)
    registry.register_extension('acme', Greeter)
    assert [i.source for i in by_name('acme')] == ['registered']
    assert registry.load_extension('acme') is Greeter
    registry.unregister_extension('acme')
    assert [i.source for i in by_name('acme')] == ['entry point']


def test_without_importlib_metadata_discovery_degrades_to_registrations(site, monkeypatch):
    install_acme(site)
    monkeypatch.setattr(registry, '_metadata', None)
    assert registry.list_extensions() == []
    registry.register_extension('greeter', Greeter)
    assert [i.name for i in registry.list_extensions()] == ['greeter']
    with pytest.raises(ExtensionNotFoundError, match='register_extension'):
        registry.load_extension('acme')


MICROPYTHON_SCRIPT = '''
from microdot import registry
assert registry.list_extensions() == [], registry.list_extensions()
class Ext:
    def __init__(self, app=None):
        pass
info = registry.register_extension('ext', Ext, requires_core='>=0.1,<1')
assert info.compatible, info.reason
assert registry.load_extension('ext') is Ext
registry.register_extension('lazy', 'mp_lazy:Lazy')
assert registry.load_extension('lazy').__name__ == 'Lazy'
registry.register_extension('old', Ext, requires_core='>=99')
try:
    registry.load_extension('old')
except registry.IncompatibleExtensionError as exc:
    print('refused:', exc)
try:
    registry.load_extension('session')
except ImportError as exc:
    print('missing:', exc)
print('names:', [i.name for i in registry.list_extensions()])
'''


def test_registry_works_on_micropython(tmp_path):
    micropython = shutil.which('micropython')
    if micropython is None:
        pytest.skip('micropython is not installed')
    flat = tmp_path / 'flat' / 'microdot'
    flat.mkdir(parents=True)
    for name in os.listdir(os.path.join(CORE_SRC, 'microdot')):
        if name.endswith('.py') and name not in ('testing.py', '__main__.py'):
            shutil.copy(os.path.join(CORE_SRC, 'microdot', name), str(flat))
    (tmp_path / 'flat' / 'mp_lazy.py').write_text('class Lazy:\n    pass\n')
    (tmp_path / 'script.py').write_text(MICROPYTHON_SCRIPT)
    env = dict(os.environ, MICROPYPATH='{}:.frozen'.format(tmp_path / 'flat'))
    out = subprocess.run([micropython, '-X', 'heapsize=256k', str(tmp_path / 'script.py')],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "refused: microdot extension 'old'" in out.stdout and '>=99' in out.stdout
    assert 'missing:' in out.stdout and 'pip install microdot-session' in out.stdout
    assert "names: ['ext', 'lazy', 'old']" in out.stdout


# ---------------------------------------------------------------------------------------------
# Compatibility checks without `packaging`
# ---------------------------------------------------------------------------------------------

VERSIONS = ['0.1', '0.1.0', '0.1.0.dev0', '0.2.0rc1', '0.9.9', '1.0.0rc1', '1.0', '1.0+local',
            '1.0.post1', '1.0.dev3', '1.0c1', '1.0alpha2', '1.0.0-beta.3', '1.0-1', '1.4.5', '1.4.6',
            '1.5', '2.0a1', '1!0.5']
SPECIFIERS = ['>=0.1,<1', '<1', '>1', '>=1.0', '==1.0', '==1.*', '!=1.*', '~=1.4.5', '~=1.4', '<=1.0',
              '!=1.0', '>1.0.post1', '<1.0rc2', '==1.0.0', '>=1.0.dev0', '==0.*', '~=0.1',
              '>=0.1.0.dev0,<1', '===1.0', '']


@pytest.mark.parametrize('spec', SPECIFIERS)
def test_own_specifier_evaluator_agrees_with_packaging(spec):
    specifiers = pytest.importorskip('packaging.specifiers')
    for version in VERSIONS:
        expected = specifiers.SpecifierSet(spec).contains(version, prereleases=True)
        assert registry.evaluate_specifier(spec, version) is expected, (spec, version)


@pytest.mark.parametrize('spec, version, expected', [
    ('>=0.1,<1', '0.1.0', True),
    ('>=0.1,<1', '1.0.0', False),
    ('>=0.1,<1', '0.9.0rc1', True),   # a pre-release core is judged by its numbers
    ('<1', '1.0.0rc1', False),        # ... but <1 keeps out the pre-releases of 1.0 itself
    ('~=0.3', '0.4.2', True),
    ('~=0.3', '1.0', False),
    ('==0.*', '0.7', True),
])
def test_own_specifier_evaluator_cases(spec, version, expected):
    assert registry.evaluate_specifier(spec, version) is expected


@pytest.mark.parametrize('bad', ['>=x.y', '=>1', '~=1', '>=1.*', '1.0'])
def test_own_specifier_evaluator_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        registry.evaluate_specifier(bad, '1.0')


def test_unreadable_core_range_makes_the_plugin_incompatible_with_the_reason():
    ok, reason = registry.check_core_range('>=banana', '0.1.0')
    assert ok is False and 'banana' in reason


@pytest.mark.parametrize('requires, expected', [
    (['microdot-core>=0.1,<1'], '>=0.1,<1'),
    (['microdot-core (>=0.1,<1)'], '>=0.1,<1'),
    (['microdot-core<1,>=0.1'], '>=0.1,<1'),  # as hatchling writes it: shown lower bound first
    (['microdot-core!=0.3.1, <1, >=0.1'], '>=0.1,!=0.3.1,<1'),
    (['Microdot_Core>=0.2'], '>=0.2'),
    (['microdot.core[x]>=0.2'], '>=0.2'),
    (['microdot-core>=0.1; python_version >= "3"', 'PyJWT>=2'], '>=0.1'),
    (['microdot-core>=5; extra == "dev"', 'microdot-core>=0.1'], '>=0.1'),
    (['microdot-core @ https://example.invalid/core.whl'], None),
    (['microdot-core'], None),
    (['microdot-corex>=1', 'microdot>=2'], None),
    (None, None),
])
def test_core_requirement_from_requires_dist(requires, expected):
    assert registry.core_requirement(requires) == expected


# ---------------------------------------------------------------------------------------------
# The app side of the seam: app.extensions, one object for several apps, no double init
# ---------------------------------------------------------------------------------------------

def test_extension_in_both_constructor_styles_lands_in_app_extensions():
    app1, app2 = Microdot(), Microdot()
    direct = Greeter(app1)
    assert app1.extensions == {'greeter': direct}
    later = Greeter(word='hi')
    later.initialize(app2)
    assert app2.extensions['greeter'] is later


def test_one_extension_object_serves_several_apps():
    ext = Greeter()
    apps = [Microdot(), Microdot(), Microdot()]
    for app in apps:
        ext.initialize(app)
    assert all(app.extensions['greeter'] is ext for app in apps)


def test_initialising_an_extension_twice_on_one_app_is_a_clear_error():
    app = Microdot()
    Greeter(app)
    with pytest.raises(RuntimeError, match="'greeter' is already initialised"):
        Greeter(app)
    with pytest.raises(RuntimeError, match='greeter'):
        app.add_extension('greeter', object())


# ---------------------------------------------------------------------------------------------
# Start-up and shut-down hooks on the built-in server
# ---------------------------------------------------------------------------------------------

def lifecycle_app(events):
    app = Microdot()

    @app.on_startup
    def sync_start():
        events.append('sync start')

    @app.on_startup
    async def async_start():
        events.append('async start')

    @app.on_shutdown
    def sync_stop():
        events.append('sync stop')

    @app.on_shutdown
    async def async_stop():
        events.append('async stop')

    @app.get('/')
    def index(request):
        events.append('request')
        return ','.join(events)

    return app


def test_startup_and_shutdown_hooks_run_on_the_built_in_server():
    testing = pytest.importorskip('microdot.testing')
    events = []
    app = lifecycle_app(events)
    with testing.LiveServer(app) as server:
        assert events == ['sync start', 'async start']  # ran before the first request is accepted
        with urllib.request.urlopen(server.url + '/', timeout=10) as res:
            assert res.read() == b'sync start,async start,request'
        assert events == ['sync start', 'async start', 'request']
    assert events == ['sync start', 'async start', 'request', 'sync stop', 'async stop']


RUN_SCRIPT = textwrap.dedent('''
    import sys
    from microdot import Microdot
    app = Microdot()

    @app.on_startup
    async def started():
        print('started', flush=True)

    @app.on_shutdown
    def stopped():
        print('stopped', flush=True)

    @app.get('/stop')
    def stop(request):
        request.app.shutdown()
        return 'bye'

    app.run(host='127.0.0.1', port=int(sys.argv[1]))
    print('run returned', flush=True)
''')


def test_startup_and_shutdown_hooks_run_with_app_run(tmp_path):
    from test_cli import free_port, wait_for_port
    script = tmp_path / 'lifecycle_app.py'
    script.write_text(RUN_SCRIPT)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, proc)
        with urllib.request.urlopen('http://127.0.0.1:{}/stop'.format(port), timeout=10) as res:
            assert res.read() == b'bye'
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.split() == ['started', 'stopped', 'run', 'returned']


# ---------------------------------------------------------------------------------------------
# The examples of docs/plugins.md
# ---------------------------------------------------------------------------------------------

class Acme:
    name = 'acme'

    def __init__(self, app=None, header='X-Acme'):
        self.header = header
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        app.add_extension(self.name, self)
        app.after_request(self.add_header)

    def add_header(self, request, response):
        response.headers[self.header] = 'yes'


def add_preflight_headers(request, response):
    if request.method == 'OPTIONS' and request.route is None:
        response.headers['Access-Control-Allow-Methods'] = response.headers['Allow']


async def test_docs_extension_shape_example():
    app = Microdot()
    acme = Acme(header='X-Trace')
    acme.initialize(app)

    @app.get('/')
    def index(request):
        return 'ext={}'.format(request.app.extensions['acme'].header)

    res = await TestClient(app).get('/')
    assert res.text == 'ext=X-Trace' and res.headers['X-Trace'] == 'yes'
    with pytest.raises(RuntimeError, match="extension 'acme' is already initialised on this app"):
        Acme(app)


async def test_docs_options_example_adds_to_the_automatic_answer_only():
    app = Microdot()
    app.after_request(add_preflight_headers)

    @app.route('/items', methods=['GET', 'POST'])
    def items(request):
        return 'items'

    @app.route('/own', methods=['OPTIONS'])
    def own(request):
        return 'mine', 200, {'Allow': 'OPTIONS'}

    client = TestClient(app)
    res = await client.request('OPTIONS', '/items')
    assert res.status_code == 200
    allow = res.headers['Allow']
    assert {'GET', 'POST', 'HEAD', 'OPTIONS'} <= set(m.strip() for m in allow.split(','))
    assert res.headers['Access-Control-Allow-Methods'] == allow
    res = await client.request('OPTIONS', '/own')
    assert res.text == 'mine' and 'Access-Control-Allow-Methods' not in res.headers
