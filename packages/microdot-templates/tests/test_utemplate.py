"""microdot.utemplate: the seed's examples, streaming, async, escaping, per-app folders."""
import os
import time

import httpx
import pytest

from microdot import Microdot
from microdot.test_client import TestClient
from microdot.testing import LiveServer
from microdot.utemplate import Template, UTemplateExtension, escape

import wire

try:
    import utemplate.recompile  # noqa: F401
except ImportError:  # the engine is part of what these tests test: never skip them silently
    pytest.fail('the uTemplate engine is not installed: python -m microdot.utemplate install',
                pytrace=False)

HELLO = '{% args name="World" %}<h1>Hello, {{ name }}!</h1>\n'
LIST = '{% args n %}<ul>\n{% for i in range(n) %}<li>{{ i }}</li>\n{% endfor %}</ul>\n'


# --- the seed's examples --------------------------------------------------------------------------

async def test_seed_render_from_default_folder(project):
    project.write('templates/index.html', HELLO)
    app = Microdot()

    @app.get('/')
    async def index(req):
        return Template('index.html').render()

    res = await TestClient(app).get('/')
    assert res.status_code == 200
    assert res.text == '<h1>Hello, World!</h1>\n'
    assert res.headers['Content-Type'].startswith('text/plain')  # a str body, as in 2.x


def test_render_and_generate_take_the_template_arguments(project):
    project.write('templates/index.html', HELLO)
    tpl = Template('index.html')
    assert tpl.name == 'index.html'
    assert tpl.render(name='Ann') == '<h1>Hello, Ann!</h1>\n'
    assert tpl.render('Bob') == '<h1>Hello, Bob!</h1>\n'
    gen = tpl.generate(name='Ann')
    assert hasattr(gen, '__next__')
    assert list(gen) == ['<h1>Hello, Ann!</h1>\n']  # small: one chunk
    tpl.chunk_size = 0  # uTemplate's own pieces, as Microdot 2.x gave them
    assert list(tpl.generate(name='Ann')) == ['<h1>Hello, ', 'Ann', '!</h1>\n']


def test_chunk_size_bounds_the_chunks(project):
    project.write('templates/list.html', LIST)
    tpl = Template('list.html')
    assert tpl.chunk_size == 1024
    chunks = list(tpl.generate(n=1000))
    assert ''.join(chunks) == tpl.render(n=1000)
    wire.assert_chunk_sizes([c.encode() for c in chunks], 1024)
    Template.initialize(chunk_size=100)
    chunks = list(Template('list.html').generate(n=1000))
    wire.assert_chunk_sizes([c.encode() for c in chunks], 100)
    Template.initialize(chunk_size=0)
    assert len(list(Template('list.html').generate(n=1000))) == 3 * 1000 + 2


def test_seed_initialize_changes_the_folder(project):
    project.write('my_templates/index.html', '{% args x %}mine: {{ x }}\n')
    project.write('templates/index.html', 'default\n')
    Template.initialize('my_templates')
    assert Template('index.html').render(x=1) == 'mine: 1\n'


def test_seed_compiled_loader_uses_precompiled_templates(project):
    from utemplate import compiled, recompile
    project.write('templates/page.html', '{% args n %}page {{ n * 2 }}\n')
    recompile.Loader(None, 'templates').load('page.html')  # precompile, as a build step would
    assert os.path.exists(os.path.join(project.path, 'templates', 'page_html.py'))
    os.remove(os.path.join(project.path, 'templates', 'page.html'))
    Template.initialize(loader_class=compiled.Loader)
    assert Template('page.html').render(21) == 'page 42\n'


def test_compiled_loader_fails_for_a_template_never_compiled(project):
    from utemplate import compiled
    project.write('templates/raw.html', 'x\n')
    Template.initialize(loader_class=compiled.Loader)
    with pytest.raises(ImportError):
        Template('raw.html')


def test_recompile_loader_compiles_beside_the_source(project):
    project.write('templates/a.html', 'A\n')
    Template.initialize()
    assert Template('a.html').render() == 'A\n'
    assert os.path.exists(os.path.join(project.path, 'templates', 'a_html.py'))


def test_includes_conditions_and_loops(project):
    project.write('templates/base.html',
                  '{% args items %}<p>{% include "head.html" %}</p>'
                  '{% for i in items %}{% if i % 2 %}odd{% else %}even{% endif %}'
                  '{% endfor %}.\n')
    project.write('templates/head.html', 'head')
    assert Template('base.html').render([1, 2]) == '<p>head</p>oddeven.\n'


def test_missing_template_is_an_error(project):
    with pytest.raises(OSError):
        Template('nope.html')


@pytest.mark.parametrize('bad', ['/tmp/templates', 'C:\\templates'])
def test_absolute_template_dir_is_refused_clearly(project, bad):
    with pytest.raises(ValueError, match='relative path'):
        Template.initialize(bad)


