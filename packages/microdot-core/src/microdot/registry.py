"""The extension registry: which microdot extensions exist, and loading them by name.

Extensions are found two ways:

* entry points in the group ``microdot.extensions`` of installed distributions (CPython, through
  ``importlib.metadata``); listing them reads metadata only and imports no plugin;
* explicit registration with :func:`register_extension` (works everywhere, and is the only way on
  MicroPython, which has no ``importlib.metadata``). A registered name hides a discovered one.

Compatibility is checked twice, each cheap and explained in docs/plugins.md:

1. before import, from metadata: the plugin distribution's ``Requires-Dist`` on ``microdot-core`` must
   admit the running core's ``microdot.__version__``;
2. after import: if the plugin declares ``MICRODOT_EXTENSION_API`` (on the loaded object or its module),
   it must be one of :data:`SUPPORTED_EXTENSION_APIS`. The API number changes only when the seam breaks.

This module is MicroPython-safe: no typing, no f-strings, no ``re``.
"""
import sys

try:
    from importlib import metadata as _metadata
except ImportError:  # MicroPython, or a stripped-down Python: discovery degrades to registration
    _metadata = None

ENTRY_POINT_GROUP = 'microdot.extensions'
CORE_DISTRIBUTION = 'microdot-core'

#: The extension API this core provides (see docs/plugins.md, "Compatibility policy").
EXTENSION_API = 1
#: The extension API versions a plugin may declare and still load on this core.
SUPPORTED_EXTENSION_APIS = (1,)

#: First-party extensions: name -> (distribution, what to ``pip install``).
FIRST_PARTY = {
    'websocket': ('microdot-websocket', 'microdot-websocket'),
    'sse': ('microdot-sse', 'microdot-sse'),
    'session': ('microdot-session', 'microdot-session'),
    'cors': ('microdot-cors', 'microdot-cors'),
    # the engine has no installable release on PyPI: the plugin installs its checked sdist
    'utemplate': ('microdot-templates',
                  'microdot-templates && python -m microdot.utemplate install'),
    'jinja': ('microdot-templates', '"microdot-templates[jinja]"'),
    'login': ('microdot-auth', 'microdot-auth microdot-session'),
    'csrf': ('microdot-csrf', 'microdot-csrf'),
    'multipart': ('microdot-multipart', 'microdot-multipart'),
    'asgi': ('microdot-servers', '"microdot-servers[asgi]"'),
    'wsgi': ('microdot-servers', '"microdot-servers[wsgi]"'),
}

# Extensions registered by hand, by name (process-wide, like installed entry points).
_registered = {}


# ---------------------------------------------------------------------------------------------
# Errors (single inheritance only: MicroPython cannot mix native exception bases)
# ---------------------------------------------------------------------------------------------

class ExtensionError(ImportError):
    """Base class: an extension could not be provided."""


class ExtensionNotFoundError(ExtensionError):
    """No installed or registered extension has that name."""


class IncompatibleExtensionError(ExtensionError):
    """The extension declares a core range or extension API that the running core is not in."""


class ExtensionLoadError(ExtensionError):
    """Importing the extension failed (the original error is chained as ``__cause__``)."""


# ---------------------------------------------------------------------------------------------
# Versions and specifiers (PEP 440 subset; `packaging` is used instead when it is importable)
# ---------------------------------------------------------------------------------------------

_PRE_TAGS = (('alpha', 0), ('preview', 2), ('beta', 1), ('pre', 2), ('rc', 2), ('a', 0), ('b', 1),
             ('c', 2))
_POST_TAGS = ('post', 'rev', 'r')


def _take_number(text):
    """Split leading separators and digits off ``text``: returns (int or None, rest)."""
    while text[:1] in ('.', '-', '_'):
        text = text[1:]
    i = 0
    while i < len(text) and text[i].isdigit():
        i += 1
    return (int(text[:i]) if i else None), text[i:]


