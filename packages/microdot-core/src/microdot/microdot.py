"""The microdot core: helpers, Request, Response, URL patterns and the Microdot application.

Every Microdot 2.x name stays importable from here. This module runs on CPython and MicroPython;
capabilities are feature-detected, never version-checked. The HTTP/1.1 protocol lives in http11.py
(sans-IO) and the built-in server in server.py.
"""
import asyncio
import io
import re
import sys
import time

try:
    import orjson as json
except ImportError:
    import json

from .http11 import HTTPException, ProtocolError, format_http_date, response_head

try:
    from inspect import iscoroutinefunction, iscoroutine
except ImportError:  # MicroPython
    iscoroutinefunction = None

    def iscoroutine(coro):
        return hasattr(coro, 'send') and hasattr(coro, 'throw')

try:
    from functools import partial as _partial
except ImportError:  # MicroPython
    _partial = None

# --- compatibility helpers -----------------------------------------------------------------------

MICROPYTHON = sys.implementation.name == 'micropython'

MUTED_SOCKET_ERRORS = [
    32,  # EPIPE
    54,  # ECONNRESET (macOS)
    104,  # ECONNRESET (Linux)
    128,  # operation on closed socket (MicroPython)
]


def print_exception(exc, file=None):
    """Print an exception with its traceback to stderr (or ``file``)."""
    if hasattr(sys, 'print_exception'):  # MicroPython
        sys.print_exception(exc, file or sys.stderr)
    else:
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=file or sys.stderr)


def format_exception(exc):
    """The traceback of ``exc`` as a string."""
    out = io.StringIO()
    print_exception(exc, out)
    return out.getvalue()


def log(message):
    """One line on the server's log (stderr)."""
    sys.stderr.write('microdot: ' + message + '\n')


def mro(cls):
    """The classes an exception class inherits from, most specific first."""
    if hasattr(cls, '__mro__'):
        return cls.__mro__
    order = [cls]  # MicroPython: depth-first walk, keeping the last occurrence of a repeat
    for base in cls.__bases__:
        for c in mro(base):
            if c in order:
                order.remove(c)
            order.append(c)
    return order


def _is_async_callable(f):
    if iscoroutinefunction is None:
        return None  # unknown on MicroPython: call and look at the result
    while _partial is not None and isinstance(f, _partial):
        f = f.func
    return iscoroutinefunction(f) or iscoroutinefunction(getattr(f, '__call__', None))


async def invoke_handler(handler, *args, **kwargs):
    """Call a sync or async handler. On CPython sync handlers run in the default thread executor so
    that they cannot block the event loop; on MicroPython they run inline."""
    if _is_async_callable(handler) is False:
        if kwargs:
            ret = await asyncio.get_running_loop().run_in_executor(
                None, lambda: handler(*args, **kwargs))
        else:
            ret = await asyncio.get_running_loop().run_in_executor(None, handler, *args)
    else:
        ret = handler(*args, **kwargs)
    if iscoroutine(ret):
        ret = await ret
    return ret


def urlencode(s):
    """Percent-encode a query-string component (space becomes ``+``)."""
    out = []
    for c in s.encode():
        if 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c in b'-._~/!$\'()*,;:@':
            out.append(chr(c))
        elif c == 32:
            out.append('+')
        else:
            out.append('%{:02X}'.format(c))
    return ''.join(out)


def urldecode(s):
    """Decode a percent-encoded str or bytes (``+`` is a space). Invalid UTF-8 or hex raises ValueError."""
    if isinstance(s, str):
        s = s.encode()
    s = s.replace(b'+', b' ')
    if b'%' not in s:
        return s.decode()
    parts = s.split(b'%')
    out = [parts[0]]
    for part in parts[1:]:
        if len(part) < 2:
            out.append(b'%' + part)  # a lone '%' stays literal
            continue
        out.append(bytes([int(part[:2], 16)]))
        out.append(part[2:])
    try:
        return b''.join(out).decode()
    except UnicodeError:
        raise ValueError('invalid UTF-8 in percent-encoded text')


# --- dictionaries --------------------------------------------------------------------------------

