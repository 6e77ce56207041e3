"""Sans-IO HTTP/1.1: bytes in, parsed values out, no networking.

Shared by the built-in server, the test client and the server adapters. The rules, from RFC 9110/9112:

* A request head is a request line, header lines and an empty line. Lines end in CRLF; a bare LF is
  accepted (RFC 9112 2.2). Empty lines before the request line are ignored (RFC 9112 2.2).
* The request line is ``method SP target SP version``; only HTTP/1.0 and HTTP/1.1 are spoken (505 for
  other versions). Header names are tokens with no whitespace before the colon; folded lines
  (obs-fold), NUL, CR or LF inside values are refused with 400 (RFC 9112 5.1, 5.2).
* Body framing is decided in one place, ``request_body_framing``, which follows RFC 9112 6.3 step by
  step; keep-alive is decided in ``wants_keep_alive``.
"""
import time

from .datastructures import decode_utf8

# --- errors -------------------------------------------------------------------------------------


class HTTPException(Exception):
    """Raised (usually through ``abort()``) to end a request with an HTTP error status."""

    def __init__(self, status_code, reason=None, headers=None):
        super().__init__(reason or '{} error'.format(status_code))
        self.status_code = status_code
        self.reason = reason or '{} error'.format(status_code)
        #: headers the error response must carry (e.g. ``Allow``, ``Sec-WebSocket-Version``)
        self.headers = headers

    def __repr__(self):  # pragma: no cover
        return 'HTTPException: {}'.format(self.status_code)


class ProtocolError(HTTPException):
    """A request the server refuses because it breaks HTTP/1.1; the connection is closed after the
    answer, since what follows on the wire can no longer be trusted."""


# --- reason phrases ------------------------------------------------------------------------------

_reasons = None  # the table of microdot/reasons.py, once a status other than 200 needed it


def reason_phrase(status_code):
    """The standard reason phrase of a status code ('' for an unknown one, which RFC 9112 allows).
    The table is loaded on first use: on MicroPython it costs 3.5 KB of heap."""
    global _reasons
    if status_code == 200:
        return 'OK'
    if _reasons is None:
        from .reasons import REASONS
        _reasons = REASONS
    return _reasons.get(status_code, '')


# --- request head --------------------------------------------------------------------------------

# tchar of RFC 9110 5.6.2
_TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _is_token(text):
    if not text:
        return False
    for c in text:
        if c not in _TCHAR:
            return False
    return True


def _has_ctl(head):
    # CTLs other than HTAB (and LF, the line end) are not allowed in a head; CR only before LF
    for c in head.replace(b'\r\n', b'\n'):
        if c < 32 and c != 9 and c != 10 or c == 127:
            return True
    return False


try:  # the same checks as one regex each, where the regex engine can express them (CPython)
    import re
    _TOKEN_RE = re.compile("[-!#$%&'*+.^_`|~0-9A-Za-z]+")
    _CTL_RE = re.compile(b'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)')
    _TOKEN_RE.fullmatch('x')

    def _is_token(text):  # noqa: F811
        return _TOKEN_RE.fullmatch(text) is not None

    def _has_ctl(head):  # noqa: F811
        return _CTL_RE.search(head) is not None

    # the usual head in one pass: an origin-form request line, CRLF line ends, token names, no
    # control characters; parse_head leaves anything else to its line-by-line checks
    _plain_head = re.compile(
        "([-!#$%&'*+.^_`|~0-9A-Za-z]+) (/[^\x00-\x20\x7f]*) HTTP/(1\\.[01])\r\n"
        "((?:[-!#$%&'*+.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*\r\n)*)\r\n").fullmatch
except (ImportError, ValueError, AttributeError):  # MicroPython: "regex too complex"
    _plain_head = None


def find_head_end(buf, start=0):
    """Index just past the empty line that ends a head in ``buf``, or -1 if it is not complete."""
    i = buf.find(b'\n\r\n', start)
    j = buf.find(b'\n\n', start)
    if i < 0 and j < 0:
        return -1
    if i < 0 or (0 <= j < i):
        return j + 2
    return i + 3


