"""Measure the esper.mdm.esper inventory: requests, seconds and peak memory of ``ansible-inventory --list``.

Speed is measured here, never asserted in a test. Run it with the project's virtualenv:

    .venv/bin/python scripts/bench_inventory.py [--devices 10000 50000] [--groups 20]

For each fleet size it starts the simulator, runs ``ansible-inventory -i esper.yml --list`` once without the cache
and once more with a warm jsonfile cache, and prints one line per figure. The lead's benchmark can call
``measure_inventory(simulator_url, api_key, enterprise_id)`` against a simulator it already runs.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# The page sizes the plugin asks for (plugins/module_utils/_inventory.py, _targets.py).
PAGE = 1000


def collections_root():
    """A temp dir holding ansible_collections/esper/mdm as a symlink to this checkout."""
    root = tempfile.mkdtemp(prefix='esper-bench-inventory-')
    os.makedirs(os.path.join(root, 'ansible_collections', 'esper'))
    os.symlink(REPO_ROOT, os.path.join(root, 'ansible_collections', 'esper', 'mdm'))
    return root


def _control(simulator_url, method, path):
    root = simulator_url[:-len('/api')] if simulator_url.endswith('/api') else simulator_url
    request = urllib.request.Request('%s/_sim/%s' % (root, path), method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode('utf-8'))


def measure_inventory(simulator_url, api_key, enterprise_id, config='plugin: esper.mdm.esper\n', collections_path=None,
                      count_requests=True, source_dir=None):
    """Run ``ansible-inventory --list`` once against a running simulator.

    Returns {'hosts', 'requests' (API requests the simulator logged, None when count_requests is false),
    'seconds' (wall clock), 'peak_rss_mb' (the ansible-inventory process's maximum resident set size)}.
    config is the inventory source's text, written to source_dir/esper.yml (a new temp dir by default; the cache key
    is the source's path, so runs meant to share a cache need the same source_dir). The simulator's request log is
    cleared first.
    """
    collections_path = collections_path or collections_root()
    source = os.path.join(source_dir or tempfile.mkdtemp(prefix='esper-bench-source-'), 'esper.yml')
    with open(source, 'w') as handle:
        handle.write(config)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_INVENTORY_ENABLED='esper.mdm.esper', ESPER_API_URL=simulator_url, ESPER_API_KEY=api_key,
               ESPER_ENTERPRISE_ID=enterprise_id)
    if count_requests:
        _control(simulator_url, 'DELETE', 'requests')
    output = tempfile.TemporaryFile()
    started = time.perf_counter()
    process = subprocess.Popen([os.path.join(BIN, 'ansible-inventory'), '-i', source, '--list'], env=env,
                               stdout=output, stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    dummy, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError('ansible-inventory failed: %s' % stderr.decode('utf-8', 'replace')[-2000:])
    output.seek(0)
    hosts = len(json.loads(output.read().decode('utf-8'))['_meta']['hostvars'])
    requests = None
    if count_requests:
        requests = len([record for record in _control(simulator_url, 'GET', 'requests') if record['path'].startswith('/api/')])
    # ru_maxrss is in kilobytes on Linux.
    return {'hosts': hosts, 'requests': requests, 'seconds': seconds, 'peak_rss_mb': usage.ru_maxrss / 1024.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--devices', type=int, nargs='+', default=[10000, 50000])
    parser.add_argument('--groups', type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(REPO_ROOT, 'simulator'))
    from esper_simulator.process import start_simulator  # pylint: disable=import-outside-toplevel

    root = collections_root()
    cache_dir = tempfile.mkdtemp(prefix='esper-bench-cache-')
    cached = ('plugin: esper.mdm.esper\ncache: true\ncache_plugin: ansible.builtin.jsonfile\n'
              'cache_connection: %s\ncache_timeout: 3600\n' % cache_dir)
    for devices in args.devices:
        started = time.perf_counter()
        with start_simulator('--devices', str(devices), '--groups', str(args.groups), '--step-seconds', '0',
                             timeout=600) as simulator:
            print('inventory %6d devices: simulator start            %8.2f s' % (devices, time.perf_counter() - started))
            expected = math.ceil(devices / PAGE) + math.ceil((args.groups + 2) / PAGE)
            result = measure_inventory(simulator.url, simulator.api_key, simulator.enterprise_id, collections_path=root)
            print('inventory %6d devices: hosts                       %8d' % (devices, result['hosts']))
            print('inventory %6d devices: requests                    %8d (expected %d)' % (devices, result['requests'], expected))
            print('inventory %6d devices: seconds                     %8.2f' % (devices, result['seconds']))
            print('inventory %6d devices: peak memory                 %8.1f MB' % (devices, result['peak_rss_mb']))
            for name in os.listdir(cache_dir):
                os.unlink(os.path.join(cache_dir, name))
            source_dir = tempfile.mkdtemp(prefix='esper-bench-source-')
            measure_inventory(simulator.url, simulator.api_key, simulator.enterprise_id, config=cached, collections_path=root,
                              source_dir=source_dir)
            warm = measure_inventory(simulator.url, simulator.api_key, simulator.enterprise_id, config=cached, collections_path=root,
                                     source_dir=source_dir)
            print('inventory %6d devices: requests with warm cache    %8d' % (devices, warm['requests']))
            print('inventory %6d devices: seconds with warm cache     %8.2f' % (devices, warm['seconds']))
            print('inventory %6d devices: peak memory with warm cache %8.1f MB' % (devices, warm['peak_rss_mb']))
            sys.stdout.flush()


if __name__ == '__main__':
    main()
