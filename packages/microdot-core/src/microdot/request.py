"""The HTTP request."""
from .datastructures import AsyncBytesIO, MultiDict, urldecode
from .http11 import HTTPException
from .runtime import json


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
        from .connection import Connection, read_request
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

    @form.setter
    def form(self, form):
        # for extensions that parse other body types (multipart)
        self._form = form

    @property
    def files(self):
        return self._files

    @files.setter
    def files(self, files):
        self._files = files

    def after_request(self, f):
        """Register ``f(request, response)`` to run after this request only (success path)."""
        self.after_request_handlers.append(f)
        return f