def parse_request_line(line, max_line):
    """``line`` (str, without its line end) -> ``(method, target, version)``."""
    if len(line) > max_line:
        raise ProtocolError(414, 'Request line too long')
    parts = line.split(' ')
    if len(parts) != 3:
        raise ProtocolError(400, 'Malformed request line')
    method, target, version = parts
    if not _is_token(method):
        raise ProtocolError(400, 'Malformed method')
    if version != 'HTTP/1.1' and version != 'HTTP/1.0':
        if version.startswith('HTTP/') and len(version) == 8 and version[5].isdigit() \
                and version[6] == '.' and version[7].isdigit():
            raise ProtocolError(505, 'HTTP version not supported')
        raise ProtocolError(400, 'Malformed HTTP version')
    if not target or '\t' in target:
        raise ProtocolError(400, 'Malformed request target')
    if target[0] != '/':
        if target == '*' and method == 'OPTIONS':
            pass
        elif target.startswith('http://') or target.startswith('https://'):
            # absolute-form (RFC 9112 3.2.2): keep the path and query, the Host header decides
            slash = target.find('/', target.find('//') + 2)
            target = target[slash:] if slash > 0 else '/'
        else:
            raise ProtocolError(400, 'Malformed request target')
    return method, target, version[5:]


def parse_head(head, limits):
    """Parse a complete request head.

    ``head`` is bytes up to and including the empty line. ``limits`` is an object with the
    attributes ``max_request_line``, ``max_header_line`` and ``max_headers``.
    Returns ``(method, target, version, headers)`` where headers is a list of ``(name, value)`` str
    pairs in arrival order. Raises ProtocolError.
    """
    if _plain_head is not None:
        parsed = _parse_plain_head(head, limits)
        if parsed is not None:
            return parsed
    if _has_ctl(head):
        raise ProtocolError(400, 'Invalid character in request head')
    try:
        text = decode_utf8(head)
    except UnicodeError:
        raise ProtocolError(400, 'Invalid UTF-8 in request head')
    lines = text.split('\n')
    n = 0
    while n < len(lines) and (lines[n] == '' or lines[n] == '\r'):
        n += 1  # empty lines before the request line
    if n >= len(lines):
        raise ProtocolError(400, 'Empty request')
    line = lines[n]
    if line.endswith('\r'):
        line = line[:-1]
    method, target, version = parse_request_line(line, limits.max_request_line)
    headers = []
    max_line = limits.max_header_line
    max_headers = limits.max_headers
    for line in lines[n + 1:]:
        if line.endswith('\r'):
            line = line[:-1]
        if not line:
            break
        if len(line) > max_line:
            raise ProtocolError(431, 'Header line too long')
        if len(headers) >= max_headers:
            raise ProtocolError(431, 'Too many headers')
        if line[0] == ' ' or line[0] == '\t':
            raise ProtocolError(400, 'Folded header line')
        name, colon, value = line.partition(':')
        if not colon or not _is_token(name):
            raise ProtocolError(400, 'Malformed header line')
        headers.append((name, value.strip(' \t')))
    return method, target, version, headers


def _parse_plain_head(head, limits):
    """parse_head for a head that ``_plain_head`` recognises and that is within the limits;
    None for any other, which the line-by-line parser then accepts or refuses."""
    try:
        m = _plain_head(head.decode())
    except UnicodeError:
        return None
    if m is None or m.end(3) > limits.max_request_line:
        return None
    method, target, version, block = m.groups()
    headers = []
    if block:
        if len(block) > limits.max_header_line or block.count('\n') > limits.max_headers:
            return None  # a line may be too long, or too many: the line-by-line parser says which
        for line in block[:-2].split('\r\n'):
            name, _, value = line.partition(':')
            headers.append((name, value.strip(' \t')))
    return method, target, version, headers


# --- body framing and keep-alive -----------------------------------------------------------------

