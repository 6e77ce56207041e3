"""Helpers for the registry and CLI tests: real installed-distribution metadata on disk.

A "site" folder holds ``<dist>-<version>.dist-info`` folders (METADATA, entry_points.txt) and
plugin modules, exactly as pip lays them out; putting it on sys.path (or PYTHONPATH) makes
importlib.metadata find them the same way it finds anything pip installed.
"""
import os
import sys

CORE_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'src')

PLUGIN_SOURCE = '''
MARK = []


class {cls}:
    """An extension in the documented shape: Ext(app, **options) or Ext(**options) + initialize."""

    def __init__(self, app=None, header='X-{cls}', value='on'):
        self.header = header
        self.value = value
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        app.add_extension('{name}', self)

        @app.after_request
        def add_header(request, response):
            response.headers[self.header] = self.value
'''


def write_distribution(site, dist, version, entry_points, requires=(), modules=None):
    """Lay out an installed distribution in ``site``.

    entry_points: {name: 'module:attr'} in the microdot.extensions group.
    requires: Requires-Dist lines. modules: {filename: source}.
    """
    os.makedirs(site, exist_ok=True)
    info = os.path.join(site, '{}-{}.dist-info'.format(dist.replace('-', '_'), version))
    os.makedirs(info)
    lines = ['Metadata-Version: 2.1', 'Name: {}'.format(dist), 'Version: {}'.format(version)]
    lines += ['Requires-Dist: {}'.format(r) for r in requires]
    with open(os.path.join(info, 'METADATA'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(info, 'entry_points.txt'), 'w') as f:
        f.write('[microdot.extensions]\n')
        for name, target in entry_points.items():
            f.write('{} = {}\n'.format(name, target))
    for filename, source in (modules or {}).items():
        with open(os.path.join(site, filename), 'w') as f:
            f.write(source)
    return info


def plugin_module(name, cls):
    return PLUGIN_SOURCE.format(name=name, cls=cls)


def forget_modules(prefix):
    for mod in [m for m in sys.modules if m == prefix or m.startswith(prefix + '.')]:
        del sys.modules[mod]
