"""{{dist}}: {{description}}

The example extension gives every response an ``X-Request-ID`` header (the client's own when it is
sensible, else a fresh random id) and makes it available to handlers as ``request.g.request_id``.
Replace it with your own; keep the shape: both construction styles, ``app.add_extension``, hooks
registered in ``initialize``, nothing app-specific stored outside ``app.extensions``.

MicroPython-safe: no typing, no f-strings, no async generator functions.
"""
import binascii
import os

__version__ = '0.1.0'

#: The microdot extension API this plugin is written for. The core checks it when it loads the
#: plugin and refuses, with a clear message, an API it does not provide.
MICRODOT_EXTENSION_API = 1

_ID_CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'


class {{class}}:
    """``{{class}}(app, **options)``, or ``{{class}}(**options)`` and later ``initialize(app)``.

    One object may serve several apps: it keeps only its options, and each app finds it in
    ``app.extensions['{{name}}']``.
    """
    name = '{{name}}'

    def __init__(self, app=None, header='X-Request-ID', max_length=64):
        self.header = header
        self.max_length = max_length
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        # raises RuntimeError (naming the extension) if this app already has one
        app.add_extension(self.name, self)
        app.before_request(self._assign_id)
        # after_request covers routed responses and automatic OPTIONS answers;
        # after_error_request covers 404/405/500 and aborts
        app.after_request(self._add_header)
        app.after_error_request(self._add_header)
        return self

    def new_id(self):
        return binascii.hexlify(os.urandom(8)).decode()

    def acceptable(self, value):
        """A client id is echoed only when it is short and plain (it ends up in logs and headers)."""
        if not value or len(value) > self.max_length:
            return False
        for ch in value:
            if ch not in _ID_CHARACTERS:
                return False
        return True

    def _assign_id(self, request):
        incoming = request.headers.get(self.header)
        request.g.request_id = incoming if self.acceptable(incoming) else self.new_id()

    def _add_header(self, request, response):
        # error responses may come before routing (no before_request ran): give them an id too
        request_id = getattr(request.g, 'request_id', None) if request is not None else None
        response.headers[self.header] = request_id or self.new_id()
