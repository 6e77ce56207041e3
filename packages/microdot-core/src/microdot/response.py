"""The HTTP response, and the helpers that build common ones."""
from .datastructures import NoCaseDict
from .http11 import response_head
from .runtime import MICROPYTHON, json


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
    # 2.x's 1 KB on MicroPython; on CPython 1 KB reads made a 1 MB file 1,024 round trips
    send_file_buffer_size = 1024 if MICROPYTHON else 65536
    default_content_type = 'text/plain'
    default_send_file_max_age = None
    #: returned by a handler that took the connection over (WebSocket): nothing more is written
    already_handled = None

    def __init__(self, body=b'', status_code=200, headers=None, reason=None):
        if body is None and status_code == 200:
            body = b''
            status_code = 204
        self.status_code = status_code
        self.headers = NoCaseDict(headers)
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
        from .cookies import set_cookie_value
        http_cookie = set_cookie_value(cookie, value, path, domain, expires, max_age, secure,
                                       http_only, partitioned, same_site)
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
        headers = self.headers
        if isinstance(self.body, bytes) and 'Content-Length' not in headers:
            headers['Content-Length'] = str(len(self.body))
        if 'Content-Type' not in headers:
            content_type = self.default_content_type
            headers['Content-Type'] = content_type if 'charset=' in content_type \
                else content_type + '; charset=UTF-8'

    def body_iter(self):
        """An async iterator over the body's chunks (with an ``aclose()``)."""
        from .streaming import BodyIter
        return BodyIter(self.body, self.send_file_buffer_size)

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
        from .files import send_file
        return send_file(cls, filename, status_code, content_type, stream, max_age, compressed,
                         file_extension)


Response.already_handled = Response()


def send_from_directory(directory, path, **kwargs):
    """Send ``directory/path`` where ``path`` comes from the request. Anything that could leave the
    folder (``..``, absolute paths, backslashes, NUL, symlinks pointing out) or is missing gives 404."""
    from . import files
    return files.send_from_directory(directory, path, **kwargs)