class NoCaseDict(dict):
    """A dict with case-insensitive str keys; the first spelling of a key is kept."""

    def __init__(self, initial_dict=None):
        super().__init__()
        self.keymap = {}
        if initial_dict:
            self.update(initial_dict)

    def __setitem__(self, key, value):
        lkey = key.lower()
        stored = self.keymap.get(lkey)
        if stored is None:
            self.keymap[lkey] = stored = key
        super().__setitem__(stored, value)

    def __getitem__(self, key):
        return super().__getitem__(self.keymap.get(key.lower(), key))

    def __delitem__(self, key):
        lkey = key.lower()
        super().__delitem__(self.keymap.get(lkey, key))
        self.keymap.pop(lkey, None)

    def __contains__(self, key):
        return key.lower() in self.keymap

    def get(self, key, default=None):
        stored = self.keymap.get(key.lower())
        return default if stored is None else super().__getitem__(stored)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key, *default):
        stored = self.keymap.pop(key.lower(), None)
        if stored is None:
            if default:
                return default[0]
            raise KeyError(key)
        return super().pop(stored)

    def update(self, other_dict=(), **kwargs):
        items = other_dict.items() if hasattr(other_dict, 'items') else other_dict
        for key, value in items:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value


class MultiDict(dict):
    """A dict that keeps every value given to a key; ``d[key]`` is the first one."""

    def __init__(self, initial_dict=None):
        super().__init__()
        if initial_dict:
            for key, value in initial_dict.items():
                self[key] = value

    def __setitem__(self, key, value):
        if key not in self:
            super().__setitem__(key, [])
        super().__getitem__(key).append(value)

    def __getitem__(self, key):
        return super().__getitem__(key)[0]

    def get(self, key, default=None, type=None):
        if key not in self:
            return default
        value = self[key]
        return type(value) if type is not None else value

    def getlist(self, key, type=None):
        if key not in self:
            return []
        values = super().__getitem__(key)
        return [type(v) for v in values] if type is not None else list(values)


class AsyncBytesIO:
    """An async stream over bytes held in memory."""

    def __init__(self, data):
        self.stream = io.BytesIO(data)

    async def read(self, n=-1):
        return self.stream.read(n)

    async def readline(self):
        return self.stream.readline()

    async def readexactly(self, n):
        return self.stream.read(n)

    async def readuntil(self, separator=b'\n'):
        data = b''
        while not data.endswith(separator):
            c = self.stream.read(1)
            if not c:
                break
            data += c
        return data

    async def awrite(self, data):
        return self.stream.write(data)

    async def aclose(self):
        pass


def _parse_urlencoded(text):
    """Query string or urlencoded form -> MultiDict; a decode error is the client's (400)."""
    data = MultiDict()
    for pair in text.split('&'):
        if not pair:
            continue
        name, _, value = pair.partition('=')
        try:
            data[urldecode(name)] = urldecode(value)
        except ValueError:
            raise HTTPException(400, 'Bad request')
    return data


# --- request -------------------------------------------------------------------------------------

