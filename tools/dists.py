"""Build, check and test every distribution of the monorepo (``packages/*``) from its wheel.

    python tools/dists.py list                   the distributions, their versions and modules
    python tools/dists.py build [DIST ...]       hatch-build wheel + sdist into build/dists (cached)
    python tools/dists.py check [--json FILE]    build all, check wheels/sdists/metadata, report sizes
    python tools/dists.py test DIST [-- ARGS]    clean venv + core + DIST (+ siblings): its tests
    python tools/dists.py core-alone             clean venv + core wheel: every plugin import fails cleanly
    python tools/dists.py tox-check              tox.ini has the dist envs of every distribution
    python tools/dists.py workflows [--check]    write (or compare) .github/workflows/<dist>.yml
    python tools/dists.py package-json [--check] write (or compare) packages/<dist>/package.json

Every distribution is a folder ``packages/<dist>/`` with a ``pyproject.toml``: nothing here lists
them, so a new package is built, checked, tested and given a workflow without editing this file.
Wheels are built once per source state (a hash of the package folder), under a lock, so parallel
tox envs share them. Only ``list``, ``build``, ``check`` and ``test`` are used by tox; none of it
uploads anything.
"""
import argparse
import email.parser
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = os.path.join(ROOT, 'packages')
OUT = os.environ.get('MICRODOT_DIST_DIR', os.path.join(ROOT, 'build', 'dists'))
CORE = 'microdot-core'
#: where the published repository lives (mip's github: URLs, workflow badges)
GITHUB_REPO = 'microdot-dev/microdot'
#: Python versions of the per-distribution matrix in CI (tox runs the ends of it: 3.9 and 3.13)
PYTHONS = ['3.9', '3.10', '3.11', '3.12', '3.13']
TOX_PYTHONS = ['py39', 'py313']
MICROPYTHON_CLASSIFIER = 'Programming Language :: Python :: Implementation :: MicroPython'
REQUIRED_URLS = ('Source', 'Changelog', 'Documentation')
#: modules that need no .pyi: the command line, and the core's implementation modules (no user
#: imports them; their names are re-exported by microdot.microdot, which has a stub). Any other
#: module, in any distribution, new ones included, must ship a stub.
NO_STUB_NEEDED = {'__main__.py', 'utemplate_installer.py',
                  'connection.py', 'http11.py', 'runtime.py', 'server.py', 'transport.py',
                  'response_writer.py', 'cookies.py', 'files.py', 'streaming.py', 'listener.py',
                  'reasons.py', 'chunked.py'}

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import micropython_build  # noqa: E402  (which modules MicroPython runs: one list for every tool)


# --- the distributions ----------------------------------------------------------------------------

def _toml(path):
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    with open(path, 'rb') as f:
        return tomllib.load(f)


class Dist:
    """One folder of packages/: its name, version, modules, and where MicroPython stands."""

    def __init__(self, folder):
        self.folder = folder
        self.name = os.path.basename(folder)
        self.pyproject = _toml(os.path.join(folder, 'pyproject.toml'))
        project = self.pyproject.get('project', {})
        if project.get('name') != self.name:
            raise SystemExit('{}: project.name is {!r}, the folder says {!r}'.format(
                folder, project.get('name'), self.name))
        self.short = self.name[len('microdot-'):] if self.name.startswith('microdot-') \
            else self.name
        src = os.path.join(folder, 'src', 'microdot')
        self.modules = sorted(os.path.basename(p) for p in glob.glob(os.path.join(src, '*.py')))
        self.stubs = sorted(os.path.basename(p) for p in glob.glob(os.path.join(src, '*.pyi')))
        version_path = self.pyproject.get('tool', {}).get('hatch', {}).get('version', {}) \
            .get('path')
        self.version_path = version_path
        self.version = read_version(os.path.join(folder, version_path)) if version_path else None
        self.is_core = self.name == CORE
        self.extras = sorted(project.get('optional-dependencies', {}))
        self.entry_points = project.get('entry-points', {}).get('microdot.extensions', {})
        # the other distributions of this repository it needs: {extra or None: [name, ...]}
        self.sibling_deps = {}
        groups = [(None, project.get('dependencies', []))] + \
            sorted(project.get('optional-dependencies', {}).items())
        for extra, requirements in groups:
            names = [n for n in (_requirement_name(r) for r in requirements)
                     if n.startswith('microdot-') and n not in (CORE, self.name)]
            if names:
                self.sibling_deps[extra] = names

    @property
    def siblings(self):
        """Every sibling distribution this one needs with all its extras (sorted, no core)."""
        return sorted(set(n for names in self.sibling_deps.values() for n in names))

    @property
    def mp_modules(self):
        """The modules MicroPython runs (empty for a CPython-only distribution)."""
        if self.name in micropython_build.CPYTHON_ONLY_DISTRIBUTIONS:
            return []
        return [m for m in self.modules if m not in micropython_build.CPYTHON_ONLY]

    @property
    def micropython(self):
        return bool(self.mp_modules)

    @property
    def public_modules(self):
        """Importable ``microdot.<x>`` names a user may import (plugins: what core-alone checks)."""
        return ['microdot.' + m[:-3] for m in self.modules
                if m != '__init__.py' and not m.startswith('_')]

    @property
    def wheel_name(self):
        return '{}-{}-py3-none-any.whl'.format(self.name.replace('-', '_'), self.version)

    @property
    def sdist_name(self):
        return '{}-{}.tar.gz'.format(self.name.replace('-', '_'), self.version)

    def uses_utemplate(self):
        return 'utemplate.py' in self.mp_modules

    def __repr__(self):
        return '<Dist {} {}>'.format(self.name, self.version)


