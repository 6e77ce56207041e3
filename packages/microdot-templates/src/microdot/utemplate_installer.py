"""Install the genuine uTemplate engine from PyPI on CPython (and copy it for MicroPython).

uTemplate's only release line on PyPI (``utemplate 1.4.1``) is a MicroPython-style sdist without
``setup.py`` or ``pyproject.toml``, so ``pip install utemplate`` fails on CPython. This module
downloads that official sdist, checks it against the sha256 pinned here *and* the sha256 PyPI
publishes for it, and then either

* builds a wheel from its files (unchanged, metadata from its own ``PKG-INFO``) and installs it
  with pip, so that ``pip show utemplate`` / ``pip uninstall utemplate`` work as usual::

      python -m microdot.utemplate install

* or copies its modules into a folder, the way ``mip install --target`` lays them out, for a
  MicroPython path or a board image::

      python -m microdot.utemplate install --target build/micropython

* or writes a ``mip`` package of them (``python -m microdot.utemplate mip --out DIR``) for an
  index that boards install from.

Both are idempotent and work offline once done: the checked sdist is cached (``--cache-dir``,
default ``$MICRODOT_CACHE_DIR`` or ``~/.cache/microdot``), an already installed ``utemplate 1.4.1``
is left alone, and ``--target`` verifies files already in place. Every module file is checked
against its pinned sha256 too, so a copy taken from an installed distribution (offline) is as
trustworthy as one taken from the sdist.

CPython only (urllib, tarfile, zipfile, pip). Python API: :func:`fetch_sdist`, :func:`read_sdist`,
:func:`build_wheel`, :func:`install`, :func:`install_target`, :func:`write_mip_package`,
:func:`module_files`, :func:`main`.
"""
import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

PROJECT = 'utemplate'
VERSION = '1.4.1'
SDIST_NAME = 'utemplate-1.4.1.tar.gz'
#: sha256 of the official sdist, as PyPI publishes it (checked again against PyPI when online)
SDIST_SHA256 = '43fde7c8b38dda1ff9c82cd829d22ec445f1e9d631455de705873051f83a0b20'
#: the modules the sdist holds, with their sha256 (so copies can be checked offline)
MODULES = {
    'utemplate/compiled.py': 'ae326262e5187884f8cb13888665bfe7993b386c26b53edaf6acb00f7a1a0281',
    'utemplate/recompile.py': 'c7600e3850aaf8f0a2469e322854c561c87b59615b02a1b6d2a69f927fd643a5',
    'utemplate/source.py': '81424449094791133708f5216de12bc60294d40d6a1a6f7c1426a25a697b46b5',
}
PYPI_JSON_URL = 'https://pypi.org/pypi/utemplate/json'
DOWNLOAD_TIMEOUT = 60
#: what users run; also what the missing-engine error of microdot.utemplate tells them
INSTALL_COMMAND = 'python -m microdot.utemplate install'


class InstallError(Exception):
    """The sdist could not be fetched, did not check out, or pip failed."""


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def default_cache_dir():
    base = os.environ.get('MICRODOT_CACHE_DIR')
    if not base:
        base = os.path.join(os.environ.get('XDG_CACHE_HOME') or
                            os.path.join(os.path.expanduser('~'), '.cache'), 'microdot')
    return base


# --- fetching and checking the sdist -------------------------------------------------------------

def _http_get(url):
    from urllib.request import Request, urlopen
    req = Request(url, headers={'User-Agent': 'microdot-templates utemplate installer'})
    with urlopen(req, timeout=DOWNLOAD_TIMEOUT) as res:
        return res.read()


def published_release(get=_http_get):
    """``(url, sha256)`` of the sdist, from PyPI's JSON API. Refuses a digest that differs from
    the pinned one: the file on PyPI changed, which nobody should install blindly."""
    try:
        info = json.loads(get(PYPI_JSON_URL).decode('utf-8'))
    except Exception as exc:
        raise InstallError('cannot read {}: {}'.format(PYPI_JSON_URL, exc))
    for entry in info.get('releases', {}).get(VERSION, []):
        if entry.get('filename') == SDIST_NAME:
            digest = entry.get('digests', {}).get('sha256')
            if digest != SDIST_SHA256:
                raise InstallError(
                    'PyPI publishes sha256 {} for {}, but microdot-templates pins {}; refusing to '
                    'install it'.format(digest, SDIST_NAME, SDIST_SHA256))
            return entry['url'], digest
    raise InstallError('PyPI lists no {} for utemplate {}'.format(SDIST_NAME, VERSION))


def _cached_sdist(cache_dir):
    path = os.path.join(cache_dir, SDIST_NAME)
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    return path if _sha256(data) == SDIST_SHA256 else None


