"""microdot.multipart on a real server (LiveServer) with real clients (httpx, raw sockets)."""
import hashlib
import os
import socket

import httpx
import pytest

from microdot import Microdot
from microdot.multipart import FileUpload, FormDataIter, Multipart, sanitize_filename, \
    with_form_data
from microdot.test_client import TestClient
from microdot.testing import LiveServer

BIG = 64 * 1024 * 1024


def make_app(spool_dir, **limits):
    app = Microdot()
    app.max_content_length = BIG
    Multipart(app, spool_dir=str(spool_dir), **limits)
    seen = {}

    @app.post('/form')
    @with_form_data
    async def form(request):
        files = {}
        for name in request.files:
            files[name] = []
            for f in request.files.getlist(name):
                data = await f.read()
                files[name].append({'filename': f.filename, 'raw': f.raw_filename,
                                    'type': f.content_type, 'size': len(data),
                                    'sha': hashlib.sha256(data).hexdigest(),
                                    'spooled': f._path is not None})
                seen.setdefault('paths', []).append(f._path)
        return {'form': {k: request.form.getlist(k) for k in request.form},
                'files': files}

    @app.post('/save')
    @with_form_data
    async def save(request):
        f = request.files['file']
        path = os.path.join(str(spool_dir), 'saved-' + f.filename)
        n = await f.save(path)
        with open(path, 'rb') as fp:
            digest = hashlib.sha256(fp.read()).hexdigest()
        os.remove(path)
        return {'written': n, 'sha': digest}

    @app.post('/stream')
    async def stream(request):
        out = []
        async for name, value in FormDataIter(request):
            if isinstance(value, FileUpload):
                h = hashlib.sha256()
                size = 0
                while True:
                    chunk = await value.read(1000)
                    if not chunk:
                        break
                    size += len(chunk)
                    h.update(chunk)
                out.append([name, value.filename, size, h.hexdigest()])
            else:
                out.append([name, value])
        return out

    @app.post('/skip')
    async def skip(request):
        names = []
        async for name, value in FormDataIter(request):
            names.append(name)  # files are never read: the iterator skips them
        return names

    @app.route('/plain', methods=['GET', 'POST'])
    @with_form_data
    async def plain(request):
        return {'form': None if request.form is None else dict(request.form),
                'files': request.files is not None}

    @app.post('/small')
    @with_form_data(max_file_size=10, max_field_size=5)
    async def small(request):
        return 'ok'

    return app, seen


@pytest.fixture
def server(tmp_path):
    app, seen = make_app(tmp_path)
    with LiveServer(app) as srv:
        srv.seen = seen
        srv.tmp = tmp_path
        yield srv


def test_fields_and_files_repeated_kept(server):
    res = httpx.post(server.url + '/form', data={'a': ['1', '2'], 'b': 'héllo'},
                     files=[('f', ('one.txt', b'first', 'text/plain')),
                            ('f', ('two.bin', b'\x00' * 3000, 'application/octet-stream'))])
    assert res.status_code == 200, res.text
    body = res.json()
    assert body['form'] == {'a': ['1', '2'], 'b': ['héllo']}
    assert [f['filename'] for f in body['files']['f']] == ['one.txt', 'two.bin']
    assert body['files']['f'][0]['type'] == 'text/plain'
    assert body['files']['f'][1]['size'] == 3000


def test_small_file_in_memory_large_file_spooled_and_removed(server):
    big = os.urandom(100 * 1024)
    res = httpx.post(server.url + '/form', files={'small': ('s.txt', b'x' * 100),
                                                  'big': ('b.bin', big)})
    body = res.json()
    assert body['files']['small'][0]['spooled'] is False
    assert body['files']['big'][0]['spooled'] is True
    assert body['files']['big'][0]['sha'] == hashlib.sha256(big).hexdigest()
    for path in server.seen['paths']:
        if path:
            assert not os.path.exists(path)  # closed after the route
    assert not [p for p in os.listdir(str(server.tmp)) if p.startswith('microdot-upload-')]


