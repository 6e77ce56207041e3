"""WebSocket support for microdot: the server side of RFC 6455.

Public: ``with_websocket``, ``websocket_upgrade``, ``websocket_wrapper``, ``WebSocket``,
``WebSocketError``, ``ConnectionClosed``, ``WebSocketExtension`` (per-app settings).

Layout of this file (one file, so that MicroPython installs it alone):

* the frame codec: ``encode_frame``, ``FrameParser``, close payloads. Sans-IO: bytes in, frames out.
* the handshake: the checks of RFC 6455 4.2.1 and the ``101`` answer of 4.2.2.
* ``WebSocket``: one connection. On a stream server (``request.sock = (reader, writer)``) it
  frames messages itself; under a server that frames WebSockets itself (ASGI) it uses
  ``request.ws_channel``.
* the decorators, and the per-app settings.

Why a background reader task: RFC 6455 5.5.2 wants pings answered "as soon as practical", also
while the application only sends. Neither asyncio nor MicroPython streams can peek for pending input
without blocking, so the only robust way is one task that owns the reading side: it answers pings
and close frames at once and hands complete messages to ``receive()``. It reads ahead by at most one
message's worth of data (``max_message_length``), so a client that sends faster than the app
receives is slowed down by TCP, not buffered without bound. Writes from the app and from that
task share one lock, so frames never interleave and ``send()`` may run in another task while
``receive()`` waits.
"""
import asyncio
import binascii
import hashlib
import sys

try:
    from time import monotonic as _now
except ImportError:  # MicroPython
    from time import time as _now

from microdot import HTTPException, Response

try:
    from microdot.microdot import print_exception, MUTED_SOCKET_ERRORS
except ImportError:  # pragma: no cover - an older core
    def print_exception(exc):
        if hasattr(sys, 'print_exception'):
            sys.print_exception(exc)
        else:
            import traceback
            traceback.print_exception(type(exc), exc, exc.__traceback__)

    MUTED_SOCKET_ERRORS = [32, 54, 104, 128]

try:
    from gc import collect as gc_collect
except ImportError:  # pragma: no cover
    def gc_collect():
        pass

try:
    from functools import wraps as _wraps
except ImportError:  # MicroPython
    def _wraps(wrapped):
        def decorator(wrapper):
            return wrapper
        return decorator

__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1  # the core extension API this plugin is written for
__all__ = ['WebSocket', 'WebSocketError', 'ConnectionClosed', 'WebSocketExtension',
           'websocket_upgrade', 'websocket_wrapper', 'with_websocket']

# --- settings and constants ----------------------------------------------------------------------

#: default cap on one incoming message, in bytes, counted across its fragments (MicroPython
#: boards have a few hundred KiB of RAM in all, and a message needs about twice its size while it
#: is handled)
DEFAULT_MAX_MESSAGE_LENGTH = 16 * 1024 if sys.implementation.name == 'micropython' else 1024 * 1024
#: default seconds to wait for the peer's answer to a close frame before dropping the connection
DEFAULT_CLOSE_TIMEOUT = 5
#: default seconds between keepalive pings (None: no keepalive pings)
DEFAULT_PING_INTERVAL = None
#: default seconds to wait for the pong that answers a keepalive ping
DEFAULT_PING_TIMEOUT = 20

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10

# close codes (RFC 6455 7.4.1)
NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
NO_STATUS_RECEIVED = 1005   # never sent: the peer's close frame had no code
ABNORMAL_CLOSURE = 1006     # never sent: the connection dropped without a close frame
INVALID_PAYLOAD = 1007
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011

_GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
_LOW_MEMORY = sys.implementation.name == 'micropython'
_CHUNK = 256  # bytes unmasked per step when memory is tight (a multiple of 4)
_DIRECT = 1024  # a payload at least this long is received straight into its own buffer
_INHERIT = -1  # an option left at -1 takes its value from the app settings, then the default


# --- errors --------------------------------------------------------------------------------------

class WebSocketError(Exception):
    """Base of the errors of this module (Microdot 2.x raised it for every closed connection)."""


class ConnectionClosed(WebSocketError):
    """``receive()`` or ``send()`` on a connection that is closed or closing.

    ``code`` is the close code that ended it: the peer's (1005 when its close frame had none), the
    one this side sent, or 1006 when the connection dropped without a close frame. ``reason`` is the
    matching close reason."""

    def __init__(self, code, reason=''):
        super().__init__('WebSocket connection closed ({}{}{})'.format(
            code, ': ' if reason else '', reason))
        self.code = code
        self.reason = reason


