"""The .pyi stub shipped in the wheel matches the module (mypy stubtest, on a flat copy of the
installed microdot modules as a wheel install lays them out)."""
import pytest

from microdot.testing_micropython import run_stubtest


def test_stub_matches_the_module():
    pytest.importorskip('mypy')
    out = run_stubtest('microdot.multipart')
    assert out.returncode == 0, out.stdout + out.stderr
