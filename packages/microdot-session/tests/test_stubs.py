"""The .pyi stub shipped in the wheel matches the module (mypy stubtest).

mypy cannot see one package spread over several folders, so the check runs on a flat copy of the
core's modules and session.py/session.pyi, as a wheel install lays them out."""
import os
import shutil
import subprocess
import sys

import pytest

import microdot

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'src', 'microdot')


def test_stub_matches_the_module(tmp_path):
    pytest.importorskip('mypy')
    flat = tmp_path / 'microdot'
    shutil.copytree(os.path.dirname(microdot.__file__), str(flat),
                    ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('session.py', 'session.pyi'):
        shutil.copy(os.path.join(SRC, name), str(flat / name))
    env = dict(os.environ, PYTHONPATH=str(tmp_path), MYPYPATH=str(tmp_path))
    out = subprocess.run([sys.executable, '-m', 'mypy.stubtest', 'microdot.session'],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
