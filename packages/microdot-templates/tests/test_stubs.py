"""The .pyi stubs shipped in the wheel match the modules (mypy stubtest, on a flat copy of the
installed microdot modules as a wheel install lays them out)."""
import pytest

from microdot.testing_micropython import run_stubtest


@pytest.mark.parametrize('module', ['utemplate', 'jinja'])
def test_stub_matches_the_module(module):
    pytest.importorskip('mypy')
    out = run_stubtest('microdot.' + module)
    assert out.returncode == 0, out.stdout + out.stderr
