# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as users get it: the galaxy build, ansible-doc of every module, the action group and the doc fragments."""

from __future__ import annotations

import ast
import glob
import importlib.util
import json
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

from ansible_collections.esper.mdm.tests.integration.conftest import COLLECTION_DIR, collections_root

NAMESPACE, NAME = 'esper', 'mdm'
# Folders that are for developers only and must stay out of the built collection.
DEVELOPER_ONLY = ('tests', 'simulator', '.venv', 'scripts', '.ci', 'docs', '.git', 'Makefile', 'requirements-dev.txt',
                  '.ansible-lint', '.gitignore')


def collection_tree():
    """The laid-out collection (ansible_collections/esper/mdm below the collections root)."""
    return os.path.join(collections_root(), 'ansible_collections', NAMESPACE, NAME)


def module_names():
    """The module names, one per file in plugins/modules."""
    return sorted(os.path.splitext(os.path.basename(path))[0]
                  for path in glob.glob(os.path.join(COLLECTION_DIR, 'plugins', 'modules', '*.py'))
                  if not os.path.basename(path).startswith('_'))


def tool(name):
    """The path of an ansible command-line tool next to the Python running the tests."""
    return os.path.join(os.path.dirname(sys.executable), name)


def ansible_env():
    env = dict(os.environ)
    env.update({'ANSIBLE_COLLECTIONS_PATH': collections_root(), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
                'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_DEPRECATION_WARNINGS': 'false'})
    return env


def run_tool(*command):
    return subprocess.run(command, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)


def read_yaml(*parts):
    with open(os.path.join(collection_tree(), *parts), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def inventory_plugin_names():
    """The inventory plugin names, one per file in plugins/inventory."""
    return sorted(os.path.splitext(os.path.basename(path))[0]
                  for path in glob.glob(os.path.join(COLLECTION_DIR, 'plugins', 'inventory', '*.py'))
                  if not os.path.basename(path).startswith('_'))


def module_documentation(name, kind='modules'):
    """The parsed DOCUMENTATION of a module (or, with kind='inventory', plugin) file, read without importing it."""
    with open(os.path.join(collection_tree(), 'plugins', kind, name + '.py'), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, 'id', None) == 'DOCUMENTATION' for target in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no DOCUMENTATION' % name)


def fragment_documents():
    """(fragment name as modules cite it, parsed YAML) for every documentation string of every doc fragment file."""
    documents = []
    for path in sorted(glob.glob(os.path.join(collection_tree(), 'plugins', 'doc_fragments', '*.py'))):
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem.startswith('_'):
            continue
        spec = importlib.util.spec_from_file_location('esper_mdm_fragment_%s' % stem, path)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        fragment = loaded.ModuleDocFragment
        for attribute in sorted(vars(fragment)):
            if attribute.isupper() and isinstance(getattr(fragment, attribute), str):
                name = '%s.%s.%s' % (NAMESPACE, NAME, stem)
                if attribute != 'DOCUMENTATION':
                    name += '.' + attribute.lower()
                documents.append((name, yaml.safe_load(getattr(fragment, attribute))))
    return documents


@pytest.fixture(scope='module')
def module_docs():
    """ansible-doc --json of every module, keyed by FQCN."""
    fqcns = ['%s.%s.%s' % (NAMESPACE, NAME, name) for name in module_names()]
    completed = run_tool(tool('ansible-doc'), '--json', '-t', 'module', *fqcns)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-4000:]
    return json.loads(completed.stdout)


def test_there_are_modules():
    assert {'esper_command', 'esper_command_info'} <= set(module_names())