def request_body_framing(version, transfer_encodings, content_lengths):
    """How the request body is delimited, per RFC 9112 6.3, from the values of every
    Transfer-Encoding and Content-Length header (lists, in arrival order).

    Returns ``('chunked', None)`` or ``('length', n)`` (n may be 0). Raises ProtocolError for
    anything ambiguous, which is what request smuggling feeds on.
    """
    te = transfer_encodings
    cl = content_lengths
    if te:
        # step 3: Transfer-Encoding with Content-Length is an attack or a broken client; refuse both
        if cl:
            raise ProtocolError(400, 'Both Transfer-Encoding and Content-Length')
        if version == '1.0':
            raise ProtocolError(400, 'Transfer-Encoding in an HTTP/1.0 request')
        codings = []
        for value in te:
            for coding in value.split(','):
                coding = coding.strip().lower()
                if coding:
                    codings.append(coding)
        # step 4: chunked must be the final coding; we decode no other coding, so chunked alone
        if codings == ['chunked']:
            return 'chunked', None
        if not codings or codings[-1] != 'chunked':
            raise ProtocolError(400, 'Request body not framed by chunked')
        raise ProtocolError(501, 'Transfer coding not implemented')
    if cl:
        # step 5: one Content-Length, digits only; a list or a repeat is refused rather than guessed
        if len(cl) > 1:
            raise ProtocolError(400, 'Duplicate Content-Length')
        value = cl[0]
        # ASCII digits only: str.isdigit() and int() also take other scripts' digits, which a
        # proxy in front would read differently (smuggling)
        if not value or len(value) > 18 or value.strip('0123456789'):
            raise ProtocolError(400, 'Invalid Content-Length')
        return 'length', int(value)
    # step 7: a request with neither has no body
    return 'length', 0


def wants_keep_alive(version, connection_values):
    """Whether the client asks to keep the connection open after this exchange (RFC 9112 9.3),
    from the values of every Connection header."""
    if not connection_values:
        return version == '1.1'
    tokens = []
    for value in connection_values:
        for token in value.split(','):
            tokens.append(token.strip().lower())
    if 'close' in tokens:
        return False
    if version == '1.1':
        return True
    return 'keep-alive' in tokens


def parse_chunk_size(line, max_size):
    """The size from a chunk-size line (bytes, line end stripped); chunk extensions are ignored."""
    semi = line.find(b';')
    if semi >= 0:
        line = line[:semi]
    line = line.strip(b' \t')
    if not line or len(line) > 16:
        raise ProtocolError(400, 'Invalid chunk size')
    for c in line:
        if not (48 <= c <= 57 or 65 <= c <= 70 or 97 <= c <= 102):
            raise ProtocolError(400, 'Invalid chunk size')
    size = int(line, 16)
    if size > max_size:
        raise ProtocolError(413, 'Content too large')
    return size


# --- response head -------------------------------------------------------------------------------

_date_cache = [0, b'']
_DAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')


def http_date(t=None):
    """An IMF-fixdate (RFC 9110 5.6.7) for ``t`` (seconds since the epoch, default now)."""
    return format_http_date(time.gmtime(t if t is not None else time.time()))


def format_http_date(tm):
    """An IMF-fixdate from a UTC time tuple (year, month, day, hour, minute, second, weekday, ...)."""
    return '{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT'.format(
        _DAYS[tm[6]], tm[2], _MONTHS[tm[1] - 1], tm[0], tm[3], tm[4], tm[5])


def _head_end():
    """``b'\\r\\nDate: ...\\r\\n\\r\\n'``: how every response head ends, recomputed at most once a
    second."""
    now = int(time.time())
    if now != _date_cache[0]:
        _date_cache[0] = now
        _date_cache[1] = ('\r\nDate: ' + http_date(now) + '\r\n\r\n').encode()
    return _date_cache[1]


def response_head(version, status_code, reason, header_items):
    """Serialise a response head. ``header_items`` yields ``(name, value)`` pairs (values are
    str()-ed); a list value gives one line per item. A CR or LF in a name, value or reason is
    refused (header injection)."""
    lines = ['HTTP/' + version + ' ' + str(status_code) + ' ' + (reason or reason_phrase(status_code))]
    for name, value in header_items:
        if isinstance(value, list):
            for v in value:
                lines.append(name + ': ' + str(v))
        else:
            lines.append(name + ': ' + str(value))
    text = '\r\n'.join(lines)
    # one check for the whole head: a CR or LF inside a line adds to the count of line ends
    if text.count('\n') != len(lines) - 1 or text.count('\r') != len(lines) - 1:
        for line in lines:
            if '\r' in line or '\n' in line:
                raise ValueError('invalid header {}'.format(line.partition(':')[0]))
    return text.encode() + _head_end()
