"""Workflows, package.json files and tox envs follow the list of packages: a new package cannot
be forgotten, a removed one cannot linger."""
import glob
import json
import os

import pytest
import yaml

import dists

ROOT = dists.ROOT
DISTS = dists.distributions()


def load_workflow(dist):
    with open(dists.workflow_path(dist), encoding='utf-8') as f:
        data = yaml.safe_load(f)
    data['on'] = data.pop(True, data.get('on'))  # YAML 1.1 reads the key `on` as True
    return data


def test_one_workflow_per_distribution():
    files = sorted(os.path.basename(p) for p in glob.glob(
        os.path.join(ROOT, '.github', 'workflows', '*.yml')))
    assert files == sorted(d.name + '.yml' for d in DISTS)


@pytest.mark.parametrize('dist', DISTS, ids=lambda d: d.name)
def test_workflow_is_what_the_generator_makes(dist):
    with open(dists.workflow_path(dist), encoding='utf-8') as f:
        assert f.read() == dists.workflow_yaml(dist, DISTS), \
            'stale: python tools/dists.py workflows'


@pytest.mark.parametrize('dist', DISTS, ids=lambda d: d.name)
def test_workflow_shape(dist):
    wf = load_workflow(dist)
    assert wf['name'] == dist.name
    for event in ('push', 'pull_request'):
        paths = wf['on'][event]['paths']
        assert 'packages/{}/**'.format(dist.name) in paths
        assert 'packages/microdot-core/**' in paths
        assert '.github/workflows/{}.yml'.format(dist.name) in paths
        # every path filter names something that exists
        for p in paths:
            assert glob.glob(os.path.join(ROOT, p.replace('/**', '')), recursive=True), p
    test = wf['jobs']['test']
    assert test['strategy']['matrix']['python'] == dists.PYTHONS
    assert test['steps'][1]['with']['python-version'] == '${{ matrix.python }}'
    assert test['steps'][-1]['run'] == 'python tools/dists.py test ' + dist.name
    assert 'tox -e dist-check,dist-core-alone' in [s.get('run') for s in wf['jobs']['build']['steps']]
    if dist.micropython:
        mp = wf['jobs']['micropython']
        assert mp['strategy']['matrix']['flavour'] == ['py', 'mpy']
        step = mp['steps'][-1]
        assert step['run'] == 'tox -e conformance-micropython-mip-${{ matrix.flavour }}'
        assert step['env'] == {'MICRODOT_MIP_DISTS': dist.name}
    else:
        assert 'micropython' not in wf['jobs']
    for job in wf['jobs'].values():
        for step in job['steps']:
            if 'uses' in step:
                assert '@v' in step['uses']  # pinned to a major version


def test_tox_has_the_envs_of_every_distribution():
    assert dists.tox_check() == []


def test_tox_envs_cover_each_distribution_on_two_pythons():
    envs = dists.tox_envs(DISTS)
    for d in DISTS:
        assert 'dist-{}-py39'.format(d.short) in envs
        assert 'dist-{}-py313'.format(d.short) in envs


@pytest.mark.parametrize('dist', DISTS, ids=lambda d: d.name)
def test_package_json(dist):
    path = os.path.join(dist.folder, 'package.json')
    if not dist.micropython:
        assert not os.path.exists(path), 'a CPython-only distribution has no package.json'
        return
    with open(path, encoding='utf-8') as f:
        doc = json.load(f)
    assert doc == dists.package_json(dist), 'stale: python tools/dists.py package-json'
    prefix = 'github:{}/'.format(dists.GITHUB_REPO)
    assert sorted(t for t, _ in doc['urls']) == sorted('microdot/' + m for m in dist.mp_modules)
    for target, url in doc['urls']:
        assert url.startswith(prefix)
        assert os.path.isfile(os.path.join(ROOT, url[len(prefix):])), url
        assert url.endswith(target)
    if dist.is_core:
        assert doc['deps'] == []
    else:
        assert [prefix + 'packages/microdot-core', 'main'] in doc['deps']
        # mip has no extras: the siblings any module needs come along (auth's login.py: session)
        for sibling in dist.siblings:
            assert [prefix + 'packages/' + sibling, 'main'] in doc['deps']
    for dep, _branch in doc['deps']:
        assert os.path.isfile(os.path.join(ROOT, dep[len(prefix):], 'package.json'))
    assert doc['version'] == dist.version


@pytest.mark.parametrize('dist', DISTS, ids=lambda d: d.name)
def test_sibling_dependencies_are_distributions_of_the_repo(dist):
    names = [d.name for d in DISTS]
    for sibling in dist.siblings:
        assert sibling in names and sibling != dists.CORE
    closure = dists.sibling_closure(dist, DISTS)
    assert dist not in closure
    assert set(dist.siblings) <= set(d.name for d in closure)


def test_login_needs_session_through_an_extra_only():
    auth = dists.get('microdot-auth', DISTS)
    assert auth.sibling_deps == {'login': ['microdot-session']}
    assert [d.name for d in dists.sibling_closure(auth, DISTS)] == ['microdot-session']
