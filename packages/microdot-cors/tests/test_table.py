"""The request table (cors_cases.CASES): in process with the test client, and over a real socket
with httpx against the built-in server."""
import httpx
import pytest

import cors_cases
from microdot.test_client import TestClient

APPS = cors_cases.make_apps()
IDS = [case[0] for case in cors_cases.CASES]


def test_case_ids_are_unique():
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize('case', cors_cases.CASES, ids=IDS)
async def test_test_client(case):
    _, app_name, method, path, headers, _, _, _ = case
    res = await TestClient(APPS[app_name]).request(method, path, headers=dict(headers))
    problem = cors_cases.check(case, res.status_code, list(res.headers.items()), res.text)
    assert problem is None, problem


@pytest.mark.parametrize('case', cors_cases.CASES, ids=IDS)
def test_real_socket(case, live_servers):
    _, app_name, method, path, headers, _, _, _ = case
    res = httpx.request(method, live_servers[app_name].url + path, headers=headers, timeout=10)
    problem = cors_cases.check(case, res.status_code, res.headers.multi_items(), res.text)
    assert problem is None, problem
