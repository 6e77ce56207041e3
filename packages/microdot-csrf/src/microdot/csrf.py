"""Cross-site request forgery protection for microdot, without tokens.

Public: ``CSRF`` (the extension; entry point ``csrf``).

Browsers say where a request comes from: ``Sec-Fetch-Site`` (every current browser) and
``Origin`` (older ones, on every non-GET request). A ``before_request`` hook refuses a state-changing
request that a browser sent from another site, with ``403 Forbidden``:

1. ``Sec-Fetch-Site: same-origin`` or ``none`` (typed in the address bar, a bookmark): allowed;
   ``same-site`` (a sibling subdomain): allowed with ``allow_subdomains=True``.
2. Otherwise, when the request has an ``Origin``: allowed when it is this server's own origin
   (compared with the ``Host`` header), a subdomain of it (with ``allow_subdomains``), one of
   ``trusted_origins``, or an origin that the app's ``CORS`` extension allows (the same list serves
   both when both are used; a CORS ``'*'`` is never trusted for CSRF). ``Origin: null`` is refused.
3. Neither header (curl, scripts, other servers): allowed; those clients carry no browser cookies.
4. Anything else: ``403``.

Which requests are checked: with ``protect_all=True`` (default) every request whose method is not
safe (``GET``, ``HEAD``, ``OPTIONS``, ``TRACE``) except routes marked ``@csrf.exempt``; with
``protect_all=False`` only the routes marked ``@csrf.protect`` (whatever their method). Routing
has succeeded before the hook runs (404, 405 and automatic ``OPTIONS`` answers are not checked).

MicroPython-safe: no typing, no f-strings, no ``re``.
"""
from microdot import abort

__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1

_DEFAULT_PORTS = {'http': '80', 'https': '443', 'ws': '80', 'wss': '443'}


def _split_host(host, scheme):
    """``'Example.com:8080'`` -> ``('example.com', '8080')``; the scheme's default port if none."""
    host = host.strip().lower()
    if host.startswith('['):  # IPv6 literal
        end = host.find(']')
        name, rest = host[:end + 1], host[end + 1:]
    else:
        name, sep, port = host.partition(':')
        rest = ':' + port if sep else ''
    port = rest[1:] if rest.startswith(':') else ''
    if port and not port.isdigit():
        return None
    if port:
        port = str(int(port))
    return name, port or _DEFAULT_PORTS.get(scheme, '')


def _parse_origin(origin):
    """``(scheme, host, port)`` of a serialised origin, or None (``null``, garbage)."""
    scheme, sep, rest = origin.strip().partition('://')
    if not sep or not scheme or not rest or '/' in rest or '@' in rest:
        return None
    scheme = scheme.lower()
    parts = _split_host(rest, scheme)
    if parts is None or not parts[0]:
        return None
    return scheme, parts[0], parts[1]


def _cors_allows(cors, origin):
    """Whether the CORS extension lists ``origin`` explicitly (its ``'*'`` does not count)."""
    allowed = getattr(cors, 'allowed_origins', None)
    if allowed is None or allowed == '*' or (not isinstance(allowed, str) and '*' in allowed):
        return False
    check = getattr(cors, 'origin_allowed', None)
    if check is not None:
        return check(origin)
    if isinstance(allowed, str):
        allowed = [allowed]
    return origin in allowed


class CSRF:
    """CSRF protection by ``Sec-Fetch-Site`` and ``Origin`` (see the module's doc).

    ``cors``: a ``CORS`` extension whose allowed origins are also trusted here; by default the
    app's own (``app.extensions['cors']``) when there is one.
    ``protect_all``: check every unsafe request (default), or only ``@protect`` routes.
    ``allow_subdomains``: trust ``same-site`` requests and subdomains of this server's host.
    ``trusted_origins``: more origins (``'https://admin.example.com'``) whose requests are allowed.
    """

    name = 'csrf'
    SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE']

    def __init__(self, app=None, cors=None, protect_all=True, allow_subdomains=False,
                 trusted_origins=None):
        self.cors = cors
        self.protect_all = protect_all
        self.allow_subdomains = allow_subdomains
        self.trusted_origins = []
        for origin in trusted_origins or ():
            parsed = _parse_origin(origin)
            if parsed is None:
                raise ValueError("CSRF: {!r} is not an origin (write scheme://host[:port], e.g. "
                                 "'https://example.com')".format(origin))
            self.trusted_origins.append(parsed)
        self.exempt_routes = []
        self.protected_routes = []
        if app is not None:
            self.initialize(app)

    def initialize(self, app, cors=None):
        """Attach to ``app`` (once per app): it is then ``app.extensions['csrf']``."""
        if cors is not None:
            self.cors = cors
        app.add_extension(self.name, self)
        app.before_request(self.before_request)

    # -- marking routes (put the decorator directly under @app.route) --

    def exempt(self, f):
        """Never check this route."""
        self.exempt_routes.append(f)
        return f

    def protect(self, f):
        """Always check this route, whatever its method (for ``protect_all=False`` apps)."""
        self.protected_routes.append(f)
        return f

    # -- the decision --

    def needs_check(self, request):
        route = request.route
        if route is not None and route in self.protected_routes:
            return True
        return self.protect_all and request.method.upper() not in self.SAFE_METHODS and \
            route not in self.exempt_routes

    def is_allowed(self, request):
        """Whether ``request`` may go through (the decision of the module's doc)."""
        headers = request.headers
        site = headers.get('Sec-Fetch-Site')
        if site is not None:
            site = site.strip().lower()
            if site in ('same-origin', 'none'):
                return True
            if site == 'same-site' and self.allow_subdomains:
                return True
        origin = headers.get('Origin')
        if origin is None:
            return site is None  # no browser metadata at all: not a browser
        return self.origin_trusted(request, origin)

    def origin_trusted(self, request, origin):
        parsed = _parse_origin(origin)
        if parsed is None:
            return False  # null (sandboxed frames, some redirects) or garbage
        if parsed in self.trusted_origins:
            return True
        host = _split_host(request.headers.get('Host', ''), parsed[0])
        if host is not None and host[0]:
            if (parsed[1], parsed[2]) == host:
                return True
            if self.allow_subdomains and parsed[2] == host[1] and \
                    parsed[1].endswith('.' + host[0]):
                return True
        cors = self.cors
        if cors is None:
            cors = request.app.extensions.get('cors')
        return cors is not None and _cors_allows(cors, origin.strip())

    def before_request(self, request):
        if self.needs_check(request) and not self.is_allowed(request):
            abort(403, 'Forbidden')
        return None