def _requirement_name(requirement):
    """The normalised project name of a PEP 508 requirement (``microdot-session>=0.1,<1``)."""
    m = re.match(r'\s*([A-Za-z0-9][A-Za-z0-9._-]*)', requirement)
    return re.sub(r'[-_.]+', '-', m.group(1)).lower() if m else ''


def sibling_closure(dist, dists=None):
    """The sibling distributions ``dist`` needs with all its extras, and what they need in
    turn (with their extras too): a list of ``Dist``, no core, not ``dist`` itself."""
    dists = dists or distributions()
    found = []
    todo = list(dist.siblings)
    while todo:
        d = get(todo.pop(0), dists)
        if d.name == dist.name or d in found:
            continue
        found.append(d)
        todo += d.siblings
    return sorted(found, key=lambda d: d.name)


def read_version(path):
    with open(path, encoding='utf-8') as f:
        m = re.search(r'''^__version__\s*=\s*['"]([^'"]+)['"]''', f.read(), re.M)
    if not m:
        raise SystemExit('{}: no __version__ = "..." line'.format(path))
    return m.group(1)


def distributions():
    """Every distribution of packages/, the core first."""
    found = [Dist(os.path.dirname(p))
             for p in sorted(glob.glob(os.path.join(PACKAGES, '*', 'pyproject.toml')))]
    found.sort(key=lambda d: (not d.is_core, d.name))
    if not found or not found[0].is_core:
        raise SystemExit('packages/{}/pyproject.toml not found'.format(CORE))
    return found


def get(name, dists=None):
    for d in dists or distributions():
        if name in (d.name, d.short):
            return d
    raise SystemExit('no distribution {!r} in packages/ (have: {})'.format(
        name, ', '.join(d.name for d in dists or distributions())))


# --- building (hatch), once per source state --------------------------------------------------------

def source_hash(dist):
    """A hash of every file hatch may package (so a changed file means a new build)."""
    h = hashlib.sha256()
    for base, dirs, files in os.walk(dist.folder):
        dirs[:] = sorted(d for d in dirs if d not in ('__pycache__', 'dist', 'build', '.pytest_cache'))
        for name in sorted(files):
            if name.endswith(('.pyc', '.mpy')):
                continue
            path = os.path.join(base, name)
            h.update(os.path.relpath(path, dist.folder).encode() + b'\0')
            with open(path, 'rb') as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


class _Lock:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.f = open(self.path, 'w')
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


class BuildError(Exception):
    """hatch could not build a distribution."""


def hatch_command():
    here = os.path.join(os.path.dirname(sys.executable), 'hatch')
    if os.path.exists(here):
        return [here]
    try:
        import hatch  # noqa: F401
        return [sys.executable, '-m', 'hatch']
    except ImportError:
        pass
    found = shutil.which('hatch')
    if found:
        return [found]
    raise SystemExit('hatch is not installed: pip install hatch')


