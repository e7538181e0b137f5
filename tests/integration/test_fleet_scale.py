# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet-scale behaviour (issue 9) through a real ansible-playbook run: 2,500 devices by id are checked against the
listing, sent in batches of 1,000 each exactly once, and polled in parallel over a few kept-alive connections that
every polling round reuses. Counts only: speed is measured in scripts/benchmark.py, never asserted here."""

from __future__ import annotations

import pytest

from ansible_collections.esper.mdm.tests.integration.conftest import run_playbook
from ansible_collections.esper.mdm.tests.integration.test_esper_command import assert_succeeded, command_posts

FLEET = 2500
PARALLEL_READS = 8  # _parallel.DEFAULT_WORKERS


@pytest.mark.simulator_args('--devices', str(FLEET), '--groups', '3', '--offline', '0', '--other-platforms', '0', '--step-seconds', '0.4')
def test_reboot_of_2500_devices_by_id_is_sent_once_each_and_polled_over_reused_connections(simulator):
    ids = [device['id'] for device in simulator.fleet()['devices']]
    assert len(ids) == FLEET
    run = run_playbook(simulator, 'reboot_by_id.yml', extra_vars={'fleet_ids': ids})
    assert_succeeded(run)
    reboot = run.result('Reboot the devices by id and wait')
    assert reboot['stats']['success'] == FLEET and reboot['failed_devices'] == []

    posts = command_posts(simulator)
    sent = [device for post in posts for device in post['body']['devices']]
    assert [len(post['body']['devices']) for post in posts] == [1000, 1000, 500]
    assert sorted(sent) == sorted(ids)  # each device exactly once

    records = simulator.requests(path_prefix='/api/')
    listings = [record for record in records if record['path'] == '/api/v2/devices/']
    by_id = [record for record in records if record['path'].startswith('/api/v2/devices/') and record['path'] != '/api/v2/devices/']
    # 2,500 of 2,500 devices: the listing (3 pages of 1,000) is cheaper than 2,500 reads by id.
    assert len(listings) == 3 and not by_id
    stats = [record for record in records if record['path'].endswith('/stats/')]
    rounds = max(sum(1 for record in stats if record['path'] == path) for path in set(record['path'] for record in stats))
    assert rounds >= 3, 'the devices took 1.6 s: several polling rounds are expected'
    # Every round reads the open requests' stats in parallel with new threads; the connections outlive them.
    connections = set(record['connection'] for record in records)
    assert len(connections) <= PARALLEL_READS, (len(connections), len(records))
    assert len(records) >= 3 * len(connections)