def test_save_large_upload_streams(server):
    data = os.urandom(5 * 1024 * 1024 + 17)
    res = httpx.post(server.url + '/save', files={'file': ('big.bin', data)}, timeout=60)
    assert res.status_code == 200, res.text
    assert res.json() == {'written': len(data), 'sha': hashlib.sha256(data).hexdigest()}


def test_streaming_iterator(server):
    data = os.urandom(70000)
    res = httpx.post(server.url + '/stream', data={'x': 'y'},
                     files={'up': ('../../etc/passwd', data)})
    assert res.json() == [['x', 'y'], ['up', 'passwd', 70000, hashlib.sha256(data).hexdigest()]]


def test_unread_files_are_skipped(server):
    res = httpx.post(server.url + '/skip', data={'a': '1', 'z': '2'},
                     files={'f': ('f', os.urandom(50000))})
    assert sorted(res.json()) == ['a', 'f', 'z']


def test_non_multipart_requests_untouched(server):
    assert httpx.get(server.url + '/plain').json() == {'form': None, 'files': False}
    res = httpx.post(server.url + '/plain', data={'k': 'v'})
    assert res.json() == {'form': {'k': ['v']}, 'files': False}


def multipart_body(boundary, parts, epilogue=True):
    out = b''
    for head, data in parts:
        out += b'--' + boundary + b'\r\n' + head + b'\r\n\r\n' + data + b'\r\n'
    if epilogue:
        out += b'--' + boundary + b'--\r\n'
    return out


def post_raw(server, path, body, boundary=b'XyZ', ctype=None):
    ctype = ctype or b'multipart/form-data; boundary=' + boundary
    return httpx.post(server.url + path, content=body,
                      headers={'Content-Type': ctype.decode()}, timeout=30)


def field(name, value):
    return (b'Content-Disposition: form-data; name="' + name + b'"', value)


