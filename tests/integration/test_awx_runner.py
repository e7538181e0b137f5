# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX execution path, without AWX: jobs and inventory updates run through ansible-runner, as AWX runs them.

Each test lays out a private data directory the way AWX does for a job (env/envvars from the credential's
injectors, env/extravars, inventory/hosts, project/ with the playbooks) and hands it to ansible-runner; the
Esper API is the simulator. The environment comes from awx/credential_type.yml, the file users apply, rendered
as AWX renders injectors: a sandboxed Jinja template per variable, an optional field left empty rendered as an
empty string and a boolean field missing from the credential as False.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import textwrap

import ansible_runner
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.esper.mdm.plugins.module_utils._client import COMMANDS_PATH
from ansible_collections.esper.mdm.tests.integration.conftest import COLLECTION_DIR, collections_root

CREDENTIAL_TYPE = os.path.join(COLLECTION_DIR, 'awx', 'credential_type.yml')
INVENTORY_PLUGIN = os.path.join(COLLECTION_DIR, 'plugins', 'inventory', 'esper.py')
AWX_PLAYBOOK = os.path.join(COLLECTION_DIR, 'playbooks', 'awx_credential_type.yml')
# A key long and distinctive enough that any 16-character slice of it in the output is a leak.
API_KEY = 'awx-job-key-7Qm2Zp9Lx4Vb8Nc1Rt6Wd3'
pytestmark = pytest.mark.simulator_args('--devices', '30', '--groups', '3', '--step-seconds', '0.05', '--api-key', API_KEY)
needs_inventory_plugin = pytest.mark.skipif(
    not os.path.exists(INVENTORY_PLUGIN),
    reason='plugins/inventory/esper.py (the esper.mdm.esper inventory plugin) does not exist yet')


def load_credential_type():
    with open(CREDENTIAL_TYPE, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def awx_injected_env(credential_type, inputs):
    """The environment AWX gives a job for a credential of this type holding these inputs."""
    namespace = dict((name, value) for name, value in inputs.items() if isinstance(value, bool) or value)
    for field in credential_type['inputs']['fields']:
        if field['type'] == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = False
    sandbox = ImmutableSandboxedEnvironment()
    return dict((variable, sandbox.from_string(template).render(**namespace))
                for variable, template in credential_type['injectors']['env'].items())


def credential_inputs(simulator):
    """What a user types into an "Esper API" credential for the simulator: no tenant, as the API URL is given."""
    return {'api_key': simulator.api_key, 'api_url': simulator.url, 'enterprise_id': simulator.enterprise_id,
            'validate_certs': True}


def write_private_data_dir(root, simulator, extravars=None, inventory=None):
    """A private data directory as AWX writes one: env/envvars, env/extravars, inventory/hosts and project/."""
    env = awx_injected_env(load_credential_type(), credential_inputs(simulator))
    env.update({
        # In AWX the collection comes from the execution environment or the project's collections/requirements.yml.
        'ANSIBLE_COLLECTIONS_PATH': collections_root(),
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''),
    })
    os.makedirs(os.path.join(root, 'env'))
    os.makedirs(os.path.join(root, 'inventory'))
    with open(os.path.join(root, 'env', 'envvars'), 'w', encoding='utf-8') as handle:
        json.dump(env, handle)
    with open(os.path.join(root, 'env', 'extravars'), 'w', encoding='utf-8') as handle:
        json.dump(extravars or {}, handle)
    with open(os.path.join(root, 'inventory', 'hosts'), 'w', encoding='utf-8') as handle:
        handle.write(inventory or 'localhost ansible_connection=local ansible_python_interpreter={{ ansible_playbook_python }}\n')
    # AWX copies the project (a checkout of the user's repository) into project/ and runs the playbook from there.
    shutil.copytree(os.path.join(COLLECTION_DIR, 'playbooks'), os.path.join(root, 'project', 'playbooks'))
    return env


def artifact_texts(runner):
    """(path, text) of every job event and of the job's stdout and stderr, as AWX stores them."""
    folder = runner.config.artifact_dir
    paths = sorted(glob.glob(os.path.join(folder, 'job_events', '*.json')))
    assert paths, 'ansible-runner wrote no job events in %s' % folder
    paths += [os.path.join(folder, name) for name in ('stdout', 'stderr') if os.path.exists(os.path.join(folder, name))]
    texts = []
    for path in paths:
        with open(path, encoding='utf-8') as handle:
            texts.append((path, handle.read()))
    return texts