class Version:
    """A parsed version, ordered as PEP 440 orders them (local labels are ignored)."""

    def __init__(self, text):
        self.text = text
        s = text.strip().lower()
        if s.startswith('v'):
            s = s[1:]
        s = s.split('+', 1)[0]
        self.epoch = 0
        if '!' in s:
            epoch, s = s.split('!', 1)
            if not epoch.isdigit():
                raise ValueError('invalid version: {!r}'.format(text))
            self.epoch = int(epoch)
        i = 0
        while i < len(s) and (s[i].isdigit() or s[i] == '.'):
            i += 1
        head, rest = s[:i].rstrip('.'), s[i:]
        if not head or '..' in head:
            raise ValueError('invalid version: {!r}'.format(text))
        self.release = tuple(int(p) for p in head.split('.'))
        self.pre = self.post = self.dev = None
        for tag, rank in _PRE_TAGS:
            stripped = rest.lstrip('.-_')
            if stripped.startswith(tag):
                n, rest = _take_number(stripped[len(tag):])
                self.pre = (rank, n or 0)
                break
        stripped = rest.lstrip('.-_')
        for tag in _POST_TAGS:
            if stripped.startswith(tag):
                n, rest = _take_number(stripped[len(tag):])
                self.post = n or 0
                break
        else:
            if rest.startswith('-') and rest[1:2].isdigit():
                self.post, rest = _take_number(rest)
        stripped = rest.lstrip('.-_')
        if stripped.startswith('dev'):
            n, rest = _take_number(stripped[3:])
            self.dev = n or 0
        if rest.strip('.-_'):
            raise ValueError('invalid version: {!r}'.format(text))

    @property
    def is_prerelease(self):
        return self.pre is not None or self.dev is not None

    def base(self):
        """The release numbers without trailing zeros, so that 1.0 equals 1."""
        r = list(self.release)
        while len(r) > 1 and r[-1] == 0:
            r.pop()
        return tuple(r)

    def key(self):
        if self.pre is not None:
            pre = self.pre
        elif self.post is None and self.dev is not None:
            pre = (-1, 0)  # 1.0.dev1 sorts before 1.0a1
        else:
            pre = (3, 0)  # a final release
        post = -1 if self.post is None else self.post
        dev = (1, 0) if self.dev is None else (0, self.dev)
        return (self.epoch, self.base(), pre, post, dev)

    def __repr__(self):
        return 'Version({!r})'.format(self.text)


def _prefix_match(version, prefix_text):
    """``==X.Y.*``: the release of ``version`` starts with X.Y (padded with zeros)."""
    prefix = Version(prefix_text)
    release = version.release + (0,) * max(0, len(prefix.release) - len(version.release))
    return version.epoch == prefix.epoch and release[:len(prefix.release)] == prefix.release


def _clause_admits(op, target, v):
    if op == '===':
        return v.text.strip().lower() == target.strip().lower()
    if target.endswith('.*'):
        if op not in ('==', '!='):
            raise ValueError('a wildcard is only valid with == or !=: {}{}'.format(op, target))
        matched = _prefix_match(v, target[:-2])
        return matched if op == '==' else not matched
    t = Version(target)
    vk, tk = v.key(), t.key()
    if op == '==':
        return vk == tk
    if op == '!=':
        return vk != tk
    if op == '>=':
        return vk >= tk
    if op == '<=':
        return vk <= tk
    if op == '<':
        # PEP 440: <V excludes the pre-releases of V itself unless V is a pre-release
        if vk >= tk:
            return False
        return t.is_prerelease or not v.is_prerelease or v.key()[:2] != t.key()[:2]
    if op == '>':
        # PEP 440: >V excludes the post-releases of V itself unless V is a post-release
        if vk <= tk:
            return False
        return t.post is not None or v.post is None or v.key()[:2] != t.key()[:2]
    if op == '~=':
        if len(t.release) < 2:
            raise ValueError('~= needs at least two release numbers: ~={}'.format(target))
        prefix = '{}!{}'.format(t.epoch, '.'.join(str(n) for n in t.release[:-1]))
        return vk >= tk and _prefix_match(v, prefix)
    raise ValueError('unknown operator {!r}'.format(op))