def build(dist, out=OUT, log=print):
    """``(wheel path, sdist path)`` of ``dist``, built with ``hatch build`` unless the files for
    this exact source state are already there."""
    stamp = os.path.join(out, dist.name + '.source')
    wheel = os.path.join(out, dist.wheel_name)
    sdist = os.path.join(out, dist.sdist_name)
    with _Lock(os.path.join(out, '.lock-' + dist.name)):
        digest = source_hash(dist)
        try:
            with open(stamp) as f:
                fresh = f.read().strip() == digest
        except OSError:
            fresh = False
        if fresh and os.path.exists(wheel) and os.path.exists(sdist):
            return wheel, sdist
        for old in glob.glob(os.path.join(out, dist.name.replace('-', '_') + '-*')):
            os.remove(old)
        work = tempfile.mkdtemp(prefix='hatch-', dir=out)
        try:
            cmd = hatch_command() + ['build', '-t', 'wheel', '-t', 'sdist', work]
            proc = subprocess.run(cmd, cwd=dist.folder, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
            if proc.returncode != 0:
                raise BuildError('hatch build failed for {}:\n{}'.format(
                    dist.name, proc.stdout.decode(errors='replace')[-3000:]))
            built = sorted(os.listdir(work))
            if sorted([dist.wheel_name, dist.sdist_name]) != built:
                raise BuildError('hatch built {} for {}, expected {} and {}'.format(
                    built, dist.name, dist.wheel_name, dist.sdist_name))
            for name in built:
                os.replace(os.path.join(work, name), os.path.join(out, name))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with open(stamp, 'w') as f:
            f.write(digest + '\n')
        log('built {} and {}'.format(dist.wheel_name, dist.sdist_name))
        return wheel, sdist


# --- checking ---------------------------------------------------------------------------------------

def wheel_files(path):
    with zipfile.ZipFile(path) as z:
        return dict((i.filename, i.file_size) for i in z.infolist())


def wheel_metadata(path):
    with zipfile.ZipFile(path) as z:
        name = [n for n in z.namelist() if n.endswith('.dist-info/METADATA')][0]
        return email.parser.Parser().parsestr(z.read(name).decode('utf-8'))


def wheel_entry_points(path):
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.endswith('.dist-info/entry_points.txt')]
        return z.read(names[0]).decode('utf-8') if names else ''


def core_requirement(meta):
    """The ``Requires-Dist`` on microdot-core (without extra markers), or None."""
    for req in meta.get_all('Requires-Dist') or []:
        if re.match(r'microdot-core\b', req.strip()) and 'extra ==' not in req:
            return req
    return None


def check_dist(dist, wheel, sdist, core_version, dists=None):
    """Problems of one distribution (a list of strings; empty when all is well)."""
    from packaging.requirements import Requirement
    problems = []
    files = wheel_files(wheel)
    package_files = sorted(f for f in files if f.startswith('microdot/'))
    # modules and stubs: every source module, its stub, nothing else
    expected = ['microdot/' + m for m in dist.modules] + ['microdot/' + s for s in dist.stubs]
    if dist.is_core:
        expected.append('microdot/py.typed')
    for f in expected:
        if f not in files:
            problems.append('the wheel lacks {}'.format(f))
    for f in package_files:
        if f not in expected:
            problems.append('the wheel ships {}, which is not a source module, stub or py.typed'
                            .format(f))
    for f in files:
        if not (f.startswith('microdot/') or '.dist-info/' in f):
            problems.append('the wheel ships {} outside microdot/'.format(f))
    if not dist.is_core and 'microdot/__init__.py' in files:
        problems.append('a plugin wheel ships microdot/__init__.py (it would overwrite the core\'s)')
    if not dist.is_core and 'microdot/py.typed' in files:
        problems.append('a plugin wheel ships microdot/py.typed (the core ships it; two wheels '
                        'would own one file)')
    for m in dist.modules:
        if m in NO_STUB_NEEDED:
            continue
        if m[:-3] + '.pyi' not in dist.stubs:
            problems.append('no type stub src/microdot/{}i for {}'.format(m, m))
    # metadata
    meta = wheel_metadata(wheel)
    if meta['Name'] != dist.name:
        problems.append('Name is {}'.format(meta['Name']))
    if meta['Version'] != dist.version:
        problems.append('wheel version {} is not the module\'s __version__ {}'.format(
            meta['Version'], dist.version))
    if dist.pyproject['project'].get('version') is not None or \
            'version' not in dist.pyproject['project'].get('dynamic', []):
        problems.append('the version must be dynamic, read from __version__ ([tool.hatch.version])')
    for field in ('Summary', 'Requires-Python', 'License-Expression'):
        if not meta.get(field):
            problems.append('metadata lacks {}'.format(field))
    if meta.get('Description-Content-Type') != 'text/markdown' or len(meta.get_payload()) < 200:
        problems.append('the README is not the long description (markdown)')
    urls = dict(u.split(', ', 1) for u in meta.get_all('Project-URL') or [])
    for label in REQUIRED_URLS:
        if label not in urls:
            problems.append('no Project-URL {}'.format(label))
    classifiers = meta.get_all('Classifier') or []
    if dist.micropython and MICROPYTHON_CLASSIFIER not in classifiers:
        problems.append('runs on MicroPython but lacks the classifier ' + MICROPYTHON_CLASSIFIER)
    if not dist.micropython and MICROPYTHON_CLASSIFIER in classifiers:
        problems.append('classified as MicroPython but has no MicroPython module')
    for py in PYTHONS:
        if 'Programming Language :: Python :: ' + py not in classifiers:
            problems.append('lacks the classifier for Python ' + py)
    extras = sorted(meta.get_all('Provides-Extra') or [])
    if extras != dist.extras:
        problems.append('extras {} in the wheel, {} in pyproject.toml'.format(extras, dist.extras))
    # the core pin
    if not dist.is_core:
        req = core_requirement(meta)
        if req is None:
            problems.append('no Requires-Dist on microdot-core')
        else:
            spec = Requirement(req).specifier
            if not spec.contains(core_version, prereleases=True):
                problems.append('its core pin {} does not admit microdot-core {} of this repo'
                                .format(req, core_version))
            if not re.search(r'<\s*\d', str(spec)):
                problems.append('its core pin {} has no upper bound'.format(req))
        for req in meta.get_all('Requires-Dist') or []:
            name = _requirement_name(req)
            if not name.startswith('microdot-') or name in (CORE, dist.name):
                continue
            sibling = [d for d in (dists or []) if d.name == name]
            if not sibling:
                problems.append('it requires {}, which is not in packages/'.format(name))
                continue
            spec = Requirement(req).specifier
            if not spec.contains(sibling[0].version, prereleases=True):
                problems.append('its pin {} does not admit {} {} of this repo'.format(
                    req, name, sibling[0].version))
            if not re.search(r'<\s*\d', str(spec)):
                problems.append('its pin {} has no upper bound'.format(req))
        declared = sorted(dist.entry_points)
        if not declared:
            problems.append('no entry point in the group microdot.extensions')
        ep = wheel_entry_points(wheel)
        for name in declared:
            if not re.search(r'^{}\s*='.format(re.escape(name)), ep, re.M):
                problems.append('entry point {} missing from the wheel'.format(name))
    # the sdist: it builds the same wheel (sources, readme, changelog, license, tests)
    with tarfile.open(sdist) as tar:
        names = [n.split('/', 1)[1] for n in tar.getnames() if '/' in n]
    for f in ['pyproject.toml', 'README.md', 'CHANGELOG.md', 'LICENSE', 'PKG-INFO'] + \
            ['src/microdot/' + m for m in dist.modules]:
        if f not in names:
            problems.append('the sdist lacks {}'.format(f))
    # the changelog names the version
    with open(os.path.join(dist.folder, 'CHANGELOG.md'), encoding='utf-8') as f:
        if not re.search(r'^## \[?{}\]?'.format(re.escape(dist.version)), f.read(), re.M):
            problems.append('CHANGELOG.md has no "## [{}]" section'.format(dist.version))
    return problems


