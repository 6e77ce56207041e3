"""HTTP authentication for microdot: Basic and token (Bearer or a header of your own), plus
password hashing that runs everywhere.

Public: ``BasicAuth``, ``TokenAuth``, ``BaseAuth``, ``hash_password``, ``check_password``,
``compare_digest``, ``pbkdf2_sha256``.

    basic = BasicAuth()

    @basic.authenticate
    async def check(request, username, password):
        user = USERS.get(username)
        if user and check_password(password, user.password_hash):
            return user                       # becomes request.g.current_user

    @app.get('/')
    @basic                                    # 401 + WWW-Authenticate without valid credentials
    async def index(request):
        return 'Hello ' + request.g.current_user.name

``@auth.optional`` runs the route either way (``request.g.current_user`` is ``None`` for an
anonymous request). ``@auth.errorhandler`` replaces the error answer. Every decorator returns the
function it decorates (Microdot 2.x returned ``None`` from ``authenticate``/``errorhandler``).

MicroPython-safe: no typing, no f-strings; ``hmac``/``hashlib.pbkdf2_hmac`` when present, a small
pure-Python HMAC-SHA256 otherwise.
"""
import binascii
import hashlib
import os

from microdot import abort
from microdot.helpers import wraps
from microdot.microdot import invoke_handler

__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1


# --- constant-time comparison and password hashing -------------------------------------------------

