# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the esper.mdm.esper inventory plugin: its HTTP conversation is scripted, its options set directly
(as amazon.aws tests aws_ec2), its inventory an InventoryData."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader

from ansible_collections.esper.mdm.plugins.inventory import esper as esper_inventory
from ansible_collections.esper.mdm.plugins.module_utils import _client as client_module
from ansible_collections.esper.mdm.tests.unit.conversation import (
    API_KEY,
    BASE_URL,
    ENTERPRISE_ID,
    Conversation,
    Exchange,
    device_id,
    group_id,
    page,
)

GROUPS_PATH = 'enterprise/%s/devicegroup/' % ENTERPRISE_ID
TAGS_PATH = 'enterprise/%s/tags/' % ENTERPRISE_ID
TAG_LAB = '3c4d5e6f-0000-4000-8000-000000000001'
LIST = {'limit': 1000, 'offset': 0}
REAL_CLIENT = client_module.EsperClient

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 templates option strings as they are
    def trust_as_template(text):
        return text


def trusted(value):
    """Option values as a configuration file gives them (ansible-core 2.19 templates only trusted strings)."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [trusted(item) for item in value]
    if isinstance(value, dict):
        return dict((key, trusted(item)) for key, item in value.items())
    return value


DEFAULTS = {
    'plugin': 'esper.mdm.esper', 'api_key': API_KEY, 'tenant': None, 'api_url': BASE_URL, 'enterprise_id': ENTERPRISE_ID,
    'validate_certs': True, 'ca_path': None, 'timeout': 30, 'max_retries': 0, 'device_groups': [], 'states': [],
    'platforms': [], 'tags': [], 'search': None, 'android_details': False, 'hostnames': ['device_name', 'alias_name', 'serial', 'id'],
    'include_filters': [], 'exclude_filters': [], 'group_prefix': 'esper_', 'compose': {}, 'groups': {}, 'keyed_groups': [],
    'strict': False, 'use_extra_vars': False, 'leading_separator': True, 'cache': False, 'cache_plugin': 'memory',
    'cache_timeout': 3600, 'cache_connection': None, 'cache_prefix': 'ansible_inventory_',
}


def group(number, name, parent=None):
    return {'id': group_id(number), 'name': name, 'device_count': 1, 'children_count': 0,
            'parent': '%s/enterprise/%s/devicegroup/%s/' % (BASE_URL, ENTERPRISE_ID, group_id(parent)) if parent else None}


GROUPS = [group(1, 'All devices'), group(2, 'Retail', 1), group(3, 'Store-1', 2), group(4, 'TestBB', 1), group(5, 'TestBB', 4)]


def device(number, name, alias=None, state=1, platform='ANDROID', group_number=3, tags=None):
    return {'id': device_id(number), 'name': name, 'alias': alias, 'platform': platform, 'os_version': '13', 'state': state,
            'serial': 'SER%d' % number, 'group_id': group_id(group_number) if group_number else None, 'tags': tags or []}


DEVICES = [device(1, 'kiosk-1', tags=[TAG_LAB]), device(2, 'Lobby', 'Lobby Left', group_number=5),
           device(3, 'Lobby', 'Lobby Right', state=230, platform='WINDOWS', group_number=None), device(4, 'kiosk-4', state=60)]


def v2_page(devices):
    return {'content': {'count': len(devices), 'next': None, 'prev': None, 'results': devices}}


def full_conversation(devices=None, device_params=None):
    return [
        Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False)),
        Exchange('GET', 'v2/devices/', params=dict(LIST, **(device_params or {})), body=v2_page(DEVICES if devices is None else devices)),
        Exchange('GET', TAGS_PATH, params=dict(LIST, ordering='tag'), body=page([{'id': TAG_LAB, 'tag': 'lab'}], enveloped=False)),
    ]


class Harness:
    """The plugin with options set, a scripted session, a dict cache and recorded warnings."""

    def __init__(self, monkeypatch, exchanges, **options):
        self.conversation = Conversation(exchanges)
        self.warnings = []
        conversation = self.conversation

        class ScriptedClient(REAL_CLIENT):
            def __init__(self, *args, **kwargs):
                kwargs['session'] = conversation
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(client_module, 'EsperClient', ScriptedClient)
        monkeypatch.setattr(esper_inventory.display, 'warning', self.warnings.append)
        self.plugin = esper_inventory.InventoryModule()
        self.plugin._options = trusted(dict(DEFAULTS, **options))
        self.plugin._cache = {}
        monkeypatch.setattr(self.plugin, '_read_config_data', lambda path: None)
        monkeypatch.setattr(self.plugin, 'get_cache_key', lambda path: 'esper-key')
        self.inventory = InventoryData()

    def parse(self, cache=True):
        self.plugin.parse(self.inventory, DataLoader(), '/tmp/esper.yml', cache=cache)
        return self.inventory

    def host_vars(self, name):
        return self.inventory.get_host(name).get_vars()

    def group_hosts(self, name):
        return sorted(host.name for host in self.inventory.groups[name].get_hosts())

    def child_groups(self, name):
        return sorted(child.name for child in self.inventory.groups[name].child_groups)


def test_the_whole_fleet_as_hosts_and_nested_groups(monkeypatch):
    harness = Harness(monkeypatch, full_conversation())
    inventory = harness.parse()
    harness.conversation.assert_done()
    assert sorted(inventory.hosts) == ['Lobby Left', 'Lobby Right', 'kiosk-1', 'kiosk-4']
    assert harness.child_groups('esper_group_All_devices') == ['esper_group_Retail', 'esper_group_TestBB']
    assert harness.child_groups('esper_group_Retail') == ['esper_group_Store_1']
    assert harness.child_groups('esper_group_TestBB') == ['esper_group_TestBB_TestBB']
    assert harness.group_hosts('esper_group_Store_1') == ['kiosk-1', 'kiosk-4']
    # Hosts of a subgroup are hosts of its ancestors too (what a play on a parent group reaches).
    assert harness.group_hosts('esper_group_All_devices') == ['Lobby Left', 'kiosk-1', 'kiosk-4']
    assert harness.group_hosts('esper_platform_windows') == ['Lobby Right']
    assert harness.group_hosts('esper_state_unknown') == ['Lobby Right']
    assert harness.group_hosts('esper_state_offline') == ['kiosk-4']
    kiosk = harness.host_vars('kiosk-1')
    assert kiosk['esper_id'] == device_id(1) and kiosk['esper_tags'] == ['lab'] and kiosk['esper_group_path'] == 'All devices/Retail/Store-1'
    assert kiosk['ansible_connection'] == 'local' and kiosk['ansible_python_interpreter'] == '{{ ansible_playbook_python }}'
    lobby = harness.host_vars('Lobby Right')
    assert (lobby['esper_state'], lobby['esper_state_code'], lobby['esper_group_id']) == ('unknown', 230, None)
    assert len(harness.warnings) == 1 and "'Lobby'" in harness.warnings[0] and 'Lobby Left' in harness.warnings[0]
    # The key is sent as a Bearer token and nowhere else.
    assert all(request['headers'].get('Authorization') == 'Bearer %s' % API_KEY for request in harness.conversation.requests)
    assert API_KEY not in repr([harness.host_vars(name) for name in inventory.hosts])


def test_filters_are_sent_server_side(monkeypatch):
    query = {'group_multi': group_id(2), 'platform': 'ANDROID,LINUX', 'search': 'kiosk', 'tags': TAG_LAB}
    harness = Harness(monkeypatch, [
        Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False)),
        Exchange('GET', 'v2/devices/', params=dict(LIST, state='1', **query), body=v2_page(DEVICES[:1])),
        Exchange('GET', 'v2/devices/', params=dict(LIST, state='60', **query), body=v2_page(DEVICES[3:])),
    ], device_groups=['Retail'], states=['online', 'offline'], platforms=['android', 'Linux'], tags=[TAG_LAB], search='kiosk')
    # Tag ids given and the devices carry only the lab tag id: names still need the catalogue, read after the listing.
    harness.conversation.expected.append(
        Exchange('GET', TAGS_PATH, params=dict(LIST, ordering='tag'), body=page([{'id': TAG_LAB, 'tag': 'lab'}], enveloped=False)))
    inventory = harness.parse()
    harness.conversation.assert_done()
    assert sorted(inventory.hosts) == ['kiosk-1', 'kiosk-4']


def test_include_exclude_compose_and_keyed_groups(monkeypatch):
    harness = Harness(monkeypatch, full_conversation(), include_filters=["esper_platform == 'ANDROID'"],
                      exclude_filters=["esper_state == 'offline'"], compose={'ansible_connection': "'ssh'", 'store': 'esper_group_name'},
                      keyed_groups=[{'key': 'esper_state', 'prefix': 'state'}], groups={'tagged': "'lab' in esper_tags"})
    inventory = harness.parse()
    # Lobby Right (Windows) is not included and kiosk-4 (offline) excluded; the Android Lobby keeps its name.
    assert sorted(inventory.hosts) == ['Lobby', 'kiosk-1']
    assert harness.warnings == []
    assert harness.host_vars('kiosk-1')['ansible_connection'] == 'ssh' and harness.host_vars('kiosk-1')['store'] == 'Store-1'
    assert harness.group_hosts('state_online') == ['Lobby', 'kiosk-1'] and harness.group_hosts('tagged') == ['kiosk-1']


def test_a_failing_filter_is_false_unless_strict(monkeypatch):
    harness = Harness(monkeypatch, full_conversation(), exclude_filters=['undefined_variable.attribute'])
    assert len(harness.parse().hosts) == 4
    harness = Harness(monkeypatch, full_conversation(), exclude_filters=['undefined_variable.attribute'], strict=True)
    with pytest.raises(AnsibleParserError, match=r"exclude_filters 'undefined_variable.attribute' could not be evaluated"):
        harness.parse()


def test_the_cache_serves_the_second_parse_without_requests(monkeypatch):
    harness = Harness(monkeypatch, full_conversation(), cache=True)
    harness.parse()
    harness.conversation.assert_done()
    cached = dict(harness.plugin._cache)
    assert list(cached) == ['esper-key'] and API_KEY not in repr(cached)
    second = Harness(monkeypatch, [], cache=True)
    second.plugin._cache = cached
    inventory = second.parse()
    assert second.conversation.requests == [] and sorted(inventory.hosts) == ['Lobby Left', 'Lobby Right', 'kiosk-1', 'kiosk-4']
    # Other filters: the cached entry is not theirs, so the API is read again and the cache refreshed.
    third = Harness(monkeypatch, full_conversation(devices=DEVICES[:1], device_params={'state': '1'}), cache=True, states=['online'])
    third.plugin._cache = cached
    assert sorted(third.parse().hosts) == ['kiosk-1']
    third.conversation.assert_done()
    # cache=False from ansible-inventory --flush-cache: read the API and store the result.
    fourth = Harness(monkeypatch, full_conversation(), cache=True)
    fourth.plugin._cache = cached
    fourth.parse(cache=False)
    fourth.conversation.assert_done()


@pytest.mark.parametrize('options, message', [
    ({'states': ['sleeping']}, "states[0] 'sleeping' is not a device state"),
    ({'platforms': ['ios']}, "platforms[0] 'ios' is not a platform"),
    ({'hostnames': ['mac']}, "hostnames[0] 'mac' is not a host name source"),
    ({'device_groups': ['']}, 'device_groups[0] is empty'),
    ({'group_prefix': 'my-'}, 'group_prefix must be letters, digits and _ only'),
    ({'include_filters': ['']}, 'include_filters[0] must be a non-empty Jinja2 conditional'),
    ({'api_key': '  '}, 'api_key is required'),
    ({'api_url': None}, 'one of tenant or api_url is required'),
    ({'enterprise_id': 'acme'}, 'enterprise_id must be the enterprise UUID'),
    ({'timeout': 0}, 'timeout must be a positive number of seconds'),
])
def test_configuration_errors_name_the_option_before_any_request(monkeypatch, options, message):
    harness = Harness(monkeypatch, [], **options)
    with pytest.raises(AnsibleParserError) as raised:
        harness.parse()
    assert message in str(raised.value) and '\n' not in str(raised.value)
    assert harness.conversation.requests == []


def test_an_unknown_option_is_an_error_listing_the_options(monkeypatch):
    harness = Harness(monkeypatch, [])
    monkeypatch.setattr(harness.plugin, '_read_config_data', lambda path: {'plugin': 'esper.mdm.esper', 'state': ['online']})
    with pytest.raises(AnsibleParserError, match=r'unknown option state; the options are .*device_groups.*states'):
        harness.parse()
    assert harness.conversation.requests == []


def test_a_wrong_key_is_one_line_without_the_key(monkeypatch):
    harness = Harness(monkeypatch, [
        Exchange('GET', GROUPS_PATH, status=401, body={'message': 'Invalid API key %s' % API_KEY, 'errors': [], 'status': 401}),
    ])
    with pytest.raises(AnsibleParserError) as raised:
        harness.parse()
    text = str(raised.value)
    assert text.startswith('esper.mdm.esper inventory: GET %s: HTTP 401: Invalid API key' % GROUPS_PATH)
    assert API_KEY not in text and '\n' not in text


def test_unknown_groups_fail_naming_the_option(monkeypatch):
    harness = Harness(monkeypatch, [Exchange('GET', GROUPS_PATH, params=LIST, body=page(GROUPS, enveloped=False))],
                      device_groups=['TestBB', 'Retial'])
    with pytest.raises(AnsibleParserError) as raised:
        harness.parse()
    harness.conversation.assert_done()
    assert "device_groups: group name 'TestBB' matches 2 groups" in str(raised.value)
    assert "device_groups: group 'Retial' not found; similar names: 'Retail'" in str(raised.value)


def test_verify_file_wants_an_esper_yml(tmp_path):
    plugin = esper_inventory.InventoryModule()
    for name, wanted in (('esper.yml', True), ('prod.esper.yaml', True), ('hosts.yml', False), ('esper.json', False)):
        path = tmp_path / name
        path.write_text('plugin: esper.mdm.esper\n')
        assert plugin.verify_file(str(path)) is wanted, name
