"""Configuration: what is refused (and how clearly), how origins are read, the extension's life
on an app (initialise once, several apps, handle_cors=False, sub-apps, the registry)."""
import pytest

from microdot import Microdot, Response
from microdot.cors import CORS
from microdot.test_client import TestClient

EXAMPLE = 'https://example.com'


# -- '*' with credentials is refused -------------------------------------------------------------

@pytest.mark.parametrize('origins', ['*', ['*'], [EXAMPLE, '*']])
def test_any_origin_with_credentials_is_refused(origins):
    with pytest.raises(ValueError) as info:
        CORS(allowed_origins=origins, allow_credentials=True)
    message = str(info.value)
    assert "allowed_origins='*' cannot be used with allow_credentials=True" in message
    assert 'List the origins you trust' in message


def test_refused_on_the_app_too_and_nothing_installed():
    app = Microdot()
    with pytest.raises(ValueError):
        CORS(app, allowed_origins='*', allow_credentials=True)
    assert 'cors' not in app.extensions
    assert app.after_request_handlers == [] and app.before_request_handlers == []


def test_credentials_added_later_to_any_origin_is_refused():
    cors = CORS(allowed_origins='*')
    with pytest.raises(ValueError, match='cannot be used with allow_credentials=True'):
        cors.allow_credentials = True
    assert cors.allow_credentials is False


def test_any_origin_added_later_to_credentials_is_refused():
    cors = CORS(allowed_origins=[EXAMPLE], allow_credentials=True)
    with pytest.raises(ValueError, match='cannot be used with allow_credentials=True'):
        cors.allowed_origins = '*'
    assert cors.allowed_origins == [EXAMPLE]


def test_expose_any_header_with_credentials_is_refused():
    with pytest.raises(ValueError, match="expose_headers='\\*' cannot be used"):
        CORS(allowed_origins=[EXAMPLE], allow_credentials=True, expose_headers='*')


# -- origins -----------------------------------------------------------------------------------

@pytest.mark.parametrize('entry', [
    'example.com', 'https://example.com/', 'https://example.com/api', 'https://example.com?x',
    'https://user@example.com', 'https://example.com:99999', 'https://example.com:x',
    'https://a.*.example.com', 'https://*example.com', '*.example.com', 'https://*.[::1]',
    'https://exa mple.com', '', 'https://', 'https://*',
])
def test_not_an_origin_is_refused_with_a_clear_message(entry):
    with pytest.raises(ValueError) as info:
        CORS(allowed_origins=[entry])
    assert repr(entry) in str(info.value)


def test_non_string_origin_is_refused():
    with pytest.raises(ValueError, match='must be strings'):
        CORS(allowed_origins=[None])


@pytest.mark.parametrize('entry, origin, allowed', [
    ('HTTPS://Example.COM', EXAMPLE, True),
    ('https://example.com:443', EXAMPLE, True),
    ('http://example.com:80', 'http://example.com', True),
    ('http://example.com:8080', 'http://example.com:8080', True),
    ('http://example.com:8080', 'http://example.com', False),
    ('http://127.0.0.1:5000', 'http://127.0.0.1:5000', True),
    ('http://[::1]:5000', 'http://[::1]:5000', True),
    ('http://[::1]:5000', 'http://[::2]:5000', False),
    (EXAMPLE, 'null', False),
    (EXAMPLE, '', False),
    (EXAMPLE, 'https://example.com/', False),
    (EXAMPLE, 'https://example.com.', False),
    (EXAMPLE, 'https://example.com:443', True),  # no browser sends it, but it is this origin
    ('null', 'null', True),
    ('null', 'NULL', False),
    ('https://*.example.com', 'https://a.example.com', True),
    ('https://*.example.com', 'https://a-b.c.example.com', True),
    ('https://*.example.com', 'https://example.com', False),
    ('https://*.example.com', 'https://a.example.com:443', True),
    ('https://*.example.com', 'https://a.example.com:444', False),
    ('https://*.example.com:8443', 'https://a.example.com:8443', True),
    ('https://*.example.com:8443', 'https://a.example.com', False),
    ('https://*.example.com', 'https://a_example.com', False),
    ('https://*.example.com', 'https://a..example.com', False),
    ('https://*.example.com', 'https://a.example.com@evil.com', False),
    ('https://*.example.com', 'https://evil.com/.example.com', False),
])
def test_origin_matching(entry, origin, allowed):
    assert CORS(allowed_origins=[entry]).origin_allowed(origin) is allowed


