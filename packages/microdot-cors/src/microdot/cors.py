"""Cross-Origin Resource Sharing for microdot, as the Fetch standard's "CORS protocol" describes it.

Public: ``CORS`` (the extension; entry point ``cors``).

How it plugs into the core (docs/architecture.md, "Request hooks and errors"):

* actual requests: an ``after_request`` hook and the same logic as an ``after_error_request`` hook,
  so error responses (404, 500, ``abort()``) carry the CORS headers too, and the page's script can
  read the error;
* preflights (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``): for a path
  without an ``OPTIONS`` route the core answers ``200`` with ``Allow`` and the after hook adds the
  preflight headers; for a path with its own ``OPTIONS`` route a ``before_request`` hook answers an
  allowed preflight with an empty ``200``, so the app's handler only sees plain ``OPTIONS``
  requests. That hook is put first in the app's list: a preflight never carries credentials, and
  an authentication hook registered earlier would otherwise refuse it. ``app.options_handler`` is
  left alone.
* a preflight to a path with no route at all gets the core's ``404`` (with ``Access-Control-Allow-
  Origin`` for an allowed origin, as every error response), which the browser reports as a failed
  preflight: there is nothing to call there.

The classic mistakes it refuses: ``'*'`` together with credentials (a ``ValueError`` when
configured, never a reflected origin), ``null`` allowed by accident (only a literal ``'null'`` in
the list allows it), origin matching by substring or prefix (origins are parsed and compared as
scheme, host and port), a missing ``Vary: Origin`` (sent on every response whose answer depends on
the origin, merged into an existing ``Vary``), and CORS headers for an origin that is not allowed.

MicroPython-safe: no typing, no f-strings, no ``re``.
"""
from microdot import Response

__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1

_DEFAULT_PORTS = {'http': '80', 'https': '443'}
_TOKEN_EXTRA = "!#$%&'*+-.^_`|~"
_HOST_EXTRA = '-._'


def _is_token(text):
    """True for an RFC 9110 token (a method or a header name)."""
    if not text:
        return False
    for c in text:
        if not (c.isalpha() or c.isdigit() or c in _TOKEN_EXTRA) or ord(c) > 126:
            return False
    return True


def _is_host(text):
    """True for a registered name or an IPv4 address as a browser serialises it (lowercase)."""
    if not text or text[0] == '.' or text[-1] == '.' or '..' in text:
        return False
    for c in text:
        if not (('a' <= c <= 'z') or c.isdigit() or c in _HOST_EXTRA):
            return False
    return True


def _parse_origin(text):
    """``(scheme, host, port)`` of a serialised origin ``scheme://host[:port]`` (lowercase, the
    default port dropped), or ``None`` for anything else (``null``, a path, user info...)."""
    sep = text.find('://')
    if sep <= 0:
        return None
    scheme = text[:sep].lower()
    rest = text[sep + 3:].lower()
    if not _is_token(scheme):
        return None
    if rest.startswith('['):  # IPv6 literal
        end = rest.find(']')
        if end < 0:
            return None
        host = rest[:end + 1]
        tail = rest[end + 1:]
        for c in host[1:-1]:
            if not (c.isdigit() or 'a' <= c <= 'f' or c in ':.'):
                return None
    else:
        colon = rest.find(':')
        if colon < 0:
            host, tail = rest, ''
        else:
            host, tail = rest[:colon], rest[colon:]
        if not _is_host(host):
            return None
    if tail:
        port = tail[1:]
        if tail[0] != ':' or not port.isdigit() or len(port) > 5 or int(port) > 65535:
            return None
        port = str(int(port))
    else:
        port = ''
    if port == _DEFAULT_PORTS.get(scheme):
        port = ''
    return scheme, host, port


def _header_list(value, lower=False, upper=False):
    """The tokens of a comma-separated header value; anything that is not a token is dropped."""
    names = []
    for name in value.split(','):
        name = name.strip()
        if lower:
            name = name.lower()
        elif upper:
            name = name.upper()
        if _is_token(name) and name not in names:
            names.append(name)
    return names


def _config_list(option, value, lower=False, upper=False):
    """A configured list of methods or header names: ``None`` means "any", which ``'*'`` also
    spells; a string is a comma-separated list."""
    if value is None or value == '*':
        return None
    if isinstance(value, str):
        value = value.split(',')
    names = []
    for name in value:
        if not isinstance(name, str) or not _is_token(name.strip()):
            raise ValueError('CORS: {} must be a list of names, got {!r}'.format(option, name))
        name = name.strip()
        name = name.lower() if lower else name.upper() if upper else name
        if name == '*':
            return None
        if name not in names:
            names.append(name)
    return names


def _merge_vary(response, names):
    """Add ``names`` to the response's ``Vary`` without repeating one it already lists."""
    current = response.headers.get('Vary')
    if isinstance(current, list):
        current = ', '.join(current)
    if not current:
        response.headers['Vary'] = names
        return
    present = [n.strip().lower() for n in current.split(',')]
    if '*' in present:  # already varies on everything
        return
    for name in names.split(', '):
        if name.lower() not in present:
            current = current + ', ' + name
    response.headers['Vary'] = current