class Request:
    """An HTTP request. Limits are read from the app; the class attributes are the defaults that
    Microdot 2.x applications set globally (``Request.max_content_length = ...``)."""

    #: a declared body larger than this is refused with 413
    max_content_length = 16 * 1024
    #: a body up to this size is read into ``body``; a larger one is left on ``stream``
    max_body_length = 16 * 1024
    #: the longest header line accepted (431 above it)
    max_readline = 8 * 1024

    class G:
        pass

    def __init__(self, app, client_addr, method, url, http_version, headers, body=None, stream=None,
                 sock=None, url_prefix='', subapp=None, scheme=None, route=None):
        self.app = app
        self.client_addr = client_addr
        self.method = method
        self.url = url
        self.http_version = http_version
        self.headers = headers
        self.scheme = scheme or 'http'
        self.url_prefix = url_prefix
        self.subapp = subapp
        self.route = route
        self.url_args = None
        self.sock = sock
        self.ws_channel = None
        self.body_used = False
        self.after_request_handlers = []
        self.g = Request.G()
        path, sep, query = url.partition('?')
        self.path = path
        self.query_string = query if sep else None
        self.args = _parse_urlencoded(query) if sep else {}
        try:
            self.content_length = int(headers.get('Content-Length', 0) or 0)
        except ValueError:
            raise HTTPException(400, 'Bad request')
        self.content_type = headers.get('Content-Type')
        self._body = body or b''
        self._stream = stream
        self._cookies = None
        self._json = None
        self._form = None
        self._files = None

    @staticmethod
    async def create(app, client_reader, client_writer, client_addr, scheme=None):
        """Read one request from a stream pair (as Microdot 2.x); None if the client closed."""
        from .server import Connection, read_request
        conn = Connection(app, client_reader, client_writer)
        try:
            return await read_request(app, conn, client_addr, scheme)
        except HTTPException:
            return None

    @property
    def body(self):
        return self._body

    @property
    def stream(self):
        if self._stream is None:
            self._stream = AsyncBytesIO(self._body)
        return self._stream

    @property
    def cookies(self):
        if self._cookies is None:
            self._cookies = {}
            for item in self.headers.get('Cookie', '').split(';'):
                name, _, value = item.strip().partition('=')
                if name:
                    self._cookies[name] = value
        return self._cookies

    @property
    def json(self):
        if self._json is None and self.content_type and \
                self.content_type.split(';')[0].strip().lower() == 'application/json':
            try:
                self._json = json.loads(self.body)
            except ValueError:
                raise HTTPException(400, 'Bad request')
        return self._json

    @property
    def form(self):
        if self._form is None and self.content_type and \
                self.content_type.split(';')[0].strip().lower() == \
                'application/x-www-form-urlencoded':
            try:
                text = self.body.decode()
            except UnicodeError:
                raise HTTPException(400, 'Bad request')
            self._form = _parse_urlencoded(text)
        return self._form

    @property
    def files(self):
        return self._files

    def after_request(self, f):
        """Register ``f(request, response)`` to run after this request only (success path)."""
        self.after_request_handlers.append(f)
        return f


# --- response ------------------------------------------------------------------------------------

class _BodyIter:
    """Async iterator over any response body: async iterator, file-like, sync iterator or bytes."""

    def __init__(self, body, buffer_size):
        self.body = body
        self.buffer_size = buffer_size
        self.kind = 'async' if hasattr(body, '__anext__') else 'file' if hasattr(body, 'read') \
            else 'iter' if hasattr(body, '__next__') else 'once'
        if self.kind == 'iter' and not hasattr(body, '__next__'):
            self.body = iter(body)

    def __aiter__(self):
        return self

    async def __anext__(self):
        kind = self.kind
        if kind == 'async':
            return await self.body.__anext__()
        if kind == 'file':
            chunk = self.body.read(self.buffer_size)
            if iscoroutine(chunk):
                chunk = await chunk
            if not chunk:
                raise StopAsyncIteration
            if len(chunk) < self.buffer_size:
                self.kind = 'done'
            return chunk
        if kind == 'iter':
            try:
                return next(self.body)
            except StopIteration:
                raise StopAsyncIteration
        if kind == 'once':
            self.kind = 'done'
            if self.body:
                return self.body
        raise StopAsyncIteration

    async def aclose(self):
        close = getattr(self.body, 'aclose', None) or getattr(self.body, 'close', None)
        if close is not None:
            ret = close()
            if iscoroutine(ret):
                await ret


