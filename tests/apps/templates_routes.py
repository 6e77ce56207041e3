"""Routes of microdot-templates for the conformance suite (``/templates/...``).

uTemplate everywhere (the runtime must have the ``utemplate`` engine: without it this module's
import fails with "no module named utemplate" and main.py skips it); Jinja where Jinja2 is
importable (CPython). The templates live in the package ``templates_pkg`` beside this file.

- ``/templates/engines``: the engines installed, as a JSON list
- ``/templates/utemplate/hello?name=``: user input, escaped with ``microdot.utemplate.escape``
- ``/templates/utemplate/list/<how>?n=``: ``n`` lines, returned as ``render``, ``generate`` (from a
  sync handler), ``generate_async`` or ``render_async``
- ``/templates/utemplate/precompiled?n=``: a template compiled in advance, loaded by
  ``utemplate.compiled.Loader`` (another app's folder: two apps, two folders, one process)
- ``/templates/utemplate/which`` (the app's folder), ``/templates/utemplate/which-default`` (the
  process-wide default set by ``Template.initialize``), ``/templates/utemplate/missing`` (500)
- ``/templates/jinja/hello?name=`` (autoescaped) and ``/templates/jinja/list/<how>?n=``

MicroPython-safe. ``python tests/apps/templates_routes.py precompile`` (CPython) regenerates
``templates_pkg/precompiled/`` from ``templates_pkg/precompiled_src/``.
"""
from utemplate import compiled

from microdot import Microdot
from microdot.utemplate import Template, UTemplateExtension, escape

try:
    import jinja2  # noqa: F401  (CPython only)
    from microdot import jinja
except ImportError:
    jinja = None

PACKAGE = 'templates_pkg'
PRECOMPILED = ['page.html']


def _count(request, default=10):
    try:
        return min(int(request.args.get('n', default)), 100000)
    except ValueError:
        return default


def install(app):
    UTemplateExtension(app, template_dir='utemplate', package=PACKAGE)
    Template.initialize('shared', package=PACKAGE)
    # another app with another folder, in the same process: templates compiled in advance only
    boards = Microdot()
    UTemplateExtension(boards, template_dir='precompiled', package=PACKAGE,
                       loader_class=compiled.Loader)

    @app.get('/templates/engines')
    def engines(request):
        return ['utemplate', 'jinja'] if jinja else ['utemplate']

    @app.get('/templates/utemplate/hello')
    async def hello(request):
        return Template('hello.html', app=request.app).render(
            request.args.get('name', 'World'), escape), {'Content-Type': 'text/html'}

    @app.get('/templates/utemplate/list/render')
    async def list_render(request):
        return Template('list.html', app=request).render(_count(request))

    @app.get('/templates/utemplate/list/generate')
    def list_generate(request):  # a sync handler on purpose
        return Template('list.html', app=request).generate(_count(request))

    @app.get('/templates/utemplate/list/generate_async')
    async def list_generate_async(request):
        return Template('list.html', app=request).generate_async(n=_count(request))

    @app.get('/templates/utemplate/list/render_async')
    async def list_render_async(request):
        return await Template('list.html', app=request).render_async(n=_count(request))

    @app.get('/templates/utemplate/precompiled')
    async def precompiled(request):
        return Template('page.html', app=boards).generate(_count(request, 5))

    @app.get('/templates/utemplate/which')
    async def which(request):
        return Template('which.html', app=request.app).render()

    @app.get('/templates/utemplate/which-default')
    async def which_default(request):
        return Template('which.html').render()

    @app.get('/templates/utemplate/missing')
    async def missing(request):
        return Template('no-such-template.html', app=request.app).render()

    if jinja is not None:
        _install_jinja(app)


def _install_jinja(app):
    import os
    import templates_pkg
    folder = os.path.join(os.path.dirname(os.path.abspath(templates_pkg.__file__)), 'jinja')
    jinja.Template.initialize(folder)                           # sync: render, generate
    jinja.JinjaExtension(app, template_dir=folder, enable_async=True)  # async variants

    @app.get('/templates/jinja/hello')
    async def jinja_hello(request):
        return jinja.Template('hello.html').render(name=request.args.get('name', 'World')), \
            {'Content-Type': 'text/html'}

    @app.get('/templates/jinja/list/render')
    async def jinja_render(request):
        return jinja.Template('list.html').render(n=_count(request))

    @app.get('/templates/jinja/list/generate')
    def jinja_generate(request):
        return jinja.Template('list.html').generate(n=_count(request))

    @app.get('/templates/jinja/list/generate_async')
    async def jinja_generate_async(request):
        return jinja.Template('list.html', app=request).generate_async(n=_count(request))

    @app.get('/templates/jinja/list/render_async')
    async def jinja_render_async(request):
        return await jinja.Template('list.html', app=request).render_async(n=_count(request))


def precompile():
    """Compile ``templates_pkg/precompiled_src/*`` into ``templates_pkg/precompiled/`` (CPython),
    with the engine's own compiler; returns ``{path: source text}`` of the compiled modules."""
    import io
    import os
    from utemplate import source
    base = os.path.join(os.path.dirname(os.path.abspath(__file__)), PACKAGE)
    loader = source.Loader(None, os.path.join(base, 'precompiled_src'))
    out = {}
    for name in PRECOMPILED:
        with open(os.path.join(base, 'precompiled_src', name)) as f_in:
            f_out = io.StringIO()
            source.Compiler(f_in, f_out, loader=loader).compile()
        out[os.path.join(base, 'precompiled', name.replace('.', '_') + '.py')] = f_out.getvalue()
    return out


if __name__ == '__main__':
    import sys
    if sys.argv[1:] != ['precompile']:
        raise SystemExit('usage: python tests/apps/templates_routes.py precompile')
    for path, text in precompile().items():
        with open(path, 'w') as f:
            f.write(text)
        print('wrote', path)
