"""Shared fixtures: every app of the request table, in process and on a real server."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cors_cases  # noqa: E402
from microdot.testing import LiveServer  # noqa: E402


@pytest.fixture(scope='session')
def live_servers():
    """``{app name: LiveServer}``: each app of the table on the built-in server, 127.0.0.1."""
    servers = {}
    try:
        for name, app in cors_cases.make_apps().items():
            servers[name] = LiveServer(app).start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()