class CORS:
    """Cross-Origin Resource Sharing.

    ``allowed_origins``: ``'*'`` (any origin, without credentials), or a list of origins such as
    ``'https://example.com'`` or ``'http://localhost:8080'``; ``'https://*.example.com'`` also
    allows every subdomain of ``example.com`` (same scheme and port, not ``example.com`` itself);
    ``'null'`` allows the opaque origin of sandboxed frames and ``file:`` pages. ``None`` (the
    default) allows no origin.
    ``allow_credentials``: let the browser send cookies and read the response.
    ``allowed_methods`` / ``allowed_headers``: what a preflight may ask for; ``None`` or ``'*'``
    answers with what was asked.
    ``expose_headers``: response headers the page's script may read (``'*'``: all, without
    credentials).
    ``max_age``: seconds the browser may cache a preflight answer.
    ``handle_cors``: install the hooks; with ``False`` call ``get_cors_headers()`` or
    ``after_request()`` yourself.
    """

    name = 'cors'

    def __init__(self, app=None, allowed_origins=None, allow_credentials=False,
                 allowed_methods=None, expose_headers=None, allowed_headers=None, max_age=None,
                 handle_cors=True):
        self._allow_credentials = False
        self._expose_headers = None
        self._origins = _Origins(None)
        self.allowed_origins = allowed_origins
        self.allow_credentials = allow_credentials
        self.allowed_methods = allowed_methods
        self.expose_headers = expose_headers
        self.allowed_headers = allowed_headers
        self.max_age = max_age
        self.handle_cors = handle_cors
        if app is not None:
            self.initialize(app, handle_cors=handle_cors)

    # -- configuration (public attributes, checked whenever they change) --

    @property
    def allowed_origins(self):
        return self._origins.value

    @allowed_origins.setter
    def allowed_origins(self, value):
        origins = _Origins(value)
        _check_credentials(origins.any, self._allow_credentials, self._expose_headers)
        self._origins = origins

    @property
    def allow_credentials(self):
        return self._allow_credentials

    @allow_credentials.setter
    def allow_credentials(self, value):
        value = bool(value)
        _check_credentials(self._origins.any, value, self._expose_headers)
        self._allow_credentials = value

    @property
    def allowed_methods(self):
        return self._methods

    @allowed_methods.setter
    def allowed_methods(self, value):
        self._methods = _config_list('allowed_methods', value, upper=True)

    @property
    def allowed_headers(self):
        return self._headers

    @allowed_headers.setter
    def allowed_headers(self, value):
        self._headers = _config_list('allowed_headers', value, lower=True)

    @property
    def expose_headers(self):
        return self._expose_headers

    @expose_headers.setter
    def expose_headers(self, value):
        if value is not None and value != '*':
            names = _config_list('expose_headers', value)
            value = '*' if names is None else names
        _check_credentials(self._origins.any, self._allow_credentials, value)
        self._expose_headers = value

    @property
    def max_age(self):
        return self._max_age

    @max_age.setter
    def max_age(self, value):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError('CORS: max_age must be a number of seconds >= 0, got {!r}'
                                 .format(value))
            value = int(value)
        self._max_age = value

    # -- the app --

    def initialize(self, app, handle_cors=None):
        """Attach to ``app`` (once per app): it is then ``app.extensions['cors']``."""
        if handle_cors is None:
            handle_cors = self.handle_cors
        app.add_extension(self.name, self)
        if handle_cors:
            app.before_request_handlers.insert(0, self.before_request)
            app.after_request(self.after_request)
            app.after_error_request(self.after_error_request)

    def origin_allowed(self, origin):
        """Whether the ``Origin`` header value ``origin`` may read responses."""
        return self._origins.allows(origin)

    @staticmethod
    def is_preflight(request):
        """A CORS preflight: ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``."""
        return (request.method.upper() == 'OPTIONS' and 'Origin' in request.headers and
                'Access-Control-Request-Method' in request.headers)

    def get_cors_headers(self, request, preflight=None, expose=True):
        """The CORS headers for the answer to ``request`` (a dict; ``Vary`` is to be merged with
        the response's own). ``preflight`` defaults to ``is_preflight(request)``; the preflight
        headers belong only on a successful (2xx) answer."""
        if preflight is None:
            preflight = self.is_preflight(request)
        headers = {}
        vary = []
        if self._origins.any:
            # the same answer for everyone ("a static origin"): no Vary: Origin
            headers['Access-Control-Allow-Origin'] = '*'
        elif self._origins.empty:
            return headers  # nothing is ever allowed: the answer does not depend on the origin
        else:
            vary.append('Origin')
            origin = request.headers.get('Origin')
            if origin is None or not self._origins.allows(origin):
                headers['Vary'] = 'Origin'
                return headers
            headers['Access-Control-Allow-Origin'] = origin
            if self._allow_credentials:
                headers['Access-Control-Allow-Credentials'] = 'true'
        if preflight:
            self._add_preflight_headers(request, headers, vary)
        elif expose and self._expose_headers:
            expose_headers = self._expose_headers
            headers['Access-Control-Expose-Headers'] = \
                expose_headers if expose_headers == '*' else ', '.join(expose_headers)
        if vary:
            headers['Vary'] = ', '.join(vary)
        return headers

    def _add_preflight_headers(self, request, headers, vary):
        if self._methods is None:
            method = request.headers.get('Access-Control-Request-Method', '').strip()
            if _is_token(method):
                headers['Access-Control-Allow-Methods'] = method
            vary.append('Access-Control-Request-Method')
        else:
            headers['Access-Control-Allow-Methods'] = ', '.join(self._methods)
        if self._headers is None:
            requested = _header_list(request.headers.get('Access-Control-Request-Headers', ''),
                                     lower=True)
            if requested:
                headers['Access-Control-Allow-Headers'] = ', '.join(requested)
            vary.append('Access-Control-Request-Headers')
        elif self._headers:
            headers['Access-Control-Allow-Headers'] = ', '.join(self._headers)
        if self._max_age is not None:
            headers['Access-Control-Max-Age'] = str(self._max_age)

    # -- hooks --

    def before_request(self, request):
        """Answer an allowed preflight to a path that has its own OPTIONS route."""
        if self.is_preflight(request) and (self._origins.any or
                                           self._origins.allows(request.headers['Origin'])):
            return Response(b'', 200)
        return None

    def after_request(self, request, response):
        """Add the CORS headers to a successful response (also a preflight answer)."""
        if request is None or response is Response.already_handled:
            return None  # nothing will be written (or the singleton must stay untouched)
        preflight = self.is_preflight(request)
        ok = 200 <= response.status_code < 300
        self._apply(response, self.get_cors_headers(request, preflight=preflight and ok,
                                                    expose=not preflight))
        return None

    def after_error_request(self, request, response):
        """Add the CORS headers to an error response, so the page can read the error."""
        if request is None or response is Response.already_handled:
            return None
        preflight = self.is_preflight(request)
        self._apply(response, self.get_cors_headers(request, preflight=False,
                                                    expose=not preflight))
        return None

    @staticmethod
    def _apply(response, headers):
        for name, value in headers.items():
            if name == 'Vary':
                _merge_vary(response, value)
            else:
                response.headers[name] = value