def test_galaxy_build_ships_the_collection_without_developer_files(tmp_path):
    completed = run_tool(tool('ansible-galaxy'), 'collection', 'build', collection_tree(), '--output-path', str(tmp_path))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    version = read_yaml('galaxy.yml')['version']
    tarball = tmp_path / ('%s-%s-%s.tar.gz' % (NAMESPACE, NAME, version))
    assert tarball.exists(), os.listdir(tmp_path)
    with tarfile.open(tarball) as archive:
        members = set(archive.getnames())
        manifest = json.load(archive.extractfile('MANIFEST.json'))

    expected = {'plugins/modules/%s.py' % name for name in module_names()} | {'meta/runtime.yml', 'README.md', 'MANIFEST.json', 'FILES.json'}
    # The licence text galaxy.yml's GPL-3.0-or-later and every plugin header point to, and the AWX credential type.
    expected |= {'COPYING', 'meta/execution-environment.yml', 'requirements.txt', 'awx/credential_type.yml'}
    assert expected <= members, sorted(expected - members)
    with open(os.path.join(collection_tree(), 'COPYING'), encoding='utf-8') as handle:
        licence = handle.read()
    assert 'GNU GENERAL PUBLIC LICENSE' in licence and 'Version 3, 29 June 2007' in licence and 'END OF TERMS AND CONDITIONS' in licence
    # Needs awx.awx, which the collection does not depend on: it stays in the repository.
    assert 'playbooks/awx_credential_type.yml' not in members
    leaked = sorted(member for member in members if member.split('/')[0] in DEVELOPER_ONLY)
    assert leaked == []
    assert not [member for member in members if '__pycache__' in member or member.endswith('.pyc')]
    info = manifest['collection_info']
    assert (info['namespace'], info['name'], info['version']) == (NAMESPACE, NAME, version)


def test_ansible_doc_renders_every_module_as_text():
    fqcns = ['%s.%s.%s' % (NAMESPACE, NAME, name) for name in module_names()]
    completed = run_tool(tool('ansible-doc'), '-t', 'module', *fqcns)
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert 'ERROR' not in completed.stderr, completed.stderr[-4000:]
    for fqcn in fqcns:
        assert fqcn in completed.stdout
    assert completed.stdout.count('OPTIONS') >= len(fqcns)
    assert completed.stdout.count('EXAMPLES') >= len(fqcns)


@pytest.mark.parametrize('name', module_names())
def test_ansible_doc_json_has_doc_examples_and_return(module_docs, name):
    entry = module_docs['%s.%s.%s' % (NAMESPACE, NAME, name)]
    doc = entry['doc']
    assert doc['module'] == name
    assert doc['short_description'] and doc['description']
    assert doc['version_added'] == '0.1.0'
    assert doc['options']
    assert set(doc['attributes']) >= {'check_mode', 'diff_mode', 'idempotent', 'action_group'}
    assert all('support' in value for value in doc['attributes'].values())
    examples = yaml.safe_load(entry['examples'])
    assert isinstance(examples, list) and examples
    assert all(task.get('name') for task in examples)
    assert any(('%s.%s.%s' % (NAMESPACE, NAME, name)) in task for task in examples)
    assert isinstance(entry['return'], dict) and entry['return']


def test_action_group_lists_exactly_the_modules():
    runtime = read_yaml('meta', 'runtime.yml')
    group = runtime['action_groups']['esper']
    assert len(group) == len(set(group))
    assert sorted(group) == module_names()


def test_every_doc_fragment_is_used_and_loads(module_docs):
    documents = fragment_documents()
    assert {name for name, document in documents} >= {'esper.mdm.connection', 'esper.mdm.targets', 'esper.mdm.attributes'}
    users = {('module', name): module_documentation(name).get('extends_documentation_fragment') or [] for name in module_names()}
    users.update((('inventory', name), module_documentation(name, 'inventory').get('extends_documentation_fragment') or [])
                 for name in inventory_plugin_names())
    for fragment, document in documents:
        plugins = sorted(key for key, fragments in users.items() if fragment in fragments)
        assert plugins, '%s is used by no module or plugin' % fragment
        for kind, name in plugins:
            # ansible-doc merged the fragment into the plugin's documentation: every option and attribute is there.
            if kind == 'module':
                doc = module_docs['%s.%s.%s' % (NAMESPACE, NAME, name)]['doc']
            else:
                completed = run_tool(tool('ansible-doc'), '--json', '-t', kind, '%s.%s.%s' % (NAMESPACE, NAME, name))
                assert completed.returncode == 0, completed.stderr[-4000:]
                doc = json.loads(completed.stdout)['%s.%s.%s' % (NAMESPACE, NAME, name)]['doc']
            missing_options = set(document.get('options') or {}) - set(doc.get('options') or {})
            assert not missing_options, '%s: options of %s missing: %s' % (name, fragment, sorted(missing_options))
            missing_attributes = set(document.get('attributes') or {}) - set(doc.get('attributes') or {})
            assert not missing_attributes, '%s: attributes of %s missing: %s' % (name, fragment, sorted(missing_attributes))
