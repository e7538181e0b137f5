"""Measure how long the collection's hot paths take against a 10,000-device simulated fleet.

Speed is measured here, never asserted in a unit test. Run it with the project's virtualenv:

    .venv/bin/python scripts/benchmark.py [--devices 10000] [--repeat 3]

It starts the simulator, then times each step with the collection's own module_utils (the code the
modules run) and prints the best of --repeat runs per step.
"""

import argparse
import importlib
import os
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE_UTILS = 'ansible_collections.esper.mdm.plugins.module_utils.'


def collection_on_path():
    """Make ansible_collections.esper.mdm importable from this checkout (a symlinked tree in a temp dir)."""
    root = tempfile.mkdtemp(prefix='esper-bench-')
    os.makedirs(os.path.join(root, 'ansible_collections', 'esper'))
    os.symlink(REPO_ROOT, os.path.join(root, 'ansible_collections', 'esper', 'mdm'))
    sys.path.insert(0, root)


def best_of(repeat, step):
    """Run step() repeat times; return (best seconds, last result)."""
    best, result = None, None
    for _attempt in range(repeat):
        started = time.perf_counter()
        result = step()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main():
    """Print one line per measured step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--devices', type=int, default=10000)
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()
    collection_on_path()

    start_simulator = importlib.import_module('ansible_collections.esper.mdm.simulator.esper_simulator.process').start_simulator
    catalogue = importlib.import_module(MODULE_UTILS + 'catalogue')
    client_module = importlib.import_module(MODULE_UTILS + 'client')
    read_current_values = importlib.import_module(MODULE_UTILS + 'device_state').read_current_values
    submission = importlib.import_module(MODULE_UTILS + 'submission')
    targets = importlib.import_module(MODULE_UTILS + 'targets')

    started = time.perf_counter()
    with start_simulator('--devices', str(args.devices), '--groups', '20', '--offline', '0',
                         '--step-seconds', '0') as simulator:
        print('%-58s %8.3f s' % ('simulator start, %d devices' % args.devices, time.perf_counter() - started))
        client = client_module.EsperClient(simulator.url, simulator.api_key, enterprise_id=simulator.enterprise_id)
        names = ['kiosk-%04d' % n for n in range(1, args.devices + 1, max(1, args.devices // 100))]
        steps = [
            ('list every device (paginate, 500 a page)', lambda: client.paginate(client.enterprise_path('device/'))),
            ('resolve %d device names (one listing)' % len(names), lambda: targets.resolve_devices(client, names)),
            ('resolve a group and expand it to its devices',
             lambda: targets.expand_groups(client, targets.resolve_groups(client, ['Store-001']))),
        ]
        for label, step in steps:
            seconds, result = best_of(args.repeat, step)
            print('%-58s %8.3f s  (%d items)' % (label, seconds, len(result)))

        devices = client.paginate(client.enterprise_path('device/'))
        sample = devices[:1000]
        spec = catalogue.COMMANDS['SET_BRIGHTNESS_SCALE'].state
        seconds, values = best_of(args.repeat, lambda: read_current_values(client, sample, spec))
        print('%-58s %8.3f s  (%d values)' % ('read devicestate of 1000 devices (8 workers)', seconds, len(values)))

        ids = [device['id'] for device in devices[:2500]]

        def reboot_and_wait():
            bodies = submission.build_requests('REBOOT', {}, ids, [])
            created = submission.submit_requests(client, bodies)
            return submission.wait_for_completion(client, [request['id'] for request in created], timeout=120,
                                                  expected_total=len(ids))

        seconds, outcome = best_of(args.repeat, reboot_and_wait)
        print('%-58s %8.3f s  (%d requests, %d succeeded)' % (
            'REBOOT %d devices: POST in batches, wait for every device' % len(ids), seconds,
            len(outcome.stats_by_request), outcome.stats['success']))


if __name__ == '__main__':
    main()