def _split_clause(clause):
    for op in ('===', '~=', '==', '!=', '<=', '>=', '<', '>'):
        if clause.startswith(op):
            return op, clause[len(op):].strip()
    raise ValueError('invalid version specifier: {!r}'.format(clause))


def specifier_admits(specifier, version):
    """True if ``version`` (a string) satisfies ``specifier`` (e.g. ``'>=0.1,<1'``).

    Pre-releases of the checked version are compared by their numbers (a core 0.2.0rc1 is inside
    ``>=0.1,<1``). Uses ``packaging`` when it is importable, else the small evaluator above.
    """
    specifier = specifier.strip()
    if not specifier:
        return True
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:
        SpecifierSet = None
    if SpecifierSet is not None:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    return evaluate_specifier(specifier, version)


def evaluate_specifier(specifier, version):
    """The registry's own evaluator (used where ``packaging`` is missing; same answers)."""
    v = Version(version)
    for clause in specifier.split(','):
        clause = clause.strip()
        if clause:
            op, target = _split_clause(clause)
            if not _clause_admits(op, target, v):
                return False
    return True


def _normalize(name):
    """PEP 503 name normalisation without ``re``: runs of ``-_.`` become one ``-``, lower case."""
    out = []
    for ch in name.strip().lower():
        if ch in '-_.':
            if not out or out[-1] != '-':
                out.append('-')
        else:
            out.append(ch)
    return ''.join(out)


def core_requirement(requires):
    """From a list of ``Requires-Dist`` strings, the specifier on microdot-core, or None.

    Requirements behind an ``extra`` marker are skipped (they do not apply to a plain install);
    other markers are evaluated with ``packaging`` when it is importable and otherwise assumed true.
    Several applicable requirements on the core are joined with commas (all must hold).
    """
    found = []
    for line in requires or ():
        req, _, marker = line.partition(';')
        marker = marker.strip()
        if marker:
            if 'extra' in marker:
                continue
            if not _marker_applies(marker):
                continue
        req = req.strip()
        i = 0
        while i < len(req) and (req[i].isalpha() or req[i].isdigit() or req[i] in '-_.'):
            i += 1
        if _normalize(req[:i]) != CORE_DISTRIBUTION:
            continue
        rest = req[i:].strip()
        if rest.startswith('['):  # extras of the core: none exist, but tolerate them
            rest = rest[rest.find(']') + 1:].strip()
        if rest.startswith('@'):  # a direct URL: no range to check
            continue
        rest = rest.strip('() ')
        if rest:
            found.extend(clause.strip() for clause in rest.split(',') if clause.strip())
    return _readable_range(found) if found else None


_OPERATOR_ORDER = ('===', '==', '~=', '>=', '>', '!=', '<=', '<')


def _readable_range(clauses):
    """Lower bounds first (build tools store ``>=0.1,<1`` as ``<1,>=0.1``), duplicates dropped."""
    def rank(clause):
        for i, op in enumerate(_OPERATOR_ORDER):
            if clause.startswith(op):
                return i
        return len(_OPERATOR_ORDER)
    unique = []
    for clause in clauses:
        clause = clause.replace(' ', '')
        if clause not in unique:
            unique.append(clause)
    return ','.join(sorted(unique, key=rank))


def _marker_applies(marker):
    try:
        from packaging.markers import Marker
    except ImportError:
        return True
    try:
        return Marker(marker).evaluate({'extra': ''})
    except Exception:
        return True


def core_version():
    """The running microdot-core version (``microdot.__version__``)."""
    import microdot
    return microdot.__version__


