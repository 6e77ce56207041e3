"""The .pyi stubs shipped in the wheel match the modules (mypy stubtest, on a flat copy of the
installed microdot modules as a wheel install lays them out)."""
import os

import pytest

from microdot.testing_micropython import run_stubtest

ALLOWLIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'stubtest-allowlist.txt')


def test_stubs_match_the_modules():
    pytest.importorskip('mypy')
    out = run_stubtest('microdot.asgi', 'microdot.wsgi', 'microdot._server_common',
                       allowlist=ALLOWLIST)
    assert out.returncode == 0, out.stdout + out.stderr