def _check_credentials(any_origin, credentials, expose_headers):
    if not credentials:
        return
    if any_origin:
        raise ValueError(
            "CORS: allowed_origins='*' cannot be used with allow_credentials=True. Browsers "
            "refuse credentialed responses that allow every origin, and echoing each request's "
            "Origin instead would let any web site read your users' data. List the origins you "
            "trust, e.g. allowed_origins=['https://example.com'].")
    if expose_headers == '*':
        raise ValueError(
            "CORS: expose_headers='*' cannot be used with allow_credentials=True (browsers "
            "read it as a header named '*'). List the headers to expose.")


class _Origins:
    """The parsed ``allowed_origins``: exact origins, subdomain patterns, ``null``, or any."""

    def __init__(self, value):
        self.value = value
        self.any = False
        self.null = False
        self.exact = []
        self.patterns = []
        if value is None:
            return
        if isinstance(value, str):
            value = [value]
        for entry in value:
            self._add(entry)

    def _add(self, entry):
        if not isinstance(entry, str):
            raise ValueError('CORS: allowed_origins entries must be strings, got {!r}'
                             .format(entry))
        text = entry.strip()
        if text == '*':
            self.any = True
            return
        if text == 'null':
            self.null = True
            return
        pattern = False
        sep = text.find('://*.')
        if sep > 0:
            pattern = True
            text = text[:sep + 3] + text[sep + 5:]
        origin = _parse_origin(text)
        if origin is None or '*' in text:
            raise ValueError(
                "CORS: {!r} is not an origin. Write scheme://host[:port] with nothing after "
                "it (no path, no trailing '/'), e.g. 'https://example.com'; "
                "'https://*.example.com' allows its subdomains, 'null' the opaque origin, "
                "'*' every origin.".format(entry))
        if pattern and origin[1][0] == '[':
            raise ValueError('CORS: {!r}: an IP address has no subdomains'.format(entry))
        (self.patterns if pattern else self.exact).append(origin)

    @property
    def empty(self):
        return not (self.any or self.null or self.exact or self.patterns)

    def allows(self, origin):
        if self.any:
            return True
        if origin == 'null':
            return self.null
        parsed = _parse_origin(origin)
        if parsed is None:
            return False
        if parsed in self.exact:
            return True
        scheme, host, port = parsed
        for p_scheme, p_host, p_port in self.patterns:
            if scheme == p_scheme and port == p_port and host.endswith('.' + p_host) and \
                    len(host) > len(p_host) + 1:
                return True
        return False