def compare_digest(a, b):
    """``a == b`` for two str or bytes, in a time that does not depend on where they differ
    (``hmac.compare_digest`` where it exists)."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    try:
        import hmac
        return hmac.compare_digest(a, b)
    except (ImportError, AttributeError):  # MicroPython
        pass
    result = len(a) ^ len(b)
    if len(a) != len(b):
        b = a  # still walk a whole string, then fail on the length
    for x, y in zip(a, b):
        result |= x ^ y
    return result == 0


def _hmac_sha256(key_pads, message):
    inner_pad, outer_pad = key_pads
    return hashlib.sha256(outer_pad + hashlib.sha256(inner_pad + message).digest()).digest()


def pbkdf2_sha256(password, salt, iterations, length=32):
    """PBKDF2-HMAC-SHA256 (RFC 8018) of ``password`` (bytes) with ``salt`` (bytes).
    ``hashlib.pbkdf2_hmac`` on CPython; a pure-Python loop on MicroPython (slow: keep the
    iteration count small there, see README)."""
    if hasattr(hashlib, 'pbkdf2_hmac'):
        return hashlib.pbkdf2_hmac('sha256', password, salt, iterations, length)
    if len(password) > 64:
        password = hashlib.sha256(password).digest()
    password = password + b'\x00' * (64 - len(password))
    pads = (bytes(c ^ 0x36 for c in password), bytes(c ^ 0x5c for c in password))
    out = b''
    block = 1
    while len(out) < length:
        u = _hmac_sha256(pads, salt + block.to_bytes(4, 'big'))
        acc = int.from_bytes(u, 'big')
        for _ in range(iterations - 1):
            u = _hmac_sha256(pads, u)
            acc ^= int.from_bytes(u, 'big')
        out += acc.to_bytes(32, 'big')
        block += 1
    return out[:length]


#: the iteration count of new hashes; stored in each hash, so it can be raised at any time
DEFAULT_ITERATIONS = 100000


def _b64(data):
    return binascii.b2a_base64(data).strip().decode()


def hash_password(password, iterations=None, salt=None):
    """A string to store instead of ``password``:
    ``pbkdf2_sha256$<iterations>$<salt, base64>$<hash, base64>`` (a random 16-byte salt)."""
    if iterations is None:
        iterations = DEFAULT_ITERATIONS
    if iterations < 1:
        raise ValueError('iterations must be at least 1')
    if isinstance(password, str):
        password = password.encode()
    if salt is None:
        salt = os.urandom(16)
    digest = pbkdf2_sha256(password, salt, iterations)
    return 'pbkdf2_sha256${}${}${}'.format(iterations, _b64(salt), _b64(digest))


def check_password(password, hashed):
    """Whether ``password`` matches a ``hash_password()`` string (compared in constant time).
    A malformed hash is a mismatch, never an exception."""
    try:
        algorithm, iterations, salt, digest = hashed.split('$')
        iterations = int(iterations)
        salt = binascii.a2b_base64(salt)
        digest = binascii.a2b_base64(digest)
    except (ValueError, AttributeError):  # binascii.Error is a ValueError
        return False
    if algorithm != 'pbkdf2_sha256' or iterations < 1 or not digest:
        return False
    if isinstance(password, str):
        password = password.encode()
    return compare_digest(pbkdf2_sha256(password, salt, iterations, len(digest)), digest)


# --- authentication decorators ----------------------------------------------------------------------

class BaseAuth:
    """What BasicAuth and TokenAuth share: the decorators and the callbacks."""

    def __init__(self):
        self.auth_callback = None
        self.error_callback = None

    def authenticate(self, f):
        """Register the function that turns credentials into a user (anything truthy) or
        ``None``. Returns ``f``."""
        self.auth_callback = f
        return f

    def errorhandler(self, f):
        """Register ``f(request)``, the answer to a request without valid credentials
        (anything a route may return). Returns ``f``."""
        self.error_callback = f
        return f

    def get_credentials(self, request):  # pragma: no cover - each scheme has its own
        return None

    async def authentication_error(self, request):
        abort(401)

    async def _error(self, request):
        if self.error_callback is not None:
            return await invoke_handler(self.error_callback, request)
        return await self.authentication_error(request)

    async def _current_user(self, request, credentials):
        if self.auth_callback is None:
            raise RuntimeError('no authentication function: decorate one with @{}.authenticate'
                               .format(type(self).__name__))
        return await invoke_handler(self.auth_callback, request, *credentials)

    def __call__(self, f):
        """Decorator: the route runs only for a request with valid credentials."""
        auth = self

        @wraps(f)
        async def wrapper(request, *args, **kwargs):
            credentials = auth.get_credentials(request)
            if credentials is None:
                return await auth._error(request)
            user = await auth._current_user(request, credentials)
            if not user:
                return await auth._error(request)
            request.g.current_user = user
            return await invoke_handler(f, request, *args, **kwargs)

        return wrapper

    def optional(self, f):
        """Decorator: the route always runs; ``request.g.current_user`` is the user or ``None``
        (also for wrong credentials)."""
        auth = self

        @wraps(f)
        async def wrapper(request, *args, **kwargs):
            credentials = auth.get_credentials(request)
            user = None
            if credentials is not None:
                user = await auth._current_user(request, credentials) or None
            request.g.current_user = user
            return await invoke_handler(f, request, *args, **kwargs)

        return wrapper


class BasicAuth(BaseAuth):
    """HTTP Basic authentication (RFC 7617). The callback is ``f(request, username, password)``.
    Compare the password with ``check_password()`` (or ``compare_digest()``), never ``==``."""

    def __init__(self, realm='Please login', charset='UTF-8', scheme='Basic', error_status=401):
        super().__init__()
        for value in (realm, charset, scheme):
            if '"' in value or '\r' in value or '\n' in value:
                raise ValueError('BasicAuth: quotes and line breaks are not allowed in {!r}'
                                 .format(value))
        self.realm = realm
        self.charset = charset
        self.scheme = scheme
        self.error_status = error_status

    def get_credentials(self, request):
        value = request.headers.get('Authorization')
        if not value:
            return None
        scheme, _, encoded = value.strip().partition(' ')
        if scheme.lower() != self.scheme.lower() or not encoded.strip():
            return None
        try:
            decoded = binascii.a2b_base64(encoded.strip()).decode()
        except (ValueError, UnicodeError):  # binascii.Error is a ValueError
            return None
        username, sep, password = decoded.partition(':')
        if not sep:
            return None
        return username, password

    async def authentication_error(self, request):
        abort(self.error_status, headers={
            'WWW-Authenticate': '{} realm="{}", charset="{}"'.format(
                self.scheme, self.realm, self.charset)})


class TokenAuth(BaseAuth):
    """Token authentication. With ``header='Authorization'`` (default) the value is
    ``<scheme> <token>`` (``Bearer``, compared case-insensitively); any other header carries the
    token alone (``TokenAuth(header='X-API-Key')``). The callback is ``f(request, token)``."""

    def __init__(self, header='Authorization', scheme='Bearer', error_status=401):
        super().__init__()
        self.header = header
        self.scheme = scheme.lower()
        self._scheme_name = scheme
        self.error_status = error_status

    def get_credentials(self, request):
        value = request.headers.get(self.header)
        if value is None:
            return None
        value = value.strip()
        if self.header.lower() == 'authorization':
            scheme, _, token = value.partition(' ')
            if scheme.lower() != self.scheme:
                return None
            value = token.strip()
        if not value:
            return None
        return (value,)

    async def authentication_error(self, request):
        headers = None
        if self.header.lower() == 'authorization' and self.error_status == 401:
            headers = {'WWW-Authenticate': self._scheme_name}
        abort(self.error_status, headers=headers)
