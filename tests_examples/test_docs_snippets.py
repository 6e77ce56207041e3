"""Every Python snippet of the user guide and the extension pages is valid Python."""
import glob
import os
import re

import pytest

from processes import ROOT

PAGES = sorted(glob.glob(os.path.join(ROOT, 'docs', 'guide', '*.md')) +
               glob.glob(os.path.join(ROOT, 'docs', 'extensions', '*.md')) +
               [os.path.join(ROOT, 'docs', 'showcase.md')])
BLOCK = re.compile(r'^```python\n(.*?)^```', re.S | re.M)


@pytest.mark.parametrize('page', PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_python_snippets_compile(page):
    with open(page, encoding='utf-8') as f:
        text = f.read()
    for i, snippet in enumerate(BLOCK.findall(text)):
        compile(snippet, '{} snippet {}'.format(page, i + 1), 'exec')


def test_pages_have_snippets():
    assert sum(len(BLOCK.findall(open(p, encoding='utf-8').read())) for p in PAGES) >= 20
