"""Signed-cookie sessions, black-box over real sockets, on every runtime.

Routes: tests/apps/session_routes.py (its keys are test constants, so these tests can forge
tokens). Tokens are made and checked here with PyJWT: on the MicroPython target that proves both
directions (a cookie made by the built-in HS256 signer verifies with PyJWT, and a PyJWT token
verifies with the built-in verifier).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

import httpx
import jwt
import pytest

from conftest import require

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'apps'))
from session_routes import KEY, LIFETIME, OLD_KEY  # noqa: E402


@pytest.fixture(autouse=True)
def session_routes(server):
    require(server, 'session_routes')


# --- helpers -------------------------------------------------------------------------------------

def b64(data):
    if not isinstance(data, bytes):
        data = json.dumps(data, separators=(',', ':')).encode()
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def hand_made(header, payload, key=KEY, digest=hashlib.sha256, signature=None):
    """A token with any header, HMAC-signed with ``key`` and ``digest`` unless ``signature``."""
    signing_input = b64(header) + '.' + b64(payload)
    if signature is None:
        signature = b64(hmac.new(key.encode(), signing_input.encode(), digest).digest())
    return signing_input + '.' + signature


def signed(payload, key=KEY):
    return jwt.encode(payload, key, algorithm='HS256')


def session_of(server, token, path='/session/get'):
    """``(status, json body)`` of a GET with ``token`` as the session cookie."""
    res = httpx.get(server.url + path, headers={'Cookie': 'session=' + token})
    return res.status_code, res.json() if res.status_code == 200 else res.text


def set_cookies(res):
    return res.headers.get_list('set-cookie')


def token_of(res):
    """The session token a response sets (exactly one Set-Cookie for it)."""
    cookies = [c for c in set_cookies(res) if c.startswith('session=')]
    assert len(cookies) == 1, set_cookies(res)
    return cookies[0].split(';')[0][len('session='):]


def attributes(cookie):
    return [part.strip() for part in cookie.split(';')[1:]]


# --- the seed's example, with a real cookie jar ---------------------------------------------------

def test_seed_example_login_and_logout_with_a_cookie_jar(server):
    with httpx.Client(base_url=server.url, follow_redirects=True) as client:
        assert client.get('/session/').text == 'Not logged in'
        res = client.post('/session/', data={'username': 'susan'})
        assert res.status_code == 200
        assert res.text == 'Logged in as susan'
        assert res.history[0].status_code == 302
        assert client.get('/session/').text == 'Logged in as susan'
        res = client.post('/session/logout')
        assert res.text == 'Not logged in'
        assert client.get('/session/').text == 'Not logged in'


def test_cookie_defaults_on_plain_http(server):
    res = httpx.get(server.url + '/session/set', params={'a': '1'})
    cookie = [c for c in set_cookies(res) if c.startswith('session=')][0]
    assert attributes(cookie) == ['Path=/', 'HttpOnly', 'SameSite=Lax']   # no Secure over http


def test_delete_expires_the_cookie_with_the_same_attributes(server):
    res = httpx.post(server.url + '/session/logout', headers={'Cookie': 'session=' + signed(
        {'username': 'susan'})})
    assert res.status_code == 302
    cookie = set_cookies(res)[0]
    assert cookie.startswith('session=;')
    assert attributes(cookie) == ['Path=/', 'Expires=Thu, 01 Jan 1970 00:00:01 GMT', 'Max-Age=0',
                                  'HttpOnly', 'SameSite=Lax']


def test_cookie_made_by_the_server_verifies_with_pyjwt(server):
    res = httpx.get(server.url + '/session/set', params={'user': 'ann', 'n': '42'})
    token = token_of(res)
    assert jwt.get_unverified_header(token)['alg'] == 'HS256'
    assert jwt.decode(token, KEY, algorithms=['HS256']) == {'user': 'ann', 'n': '42'}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, OLD_KEY, algorithms=['HS256'])   # the first key signs


def test_pyjwt_token_verifies_on_the_server(server):
    assert session_of(server, signed({'user': 'bob', 'admin': False})) == \
        (200, {'session': {'user': 'bob', 'admin': False}})


def test_sync_handler_gets_the_session(server):
    with httpx.Client(base_url=server.url) as client:
        assert client.get('/session/sync').json() == {'session': {'sync': 1}}
        assert client.get('/session/sync').json() == {'session': {'sync': 2}}


# --- attacks: every one gives an empty session, never an error -----------------------------------

GOOD = {'user': 'mallory', 'admin': True}


def tampered_payload():
    header, _, signature = signed({'user': 'mallory', 'admin': False}).split('.')
    return header + '.' + b64(GOOD) + '.' + signature


def swap_signature(token, other):
    return token.rsplit('.', 1)[0] + '.' + other.rsplit('.', 1)[1]


def non_canonical_signature():
    # the last base64url character of a 32-byte signature carries 4 unused bits: another spelling
    # of the same signature, which PyJWT refuses and so must the server
    token = signed(GOOD)
    alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    last = alphabet.index(token[-1])
    return token[:-1] + alphabet[last ^ 1]


def nested_json_header():
    # deep nesting (as deep as the conformance header limit allows) in an unsigned header
    return b64(b'[' * 600) + '.' + b64(GOOD) + '.' + b64(b'x' * 32)


def tampered_signature():
    token = signed(GOOD)
    last = token[-2]
    return token[:-2] + ('A' if last != 'A' else 'B') + token[-1]


ATTACKS = {
    'tampered payload': tampered_payload,
    'tampered signature': tampered_signature,
    'signature of another payload': lambda: swap_signature(signed(GOOD), signed({'user': 'x'})),
    'alg none, no signature': lambda: b64({'alg': 'none', 'typ': 'JWT'}) + '.' + b64(GOOD) + '.',
    'alg None (case)': lambda: b64({'alg': 'None'}) + '.' + b64(GOOD) + '.',
    'alg none with the HS256 signature': lambda: hand_made({'alg': 'none'}, GOOD),
    'no alg': lambda: hand_made({'typ': 'JWT'}, GOOD),
    'alg HS512 with the key': lambda: jwt.encode(GOOD, KEY, algorithm='HS512'),
    'alg HS384 with the key': lambda: jwt.encode(GOOD, KEY, algorithm='HS384'),
    'alg RS256 header, HMAC-signed with the key': lambda: hand_made({'alg': 'RS256'}, GOOD),
    'alg ES256 header, random signature': lambda: hand_made({'alg': 'ES256'}, GOOD,
                                                            signature=b64(os.urandom(64))),
    'alg HS256 header, HS512 signature': lambda: hand_made({'alg': 'HS256'}, GOOD,
                                                           digest=hashlib.sha512),
    'wrong key': lambda: signed(GOOD, key='not-the-key-but-just-as-long-0123456789'),
    'empty key': lambda: hand_made({'alg': 'HS256'}, GOOD, key=''),
    'expired': lambda: signed(dict(GOOD, exp=int(time.time()) - 10)),
    'not yet valid (nbf)': lambda: signed(dict(GOOD, nbf=int(time.time()) + 3600)),
    'exp not a number': lambda: signed(dict(GOOD, exp='tomorrow')),
    'truncated signature': lambda: signed(GOOD)[:-5],
    'truncated to two segments': lambda: signed(GOOD).rsplit('.', 1)[0],
    'truncated header': lambda: signed(GOOD)[:10],
    'empty signature': lambda: signed(GOOD).rsplit('.', 1)[0] + '.',
    'four segments': lambda: signed(GOOD) + '.' + b64(b'x'),
    'payload not base64': lambda: b64({'alg': 'HS256'}) + '.@@@@.' + b64(b'x' * 32),
    'payload a JSON list': lambda: hand_made({'alg': 'HS256', 'typ': 'JWT'}, [1, 2]),
    'payload not JSON': lambda: hand_made({'alg': 'HS256'}, b'not json'),
    'payload invalid UTF-8': lambda: hand_made({'alg': 'HS256'}, b'\xff\xfe{}'),
    'header not JSON': lambda: b64(b'{{') + '.' + b64(GOOD) + '.' + b64(b'x' * 32),
    'padded base64': lambda: signed(GOOD) + '==',
    'garbage': lambda: 'not-a-token',
    'non-canonical signature spelling': non_canonical_signature,
    'nested JSON header (600 levels), unsigned': nested_json_header,
    'nested JSON payload (600 levels), unsigned': lambda: b64({'alg': 'HS256'}) + '.' +
    b64(b'[' * 600) + '.' + b64(b'x' * 32),
    'only dots': lambda: '..',
}


@pytest.mark.parametrize('attack', sorted(ATTACKS))
def test_attack_gives_an_empty_session(server, attack):
    token = ATTACKS[attack]()
    assert session_of(server, token) == (200, {'session': {}}), attack


def test_huge_cookie(server):
    # a bogus token as large as the server lets a header line be: an empty session; a genuine
    # token over 4 KB: an empty session, or a clean 4xx from the server's header limits; and the
    # server keeps serving
    limit = server.limits['max_readline']
    token = 'a' * (limit - len('Cookie: session=\r\n') - 2)
    assert session_of(server, token) == (200, {'session': {}})
    token = signed({'big': 'x' * max(limit, 4096)})  # over 4 KB: refused unparsed
    res = httpx.get(server.url + '/session/get', headers={'Cookie': 'session=' + token})
    if res.status_code == 200:  # servers with larger header limits (uvicorn, gunicorn)
        assert res.json() == {'session': {}}
    else:
        assert res.status_code in (400, 431)
    assert session_of(server, signed({'ok': 1})) == (200, {'session': {'ok': 1}})


# --- key rotation --------------------------------------------------------------------------------

def test_rotation_old_key_still_verifies_and_saving_resigns_with_the_new_key(server):
    old = signed({'user': 'ann'}, key=OLD_KEY)
    assert session_of(server, old) == (200, {'session': {'user': 'ann'}})
    res = httpx.get(server.url + '/session/set', params={'seen': 'yes'},
                    headers={'Cookie': 'session=' + old})
    assert res.json() == {'session': {'user': 'ann', 'seen': 'yes'}}
    assert jwt.decode(token_of(res), KEY, algorithms=['HS256']) == {'user': 'ann', 'seen': 'yes'}


# --- lifetime ------------------------------------------------------------------------------------

def test_lifetime_puts_exp_in_the_cookie_and_hides_it_from_the_handler(server):
    before = time.time()
    res = httpx.get(server.url + '/session/lifetime/rw', params={'user': 'ann'})
    assert res.json() == {'session': {'user': 'ann'}}
    payload = jwt.decode(token_of(res), KEY, algorithms=['HS256'])
    assert before + LIFETIME - 5 <= payload['exp'] <= time.time() + LIFETIME + 5
    assert session_of(server, token_of(res), '/session/lifetime/rw') == \
        (200, {'session': {'user': 'ann'}})


def test_lifetime_refuses_tokens_without_exp_and_expired_ones(server):
    path = '/session/lifetime/rw'
    assert session_of(server, signed({'user': 'ann'}), path) == (200, {'session': {}})
    expired = signed({'user': 'ann', 'exp': int(time.time()) - 1})
    assert session_of(server, expired, path) == (200, {'session': {}})
    fresh = signed({'user': 'ann', 'exp': int(time.time()) + 30})
    assert session_of(server, fresh, path) == (200, {'session': {'user': 'ann'}})


# --- cookie options ----------------------------------------------------------------------------

def test_every_cookie_option(server):
    res = httpx.get(server.url + '/session/opts/rw', params={'a': 'b'})
    cookie = set_cookies(res)[0]
    assert attributes(cookie) == ['Path=/session/opts', 'Domain=example.com', 'Max-Age=600',
                                  'Secure', 'HttpOnly', 'SameSite=Strict', 'Partitioned']


# --- size and error responses ------------------------------------------------------------------

def test_session_too_large_for_a_cookie_is_an_error_at_save_time(server):
    res = httpx.get(server.url + '/session/big', params={'n': '3500'})
    assert res.status_code == 500
    assert set_cookies(res) == []
    res = httpx.get(server.url + '/session/big', params={'n': '3500', 'catch': '1'})
    assert res.status_code == 413
    assert 'too large for a cookie' in res.json()['error']
    res = httpx.get(server.url + '/session/big', params={'n': '2000', 'catch': '1'})
    assert res.json() == {'saved': True}
    assert len(token_of(res)) < 4096


def test_saved_session_goes_out_with_an_abort(server):
    res = httpx.get(server.url + '/session/fail/abort')
    assert res.status_code == 409
    assert jwt.decode(token_of(res), KEY, algorithms=['HS256']) == {'saved': 'before abort'}


def test_saved_session_goes_out_with_an_exception(server):
    res = httpx.get(server.url + '/session/fail/raise')
    assert res.status_code == 500
    assert jwt.decode(token_of(res), KEY, algorithms=['HS256']) == {'saved': 'before raise'}


def test_deleted_session_goes_out_with_an_abort(server):
    res = httpx.get(server.url + '/session/fail/delete-then-abort',
                    headers={'Cookie': 'session=' + signed({'user': 'ann'})})
    assert res.status_code == 403
    assert set_cookies(res)[0].startswith('session=;')