def assert_secret_absent(secret, texts):
    """Neither the key nor any 16-character slice of it is in any of the texts."""
    assert len(secret) >= 32
    slices = set(secret[index:index + 16] for index in range(len(secret) - 15))
    for path, text in texts:
        leaked = sorted(piece for piece in slices if piece in text)
        assert not leaked, '%s shows the API key (%d slices of it)' % (path, len(leaked))


def events_of(runner, event):
    return [item for item in runner.events if item.get('event') == event]


def task_results(runner, task_name):
    return [item['event_data']['res'] for item in events_of(runner, 'runner_on_ok') if item['event_data'].get('task') == task_name]


def test_credential_environment_is_rendered_as_awx_renders_it(simulator):
    env = awx_injected_env(load_credential_type(), credential_inputs(simulator))
    assert env == {'ESPER_API_KEY': simulator.api_key, 'ESPER_TENANT': '', 'ESPER_API_URL': simulator.url,
                   'ESPER_ENTERPRISE_ID': simulator.enterprise_id, 'ESPER_VALIDATE_CERTS': 'True'}
    # A boolean missing from the credential is false in AWX, whatever the field's default.
    without = dict(credential_inputs(simulator))
    del without['validate_certs']
    assert awx_injected_env(load_credential_type(), without)['ESPER_VALIDATE_CERTS'] == 'False'


def test_job_runs_a_playbook_with_the_credential_and_never_shows_the_key(simulator, tmp_path, monkeypatch):
    without_esper_environment(monkeypatch)
    root = str(tmp_path / 'awx_job')
    write_private_data_dir(root, simulator, extravars={'reboot_devices': ['kiosk-0001', 'kiosk-0002'], 'reboot_wait_timeout': 120})

    # Job verbosity 3 (-vvv), as a user debugging a job template would set it: module arguments are printed.
    runner = ansible_runner.run(private_data_dir=root, playbook='playbooks/reboot_devices.yml', verbosity=3, quiet=True)

    stdout = runner.stdout.read()
    assert (runner.status, runner.rc) == ('successful', 0), stdout[-4000:]
    reboot = task_results(runner, 'Reboot the devices and wait for them')
    assert len(reboot) == 1, stdout[-4000:]
    assert reboot[0]['changed'] is True
    assert reboot[0]['stats']['success'] == 2, reboot[0]['stats']
    assert runner.stats['failures'] == {} and runner.stats['ok'] == {'localhost': 3}
    # The requests reached the simulator with the key the credential injected.
    received = simulator.requests(path_prefix='/api/')
    assert [item for item in received if item['method'] == 'POST' and item['path'].endswith(COMMANDS_PATH)], received
    assert all(item['authorized'] for item in received)
    assert_secret_absent(simulator.api_key, artifact_texts(runner) + [('runner stdout', stdout)])


def run_inventory_update(simulator, root):
    """An inventory update as AWX runs one; returns (inventory JSON, [(name, text)] of everything it printed or wrote)."""
    write_private_data_dir(root, simulator)
    # An inventory source "Sourced from a Project" naming this file, with an "Esper API" credential attached.
    source = os.path.join(root, 'project', 'inventories', 'fleet.esper.yml')
    os.makedirs(os.path.dirname(source))
    with open(source, 'w', encoding='utf-8') as handle:
        handle.write('plugin: esper.mdm.esper\n')
    output = os.path.join(root, 'artifacts', 'output.json')
    os.makedirs(os.path.dirname(output))

    # What AWX runs for an inventory update: ansible-inventory --list --export --output, at -vvv, inside ansible-runner.
    out, err, rc = ansible_runner.run_command(
        executable_cmd='ansible-inventory',
        cmdline_args=['-i', source, '--playbook-dir', os.path.join(root, 'project'), '--list', '--export', '--output', output, '-vvv'],
        private_data_dir=root, input_fd=None, quiet=True)
    assert rc == 0, (out + err)[-4000:]
    with open(output, encoding='utf-8') as handle:
        text = handle.read()
    return json.loads(text), [('ansible-inventory stdout', out), ('ansible-inventory stderr', err), (output, text)]


def without_esper_environment(monkeypatch):
    """Only the credential's injectors may give the runs their ESPER_* variables."""
    for name in [name for name in os.environ if name.startswith('ESPER_')]:
        monkeypatch.delenv(name)