class Response:
    """An HTTP response."""

    types_map = {
        'css': 'text/css',
        'gif': 'image/gif',
        'htm': 'text/html',
        'html': 'text/html',
        'ico': 'image/x-icon',
        'jpeg': 'image/jpeg',
        'jpg': 'image/jpeg',
        'js': 'application/javascript',
        'json': 'application/json',
        'mjs': 'application/javascript',
        'pdf': 'application/pdf',
        'png': 'image/png',
        'svg': 'image/svg+xml',
        'txt': 'text/plain',
        'wasm': 'application/wasm',
        'webp': 'image/webp',
        'woff': 'font/woff',
        'woff2': 'font/woff2',
        'xml': 'application/xml',
    }
    send_file_buffer_size = 1024
    default_content_type = 'text/plain'
    default_send_file_max_age = None
    #: returned by a handler that took the connection over (WebSocket): nothing more is written
    already_handled = None

    def __init__(self, body=b'', status_code=200, headers=None, reason=None):
        if body is None and status_code == 200:
            body = b''
            status_code = 204
        self.status_code = status_code
        self.headers = NoCaseDict(headers or {})
        self.reason = reason
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            if 'Content-Type' not in self.headers:
                self.headers['Content-Type'] = 'application/json; charset=UTF-8'
        if isinstance(body, str):
            body = body.encode()
        self.body = body
        self.is_head = False

    def set_cookie(self, cookie, value, path=None, domain=None, expires=None, max_age=None,
                   secure=False, http_only=False, partitioned=False, same_site=None):
        """Add a ``Set-Cookie`` header. ``same_site`` is ``'Lax'``, ``'Strict'`` or ``'None'``."""
        value = str(value)
        for part in (cookie, value, path or '', domain or '', str(expires or '')):
            if '\r' in part or '\n' in part:
                raise ValueError('invalid cookie')
        if ';' in value or ';' in cookie or '=' in cookie:
            raise ValueError('invalid cookie value')
        http_cookie = '{}={}'.format(cookie, value)
        if path:
            http_cookie += '; Path=' + path
        if domain:
            http_cookie += '; Domain=' + domain
        if expires:
            if isinstance(expires, str):
                http_cookie += '; Expires=' + expires
            else:
                http_cookie += '; Expires=' + format_http_date(expires.utctimetuple())
        if max_age is not None:
            http_cookie += '; Max-Age=' + str(int(max_age))
        if secure:
            http_cookie += '; Secure'
        if http_only:
            http_cookie += '; HttpOnly'
        if same_site:
            if same_site.lower() not in ('lax', 'strict', 'none'):
                raise ValueError('invalid SameSite value')
            http_cookie += '; SameSite=' + {'lax': 'Lax', 'strict': 'Strict',
                                            'none': 'None'}[same_site.lower()]
        if partitioned:
            http_cookie += '; Partitioned'
        if 'Set-Cookie' in self.headers:
            self.headers['Set-Cookie'].append(http_cookie)
        else:
            self.headers['Set-Cookie'] = [http_cookie]

    def delete_cookie(self, cookie, **kwargs):
        """Tell the client to drop a cookie."""
        kwargs.pop('expires', None)
        kwargs.pop('max_age', None)
        self.set_cookie(cookie, '', expires='Thu, 01 Jan 1970 00:00:01 GMT', max_age=0, **kwargs)

    def complete(self):
        """Fill in ``Content-Length`` (for bytes bodies) and ``Content-Type``."""
        if isinstance(self.body, bytes) and 'Content-Length' not in self.headers:
            self.headers['Content-Length'] = str(len(self.body))
        if 'Content-Type' not in self.headers:
            self.headers['Content-Type'] = self.default_content_type \
                if 'charset=' in self.default_content_type \
                else self.default_content_type + '; charset=UTF-8'

    def body_iter(self):
        """An async iterator over the body's chunks (with an ``aclose()``)."""
        return _BodyIter(self.body, self.send_file_buffer_size)

    async def write(self, stream):
        """Write the whole response to a stream, delimited by closing the connection."""
        self.complete()
        items = list(self.headers.items()) + [('Connection', 'close')]
        await stream.awrite(response_head('1.1', self.status_code, self.reason, items))
        if not self.is_head:
            async for chunk in self.body_iter():
                await stream.awrite(chunk.encode() if isinstance(chunk, str) else chunk)

    @classmethod
    def redirect(cls, location, status_code=302):
        """A redirect to ``location``."""
        if '\r' in location or '\n' in location:
            raise ValueError('invalid redirect URL')
        return cls(status_code=status_code, headers={'Location': location})

    @classmethod
    def send_file(cls, filename, status_code=200, content_type=None, stream=None, max_age=None,
                  compressed=False, file_extension=''):
        """A response that streams a file. The file name is trusted: never build it from request
        data (use ``send_from_directory`` for that)."""
        if content_type is None:
            name = filename[:-3] if compressed and filename.endswith('.gz') else filename
            ext = name.rsplit('.', 1)[-1] if '.' in name.rsplit('/', 1)[-1] else ''
            content_type = cls.types_map.get(ext.lower(), 'application/octet-stream')
        headers = {'Content-Type': content_type}
        if max_age is None:
            max_age = cls.default_send_file_max_age
        if max_age is not None:
            headers['Cache-Control'] = 'max-age={}'.format(max_age)
        if compressed:
            headers['Content-Encoding'] = compressed if isinstance(compressed, str) else 'gzip'
        if stream is None:
            import os
            path = filename + file_extension
            headers['Content-Length'] = str(os.stat(path)[6])
            stream = open(path, 'rb')
        return cls(body=stream, status_code=status_code, headers=headers)


