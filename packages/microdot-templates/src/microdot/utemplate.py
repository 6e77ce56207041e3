"""uTemplate templates for microdot, on CPython and MicroPython.

Public: ``Template`` (the Microdot 2.x API), ``UTemplateExtension`` (a template folder per app),
``escape`` (HTML-escape a value), ``EngineNotInstalledError``.

The engine is Paul Sokolovsky's ``utemplate`` package, used unchanged. It compiles each template
into a Python module of render generators and imports it, so a template folder is named like a
module path: ``template_dir`` is relative to the current directory (or to ``package``), which
must be importable. uTemplate does not escape anything: ``{{ x }}`` writes ``str(x)``. Escape
user input with ``escape()`` (see the README).

On CPython ``pip install utemplate`` does not work (its sdist has no build files); run
``python -m microdot.utemplate install``, which installs the official sdist after checking it.
"""
__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1  # the core extension API this plugin is written for
__all__ = ['Template', 'UTemplateExtension', 'escape', 'EngineNotInstalledError']

import sys

try:
    from os import remove as _remove, stat as _stat
except ImportError:  # an old MicroPython port
    from uos import remove as _remove, stat as _stat

try:
    # sync handlers run in threads on CPython: two first requests must not compile one template
    # at the same time (one would import the half-written module of the other)
    from _thread import allocate_lock as _allocate_lock
    _compile_lock = _allocate_lock()
except (ImportError, AttributeError):  # a MicroPython build without threads
    _compile_lock = None

INSTALL_HINT = ('on CPython run "python -m microdot.utemplate install" (plain "pip install '
                'utemplate" cannot build it); on MicroPython put the utemplate/ folder beside '
                'microdot/ (mip installs it with microdot-templates)')


class EngineNotInstalledError(ImportError):
    """The template engine this module needs is not installed."""


def _chained(error, cause):
    # "raise ... from" makes MicroPython print a warning; set the cause where it is supported
    try:
        error.__cause__ = cause
    except AttributeError:
        pass
    return error


def _default_loader_class():
    try:
        from utemplate import recompile
    except ImportError as exc:
        raise _chained(EngineNotInstalledError(
            'microdot.utemplate needs the uTemplate engine (the "utemplate" package), which is '
            'not installed: ' + INSTALL_HINT), exc)
    return recompile.Loader


def _make_loader(template_dir, loader_class, package):
    """A uTemplate loader for ``template_dir``; the engine is imported here, on first use."""
    template_dir = template_dir.rstrip('/')
    while template_dir.startswith('./'):
        template_dir = template_dir[2:]
    if template_dir.startswith('/') or '\\' in template_dir or ':' in template_dir:
        # compiled templates are imported as modules named after the folder
        raise ValueError('uTemplate template_dir must be a relative path such as "templates", '
                         'importable from the current directory or from package=, not '
                         + repr(template_dir))
    if loader_class is None:
        loader_class = _default_loader_class()
    return loader_class(package, template_dir or '.')


class TemplateExtension:
    """A template folder per app, kept in ``app.extensions[name]``: the base of
    ``UTemplateExtension`` and of ``microdot.jinja.JinjaExtension`` (it lives here because this
    module is the one MicroPython runs, and it stays a single file there).

    Subclasses set ``name`` and ``template_class`` and implement ``_make_engine()`` (the
    engine's loader or environment, made on first use so that a missing engine fails there) and
    ``_load_template(engine, name, **kwargs)`` (one template from it).
    """

    name = None
    template_class = None

    def __init__(self, template_dir, chunk_size):
        self.template_dir = template_dir
        self.chunk_size = chunk_size
        self._engine = None

    def initialize(self, app):
        app.add_extension(self.name, self)
        return self

    def engine(self):
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    def template(self, name, **kwargs):
        """``Template(name)`` loaded from this extension's folder."""
        cls = self.template_class
        tpl = cls.__new__(cls)
        tpl.name = name
        tpl.chunk_size = self.chunk_size
        tpl.template = self._load_template(self.engine(), name, **kwargs)
        return tpl


def extension_for(app, name):
    """The extension ``name`` of an app (or of a request's app); None without one."""
    if app is None:
        return None
    if not hasattr(app, 'extensions'):
        app = app.app  # a request
    return app.extensions.get(name)


#: default size, in characters, of the chunks ``generate()`` and ``generate_async()`` give: uTemplate
#: yields every literal and every ``{{ }}`` on its own, and a stream of such tiny pieces (one
#: HTTP chunk and one flush each) is many times slower than the page it makes
DEFAULT_CHUNK_SIZE = 1024


class _Chunks:
    """The template's output in chunks of at least ``size`` characters (the last may be
    shorter; ``0``: the engine's own pieces). Not a generator itself: on MicroPython a generator
    looks like a coroutine (it has ``send``), so one returned by a sync handler would be awaited
    instead of streamed."""

    def __init__(self, generator, size):
        self.generator = generator
        self.size = size

    def __iter__(self):
        return self

    def __next__(self):
        if not self.size:
            return next(self.generator)
        parts = []
        length = 0
        for piece in self.generator:
            parts.append(piece)
            length += len(piece)
            if length >= self.size:
                break
        if not parts:
            raise StopIteration
        return parts[0] if len(parts) == 1 else ''.join(parts)

    def close(self):
        self.generator.close()


class _AsyncChunks:
    """The same chunks as an async iterator (MicroPython has no async generators)."""

    def __init__(self, chunks):
        self.chunks = chunks

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return next(self.chunks)
        except StopIteration:
            raise StopAsyncIteration

    async def aclose(self):
        self.chunks.close()


