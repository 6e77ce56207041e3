"""Build a flat ``microdot/`` folder for MicroPython (the installed core's modules plus the given
plugin modules) and run a script there; shared by this package's MicroPython tests."""
import os
import shutil
import subprocess

import microdot

MICROPYTHON = os.environ.get('MICROPYTHON') or shutil.which('micropython')
HEAP = os.environ.get('MICRODOT_MP_HEAP', '512k')
CPYTHON_ONLY = {'testing.py', '__main__.py', 'transport.py'}


def build_flat(out, modules):
    """``out/microdot/``: the core's MicroPython modules and each module object in ``modules``."""
    package = os.path.join(str(out), 'microdot')
    os.makedirs(package, exist_ok=True)
    core = os.path.dirname(microdot.__file__)
    for name in os.listdir(core):
        if name.endswith('.py') and name not in CPYTHON_ONLY:
            shutil.copyfile(os.path.join(core, name), os.path.join(package, name))
    for module in modules:
        shutil.copyfile(module.__file__, os.path.join(package, os.path.basename(module.__file__)))
    return str(out)


def run(flat, script, *args, heap=None, timeout=120):
    env = dict(os.environ, MICROPYPATH='{}:.frozen'.format(flat))
    return subprocess.run([MICROPYTHON, '-X', 'heapsize=' + (heap or HEAP), script] +
                          list(args), env=env, capture_output=True, text=True, timeout=timeout)


def check_output(proc):
    """The script prints ``FAIL ...`` lines and ends with ``CHECKS <n> FAILED <m>``."""
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and lines and lines[-1].startswith('CHECKS '), \
        proc.stdout + proc.stderr
    n, failed = int(lines[-1].split()[1]), int(lines[-1].split()[3])
    assert n > 0 and failed == 0, proc.stdout + proc.stderr
    return n
