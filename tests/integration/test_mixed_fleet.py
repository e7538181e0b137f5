# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mixed fleet (issue 8 item 9): devices of iOS and Windows, which exist only in /v2/devices/ (CONTRACT §13.1,
§13.2), are found by name and alias and sent commands, through real ansible-playbook runs against the simulator."""

from __future__ import annotations

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import run_playbook
from ansible_collections.esper.mdm.tests.integration.test_esper_command import (
    SMALL_FLEET,
    assert_succeeded,
    command_posts,
    stored_command_requests,
)


def devices_of(simulator, platform):
    return [device for device in simulator.fleet()['devices'] if device['platform'] == platform]


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_reboot_by_name_reaches_ios_and_windows_devices(simulator):
    ios, windows = devices_of(simulator, 'IOS')[0], devices_of(simulator, 'WINDOWS')[0]
    # The Windows device is named by its alias: both spellings of v2 (name, alias) are matched.
    run = run_playbook(simulator, 'command_mixed_fleet.yml', extra_vars={'mixed_devices': [ios['device_name'], windows['alias_name']]})
    assert_succeeded(run)

    reboot = run.result('Reboot the devices')
    assert reboot['stats']['success'] == 2 and reboot['failed_devices'] == []
    posts = command_posts(simulator)
    assert [post['body']['devices'] for post in posts] == [[ios['id'], windows['id']]]
    assert posts[0]['body']['command'] == 'REBOOT' and posts[0]['body']['command_type'] == 'DEVICE'
    assert [request['id'] for request in stored_command_requests(simulator)] == [reboot['command_id']]
    # The names were resolved from the v2 listing of every platform, with pages of 1000; the Android-only legacy
    # listing, where these devices do not exist, was not used to resolve them.
    listings = [record for record in simulator.requests(method='GET', path_prefix='/api/v2/devices/') if record['path'] == '/api/v2/devices/']
    assert len(listings) == 1 and listings[0]['query'].get('limit') == '1000', listings
    assert not simulator.requests(method='GET', path_prefix='/api/enterprise/%s/device/' % simulator.enterprise_id)


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_an_unknown_name_still_fails_before_any_command(simulator):
    ios = devices_of(simulator, 'IOS')[0]
    run = run_playbook(simulator, 'command_mixed_fleet.yml', extra_vars={'mixed_devices': [ios['device_name'], 'no-such-device']})
    assert run.rc != 0
    result = run.result('Reboot the devices')
    assert result['failed'] and "device 'no-such-device' not found" in result['msg']
    assert command_posts(simulator) == []


@pytest.mark.simulator_args(*SMALL_FLEET)
def test_a_group_device_of_an_unsupported_platform_is_never_sent_the_command(simulator):
    ios, windows, linux = (devices_of(simulator, platform)[0] for platform in ('IOS', 'WINDOWS', 'LINUX'))
    group = linux['groups'][0]
    assert ios['groups'] == [group] and windows['groups'] == [group]
    run = run_playbook(simulator, 'command_platforms.yml', extra_vars={'platform_group': group, 'apple_device': ios['device_name']})
    assert_succeeded(run)

    reboot = run.result('Reboot the group')
    # The group holds a Linux device, which REBOOT does not support: it is expanded and sent as its other devices.
    posts = command_posts(simulator)
    assert len(posts) == 1 and sorted(posts[0]['body']['devices']) == sorted([ios['id'], windows['id']])
    assert not posts[0]['body'].get('groups')
    assert reboot['skipped_devices'] == [{'device': linux['id'], 'device_name': linux['device_name'],
                                          'reason': 'REBOOT is not supported on LINUX devices (supported: ANDROID, APPLE, WINDOWS)'}]
    assert any('1 device(s) are not sent REBOOT' in warning for warning in reboot.get('warnings', []))
    # Naming only a device the command does not support is an error before any write.
    brightness = run.result('Set the brightness of an iOS device only')
    assert brightness['failed'] and 'SET_BRIGHTNESS_SCALE is not supported on APPLE devices' in brightness['msg']
