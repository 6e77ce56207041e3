"""Print each tox env's pytest summary line and the totals, from ``tox --result-json FILE``.

    python3 tools/tox_summary.py .tox/result.json
    python3 tools/tox_summary.py --unfinished .tox/run.log ENV...   (after a time-out)

``tox -p`` shows only the output of failing envs; this shows every env's closing pytest line
(``== 12 passed, 1 skipped in 3.2s ==``) and ends with one plain total line
(``total: N passed, N failed, N skipped``). Exit status 1 when an env failed or ran no test.
"""
import json
import re
import sys

COUNT = re.compile(r'(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)')


def pytest_summary(output):
    """The last ``=== ... in Ns ===`` line of a pytest run, or None."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith('=') and line.endswith('=') and ' in ' in line:
            return line
    return None


def main(path):
    with open(path) as f:
        report = json.load(f)
    totals = {}
    problems = []
    for name, env in sorted(report.get('testenvs', {}).items()):
        commands = env.get('test', [])
        if not commands:
            if 'result' in env:  # run but no command: set-up failed
                problems.append(name)
                print('{}: did not run its tests (set-up failed)'.format(name))
            continue
        output = ''.join(c.get('output', '') for c in commands)
        summary = pytest_summary(output)
        failed = any(c.get('retcode') for c in commands)
        # an env that runs pytest must show its summary; others (the docs build) go by exit code
        ran_pytest = any('pytest' in ' '.join(c.get('command', [])) for c in commands)
        print('{}: {}'.format(name, summary or '{} (exit {})'.format(
            'no pytest summary' if ran_pytest else 'no tests run',
            [c.get('retcode') for c in commands])))
        if failed or (ran_pytest and summary is None):
            problems.append(name)
        for count, kind in COUNT.findall(summary or ''):
            kind = 'error' if kind.startswith('error') else kind
            totals[kind] = totals.get(kind, 0) + int(count)
    if problems:
        print('envs with failures: ' + ', '.join(problems))
    line = '{} passed, {} failed'.format(totals.get('passed', 0),
                                         totals.get('failed', 0) + totals.get('error', 0))
    if totals.get('skipped'):
        line += ', {} skipped'.format(totals['skipped'])
    print('total: ' + line)
    return 1 if problems else 0


def unfinished(log_path, envs):
    """After ./run-tests ran out of time (no result file): name the envs of ``envs`` whose
    ``<env>: OK`` / ``<env>: FAIL`` line never reached the log of ``tox run-parallel``."""
    with open(log_path, errors='replace') as f:
        done = set(re.findall(r'^([\w.-]+): (?:OK|FAIL)', f.read(), re.M))
    left = [env for env in envs if env not in done]
    print('unfinished envs (still running or never started): ' + (', '.join(left) or 'none'))
    return 1


if __name__ == '__main__':
    if sys.argv[1:2] == ['--unfinished']:
        sys.exit(unfinished(sys.argv[2], sys.argv[3:]))
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '.tox/result.json'))
