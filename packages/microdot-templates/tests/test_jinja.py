"""microdot.jinja: the seed's examples, autoescaping, streaming, async, per-app environments."""
import asyncio
import threading

import httpx
import pytest

from microdot import Microdot
from microdot.jinja import JinjaExtension, Template
from microdot.test_client import TestClient
from microdot.testing import LiveServer

import wire

jinja2 = pytest.importorskip('jinja2')

HELLO = '<h1>Hello, {{ name }}!</h1>'
LIST = '<ul>{% for i in range(n) %}<li>{{ i }}</li>{% endfor %}</ul>'


async def test_seed_render_from_default_folder(project):
    project.write('templates/index.html', HELLO)
    app = Microdot()

    @app.get('/')
    async def index(req):
        return Template('index.html').render(name='World')

    res = await TestClient(app).get('/')
    assert res.status_code == 200 and res.text == '<h1>Hello, World!</h1>'


def test_seed_generate_and_initialize(project):
    project.write('my_templates/index.html', 'mine ' + HELLO)
    Template.initialize('my_templates')
    tpl = Template('index.html')
    assert tpl.name == 'index.html'
    assert isinstance(tpl.template, jinja2.Template)
    gen = tpl.generate(name='Ann')
    assert hasattr(gen, '__next__')
    assert list(gen) == ['mine <h1>Hello, Ann!</h1>']
    tpl.chunk_size = 0
    assert list(tpl.generate(name='Ann')) == ['mine <h1>Hello, ', 'Ann', '!</h1>']


def test_chunk_size_setting(project):
    project.write('templates/list.html', LIST)
    assert Template('list.html').chunk_size == 1024
    Template.initialize(chunk_size=200)
    chunks = [c.encode() for c in Template('list.html').generate(n=300)]
    wire.assert_chunk_sizes(chunks, 200)
    app = Microdot()
    JinjaExtension(app, chunk_size=0)
    assert len(list(Template('list.html', app=app).generate(n=300))) > 600


async def test_seed_enable_async(project):
    project.write('templates/index.html', HELLO)
    Template.initialize(enable_async=True)
    tpl = Template('index.html')
    assert await tpl.render_async(name='a') == '<h1>Hello, a!</h1>'
    assert ''.join([c async for c in tpl.generate_async(name='b')]) == '<h1>Hello, b!</h1>'


async def test_async_methods_need_enable_async(project):
    project.write('templates/index.html', HELLO)
    with pytest.raises(RuntimeError, match='async'):
        await Template('index.html').render_async(name='x')


def test_environment_options_and_get_template_kwargs(project):
    project.write('templates/t.html', '{{ greeting }} {{ name|shout }}')
    Template.initialize(trim_blocks=True)
    Template.jinja_env.filters['shout'] = lambda s: s.upper() + '!'
    assert Template.jinja_env.trim_blocks is True
    tpl = Template('t.html', globals={'greeting': 'hi'})
    assert tpl.render(name='ann') == 'hi ANN!'


def test_missing_template_raises_jinja_error(project):
    with pytest.raises(jinja2.TemplateNotFound):
        Template('nope.html')


# --- autoescaping ---------------------------------------------------------------------------------

async def test_html_templates_are_autoescaped_by_default(project):
    project.write('templates/page.html', '<p>{{ name }}</p><p>{{ trusted|safe }}</p>')
    project.write('templates/page.txt', '{{ name }}')
    app = Microdot()

    @app.get('/page')
    async def page(req):
        return Template('page.html').render(name=req.args['name'], trusted='<b>ok</b>')

    res = await TestClient(app).get('/page?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E')
    assert res.text == '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p><b>ok</b></p>'
    assert Template('page.txt').render(name='<b>') == '<b>'  # not HTML: not escaped


def test_autoescape_can_be_overridden(project):
    project.write('templates/page.html', '{{ name }}')
    Template.initialize(autoescape=False)
    assert Template('page.html').render(name='<b>') == '<b>'
    Template.initialize(autoescape=True)
    assert Template('page.html').render(name='<b>') == '&lt;b&gt;'


# --- streaming over a real socket -----------------------------------------------------------------

