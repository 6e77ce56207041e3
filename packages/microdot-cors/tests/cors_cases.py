"""The table of CORS requests and the exact headers expected (MicroPython-safe: the same table
runs on CPython through the test client and a live server, and on MicroPython).

Each case: ``(case id, app name, method, path, request headers, status, CORS headers, extra)``.
The CORS headers are every response header named ``Access-Control-*`` plus ``Vary``, compared
exactly (names case-insensitively). ``extra`` holds other headers that must be present and,
under ``'body'``, the exact body.
"""
from microdot import Microdot, Response, abort
from microdot.cors import CORS

EXAMPLE = 'https://example.com'
ALLOW_ORIGIN = 'Access-Control-Allow-Origin'
ALLOW_CREDENTIALS = 'Access-Control-Allow-Credentials'
ALLOW_METHODS = 'Access-Control-Allow-Methods'
ALLOW_HEADERS = 'Access-Control-Allow-Headers'
EXPOSE = 'Access-Control-Expose-Headers'
MAX_AGE = 'Access-Control-Max-Age'
REQUEST_METHOD = 'Access-Control-Request-Method'
REQUEST_HEADERS = 'Access-Control-Request-Headers'
VARY_PREFLIGHT = 'Access-Control-Request-Method, Access-Control-Request-Headers'


def add_routes(app):
    @app.route('/items', methods=['GET', 'POST'])
    def items(request):
        return 'items', {'X-Total': '2'}

    @app.get('/vary')
    def vary(request):
        return 'varies', {'Vary': 'Accept-Encoding'}

    @app.get('/vary-origin')
    def vary_origin(request):
        return 'varies', {'Vary': 'origin'}

    @app.route('/opts', methods=['GET', 'OPTIONS'])
    def opts(request):
        if request.method == 'OPTIONS':
            return 'app options', {'X-App-Options': 'yes'}
        return 'opts'

    @app.route('/private', methods=['GET', 'OPTIONS'])
    def private(request):
        return 'private ' + request.method

    @app.get('/boom')
    def boom(request):
        raise RuntimeError('boom (expected by the test)')

    @app.get('/forbidden')
    def forbidden(request):
        abort(403)

    @app.get('/stream')
    def stream(request):
        return Response(iter([b'a', b'b']))


def make_apps():
    """``{name: app}``: one app per configuration the table uses."""
    apps = {}

    # a list of origins with credentials; an authentication hook registered *before* CORS
    creds = Microdot()

    @creds.before_request
    def require_token(request):
        if request.path.startswith('/private') and request.headers.get('X-Token') != 'secret':
            abort(401)

    add_routes(creds)
    CORS(creds, allowed_origins=[EXAMPLE, 'http://localhost:8080', 'https://*.example.org',
                                 'null'],
         allow_credentials=True, allowed_methods=['GET', 'POST', 'put'],
         allowed_headers=['Content-Type', 'X-Token'], expose_headers=['X-Total'], max_age=600)
    apps['creds'] = creds

    # any origin, without credentials
    anyone = Microdot()
    add_routes(anyone)
    CORS(anyone, allowed_origins='*', expose_headers='*')
    apps['any'] = anyone

    # a list of origins; preflights answered with whatever they ask for
    echo = Microdot()
    add_routes(echo)
    CORS(echo, allowed_origins=[EXAMPLE])
    apps['echo'] = echo

    # the defaults: no origin allowed
    default = Microdot()
    add_routes(default)
    CORS(default)
    apps['default'] = default
    return apps


def cred(origin, expose=True, vary='Origin'):
    """The headers of an allowed response of the ``creds`` app."""
    headers = {ALLOW_ORIGIN: origin, ALLOW_CREDENTIALS: 'true', 'Vary': vary}
    if expose:
        headers[EXPOSE] = 'X-Total'
    return headers


CRED_PREFLIGHT = {ALLOW_ORIGIN: EXAMPLE, ALLOW_CREDENTIALS: 'true', 'Vary': 'Origin',
                  ALLOW_METHODS: 'GET, POST, PUT', ALLOW_HEADERS: 'content-type, x-token',
                  MAX_AGE: '600'}
ONLY_VARY = {'Vary': 'Origin'}
ANY = {ALLOW_ORIGIN: '*', EXPOSE: '*'}


