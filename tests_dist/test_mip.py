"""The mip index (tools/mip_index.py) and the package.json files, installed by MicroPython's own
mip from 127.0.0.1 into fresh folders."""
import hashlib
import json
import os
import shutil
import subprocess

import pytest

import dists
import mip_index

ROOT = dists.ROOT
MP_DISTS = [d for d in dists.distributions() if d.micropython]
pytestmark = pytest.mark.skipif(shutil.which(mip_index.micropython_cmd()) is None,
                                reason='micropython is not installed')


@pytest.fixture(scope='module')
def index(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('index'))
    written = mip_index.build(out, ('py', 'mpy'))
    return out, written


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def test_layout_and_hashes(index):
    out, written = index
    mpy = str(mip_index.mpy_version())
    assert sorted(written) == sorted(['py', mpy])
    for folder, docs in written.items():
        assert sorted(docs) == sorted([d.name for d in MP_DISTS] + ['utemplate'])
        for name, doc in docs.items():
            for fname in ('latest.json', doc['version'] + '.json'):
                with open(os.path.join(out, 'package', folder, name, fname)) as f:
                    assert json.load(f) == doc
            for target, h in doc['hashes']:
                data = read(os.path.join(out, 'file', h[:2], h))
                assert hashlib.sha256(data).hexdigest().startswith(h)
                if folder == 'py':
                    assert target.endswith('.py')
                else:
                    assert target.endswith('.mpy') and data[:2] == b'M' + bytes([int(mpy)])
            for dep, version in doc['deps']:
                assert docs[dep]['version'] == version  # deps by name, in the same index


def test_sources_are_the_repository_files(index):
    out, written = index
    for d in MP_DISTS:
        doc = written['py'][d.name]
        assert sorted(t for t, _ in doc['hashes']) == sorted('microdot/' + m for m in d.mp_modules)
        for target, h in doc['hashes']:
            src = read(os.path.join(d.folder, 'src', target))
            assert read(os.path.join(out, 'file', h[:2], h)) == src


def test_utemplate_is_the_checked_sdist(index):
    installer = mip_index._utemplate_installer()
    out, written = index
    doc = written['py']['utemplate']
    assert doc['version'] == installer.VERSION
    for target, h in doc['hashes']:
        data = read(os.path.join(out, 'file', h[:2], h))
        assert hashlib.sha256(data).hexdigest() == installer.MODULES[target]
    templates = [d for d in MP_DISTS if d.uses_utemplate()]
    for d in templates:
        assert ['utemplate', installer.VERSION] in written['py'][d.name]['deps']


@pytest.mark.parametrize('flavour', ['py', 'mpy'])
def test_mip_installs_a_plugin_with_the_core_and_it_imports(tmp_path, flavour):
    plugin = [d for d in MP_DISTS if not d.is_core][0]
    target = str(tmp_path / 'lib')
    files = mip_index.install(target, flavour, [plugin.name], out=str(tmp_path / 'index'))
    ext = '.py' if flavour == 'py' else '.mpy'
    assert 'microdot/__init__' + ext in files
    assert 'microdot/' + plugin.mp_modules[0][:-3] + ext in files
    module = 'microdot.' + plugin.mp_modules[0][:-3]
    proc = subprocess.run([mip_index.micropython_cmd(), '-X', 'heapsize=512k', '-c',
                           'import microdot, {0}; print(microdot.__version__)'.format(module)],
                          env=dict(os.environ, MICROPYPATH=target + ':.frozen'), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, cwd=str(tmp_path))
    assert proc.stdout.decode().strip() == dists.distributions()[0].version, proc.stdout


def test_package_json_installs_with_mip(tmp_path):
    """The committed package.json files, with their github: URLs pointed at a local server of
    this checkout (mip reads them exactly as it would from GitHub)."""
    plugin = [d for d in MP_DISTS if not d.is_core][0]
    prefix = 'github:{}/'.format(dists.GITHUB_REPO)
    site = tmp_path / 'site'
    for d in MP_DISTS:
        folder = site / 'packages' / d.name
        folder.mkdir(parents=True)
        with open(os.path.join(d.folder, 'package.json')) as f:
            text = f.read()
        (folder / 'package.json').write_text(text.replace(prefix, '@BASE@/'))
        shutil.copytree(os.path.join(d.folder, 'src'), str(folder / 'src'))
    with mip_index.Server(str(site)) as server:
        for path in site.rglob('package.json'):
            path.write_text(path.read_text().replace('@BASE@', server.url))
        target = str(tmp_path / 'lib')
        proc = subprocess.run([mip_index.micropython_cmd(), '-m', 'mip', 'install', '--target',
                               target, server.url + '/packages/{}'.format(plugin.name)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = proc.stdout.decode()
        assert proc.returncode == 0 and 'Done' in out, out
    core = MP_DISTS[0]
    installed = sorted(os.path.relpath(os.path.join(b, f), target)
                       for b, _, fs in os.walk(target) for f in fs)
    modules = core.mp_modules + plugin.mp_modules + [
        m for d in dists.mip_siblings(plugin) for m in d.mp_modules]
    assert installed == sorted('microdot/' + m for m in modules)
