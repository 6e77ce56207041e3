"""Every forged or damaged token gives an empty session, with PyJWT (CPython's path) and with the
built-in HS256 verifier (MicroPython's path, also run here on CPython); and the two interoperate."""
import time

import httpx
import jwt
import pytest

import microdot.session as session_module
from attacks import GOOD, attack_tokens
from microdot import Microdot
from microdot.session import Session, hs256_decode, hs256_encode, with_session
from microdot.testing import LiveServer

KEY = 'unit-test-session-key-0123456789abcdef'
OLD_KEY = 'unit-test-old-session-key-0123456789ab'
TOKENS = attack_tokens(KEY)


@pytest.fixture(params=['pyjwt', 'builtin'])
def implementation(request, monkeypatch):
    """Runs a test with PyJWT, then with the built-in HS256 code that MicroPython uses."""
    if request.param == 'builtin':
        monkeypatch.setattr(session_module, '_pyjwt', None)
    return request.param


def test_the_attack_list_has_its_dangerous_cases():
    assert 'genuine RS256 token' in TOKENS  # cryptography is in tests/requirements.txt
    assert len(TOKENS) >= 35


@pytest.mark.parametrize('attack', sorted(TOKENS))
def test_attack_decodes_to_an_empty_session(implementation, attack):
    assert Session(secret_key=KEY).decode(TOKENS[attack]) == {}


def test_a_genuine_token_decodes(implementation):
    assert Session(secret_key=KEY).decode(jwt.encode(GOOD, KEY, algorithm='HS256')) == GOOD


def test_rotation_first_key_signs_all_verify(implementation):
    rotated = Session(secret_key=[KEY, OLD_KEY])
    old = jwt.encode({'a': 1}, OLD_KEY, algorithm='HS256')
    assert rotated.decode(old) == {'a': 1}
    token = rotated.encode({'b': 2})
    assert jwt.decode(token, KEY, algorithms=['HS256']) == {'b': 2}
    assert Session(secret_key=OLD_KEY).decode(token) == {}
    assert Session(secret_key=[OLD_KEY]).decode(jwt.encode({'a': 1}, 'x' * 40,
                                                           algorithm='HS256')) == {}


def test_expiry_is_checked(implementation):
    session = Session(secret_key=KEY)
    assert session.decode(session.encode({'a': 1, 'exp': int(time.time()) + 30})) == \
        {'a': 1, 'exp': pytest.approx(time.time() + 30, abs=5)}
    assert session.decode(session.encode({'a': 1, 'exp': int(time.time()) - 1})) == {}


def test_builtin_and_pyjwt_interoperate():
    key = KEY.encode()
    payload = {'user': 'ann', 'n': 3, 'ok': True, 'list': [1, 'two'], 'uni': 'caf\u00e9'}
    assert jwt.decode(hs256_encode(payload, key), key, algorithms=['HS256']) == payload
    assert hs256_decode(jwt.encode(payload, key, algorithm='HS256'), [key]) == payload
    long_key = b'k' * 100  # over the 64-byte HMAC block: hashed first, as RFC 2104 says
    assert jwt.decode(hs256_encode(payload, long_key), long_key, algorithms=['HS256']) == payload


def test_attacks_over_a_real_socket_give_an_empty_session_never_an_error(implementation):
    app = Microdot()
    Session(app, secret_key=KEY)

    @app.get('/')
    @with_session
    async def index(request, session):
        return {'session': dict(session.items())}

    with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
        for name, token in sorted(TOKENS.items()):
            res = client.get('/', headers={'Cookie': 'session=' + token})
            assert (res.status_code, res.json()) == (200, {'session': {}}), name
            assert 'set-cookie' not in res.headers, name