def test_generate_and_generate_async_stream_many_chunks(project):
    project.write('templates/list.html', LIST)
    app = Microdot()
    sync_env = JinjaExtension(template_dir='templates')
    Template.initialize(enable_async=True)

    @app.get('/sync')
    def sync_list(req):
        return sync_env.template('list.html').generate(n=int(req.args['n']))

    @app.get('/async')
    async def async_list(req):
        return Template('list.html').generate_async(n=int(req.args['n']))

    @app.get('/pieces')
    def pieces(req):
        tpl = sync_env.template('list.html')
        tpl.chunk_size = 0
        return tpl.generate(n=int(req.args['n']))

    expected = sync_env.template('list.html').render(n=5000)
    with LiveServer(app) as server:
        for path in ('/sync', '/async', '/pieces'):
            status, headers, chunks = wire.get_chunks(server.host, server.port, path + '?n=5000')
            assert status == 'HTTP/1.1 200 OK'
            assert headers['transfer-encoding'] == 'chunked'
            assert b''.join(chunks).decode() == expected
            if path == '/sync':  # chunks of about 1 KiB
                assert len(chunks) > 50
                wire.assert_chunk_sizes(chunks, 1024)
            else:  # Jinja's own pieces: async ones go out as they come
                assert len(chunks) >= 5000


def test_async_template_streams_before_it_is_finished(project):
    # the template waits on the app's own event (an async iterable) half way: the first half must
    # reach the client while the rest does not exist yet
    project.write('templates/feed.html', 'start{% for item in items %}|{{ item }}{% endfor %}|end')
    Template.initialize(enable_async=True)
    app = Microdot()
    release = threading.Event()

    class Items:
        def __init__(self):
            self.i = 0

        def __aiter__(self):
            return self

        async def __anext__(self):
            self.i += 1
            if self.i == 3:
                while not release.is_set():
                    await asyncio.sleep(0.01)
            if self.i > 4:
                raise StopAsyncIteration
            return self.i

    @app.get('/feed')
    async def feed(req):
        return Template('feed.html').generate_async(items=Items())

    with LiveServer(app) as server, httpx.Client(timeout=10) as client:
        with client.stream('GET', server.url + '/feed') as res:
            got = ''
            chunks = res.iter_text()
            while '|2' not in got:
                got += next(chunks)
            assert 'end' not in got
            release.set()
            got += ''.join(chunks)
    assert got == 'start|1|2|3|4|end'


# --- a folder per app -----------------------------------------------------------------------------

async def test_two_apps_two_folders_and_the_class_default(project):
    project.write('shop/index.html', 'shop {{ n }}')
    project.write('admin/index.html', 'admin {{ n }}')
    project.write('templates/index.html', 'default {{ n }}')
    shop, admin, plain = Microdot(), Microdot(), Microdot()
    JinjaExtension(shop, template_dir='shop')
    ext = JinjaExtension(template_dir='admin', enable_async=True)
    ext.initialize(admin)
    ext.environment.globals['site'] = 'A'

    for app in (shop, admin, plain):
        @app.get('/')
        async def index(req):
            return Template('index.html', app=req.app).render(n=1)

        @app.get('/by-request')
        async def by_request(req):
            return Template('index.html', app=req).generate(n=2)

    assert (await TestClient(shop).get('/')).text == 'shop 1'
    assert (await TestClient(plain).get('/')).text == 'default 1'
    assert (await TestClient(shop).get('/by-request')).text == 'shop 2'
    assert await ext.template('index.html').render_async(n=3) == 'admin 3'
    assert Template('index.html').render(n=4) == 'default 4'
    assert Template.jinja_env is not ext.environment
    with LiveServer(shop) as s1, LiveServer(plain) as s2:
        assert httpx.get(s1.url + '/').text == 'shop 1'
        assert httpx.get(s2.url + '/').text == 'default 1'


def test_entry_point_is_discovered(project):
    from microdot import registry
    info = registry.find_extension('jinja')
    assert info.distribution == 'microdot-templates' and info.compatible, info.reason
    app = Microdot()
    ext = registry.initialize_extension(app, 'jinja', template_dir='x', trim_blocks=True)
    assert isinstance(ext, JinjaExtension) and app.extensions['jinja'] is ext
    assert ext.environment.trim_blocks is True
