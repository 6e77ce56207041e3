"""Fixtures of the attack suite: the conformance suite's target app and runtime launcher, reused.

tests/conftest.py is imported under another name (``conformance_conftest``) rather than copied: the
same ``server`` (tests/apps/main.py with every plugin's routes, on the runtime named by
``MICRODOT_TARGET``), the same ``raw`` connection and the same autouse liveness check (after every
case the server is alive and answers a new request). The conformance test modules whose cases are
part of the attack suite are imported by the attack modules (see test_reused_conformance.py).
"""
import importlib.util
import os
import sys

import httpx
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTS = os.path.join(ROOT, 'tests')
os.environ.setdefault('PYTHONUNBUFFERED', '1')  # the server's log lines reach its log file at once
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)  # rawhttp, server_runtimes and the conformance modules

_spec = importlib.util.spec_from_file_location('conformance_conftest',
                                               os.path.join(TESTS, 'conftest.py'))
conformance = importlib.util.module_from_spec(_spec)
sys.modules['conformance_conftest'] = conformance
_spec.loader.exec_module(conformance)

# fixtures and helpers, re-exported so that pytest (and imported conformance modules) see them here
server = conformance.server
raw = conformance.raw
server_still_answers = conformance.server_still_answers
require = conformance.require
require_own_protocol = conformance.require_own_protocol
OWN_PROTOCOL = conformance.OWN_PROTOCOL
ServerProcess = conformance.ServerProcess
RUNTIMES = conformance.RUNTIMES
TARGET = conformance.TARGET
SERVER_OPTIONS = conformance.SERVER_OPTIONS
free_port = conformance.free_port


@pytest.fixture
def own_protocol(server):
    require_own_protocol(server)


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def assert_answers_quickly(server, limit=5.0):
    """A normal request is served within ``limit`` seconds (liveness under attack)."""
    res = httpx.get(server.url + '/core/text', timeout=limit)
    assert res.status_code == 200, res
    return res.elapsed.total_seconds()


# figures the cases report (fuzz counts, concurrency), printed at the end of the run
FIGURES = []


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section('attack figures ({})'.format(TARGET))
        for line in FIGURES:
            terminalreporter.write_line(line)
