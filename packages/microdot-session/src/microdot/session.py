"""Signed-cookie user sessions for microdot, on CPython and MicroPython.

Public: ``Session`` (the extension; entry point ``session``), ``SessionDict``, ``with_session``,
``SessionTooLargeError``.

The session is a dict kept in the browser, in the ``session`` cookie, as a JSON Web Token signed
with HMAC-SHA256 (HS256). Nothing is stored on the server, so any number of workers can serve it.

Security rules (docs in the README):

* only HS256 is accepted: a token whose header names another algorithm (``none``, HS384/HS512,
  RS256, ...) is refused before any signature check; signatures are compared in constant time;
* any signature, format or claim failure (``exp``, ``nbf``) gives an empty session, never an
  error response;
* ``lifetime`` (seconds) puts an ``exp`` claim in every saved session and refuses sessions
  without one; ``secret_key`` may be a list of keys: the first signs, all verify (key rotation);
* cookie defaults ``Path=/``, ``HttpOnly``, ``SameSite=Lax``, and ``Secure`` when the request came
  over https; every ``set_cookie`` option can be set in ``cookie_options``;
* a session whose cookie would exceed ``max_cookie_size`` (4096 bytes, what browsers keep) raises
  ``SessionTooLargeError`` at ``save()`` instead of being dropped silently by the browser.

Where the cookie goes: ``save()`` and ``delete()`` decide; the decision is applied to the response
that leaves the app, a successful one (after every other hook) or an error one (an exception or
``abort()`` after the save), so a handler that saved and then failed still sends its cookie.

On CPython the tokens are made and checked by PyJWT; where PyJWT is missing (MicroPython) a small
built-in HS256 signer and verifier does it (hashlib SHA-256 with HMAC). Both make tokens the other
accepts. MicroPython-safe: no typing, no f-strings, no ``re``.
"""
import binascii
import hashlib
import json
import time

from microdot.runtime import invoke_handler, log

try:
    import jwt as _pyjwt
    from jwt import PyJWTError as _PyJWTError
except ImportError:  # MicroPython (or CPython without PyJWT): the built-in HS256 below
    _pyjwt = None

try:
    from functools import wraps as _wraps
except ImportError:  # MicroPython
    _wraps = None

try:
    import hmac as _hmac  # CPython: C speed and a constant-time compare
except ImportError:  # MicroPython: the pure-Python HMAC below
    _hmac = None

try:  # some boards count time from 2000, JWT counts from 1970
    _EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0
except (AttributeError, OverflowError, OSError):
    _EPOCH_OFFSET = 0

__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1

ALGORITHM = 'HS256'
MIN_KEY_LENGTH = 32          # bytes: the HS256 minimum of RFC 7518, section 3.2
MAX_TOKEN_LENGTH = 4096      # longer cookies are refused unparsed (browsers keep no larger)
COOKIE_OPTIONS = ('path', 'domain', 'expires', 'max_age', 'secure', 'http_only', 'partitioned',
                  'same_site')
_MISSING_KEY = ('The session secret key is not configured: '
                "create the extension with Session(app, secret_key='...')")


class SessionTooLargeError(ValueError):
    """The saved session does not fit in one cookie."""


# --- HS256 without PyJWT -------------------------------------------------------------------------

def _b64url_encode(data):
    text = binascii.b2a_base64(data).rstrip(b'\n').rstrip(b'=')
    return text.replace(b'+', b'-').replace(b'/', b'_')


def _b64url_decode(text):
    """bytes of a base64url segment (no padding); ValueError for anything else, including a
    second spelling of the same bytes (unused low bits set in the last character)."""
    if len(text) % 4 == 1:
        raise ValueError('bad base64url length')
    data = binascii.a2b_base64(
        text.replace(b'-', b'+').replace(b'_', b'/') + b'=' * (-len(text) % 4))
    if _b64url_encode(data) != text:  # also catches characters outside the alphabet
        raise ValueError('not canonical base64url')
    return data


