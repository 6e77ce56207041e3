"""The HTTP response, and the helpers that build common ones."""
from .datastructures import NoCaseDict
from .http11 import HTTPException, format_http_date, response_head
from .runtime import is_awaitable, iscoroutine, json


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
            if is_awaitable(ret):
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