def check_core_range(requires_core, version=None):
    """Return (compatible, reason) for a plugin declaring ``requires_core`` (a specifier or None)."""
    version = version or core_version()
    if requires_core is None:
        return True, 'declares no microdot-core range'
    try:
        ok = specifier_admits(requires_core, version)
    except ValueError as exc:
        return False, 'cannot read its microdot-core range {!r}: {}'.format(requires_core, exc)
    if ok:
        return True, None
    return False, 'it supports microdot-core {}, this is microdot-core {}'.format(requires_core, version)


# ---------------------------------------------------------------------------------------------
# What an extension is, as the registry knows it before importing it
# ---------------------------------------------------------------------------------------------

class ExtensionInfo:
    """One installed or registered extension.

    Attributes: ``name``, ``distribution``, ``version`` (of the distribution, None if unknown),
    ``target`` (``'module:attr'`` it points to), ``requires_core`` (its microdot-core range or None),
    ``compatible`` (bool), ``reason`` (why not, or a note; None when there is nothing to say),
    ``source`` (``'entry point'`` or ``'registered'``).
    """

    def __init__(self, name, target, distribution=None, version=None, requires_core=None,
                 source='registered', loader=None):
        self.name = name
        self.target = target
        self.distribution = distribution
        self.version = version
        self.requires_core = requires_core
        self.source = source
        self._loader = loader
        self.compatible, self.reason = check_core_range(requires_core)
        self._range_ok = self.compatible  # False: the advice is to install another version

    def describe(self):
        """``'acme' (microdot-acme 1.0)`` – how messages name the plugin."""
        dist = self.distribution or 'registered'
        if self.version:
            dist = '{} {}'.format(dist, self.version)
        return '{!r} ({})'.format(self.name, dist)

    def load(self):
        """Import the extension and return the object its entry point names (usually a class).

        Raises IncompatibleExtensionError before importing anything when the core range does not
        admit this core, ExtensionLoadError when the import fails, and IncompatibleExtensionError
        when the loaded object declares an extension API this core does not support.
        """
        if not self.compatible:
            advice = '' if self._range_ok else ' Install a version of {} that supports ' \
                'microdot-core {}.'.format(self.distribution or 'the plugin', core_version())
            raise IncompatibleExtensionError('microdot extension {} cannot be loaded: {}.{}'.format(
                self.describe(), self.reason, advice))
        try:
            obj = self._loader()
        except Exception as exc:
            raise ExtensionLoadError(
                'microdot extension {} failed to import from {!r}: {}: {} (it supports '
                'microdot-core {}; this is microdot-core {})'.format(
                    self.describe(), self.target, type(exc).__name__, exc,
                    self.requires_core or 'of any version', core_version())) from exc
        api = declared_extension_api(obj)
        if api is not None and api not in SUPPORTED_EXTENSION_APIS:
            raise IncompatibleExtensionError(
                'microdot extension {} is written for microdot extension API {}, but microdot-core {} '
                'provides extension API {} (supported: {})'.format(
                    self.describe(), api, core_version(), EXTENSION_API,
                    ', '.join(str(n) for n in SUPPORTED_EXTENSION_APIS)))
        return obj

    def __repr__(self):
        return '<ExtensionInfo {} -> {} compatible={}>'.format(self.describe(), self.target,
                                                             self.compatible)


def declared_extension_api(obj):
    """The ``MICRODOT_EXTENSION_API`` an extension declares (on itself or its module), or None."""
    api = getattr(obj, 'MICRODOT_EXTENSION_API', None)
    if api is None:
        module = sys.modules.get(getattr(obj, '__module__', None) or '')
        api = getattr(module, 'MICRODOT_EXTENSION_API', None)
    return api


def _import_target(target):
    """Resolve ``'package.module:attr.sub'`` without importlib (MicroPython has none)."""
    module_name, _, attrs = target.partition(':')
    module_name = module_name.strip()
    __import__(module_name)
    obj = sys.modules[module_name]
    for attr in attrs.strip().split('.') if attrs.strip() else ():
        obj = getattr(obj, attr)
    return obj