def preflight(origin, method='PUT', request_headers=None):
    headers = {'Origin': origin, REQUEST_METHOD: method}
    if request_headers is not None:
        headers[REQUEST_HEADERS] = request_headers
    return headers


CASES = [
    # -- actual requests, list of origins with credentials --
    ('allowed', 'creds', 'GET', '/items', {'Origin': EXAMPLE}, 200, cred(EXAMPLE),
     {'body': 'items'}),
    ('allowed-post', 'creds', 'POST', '/items', {'Origin': EXAMPLE}, 200, cred(EXAMPLE), {}),
    ('not-allowed', 'creds', 'GET', '/items', {'Origin': 'https://evil.com'}, 200, ONLY_VARY,
     {'body': 'items'}),
    ('missing-origin', 'creds', 'GET', '/items', {}, 200, ONLY_VARY, {}),
    ('null-listed', 'creds', 'GET', '/items', {'Origin': 'null'}, 200, cred('null'), {}),
    ('localhost-port', 'creds', 'GET', '/items', {'Origin': 'http://localhost:8080'}, 200,
     cred('http://localhost:8080'), {}),
    ('localhost-other-port', 'creds', 'GET', '/items', {'Origin': 'http://localhost:8081'}, 200,
     ONLY_VARY, {}),
    ('localhost-no-port', 'creds', 'GET', '/items', {'Origin': 'http://localhost'}, 200,
     ONLY_VARY, {}),
    ('wrong-scheme', 'creds', 'GET', '/items', {'Origin': 'http://example.com'}, 200, ONLY_VARY,
     {}),
    ('origin-with-path', 'creds', 'GET', '/items', {'Origin': EXAMPLE + '/'}, 200, ONLY_VARY, {}),
    ('prefix-lookalike', 'creds', 'GET', '/items', {'Origin': EXAMPLE + '.evil.com'}, 200,
     ONLY_VARY, {}),
    ('suffix-lookalike', 'creds', 'GET', '/items', {'Origin': 'https://notexample.com'}, 200,
     ONLY_VARY, {}),
    ('subdomain', 'creds', 'GET', '/items', {'Origin': 'https://api.example.org'}, 200,
     cred('https://api.example.org'), {}),
    ('subdomain-deep', 'creds', 'GET', '/items', {'Origin': 'https://a.b.example.org'}, 200,
     cred('https://a.b.example.org'), {}),
    ('subdomain-base-not-included', 'creds', 'GET', '/items', {'Origin': 'https://example.org'},
     200, ONLY_VARY, {}),
    ('subdomain-wrong-scheme', 'creds', 'GET', '/items', {'Origin': 'http://api.example.org'},
     200, ONLY_VARY, {}),
    ('subdomain-wrong-port', 'creds', 'GET', '/items',
     {'Origin': 'https://api.example.org:8443'}, 200, ONLY_VARY, {}),
    ('subdomain-lookalike', 'creds', 'GET', '/items', {'Origin': 'https://evilexample.org'}, 200,
     ONLY_VARY, {}),
    ('subdomain-suffix-attack', 'creds', 'GET', '/items',
     {'Origin': 'https://api.example.org.evil.com'}, 200, ONLY_VARY, {}),
    ('subdomain-empty-label', 'creds', 'GET', '/items', {'Origin': 'https://.example.org'}, 200,
     ONLY_VARY, {}),
    ('vary-merged', 'creds', 'GET', '/vary', {'Origin': EXAMPLE}, 200,
     cred(EXAMPLE, vary='Accept-Encoding, Origin'), {}),
    ('vary-merged-not-allowed', 'creds', 'GET', '/vary', {'Origin': 'https://evil.com'}, 200,
     {'Vary': 'Accept-Encoding, Origin'}, {}),
    ('vary-not-repeated', 'creds', 'GET', '/vary-origin', {'Origin': EXAMPLE}, 200,
     cred(EXAMPLE, vary='origin'), {}),
    ('streamed', 'creds', 'GET', '/stream', {'Origin': EXAMPLE}, 200, cred(EXAMPLE),
     {'body': 'ab'}),

    # -- error responses carry the headers too --
    ('error-404', 'creds', 'GET', '/nope', {'Origin': EXAMPLE}, 404, cred(EXAMPLE), {}),
    ('error-405', 'creds', 'DELETE', '/items', {'Origin': EXAMPLE}, 405, cred(EXAMPLE), {}),
    ('error-500', 'creds', 'GET', '/boom', {'Origin': EXAMPLE}, 500, cred(EXAMPLE), {}),
    ('error-abort', 'creds', 'GET', '/forbidden', {'Origin': EXAMPLE}, 403, cred(EXAMPLE), {}),
    ('error-401-from-hook', 'creds', 'GET', '/private', {'Origin': EXAMPLE}, 401, cred(EXAMPLE),
     {}),
    ('error-not-allowed', 'creds', 'GET', '/boom', {'Origin': 'https://evil.com'}, 500,
     ONLY_VARY, {}),

    # -- preflights, list of origins with credentials --
    ('preflight', 'creds', 'OPTIONS', '/items', preflight(EXAMPLE, 'PUT', 'content-type, x-token'),
     200, CRED_PREFLIGHT, {'Allow': 'GET, POST, HEAD, OPTIONS', 'body': ''}),
    ('preflight-no-request-headers', 'creds', 'OPTIONS', '/items', preflight(EXAMPLE, 'POST'),
     200, CRED_PREFLIGHT, {}),
    ('preflight-method-not-allowed', 'creds', 'OPTIONS', '/items', preflight(EXAMPLE, 'DELETE'),
     200, CRED_PREFLIGHT, {}),
    ('preflight-null', 'creds', 'OPTIONS', '/items', preflight('null'), 200,
     dict(CRED_PREFLIGHT, **{ALLOW_ORIGIN: 'null'}), {}),
    ('preflight-subdomain', 'creds', 'OPTIONS', '/items', preflight('https://x.example.org'), 200,
     dict(CRED_PREFLIGHT, **{ALLOW_ORIGIN: 'https://x.example.org'}), {}),
    ('preflight-not-allowed', 'creds', 'OPTIONS', '/items', preflight('https://evil.com'), 200,
     ONLY_VARY, {'Allow': 'GET, POST, HEAD, OPTIONS'}),
    ('preflight-own-options-route', 'creds', 'OPTIONS', '/opts', preflight(EXAMPLE), 200,
     CRED_PREFLIGHT, {'body': ''}),
    ('preflight-before-auth-hook', 'creds', 'OPTIONS', '/private',
     preflight(EXAMPLE, 'GET', 'x-token'), 200, CRED_PREFLIGHT, {'body': ''}),
    ('preflight-own-route-not-allowed', 'creds', 'OPTIONS', '/opts', preflight('https://evil.com'),
     200, ONLY_VARY, {'body': 'app options', 'X-App-Options': 'yes'}),
    ('preflight-no-route', 'creds', 'OPTIONS', '/nope', preflight(EXAMPLE), 404,
     cred(EXAMPLE, expose=False), {}),
    ('options-not-preflight-own-route', 'creds', 'OPTIONS', '/opts', {'Origin': EXAMPLE}, 200,
     cred(EXAMPLE), {'body': 'app options', 'X-App-Options': 'yes'}),
    ('options-not-preflight-automatic', 'creds', 'OPTIONS', '/items', {'Origin': EXAMPLE}, 200,
     cred(EXAMPLE), {'Allow': 'GET, POST, HEAD, OPTIONS'}),
    ('options-method-without-origin', 'creds', 'OPTIONS', '/opts', {REQUEST_METHOD: 'PUT'}, 200,
     ONLY_VARY, {'body': 'app options'}),

    # -- any origin, no credentials --
    ('any-no-origin', 'any', 'GET', '/items', {}, 200, ANY, {}),
    ('any-origin', 'any', 'GET', '/items', {'Origin': 'https://anything.test'}, 200, ANY, {}),
    ('any-null', 'any', 'GET', '/items', {'Origin': 'null'}, 200, ANY, {}),
    ('any-error', 'any', 'GET', '/nope', {'Origin': 'https://anything.test'}, 404, ANY, {}),
    ('any-preflight', 'any', 'OPTIONS', '/items',
     preflight('https://anything.test', 'DELETE', 'X-Custom, Content-Type'), 200,
     {ALLOW_ORIGIN: '*', ALLOW_METHODS: 'DELETE', ALLOW_HEADERS: 'x-custom, content-type',
      'Vary': VARY_PREFLIGHT}, {}),
    ('any-preflight-own-route', 'any', 'OPTIONS', '/opts', preflight('https://anything.test'),
     200, {ALLOW_ORIGIN: '*', ALLOW_METHODS: 'PUT', 'Vary': VARY_PREFLIGHT}, {'body': ''}),

    # -- a list of origins, preflights echo what they ask for --
    ('echo-actual', 'echo', 'GET', '/items', {'Origin': EXAMPLE}, 200,
     {ALLOW_ORIGIN: EXAMPLE, 'Vary': 'Origin'}, {}),
    ('echo-preflight', 'echo', 'OPTIONS', '/items', preflight(EXAMPLE, 'PATCH', 'X-A,x-b'), 200,
     {ALLOW_ORIGIN: EXAMPLE, ALLOW_METHODS: 'PATCH', ALLOW_HEADERS: 'x-a, x-b',
      'Vary': 'Origin, ' + VARY_PREFLIGHT}, {}),
    ('echo-preflight-no-headers', 'echo', 'OPTIONS', '/items', preflight(EXAMPLE, 'PUT'), 200,
     {ALLOW_ORIGIN: EXAMPLE, ALLOW_METHODS: 'PUT', 'Vary': 'Origin, ' + VARY_PREFLIGHT}, {}),
    ('echo-preflight-junk-headers', 'echo', 'OPTIONS', '/items',
     preflight(EXAMPLE, 'PUT', 'x-ok, bad header, , (x), X-OK'), 200,
     {ALLOW_ORIGIN: EXAMPLE, ALLOW_METHODS: 'PUT', ALLOW_HEADERS: 'x-ok',
      'Vary': 'Origin, ' + VARY_PREFLIGHT}, {}),
    ('echo-preflight-junk-method', 'echo', 'OPTIONS', '/items', preflight(EXAMPLE, 'P(T'), 200,
     {ALLOW_ORIGIN: EXAMPLE, 'Vary': 'Origin, ' + VARY_PREFLIGHT}, {}),
    ('echo-preflight-not-allowed', 'echo', 'OPTIONS', '/items', preflight('https://evil.com'),
     200, ONLY_VARY, {}),

    # -- defaults: nothing allowed, so nothing depends on the origin (no Vary either) --
    ('default-actual', 'default', 'GET', '/items', {'Origin': EXAMPLE}, 200, {}, {}),
    ('default-preflight', 'default', 'OPTIONS', '/items', preflight(EXAMPLE), 200, {},
     {'Allow': 'GET, POST, HEAD, OPTIONS'}),
]


