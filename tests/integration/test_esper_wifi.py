# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""esper_wifi with real ansible-playbook runs against the simulator.

The playbooks assert what each task returns; this driver asserts what only it can see: the command requests in
the simulator's request log (what was sent, with the real passwords, and that check mode, unchanged re-runs and
invalid options sent nothing), the devices' values in the simulator afterwards, and that no Wi-Fi password shows
up in -vvv output.
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import COLLECTION_DIR, run_playbook

COMMANDS_PATH = '/api/commands/v0/commands/'
MASK = '********'
# Every device online and on Android, so every command completes: 12 devices in Store-001 .. Store-003
# (kiosk-0002, -0005, -0008 and -0011 are in Store-002).
SIMULATOR_ARGS = ('--devices', '12', '--groups', '3', '--offline', '0', '--legacy-android', '0',
                  '--other-platforms', '0', '--step-seconds', '0')
DEVICES = ['kiosk-0001', 'kiosk-0002', 'kiosk-0003']
GROUP = 'Store-002'
SECURE_SSID = 'Integration-WPA2'
OPEN_SSID = 'Integration-Open'
PRESET_SSID = 'Store-Guest'
PASSWORD = 'Wifi-Integration-Pw-4tR8'
NEW_PASSWORD = 'Wifi-Integration-Pw-changed-9mQ2'


def command_posts(simulator):
    """The bodies of every command request POSTed to the simulator, oldest first."""
    return [record['body'] for record in simulator.requests(method='POST', path_prefix=COMMANDS_PATH)]


def stored_command_ids(simulator):
    """The ids of every command request the simulator holds, read through its own API."""
    return sorted(record['id'] for record in simulator_get(simulator, 'commands/v0/commands/?limit=1000')['content']['results'])


def simulator_get(simulator, path):
    """GET an Esper API path of the simulator (relative to .../api) with its API key; the parsed JSON."""
    request = urllib.request.Request('%s/%s' % (simulator.url, path),
                                     headers={'Authorization': 'Bearer %s' % simulator.api_key})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode('utf-8'))


def device_ids(simulator, names):
    """The simulator's device ids for these device names, sorted."""
    by_name = {device['device_name']: device['id'] for device in simulator.fleet()['devices']}
    return sorted(by_name[name] for name in names)


def group_device_names(simulator, group):
    """The names of the devices in a group, from the simulator's fleet summary."""
    return sorted(device['device_name'] for device in simulator.fleet()['devices'] if group in device['groups'])