def test_no_origin_is_allowed_by_default():
    cors = CORS()
    assert cors.allowed_origins is None
    assert not cors.origin_allowed(EXAMPLE)
    assert not cors.origin_allowed('null')


def test_a_single_origin_may_be_a_string():
    assert CORS(allowed_origins=EXAMPLE).origin_allowed(EXAMPLE)


# -- other options -------------------------------------------------------------------------------

def test_names_are_normalised_like_2x():
    cors = CORS(allowed_methods=['get', 'Post'], allowed_headers=['X-Token', 'Content-Type'])
    assert cors.allowed_methods == ['GET', 'POST']
    assert cors.allowed_headers == ['x-token', 'content-type']
    assert CORS(allowed_headers='X-A, X-B').allowed_headers == ['x-a', 'x-b']


@pytest.mark.parametrize('value', [None, '*', ['*']])
def test_any_method_or_header(value):
    cors = CORS(allowed_methods=value, allowed_headers=value)
    assert cors.allowed_methods is None and cors.allowed_headers is None


@pytest.mark.parametrize('option, value', [
    ('allowed_methods', ['GE T']), ('allowed_headers', ['x:y']), ('expose_headers', [3]),
    ('max_age', -1), ('max_age', 'ten'), ('max_age', True),
])
def test_bad_option_values_are_refused(option, value):
    with pytest.raises(ValueError, match=option):
        CORS(**{option: value})


# -- the extension on an app ---------------------------------------------------------------------

def test_recorded_in_app_extensions_and_options_handler_untouched():
    app = Microdot()
    options_handler = app.options_handler
    cors = CORS(app, allowed_origins=[EXAMPLE])
    assert app.extensions['cors'] is cors
    assert app.options_handler == options_handler


def test_initialise_twice_on_one_app_is_refused():
    app = Microdot()
    cors = CORS(app)
    with pytest.raises(RuntimeError, match="'cors' is already initialised"):
        cors.initialize(app)
    with pytest.raises(RuntimeError):
        CORS(app)


async def test_one_object_serves_several_apps():
    cors = CORS(allowed_origins=[EXAMPLE])
    apps = [Microdot(), Microdot()]
    for app in apps:
        cors.initialize(app)

        @app.get('/')
        def index(request):
            return 'hi'

    for app in apps:
        assert app.extensions['cors'] is cors
        res = await TestClient(app).get('/', headers={'Origin': EXAMPLE})
        assert res.headers['Access-Control-Allow-Origin'] == EXAMPLE


async def test_handle_cors_false_installs_no_hooks_and_the_app_adds_headers():
    app = Microdot()
    cors = CORS(app, allowed_origins=[EXAMPLE], handle_cors=False)
    assert app.extensions['cors'] is cors
    assert not (app.before_request_handlers or app.after_request_handlers or
                app.after_error_request_handlers)

    @app.get('/manual')
    def manual(request):
        return 'manual', cors.get_cors_headers(request)

    @app.get('/hook')
    def hook(request):
        request.after_request(cors.after_request)
        return 'hook', {'Vary': 'Cookie'}

    @app.get('/plain')
    def plain(request):
        return 'plain'

    client = TestClient(app)
    res = await client.get('/manual', headers={'Origin': EXAMPLE})
    assert res.headers['Access-Control-Allow-Origin'] == EXAMPLE
    assert res.headers['Vary'] == 'Origin'
    res = await client.get('/hook', headers={'Origin': EXAMPLE})
    assert res.headers['Access-Control-Allow-Origin'] == EXAMPLE
    assert res.headers['Vary'] == 'Cookie, Origin'
    res = await client.get('/plain', headers={'Origin': EXAMPLE})
    assert 'Access-Control-Allow-Origin' not in res.headers and 'Vary' not in res.headers


async def test_deferred_initialize_uses_the_constructor_handle_cors():
    app = Microdot()
    CORS(handle_cors=False).initialize(app)
    assert not app.after_request_handlers