@needs_inventory_plugin
def test_inventory_update_lists_every_device_and_never_shows_the_key(simulator, tmp_path, monkeypatch):
    without_esper_environment(monkeypatch)
    inventory, texts = run_inventory_update(simulator, str(tmp_path / 'awx_inventory_update'))
    hosts = inventory['_meta']['hostvars']
    assert len(hosts) == len(simulator.fleet()['devices']), sorted(hosts)[:5]
    assert all(host_vars.get('esper_id') for host_vars in hosts.values())
    assert_secret_absent(simulator.api_key, texts)


@needs_inventory_plugin
def test_job_on_the_hosts_of_an_inventory_update(simulator, tmp_path, monkeypatch):
    without_esper_environment(monkeypatch)
    inventory, dummy = run_inventory_update(simulator, str(tmp_path / 'awx_inventory_update'))

    # AWX stores the update's hosts and variables and gives the next job an inventory script built from them:
    # the plugin's ansible_connection and ansible_python_interpreter must work from there too.
    root = str(tmp_path / 'awx_job_on_inventory')
    write_private_data_dir(root, simulator)
    script = os.path.join(root, 'inventory', 'hosts')
    with open(script, 'w', encoding='utf-8') as handle:
        handle.write('#!%s\nimport json\nprint(json.dumps(%r))\n' % (sys.executable, inventory))
    os.chmod(script, 0o700)
    with open(os.path.join(root, 'project', 'playbooks', 'awx_inventory_job.yml'), 'w', encoding='utf-8') as handle:
        handle.write(textwrap.dedent('''\
            - name: Reboot the devices of the play, one request for all of them
              hosts: all
              gather_facts: false
              tasks:
                - name: Reboot the play's devices
                  esper.mdm.esper_command:
                    command: REBOOT
                    devices: "{{ ansible_play_hosts | map('extract', hostvars, 'esper_id') | list }}"
                  run_once: true
            '''))
    names = sorted(inventory['_meta']['hostvars'])[:2]
    runner = ansible_runner.run(private_data_dir=root, playbook='playbooks/awx_inventory_job.yml', limit=','.join(names),
                                verbosity=3, quiet=True)
    stdout = runner.stdout.read()
    assert (runner.status, runner.rc) == ('successful', 0), stdout[-4000:]
    reboot = task_results(runner, "Reboot the play's devices")
    assert len(reboot) == 1 and reboot[0]['changed'] is True, stdout[-4000:]
    assert reboot[0]['stats']['success'] == 2, reboot[0]['stats']
    assert_secret_absent(simulator.api_key, artifact_texts(runner) + [('runner stdout', stdout)])


def test_awx_credential_type_playbook_passes_the_data_file_to_awx(tmp_path):
    """playbooks/awx_credential_type.yml against a stand-in awx.awx.credential_type that records its arguments."""
    stub = tmp_path / 'stub_collections' / 'ansible_collections' / 'awx' / 'awx'
    (stub / 'plugins' / 'modules').mkdir(parents=True)
    (stub / 'meta').mkdir()
    (stub / 'meta' / 'runtime.yml').write_text('requires_ansible: ">=2.16.0"\n', encoding='utf-8')
    record = tmp_path / 'recorded.json'
    (stub / 'plugins' / 'modules' / 'credential_type.py').write_text(textwrap.dedent('''\
        import json
        from ansible.module_utils.basic import AnsibleModule

        def main():
            module = AnsibleModule(argument_spec=dict(name=dict(), description=dict(), kind=dict(), inputs=dict(type='dict'),
                                                      injectors=dict(type='dict'), state=dict()))
            with open(%r, 'w') as handle:
                json.dump(module.params, handle)
            module.exit_json(changed=True)

        main()
        ''') % str(record), encoding='utf-8')
    env = dict(os.environ)
    env.update({'ANSIBLE_COLLECTIONS_PATH': os.pathsep.join([str(tmp_path / 'stub_collections'), collections_root()]),
                'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false', 'ANSIBLE_LOCALHOST_WARNING': 'false',
                'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false', 'ANSIBLE_NOCOLOR': '1'})
    completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), AWX_PLAYBOOK],
                               env=env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    with open(record, encoding='utf-8') as handle:
        recorded = json.load(handle)
    expected = load_credential_type()
    # The injector templates reach AWX as written ("{{ api_key }}"), not rendered by ansible-playbook.
    assert recorded == {'name': expected['name'], 'description': expected['description'], 'kind': expected['kind'],
                        'inputs': expected['inputs'], 'injectors': expected['injectors'], 'state': 'present'}