class Template:
    """A uTemplate template: ``Template('index.html').render(name='x')``.

    ``Template(name)`` loads from the folder set by ``Template.initialize()`` (``templates`` by
    default). ``Template(name, app=request.app)`` loads from that app's folder when the app has a
    ``UTemplateExtension`` (and from the default folder otherwise); a request is accepted too.
    ``chunk_size`` (an instance attribute, from the app's extension or ``initialize()``) sets the
    size of the chunks ``generate()`` and ``generate_async()`` give.
    """

    #: the process-wide defaults (Microdot 2.x API); per-app settings live in the app
    _loader = None
    _chunk_size = DEFAULT_CHUNK_SIZE

    @classmethod
    def initialize(cls, template_dir='templates', loader_class=None, package=None,
                   chunk_size=DEFAULT_CHUNK_SIZE):
        """Set the default template folder and loader. ``loader_class`` defaults to
        ``utemplate.recompile.Loader`` (compile on first use and again when the source is newer);
        ``utemplate.compiled.Loader`` loads precompiled templates only. ``package`` names an
        importable package that ``template_dir`` is relative to. ``chunk_size``: see
        ``DEFAULT_CHUNK_SIZE`` (``0`` streams uTemplate's own pieces, as Microdot 2.x did)."""
        Template._loader = _make_loader(template_dir, loader_class, package)
        Template._chunk_size = chunk_size

    def __init__(self, template, app=None):
        ext = extension_for(app, UTemplateExtension.name)
        if ext is None:
            if Template._loader is None:
                Template.initialize()
            loader, self.chunk_size = Template._loader, Template._chunk_size
        else:
            loader, self.chunk_size = ext.loader, ext.chunk_size
        self.name = template
        self.template = _load(loader, template)

    def generate(self, *args, **kwargs):
        """An iterator of the rendered text, in chunks of ``chunk_size`` characters."""
        return _Chunks(self.template(*args, **kwargs), self.chunk_size)

    def render(self, *args, **kwargs):
        """The rendered text, as one str."""
        return ''.join(self.template(*args, **kwargs))

    def generate_async(self, *args, **kwargs):
        """An async iterator of the rendered text (no ``await`` needed to get it)."""
        return _AsyncChunks(self.generate(*args, **kwargs))

    async def render_async(self, *args, **kwargs):
        """The rendered text, as one str."""
        return self.render(*args, **kwargs)


class UTemplateExtension(TemplateExtension):
    """A template folder per app, kept in ``app.extensions['utemplate']``.

    ``UTemplateExtension(app, template_dir='templates', loader_class=None, package=None,
    chunk_size=DEFAULT_CHUNK_SIZE)``, or ``ext = UTemplateExtension(...)`` then
    ``ext.initialize(app)``. Templates of that app are loaded with ``Template(name,
    app=request.app)`` or ``ext.template(name)``. The engine is imported on first use, so a
    missing engine fails there with the command that installs it.
    """

    name = 'utemplate'
    template_class = Template

    def __init__(self, app=None, template_dir='templates', loader_class=None, package=None,
                 chunk_size=DEFAULT_CHUNK_SIZE):
        TemplateExtension.__init__(self, template_dir, chunk_size)
        self.loader_class = loader_class
        self.package = package
        if app is not None:
            self.initialize(app)

    @property
    def loader(self):
        return self.engine()

    def _make_engine(self):
        return _make_loader(self.template_dir, self.loader_class, self.package)

    def _load_template(self, loader, name):
        return _load(loader, name)


def _load(loader, name):
    # uTemplate opens <dir>/<name> as given: keep names inside the template folder
    if not name or name.startswith('/') or '\\' in name or '..' in name.split('/'):
        raise ValueError('invalid template name: ' + repr(name))
    if _compile_lock is None:
        _forget_if_stale(loader, name)
        return loader.load(name)
    with _compile_lock:
        _forget_if_stale(loader, name)
        return loader.load(name)


def _forget_if_stale(loader, name):
    """``utemplate.recompile.Loader`` recompiles a template whose source is newer than its
    compiled module, but the process keeps the old module imported: forget it (and its cached
    bytecode), so that an edited template shows without a restart."""
    if not hasattr(loader, 'compiled_path') or not hasattr(loader, 'pkg_path'):
        return  # compiled.Loader: templates never change under it
    module = loader.p + name.replace('.', '_')
    if module not in sys.modules:
        return
    compiled = loader.pkg_path + loader.compiled_path(name)
    try:
        if _stat(loader.pkg_path + loader.dir + '/' + name)[8] <= _stat(compiled)[8]:
            return
    except OSError:
        return
    del sys.modules[module]
    try:
        from importlib.util import cache_from_source
        _remove(cache_from_source(compiled))
    except (ImportError, OSError, NotImplementedError, ValueError):
        pass  # MicroPython caches no bytecode; CPython may not have written any


# --- escaping ------------------------------------------------------------------------------------

def escape(value):
    """``str(value)`` with ``& < > " '`` replaced by HTML entities, safe in element text and in
    quoted attribute values. uTemplate itself never escapes: use this on untrusted values."""
    return str(value).replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;') \
        .replace('"', '&quot;').replace("'", '&#x27;')


if __name__ == '__main__':
    # python -m microdot.utemplate install [--target DIR]: CPython only, see utemplate_installer
    from microdot.utemplate_installer import main
    sys.exit(main(sys.argv[1:]))