async def test_options_changed_later_take_effect():
    app = Microdot()
    cors = CORS(app, allowed_origins=[EXAMPLE])

    @app.get('/')
    def index(request):
        return 'hi'

    client = TestClient(app)
    other = 'https://other.example'
    res = await client.get('/', headers={'Origin': other})
    assert 'Access-Control-Allow-Origin' not in res.headers
    cors.allowed_origins = [EXAMPLE, other]
    res = await client.get('/', headers={'Origin': other})
    assert res.headers['Access-Control-Allow-Origin'] == other


async def test_already_handled_response_is_left_alone():
    app = Microdot()
    CORS(app, allowed_origins=[EXAMPLE], expose_headers=['X-A'])

    @app.get('/taken')
    def taken(request):
        return Response.already_handled

    before = dict(Response.already_handled.headers)
    await TestClient(app).get('/taken', headers={'Origin': EXAMPLE})
    assert dict(Response.already_handled.headers) == before


async def test_cors_on_a_local_subapp_only():
    """CORS for an /api sub-app only: its actual requests *and* its automatic preflights get the
    headers, the rest of the app none."""
    api = Microdot()
    CORS(api, allowed_origins=[EXAMPLE], allowed_methods=['GET', 'PUT'])

    @api.route('/items', methods=['GET', 'PUT'])
    def items(request):
        return 'items'

    app = Microdot()

    @app.get('/home')
    def home(request):
        return 'home'

    app.mount(api, url_prefix='/api', local=True)
    client = TestClient(app)
    res = await client.get('/api/items', headers={'Origin': EXAMPLE})
    assert res.headers['Access-Control-Allow-Origin'] == EXAMPLE
    res = await client.request('OPTIONS', '/api/items', headers={
        'Origin': EXAMPLE, 'Access-Control-Request-Method': 'PUT'})
    assert res.status_code == 200
    assert res.headers['Access-Control-Allow-Origin'] == EXAMPLE
    assert res.headers['Access-Control-Allow-Methods'] == 'GET, PUT'
    res = await client.request('DELETE', '/api/items', headers={'Origin': EXAMPLE})
    assert res.status_code == 405
    assert res.headers['Access-Control-Allow-Origin'] == EXAMPLE
    res = await client.get('/home', headers={'Origin': EXAMPLE})
    assert 'Access-Control-Allow-Origin' not in res.headers and 'Vary' not in res.headers


def test_found_through_the_registry():
    from microdot import registry
    info = registry.find_extension('cors')
    assert info.distribution == 'microdot-cors'
    assert info.compatible, info.reason
    assert info.load() is CORS
    app = Microdot()
    cors = registry.initialize_extension(app, 'cors', allowed_origins=[EXAMPLE])
    assert isinstance(cors, CORS) and app.extensions['cors'] is cors


async def test_options_handler_none_like_2x():
    """With ``app.options_handler = None`` OPTIONS is routed like any method: a path with an
    OPTIONS route still gets its preflight answered, one without answers 405 (with the origin's
    headers, as every error)."""
    app = Microdot()
    app.options_handler = None
    CORS(app, allowed_origins=[EXAMPLE])

    @app.route('/with', methods=['GET', 'OPTIONS'])
    def with_options(request):
        return 'app options'

    @app.get('/without')
    def without_options(request):
        return 'get'

    client = TestClient(app)
    headers = {'Origin': EXAMPLE, 'Access-Control-Request-Method': 'PUT'}
    res = await client.request('OPTIONS', '/with', headers=headers)
    assert res.status_code == 200 and res.text == ''
    assert res.headers['Access-Control-Allow-Methods'] == 'PUT'
    res = await client.request('OPTIONS', '/without', headers=headers)
    assert res.status_code == 405
    assert res.headers['Access-Control-Allow-Origin'] == EXAMPLE
    assert 'Access-Control-Allow-Methods' not in res.headers


async def test_payload_too_large_carries_the_headers():
    """413 (app.max_content_length) comes from dispatch, so it goes through after_error hooks.
    (Protocol errors the server answers before dispatch, such as 431, have no request to ask.)"""
    app = Microdot()
    app.max_content_length = 10
    CORS(app, allowed_origins=[EXAMPLE])

    @app.post('/upload')
    def upload(request):
        return 'ok'

    res = await TestClient(app).post('/upload', headers={'Origin': EXAMPLE}, body=b'x' * 100)
    assert res.status_code == 413
    assert res.headers['Access-Control-Allow-Origin'] == EXAMPLE
    assert res.headers['Vary'] == 'Origin'
