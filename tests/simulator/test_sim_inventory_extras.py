# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""--inventory-extras: the group hierarchy (CONTRACT §12.1), subgroup filters (§13.1, §13.2), the tag catalogue
(§13.5), duplicate names and state codes outside §7.5; the default fleet is unchanged by the flag."""

from __future__ import annotations

import pytest


@pytest.fixture
def extras(start_sim):
    return start_sim(devices=12, groups=3, inventory_extras=True)


def groups_by_path(sim):
    reply = sim.get(sim.enterprise('devicegroup/'), {'limit': 1000})
    assert reply.status == 200, reply
    return dict((group['path'], group) for group in reply.json['results'])


def v2_names(sim, params):
    reply = sim.get('v2/devices/', dict(params, limit=1000))
    assert reply.status == 200, reply
    return [device['name'] for device in reply.json['content']['results']]


def test_the_default_fleet_keeps_its_devices_and_groups(start_sim, extras):
    plain = start_sim(devices=12, groups=3).fleet()
    extended = extras.fleet()
    assert extended['devices'][:12] == plain['devices']
    assert [device['device_name'] for device in extended['devices'][12:]] == [
        'Lobby-Tablet', 'Lobby-Tablet', 'odd-state-0001', 'registered-0001']
    assert [group['path'] for group in plain['groups']] == [
        'All devices/Store-001', 'All devices/Store-002', 'All devices/Store-003', 'All devices/Empty-Group',
        'All devices/Other-Platforms']
    assert all(group['parent_id'] is None for group in plain['groups'])


def test_groups_carry_parent_urls_paths_and_children_counts(extras):
    groups = groups_by_path(extras)
    root = groups['All devices']
    assert root['parent'] is None and root['children_count'] == 7
    store = groups['All devices/Store-001']
    assert store['parent'] == root['url'] and store['children_count'] == 0
    shelf = groups['All devices/Retail/North/Store-N1/Aisle-1/Shelf-A']
    assert shelf['parent'] == groups['All devices/Retail/North/Store-N1/Aisle-1']['url'] and shelf['device_count'] == 1
    assert groups['All devices/TestBB/TestBB']['parent'] == groups['All devices/TestBB']['url']
    reply = extras.get(extras.enterprise('devicegroup/'), {'name': 'TestBB'})
    assert [group['path'] for group in reply.json['results']] == ['All devices/TestBB', 'All devices/TestBB/TestBB']


def test_group_multi_includes_subgroups_and_immediate_does_not(extras):
    groups = groups_by_path(extras)
    retail = groups['All devices/Retail']['id']
    aisle = groups['All devices/Retail/North/Store-N1/Aisle-1']['id']
    assert v2_names(extras, {'group_multi': retail}) == ['Lobby-Tablet', 'odd-state-0001', 'registered-0001']
    assert v2_names(extras, {'group_multi_immediate': retail}) == []
    assert v2_names(extras, {'group_multi_immediate': aisle}) == ['registered-0001']
    legacy = extras.get(extras.enterprise('device/'), {'group': retail, 'limit': 100})
    assert [device['device_name'] for device in legacy.json['results']] == ['Lobby-Tablet']  # Android only (§13.1)


def test_states_outside_the_table_and_tags(extras):
    assert v2_names(extras, {'state': 230}) == ['odd-state-0001']
    assert v2_names(extras, {'state': 200}) == ['registered-0001']
    reply = extras.get(extras.enterprise('tags/'), {'ordering': '-tag'})
    assert reply.status == 200 and [tag['tag'] for tag in reply.json['results']] == ['pilot', 'lab', 'kiosk']
    tags = dict((tag['tag'], tag['id']) for tag in reply.json['results'])
    assert v2_names(extras, {'tags': tags['lab']}) == ['Lobby-Tablet', 'Lobby-Tablet']
    assert v2_names(extras, {'tags': '%s,%s' % (tags['kiosk'], tags['pilot'])}) == ['kiosk-0001', 'Lobby-Tablet', 'odd-state-0001']
    assert extras.get(extras.enterprise('tags/%s/' % tags['lab'])).json['tag'] == 'lab'
    assert extras.get(extras.enterprise('tags/00000000-0000-4000-8000-000000000000/')).status == 404


def test_a_group_command_reaches_the_subgroups(extras):
    groups = groups_by_path(extras)
    created = extras.command('REBOOT', groups=[groups['All devices/Retail/North']['id']], command_type='GROUP')
    statuses = extras.statuses(created['id'])
    assert len(statuses) == 3


def test_the_tag_listing_is_empty_without_extras(sim):
    reply = sim.get(sim.enterprise('tags/'))
    assert reply.status == 200 and reply.json['results'] == []
