"""Sphinx configuration of the microdot documentation (tox -e docs builds it with -W)."""
import os
import re


project = 'microdot'
author = 'the microdot authors'
copyright = '2026, the microdot authors'
try:
    from microdot import __version__ as release
except ImportError:  # building without the packages installed: autodoc pages will say so
    release = ''
version = release

extensions = ['myst_parser', 'sphinx.ext.autodoc', 'sphinx.ext.intersphinx',
              'sphinx.ext.viewcode']
source_suffix = {'.md': 'markdown', '.rst': 'restructuredtext'}
root_doc = 'index'
exclude_patterns = ['_build', 'requirements.txt', 'README.md']
myst_enable_extensions = ['colon_fence']
myst_heading_anchors = 3

autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True, 'undoc-members': False}
autodoc_typehints = 'none'  # type hints live in the .pyi stubs, not in the modules
intersphinx_mapping = {}

html_theme = 'alabaster'
html_title = 'microdot'
html_theme_options = {
    'description': 'The impossibly small web framework for Python and MicroPython'}


# Pages that live in docs/ (and are read on GitHub too) link to files elsewhere in the repository,
# such as ../packages/microdot-cors/README.md. Those are not pages of this site: show them as the
# repository path instead of a broken link.
_REPO_LINK = re.compile(r'\[([^\]]+)\]\(\.\./((?:packages|examples|tests|tools|bench)/[^)\s]+)\)')


def _repository_links(app, docname, source):
    source[0] = _REPO_LINK.sub(r'\1 (`\2`)', source[0])


def _unlisted_pages(app, docname, source):
    """Top-level pages that others add to docs/ later appear under "More" instead of failing the
    build (a page outside every toctree is a warning, and the build treats warnings as errors)."""
    if docname != root_doc:
        return
    listed = set(re.findall(r'^([\w-]+)\s*$', source[0], re.M))
    pages = sorted(name[:-3] for name in os.listdir(app.srcdir)
                   if name.endswith('.md') and name[:-3] not in listed | {root_doc, 'README'})
    if pages:
        source[0] += ('\n```{toctree}\n:caption: More\n:maxdepth: 1\n\n' + '\n'.join(pages)
                      + '\n```\n')


def setup(app):
    app.connect('source-read', _repository_links)
    app.connect('source-read', _unlisted_pages)
