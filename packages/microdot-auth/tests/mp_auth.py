"""microdot.auth (and microdot.login when microdot.session is there) under MicroPython, in
process through the test client. Prints ``FAIL`` lines and ``CHECKS <n> FAILED <m>``."""
import asyncio
import binascii

from microdot import Microdot
from microdot.auth import BasicAuth, TokenAuth, check_password, compare_digest, \
    hash_password, pbkdf2_sha256
from microdot.test_client import TestClient

results = [0, 0]


def check(label, got, want):
    results[0] += 1
    if got != want:
        results[1] += 1
        print('FAIL', label, repr(got), '!=', repr(want))


def basic(user, password):
    return 'Basic ' + binascii.b2a_base64((user + ':' + password).encode()).strip().decode()


async def auth_checks():
    # PBKDF2 by the pure-Python path (no hashlib.pbkdf2_hmac here), against CPython's hashlib
    check('pbkdf2', binascii.hexlify(pbkdf2_sha256(b'password', b'salt', 100)).decode(),
          '07e6997180cf7f12904f04100d405d34888fdf62af6d506a0ecc23b196fe99d8')
    stored = hash_password('hunter2', iterations=50)
    check('hash prefix', stored.startswith('pbkdf2_sha256$50$'), True)
    check('check ok', check_password('hunter2', stored), True)
    check('check bad', check_password('hunter3', stored), False)
    check('check garbage', check_password('x', 'nope'), False)
    check('compare', (compare_digest('a', 'a'), compare_digest('a', 'b')), (True, False))

    app = Microdot()
    auth = BasicAuth()
    token = TokenAuth(header='X-Key')

    @auth.authenticate
    def verify(request, username, password):
        if username == 'susan' and check_password(password, stored):
            return username

    @token.authenticate
    async def verify_token(request, value):
        return 'bot' if compare_digest(value, 'k1') else None

    check('decorator returns f', verify.__name__ if hasattr(verify, '__name__') else 'verify',
          'verify')

    @app.get('/')
    @auth
    async def index(request):
        return 'hi ' + request.g.current_user

    @app.get('/t')
    @token
    async def t(request):
        return request.g.current_user

    @app.get('/o')
    @auth.optional
    async def o(request):
        return repr(request.g.current_user)

    client = TestClient(app)
    res = await client.get('/', headers={'Authorization': basic('susan', 'hunter2')})
    check('basic ok', (res.status_code, res.text), (200, 'hi susan'))
    res = await client.get('/', headers={'Authorization': basic('susan', 'nope')})
    check('basic bad', res.status_code, 401)
    check('www-authenticate', res.headers.get('WWW-Authenticate'),
          'Basic realm="Please login", charset="UTF-8"')
    res = await client.get('/')
    check('basic none', res.status_code, 401)
    check('token', (await client.get('/t', headers={'X-Key': 'k1'})).text, 'bot')
    check('token bad', (await client.get('/t', headers={'X-Key': 'k2'})).status_code, 401)
    check('optional', (await client.get('/o')).text, 'None')


class User:
    def __init__(self, id):
        self.id = id


async def login_checks():
    try:
        from microdot.session import Session
    except ImportError:
        print('SKIP login: microdot.session is not installed')
        return
    from microdot.login import Login
    app = Microdot()
    Session(app, secret_key='s' * 40)
    login = Login(app)

    @login.user_loader
    def load(user_id):
        return User(user_id) if user_id == 7 else None

    @app.post('/login')
    async def do_login(request):
        return await login.login_user(request, User(7), remember=3)

    @app.get('/me')
    @login
    async def me(request):
        return str(request.g.current_user.id)

    @app.get('/fresh')
    @login.fresh
    async def fresh(request):
        return 'fresh'

    client = TestClient(app)
    res = await client.get('/me')
    check('logged out', (res.status_code, res.headers.get('Location')),
          (302, '/login?next=/me'))
    res = await client.post('/login?next=//evil.example')
    check('login redirect', (res.status_code, res.headers.get('Location')), (302, '/'))
    cookies = res.headers.get('Set-Cookie')
    cookies = cookies if isinstance(cookies, list) else [cookies]
    remember = [c for c in cookies if c.startswith('_remember=')]
    check('remember cookie', len(remember), 1)
    check('remember max-age', 'Max-Age=259200' in remember[0], True)
    check('remember httponly', 'HttpOnly' in remember[0], True)
    check('me', (await client.get('/me')).text, '7')
    check('fresh', (await client.get('/fresh')).text, 'fresh')
    # a new browser session with only the remember-me cookie
    token = remember[0].split(';')[0].split('=', 1)[1]
    client2 = TestClient(app, cookies={'_remember': token})
    check('restored', (await client2.get('/me')).text, '7')
    check('not fresh', (await client2.get('/fresh')).status_code, 302)


async def main():
    await auth_checks()
    await login_checks()
    print('CHECKS {} FAILED {}'.format(*results))


asyncio.run(main())
