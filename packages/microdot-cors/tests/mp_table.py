"""Run the request table under MicroPython (or CPython): ``micropython mp_table.py`` prints one
line per failing case, then ``CASES <n> FAILED <m>``. ``mp_table.py serve APP PORT`` serves one app
of the table on 127.0.0.1:PORT instead."""
import asyncio
import sys

import cors_cases


async def run_table():
    from microdot.test_client import TestClient
    apps = cors_cases.make_apps()
    failed = 0
    for case in cors_cases.CASES:
        _, app_name, method, path, headers, _, _, _ = case
        res = await TestClient(apps[app_name]).request(method, path, headers=dict(headers))
        problem = cors_cases.check(case, res.status_code, list(res.headers.items()), res.text)
        if problem is not None:
            failed += 1
            print('FAIL', problem)
    print('CASES {} FAILED {}'.format(len(cors_cases.CASES), failed))


def main(argv):
    if len(argv) == 3 and argv[0] == 'serve':
        app = cors_cases.make_apps()[argv[1]]
        print('serving', argv[1])
        app.run(host='127.0.0.1', port=int(argv[2]))
    else:
        asyncio.run(run_table())


main(sys.argv[1:])
