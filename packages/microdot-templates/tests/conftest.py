"""Shared fixtures: a throw-away project folder to hold templates, as an app's folder would.

uTemplate compiles templates into modules named after their folder and imports them, so the
folder must be the current directory and on ``sys.path``, as it is when an app runs from its own
folder. ``project`` makes a fresh one per test and, afterwards, forgets the modules compiled from
it and the process-wide defaults that ``Template.initialize()`` set.
"""
import importlib
import os
import sys

import pytest

import microdot.jinja
import microdot.utemplate


class Project:
    def __init__(self, path):
        self.path = path

    def write(self, relpath, text):
        path = os.path.join(self.path, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        return path


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    microdot.utemplate.Template._loader = None
    microdot.jinja.Template.jinja_env = None
    importlib.invalidate_caches()
    yield Project(str(tmp_path))
    microdot.utemplate.Template._loader = None
    microdot.jinja.Template.jinja_env = None
    root = str(tmp_path)
    stale = []
    for name in sorted(set(sys.modules) - before):
        module = sys.modules[name]
        try:
            origins = [getattr(module, '__file__', None) or '']
            origins += [str(p) for p in getattr(module, '__path__', None) or []]
        except KeyError:  # a namespace package whose parent is gone
            origins = [root]
        if any(o.startswith(root) for o in origins):
            stale.append(name)
    for name in stale:
        sys.modules.pop(name, None)
    importlib.invalidate_caches()