def fetch_sdist(cache_dir=None, offline=False, get=_http_get):
    """The path of the checked sdist in the cache, downloading it from PyPI if needed."""
    cache_dir = cache_dir or default_cache_dir()
    path = _cached_sdist(cache_dir)
    if path:
        return path
    if offline:
        raise InstallError('{} is not in {} and --offline forbids downloading it'.format(
            SDIST_NAME, cache_dir))
    url, digest = published_release(get)
    try:
        data = get(url)
    except Exception as exc:
        raise InstallError('cannot download {}: {}'.format(url, exc))
    if _sha256(data) != digest:
        raise InstallError('{} downloaded from {} has sha256 {}, PyPI publishes {}'.format(
            SDIST_NAME, url, _sha256(data), digest))
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, SDIST_NAME)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix='.' + SDIST_NAME)
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)  # atomic: a parallel run never sees half a file
    return path


def read_sdist(path):
    """``(modules, pkg_info)``: ``{'utemplate/x.py': bytes}`` and the sdist's PKG-INFO, every
    module checked against its pinned sha256."""
    with open(path, 'rb') as f:
        data = f.read()
    if _sha256(data) != SDIST_SHA256:
        raise InstallError('{} is not the official {}'.format(path, SDIST_NAME))
    prefix = 'utemplate-{}/'.format(VERSION)
    wanted = dict((prefix + name, name) for name in MODULES)
    wanted[prefix + 'utemplate.egg-info/PKG-INFO'] = 'PKG-INFO'
    found = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:gz') as tar:
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                found[wanted[member.name]] = tar.extractfile(member).read()
    missing = sorted(set(wanted.values()) - set(found))
    if missing:
        raise InstallError('{} lacks {}'.format(SDIST_NAME, ', '.join(missing)))
    pkg_info = found.pop('PKG-INFO')
    _check_modules(found)
    return found, pkg_info


def _check_modules(modules):
    for name, digest in MODULES.items():
        if _sha256(modules[name]) != digest:
            raise InstallError('{} does not match the pinned sha256 of utemplate {}'.format(
                name, VERSION))


# --- CPython: a wheel built from the sdist's files, installed by pip ------------------------------

def _record_hash(data):
    digest = hashlib.sha256(data).digest()
    return 'sha256=' + base64.urlsafe_b64encode(digest).rstrip(b'=').decode('ascii')


def build_wheel(out_dir, sdist=None):
    """Write ``utemplate-1.4.1-py3-none-any.whl`` into ``out_dir`` and return its path. Its files
    are the sdist's modules byte for byte; METADATA is the sdist's PKG-INFO."""
    modules, pkg_info = read_sdist(sdist or fetch_sdist())
    dist_info = 'utemplate-{}.dist-info/'.format(VERSION)
    files = sorted(modules.items())
    files.append((dist_info + 'METADATA', pkg_info))
    files.append((dist_info + 'WHEEL', (
        'Wheel-Version: 1.0\nGenerator: microdot-templates utemplate_installer\n'
        'Root-Is-Purelib: true\nTag: py3-none-any\n').encode('ascii')))
    files.append((dist_info + 'top_level.txt', b'utemplate\n'))
    record = ''.join('{},{},{}\n'.format(name, _record_hash(data), len(data))
                     for name, data in files)
    record += dist_info + 'RECORD,,\n'
    files.append((dist_info + 'RECORD', record.encode('utf-8')))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, 'utemplate-{}-py3-none-any.whl'.format(VERSION))
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as whl:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2021, 6, 27, 10, 13, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(info, data)
    return path


def installed_version(python=None):
    """The version of the ``utemplate`` distribution installed for ``python`` (default: this
    interpreter), or None. Checks that its modules are there and untouched."""
    code = ('import hashlib, json, sys\n'
            'from importlib import metadata\n'
            'try:\n'
            '    dist = metadata.distribution("utemplate")\n'
            'except metadata.PackageNotFoundError:\n'
            '    print("null"); sys.exit()\n'
            'hashes = {}\n'
            'for f in dist.files or []:\n'
            '    if str(f).startswith("utemplate/") and str(f).endswith(".py"):\n'
            '        try:\n'
            '            hashes[str(f).replace("\\\\", "/")] = hashlib.sha256('
            'f.locate().read_bytes()).hexdigest()\n'
            '        except OSError:\n'
            '            pass\n'
            'print(json.dumps([dist.version, hashes]))\n')
    out = subprocess.run([python or sys.executable, '-c', code], stdout=subprocess.PIPE,
                         check=True).stdout
    result = json.loads(out.decode('utf-8'))
    if result is None:
        return None
    version, hashes = result
    for name, digest in MODULES.items():
        if hashes.get(name) != digest:
            return version + ' (modified or incomplete)'
    return version


