"""microdot.csrf under MicroPython, in process through the test client. Prints ``FAIL`` lines and
``CHECKS <n> FAILED <m>``."""
import asyncio

from microdot import Microdot
from microdot.csrf import CSRF
from microdot.test_client import TestClient

results = [0, 0]


def check(label, got, want):
    results[0] += 1
    if got != want:
        results[1] += 1
        print('FAIL', label, repr(got), '!=', repr(want))


async def main():
    app = Microdot()
    csrf = CSRF(app, trusted_origins=['https://admin.example.com'])

    @app.route('/data', methods=['GET', 'POST'])
    async def data(request):
        return 'ok'

    @app.post('/hook')
    @csrf.exempt
    async def hook(request):
        return 'exempt'

    client = TestClient(app)
    cases = [
        ('plain', 'POST', '/data', {}, 200),
        ('same-origin', 'POST', '/data', {'Sec-Fetch-Site': 'same-origin'}, 200),
        ('cross-site', 'POST', '/data', {'Sec-Fetch-Site': 'cross-site'}, 403),
        ('foreign-origin', 'POST', '/data', {'Origin': 'https://evil.example'}, 403),
        ('own-origin', 'POST', '/data', {'Origin': 'http://localhost', 'Host': 'localhost'}, 200),
        ('trusted', 'POST', '/data', {'Sec-Fetch-Site': 'cross-site',
                                      'Origin': 'https://admin.example.com'}, 200),
        ('null', 'POST', '/data', {'Origin': 'null'}, 403),
        ('safe', 'GET', '/data', {'Sec-Fetch-Site': 'cross-site'}, 200),
        ('exempt', 'POST', '/hook', {'Sec-Fetch-Site': 'cross-site'}, 200),
    ]
    for label, method, path, headers, status in cases:
        res = await client.request(method, path, headers=headers)
        check(label, res.status_code, status)
        if status == 403:
            check(label + ' body', res.text, 'Forbidden')
    print('CHECKS {} FAILED {}'.format(*results))


asyncio.run(main())