def test_trailing_slash_and_dot_prefix_are_normalised(project):
    project.write('web/templates/x.html', 'x\n')
    Template.initialize('./web/templates/')
    assert Template('x.html').render() == 'x\n'


def test_templates_inside_a_package(project):
    project.write('mypkg/__init__.py', '')
    project.write('mypkg/tpl/p.html', '{% args v %}pkg {{ v }}\n')
    os.chdir('/')  # the package is found by import, not by the current directory
    Template.initialize('tpl', package='mypkg')
    assert Template('p.html').render('ok') == 'pkg ok\n'
    assert os.path.exists(os.path.join(project.path, 'mypkg', 'tpl', 'p_html.py'))


# --- async rendering ------------------------------------------------------------------------------

async def test_render_async_and_generate_async(project):
    project.write('templates/list.html', LIST)
    tpl = Template('list.html')
    assert await tpl.render_async(n=3) == '<ul>\n<li>0</li>\n<li>1</li>\n<li>2</li>\n</ul>\n'
    it = tpl.generate_async(n=3)
    assert hasattr(it, '__anext__')  # obtained without await, as in 2.x
    chunks = [c async for c in it]
    assert chunks == [tpl.render(n=3)]
    tpl.chunk_size = 0
    assert len([c async for c in tpl.generate_async(n=3)]) == 3 * 3 + 2


async def test_generate_async_aclose_closes_the_generator(project):
    project.write('templates/list.html', LIST)
    it = Template('list.html').generate_async(n=100)
    await it.__anext__()
    await it.aclose()
    with pytest.raises(StopAsyncIteration):
        await it.__anext__()


async def test_async_outputs_returned_from_routes(project):
    project.write('templates/index.html', HELLO)
    app = Microdot()

    @app.get('/render-async')
    async def render_async(req):
        return await Template('index.html').render_async(name='async')

    @app.get('/generate-async')
    async def generate_async(req):
        return Template('index.html').generate_async(name='agen')

    @app.get('/generate')
    def generate(req):
        return Template('index.html').generate(name='gen'), {'Content-Type': 'text/html'}

    client = TestClient(app)
    assert (await client.get('/render-async')).text == '<h1>Hello, async!</h1>\n'
    assert (await client.get('/generate-async')).text == '<h1>Hello, agen!</h1>\n'
    res = await client.get('/generate')
    assert res.text == '<h1>Hello, gen!</h1>\n'
    assert res.headers['Content-Type'] == 'text/html'


# --- streaming over a real socket -----------------------------------------------------------------

def test_generate_streams_many_chunks_on_a_live_server(project):
    project.write('templates/list.html', LIST)
    app = Microdot()

    @app.get('/sync')
    def sync_list(req):
        return Template('list.html').generate(n=int(req.args['n']))

    @app.get('/async')
    async def async_list(req):
        return Template('list.html').generate_async(n=int(req.args['n']))

    @app.get('/pieces')
    def pieces(req):
        tpl = Template('list.html')
        tpl.chunk_size = 0
        return tpl.generate(n=int(req.args['n']))

    expected = Template('list.html').render(n=5000)
    with LiveServer(app) as server:
        for path in ('/sync', '/async', '/pieces'):
            status, headers, chunks = wire.get_chunks(server.host, server.port, path + '?n=5000')
            assert status == 'HTTP/1.1 200 OK'
            assert headers['transfer-encoding'] == 'chunked'
            assert 'content-length' not in headers
            assert b''.join(chunks).decode() == expected
            if path == '/pieces':  # one HTTP chunk per template piece
                assert len(chunks) == 3 * 5000 + 2
            else:  # many chunks of about 1 KiB: streamed, never one blob
                assert len(chunks) > 60
                wire.assert_chunk_sizes(chunks, 1024)
        with httpx.Client() as client:
            assert client.get(server.url + '/async?n=5').text == Template('list.html').render(n=5)


# --- escaping ------------------------------------------------------------------------------------

def test_escape_replaces_the_html_specials():
    assert escape('<a href="x" title=\'y\'>&</a>') == \
        '&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;&lt;/a&gt;'
    assert escape(42) == '42'
    assert escape('plain') == 'plain'


