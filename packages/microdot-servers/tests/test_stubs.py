"""The .pyi stubs shipped in the wheel match the modules (mypy stubtest).

mypy cannot see one package spread over several folders, so the check runs on a flat copy of the
core's and this distribution's ``microdot`` modules, as a wheel install would lay them out.
"""
import os
import shutil
import subprocess
import sys

import pytest

import microdot
import microdot.asgi

# where this distribution's modules and stubs are installed (the wheel's, or src/ when editable)
SRC = os.path.dirname(os.path.abspath(microdot.asgi.__file__))


def test_stubs_match_the_modules(tmp_path):
    pytest.importorskip('mypy')
    flat = tmp_path / 'microdot'
    core = os.path.dirname(microdot.__file__)
    shutil.copytree(core, str(flat), ignore=shutil.ignore_patterns('__pycache__'))
    for name in os.listdir(SRC):
        if name.endswith(('.py', '.pyi')):
            shutil.copy(os.path.join(SRC, name), str(flat / name))
    env = dict(os.environ, PYTHONPATH=str(tmp_path), MYPYPATH=str(tmp_path))
    allowlist = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'stubtest-allowlist.txt')
    out = subprocess.run([sys.executable, '-m', 'mypy.stubtest', '--allowlist', allowlist,
                          '--ignore-unused-allowlist',
                          'microdot.asgi', 'microdot.wsgi', 'microdot._server_common'],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