class ProtocolError(WebSocketError):
    """The peer broke RFC 6455; ``code`` is the close code to fail the connection with."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class HandshakeRefused(HTTPException):
    """A request that cannot be upgraded; ``headers`` go on the error response."""

    def __init__(self, status_code, reason, headers=None):
        # the core adds ``headers`` to the error response it makes for an HTTPException
        super().__init__(status_code, reason, headers)
        self.headers = headers or {}

    def response(self):
        return Response(self.reason, self.status_code, self.headers)


# --- frame codec (sans-IO) -----------------------------------------------------------------------

def _mask(data, key):
    """XOR ``data`` with the 4-byte masking ``key`` (RFC 6455 5.3); the same call unmasks.
    Returns bytes; a bytearray ``data`` may be unmasked in place (and is, on MicroPython)."""
    n = len(data)
    if not n:
        return b''
    if _LOW_MEMORY and n > _CHUNK:
        return bytes(_mask_in_place(data if isinstance(data, bytearray) else bytearray(data), key))
    try:
        # one big-int XOR is far faster than a Python loop
        keys = (key * (n // 4 + 1))[:n]
        return (int.from_bytes(data, 'big') ^ int.from_bytes(keys, 'big')).to_bytes(n, 'big')
    except (OverflowError, ValueError, NotImplementedError):  # ports without long integers
        return bytes(_mask_in_place(bytearray(data), key, 1))


def _mask_in_place(buf, key, chunk=_CHUNK):
    """Unmask a bytearray piece by piece, so that memory use stays at one copy of the payload."""
    n = len(buf)
    if chunk == 1:
        for i in range(n):
            buf[i] ^= key[i & 3]
        return buf
    full = int.from_bytes(key * (chunk // 4), 'big')
    end = n - n % chunk
    for i in range(0, end, chunk):
        buf[i:i + chunk] = (int.from_bytes(buf[i:i + chunk], 'big') ^ full).to_bytes(chunk, 'big')
    for i in range(end, n):
        buf[i] ^= key[i & 3]  # chunk is a multiple of 4, so the key phase restarts at 0
    return buf


def frame_head(opcode, length, fin=True, mask=None):
    """The header of a frame carrying ``length`` bytes (RFC 6455 5.2)."""
    b0 = (0x80 if fin else 0) | opcode
    m = 0x80 if mask else 0
    if length < 126:
        head = bytes((b0, m | length))
    elif length < 65536:
        head = bytes((b0, m | 126, length >> 8, length & 255))
    else:
        head = bytes((b0, m | 127)) + length.to_bytes(8, 'big')
    return head + mask if mask else head


def encode_frame(opcode, payload, fin=True, mask=None):
    """One frame as bytes. Servers send unmasked frames; ``mask`` (4 bytes) is for clients
    (tests). A str payload is UTF-8 encoded."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = frame_head(opcode, len(payload), fin, mask)
    return head + (_mask(payload, mask) if mask else payload)


def _valid_close_code(code):
    # RFC 6455 7.4 and the IANA registry: codes a peer may put in a close frame
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def encode_close_payload(code=None, reason=''):
    """The payload of a close frame: empty without a code, else the code and a UTF-8 reason cut to
    fit the 125-byte limit of control frames."""
    if code is None or code in (NO_STATUS_RECEIVED, ABNORMAL_CLOSURE, 1015):
        return b''
    data = reason.encode() if isinstance(reason, str) else bytes(reason)
    if len(data) > 123:
        data = data[:123]
        while data and (data[-1] & 0xC0) == 0x80:  # drop a cut multi-byte character
            data = data[:-1]
        if data and data[-1] >= 0xC0:
            data = data[:-1]
    return bytes((code >> 8, code & 255)) + data


def decode_close_payload(payload):
    """``(code, reason)`` from a close frame; 1005 when it carries no code. ProtocolError on a
    malformed one."""
    if not payload:
        return NO_STATUS_RECEIVED, ''
    if len(payload) < 2:
        raise ProtocolError(PROTOCOL_ERROR, 'close frame with a 1-byte payload')
    code = (payload[0] << 8) | payload[1]
    if not _valid_close_code(code):
        raise ProtocolError(PROTOCOL_ERROR, 'invalid close code {}'.format(code))
    return code, decode_text(payload[2:])


def _strict_utf8_decoder():
    try:
        b'\xed\xa0\x80'.decode()  # a UTF-16 surrogate, invalid in UTF-8
    except UnicodeError:
        return True
    return False


_STRICT_UTF8 = _strict_utf8_decoder()  # CPython: yes; MicroPython accepts surrogates and overlongs


