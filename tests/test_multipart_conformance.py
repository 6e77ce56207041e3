"""multipart/form-data conformance, black-box over real sockets, on every runtime.
Routes: tests/apps/multipart_routes.py (10 parts, 1000-byte fields, 8000-byte files)."""
import hashlib
import os

import httpx
import pytest

from conftest import require


@pytest.fixture(autouse=True)
def multipart_routes(server):
    require(server, 'multipart_routes')


def sha(data):
    return hashlib.sha256(data).hexdigest()


def raw_post(server, path, body, boundary='XyZ'):
    return httpx.post(server.url + path, content=body, timeout=30,
                      headers={'Content-Type': 'multipart/form-data; boundary=' + boundary})


def parts(*items):
    out = b''
    for head, data in items:
        out += b'--XyZ\r\n' + head + b'\r\n\r\n' + data + b'\r\n'
    return out + b'--XyZ--\r\n'


def field(name, value):
    return (b'Content-Disposition: form-data; name="' + name + b'"', value)


def test_fields_and_files(server):
    a, b = os.urandom(3000), os.urandom(7000)
    res = httpx.post(server.url + '/multipart/form', data={'tag': ['x', 'y'], 'name': 'é'},
                     files=[('f', ('a.bin', a, 'application/octet-stream')),
                            ('f', ('../../b.txt', b, 'text/plain'))])
    assert res.status_code == 200, res.text
    body = res.json()
    assert body['form'] == {'tag': ['x', 'y'], 'name': ['é']}
    assert body['files']['f'] == [
        {'filename': 'a.bin', 'type': 'application/octet-stream', 'size': 3000, 'sha256': sha(a)},
        {'filename': 'b.txt', 'type': 'text/plain', 'size': 7000, 'sha256': sha(b)}]


def test_streaming_iterator(server):
    data = os.urandom(7999)
    res = httpx.post(server.url + '/multipart/stream', data={'k': 'v'},
                     files={'up': ('u.bin', data)})
    assert res.json() == [['k', 'v'], ['up', 'u.bin', 7999, sha(data)]]


def test_other_requests_untouched(server):
    res = httpx.post(server.url + '/multipart/form', data={'k': 'v'})
    assert res.json() == {'form': {'k': ['v']}, 'files': {}}


@pytest.mark.parametrize('body, status, text', [
    (parts(*[field(b'a', b'1')] * 11), 413, 'Too many multipart parts'),
    (parts(field(b'a', b'x' * 1001)), 413, 'Form field too large'),
    (parts((b'Content-Disposition: form-data; name="f"; filename="f"', b'x' * 8001)), 413,
     'Uploaded file too large'),
    (parts((b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b'p' * 600, b'1')), 413,
     'Multipart part headers too large'),
    (b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end', 400, None),
    (b'garbage', 400, None),
    (b'--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n', 400, None),
], ids=['parts', 'field', 'file', 'part-headers', 'truncated', 'garbage', 'no-disposition'])
def test_limits_and_malformed(server, body, status, text):
    res = raw_post(server, '/multipart/form', body)
    assert res.status_code == status
    if text:
        assert res.text == text
    # the server keeps serving
    assert httpx.post(server.url + '/multipart/form', files={'f': ('f', b'ok')}).status_code == 200


def test_limits_at_the_edge_pass(server):
    res = raw_post(server, '/multipart/form', parts(*[field(b'a', b'1')] * 10))
    assert res.status_code == 200
    assert res.json()['form']['a'] == ['1'] * 10
    res = raw_post(server, '/multipart/form', parts(field(b'a', b'x' * 1000)))
    assert res.json()['form']['a'] == ['x' * 1000]


def test_missing_boundary(server):
    res = httpx.post(server.url + '/multipart/form', content=b'x',
                     headers={'Content-Type': 'multipart/form-data'})
    assert res.status_code == 400
