# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX credential type (awx/credential_type.yml) sets exactly the variables the modules and the inventory plugin read."""

from __future__ import annotations

import ast
import importlib
import os
import re

import pytest
import yaml

from ansible_collections.esper.mdm.plugins.module_utils._client import connection_argument_spec

COLLECTION_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDENTIAL_TYPE = os.path.join(COLLECTION_DIR, 'awx', 'credential_type.yml')
INVENTORY_PLUGIN = os.path.join(COLLECTION_DIR, 'plugins', 'inventory', 'esper.py')
# The connection settings a user gives AWX once. ca_path, timeout and max_retries are per-job tuning
# (ca_path names a file inside the execution environment), so they stay task options or variables.
CREDENTIAL_OPTIONS = {'api_key', 'tenant', 'api_url', 'enterprise_id', 'validate_certs'}
INJECTOR_TEMPLATE = re.compile(r'^\{\{ (\w+) \}\}$')


@pytest.fixture(scope='module')
def credential_type():
    with open(CREDENTIAL_TYPE, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def injected(credential_type):
    """{option name: environment variable} from the env injectors, each of the form '{{ field }}'."""
    pairs = {}
    for variable, template in credential_type['injectors']['env'].items():
        match = INJECTOR_TEMPLATE.match(template)
        assert match, '%s: %r is not a plain "{{ field }}" template' % (variable, template)
        pairs[match.group(1)] = variable
    return pairs


def module_variables():
    """{option name: environment variable} as the modules read them (env_fallback in connection_argument_spec)."""
    variables = {}
    for name, spec in connection_argument_spec().items():
        fallback = spec.get('fallback')
        if fallback:
            variables[name] = fallback[1][0]
    return variables


def documentation_of(path):
    """The parsed DOCUMENTATION string of a plugin file, read without importing it."""
    with open(path, encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, 'id', None) == 'DOCUMENTATION' for target in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no DOCUMENTATION' % path)


def plugin_variables():
    """{option name: environment variable} as the inventory plugin reads them: its options' env entries, fragments merged."""
    documentation = documentation_of(INVENTORY_PLUGIN)
    options = {}
    for fragment in documentation.get('extends_documentation_fragment') or []:
        if fragment.startswith('esper.mdm.'):
            loaded = importlib.import_module('ansible_collections.esper.mdm.plugins.doc_fragments.' + fragment.split('.')[2])
            options.update(yaml.safe_load(loaded.ModuleDocFragment.DOCUMENTATION).get('options') or {})
    options.update(documentation.get('options') or {})
    return dict((name, option['env'][0]['name']) for name, option in options.items() if option.get('env'))


def test_inputs_are_the_connection_options(credential_type):
    fields = {field['id']: field for field in credential_type['inputs']['fields']}
    assert set(fields) == CREDENTIAL_OPTIONS
    assert fields['api_key'].get('secret') is True
    assert [name for name, field in fields.items() if field.get('secret')] == ['api_key']
    assert fields['validate_certs']['type'] == 'boolean' and fields['validate_certs']['default'] is True
    assert credential_type['inputs']['required'] == ['api_key']
    assert credential_type['kind'] == 'cloud'
    assert credential_type['name'] == 'Esper API'


def test_injectors_set_exactly_the_variables_the_modules_read(credential_type):
    pairs = injected(credential_type)
    assert set(pairs) == CREDENTIAL_OPTIONS
    modules = module_variables()
    assert dict((name, modules[name]) for name in CREDENTIAL_OPTIONS) == pairs
    assert set(credential_type['injectors']) == {'env'}


def test_module_documentation_names_the_same_variables(credential_type):
    from ansible_collections.esper.mdm.plugins.doc_fragments.connection import ModuleDocFragment

    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    for name, variable in injected(credential_type).items():
        assert 'E(%s)' % variable in ' '.join(options[name]['description']), name


@pytest.mark.skipif(not os.path.exists(INVENTORY_PLUGIN), reason='plugins/inventory/esper.py does not exist yet')
def test_injectors_set_exactly_the_variables_the_inventory_plugin_reads(credential_type):
    plugin = plugin_variables()
    pairs = injected(credential_type)
    assert dict((name, plugin.get(name)) for name in CREDENTIAL_OPTIONS) == pairs
    # Whatever else the plugin reads from the environment, the modules read under the same name.
    modules = module_variables()
    assert dict((name, modules.get(name)) for name in plugin) == plugin
