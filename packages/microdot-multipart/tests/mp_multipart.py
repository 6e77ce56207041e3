"""microdot.multipart under MicroPython, in process through the test client. Prints ``FAIL``
lines and ``CHECKS <n> FAILED <m>``."""
import asyncio
import os

from microdot import Microdot
from microdot.multipart import FileUpload, FormDataIter, Multipart, sanitize_filename, \
    with_form_data
from microdot.test_client import TestClient

results = [0, 0]
SPOOL = os.getcwd()


def check(label, got, want):
    results[0] += 1
    if got != want:
        results[1] += 1
        print('FAIL', label, repr(got), '!=', repr(want))


def body(parts, boundary=b'XyZ'):
    out = b''
    for head, data in parts:
        out += b'--' + boundary + b'\r\n' + head + b'\r\n\r\n' + data + b'\r\n'
    return out + b'--' + boundary + b'--\r\n'


def field(name, value):
    return (b'Content-Disposition: form-data; name="' + name + b'"', value)


def upload(name, filename, data):
    return (b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename +
            b'"\r\nContent-Type: application/octet-stream', data)


HEADERS = {'Content-Type': 'multipart/form-data; boundary=XyZ'}


async def main():
    app = Microdot()
    app.max_content_length = 1024 * 1024
    Multipart(app, max_parts=5, max_field_size=50, max_file_size=20000, max_memory_size=1000,
              spool_dir=SPOOL)
    spooled = []

    @app.post('/form')
    @with_form_data
    async def form(request):
        out = {}
        for name in request.form:
            out[name] = request.form.getlist(name)
        for name in request.files:
            for f in request.files.getlist(name):
                data = await f.read()
                spooled.append(f._path)
                out[name] = [f.filename, len(data), data[:4].decode()]
        return out

    @app.post('/iter')
    async def it(request):
        names = []
        async for name, value in FormDataIter(request, chunk_size=256):
            if isinstance(value, FileUpload):
                n = 0
                while True:
                    chunk = await value.read(100)
                    if not chunk:
                        break
                    n += len(chunk)
                names.append([name, n])
            else:
                names.append([name, value])
        return names

    client = TestClient(app)
    res = await client.post('/form', headers=HEADERS, body=body(
        [field(b'a', b'1'), field(b'a', b'2'), upload(b'f', b'../x/evil.txt', b'data' * 500)]))
    check('form', res.json, {'a': ['1', '2'], 'f': ['evil.txt', 2000, 'data']})
    check('spooled and removed', [p is not None and not _exists(p) for p in spooled], [True])
    res = await client.post('/iter', headers=HEADERS, body=body(
        [field(b'x', b'y'), upload(b'f', b'a', b'\r\n--Xy' * 300), field(b'z', b'w')]))
    check('iter', res.json, [['x', 'y'], ['f', 1800], ['z', 'w']])
    res = await client.post('/form', headers=HEADERS, body=body([field(b'a', b'1')] * 6))
    check('too many parts', (res.status_code, res.text), (413, 'Too many multipart parts'))
    res = await client.post('/form', headers=HEADERS, body=body([field(b'a', b'x' * 51)]))
    check('field too large', res.status_code, 413)
    res = await client.post('/form', headers=HEADERS, body=body([upload(b'f', b'f', b'x' * 20001)]))
    check('file too large', (res.status_code, res.text), (413, 'Uploaded file too large'))
    res = await client.post('/form', headers=HEADERS, body=b'--XyZ\r\nbroken')
    check('malformed', res.status_code, 400)
    res = await client.post('/form', headers={'Content-Type': 'multipart/form-data'}, body=b'x')
    check('no boundary', res.status_code, 400)
    check('sanitize', sanitize_filename('..\\..\\a:b.txt'), 'a_b.txt')
    print('CHECKS {} FAILED {}'.format(*results))


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


asyncio.run(main())