def _utf8_valid(data):
    """Byte-level UTF-8 check (RFC 3629), for ports whose decoder is lenient."""
    i = 0
    n = len(data)
    while i < n:
        c = data[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            need, lo, hi = 1, 0x80, 0xBF
        elif c == 0xE0:
            need, lo, hi = 2, 0xA0, 0xBF
        elif c == 0xED:
            need, lo, hi = 2, 0x80, 0x9F
        elif 0xE1 <= c <= 0xEF:
            need, lo, hi = 2, 0x80, 0xBF
        elif c == 0xF0:
            need, lo, hi = 3, 0x90, 0xBF
        elif 0xF1 <= c <= 0xF3:
            need, lo, hi = 3, 0x80, 0xBF
        elif c == 0xF4:
            need, lo, hi = 3, 0x80, 0x8F
        else:
            return False
        if i + need >= n or not lo <= data[i + 1] <= hi:
            return False
        for j in range(i + 2, i + need + 1):
            if not 0x80 <= data[j] <= 0xBF:
                return False
        i += need + 1
    return True


def decode_text(data):
    """UTF-8 bytes to str; ProtocolError(1007) when they are not valid UTF-8."""
    try:
        text = str(data, 'utf-8')
    except UnicodeError:
        raise ProtocolError(INVALID_PAYLOAD, 'invalid UTF-8 in a text message')
    if not _STRICT_UTF8 and len(text) != len(data) and not _utf8_valid(data):
        raise ProtocolError(INVALID_PAYLOAD, 'invalid UTF-8 in a text message')
    return text


class FrameParser:
    """Sans-IO parser of the frames a client sends to a server.

    ``feed(data)`` adds bytes; ``next_frame()`` returns ``(opcode, payload)`` or None when more
    bytes are needed. Data messages come out whole: fragments are reassembled and a text message is
    decoded to str (``(TEXT, str)`` or ``(BINARY, bytes)``). Control frames come out as they arrive,
    also between the fragments of a message. A broken rule raises ProtocolError with the close code
    to send: 1002 for framing errors, 1007 for invalid UTF-8, 1009 for a message over
    ``max_message_length`` (0 or None: no limit), which is checked from the frame headers before any
    payload is buffered. A long payload is received straight into a buffer of its exact size.

    After an error, call ``start_closing()``: the parser then only looks for the peer's close frame
    and discards everything else without buffering it (the lingering close of RFC 6455 7.1.1).
    """

    def __init__(self, max_message_length=0, require_mask=True):
        self.max_message_length = max_message_length or 0
        self.require_mask = require_mask
        self.closing = False
        self._buf = b''
        self._pos = 0
        self._skip = 0           # bytes of a discarded frame still to come (closing mode)
        self._payload = None     # bytearray that a long payload is received into
        self._filled = 0         # bytes of it received so far
        self._frame = None       # (b0, mask) of that frame
        self._fragments = None   # payloads of the message being reassembled
        self._opcode = 0         # opcode of that message
        self._size = 0           # bytes of that message so far

    def start_closing(self):
        """Stop delivering messages; only the peer's close frame matters now."""
        if self._payload is not None:
            self._skip = len(self._payload) - self._filled
            self._payload = None
        self._fragments = None
        self.closing = True

    def feed(self, data):
        if self._skip:
            if len(data) <= self._skip:
                self._skip -= len(data)
                return
            data = data[self._skip:]
            self._skip = 0
        payload = self._payload
        if payload is not None:
            k = min(len(payload) - self._filled, len(data))
            payload[self._filled:self._filled + k] = memoryview(data)[:k]
            self._filled += k
            if k == len(data):
                return
            data = data[k:]
        if self._pos >= len(self._buf):
            self._buf = data
        else:
            # what is left is a partial frame header or a short frame: small to copy
            self._buf = self._buf[self._pos:] + data
        self._pos = 0

    def buffered(self):
        """Bytes received and not yet returned as frames."""
        return len(self._buf) - self._pos + (self._filled if self._payload is not None else 0)

    def needed(self):
        """At least how many more bytes the next frame needs (a read-size hint)."""
        if self._payload is not None:
            return len(self._payload) - self._filled
        buf, pos = self._buf, self._pos
        avail = len(buf) - pos
        if avail < 2:
            return 2 - avail
        n = buf[pos + 1] & 0x7F
        head = 2 + (4 if buf[pos + 1] & 0x80 else 0) + (2 if n == 126 else 8 if n == 127 else 0)
        if avail < head:
            return head - avail
        if n == 126:
            n = (buf[pos + 2] << 8) | buf[pos + 3]
        elif n == 127:
            n = int.from_bytes(bytes(buf[pos + 2:pos + 10]), 'big')
        return max(head + n - avail, 1)

    def _check(self, b0, opcode, masked, length):
        if b0 & 0x70:
            raise ProtocolError(PROTOCOL_ERROR, 'reserved bits set without an extension')
        if opcode >= 8:
            if opcode > PONG:
                raise ProtocolError(PROTOCOL_ERROR, 'unknown opcode {}'.format(opcode))
            if not b0 & 0x80:
                raise ProtocolError(PROTOCOL_ERROR, 'fragmented control frame')
            if length > 125:
                raise ProtocolError(PROTOCOL_ERROR, 'control frame longer than 125 bytes')
        elif opcode > BINARY:
            raise ProtocolError(PROTOCOL_ERROR, 'unknown opcode {}'.format(opcode))
        elif opcode == CONT:
            if self._fragments is None:
                raise ProtocolError(PROTOCOL_ERROR, 'continuation frame without a message')
        elif self._fragments is not None:
            raise ProtocolError(PROTOCOL_ERROR, 'new message inside a fragmented message')
        if self.require_mask and not masked:
            raise ProtocolError(PROTOCOL_ERROR, 'unmasked client frame')
        if opcode < 8 and self.max_message_length:
            total = length + (self._size if opcode == CONT else 0)
            if total > self.max_message_length:
                raise ProtocolError(MESSAGE_TOO_BIG, 'message longer than {} bytes'.format(
                    self.max_message_length))

    def next_frame(self):
        while True:
            if self._payload is not None:
                if self._filled < len(self._payload):
                    return None
                payload = self._payload
                b0, mask = self._frame
                self._payload = self._frame = None
                frame = self._complete(b0, mask, payload)
                if frame is not None:
                    return frame
                continue
            buf, pos = self._buf, self._pos
            avail = len(buf) - pos
            if avail < 2:
                return None
            b0 = buf[pos]
            b1 = buf[pos + 1]
            opcode = b0 & 0x0F
            length = b1 & 0x7F
            head = 2
            if length == 126:
                head = 4
                if avail < 4:
                    return None
                length = (buf[pos + 2] << 8) | buf[pos + 3]
            elif length == 127:
                head = 10
                if avail < 10:
                    return None
                length = int.from_bytes(bytes(buf[pos + 2:pos + 10]), 'big')
                if length >> 63 and not self.closing:
                    raise ProtocolError(PROTOCOL_ERROR, 'frame length with the high bit set')
            masked = b1 & 0x80
            if masked:
                head += 4
            end = pos + head + length
            if self.closing:
                if opcode != CLOSE or length > 125:
                    # discard the frame without keeping its payload
                    if end <= len(buf):
                        self._pos = end
                        continue
                    if avail >= head:
                        self._skip = end - len(buf)
                        self._buf = b''
                        self._pos = 0
                    return None
            else:
                self._check(b0, opcode, masked, length)
            if avail < head:
                return None
            mask = bytes(buf[pos + head - 4:pos + head]) if masked else None
            if end > len(buf):
                if length < _DIRECT:
                    return None
                # a long payload: one buffer of its exact size, allocated before its pieces
                # arrive and scatter the heap (MicroPython does not compact), filled in place
                payload = bytearray(length)
                have = len(buf) - pos - head
                payload[:have] = memoryview(buf)[pos + head:]
                self._payload = payload
                self._filled = have
                self._frame = (b0, mask)
                self._buf = b''
                self._pos = 0
                return None
            payload = buf[pos + head:end]
            self._pos = end
            frame = self._complete(b0, mask, payload)
            if frame is not None:
                return frame

    def _complete(self, b0, mask, payload):
        """A whole frame arrived: unmask it; a control frame or the end of a message is returned,
        a fragment is kept (None)."""
        if _LOW_MEMORY and isinstance(payload, bytearray):
            # keep the one buffer: on a fragmented MicroPython heap a second copy of a long
            # message is often the allocation that fails (a long binary message is a bytearray)
            if mask:
                _mask_in_place(payload, mask)
        else:
            payload = _mask(payload, mask) if mask else bytes(payload)
        opcode = b0 & 0x0F
        if opcode >= 8:
            return opcode, payload
        if opcode != CONT:
            if b0 & 0x80:
                return opcode, decode_text(payload) if opcode == TEXT else payload
            self._fragments = [payload]
            self._opcode = opcode
            self._size = len(payload)
            return None
        self._fragments.append(payload)
        self._size += len(payload)
        if not b0 & 0x80:
            return None
        payload = b''.join(self._fragments)
        opcode = self._opcode
        self._fragments = None
        self._size = 0
        return opcode, decode_text(payload) if opcode == TEXT else payload


def accept_key(key):
    """The ``Sec-WebSocket-Accept`` value for a ``Sec-WebSocket-Key`` (RFC 6455 4.2.2)."""
    if isinstance(key, str):
        key = key.encode()
    return binascii.b2a_base64(hashlib.sha1(key + _GUID).digest()).strip().decode()


# --- handshake -----------------------------------------------------------------------------------

def _tokens(value):
    return [t.strip() for t in (value or '').split(',') if t.strip()]


def _valid_key(key):
    if not key or len(key) != 24:
        return False
    try:
        return len(binascii.a2b_base64(key)) == 16
    except ValueError:  # binascii.Error is a ValueError (and does not exist on MicroPython)
        return False


def check_handshake(request, subprotocols=None, allowed_origins=None, framed_by_server=False):
    """Check an upgrade request (RFC 6455 4.2.1). Returns the chosen subprotocol or None; raises
    HandshakeRefused (400, 403 or 426) otherwise. ``framed_by_server``: the server has checked the
    HTTP side of the handshake already (ASGI), only the application's rules remain."""
    headers = request.headers
    if not framed_by_server:
        if request.method != 'GET':
            raise HandshakeRefused(400, 'WebSocket handshake must use GET')
        if 'websocket' not in [t.lower() for t in _tokens(headers.get('Upgrade'))]:
            raise HandshakeRefused(400, 'Missing or invalid Upgrade header')
        if 'upgrade' not in [t.lower() for t in _tokens(headers.get('Connection'))]:
            raise HandshakeRefused(400, 'Missing or invalid Connection header')
        if not _valid_key(headers.get('Sec-WebSocket-Key')):
            raise HandshakeRefused(400, 'Missing or invalid Sec-WebSocket-Key header')
        if (headers.get('Sec-WebSocket-Version') or '').strip() != '13':
            raise HandshakeRefused(426, 'Unsupported WebSocket version',
                                   {'Sec-WebSocket-Version': '13'})
    if allowed_origins is not None and headers.get('Origin') not in allowed_origins:
        raise HandshakeRefused(403, 'Origin not allowed')
    if subprotocols:
        offered = _tokens(headers.get('Sec-WebSocket-Protocol'))
        for protocol in subprotocols:  # the server's order of preference
            if protocol in offered:
                return protocol
    return None


# --- per-app settings ----------------------------------------------------------------------------

class WebSocketExtension:
    """WebSocket settings for an app, kept in ``app.extensions['websocket']``.

    ``WebSocketExtension(app, max_message_length=..., close_timeout=..., allowed_origins=...,
    ping_interval=..., ping_timeout=...)`` or ``ext = WebSocketExtension(...)`` then
    ``ext.initialize(app)``. Options left at -1 use the defaults: 1 MiB per message (``None`` or
    ``0``: no limit, not advised), 5 seconds to wait for the answer to a close frame, any ``Origin``
    (``allowed_origins=None``), no keepalive pings (``ping_interval=None``; with one, a peer that
    does not answer a ping within ``ping_timeout``, 20 s, is dropped with 1011). Each
    ``with_websocket`` or ``websocket_upgrade`` call may override them for its route."""

    name = 'websocket'

    def __init__(self, app=None, max_message_length=_INHERIT, close_timeout=_INHERIT,
                 allowed_origins=None, ping_interval=_INHERIT, ping_timeout=_INHERIT):
        self.max_message_length = max_message_length
        self.close_timeout = close_timeout
        self.allowed_origins = allowed_origins
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        if hasattr(app, 'add_extension'):
            app.add_extension(self.name, self)
        else:
            app.extensions[self.name] = self
        return self


def _app_settings(request):
    extensions = getattr(getattr(request, 'app', None), 'extensions', None)
    return extensions.get(WebSocketExtension.name) if extensions else None


# --- the connection ------------------------------------------------------------------------------

_OPEN, _CLOSING, _CLOSED = 1, 2, 3


class WebSocket:
    """One WebSocket connection, made by ``with_websocket``/``websocket_upgrade``.

    ``receive()`` returns the next message, str (text) or bytes (binary), ``send(data)`` sends one
    (str: text, bytes: binary), ``close(code=1000, reason='')`` runs the close handshake, ``ping()``
    and ``pong()`` send control frames (pings from the peer are answered automatically). Once the
    connection is closed or closing, ``receive()`` and ``send()`` raise ConnectionClosed. The object
    is also an async iterator of messages that ends when the connection closes.
    """

    CONT, TEXT, BINARY, CLOSE, PING, PONG = CONT, TEXT, BINARY, CLOSE, PING, PONG

    #: class-wide default message cap (Microdot 2.x name); -1: the app setting or 1 MiB
    max_message_length = _INHERIT
    #: bytes asked from the stream per read (a hint; a long frame is read in bigger pieces)
    read_size = 4096

    def __init__(self, request, max_message_length=_INHERIT, subprotocols=None,
                 allowed_origins=_INHERIT, close_timeout=_INHERIT, ping_interval=_INHERIT,
                 ping_timeout=_INHERIT):
        self.request = request
        settings = _app_settings(request)
        self.max_message_length = self._option(
            max_message_length, settings, 'max_message_length',
            self.__class__.max_message_length, DEFAULT_MAX_MESSAGE_LENGTH) or 0
        self.close_timeout = self._option(close_timeout, settings, 'close_timeout',
                                          _INHERIT, DEFAULT_CLOSE_TIMEOUT)
        self.ping_interval = self._option(ping_interval, settings, 'ping_interval',
                                          _INHERIT, DEFAULT_PING_INTERVAL)
        self.ping_timeout = self._option(ping_timeout, settings, 'ping_timeout',
                                         _INHERIT, DEFAULT_PING_TIMEOUT)
        if allowed_origins == _INHERIT:
            allowed_origins = settings.allowed_origins if settings is not None else None
        self.allowed_origins = allowed_origins
        self.subprotocols = subprotocols
        self.subprotocol = None
        self.origin = request.headers.get('Origin')
        self.close_code = None
        self.close_reason = ''
        self._channel = getattr(request, 'ws_channel', None)
        self._state = 0
        self._inbox = []
        self._inbox_bytes = 0
        self._reader_task = None

    @staticmethod
    def _option(value, settings, name, class_value, default):
        if value == _INHERIT and settings is not None:
            value = getattr(settings, name, _INHERIT)
        if value == _INHERIT:
            value = class_value
        if value is not None and value < 0:
            value = default
        return value

    OPTIONS = ('max_message_length', 'subprotocols', 'allowed_origins', 'close_timeout',
               'ping_interval', 'ping_timeout')

    @classmethod
    def check_options(cls, options):
        for name in options:
            if name not in cls.OPTIONS:
                raise TypeError('unknown WebSocket option {!r}'.format(name))

    @property
    def closed(self):
        """True once a close frame was sent or received, or the connection dropped."""
        return self._state != _OPEN

    # -- handshake --

    async def handshake(self):
        """Check the request and accept the upgrade (HandshakeRefused if it cannot be)."""
        channel = self._channel
        self.subprotocol = check_handshake(self.request, self.subprotocols, self.allowed_origins,
                                           framed_by_server=channel is not None)
        if channel is not None:
            await channel.accept(subprotocol=self.subprotocol)
            self._state = _OPEN
            return
        reader, writer = self.request.sock or (None, None)
        if reader is None or writer is None:
            # e.g. a WSGI server that does not hand its socket over
            raise HandshakeRefused(501, 'This server cannot upgrade to WebSocket')
        head = ('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                'Sec-WebSocket-Accept: ' + accept_key(self.request.headers['Sec-WebSocket-Key']) +
                '\r\n')
        if self.subprotocol:
            head += 'Sec-WebSocket-Protocol: ' + self.subprotocol + '\r\n'
        await writer.awrite((head + '\r\n').encode())
        self._reader = reader
        self._writer = writer
        if hasattr(reader, 'read_timeout'):
            reader.read_timeout = 0  # the server must not time out a silent WebSocket
        self._parser = FrameParser(self.max_message_length)
        self._write_lock = asyncio.Lock()
        self._arrived = asyncio.Event()    # a message or the end of the connection
        self._room = asyncio.Event()       # the reader may queue another message
        self._done = asyncio.Event()       # the reader task has finished
        self._pong = asyncio.Event()       # a pong arrived (keepalive)
        self._deadline = None
        self._state = _OPEN
        self._reader_task = asyncio.create_task(self._read_loop())
        self._keepalive_task = None
        if self.ping_interval:
            self._keepalive_task = asyncio.create_task(self._keepalive())

    # -- application API --

    async def receive(self):
        """The next message: str for text, bytes for binary. ConnectionClosed once the connection
        is closed (after the messages that arrived before the close)."""
        if self._channel is not None:
            return await self._channel_receive()
        while True:
            if self._inbox:
                message = self._inbox.pop(0)
                self._inbox_bytes -= len(message)
                self._room.set()
                return message
            if self._state != _OPEN:
                raise ConnectionClosed(self.close_code or ABNORMAL_CLOSURE, self.close_reason)
            self._arrived.clear()
            await self._arrived.wait()

    async def send(self, data, opcode=None):
        """Send one message: str as text, bytes (or bytearray/memoryview) as binary. ``opcode``
        forces a frame type (Microdot 2.x)."""
        if self._state != _OPEN:
            raise ConnectionClosed(self.close_code or ABNORMAL_CLOSURE, self.close_reason)
        if self._channel is not None:
            return await self._channel_send(data)
        if opcode is None:
            opcode = TEXT if isinstance(data, str) else BINARY
        if isinstance(data, str):
            data = data.encode()
        elif not isinstance(data, (bytes, bytearray)):
            data = bytes(data)
        head = frame_head(opcode, len(data))
        if len(data) > _DIRECT and not _LOW_MEMORY:
            # two writes rather than one more copy of a long payload (asyncio sets TCP_NODELAY)
            await self._write(head, data)
            return
        try:
            frame = head + data  # one write: MicroPython sockets have Nagle's algorithm on
        except MemoryError:
            frame = None  # no room for a copy: two writes, slower but they fit
        if frame is None:
            await self._write(head, data)
        else:
            await self._write(frame)

    async def ping(self, data=b''):
        """Send a ping (at most 125 bytes of payload). Under a server that frames WebSockets itself
        (ASGI) the server keeps the connection alive and this does nothing."""
        await self._send_control(PING, data)

    async def pong(self, data=b''):
        """Send an unsolicited pong (a one-way heartbeat, RFC 6455 5.5.3)."""
        await self._send_control(PONG, data)

    async def close(self, code=NORMAL_CLOSURE, reason=''):
        """Start (or finish) the close handshake and wait, at most ``close_timeout`` seconds, for
        the peer's close frame. Safe to call more than once."""
        if code is not None and not _valid_close_code(code) and code != NO_STATUS_RECEIVED:
            raise ValueError('invalid close code {}'.format(code))
        if self._channel is not None:
            return await self._channel_close(code, reason)
        if self._state == 0:
            return
        if self._state == _OPEN:
            await self._start_closing(code, reason)
        if self._reader_task is not None and not self._done.is_set():
            try:
                await asyncio.wait_for(self._done.wait(), (self.close_timeout or 0) + 1)
            except asyncio.TimeoutError:
                self._reader_task.cancel()
                await self._end()

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return await self.receive()
        except ConnectionClosed:
            raise StopAsyncIteration

    # -- stream side: writing --

    async def _write(self, data, more=None):
        async with self._write_lock:
            try:
                await self._writer.awrite(data)
                if more is not None:
                    await self._writer.awrite(more)
            except OSError:
                self._lost()
                raise ConnectionClosed(ABNORMAL_CLOSURE)

    async def _send_control(self, opcode, data):
        if isinstance(data, str):
            data = data.encode()
        if len(data) > 125:
            raise ValueError('control frame payload over 125 bytes')
        if self._state != _OPEN:
            raise ConnectionClosed(self.close_code or ABNORMAL_CLOSURE, self.close_reason)
        if self._channel is None:
            await self._write(encode_frame(opcode, bytes(data)))

    async def _start_closing(self, code, reason):
        """Send our close frame; from now on the reader only waits for the peer's."""
        self._state = _CLOSING
        self.close_code = code if code is not None else NO_STATUS_RECEIVED
        self.close_reason = reason
        self._parser.start_closing()  # what still arrives is skipped, not buffered
        self._deadline = _now() + (self.close_timeout or 0)
        self._inbox = []  # nobody will receive them; let a reader waiting for room go on
        self._inbox_bytes = 0
        self._room.set()
        self._arrived.set()
        try:
            await self._write(encode_frame(CLOSE, encode_close_payload(code, reason)))
        except ConnectionClosed:
            pass

    # -- stream side: the reader task --

    async def _read_loop(self):
        parser = self._parser
        reader = self._reader
        try:
            while True:
                try:
                    frame = parser.next_frame()
                except ProtocolError as exc:
                    await self._fail(exc.code, exc.reason)
                    continue
                except MemoryError:
                    # a message that fits the limit but not the RAM left (small boards)
                    gc_collect()
                    await self._fail(MESSAGE_TOO_BIG, 'out of memory')
                    continue
                if frame is None:
                    n = max(min(parser.needed(), 65536), self.read_size)
                    if self._state == _OPEN:
                        data = await reader.read(n)
                    else:
                        left = self._deadline - _now()
                        if left <= 0:
                            break
                        data = await asyncio.wait_for(reader.read(n), left)
                    if not data:
                        break
                    parser.feed(data)
                    continue
                opcode, payload = frame
                if opcode <= BINARY:
                    await self._queue(payload)
                elif opcode == PING:
                    if self._state == _OPEN:
                        await self._write(encode_frame(PONG, payload))
                elif opcode == CLOSE:
                    await self._peer_closed(payload)
                    break
                else:
                    self._pong.set()  # any pong proves the peer alive (RFC 6455 5.5.3)
        except (OSError, EOFError, ConnectionClosed, asyncio.TimeoutError):
            pass  # the connection dropped, or the peer did not answer our close in time
        except Exception as exc:  # a bug here must not leave the handler waiting forever
            print_exception(exc)
            if self._state == _OPEN:
                await self._start_closing(INTERNAL_ERROR, '')
        finally:
            await self._end()

    async def _keepalive(self):
        """Ping every ``ping_interval`` seconds; a peer that does not answer within
        ``ping_timeout`` is gone (a half-open TCP connection never says so): drop it with 1011."""
        try:
            while True:
                await asyncio.sleep(self.ping_interval)
                if self._state != _OPEN:
                    return
                self._pong.clear()
                await self._write(encode_frame(PING, b''))
                try:
                    await asyncio.wait_for(self._pong.wait(), self.ping_timeout)
                except asyncio.TimeoutError:
                    if self._state == _OPEN:
                        self._keepalive_task = None  # this task ends here; _end must not cancel it
                        await self._start_closing(INTERNAL_ERROR, 'keepalive ping timeout')
                        # the reader waits for a peer that will not speak again: stop it
                        self._reader_task.cancel()
                        await self._end()
                    return
        except (ConnectionClosed, OSError):
            pass

    async def _fail(self, code, reason):
        """Fail the connection (RFC 6455 7.1.7): send our close frame, then only wait (a bounded
        time) for the peer's, discarding the rest."""
        self._parser.start_closing()  # also when we were closing already
        if self._state == _OPEN:
            await self._start_closing(code, reason)

    async def _queue(self, message):
        if self._state != _OPEN:
            return  # we sent a close frame: data that was in flight is dropped (RFC 6455 1.4)
        limit = self.max_message_length or len(message)
        while self._inbox and self._inbox_bytes + len(message) > limit and self._state == _OPEN:
            self._room.clear()
            await self._room.wait()
        if self._state == _OPEN:
            self._inbox.append(message)
            self._inbox_bytes += len(message)
            self._arrived.set()

    async def _peer_closed(self, payload):
        try:
            code, reason = decode_close_payload(payload)
        except ProtocolError as exc:
            if self._state == _OPEN:
                await self._start_closing(exc.code, exc.reason)
            return
        if self._state == _OPEN:
            # the peer started the close handshake: echo its code (RFC 6455 5.5.1)
            self._state = _CLOSING
            self.close_code = code
            self.close_reason = reason
            self._arrived.set()
            try:
                await self._write(encode_frame(
                    CLOSE, encode_close_payload(None if code == NO_STATUS_RECEIVED else code)))
            except ConnectionClosed:
                pass

    def _lost(self):
        if self._state != _CLOSED:
            self._state = _CLOSED
            if self.close_code is None:
                self.close_code = ABNORMAL_CLOSURE
            self._arrived.set()
            self._room.set()

    async def _end(self):
        """The connection is over: wake everyone and close the TCP connection (the server closes
        first, RFC 6455 7.1.1)."""
        if self._done.is_set():
            return
        self._lost()
        self._done.set()
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()
            self._keepalive_task = None
        try:
            await self._writer.aclose()
        except Exception:
            pass

    # -- channel side (the server frames WebSockets itself) --

    async def _channel_receive(self):
        if self._state != _OPEN:
            raise ConnectionClosed(self.close_code or ABNORMAL_CLOSURE, self.close_reason)
        channel = self._channel
        try:
            message = await channel.receive()
        except OSError:
            message = None
        if message is None:
            self._state = _CLOSED
            self.close_code = getattr(channel, 'close_code', None) or NO_STATUS_RECEIVED
            self.close_reason = getattr(channel, 'close_reason', None) or ''
            raise ConnectionClosed(self.close_code, self.close_reason)
        if self.max_message_length and len(message) > self.max_message_length:
            await self._channel_close(MESSAGE_TOO_BIG, 'message too big')
            raise ConnectionClosed(self.close_code, self.close_reason)
        return message

    async def _channel_send(self, data):
        if not isinstance(data, (str, bytes)):
            data = bytes(data)
        try:
            await self._channel.send(data)
        except OSError:
            self._state = _CLOSED
            self.close_code = self.close_code or ABNORMAL_CLOSURE
            raise ConnectionClosed(self.close_code)

    async def _channel_close(self, code, reason):
        if self._state != _OPEN:
            return
        self._state = _CLOSED
        self.close_code = code
        self.close_reason = reason
        try:
            await self._channel.close(code, reason)
        except Exception:
            pass


# --- decorators ----------------------------------------------------------------------------------

async def websocket_upgrade(request, **options):
    """Upgrade ``request`` to a WebSocket and return it, for routes that check something first.
    ``options`` are those of ``WebSocket`` (``subprotocols``, ``max_message_length``,
    ``allowed_origins``, ``close_timeout``, ``ping_interval``, ``ping_timeout``). The route's return
    value is then ignored (the connection belongs to the WebSocket). Raises HandshakeRefused (an
    HTTPException) when the request cannot be upgraded."""
    ws = WebSocket(request, **options)
    await ws.handshake()
    request.after_request(_already_handled)
    return ws


def _already_handled(request, response):
    # one function for every request: the core caches what it learns about each hook it calls
    return Response.already_handled


def _muted(exc):
    return bool(exc.args) and (exc.args[0] in MUTED_SOCKET_ERRORS or
                               exc.args[0] == 'Connection lost')


def websocket_wrapper(f, upgrade_function):
    """Wrap ``async def f(request, ws, *args, **kwargs)`` as a route: upgrade with
    ``upgrade_function(request)``, run ``f``, then close the connection (1000 after a normal return,
    1011 after an exception, 1001 when the server cancels the handler)."""
    @_wraps(f)
    async def wrapper(request, *args, **kwargs):
        try:
            ws = await upgrade_function(request)
        except HandshakeRefused as exc:
            return exc.response()
        except OSError:
            return Response.already_handled  # the client left during the handshake
        code = NORMAL_CLOSURE
        try:
            await f(request, ws, *args, **kwargs)
        except WebSocketError:
            pass  # the connection closed (or broke the protocol) under the handler: a normal end
        except OSError as exc:
            if not _muted(exc):
                print_exception(exc)
                code = INTERNAL_ERROR
        except asyncio.CancelledError:
            await _close_quietly(ws, GOING_AWAY)
            raise
        except Exception as exc:
            print_exception(exc)
            code = INTERNAL_ERROR
        await _close_quietly(ws, code)
        return Response.already_handled
    return wrapper


async def _close_quietly(ws, code):
    try:
        await ws.close(code)
    except Exception:
        pass


def with_websocket(f=None, **options):
    """Decorator for a WebSocket route ``async def handler(request, ws, **url_args)``.

    Use it bare (``@with_websocket``) or with the options of ``WebSocket``:
    ``@with_websocket(subprotocols=['chat'], max_message_length=64 * 1024,
    allowed_origins=['https://example.com'], close_timeout=2, ping_interval=20)``.
    """
    if f is None:
        def decorator(g):
            return with_websocket(g, **options)
        return decorator
    WebSocket.check_options(options)  # a typo fails at import time, not at the first request

    async def upgrade(request):
        return await websocket_upgrade(request, **options)
    return websocket_wrapper(f, upgrade)
