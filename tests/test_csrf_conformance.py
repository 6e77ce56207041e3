"""CSRF conformance (Sec-Fetch-Site, Origin), black-box over real sockets, on every runtime.
Routes: tests/apps/csrf_routes.py."""
import httpx
import pytest

from conftest import require


@pytest.fixture(autouse=True)
def csrf_routes(server):
    require(server, 'csrf_routes')


@pytest.mark.parametrize('headers, status', [
    ({}, 200),
    ({'Sec-Fetch-Site': 'same-origin'}, 200),
    ({'Sec-Fetch-Site': 'none'}, 200),
    ({'Sec-Fetch-Site': 'same-site'}, 403),
    ({'Sec-Fetch-Site': 'cross-site'}, 403),
    ({'Origin': 'https://evil.example'}, 403),
    ({'Origin': 'null'}, 403),
    ({'Sec-Fetch-Site': 'cross-site', 'Origin': 'https://trusted.example'}, 200),
    ({'Sec-Fetch-Site': 'cross-site', 'Origin': 'http://trusted.example'}, 403),
], ids=['no-headers', 'same-origin', 'none', 'same-site', 'cross-site', 'foreign-origin',
        'null-origin', 'trusted-origin', 'trusted-host-other-scheme'])
def test_unsafe_methods(server, headers, status):
    for method in ('POST', 'PUT', 'DELETE'):
        res = httpx.request(method, server.url + '/csrf/submit', headers=headers)
        assert res.status_code == status, (method, res.text)
        if status == 403:
            assert res.text == 'Forbidden'
        else:
            assert res.text == 'done ' + method


def test_own_origin_without_fetch_metadata(server):
    res = httpx.post(server.url + '/csrf/submit', headers={'Origin': server.url})
    assert res.status_code == 200


def test_safe_methods_exempt_and_protected_routes(server):
    evil = {'Sec-Fetch-Site': 'cross-site', 'Origin': 'https://evil.example'}
    assert httpx.get(server.url + '/csrf/submit', headers=evil).text == 'done GET'
    assert httpx.post(server.url + '/csrf/exempt', headers=evil).text == 'exempt'
    assert httpx.get(server.url + '/csrf/protected', headers=evil).status_code == 403
    assert httpx.get(server.url + '/csrf/protected').text == 'protected'


def test_check_stays_on_its_sub_app(server):
    # the core's routes are not checked (local=True mount)
    res = httpx.get(server.url + '/_features', headers={'Sec-Fetch-Site': 'cross-site'})
    assert res.status_code == 200