def cors_headers(headers):
    """``{lower-case name: value}`` of the ``Access-Control-*`` and ``Vary`` headers of
    ``headers`` (any mapping or list of pairs)."""
    items = headers.items() if hasattr(headers, 'items') else headers
    found = {}
    for name, value in items:
        name = name.lower()
        if name.startswith('access-control-') or name == 'vary':
            if name in found:
                raise AssertionError('header {} sent twice'.format(name))
            found[name] = value
    return found


def lower_keys(headers):
    result = {}
    for name in headers:
        result[name.lower()] = headers[name]
    return result


def check(case, status, headers, body):
    """``None`` when the answer matches ``case``, else a description of the difference.
    ``headers`` is a list of ``(name, value)`` pairs as received."""
    case_id, _, _, _, _, want_status, want_cors, extra = case
    problems = []
    if status != want_status:
        problems.append('status {} != {}'.format(status, want_status))
    got = cors_headers(headers)
    want = lower_keys(want_cors)
    if got != want:
        problems.append('CORS headers {} != {}'.format(sorted(got.items()), sorted(want.items())))
    all_headers = {}
    for name, value in headers:
        all_headers[name.lower()] = value
    for name in extra:
        if name == 'body':
            if body != extra['body']:
                problems.append('body {!r} != {!r}'.format(body, extra['body']))
        elif all_headers.get(name.lower()) != extra[name]:
            problems.append('{} {!r} != {!r}'.format(name, all_headers.get(name.lower()),
                                                     extra[name]))
    if problems:
        return case_id + ': ' + '; '.join(problems)
    return None