def _hmac_sha256(key, message):
    """HMAC (RFC 2104) with SHA-256: MicroPython has hashlib but no hmac module."""
    if _hmac is not None:
        return _hmac.new(key, message, hashlib.sha256).digest()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + b'\x00' * (64 - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(message)
    outer = hashlib.sha256(bytes(b ^ 0x5c for b in key))
    outer.update(inner.digest())
    return outer.digest()


def _equal(a, b):
    """Constant-time comparison of two byte strings."""
    if _hmac is not None:
        return _hmac.compare_digest(a, b)
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


def _json_segment(text):
    return json.loads(_b64url_decode(text).decode())


def hs256_encode(payload, key):
    """A compact HS256 JWT (str) of the dict ``payload``."""
    header = _b64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    body = _b64url_encode(json.dumps(payload, separators=(',', ':')).encode())
    signing_input = header + b'.' + body
    return (signing_input + b'.' + _b64url_encode(_hmac_sha256(key, signing_input))).decode()


def hs256_decode(token, keys, now=None):
    """The payload of an HS256 JWT signed with one of ``keys`` (bytes); ValueError for a token that
    is malformed, not HS256, badly signed, expired (``exp``) or not yet valid (``nbf``)."""
    if isinstance(token, str):
        token = token.encode()
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError('token too long')
    parts = token.split(b'.')
    if len(parts) != 3:
        raise ValueError('not a JWT')
    # the signature first: no JSON an attacker wrote is parsed before it is known to be ours
    signature = _b64url_decode(parts[2])
    signing_input = parts[0] + b'.' + parts[1]
    for key in keys:
        if _equal(_hmac_sha256(key, signing_input), signature):
            break
    else:
        raise ValueError('bad signature')
    header = _json_segment(parts[0])
    if not isinstance(header, dict) or header.get('alg') != ALGORITHM:
        raise ValueError('algorithm not allowed')
    payload = _json_segment(parts[1])
    if not isinstance(payload, dict):
        raise ValueError('payload is not an object')
    now = _now() if now is None else now
    for claim in ('exp', 'nbf', 'iat'):
        value = payload.get(claim)
        if value is not None and (isinstance(value, bool) or
                                  not isinstance(value, (int, float))):
            raise ValueError('bad ' + claim)
    if payload.get('exp') is not None and payload['exp'] <= now:
        raise ValueError('expired')
    if payload.get('nbf') is not None and payload['nbf'] > now:
        raise ValueError('not yet valid')
    return payload


# --- the extension -------------------------------------------------------------------------------

def _now():
    return time.time() + _EPOCH_OFFSET


def _to_bytes(key):
    return key.encode() if isinstance(key, str) else bytes(key)


class SessionDict(dict):
    """The session of one request: a dict with ``save()`` and ``delete()``."""

    def __init__(self, request, session_dict, extension=None):
        super().__init__(session_dict)
        self.request = request
        self.extension = extension

    def _session(self):
        return self.extension or _extension_for(self.request)

    def save(self):
        """Send this session back in the cookie (``SessionTooLargeError`` if it cannot fit)."""
        self._session().update(self.request, self)

    def delete(self):
        """Empty this session and delete the cookie."""
        self.clear()
        self._session().delete(self.request)


class Session:
    """The session extension: ``Session(app, secret_key='...')``, or ``Session(...)`` then
    ``initialize(app)``.

    ``secret_key``: a str or bytes, or a list of them (the first signs, all verify).
    ``cookie_options``: ``set_cookie`` keywords (``path``, ``domain``, ``expires``, ``max_age``,
    ``secure``, ``http_only``, ``partitioned``, ``same_site``) over the defaults ``path='/'``,
    ``http_only=True``, ``same_site='Lax'`` and ``secure`` = whether the request came over https.
    ``lifetime``: seconds a saved session stays valid (``exp``); None (default) for no expiry.
    ``max_cookie_size``: the largest ``name=value`` cookie a save may produce (bytes).
    """
    name = 'session'
    secret_key = None
    cookie_name = 'session'

    def __init__(self, app=None, secret_key=None, cookie_options=None, lifetime=None,
                 max_cookie_size=4096, cookie_name=None):
        self.cookie_options = {}
        self.lifetime = None
        self.max_cookie_size = max_cookie_size
        self._warned_keys = []
        self._configure(secret_key, cookie_options, lifetime, cookie_name)
        if app is not None:
            self.initialize(app)

    def _configure(self, secret_key, cookie_options, lifetime, cookie_name):
        if secret_key is not None:
            self.secret_key = secret_key
        if cookie_options is not None:
            for option in cookie_options:
                if option not in COOKIE_OPTIONS:
                    raise ValueError('unknown session cookie option {!r} (known: {})'.format(
                        option, ', '.join(COOKIE_OPTIONS)))
            same_site = cookie_options.get('same_site')
            if same_site is not None and str(same_site).lower() not in ('lax', 'strict', 'none'):
                raise ValueError("same_site must be 'Lax', 'Strict' or 'None'")
            self.cookie_options = dict(cookie_options)  # the caller's dict is left alone
        if lifetime is not None:
            if lifetime <= 0:
                raise ValueError('the session lifetime must be a positive number of seconds')
            self.lifetime = lifetime
        if cookie_name is not None:
            self.cookie_name = cookie_name

    def initialize(self, app, secret_key=None, cookie_options=None, lifetime=None,
                   cookie_name=None):
        """Attach to ``app`` (``app.extensions['session']``); arguments override the settings."""
        self._configure(secret_key, cookie_options, lifetime, cookie_name)
        app.add_extension(self.name, self)
        app.after_error_request(_write_cookie_on_error)
        if self.secret_key is not None:
            self._keys()  # warns now about a short key rather than on the first request

    # -- keys and tokens --

    def _keys(self, secret_key=None):
        key = self.secret_key if secret_key is None else secret_key
        if not key:
            raise ValueError(_MISSING_KEY)
        keys = [_to_bytes(k) for k in (key if isinstance(key, (list, tuple)) else [key])]
        for k in keys:
            if not k:
                raise ValueError('a session secret key is empty')
            if len(k) < MIN_KEY_LENGTH and k not in self._warned_keys:
                self._warned_keys.append(k)
                log('session: a secret key of {} bytes is short for HS256 (use at least {} '
                    'random bytes, RFC 7518 section 3.2)'.format(len(k), MIN_KEY_LENGTH))
        return keys

    def encode(self, payload, secret_key=None):
        """A signed token (str) for the dict ``payload``, with the first key."""
        key = self._keys(secret_key)[0]
        if _pyjwt is None:
            return hs256_encode(payload, key)
        if len(key) < MIN_KEY_LENGTH:  # already logged once by _keys()
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                token = _pyjwt.encode(payload, key, algorithm=ALGORITHM)
        else:
            token = _pyjwt.encode(payload, key, algorithm=ALGORITHM)
        return token if isinstance(token, str) else token.decode()

    def decode(self, session, secret_key=None):
        """The payload of a token signed with any of the keys, or ``{}`` when it is malformed,
        forged, signed with another algorithm, expired or not yet valid."""
        keys = self._keys(secret_key)
        if not isinstance(session, (str, bytes)) or len(session) > MAX_TOKEN_LENGTH:
            return {}
        try:
            if _pyjwt is None:
                return hs256_decode(session, keys)
            return self._pyjwt_decode(session, keys)
        except Exception:  # whatever a forged cookie does to a parser, it is no session
            return {}

    def _pyjwt_decode(self, token, keys):
        import warnings
        for key in keys:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    payload = _pyjwt.decode(token, key, algorithms=[ALGORITHM])
            except _pyjwt.InvalidSignatureError:
                continue  # maybe signed with an older key
            except _PyJWTError:
                return {}
            return payload if isinstance(payload, dict) else {}
        return {}

    # -- per request --

    def get(self, request):
        """The session of ``request`` (a ``SessionDict``; empty when there is none or it is bad)."""
        cached = getattr(request.g, '_session', None)
        if cached is not None and cached.extension is self:
            return cached
        keys = self._keys()
        payload = {}
        token = request.cookies.get(self.cookie_name)
        if token:
            payload = self.decode(token, keys)
            if self.lifetime is not None:
                if 'exp' not in payload:
                    payload = {}  # made before a lifetime was configured: not trusted forever
                else:
                    payload.pop('exp')
        session = SessionDict(request, payload, self)
        request.g._session = session
        return session

    def update(self, request, session):
        """Sign ``session`` now and set it in the cookie of this request's response."""
        payload = {}
        for name in session:  # not dict(session): MicroPython cannot copy a dict subclass so
            payload[name] = session[name]
        if self.lifetime is not None:
            payload['exp'] = int(_now() + self.lifetime)
        token = self.encode(payload)
        size = len(self.cookie_name) + 1 + len(token)
        if size > self.max_cookie_size:
            raise SessionTooLargeError(
                'the session is too large for a cookie: {} bytes signed, the limit is {} '
                '(max_cookie_size); keep large data on the server and its id in the '
                'session'.format(size, self.max_cookie_size))
        self._schedule(request, token)

    def delete(self, request):
        """Delete the session cookie in this request's response."""
        self._keys()
        self._schedule(request, None)

    def _schedule(self, request, token):
        if getattr(request.g, '_session_cookie', None) is None:
            request.after_request(_write_cookie)  # after the app's hooks, as in 2.x
        request.g._session_cookie = (self, token)

    # -- writing the cookie --

    def _cookie_options(self, request):
        options = {'path': '/', 'http_only': True, 'same_site': 'Lax',
                   'secure': request.scheme == 'https'}
        for option, value in self.cookie_options.items():
            if option != 'secure' or value is not None:
                options[option] = value
        return options


# module-level hooks (no bound method per request: heap on MicroPython); what save() or delete()
# decided waits in request.g and is written once, by whichever hook sees the response first


def _write_cookie(request, response):
    pending = getattr(request.g, '_session_cookie', None)
    if pending is None:
        return None
    request.g._session_cookie = None
    extension, token = pending
    options = extension._cookie_options(request)
    if token is None:
        response.delete_cookie(extension.cookie_name, **options)
    else:
        response.set_cookie(extension.cookie_name, token, **options)
    return None


def _write_cookie_on_error(request, response):
    if request is not None:
        _write_cookie(request, response)
    return None


def _extension_for(request):
    """The Session that serves ``request``: the mounted sub-app's own, else the app's."""
    subapp = getattr(request, 'subapp', None)
    if subapp is not None and 'session' in subapp.extensions:
        return subapp.extensions['session']
    extension = request.app.extensions.get('session')
    if extension is None:
        raise RuntimeError("the session extension is not initialised on this app: "
                           "Session(app, secret_key='...')")
    return extension


def with_session(f):
    """Decorator: the handler gets the session as its second positional argument."""
    async def wrapper(request, *args, **kwargs):
        return await invoke_handler(f, request, _extension_for(request).get(request),
                                    *args, **kwargs)
    if _wraps is not None:
        return _wraps(f)(wrapper)
    return wrapper