def sim_device(simulator, name):
    """The simulator's full view of one device (devicestate and the Wi-Fi entries as received)."""
    return simulator.control('GET', 'devices/' + name)


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_access_point_lifecycle_on_devices(simulator):
    """Check, add, add again, change the password, remove, remove again; three requests in all."""
    run = run_playbook(simulator, 'wifi_access_points.yml',
                       extra_vars={'wifi_devices': DEVICES, 'wifi_password': PASSWORD, 'wifi_new_password': NEW_PASSWORD})

    assert run.rc == 0, run.output[-6000:]
    posts = command_posts(simulator)
    assert [body['command'] for body in posts] == ['ADD_WIFI_AP', 'ADD_WIFI_AP', 'REMOVE_WIFI_AP']
    ids = device_ids(simulator, DEVICES)
    for body in posts:
        assert body['command_type'] == 'DEVICE'
        assert sorted(body['devices']) == ids
        assert body.get('groups') in (None, [])
    assert posts[0]['command_args'] == {'wifi_access_points': [
        {'wifi_ssid': SECURE_SSID, 'wifi_security_type': 'WPA2', 'wifi_password': PASSWORD, 'hidden': False},
        {'wifi_ssid': OPEN_SSID, 'wifi_security_type': 'NONE', 'hidden': True},
    ]}
    assert posts[1]['command_args'] == {'wifi_access_points': [
        {'wifi_ssid': SECURE_SSID, 'wifi_security_type': 'WPA2', 'wifi_password': NEW_PASSWORD, 'hidden': False},
    ]}
    assert posts[2]['command_args'] == {'wifi_access_points': [SECURE_SSID, OPEN_SSID]}

    # Three POSTs in all, and the three requests stored are exactly the ones the three changed tasks reported:
    # so the check-mode task and the unchanged re-runs sent zero POSTs (one would have added a fourth POST).
    reported = [run.result(task)['command_id'] for task in ('Add the networks', 'Change the WPA2 password', 'Remove the networks')]
    assert stored_command_ids(simulator) == sorted(reported)
    assert run.result('Plan the add in check mode')['command_ids'] == []

    for name in DEVICES:
        assert [entry['wifi_ssid'] for entry in sim_device(simulator, name)['wifi_access_points']] == [PRESET_SSID]


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_radio_and_lock_on_a_group(simulator):
    """Wi-Fi off, locked while off (warned), then on and unlocked; each twice. Four requests in all."""
    members = group_device_names(simulator, GROUP)
    assert len(members) == 4
    assert not [device for device in simulator.fleet()['devices'] if not device['online']]

    run = run_playbook(simulator, 'wifi_radio_lock.yml', extra_vars={'wifi_group': GROUP, 'wifi_group_size': len(members)})

    assert run.rc == 0, run.output[-6000:]
    posts = command_posts(simulator)
    assert [(body['command'], body['command_args']) for body in posts] == [
        ('SET_WIFI_STATE', {'wifi_state': False}),
        ('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': True}),
        ('SET_WIFI_STATE', {'wifi_state': True}),
        ('USE_ONLY_SAVED_WIFI_AP', {'use_only_saved_ap': False}),
    ]
    ids = device_ids(simulator, members)
    for body in posts:
        # Groups are expanded to their devices, so each request names the devices, not the group.
        assert body['command_type'] == 'DEVICE'
        assert sorted(body['devices']) == ids
    reported = [run.result('Turn Wi-Fi off')['command_id'], run.result('Lock to saved networks with Wi-Fi off')['command_id']]
    reported += run.result('Turn Wi-Fi back on and unlock')['command_ids']
    # Every stored request is one a changed task reported, so the unchanged re-runs sent nothing.
    assert stored_command_ids(simulator) == sorted(reported)

    warning = 'only_saved_networks=true together with enabled=false'
    assert any(warning in text for text in run.result('Lock to saved networks with Wi-Fi off')['warnings'])
    assert not any(warning in text for text in run.result('Turn Wi-Fi off').get('warnings') or [])

    restored = run.result('Turn Wi-Fi back on and unlock')
    assert [entry['stats']['success'] for entry in restored['commands']] == [4, 4]
    assert restored['stats']['total'] == 8 and restored['stats']['success'] == 8
    for name in members:
        state = sim_device(simulator, name)['devicestate']
        assert (state['wifi_state'], state['use_only_saved_ap']) == (True, False)


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_invalid_options_send_nothing(simulator):
    """Six invalid calls, each refused with its option and rule named, and not one request to the API."""
    short_password = 'Sh0rt7x'
    short_wep_key = 'WepK6x'
    assert (len(short_password), len(short_wep_key)) == (7, 6)

    run = run_playbook(simulator, 'wifi_validation.yml',
                       extra_vars={'wifi_short_password': short_password, 'wifi_short_wep_key': short_wep_key,
                                   'wifi_password': PASSWORD})

    assert run.rc == 0, run.output[-6000:]
    assert simulator.requests() == []
    expected = {
        'Add a WPA2 network with a 7-character password':
            "access_points[0] (ssid 'Short-WPA2'): the WPA2 password must be 8 to 63 characters",
        'Add a WEP network with a 6-character key':
            "access_points[0] (ssid 'Short-WEP'): the WEP key must be 5 or 13 characters, or 10 or 26 hexadecimal digits",
        'Add an open network with a password':
            "access_points[0] (ssid 'Open-With-Password'): an open network (security NONE) takes no password",
        'Add an EAP network without an identity':
            "access_points[0] (ssid 'Corp-EAP'): an EAP network needs eap_method and identity; missing: identity",
        'Add the same SSID twice':
            "access_points[1] (ssid 'Twice'): ssid is given more than once; each SSID may appear once per call",
        'Call without access points, radio or lock':
            'at least one of access_points, enabled and only_saved_networks is required',
    }
    for task, message in expected.items():
        assert run.result(task)['msg'] == message, task
    for secret in (short_password, short_wep_key, PASSWORD):
        assert secret not in run.output


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_passwords_stay_out_of_verbose_output(simulator):
    """At -vvv with the default callback, neither an applied nor a refused password is printed."""
    wep_key = 'WepKey-13-chr'
    short_password = 'Sh0rt7x'
    assert (len(wep_key), len(short_password)) == (13, 7)

    run = run_playbook(simulator, 'wifi_secrets.yml', verbosity=3, json_output=False,
                       extra_vars={'wifi_password': PASSWORD, 'wifi_wep_key': wep_key, 'wifi_short_password': short_password})

    assert run.rc == 0, run.output[-6000:]
    # The passwords really went to the API (so there was something to leak), and only in the one valid call.
    posts = command_posts(simulator)
    assert len(posts) == 1
    assert [entry.get('wifi_password') for entry in posts[0]['command_args']['wifi_access_points']] == [PASSWORD, wep_key]
    # The default callback printed the results (so the check below looked at real output).
    assert 'Secret-WPA2' in run.output and 'the WPA2 password must be 8 to 63 characters' in run.output
    assert MASK in run.output
    for secret in (PASSWORD, wep_key, short_password):
        assert secret not in run.output