def check_overlaps(wheels):
    """Files shipped by more than one wheel: ``{file: [dist, ...]}``."""
    owners = {}
    for name, path in wheels.items():
        for f in wheel_files(path):
            if '.dist-info/' not in f:
                owners.setdefault(f, []).append(name)
    return dict((f, o) for f, o in owners.items() if len(o) > 1)


def twine_check(paths):
    proc = subprocess.run([sys.executable, '-m', 'twine', 'check', '--strict'] + list(paths),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.returncode, proc.stdout.decode(errors='replace')


def check_all(dists=None, out=OUT, twine=True, stubs=True, log=print):
    """Build every distribution and check it; returns ``(problems, report)``."""
    dists = dists or distributions()
    core = dists[0]
    built = {}
    problems = []
    for d in dists:
        try:
            built[d.name] = build(d, out, log)
        except BuildError as exc:
            problems.append('{}: {}'.format(d.name, exc))
    report = []
    for d in dists:
        if d.name not in built:
            continue
        wheel, sdist = built[d.name]
        for p in check_dist(d, wheel, sdist, core.version, dists):
            problems.append('{}: {}'.format(d.name, p))
        report.append({
            'distribution': d.name, 'version': d.version, 'wheel': os.path.basename(wheel),
            'wheel_size': os.path.getsize(wheel), 'sdist_size': os.path.getsize(sdist),
            'files': dict((f, s) for f, s in sorted(wheel_files(wheel).items())
                          if '.dist-info/' not in f),
            'micropython': d.micropython,
        })
    for f, owners in sorted(check_overlaps(dict((n, w) for n, (w, s) in built.items())).items()):
        problems.append('{} is shipped by several wheels: {}'.format(f, ', '.join(owners)))
    if twine:
        code, output = twine_check([p for pair in built.values() for p in pair])
        if code != 0:
            problems.append('twine check failed:\n' + output)
    if stubs:
        code, output = stubtest(dists, log=log)
        if code != 0:
            problems.append('mypy stubtest over the wheels\' stubs failed:\n' + output)
    return problems, report


def print_report(report):
    for r in report:
        print('{} {}  wheel {} bytes, sdist {} bytes{}'.format(
            r['distribution'], r['version'], r['wheel_size'], r['sdist_size'],
            ', MicroPython' if r['micropython'] else ''))
        for f, size in r['files'].items():
            print('    {:<34} {:>7}'.format(f, size))


def stubtest(dists=None, workdir=None, log=print):
    """mypy stubtest over every stubbed module, on the wheels unpacked into one folder (one
    ``microdot/`` package, as pip lays the wheels out). Returns ``(exit code, output)``."""
    dists = dists or distributions()
    workdir = workdir or tempfile.mkdtemp(prefix='dist-stubtest-')
    site = os.path.join(workdir, 'site')
    shutil.rmtree(site, ignore_errors=True)
    os.makedirs(site)
    modules = []
    for d in dists:
        wheel, _ = build(d, log=log)
        with zipfile.ZipFile(wheel) as z:
            z.extractall(site)
        modules += ['microdot' if s == '__init__.pyi' else 'microdot.' + s[:-4] for s in d.stubs]
    env = dict(os.environ, PYTHONPATH=site)
    empty = os.path.join(workdir, 'cwd')  # mypy must not find the package twice (cwd and path)
    os.makedirs(empty, exist_ok=True)
    # only the stubs are judged: the modules without one are implementation (their sources are
    # MicroPython-first code that mypy need not like), so imports are followed silently
    config = os.path.join(workdir, 'mypy.ini')
    with open(config, 'w') as f:
        f.write('[mypy]\nfollow_imports = silent\nignore_missing_imports = True\n')
    proc = subprocess.run([sys.executable, '-m', 'mypy.stubtest', '--mypy-config-file', config] +
                          sorted(m for m in modules if m != 'microdot'), cwd=empty, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    return proc.returncode, proc.stdout.decode(errors='replace')


# --- testing from wheels in a clean venv --------------------------------------------------------------

def make_venv(path, python=None):
    # --upgrade-deps: the pip that Python 3.9's ensurepip bundles (23.0) backtracks without end
    # over uvicorn[standard] + httpx + mypy; a current pip resolves the same set in seconds
    subprocess.check_call([python or sys.executable, '-m', 'venv', '--clear', '--upgrade-deps',
                           path])
    vpy = os.path.join(path, 'bin', 'python')
    return vpy


def pip_install(vpy, args):
    subprocess.check_call([vpy, '-m', 'pip', 'install', '-q', '--disable-pip-version-check'] +
                          list(args))


def installed_microdot(vpy):
    """``{distribution: version}`` of the microdot-* distributions in the venv."""
    code = ('import json\nfrom importlib import metadata\n'
            'print(json.dumps(dict((d.metadata["Name"], d.version) for d in '
            'metadata.distributions() if (d.metadata["Name"] or "").startswith("microdot"))))')
    return json.loads(subprocess.check_output([vpy, '-c', code]).decode())


def _where(vpy, module):
    return subprocess.check_output(
        [vpy, '-c', 'import {0}; print({0}.__file__)'.format(module)], cwd=tempfile.gettempdir()
    ).decode().strip()


def test_dist(dist, pytest_args=(), workdir=None, log=print):
    """Install the core wheel and ``dist``'s wheel (with its extras), the wheels of the sibling
    distributions it needs (``microdot-auth[login]`` needs microdot-session) and its test
    requirements in a fresh venv, check nothing else of microdot is there and that the code comes
    from the wheels, then run the distribution's tests. Returns pytest's exit code."""
    dists = distributions()
    core = dists[0]
    core_wheel, _ = build(core, log=log)
    wheels = [core_wheel]
    target = core_wheel
    siblings = [] if dist.is_core else sibling_closure(dist, dists)
    if not dist.is_core:
        target, _ = build(dist, log=log)
        wheels.append(target + ('[{}]'.format(','.join(dist.extras)) if dist.extras else ''))
        for sibling in siblings:  # pip takes a wheel named on its command line over PyPI
            wheel, _ = build(sibling, log=log)
            wheels.append(wheel + ('[{}]'.format(','.join(sibling.extras))
                                   if sibling.extras else ''))
    workdir = workdir or tempfile.mkdtemp(prefix='dist-' + dist.short + '-')
    vpy = make_venv(os.path.join(workdir, 'venv'))
    requirements = os.path.join(dist.folder, 'tests', 'requirements.txt')
    pip_install(vpy, wheels + (['-r', requirements] if os.path.exists(requirements) else []))
    subprocess.check_call([vpy, '-m', 'pip', 'check'])
    have = installed_microdot(vpy)
    want = {core.name: core.version, dist.name: dist.version}
    want.update((d.name, d.version) for d in siblings)
    if have != want:
        raise SystemExit('the venv holds {}, expected exactly {}'.format(have, want))
    site = subprocess.check_output([vpy, '-c', 'import sysconfig; print(sysconfig.get_paths()'
                                    '["purelib"])']).decode().strip()
    for module in ['microdot'] + dist.public_modules + [m for d in siblings
                                                         for m in d.public_modules]:
        where = _where(vpy, module)
        if not where.startswith(site):
            raise SystemExit('{} is imported from {}, not from the installed wheel'.format(
                module, where))
    log('{}: {} from wheels in {}'.format(dist.name, ', '.join(
        '{} {}'.format(k, v) for k, v in sorted(have.items())), site))
    if dist.uses_utemplate():  # uTemplate cannot be a pip requirement (packages/microdot-templates)
        subprocess.check_call([vpy, '-m', 'microdot.utemplate', 'install'])
    # pytest from the repo root (tox.ini's [pytest] settings), but the code under test is the
    # installed wheel: PYTHONSAFEPATH keeps the working directory off sys.path
    env = dict(os.environ, PYTHONSAFEPATH='1', PYTHONDONTWRITEBYTECODE='1')
    env.pop('PYTHONPATH', None)
    cmd = [vpy, '-m', 'pytest', '-c', os.path.join(ROOT, 'tox.ini'), '--rootdir', ROOT,
           os.path.join(dist.folder, 'tests')] + list(pytest_args)
    return subprocess.call(cmd, cwd=ROOT, env=env)


def core_alone(workdir=None, log=print):
    """The core wheel alone: each plugin module's import fails with ModuleNotFoundError naming
    that module, and ``python -m microdot extensions`` still works and lists them as missing."""
    dists = distributions()
    core = dists[0]
    core_wheel, _ = build(core, log=log)
    workdir = workdir or tempfile.mkdtemp(prefix='dist-core-alone-')
    vpy = make_venv(os.path.join(workdir, 'venv'))
    pip_install(vpy, [core_wheel])
    have = installed_microdot(vpy)
    if have != {core.name: core.version}:
        raise SystemExit('the venv holds {}'.format(have))
    problems = []
    modules = [m for d in dists[1:] for m in d.public_modules]
    code = (
        'import json, sys\nimport microdot\nout = {}\n'
        'for name in sys.argv[1:]:\n'
        '    try:\n'
        '        __import__(name)\n'
        '        out[name] = "imported"\n'
        '    except ModuleNotFoundError as exc:\n'
        '        out[name] = ["ModuleNotFoundError", exc.name, str(exc)]\n'
        '    except BaseException as exc:\n'
        '        out[name] = [type(exc).__name__, None, str(exc)]\n'
        'print(json.dumps(out))\n')
    result = json.loads(subprocess.check_output([vpy, '-c', code] + modules,
                                                cwd=tempfile.gettempdir()).decode())
    for name in modules:
        kind, missing, message = (result[name] + [None, None])[:3] \
            if isinstance(result[name], list) else (result[name], None, None)
        if kind != 'ModuleNotFoundError' or missing != name:
            problems.append('import {} with the core alone: {} {} ({})'.format(
                name, kind, missing or '', message))
        else:
            log('import {}: ModuleNotFoundError: {}'.format(name, message))
    listing = subprocess.run([vpy, '-m', 'microdot', 'extensions'], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, cwd=tempfile.gettempdir())
    text = listing.stdout.decode(errors='replace')
    if listing.returncode != 0:
        problems.append('python -m microdot extensions failed:\n' + text)
    for d in dists[1:]:
        if d.name not in text:
            problems.append('python -m microdot extensions does not tell how to install {}'
                            .format(d.name))
    return problems


# --- tox, workflows, package.json: generated from, or checked against, the distributions ------------

def tox_envs(dists=None):
    dists = dists or distributions()
    envs = ['dist-check', 'dist-core-alone']
    envs += ['dist-{}-{}'.format(d.short, py) for d in dists for py in TOX_PYTHONS]
    if any(d.micropython for d in dists):
        envs += ['conformance-micropython-mip-py', 'conformance-micropython-mip-mpy']
    return envs


def tox_check():
    """Names of the dist envs that tox.ini lacks (or has for a package that no longer exists)."""
    proc = subprocess.run([sys.executable, '-m', 'tox', 'list', '--no-desc', '-c',
                           os.path.join(ROOT, 'tox.ini')], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, cwd=ROOT)
    if proc.returncode != 0:
        return ['tox list failed: ' + proc.stdout.decode(errors='replace')]
    listed = set(line.strip() for line in proc.stdout.decode().splitlines() if line.strip())
    wanted = set(tox_envs())
    problems = ['tox.ini lacks the env {}'.format(e) for e in sorted(wanted - listed)]
    known = set(d.short for d in distributions())
    for env in sorted(listed):
        m = re.match(r'dist-(.+)-py\d+$', env)
        if m and m.group(1) not in known:
            problems.append('tox.ini has {} but there is no such distribution'.format(env))
    return problems


def workflow(dist, dists=None):
    """The GitHub Actions workflow of one distribution, as a dict (written as YAML)."""
    dists = dists or distributions()
    paths = ['packages/{}/**'.format(dist.name)]
    if not dist.is_core:
        paths.append('packages/{}/**'.format(CORE))
        paths += ['packages/{}/**'.format(d.name) for d in sibling_closure(dist, dists)]
    paths += ['tools/dists.py', 'tools/micropython_build.py', 'tox.ini',
              '.github/workflows/{}.yml'.format(dist.name)]
    if dist.micropython:
        paths += ['tools/mip_index.py', 'tests/**']
    trigger = {'paths': paths}
    # the micropython job installs this distribution alone (and what it depends on) with mip
    # and runs the conformance suite there: the routes of the others are skipped
    jobs = {
        'test': {
            'name': 'tests from wheels (Python ${{ matrix.python }})',
            'runs-on': 'ubuntu-latest',
            'strategy': {'fail-fast': False, 'matrix': {'python': list(PYTHONS)}},
            'steps': [
                {'uses': 'actions/checkout@v4'},
                {'uses': 'actions/setup-python@v5',
                 'with': {'python-version': '${{ matrix.python }}'}},
                {'run': 'python -m pip install hatch packaging "tomli; python_version < \'3.11\'" '
                        '"virtualenv<21; python_version < \'3.10\'"'},
                {'run': 'python tools/dists.py test {}'.format(dist.name)},
            ],
        },
        'build': {
            'name': 'build and check every wheel and sdist',
            'runs-on': 'ubuntu-latest',
            'steps': [
                {'uses': 'actions/checkout@v4'},
                {'uses': 'actions/setup-python@v5', 'with': {'python-version': '3.13'}},
                {'run': 'python -m pip install tox'},
                {'run': 'tox -e dist-check,dist-core-alone'},
                {'uses': 'actions/upload-artifact@v4',
                 'with': {'name': dist.name + '-dists',
                          'path': 'build/dists/{}-*'.format(dist.name.replace('-', '_'))}},
            ],
        },
    }
    if dist.micropython:
        jobs['micropython'] = {
            'name': 'MicroPython (${{ matrix.flavour }}), installed by mip from the index',
            'runs-on': 'ubuntu-latest',
            'strategy': {'fail-fast': False, 'matrix': {'flavour': ['py', 'mpy']}},
            'steps': [
                {'uses': 'actions/checkout@v4'},
                {'uses': 'actions/setup-python@v5', 'with': {'python-version': '3.13'}},
                {'run': 'python -m pip install tox'},
                {'run': 'tox -e conformance-micropython-mip-${{ matrix.flavour }}',
                 'env': {'MICRODOT_MIP_DISTS': dist.name}},
            ],
        }
    return {
        'name': dist.name,
        'on': {
            'push': {'branches': ['main'], 'paths': list(paths)},
            'pull_request': dict(trigger),
            'workflow_dispatch': None,
        },
        'permissions': {'contents': 'read'},
        'concurrency': {'group': '${{ github.workflow }}-${{ github.ref }}',
                        'cancel-in-progress': True},
        'jobs': jobs,
    }


def workflow_yaml(dist, dists=None):
    import yaml
    header = ('# Generated by `python tools/dists.py workflows` from packages/{}: do not edit by\n'
              '# hand (tests_dist/test_workflows.py compares this file with the generator).\n'
              .format(dist.name))
    text = yaml.safe_dump(workflow(dist, dists), sort_keys=False, width=100)
    return header + text.replace("'on':", 'on:', 1).replace('workflow_dispatch: null',
                                                            'workflow_dispatch:')


def workflow_path(dist):
    return os.path.join(ROOT, '.github', 'workflows', dist.name + '.yml')


def mip_siblings(dist, dists=None):
    """The sibling distributions mip installs with ``dist``: mip has no extras, so a package
    brings what any of its modules imports (microdot-auth brings microdot-session for login.py;
    a module that is never imported costs flash, not RAM). See docs/releasing.md."""
    dists = dists or distributions()
    return [get(n, dists) for n in dist.siblings if get(n, dists).micropython]


def package_json(dist, dists=None):
    """mip's package.json for installing ``dist`` straight from GitHub."""
    base = 'github:{}/packages/{}/src/'.format(GITHUB_REPO, dist.name)
    urls = [['microdot/' + m, base + 'microdot/' + m] for m in dist.mp_modules]
    deps = []
    if not dist.is_core:
        deps.append(['github:{}/packages/{}'.format(GITHUB_REPO, CORE), 'main'])
        deps += [['github:{}/packages/{}'.format(GITHUB_REPO, d.name), 'main']
                 for d in mip_siblings(dist, dists)]
    return {'urls': urls, 'deps': deps, 'version': dist.version}


def package_json_text(dist):
    return json.dumps(package_json(dist), indent=2) + '\n'


def _write_or_compare(path, text, check):
    try:
        with open(path, encoding='utf-8') as f:
            current = f.read()
    except OSError:
        current = None
    if current == text:
        return None
    if check:
        return '{} is {}: python tools/dists.py {}'.format(
            os.path.relpath(path, ROOT), 'missing' if current is None else 'out of date',
            'workflows' if path.endswith('.yml') else 'package-json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    print('wrote ' + os.path.relpath(path, ROOT))
    return None


def sync_workflows(check=False):
    dists = distributions()
    problems = [p for p in (_write_or_compare(workflow_path(d), workflow_yaml(d, dists), check)
                            for d in dists) if p]
    known = set(workflow_path(d) for d in dists)
    for path in glob.glob(os.path.join(ROOT, '.github', 'workflows', 'microdot-*.yml')):
        if path not in known:
            problems.append('{} has no distribution in packages/'.format(
                os.path.relpath(path, ROOT)))
    return problems


def sync_package_json(check=False):
    problems = []
    for d in distributions():
        path = os.path.join(d.folder, 'package.json')
        if d.micropython:
            p = _write_or_compare(path, package_json_text(d), check)
            if p:
                problems.append(p)
        elif os.path.exists(path):
            problems.append('{} runs on CPython only but has a package.json'.format(d.name))
    return problems


# --- command line -----------------------------------------------------------------------------------

def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if '--' in argv:
        i = argv.index('--')
        argv, extra = argv[:i], argv[i + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command')
    sub.add_parser('list')
    b = sub.add_parser('build')
    b.add_argument('names', nargs='*')
    c = sub.add_parser('check')
    c.add_argument('--json', help='also write the report (sizes, files) to this file')
    c.add_argument('--no-twine', action='store_true')
    c.add_argument('--no-stubtest', action='store_true')
    t = sub.add_parser('test')
    t.add_argument('name', nargs='?')
    t.add_argument('--tox-env', help='dist-<name>-pyXY: the distribution is <name>')
    t.add_argument('--workdir')
    a = sub.add_parser('core-alone')
    a.add_argument('--workdir')
    sub.add_parser('tox-check')
    sub.add_parser('stubtest')
    for name in ('workflows', 'package-json'):
        s = sub.add_parser(name)
        s.add_argument('--check', action='store_true', help='compare, do not write')
    args = parser.parse_args(argv)
    if args.command == 'list':
        for d in distributions():
            print('{:<20} {:<8} {}{}'.format(d.name, d.version, ' '.join(d.modules),
                                             '' if d.micropython else '  (CPython only)'))
        return 0
    if args.command == 'build':
        dists = distributions()
        for d in [get(n, dists) for n in args.names] or dists:
            print(*build(d))
        return 0
    if args.command == 'check':
        problems, report = check_all(twine=not args.no_twine, stubs=not args.no_stubtest)
        problems += sync_package_json(check=True) + sync_workflows(check=True)
        print_report(report)
        if args.json:
            with open(args.json, 'w') as f:
                json.dump(report, f, indent=2)
        for p in problems:
            print('PROBLEM: ' + p, file=sys.stderr)
        print('{} distributions checked, {} problems'.format(len(report), len(problems)))
        return 1 if problems else 0
    if args.command == 'test':
        name = args.name
        if args.tox_env:
            m = re.match(r'dist-(.+)-py\d+$', args.tox_env)
            if not m:
                parser.error('--tox-env {} is not dist-<name>-pyXY'.format(args.tox_env))
            name = m.group(1)
        if not name:
            parser.error('name a distribution')
        return test_dist(get(name), extra, args.workdir)
    if args.command == 'core-alone':
        problems = core_alone(args.workdir)
        for p in problems:
            print('PROBLEM: ' + p, file=sys.stderr)
        return 1 if problems else 0
    if args.command == 'stubtest':
        code, output = stubtest()
        print(output)
        return code
    if args.command == 'tox-check':
        problems = tox_check()
        for p in problems:
            print('PROBLEM: ' + p, file=sys.stderr)
        return 1 if problems else 0
    if args.command in ('workflows', 'package-json'):
        sync = sync_workflows if args.command == 'workflows' else sync_package_json
        problems = sync(check=args.check)
        for p in problems:
            print('PROBLEM: ' + p, file=sys.stderr)
        return 1 if problems else 0
    parser.print_help()
    return 2


if __name__ == '__main__':
    sys.exit(main())