# ---------------------------------------------------------------------------------------------
# Explicit registration (everywhere) and discovery (CPython)
# ---------------------------------------------------------------------------------------------

def register_extension(name, target, distribution=None, version=None, requires_core=None):
    """Make an extension known by name without an entry point (the way to do it on MicroPython).

    ``target`` is the extension object itself (usually a class) or a ``'module:attr'`` string that
    is imported on first load. ``requires_core`` is an optional specifier such as ``'>=0.1,<1'``.
    A registered name hides an installed entry point of the same name. Returns the ExtensionInfo.
    """
    if isinstance(target, str):
        def loader():
            return _import_target(target)
        shown = target
    else:
        def loader():
            return target
        module = getattr(target, '__module__', None)
        shown = '{}:{}'.format(module, getattr(target, '__name__', '?')) if module else repr(target)
    info = ExtensionInfo(name, shown, distribution, version, requires_core, 'registered', loader)
    _registered[name] = info
    return info


def unregister_extension(name):
    """Forget an extension registered with register_extension (KeyError if there is none)."""
    del _registered[name]


def _entry_point_loader(ep):
    def loader():
        return ep.load()
    return loader


def _discover():
    """ExtensionInfo for every entry point in the group, from metadata only (no plugin import).

    A distribution seen twice on sys.path counts once (the first one, as the import system does).
    """
    found = []
    if _metadata is None:
        return found
    seen = set()
    for dist in _metadata.distributions():
        try:
            eps = [ep for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP]
        except Exception:  # unreadable metadata of an unrelated distribution: not our business
            continue
        if not eps:
            continue
        dist_name = dist.metadata['Name'] or '?'
        if _normalize(dist_name) in seen:
            continue
        seen.add(_normalize(dist_name))
        requires_core = core_requirement(dist.requires)
        for ep in eps:
            found.append(ExtensionInfo(ep.name, ep.value, dist_name, dist.version, requires_core,
                                       'entry point', _entry_point_loader(ep)))
    return found


def list_extensions():
    """Every known extension, registered ones first, then installed ones sorted by name.

    Nothing is imported. An installed extension hidden by a registered one of the same name is
    left out; two installed distributions offering the same name are both listed (loading that
    name is then an error until one is uninstalled).
    """
    result = [_registered[name] for name in sorted(_registered)]
    discovered = [info for info in _discover() if info.name not in _registered]
    discovered.sort(key=lambda info: (info.name, _normalize(info.distribution or '')))
    names = {}
    for info in discovered:
        names.setdefault(info.name, []).append(info)
    for name in names:
        if len(names[name]) > 1:
            dists = ', '.join(i.distribution for i in names[name])
            for info in names[name]:
                info.compatible = False
                info.reason = 'the name {!r} is offered by several distributions: {}'.format(
                    name, dists)
    return result + discovered


def find_extension(name):
    """The ExtensionInfo for ``name``; raises ExtensionNotFoundError if there is none."""
    if name in _registered:
        return _registered[name]
    matches = [info for info in list_extensions() if info.name == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ExtensionError('microdot extension {!r} is ambiguous: {}'.format(name, matches[0].reason))
    raise ExtensionNotFoundError(not_found_message(name))


def not_found_message(name):
    message = 'no microdot extension named {!r} is installed or registered'.format(name)
    if name in FIRST_PARTY:
        message += '; install it with: pip install {}'.format(FIRST_PARTY[name][1])
    elif _metadata is None:
        message += ' (on this Python extensions must be registered with register_extension())'
    return message


def load_extension(name):
    """Find the extension ``name``, check it fits this core, import it and return its object."""
    return find_extension(name).load()


def initialize_extension(app, name, **options):
    """Load the extension ``name`` and initialise it on ``app``: ``Ext(app, **options)``."""
    return load_extension(name)(app, **options)
