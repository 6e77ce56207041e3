"""Forged and damaged session tokens, each of which must give an empty session.

``attack_tokens(key)`` -> ``{name: token}``; every token but the controls is made to look as
convincing as possible for a server whose (only) key is ``key``.
"""
import base64
import hashlib
import hmac
import json
import os
import time

import jwt

GOOD = {'user': 'mallory', 'admin': True}
ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'


def b64(data):
    if not isinstance(data, bytes):
        data = json.dumps(data, separators=(',', ':')).encode()
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def hand_made(header, payload, key, digest=hashlib.sha256, signature=None):
    signing_input = b64(header) + '.' + b64(payload)
    if signature is None:
        signature = b64(hmac.new(key.encode(), signing_input.encode(), digest).digest())
    return signing_input + '.' + signature


def rs256_token(payload):
    """A genuine RS256 token (another key type altogether); None without cryptography."""
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        return None
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(payload, private, algorithm='RS256')


def attack_tokens(key):
    def signed(payload, k=key, algorithm='HS256'):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # PyJWT's short-key warning for HS384/HS512
            return jwt.encode(payload, k, algorithm=algorithm)

    good = signed(GOOD)
    header, payload, signature = good.split('.')
    now = int(time.time())
    last = ALPHABET.index(good[-1])
    tokens = {
        'tampered payload': header + '.' + b64(dict(GOOD, user='admin')) + '.' + signature,
        'tampered signature': good[:-2] + ('A' if good[-2] != 'A' else 'B') + good[-1],
        'signature of another payload':
            header + '.' + payload + '.' + signed({'user': 'x'}).rsplit('.', 1)[1],
        'non-canonical signature spelling': good[:-1] + ALPHABET[last ^ 1],
        'alg none, no signature': b64({'alg': 'none', 'typ': 'JWT'}) + '.' + payload + '.',
        'alg None (case)': b64({'alg': 'None'}) + '.' + payload + '.',
        'alg none with an HS256 signature': hand_made({'alg': 'none'}, GOOD, key),
        'no alg': hand_made({'typ': 'JWT'}, GOOD, key),
        'alg HS512 with the key': signed(GOOD, algorithm='HS512'),
        'alg HS384 with the key': signed(GOOD, algorithm='HS384'),
        'alg RS256 header, HMAC-signed with the key': hand_made({'alg': 'RS256'}, GOOD, key),
        'alg ES256 header, random signature':
            hand_made({'alg': 'ES256'}, GOOD, key, signature=b64(os.urandom(64))),
        'alg HS256 header, HS512 signature':
            hand_made({'alg': 'HS256'}, GOOD, key, digest=hashlib.sha512),
        'wrong key': signed(GOOD, k='not-the-key-but-just-as-long-0123456789'),
        'empty key': hand_made({'alg': 'HS256'}, GOOD, ''),
        'expired': signed(dict(GOOD, exp=now - 10)),
        'not yet valid (nbf)': signed(dict(GOOD, nbf=now + 3600)),
        'exp not a number': signed(dict(GOOD, exp='tomorrow')),
        'truncated signature': good[:-5],
        'truncated to two segments': header + '.' + payload,
        'truncated header': good[:10],
        'empty signature': header + '.' + payload + '.',
        'four segments': good + '.' + b64(b'x'),
        'payload not base64': b64({'alg': 'HS256'}) + '.@@@@.' + b64(b'x' * 32),
        'payload a JSON list': hand_made({'alg': 'HS256', 'typ': 'JWT'}, [1, 2], key),
        'payload not JSON': hand_made({'alg': 'HS256'}, b'not json', key),
        'payload invalid UTF-8': hand_made({'alg': 'HS256'}, b'\xff\xfe{}', key),
        'header not JSON': b64(b'{{') + '.' + payload + '.' + signature,
        'padded base64': good + '==',
        'garbage': 'not-a-token',
        'only dots': '..',
        'empty': '',
        # 2900 levels: over CPython's recursion limit, still under the 4 KB token limit
        'nested JSON header (2900 levels), unsigned':
            b64(b'[' * 2900) + '.' + payload + '.' + b64(b'x' * 32),
        'nested JSON payload (2900 levels), unsigned':
            b64({'alg': 'HS256'}) + '.' + b64(b'[' * 2900) + '.' + b64(b'x' * 32),
        'nested JSON payload (2900 levels), signed':
            hand_made({'alg': 'HS256'}, b'[' * 2900, key),
        'huge (5000 bytes), signed': signed({'big': 'x' * 5000}),
    }
    rs256 = rs256_token(GOOD)
    if rs256 is not None:
        tokens['genuine RS256 token'] = rs256
    return tokens
