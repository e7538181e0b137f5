# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The esper.mdm.esper inventory plugin through real ansible-inventory and ansible-playbook runs against the simulator
(issue 10): hierarchy, host-name collisions, unknown states, server-side filters, cache, configuration from the
environment, errors, and the batched-command pattern with --limit and with three concurrent slices."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import COLLECTION_DIR, collections_root

EXTRAS = ('--devices', '12', '--groups', '3', '--step-seconds', '0', '--inventory-extras')
BIN = os.path.dirname(sys.executable)
REBOOT_PLAYBOOK = os.path.join(COLLECTION_DIR, 'playbooks', 'inventory_reboot.yml')
EXAMPLE_SOURCE = os.path.join(COLLECTION_DIR, 'playbooks', 'inventory', 'esper.yml')
COMMANDS_PATH = '/api/commands/v0/commands/'


def environment(simulator, env_drop=(), **extra):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_root(),
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ESPER_API_URL': simulator.url,
        'ESPER_API_KEY': simulator.api_key,
        'ESPER_ENTERPRISE_ID': simulator.enterprise_id,
    })
    for name in env_drop:
        env.pop(name, None)
    env.update(extra)
    return env


def source(tmp_path, text, name='esper.yml'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run_inventory(simulator, inventory, *args, env_drop=(), **extra_env):
    command = [os.path.join(BIN, 'ansible-inventory'), '-i', inventory] + list(args or ['--list'])
    return subprocess.run(command, env=environment(simulator, env_drop, **extra_env), capture_output=True, text=True,
                          timeout=300, check=False)


def inventory_json(simulator, inventory, **extra_env):
    completed = run_inventory(simulator, inventory, '--list', **extra_env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout), completed


def plain(value):
    """value without ansible-core 2.19's {"__ansible_unsafe": ...} markers (API text is never trusted as a template)."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def host_vars(data):
    return plain(data['_meta']['hostvars'])


def children(data, group):
    return data.get(group, {}).get('children', [])


def hosts(data, group):
    return data.get(group, {}).get('hosts', [])


def api_gets(simulator, prefix='/api/'):
    return simulator.requests(method='GET', path_prefix=prefix)


def fleet_group(simulator, path):
    return next(group for group in simulator.fleet()['groups'] if group['path'] == path)


def command_posts(simulator):
    return [record for record in simulator.requests(method='POST', path_prefix=COMMANDS_PATH) if record['path'] == COMMANDS_PATH]


@pytest.mark.simulator_args(*EXTRAS)
def test_list_builds_the_group_hierarchy_with_platform_and_state_groups(simulator, tmp_path):
    data, completed = inventory_json(simulator, source(tmp_path, 'plugin: esper.mdm.esper\n'))
    assert children(data, 'esper_group_All_devices') == ['esper_group_Store_001', 'esper_group_Store_002', 'esper_group_Store_003',
                                                         'esper_group_Other_Platforms', 'esper_group_Retail', 'esper_group_TestBB']
    chain = ['esper_group_Retail', 'esper_group_North', 'esper_group_Store_N1', 'esper_group_Aisle_1', 'esper_group_Shelf_A']
    for parent, child in zip(chain, chain[1:]):
        assert child in children(data, parent)
    assert hosts(data, 'esper_group_Shelf_A') == ['odd-state-0001']
    # Two groups named TestBB, one inside the other: both named by their paths, deterministically.
    assert children(data, 'esper_group_TestBB') == ['esper_group_TestBB_TestBB']
    assert hosts(data, 'esper_group_Store_001') == ['kiosk-0001', 'kiosk-0004', 'kiosk-0007']
    assert hosts(data, 'esper_platform_linux') == ['kiosk-0012']
    assert set(hosts(data, 'esper_state_offline')) == {'kiosk-0008', 'kiosk-0009'}
    graph = run_inventory(simulator, source(tmp_path, 'plugin: esper.mdm.esper\n'), '--graph')
    assert graph.returncode == 0
    # --graph draws the nesting: Shelf_A five levels below the root group.
    assert '  |  |  |  |  |  |--@esper_group_Shelf_A:' in graph.stdout, graph.stdout
    assert 'Traceback' not in completed.stderr


@pytest.mark.simulator_args(*EXTRAS)
def test_host_variables_and_the_local_connection(simulator, tmp_path):
    data, dummy = inventory_json(simulator, source(tmp_path, 'plugin: esper.mdm.esper\n'))
    fleet = simulator.fleet()
    first = next(device for device in fleet['devices'] if device['device_name'] == 'kiosk-0001')
    kiosk = host_vars(data)['kiosk-0001']
    assert kiosk['esper_id'] == first['id'] and kiosk['esper_name'] == 'kiosk-0001' and kiosk['esper_alias'] == 'Kiosk 1'
    assert kiosk['esper_platform'] == 'ANDROID' and kiosk['esper_state'] == 'online' and kiosk['esper_state_code'] == 1
    assert kiosk['esper_group_name'] == 'Store-001' and kiosk['esper_group_path'] == 'All devices/Store-001'
    assert kiosk['esper_tags'] == ['pilot'] and len(kiosk['esper_tag_ids']) == 1
    assert kiosk['esper_serial'] == 'ESPR00000001' and kiosk['esper_api_level'] == 28
    assert kiosk['ansible_connection'] == 'local'
    assert kiosk['ansible_python_interpreter'] == '{{ ansible_playbook_python }}'
    # The unknown state code is kept, never an error; 200 is Registered.
    odd = host_vars(data)['odd-state-0001']
    assert (odd['esper_state'], odd['esper_state_code'], odd['esper_platform']) == ('unknown', 230, 'WINDOWS')
    assert odd['esper_group_path'] == 'All devices/Retail/North/Store-N1/Aisle-1/Shelf-A'
    assert hosts(data, 'esper_state_unknown') == ['odd-state-0001']
    assert host_vars(data)['registered-0001']['esper_state'] == 'registered'
    assert simulator.api_key not in json.dumps(data)


@pytest.mark.simulator_args(*EXTRAS)
def test_a_shared_device_name_falls_to_the_alias_with_one_warning(simulator, tmp_path):
    data, completed = inventory_json(simulator, source(tmp_path, 'plugin: esper.mdm.esper\n'))
    names = set(host_vars(data))
    assert 'Lobby-Tablet' not in names and {'Lobby Left', 'Lobby Right'} <= names
    assert len(names) == 16
    warnings = [line for line in completed.stderr.splitlines() if 'Lobby-Tablet' in line]
    assert len(warnings) == 1 and 'Lobby Left' in warnings[0] and 'Lobby Right' in warnings[0], completed.stderr
    # With serial preferred over the alias, they take their serials.
    data, dummy = inventory_json(simulator, source(tmp_path, 'plugin: esper.mdm.esper\nhostnames: [device_name, serial]\n'))
    lobby = sorted(name for name, variables in host_vars(data).items() if variables['esper_name'] == 'Lobby-Tablet')
    assert lobby == ['ESPR00000013', 'ESPR00000014']


@pytest.mark.simulator_args(*EXTRAS)
def test_the_request_cost_is_one_listing_each(simulator, tmp_path):
    inventory_json(simulator, source(tmp_path, 'plugin: esper.mdm.esper\n'))
    gets = api_gets(simulator)
    paths = sorted(record['path'] for record in gets)
    eid = simulator.enterprise_id
    assert paths == sorted(['/api/v2/devices/', '/api/enterprise/%s/devicegroup/' % eid, '/api/enterprise/%s/tags/' % eid]), paths
    assert all(record['query'].get('limit') == '1000' for record in gets)
    assert not simulator.requests(method='POST')


@pytest.mark.simulator_args(*EXTRAS)
def test_filters_are_sent_to_the_api(simulator, tmp_path):
    retail = fleet_group(simulator, 'All devices/Retail')
    config = ('plugin: esper.mdm.esper\ndevice_groups: ["All devices/Retail"]\nplatforms: [android, Windows]\n'
              'states: [online, "230"]\ntags: [lab, pilot]\nsearch: o\n')
    completed = run_inventory(simulator, source(tmp_path, config))
    # 230 is not in the state table: refused, naming the option, before any request.
    assert "states[1] '230' is not a device state" in completed.stderr
    assert api_gets(simulator) == []
    config = config.replace('"230"', 'registered')
    data, dummy = inventory_json(simulator, source(tmp_path, config))
    # The other Lobby-Tablet is not selected, so this one keeps its name.
    assert sorted(host_vars(data)) == ['Lobby-Tablet'] and host_vars(data)['Lobby-Tablet']['esper_alias'] == 'Lobby Left'
    listings = [record['query'] for record in api_gets(simulator, '/api/v2/devices/')]
    tags = dict((tag['tag'], tag['id']) for tag in simulator_tags(simulator))
    assert [query.get('state') for query in listings] == ['1', '200']
    for query in listings:
        assert query['group_multi'] == retail['id'] and query['platform'] == 'ANDROID,WINDOWS' and query['search'] == 'o'
        assert query['tags'] == ','.join([tags['lab'], tags['pilot']])


def simulator_tags(simulator):
    import urllib.request
    request = urllib.request.Request('%s/enterprise/%s/tags/?limit=100' % (simulator.url, simulator.enterprise_id),
                                     headers={'Authorization': 'Bearer %s' % simulator.api_key})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode('utf-8'))['results']


@pytest.mark.simulator_args(*EXTRAS)
def test_include_and_exclude_filters_and_compose(simulator, tmp_path):
    config = ('plugin: esper.mdm.esper\n'
              'include_filters: ["esper_platform == \'ANDROID\'", "esper_state == \'unknown\'"]\n'
              'exclude_filters: ["esper_state == \'offline\'", "\'lab\' in esper_tags"]\n'
              'compose:\n  ansible_connection: "\'ssh\'"\n  store: esper_group_name\n'
              'keyed_groups:\n  - key: esper_os_version\n    prefix: os\n')
    data, dummy = inventory_json(simulator, source(tmp_path, config))
    assert sorted(host_vars(data)) == ['kiosk-0001', 'kiosk-0002', 'kiosk-0003', 'kiosk-0004', 'kiosk-0005', 'kiosk-0006',
                                       'kiosk-0007', 'odd-state-0001']
    assert host_vars(data)['kiosk-0001']['ansible_connection'] == 'ssh'
    assert host_vars(data)['kiosk-0001']['store'] == 'Store-001'
    assert 'kiosk-0001' in hosts(data, 'os_9')


@pytest.mark.simulator_args(*EXTRAS)
def test_the_cache_makes_the_second_run_without_requests(simulator, tmp_path):
    config = ('plugin: esper.mdm.esper\ncache: true\ncache_plugin: ansible.builtin.jsonfile\n'
              'cache_connection: %s\ncache_timeout: 3600\n' % (tmp_path / 'cache'))
    path = source(tmp_path, config)
    first, dummy = inventory_json(simulator, path)
    assert len(api_gets(simulator)) == 3
    simulator.control('DELETE', 'requests')
    second, dummy = inventory_json(simulator, path)
    assert api_gets(simulator) == [] and simulator.requests() == []
    assert second == first
    assert simulator.api_key not in ''.join(open(os.path.join(tmp_path, 'cache', name)).read()
                                            for name in os.listdir(tmp_path / 'cache'))
    # --flush-cache reads the API again.
    completed = run_inventory(simulator, path, '--list', '--flush-cache')
    assert completed.returncode == 0 and len(api_gets(simulator)) == 3


@pytest.mark.simulator_args(*EXTRAS)
def test_configuration_from_environment_variables_alone(simulator, tmp_path):
    # The repository's example source holds no connection option: ESPER_* set everything, as an AWX credential does.
    data, completed = inventory_json(simulator, EXAMPLE_SOURCE)
    assert len(host_vars(data)) == 16 and 'kiosk-0001' in hosts(data, 'os_9')
    assert simulator.api_key not in completed.stdout + completed.stderr
    # ESPER_TIMEOUT and ESPER_MAX_RETRIES are read too: a bad value is refused naming the option.
    completed = run_inventory(simulator, EXAMPLE_SOURCE, ESPER_TIMEOUT='0')
    assert 'timeout must be a positive number of seconds' in completed.stderr


@pytest.mark.simulator_args(*EXTRAS)
def test_a_wrong_key_gives_one_line_without_traceback_or_key(simulator, tmp_path):
    wrong_key = 'wrong-key-0123456789abcdef'
    completed = run_inventory(simulator, source(tmp_path, 'plugin: esper.mdm.esper\n'), ANSIBLE_INVENTORY_ENABLED='esper.mdm.esper',
                              ANSIBLE_INVENTORY_UNPARSED_FAILED='true', ESPER_API_KEY=wrong_key)
    assert completed.returncode != 0
    # ansible-core 2.19 shows the plugin's message twice (warning and cause); it is the same single line each time.
    messages = set(line[line.index('esper.mdm.esper inventory:'):] for line in completed.stderr.splitlines()
                   if 'esper.mdm.esper inventory:' in line)
    assert len(messages) == 1, completed.stderr
    message = messages.pop()
    assert 'HTTP 401' in message and message.endswith('Invalid API key (check api_key)'), completed.stderr
    assert 'Traceback' not in completed.stderr and wrong_key not in completed.stdout + completed.stderr


@pytest.mark.simulator_args(*EXTRAS)
def test_configuration_errors_name_the_option_before_any_request(simulator, tmp_path):
    cases = [
        ('plugin: esper.mdm.esper\n', ('ESPER_API_KEY',), 'api_key is required'),
        ('plugin: esper.mdm.esper\nplatforms: [BLACKBERRY]\n', (), "platforms[0] 'BLACKBERRY' is not a platform"),
        ('plugin: esper.mdm.esper\nhostnames: [mac]\n', (), "hostnames[0] 'mac' is not a host name source"),
        ('plugin: esper.mdm.esper\nenterprise_id: not-a-uuid\n', (), 'enterprise_id must be the enterprise UUID'),
        ('plugin: esper.mdm.esper\nstate: [online]\n', (), 'unknown option state; the options are android_details, api_key'),
    ]
    for config, env_drop, message in cases:
        completed = run_inventory(simulator, source(tmp_path, config), env_drop=env_drop)
        assert message in completed.stderr, completed.stderr
        assert 'Traceback' not in completed.stderr
    assert api_gets(simulator) == []
    # An unknown group is found with the group listing, before any device is listed.
    completed = run_inventory(simulator, source(tmp_path, 'plugin: esper.mdm.esper\ndevice_groups: [Store-01]\n'))
    assert "device_groups: group 'Store-01' not found; similar names: 'Store-001'" in completed.stderr
    assert api_gets(simulator, '/api/v2/') == []


def run_reboot(simulator, inventory, limit=None):
    command = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, REBOOT_PLAYBOOK]
    if limit:
        command += ['--limit', limit]
    env = environment(simulator, ANSIBLE_HOST_KEY_CHECKING='false')
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process):
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stdout[-4000:] + stderr[-4000:]
    return stdout


@pytest.mark.simulator_args('--devices', '30', '--groups', '3', '--step-seconds', '0', '--other-platforms', '0')
def test_the_batched_reboot_pattern_with_limit(simulator, tmp_path):
    inventory = source(tmp_path, 'plugin: esper.mdm.esper\n')
    store = fleet_group(simulator, 'All devices/Store-002')
    members = [device['id'] for device in simulator.fleet()['devices'] if 'Store-002' in device['groups']]
    finish(run_reboot(simulator, inventory, limit='esper_group_Store_002'))
    posts = command_posts(simulator)
    # One request for the ten hosts of the play, not one per host.
    assert len(posts) == 1 and posts[0]['body']['devices'] == members and posts[0]['body']['command'] == 'REBOOT'
    assert store['device_count'] == 10


@pytest.mark.simulator_args('--devices', '30', '--groups', '3', '--step-seconds', '0', '--other-platforms', '0')
def test_three_concurrent_slices_reach_every_device_exactly_once(simulator, tmp_path):
    inventory = source(tmp_path, 'plugin: esper.mdm.esper\n')
    data, dummy = inventory_json(simulator, inventory)
    names = sorted(host_vars(data))
    # AWX job slicing: each slice is its own ansible-playbook run with its own --limit, all at the same time.
    slices = [names[index::3] for index in range(3)]
    processes = [run_reboot(simulator, inventory, limit=','.join(part)) for part in slices]
    for process in processes:
        finish(process)
    posts = command_posts(simulator)
    assert len(posts) == 3
    sent = [device for post in posts for device in post['body']['devices']]
    assert sorted(sent) == sorted(variables['esper_id'] for variables in host_vars(data).values())
    assert len(sent) == len(set(sent)) == 30
    by_slice = sorted(sorted(post['body']['devices']) for post in posts)
    assert by_slice == sorted(sorted(host_vars(data)[name]['esper_id'] for name in part) for part in slices)
