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

INSTALL_COMMAND = 'pip install "microdot-templates[jinja]"'


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
    """

    #: the process-wide default environment (Microdot 2.x API); per-app ones live in the app
    jinja_env = None

    @classmethod
    def initialize(cls, template_dir='templates', enable_async=False, **kwargs):
        """Create the default environment. ``enable_async=True`` is needed for
        ``render_async``/``generate_async``; other keyword arguments go to
        ``jinja2.Environment`` (``autoescape`` and ``loader`` may be overridden)."""
        Template.jinja_env = _make_environment(template_dir, enable_async, kwargs)

    def __init__(self, template, app=None, **kwargs):
        self.name = template
        self.template = _environment_for(app).get_template(template, **kwargs)

    def generate(self, *args, **kwargs):
        """A generator of the rendered text, chunk by chunk."""
        return self.template.generate(*args, **kwargs)

    def render(self, *args, **kwargs):
        """The rendered text, as one str."""
        return self.template.render(*args, **kwargs)

    def generate_async(self, *args, **kwargs):
        """An async generator of the rendered text (needs ``enable_async=True``)."""
        return self.template.generate_async(*args, **kwargs)

    async def render_async(self, *args, **kwargs):
        """The rendered text, as one str (needs ``enable_async=True``)."""
        return await self.template.render_async(*args, **kwargs)


class JinjaExtension:
    """A template folder and Jinja environment per app, kept in ``app.extensions['jinja']``.

    ``JinjaExtension(app, template_dir='templates', enable_async=False, **environment_options)``,
    or ``ext = JinjaExtension(...)`` then ``ext.initialize(app)``. Templates of that app are
    loaded with ``Template(name, app=request.app)`` or ``ext.template(name)``; ``ext.environment``
    is the ``jinja2.Environment`` (add filters and globals there).
    """

    name = 'jinja'

    def __init__(self, app=None, template_dir='templates', enable_async=False, **kwargs):
        self.template_dir = template_dir
        self.enable_async = enable_async
        self.options = kwargs
        self._environment = None
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        app.add_extension(self.name, self)
        return self

    @property
    def environment(self):
        if self._environment is None:
            self._environment = _make_environment(self.template_dir, self.enable_async,
                                                  self.options)
        return self._environment

    def template(self, name, **kwargs):
        """``Template(name)`` loaded from this extension's environment."""
        tpl = Template.__new__(Template)
        tpl.name = name
        tpl.template = self.environment.get_template(name, **kwargs)
        return tpl


def _environment_for(app):
    if app is not None:
        if not hasattr(app, 'extensions'):
            app = app.app  # a request
        ext = app.extensions.get(JinjaExtension.name)
        if ext is not None:
            return ext.environment
    if Template.jinja_env is None:
        Template.initialize()
    return Template.jinja_env