@pytest.mark.simulator_args(*SIMULATOR_ARGS)
def test_example_playbook(simulator):
    """playbooks/wifi.yml adds the network and locks a group, changes nothing the second time, then removes it."""
    playbook = os.path.join(COLLECTION_DIR, 'playbooks', 'wifi.yml')
    members = group_device_names(simulator, GROUP)
    ids = device_ids(simulator, members)
    variables = {'wifi_groups': [GROUP], 'wifi_ssid': 'Example-WiFi', 'wifi_password': PASSWORD}

    first = run_playbook(simulator, playbook, extra_vars=variables)
    assert first.rc == 0, first.output[-6000:]
    posts = command_posts(simulator)
    # Wi-Fi is already on everywhere, so enabled: true sends nothing.
    assert [body['command'] for body in posts] == ['ADD_WIFI_AP', 'USE_ONLY_SAVED_WIFI_AP']
    assert posts[0]['command_args'] == {'wifi_access_points': [
        {'wifi_ssid': 'Example-WiFi', 'wifi_security_type': 'WPA2', 'wifi_password': PASSWORD, 'hidden': False}]}
    assert all(sorted(body['devices']) == ids for body in posts)
    plan = first.result('Show which devices would change')
    assert plan['changed'] and plan['command_ids'] == []
    assert sorted(plan['diff']['after']) == members
    assert first.result('Send the Wi-Fi commands where they are needed')['stats']['success'] == len(members)

    second = run_playbook(simulator, playbook, extra_vars=variables)
    assert second.rc == 0, second.output[-6000:]
    assert len(command_posts(simulator)) == 2
    assert not second.result('Send the Wi-Fi commands where they are needed')['changed']

    # Removing needs no password: the playbook omits it when wifi_state is absent.
    removal = run_playbook(simulator, playbook, extra_vars={'wifi_groups': [GROUP], 'wifi_ssid': 'Example-WiFi', 'wifi_state': 'absent'})
    assert removal.rc == 0, removal.output[-6000:]
    posts = command_posts(simulator)
    assert [body['command'] for body in posts[2:]] == ['REMOVE_WIFI_AP']
    assert posts[2]['command_args'] == {'wifi_access_points': ['Example-WiFi']}
    for name in members:
        device = sim_device(simulator, name)
        assert [entry['wifi_ssid'] for entry in device['wifi_access_points']] == [PRESET_SSID]
        assert device['devicestate']['use_only_saved_ap'] is True