def install(python=None, cache_dir=None, offline=False, force=False, log=print):
    """Install utemplate 1.4.1 into ``python``'s environment (default: this interpreter) with
    pip. Does nothing when that exact, unmodified version is already installed."""
    python = python or sys.executable
    current = installed_version(python)
    if current == VERSION and not force:
        log('utemplate {} is already installed'.format(VERSION))
        return None
    sdist = fetch_sdist(cache_dir, offline)
    work = tempfile.mkdtemp(prefix='microdot-utemplate-')
    try:
        wheel = build_wheel(work, sdist)
        cmd = [python, '-m', 'pip', 'install', '--no-deps', '--no-index',
               '--disable-pip-version-check', '--force-reinstall', wheel]
        proc = subprocess.run(cmd)
        if proc.returncode != 0:
            raise InstallError('pip failed ({}): {}'.format(proc.returncode, ' '.join(cmd)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log('installed utemplate {} from the official sdist (sha256 {})'.format(
        VERSION, SDIST_SHA256))
    return wheel


# --- MicroPython (or any folder): the modules copied as mip would lay them out --------------------

def _installed_modules():
    """The modules of an installed utemplate, if it is the checked one; else None."""
    try:
        from importlib import metadata
        dist = metadata.distribution('utemplate')
    except Exception:
        return None
    modules = {}
    for f in dist.files or []:
        name = str(f).replace('\\', '/')
        if name in MODULES:
            try:
                modules[name] = f.locate().read_bytes()
            except OSError:
                return None
    try:
        _check_modules(modules)
    except (InstallError, KeyError):
        return None
    return modules


def module_files(cache_dir=None, offline=False):
    """``{'utemplate/x.py': bytes}``, each checked: from the cached (or downloaded) sdist, or,
    offline without a cache, from an installed copy that matches the pinned hashes."""
    try:
        return read_sdist(fetch_sdist(cache_dir, offline=True))[0]
    except InstallError:
        pass
    modules = _installed_modules()
    if modules is not None:
        return modules
    return read_sdist(fetch_sdist(cache_dir, offline))[0]


def install_target(target, cache_dir=None, offline=False, log=print):
    """Put ``utemplate/{compiled,recompile,source}.py`` into ``target`` (a MicroPython path
    entry, or a folder to copy onto a board). Returns the list of files written (empty when
    they were already there and intact)."""
    written = []
    pending = [name for name, digest in sorted(MODULES.items())
               if _file_sha256(os.path.join(target, name)) != digest]
    if pending:
        modules = module_files(cache_dir, offline)
        for name in pending:
            path = os.path.join(target, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'wb') as f:
                f.write(modules[name])
            written.append(path)
    log('utemplate {} in {}: {}'.format(
        VERSION, os.path.join(target, 'utemplate'),
        'written' if written else 'already there'))
    return written


def write_mip_package(out_dir, cache_dir=None, offline=False):
    """Write a ``mip`` package of the engine: ``out_dir/package.json`` and the three checked
    modules beside it (urls relative to the JSON). ``mip.install(URL + '/package.json')``, or a
    ``deps`` entry of microdot-templates' own package.json, then installs ``utemplate/*.py`` into
    the board's lib folder. Returns the path of package.json."""
    modules = module_files(cache_dir, offline)
    urls = []
    for name in sorted(MODULES):
        path = os.path.join(out_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(modules[name])
        urls.append([name, name])
    package = os.path.join(out_dir, 'package.json')
    with open(package, 'w') as f:
        json.dump({'urls': urls, 'version': VERSION, 'deps': []}, f, indent=2)
        f.write('\n')
    return package


def _file_sha256(path):
    try:
        with open(path, 'rb') as f:
            return _sha256(f.read())
    except OSError:
        return None


# --- command line ---------------------------------------------------------------------------------

def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(
        prog='python -m microdot.utemplate',
        description='Install the genuine uTemplate engine (utemplate {}) from its official, '
                    'checked PyPI sdist.'.format(VERSION))
    sub = parser.add_subparsers(dest='command')
    inst = sub.add_parser('install', help='install utemplate (idempotent)')
    inst.add_argument('--target', help='copy the modules into this folder (MicroPython) instead '
                                       'of installing a distribution with pip')
    inst.add_argument('--python', help='the interpreter whose environment gets it '
                                       '(default: this one)')
    inst.add_argument('--force', action='store_true', help='reinstall even if installed')
    inst.add_argument('--offline', action='store_true', help='never download (use the cache)')
    inst.add_argument('--cache-dir', help='where the checked sdist is kept')
    whl = sub.add_parser('wheel', help='build the utemplate wheel into a folder')
    whl.add_argument('--out', default='.', help='output folder (default: .)')
    whl.add_argument('--offline', action='store_true')
    whl.add_argument('--cache-dir')
    mip = sub.add_parser('mip', help='write a mip package (package.json + modules) for MicroPython')
    mip.add_argument('--out', required=True, help='output folder, served as <base>/utemplate/')
    mip.add_argument('--offline', action='store_true')
    mip.add_argument('--cache-dir')
    dl = sub.add_parser('download', help='fetch and check the sdist; print its path')
    dl.add_argument('--cache-dir')
    args = parser.parse_args(argv)
    try:
        if args.command == 'install':
            if args.target:
                install_target(args.target, args.cache_dir, args.offline)
            else:
                install(args.python, args.cache_dir, args.offline, args.force)
        elif args.command == 'wheel':
            print(build_wheel(args.out, fetch_sdist(args.cache_dir, args.offline)))
        elif args.command == 'mip':
            print(write_mip_package(args.out, args.cache_dir, args.offline))
        elif args.command == 'download':
            print(fetch_sdist(args.cache_dir))
        else:
            parser.print_help()
            return 2
    except InstallError as exc:
        print('error: ' + str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