async def test_utemplate_does_not_escape_but_escape_does(project):
    # the README's example: uTemplate writes str(value) unchanged, so user input is escaped
    project.write('templates/hello.html', '{% args name, e %}<p title="{{ e(name) }}">'
                                          'Hello, {{ e(name) }}!</p>\n')
    project.write('templates/raw.html', '{% args name %}<p>{{ name }}</p>\n')
    app = Microdot()
    attack = '<script>alert("x")</script>'

    @app.get('/hello')
    async def hello(req):
        return Template('hello.html').render(req.args['name'], escape)

    @app.get('/handler-escaped')
    async def handler_escaped(req):
        return Template('raw.html').render(name=escape(req.args['name']))

    client = TestClient(app)
    res = await client.get('/hello?name=' + httpx.QueryParams({'n': attack}).get('n')
                           .replace('<', '%3C').replace('>', '%3E').replace('"', '%22')
                           .replace('(', '%28').replace(')', '%29').replace(' ', '+'))
    assert '<script>' not in res.text
    assert res.text == ('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">Hello, '
                        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;!</p>\n')
    res = await client.get('/handler-escaped?name=%3Cb%3E')
    assert res.text == '<p>&lt;b&gt;</p>\n'
    assert Template('raw.html').render('<b>') == '<p><b></p>\n'  # the documented rule


# --- a folder per app -----------------------------------------------------------------------------

async def test_two_apps_two_folders_and_the_class_default(project):
    project.write('shop/templates/index.html', '{% args n %}shop {{ n }}\n')
    project.write('admin/templates/index.html', '{% args n %}admin {{ n }}\n')
    project.write('templates/index.html', '{% args n %}default {{ n }}\n')
    shop, admin, plain = Microdot(), Microdot(), Microdot()
    UTemplateExtension(shop, template_dir='shop/templates')
    ext = UTemplateExtension(template_dir='admin/templates')
    ext.initialize(admin)
    assert admin.extensions['utemplate'] is ext

    for app in (shop, admin, plain):
        @app.get('/')
        async def index(req):
            return Template('index.html', app=req.app).render(1)

        @app.get('/by-request')
        async def by_request(req):
            return Template('index.html', app=req).render(2)

    assert (await TestClient(shop).get('/')).text == 'shop 1\n'
    assert (await TestClient(admin).get('/')).text == 'admin 1\n'
    assert (await TestClient(plain).get('/')).text == 'default 1\n'  # no extension: the default
    assert (await TestClient(shop).get('/by-request')).text == 'shop 2\n'
    assert ext.template('index.html').render(3) == 'admin 3\n'
    assert Template('index.html').render(4) == 'default 4\n'

    with LiveServer(shop) as s1, LiveServer(admin) as s2:
        assert httpx.get(s1.url + '/').text == 'shop 1\n'
        assert httpx.get(s2.url + '/').text == 'admin 1\n'


def test_an_extension_is_initialised_once_per_app(project):
    app = Microdot()
    UTemplateExtension(app)
    with pytest.raises(RuntimeError):
        UTemplateExtension(app)


def test_entry_point_is_discovered_and_initialises(project):
    from microdot import registry
    project.write('sitetpl/index.html', 'site\n')
    info = registry.find_extension('utemplate')
    assert info.distribution == 'microdot-templates' and info.compatible, info.reason
    app = Microdot()
    ext = registry.initialize_extension(app, 'utemplate', template_dir='sitetpl')
    assert isinstance(ext, UTemplateExtension)
    assert Template('index.html', app=app).render() == 'site\n'


def test_first_renders_from_many_threads_at_once(project):
    # sync handlers run in threads: a template must be compiled once, never read half-written
    import threading
    body = '{% args n %}' + ''.join('<p>{{ n }} line %d</p>\n' % i for i in range(300))
    names = ['t%d.html' % i for i in range(8)]
    for name in names:
        project.write('templates/' + name, body)
    Template.initialize()
    errors, results = [], []
    barrier = threading.Barrier(12)

    def render(name):
        barrier.wait()
        try:
            results.append(Template(name).render(n=1))
        except Exception as exc:  # collected: the assertion below shows them
            errors.append(repr(exc))

    for name in names:
        threads = [threading.Thread(target=render, args=(name,)) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(results) == 12 * len(names)
    assert set(results) == {''.join('<p>1 line %d</p>\n' % i for i in range(300))}


def test_an_edited_template_shows_without_a_restart(project):
    project.write('templates/page.html', '{% args n %}v1 {{ n }}\n')
    assert Template('page.html').render(1) == 'v1 1\n'
    time.sleep(1.1)  # file times have a one second resolution on some file systems
    project.write('templates/page.html', '{% args n %}v2 {{ n }}\n')
    assert Template('page.html').render(2) == 'v2 2\n'
    assert Template('page.html').render(3) == 'v2 3\n'


def test_the_compiled_loader_never_reloads(project):
    from utemplate import compiled, recompile
    project.write('templates/page.html', 'v1\n')
    recompile.Loader(None, 'templates').load('page.html')
    Template.initialize(loader_class=compiled.Loader)
    assert Template('page.html').render() == 'v1\n'
    time.sleep(1.1)
    project.write('templates/page.html', 'v2\n')
    assert Template('page.html').render() == 'v1\n'


@pytest.mark.parametrize('name', ['../secret.html', 'a/../../secret.html', '/etc/passwd',
                                  '..\\secret.html', ''])
def test_template_names_stay_inside_the_folder(project, name):
    project.write('secret.html', 'secret\n')
    project.write('templates/ok.html', 'ok\n')
    with pytest.raises(ValueError, match='invalid template name'):
        Template(name)
    assert Template('ok.html').render() == 'ok\n'
