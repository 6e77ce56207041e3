"""CORS conformance (Fetch standard, CORS protocol), black-box over real sockets, on every runtime.

Routes: tests/apps/cors_routes.py. Each case lists the exact ``Access-Control-*`` and ``Vary``
headers of the answer (each must appear once); other headers are not compared.
"""
import httpx
import pytest

from conftest import require

EXAMPLE = 'https://example.com'
PREFLIGHT_VARY = 'Access-Control-Request-Method, Access-Control-Request-Headers'


@pytest.fixture(autouse=True)
def cors_routes(server):
    require(server, 'cors_routes')


def allowed(origin, expose=True, vary='Origin'):
    headers = {'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true',
               'vary': vary}
    if expose:
        headers['access-control-expose-headers'] = 'X-Total'
    return headers


def preflight_answer(origin):
    return dict(allowed(origin, expose=False), **{
        'access-control-allow-methods': 'GET, POST, PUT',
        'access-control-allow-headers': 'content-type, x-token',
        'access-control-max-age': '600'})


def preflight(origin, method='PUT', headers=None):
    request_headers = {'Origin': origin, 'Access-Control-Request-Method': method}
    if headers is not None:
        request_headers['Access-Control-Request-Headers'] = headers
    return request_headers


ONLY_VARY = {'vary': 'Origin'}
ANY = {'access-control-allow-origin': '*'}

CASES = [
    # (id, method, path, request headers, status, CORS headers, body or None)
    ('allowed', 'GET', '/cors/creds/items', {'Origin': EXAMPLE}, 200, allowed(EXAMPLE), 'items'),
    ('not-allowed', 'GET', '/cors/creds/items', {'Origin': 'https://evil.test'}, 200, ONLY_VARY,
     'items'),
    ('missing-origin', 'GET', '/cors/creds/items', {}, 200, ONLY_VARY, 'items'),
    ('null-listed', 'GET', '/cors/creds/items', {'Origin': 'null'}, 200, allowed('null'), None),
    ('subdomain', 'GET', '/cors/creds/items', {'Origin': 'https://api.example.org'}, 200,
     allowed('https://api.example.org'), None),
    ('subdomain-base', 'GET', '/cors/creds/items', {'Origin': 'https://example.org'}, 200,
     ONLY_VARY, None),
    ('subdomain-scheme', 'GET', '/cors/creds/items', {'Origin': 'http://api.example.org'}, 200,
     ONLY_VARY, None),
    ('subdomain-port', 'GET', '/cors/creds/items', {'Origin': 'https://api.example.org:444'},
     200, ONLY_VARY, None),
    ('lookalike', 'GET', '/cors/creds/items', {'Origin': 'https://example.com.evil.test'}, 200,
     ONLY_VARY, None),
    ('vary-merged', 'GET', '/cors/creds/vary', {'Origin': EXAMPLE}, 200,
     allowed(EXAMPLE, vary='Accept-Encoding, Origin'), 'varies'),
    ('streamed', 'GET', '/cors/creds/stream', {'Origin': EXAMPLE}, 200, allowed(EXAMPLE), 'abc'),
    ('error-405', 'DELETE', '/cors/creds/items', {'Origin': EXAMPLE}, 405, allowed(EXAMPLE),
     None),
    ('error-500', 'GET', '/cors/creds/boom', {'Origin': EXAMPLE}, 500, allowed(EXAMPLE), None),
    ('error-abort', 'GET', '/cors/creds/forbidden', {'Origin': EXAMPLE}, 403, allowed(EXAMPLE),
     None),
    ('preflight', 'OPTIONS', '/cors/creds/items', preflight(EXAMPLE, 'PUT', 'x-token'), 200,
     preflight_answer(EXAMPLE), ''),
    ('preflight-null', 'OPTIONS', '/cors/creds/items', preflight('null'), 200,
     preflight_answer('null'), ''),
    ('preflight-subdomain', 'OPTIONS', '/cors/creds/items', preflight('https://a.example.org'),
     200, preflight_answer('https://a.example.org'), ''),
    ('preflight-not-allowed', 'OPTIONS', '/cors/creds/items', preflight('https://evil.test'), 200,
     ONLY_VARY, ''),
    ('preflight-own-options-route', 'OPTIONS', '/cors/creds/opts', preflight(EXAMPLE), 200,
     preflight_answer(EXAMPLE), ''),
    ('preflight-own-route-not-allowed', 'OPTIONS', '/cors/creds/opts',
     preflight('https://evil.test'), 200, ONLY_VARY, 'app options'),
    ('options-not-preflight', 'OPTIONS', '/cors/creds/opts', {'Origin': EXAMPLE}, 200,
     allowed(EXAMPLE), 'app options'),
    ('any-no-origin', 'GET', '/cors/any/items', {}, 200, ANY, 'items'),
    ('any-origin', 'GET', '/cors/any/items', {'Origin': 'https://anything.test'}, 200, ANY, None),
    ('any-error', 'GET', '/cors/any/boom', {'Origin': 'https://anything.test'}, 500, ANY, None),
    ('any-preflight', 'OPTIONS', '/cors/any/items',
     preflight('https://anything.test', 'DELETE', 'X-Custom'), 200,
     dict(ANY, **{'access-control-allow-methods': 'DELETE',
                  'access-control-allow-headers': 'x-custom', 'vary': PREFLIGHT_VARY}), ''),
]


def cors_headers(res):
    found = {}
    for name, value in res.headers.multi_items():
        name = name.lower()
        if name.startswith('access-control-') or name == 'vary':
            assert name not in found, 'header {} sent twice'.format(name)
            found[name] = value
    return found


@pytest.mark.parametrize('case', CASES, ids=[case[0] for case in CASES])
def test_cors_table(server, case):
    _, method, path, headers, status, want, body = case
    res = httpx.request(method, server.url + path, headers=headers, timeout=10)
    assert res.status_code == status
    assert cors_headers(res) == want
    if body is not None:
        assert res.text == body


def test_preflight_answer_keeps_allow(server):
    res = httpx.options(server.url + '/cors/creds/items', headers=preflight(EXAMPLE), timeout=10)
    assert res.headers['allow'] == 'GET, POST, HEAD, OPTIONS'


def test_preflight_to_a_path_without_route_is_404(server):
    res = httpx.options(server.url + '/cors/creds/nope', headers=preflight(EXAMPLE), timeout=10)
    assert res.status_code == 404
    assert 'access-control-allow-methods' not in res.headers


def test_other_routes_are_untouched(server):
    res = httpx.get(server.url + '/_features', headers={'Origin': EXAMPLE}, timeout=10)
    assert res.status_code == 200
    assert cors_headers(res) == {}
