"""Prepare the release of one distribution; uploads nothing.

    tox -e release -- microdot-cors [--skip-tests] [--pythons py39,py313]
    (or python tools/release.py ..., with hatch, twine, mypy and tox installed)

1. reads the version from the module's ``__version__`` (the one place it lives);
2. checks that ``CHANGELOG.md`` has a ``## [<version>]`` section with a date and some content,
   and that the tag ``<dist>-v<version>`` does not exist yet;
3. builds the wheel and sdist with hatch and runs the checks of ``tools/dists.py check`` on it
   and the core (contents, metadata, twine, stubtest; the core pin must admit this core);
4. runs the distribution's matrix: ``tox -e dist-<name>-py39,dist-<name>-py313`` (tests from the
   wheels in clean venvs) and, for a MicroPython distribution, the mip conformance envs;
5. prints the tag to push: ``git tag -a <dist>-v<version> -m ... && git push origin <tag>``.

Publishing happens in CI from that tag (docs/releasing.md), never from a workstation.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import dists  # noqa: E402


def changelog_problems(dist):
    """What is wrong with CHANGELOG.md for ``dist.version`` (empty list: fine)."""
    path = os.path.join(dist.folder, 'CHANGELOG.md')
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError:
        return ['{} does not exist'.format(os.path.relpath(path, ROOT))]
    m = re.search(r'^## \[?{}\]?(.*)$'.format(re.escape(dist.version)), text, re.M)
    if not m:
        return ['CHANGELOG.md has no "## [{}] - YYYY-MM-DD" section'.format(dist.version)]
    problems = []
    if not re.search(r'\d{4}-\d{2}-\d{2}', m.group(1)):
        problems.append('the {} section of CHANGELOG.md has no release date'.format(dist.version))
    body = text[m.end():]
    nxt = re.search(r'^## ', body, re.M)
    if not (body[:nxt.start()] if nxt else body).strip():
        problems.append('the {} section of CHANGELOG.md is empty'.format(dist.version))
    return problems


def tag_name(dist):
    return '{}-v{}'.format(dist.name, dist.version)


def tag_exists(tag):
    return subprocess.run(['git', 'rev-parse', '-q', '--verify', 'refs/tags/' + tag], cwd=ROOT,
                          stdout=subprocess.DEVNULL).returncode == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('name', help='the distribution (microdot-cors, or cors)')
    parser.add_argument('--pythons', default=','.join(dists.TOX_PYTHONS))
    parser.add_argument('--skip-tests', action='store_true', help='checks and build only')
    args = parser.parse_args(argv)
    dist = dists.get(args.name)
    tag = tag_name(dist)
    print('release {} {}'.format(dist.name, dist.version))
    problems = changelog_problems(dist)
    if tag_exists(tag):
        problems.append('the tag {} exists already: bump __version__ first'.format(tag))
    if problems:
        for p in problems:
            print('PROBLEM: ' + p, file=sys.stderr)
        return 1
    print('CHANGELOG.md: {} section found'.format(dist.version))
    everything = dists.distributions()
    scope = [everything[0]] + ([] if dist.is_core else [dist])  # the core: its pin is checked
    problems, report = dists.check_all(scope)
    mine = [r for r in report if r['distribution'] == dist.name]
    dists.print_report(mine)
    if problems:
        for p in problems:
            print('PROBLEM: ' + p, file=sys.stderr)
        return 1
    if not args.skip_tests:
        envs = ['dist-{}-{}'.format(dist.short, py) for py in args.pythons.split(',')]
        if dist.is_core:
            envs.append('dist-core-alone')
        if dist.micropython:
            envs += ['conformance-micropython-mip-py', 'conformance-micropython-mip-mpy']
        env = dict(os.environ, MICRODOT_MIP_DISTS=dist.name)
        code = subprocess.call([sys.executable, '-m', 'tox', 'run-parallel', '-p', 'auto',
                                '-e', ','.join(envs)], cwd=ROOT, env=env)
        if code != 0:
            print('PROBLEM: the matrix failed ({})'.format(', '.join(envs)), file=sys.stderr)
            return code
    print()
    print('{} {} is ready. Tag and push (CI publishes from the tag):'.format(
        dist.name, dist.version))
    print('    git tag -a {0} -m "{1} {2}" && git push origin {0}'.format(
        tag, dist.name, dist.version))
    print(tag)
    return 0


if __name__ == '__main__':
    sys.exit(main())