Response.already_handled = Response()


def send_from_directory(directory, path, **kwargs):
    """Send ``directory/path`` where ``path`` comes from the request. Anything that could leave the
    folder (``..``, absolute paths, backslashes, NUL, symlinks pointing out) or is missing gives 404."""
    import os
    if not path or '\x00' in path or '\\' in path or path.startswith('/') or ':' in path:
        raise HTTPException(404, 'Not found')
    parts = path.split('/')
    if '..' in parts or '.' in parts or '' in parts:
        raise HTTPException(404, 'Not found')
    full = directory.rstrip('/') + '/' + path
    realpath = getattr(getattr(os, 'path', None), 'realpath', None)
    try:
        if realpath is not None:
            root = realpath(directory)
            if not realpath(full).startswith(root.rstrip('/') + '/'):
                raise HTTPException(404, 'Not found')
        if os.stat(full)[0] & 0o170000 != 0o100000:  # not a regular file
            raise HTTPException(404, 'Not found')
    except OSError:
        raise HTTPException(404, 'Not found')
    return Response.send_file(full, **kwargs)


# --- URL patterns --------------------------------------------------------------------------------

def _regex_escape(text):
    return ''.join('\\' + c if c in '.^$*+?{}[]\\|()' else c for c in text)


def _count_groups(pattern):
    # capturing groups in a user regex shift the positions of ours (MicroPython has no named groups)
    n = 0
    for i, c in enumerate(pattern):
        if c == '(' and (i == 0 or pattern[i - 1] != '\\') and pattern[i + 1:i + 2] != '?':
            n += 1
    return n


class URLPattern:
    """A route pattern such as ``/users/<int:id>``. Static segments match literally."""

    segment_patterns = {
        'string': '[^/]+',
        'int': '-?[0-9]+',
        'path': '.+',
    }
    segment_parsers = {
        'int': int,
    }

    def __init__(self, url_pattern):
        self.url_pattern = url_pattern
        self.segments = []
        self.regex = None
        self.static = '<' not in url_pattern

    def compile(self):
        regex = ''
        group = 1
        for segment in self.url_pattern.lstrip('/').split('/'):
            if segment.startswith('<'):
                if not segment.endswith('>'):
                    raise ValueError('invalid URL pattern')
                spec = segment[1:-1]
                type_, _, name = spec.rpartition(':')
                type_ = type_ or 'string'
                parser = None
                if type_.startswith('re:'):
                    pattern = type_[3:]
                else:
                    if type_ not in self.segment_patterns:
                        raise ValueError('invalid URL segment type')
                    pattern = self.segment_patterns[type_]
                    parser = self.segment_parsers.get(type_)
                regex += '/(' + pattern + ')'
                self.segments.append((name, parser, group, type_ == 'path'))
                group += 1 + _count_groups(pattern)
            elif '<' in segment or '>' in segment:
                raise ValueError('invalid URL pattern')
            else:
                regex += '/' + _regex_escape(segment)
        self.regex = re.compile('^' + regex + '$')
        return self.regex

    def match(self, path):
        """The path arguments (a dict) if ``path`` matches, else None."""
        if self.static:
            return {} if path == self.url_pattern else None
        if self.regex is None:
            self.compile()
        g = self.regex.match(path)
        if not g:
            return None
        args = {}
        for name, parser, group, is_path in self.segments:
            value = g.group(group)
            if '%' in value or '+' in value:
                value = urldecode(value.replace('+', '%2B'))
            if parser:
                value = parser(value)
                if value is None:
                    return None
            args[name] = value
        return args

    @classmethod
    def register_type(cls, type_name, pattern='[^/]+', parser=None):
        """Add (or replace) a segment type for ``<type_name:arg>`` placeholders."""
        cls.segment_patterns[type_name] = pattern
        if parser is None:
            cls.segment_parsers.pop(type_name, None)
        else:
            cls.segment_parsers[type_name] = parser


# --- application ---------------------------------------------------------------------------------

def abort(status_code, reason=None, headers=None):
    """End the current request with an HTTP error (``headers`` go on the error response)."""
    raise HTTPException(status_code, reason, headers)


_DEFAULT_ERRORS = {
    400: 'Bad request',
    404: 'Not found',
    405: 'Method not allowed',
    413: 'Payload too large',
    500: 'Internal server error',
}