@pytest.mark.parametrize('body, status', [
    (b'no delimiter at all', 400),
    (b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished', 400),
    (b'--XyZ\r\nNoColonHere\r\n\r\nx\r\n--XyZ--', 400),
    (b'--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--', 400),
    (b'--XyZ\r\nContent-Disposition: attachment; name="a"\r\n\r\nx\r\n--XyZ--', 400),
    (b'--XyZ\r\nContent-Disposition: form-data; name="a\r\n\r\nx\r\n--XyZ--', 400),
    (b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--XyZ--', 400),
], ids=['no-delimiter', 'truncated', 'header-no-colon', 'no-disposition', 'not-form-data',
        'unterminated-quote', 'field-not-utf8'])
def test_malformed_bodies_are_400(server, body, status):
    res = post_raw(server, '/form', body)
    assert res.status_code == status, res.text


def test_missing_boundary_is_400(server):
    res = post_raw(server, '/form', b'x', ctype=b'multipart/form-data')
    assert res.status_code == 400


def test_quoted_boundary_and_preamble(server):
    body = b'preamble to ignore\r\n' + multipart_body(b'a b', [field(b'k', b'v')])
    res = post_raw(server, '/form', body, ctype=b'multipart/form-data; boundary="a b"')
    assert res.json()['form'] == {'k': ['v']}


def test_filename_star_and_sanitising(server):
    head = (b'Content-Disposition: form-data; name="f"; filename="x"; '
            b"filename*=UTF-8''..%2F..%2Fna%C3%AFve%0A.txt")
    res = post_raw(server, '/form', multipart_body(b'XyZ', [(head, b'data')]))
    f = res.json()['files']['f'][0]
    assert f['filename'] == 'naïve_.txt'
    assert f['raw'] == '../../naïve\n.txt'


def test_limits_answer_413(tmp_path):
    app, _ = make_app(tmp_path, max_parts=3, max_part_header_size=200, max_field_size=100,
                      max_file_size=1000)
    with LiveServer(app) as server:
        many = multipart_body(b'XyZ', [field(b'a', b'1')] * 4)
        res = post_raw(server, '/form', many)
        assert (res.status_code, res.text) == (413, 'Too many multipart parts')
        assert post_raw(server, '/form', multipart_body(b'XyZ', [field(b'a', b'1')] * 3)) \
            .status_code == 200
        long_head = (b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b'p' * 300, b'1')
        res = post_raw(server, '/form', multipart_body(b'XyZ', [long_head]))
        assert (res.status_code, res.text) == (413, 'Multipart part headers too large')
        res = post_raw(server, '/form', multipart_body(b'XyZ', [field(b'a', b'x' * 101)]))
        assert (res.status_code, res.text) == (413, 'Form field too large')
        assert post_raw(server, '/form', multipart_body(b'XyZ', [field(b'a', b'x' * 100)])) \
            .status_code == 200
        res = httpx.post(server.url + '/form', files={'f': ('f', b'x' * 1001)})
        assert (res.status_code, res.text) == (413, 'Uploaded file too large')
        assert httpx.post(server.url + '/form', files={'f': ('f', b'x' * 1000)}) \
            .status_code == 200
        # per-route options
        res = httpx.post(server.url + '/small', files={'f': ('f', b'x' * 11)})
        assert res.status_code == 413
        res = post_raw(server, '/small', multipart_body(b'XyZ', [field(b'f', b'toolong')]))
        assert res.status_code == 413
        assert post_raw(server, '/small', multipart_body(b'XyZ', [field(b'f', b'ok')])) \
            .status_code == 200
        # the server is still fine
        assert httpx.get(server.url + '/plain').status_code == 200


def test_app_content_limit_refuses_before_the_handler(tmp_path):
    app, _ = make_app(tmp_path)
    app.max_content_length = 1000
    with LiveServer(app) as server:
        res = httpx.post(server.url + '/form', files={'f': ('f', b'x' * 2000)})
        assert res.status_code == 413


async def test_boundary_split_across_every_chunk_position():
    """Parts whose data ends with a near-boundary, over many chunk sizes (in process)."""
    app = Microdot()
    app.max_content_length = BIG

    @app.post('/echo')
    async def echo(request):
        out = []
        async for name, value in FormDataIter(request, chunk_size=int(request.args['c'])):
            out.append([name, (await value.read()).hex() if isinstance(value, FileUpload)
                        else value])
        return out

    client = TestClient(app)
    tricky = [b'\r\n--XyY', b'\r\n--Xy', b'--XyZ', b'\r', b'\r\n', b'', b'\r\n-']

    if True:
        for pad in range(0, 300, 37):
            parts = []
            for i, t in enumerate(tricky):
                data = b'p' * pad + t
                parts.append((b'Content-Disposition: form-data; name="f%d"; filename="x"' % i,
                              data))
            body = multipart_body(b'XyZ', parts)
            for c in (256, 257, 300, 511, 1024):
                res = await client.post('/echo?c=%d' % c, body=body, headers={
                    'Content-Type': 'multipart/form-data; boundary=XyZ'})
                assert res.status_code == 200, res.text
                assert res.json == [['f%d' % i, (b'p' * pad + t).hex()]
                                    for i, t in enumerate(tricky)]


def test_raw_socket_truncated_upload_does_not_hurt_the_server(server):
    body = b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n' + \
        b'x' * 5000
    head = ('POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ'
            '\r\nContent-Length: {}\r\n\r\n').format(len(body) + 10000).encode()
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall(head + body)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(10)
        try:
            s.recv(1000)
        except OSError:
            pass
    assert httpx.get(server.url + '/plain').status_code == 200


def test_sanitize_filename():
    assert sanitize_filename('../../etc/passwd') == 'passwd'
    assert sanitize_filename('C:\\Users\\x\\evil.exe') == 'evil.exe'
    assert sanitize_filename('...hidden') == 'hidden'
    assert sanitize_filename('a<b>c:d"e|f?g*h') == 'a_b_c_d_e_f_g_h'
    assert sanitize_filename('..') == ''
    assert sanitize_filename('x' * 300 + '.txt') == 'x' * 196 + '.txt'


def test_extension_is_per_app(tmp_path):
    a, b = Microdot(), Microdot()
    ext = Multipart(max_parts=5)
    ext.initialize(a)
    ext.initialize(b)
    assert a.extensions['multipart'] is ext and b.extensions['multipart'] is ext
    with pytest.raises(ValueError):
        Multipart(chunk_size=10)
