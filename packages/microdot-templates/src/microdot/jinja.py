"""Jinja templates for microdot (CPython only).

Public: ``Template`` (the Microdot 2.x API), ``JinjaExtension`` (a template folder and Jinja
environment per app), ``EngineNotInstalledError``.

HTML is autoescaped by default: the environment gets ``autoescape=select_autoescape()``, which
escapes templates named ``*.html``, ``*.htm`` and ``*.xml``, unless the caller passes its own
``autoescape``. Jinja2 is imported on first use, so a missing Jinja2 fails there with the command
that installs it: ``pip install "microdot-templates[jinja]"``.
"""
__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1  # the core extension API this plugin is written for
__all__ = ['Template', 'JinjaExtension', 'EngineNotInstalledError']

from microdot.utemplate import TemplateExtension, extension_for

INSTALL_COMMAND = 'pip install "microdot-templates[jinja]"'


#: default size, in characters, of the chunks ``generate()`` gives: Jinja yields every piece of
#: text and every ``{{ }}`` on its own, and a stream of such tiny pieces (one HTTP chunk and one
#: flush each) is many times slower than the page it makes. ``generate_async()`` is left as Jinja
#: makes it: an async template may wait between pieces, and each piece should go out at once.
DEFAULT_CHUNK_SIZE = 1024


class EngineNotInstalledError(ImportError):
    """The template engine this module needs is not installed."""


def _jinja2():
    try:
        import jinja2
    except ImportError as exc:
        raise EngineNotInstalledError(
            'microdot.jinja needs Jinja2, which is not installed: install it with '
            + INSTALL_COMMAND) from exc  # CPython only: chaining is fine
    return jinja2


def _chunks(pieces, size):
    """``pieces`` joined into chunks of at least ``size`` characters (``0``: as they come)."""
    if not size:
        yield from pieces
        return
    parts = []
    length = 0
    for piece in pieces:
        parts.append(piece)
        length += len(piece)
        if length >= size:
            yield ''.join(parts)
            parts = []
            length = 0
    if parts:
        yield ''.join(parts)


def _make_environment(template_dir, enable_async, options):
    jinja2 = _jinja2()
    options = dict(options)
    options.setdefault('loader', jinja2.FileSystemLoader(template_dir))
    options.setdefault('autoescape', jinja2.select_autoescape())
    return jinja2.Environment(enable_async=enable_async, **options)


class Template:
    """A Jinja template: ``Template('index.html').render(name='x')``.

    ``Template(name, **kwargs)`` loads through the environment set by ``Template.initialize()``
    (folder ``templates`` by default); ``kwargs`` go to ``Environment.get_template``.
    ``Template(name, app=request.app)`` uses that app's environment when it has a
    ``JinjaExtension`` (and the default one otherwise); a request is accepted too.
    ``chunk_size`` (an instance attribute, from the app's extension or ``initialize()``) sets the
    size of the chunks ``generate()`` gives.
    """

    #: the process-wide default environment (Microdot 2.x API); per-app ones live in the app
    jinja_env = None
    _chunk_size = DEFAULT_CHUNK_SIZE

    @classmethod
    def initialize(cls, template_dir='templates', enable_async=False,
                   chunk_size=DEFAULT_CHUNK_SIZE, **kwargs):
        """Create the default environment. ``enable_async=True`` is needed for
        ``render_async``/``generate_async``; other keyword arguments go to
        ``jinja2.Environment`` (``autoescape`` and ``loader`` may be overridden).
        ``chunk_size``: see ``DEFAULT_CHUNK_SIZE`` (``0``: Jinja's own pieces, as in 2.x)."""
        Template.jinja_env = _make_environment(template_dir, enable_async, kwargs)
        Template._chunk_size = chunk_size

    def __init__(self, template, app=None, **kwargs):
        ext = extension_for(app, JinjaExtension.name)
        if ext is None:
            if Template.jinja_env is None:
                Template.initialize()
            env, self.chunk_size = Template.jinja_env, Template._chunk_size
        else:
            env, self.chunk_size = ext.environment, ext.chunk_size
        self.name = template
        self.template = env.get_template(template, **kwargs)

    def generate(self, *args, **kwargs):
        """A generator of the rendered text, in chunks of ``chunk_size`` characters."""
        return _chunks(self.template.generate(*args, **kwargs), self.chunk_size)

    def render(self, *args, **kwargs):
        """The rendered text, as one str."""
        return self.template.render(*args, **kwargs)

    def generate_async(self, *args, **kwargs):
        """An async generator of the rendered text (needs ``enable_async=True``)."""
        return self.template.generate_async(*args, **kwargs)

    async def render_async(self, *args, **kwargs):
        """The rendered text, as one str (needs ``enable_async=True``)."""
        return await self.template.render_async(*args, **kwargs)


class JinjaExtension(TemplateExtension):
    """A template folder and Jinja environment per app, kept in ``app.extensions['jinja']``.

    ``JinjaExtension(app, template_dir='templates', enable_async=False,
    chunk_size=DEFAULT_CHUNK_SIZE, **environment_options)``,
    or ``ext = JinjaExtension(...)`` then ``ext.initialize(app)``. Templates of that app are
    loaded with ``Template(name, app=request.app)`` or ``ext.template(name)``; ``ext.environment``
    is the ``jinja2.Environment`` (add filters and globals there).
    """

    name = 'jinja'
    template_class = Template

    def __init__(self, app=None, template_dir='templates', enable_async=False,
                 chunk_size=DEFAULT_CHUNK_SIZE, **kwargs):
        TemplateExtension.__init__(self, template_dir, chunk_size)
        self.enable_async = enable_async
        self.options = kwargs
        if app is not None:
            self.initialize(app)

    @property
    def environment(self):
        return self.engine()

    def _make_engine(self):
        return _make_environment(self.template_dir, self.enable_async, self.options)

    @staticmethod
    def _load_template(environment, name, **kwargs):
        return environment.get_template(name, **kwargs)