class _Limit:
    """An app setting that falls back to a ``Request`` class attribute (Microdot 2.x globals)."""

    def __init__(self, name):
        self.name = name

    def __get__(self, app, owner=None):
        if app is None:
            return self
        value = getattr(app, '_' + self.name, None)
        return getattr(Request, self.name) if value is None else value

    def __set__(self, app, value):
        setattr(app, '_' + self.name, value)  # MicroPython's instance __dict__ is read-only


class Microdot:
    """A web application."""

    # request limits (per app; see docs/security.md)
    max_content_length = _Limit('max_content_length')
    max_body_length = _Limit('max_body_length')
    max_readline = _Limit('max_readline')

    def __init__(self):
        self.url_map = []
        self.before_request_handlers = []
        self.after_request_handlers = []
        self.after_error_request_handlers = []
        self.error_handlers = {}
        self.startup_handlers = []
        self.shutdown_handlers = []
        self.extensions = {}
        self.options_handler = self.default_options_handler
        self.ssl = False
        self.debug = False
        self.server = None
        self.http_server = None
        # protocol limits, with safe defaults
        self.max_request_line = 8 * 1024      # 414 above it
        self.max_head_size = 32 * 1024        # 431 above it
        self.max_headers = 100                # 431 above it
        self.head_timeout = 10.0              # seconds to send a whole request head (408)
        self.idle_timeout = 5.0               # seconds a keep-alive connection may sit idle
        self.read_timeout = 30.0              # seconds a body read or a response write may stall
        self.max_connections = 32 if MICROPYTHON else 1024  # more are refused with 503
        self.shutdown_timeout = 10.0          # grace period for in-flight requests on shutdown

    @property
    def max_header_line(self):
        return self.max_readline

    # -- registration --

    def route(self, url_pattern, methods=None):
        """Decorator that registers a route for ``url_pattern`` and ``methods`` (default GET)."""
        def decorated(f):
            self.url_map.append(
                ([m.upper() for m in (methods or ['GET'])], URLPattern(url_pattern), f, '', None))
            return f
        return decorated

    def get(self, url_pattern):
        return self.route(url_pattern, methods=['GET'])

    def post(self, url_pattern):
        return self.route(url_pattern, methods=['POST'])

    def put(self, url_pattern):
        return self.route(url_pattern, methods=['PUT'])

    def patch(self, url_pattern):
        return self.route(url_pattern, methods=['PATCH'])

    def delete(self, url_pattern):
        return self.route(url_pattern, methods=['DELETE'])

    def before_request(self, f):
        """``f(request)`` runs before each routed request; a truthy return is the response."""
        self.before_request_handlers.append(f)
        return f

    def after_request(self, f):
        """``f(request, response)`` runs after each successful request; a truthy return replaces
        the response."""
        self.after_request_handlers.append(f)
        return f

    def after_error_request(self, f):
        """``f(request, response)`` runs after each error response."""
        self.after_error_request_handlers.append(f)
        return f

    def errorhandler(self, status_code_or_exception_class):
        """Decorator for ``f(request)`` (a status code) or ``f(request, exc)`` (an exception class)."""
        def decorated(f):
            self.error_handlers[status_code_or_exception_class] = f
            return f
        return decorated

    def on_startup(self, f):
        """``f()`` (sync or async) runs once when a server starts serving this app."""
        self.startup_handlers.append(f)
        return f

    def on_shutdown(self, f):
        """``f()`` (sync or async) runs once when the server stops."""
        self.shutdown_handlers.append(f)
        return f

    async def run_startup_handlers(self):
        for f in self.startup_handlers:
            await invoke_handler(f)

    async def run_shutdown_handlers(self):
        for f in self.shutdown_handlers:
            try:
                await invoke_handler(f)
            except Exception as exc:
                print_exception(exc)

    def add_extension(self, name, extension):
        """Record an initialised extension; an extension is initialised once per app."""
        if name in self.extensions:
            raise RuntimeError(
                "extension '{}' is already initialised on this app".format(name))
        self.extensions[name] = extension
        return extension

    def mount(self, subapp, url_prefix='', local=False):
        """Add the routes of ``subapp`` under ``url_prefix``. Without ``local`` its hooks and error
        handlers become the app's; with it they apply to its own routes only."""
        for methods, pattern, handler, prefix, sub in subapp.url_map:
            self.url_map.append((methods, URLPattern(url_prefix + pattern.url_pattern), handler,
                                 url_prefix + prefix, sub or subapp))
        if not local:
            for attr in ('before_request_handlers', 'after_request_handlers',
                         'after_error_request_handlers'):
                getattr(self, attr).extend(getattr(subapp, attr))
                setattr(subapp, attr, [])
            self.error_handlers.update(subapp.error_handlers)
            subapp.error_handlers = {}
        self.startup_handlers.extend(subapp.startup_handlers)
        self.shutdown_handlers.extend(subapp.shutdown_handlers)
        subapp.startup_handlers = []
        subapp.shutdown_handlers = []

    @staticmethod
    def abort(status_code, reason=None, headers=None):
        raise HTTPException(status_code, reason, headers)

    # -- routing --

    def find_route(self, req):
        """``(handler | 404 | 405 | allow-dict, url_prefix, subapp)`` for a request; sets
        ``req.url_args``. The first registered route that matches wins; HEAD falls back to GET
        when no route lists HEAD. A dict answers an automatic OPTIONS request."""
        method = req.method.upper()
        path = req.path
        allowed = []
        found = None
        first = None  # the first route whose pattern matched: its sub-app answers OPTIONS and 405
        for route in self.url_map:
            args = route[1].match(path)
            if args is None:
                continue
            if first is None:
                first = route
            route_methods = route[0]
            if method in route_methods:
                found = (route, args)
                break
            if method == 'HEAD' and found is None and 'GET' in route_methods:
                found = (route, args)  # keep looking for a route that lists HEAD itself
            for m in route_methods:
                if m not in allowed:
                    allowed.append(m)
        if found is not None:
            route, req.url_args = found
            return route[2], route[3], route[4]
        if first is None:
            return 404, '', None
        if method == 'OPTIONS' and self.options_handler:
            return self.options_handler(req), first[3], first[4]
        if 'GET' in allowed and 'HEAD' not in allowed:
            allowed.append('HEAD')
        req.url_args = {'allow': allowed}
        return 405, first[3], first[4]

    def default_options_handler(self, req):
        """The ``Allow`` header for an automatic OPTIONS answer."""
        allow = []
        for route_methods, pattern, _, _, _ in self.url_map:
            if pattern.match(req.path) is not None:
                for m in route_methods:
                    if m not in allow:
                        allow.append(m)
        if 'GET' in allow and 'HEAD' not in allow:
            allow.append('HEAD')
        if 'OPTIONS' not in allow:
            allow.append('OPTIONS')
        return {'Allow': ', '.join(allow)}

    def get_request_handlers(self, req, attr, local_first=True):
        handlers = getattr(self, attr)
        subapp = req.subapp if req else None
        if subapp is None or subapp is self:
            return handlers
        local = getattr(subapp, attr)
        if not local:
            return handlers
        return local + handlers if local_first else handlers + local

    # -- dispatch --

    def make_response(self, value):
        """Turn what a handler returned into a Response (body, status and headers in any of the
        Microdot 2.x shapes)."""
        if isinstance(value, Response):
            return value
        if isinstance(value, tuple):
            if not value:
                raise TypeError('empty response tuple')
            if isinstance(value[0], int) and not isinstance(value[0], bool):
                return Response(b'', value[0], value[1] if len(value) > 1 else None)
            if len(value) > 1 and isinstance(value[1], int):
                return Response(value[0], value[1], value[2] if len(value) > 2 else None)
            if len(value) == 2 and isinstance(value[1], dict):
                return Response(value[0], 200, value[1])
            raise TypeError('invalid response tuple')
        if isinstance(value, int) and not isinstance(value, bool):
            return Response(b'', value)
        return Response(value)

    async def error_response(self, req, status_code, reason=None):
        """The response for an HTTP error: the app's handler for that status, or a plain one."""
        handler = None
        if req is not None and req.subapp is not None:
            handler = req.subapp.error_handlers.get(status_code)
        if handler is None:
            handler = self.error_handlers.get(status_code)
        if handler is not None:
            return self.make_response(await invoke_handler(handler, req))
        return Response(reason or _DEFAULT_ERRORS.get(status_code, '{} error'.format(status_code)),
                        status_code)

    def _find_exception_handler(self, req, exc):
        apps = [self]
        if req is not None and req.subapp is not None and req.subapp is not self:
            apps.insert(0, req.subapp)
        for cls in mro(type(exc)):
            for app in apps:
                handler = app.error_handlers.get(cls)
                if handler is not None:
                    return handler
        return None

    async def exception_response(self, req, exc):
        """The response for an unexpected exception: the app's handler for its class (most
        specific first), or a plain 500 that shows the traceback only in debug mode."""
        handler = self._find_exception_handler(req, exc)
        if handler is not None:
            try:
                res = await invoke_handler(handler, req, exc)
                if res is not None:
                    return self.make_response(res)
            except HTTPException as http_exc:
                return await self.error_response(req, http_exc.status_code, http_exc.reason)
            except Exception as handler_exc:
                print_exception(handler_exc)
        print_exception(exc)
        if self.debug:
            return Response(format_exception(exc), 500)
        return await self.error_response(req, 500, 'Internal server error')

    async def dispatch_request(self, req):
        """Route a request through hooks and handlers to a Response."""
        success = False
        try:
            if req is None:
                res = await self.error_response(None, 400, 'Bad request')
            elif req.content_length > self.max_content_length:
                res = await self.error_response(req, 413, 'Payload too large')
            else:
                handler, req.url_prefix, req.subapp = self.find_route(req)
                if isinstance(handler, dict):
                    res = Response(b'', 200, handler)
                elif handler == 404 or handler == 405:
                    res = await self.error_response(req, handler)
                    if handler == 405:
                        res.headers['Allow'] = ', '.join(req.url_args['allow'])
                else:
                    req.route = handler
                    res = None
                    for hook in self.get_request_handlers(req, 'before_request_handlers', False):
                        res = await invoke_handler(hook, req)
                        if res:
                            break
                    if not res:
                        res = await invoke_handler(handler, req, **req.url_args)
                    res = self.make_response(res)
                if isinstance(handler, dict) or callable(handler):
                    for hook in self.get_request_handlers(req, 'after_request_handlers') + \
                            req.after_request_handlers:
                        ret = await invoke_handler(hook, req, res)
                        if ret:
                            res = self.make_response(ret)
                    success = True
        except HTTPException as exc:
            res = await self._safe_error_response(req, exc.status_code, exc.reason)
            for name, value in (exc.headers or {}).items():
                if name not in res.headers:
                    res.headers[name] = value
        except Exception as exc:
            try:
                res = await self.exception_response(req, exc)
            except Exception as exc2:
                print_exception(exc2)
                res = Response(_DEFAULT_ERRORS[500], 500)
        if not success:
            for hook in self.get_request_handlers(req, 'after_error_request_handlers'):
                try:
                    ret = await invoke_handler(hook, req, res)
                    if ret:
                        res = self.make_response(ret)
                except Exception as exc:
                    print_exception(exc)
        res.is_head = req is not None and req.method == 'HEAD'
        return res

    async def _safe_error_response(self, req, status_code, reason):
        try:
            return await self.error_response(req, status_code, reason)
        except Exception as exc:
            return await self.exception_response(req, exc)

    # -- serving --

    async def start_server(self, host='0.0.0.0', port=5000, debug=False, ssl=None,
                           start_serving=True):
        """Serve the app on the built-in HTTP/1.1 server until ``shutdown()`` is called. With
        ``start_serving=False`` (CPython) the bound asyncio server is returned without waiting."""
        from .server import HTTPServer
        self.debug = debug
        self.ssl = ssl
        server = HTTPServer(self)
        return await server.serve(host, port, ssl, start_serving)

    def run(self, host='0.0.0.0', port=5000, debug=False, ssl=None):
        """Serve the app until stopped (``shutdown()``, SIGINT or SIGTERM). Blocks."""
        try:
            asyncio.run(self.start_server(host=host, port=port, debug=debug, ssl=ssl))
        except KeyboardInterrupt:  # MicroPython has no signal handlers
            pass

    def shutdown(self):
        """Stop accepting connections, let in-flight requests finish (within
        ``shutdown_timeout``), then stop. Safe to call from a handler."""
        if self.http_server is not None:
            self.http_server.shutdown()
        elif self.server is not None:
            self.server.close()


redirect = Response.redirect
send_file = Response.send_file
