import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'tests_examples'))

from processes import EXAMPLES, ServerProcess, free_port, python, uvicorn  # noqa: E402

SHOWCASE = os.path.join(EXAMPLES, 'showcase')
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
# Debian's chromium as root, in a closed network (see /work/shared/FACTS.md)
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']
ARTIFACTS = os.environ.get('BROWSER_ARTIFACTS',
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), 'artifacts'))


@pytest.fixture(scope='session')
def browser(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail('no Chromium at {} (apt-get install chromium)'.format(CHROMIUM))
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                    timeout=30000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope='module', params=['builtin', 'uvicorn'])
def showcase(request):
    """The showcase on one runtime, plus two pages on other origins: ``allowed`` (listed in the
    showcase's CORS settings) and ``denied`` (not listed)."""
    allowed_port, denied_port = free_port(), free_port()
    allowed_origin = 'http://127.0.0.1:{}'.format(allowed_port)
    env = {'SHOWCASE_ALLOWED_ORIGINS': allowed_origin, 'SHOWCASE_SECRET_KEY': 'browser-test'}
    if request.param == 'builtin':
        argv = python(os.path.join(SHOWCASE, 'app.py'), '--port', '{port}')
    else:
        argv = uvicorn(SHOWCASE, 'asgi_app:app')
    app = ServerProcess(argv, env=env)
    app.runtime = request.param
    with app:
        client = python(os.path.join(SHOWCASE, 'client.py'), '--port', '{port}', '--api', app.url)
        with ServerProcess(client, port=allowed_port) as allowed, \
                ServerProcess(client, port=denied_port) as denied:
            app.allowed, app.denied = allowed, denied
            yield app
    if request.node.session.testsfailed:
        print(app.output())


@pytest.fixture(scope='session')
def artifacts():
    os.makedirs(ARTIFACTS, exist_ok=True)
    return ARTIFACTS


def pytest_report_header(config):
    return 'chromium: {}'.format(shutil.which('chromium') or CHROMIUM)
