"""Side-by-side benchmark: esper.mdm against what users would otherwise run, on the simulator.

Speed is measured here, never asserted in a test. Run it with the project's virtualenv (make demo or make test
creates it):

    .venv/bin/python scripts/benchmark.py                 # every figure (about 15 minutes)
    .venv/bin/python scripts/benchmark.py --only reboot   # one section: reboot, noop, task, scale, inventory
    .venv/bin/python scripts/benchmark.py --baseline DIR  # also run the esper.mdm figures with the collection in DIR
                                                          # (for example a `git worktree` of an older commit)

Each comparison starts the simulator with a matching fleet and timing (devices finish STEPS x --step-seconds
after each POST; 4 s by default), runs the two sides interleaved --repeat times, and prints one line per figure
with medians and the ratio to the other side. The playbooks it runs are in scripts/bench/ (uri_reboot.yml is the
hand-written uri playbook: one POST per 1,000 devices, then `until` on each request's stats every 2 s).

Figures:
- wall: seconds from starting ansible-playbook to its exit; requests: API requests the simulator received; conn: the
  TCP connections they came on (kept-alive connections carry many);
- floor: ansible-playbook running one task that gives the same device list to a module that does nothing
  (bench/floor_reboot.yml), plus the devices' own time: no client can finish sooner;
- lag: from the moment the last device finished to the moment the task ended (a callback records task ends);
- rounds: how many times the first request's stats were read; peak MB: the largest summed PSS (shared pages split
  between the processes sharing them) of the ansible-playbook process tree, sampled every 20 ms; sim CPU: the
  simulator's CPU seconds over the wall time.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(REPO_ROOT, 'scripts', 'bench')
sys.path.insert(0, os.path.join(REPO_ROOT, 'simulator'))

from esper_simulator.process import start_simulator  # noqa: E402  (needs the path above)

STEPS = 4  # status transitions from Queued to Success in the simulator
CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def collections_root(collection_dir, workdir, label):
    """A directory laid out as ansible_collections/esper/mdm that points at collection_dir."""
    root = os.path.join(workdir, 'collections-' + label)
    os.makedirs(os.path.join(root, 'ansible_collections', 'esper'))
    os.symlink(os.path.abspath(collection_dir), os.path.join(root, 'ansible_collections', 'esper', 'mdm'))
    return root


def tree_memory_kb(root_pid):
    """The summed proportional set size (kB) of root_pid and every process below it.

    PSS, not RSS: ansible-playbook forks a worker per task, and a fork shares its parent's pages until either writes
    them; summing RSS would count those pages twice. PSS splits each shared page between the processes sharing it.
    """
    parents = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                parents[int(entry)] = int(handle.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    tree = {root_pid}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = 0
    for pid in tree:
        try:
            with open('/proc/%d/smaps_rollup' % pid) as handle:
                for line in handle:
                    if line.startswith('Pss:'):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


class PeakSampler(threading.Thread):
    """Samples the memory (PSS) of a process tree every 20 ms until stopped; stop() returns the largest sum in MB."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.peak_kb = max(self.peak_kb, tree_memory_kb(self.pid))
            self._stop_event.wait(0.02)

    def stop(self):
        self._stop_event.set()
        self.join()
        return self.peak_kb / 1024.0


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as handle:
        fields = handle.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(CLOCK_TICKS)


class Bench:
    """One simulator and the ways to run playbooks against it."""

    def __init__(self, args, workdir, devices, step_seconds):
        self.args = args
        self.workdir = workdir
        self.step_seconds = step_seconds
        started = time.perf_counter()
        self.sim = start_simulator('--devices', devices, '--groups', '20', '--offline', '0', '--legacy-android', '0',
                                   '--other-platforms', '0', '--step-seconds', step_seconds, timeout=120)
        self.start_seconds = time.perf_counter() - started
        fleet = self.sim.control('GET', '_sim/fleet')
        self.device_ids = [device['id'] for device in fleet['devices']] if isinstance(fleet, dict) and 'devices' in fleet \
            else self._listed_ids()
        self.store_groups = [group['name'] for group in fleet.get('groups', []) if group.get('device_count')]

    def _listed_ids(self):
        ids = []
        offset = 0
        while True:
            page = self.api_get('v2/devices/?limit=1000&offset=%d' % offset)['content']
            ids.extend(device['id'] for device in page['results'])
            offset += 1000
            if not page.get('next'):
                return ids

    def api_get(self, path):
        request = urllib.request.Request('%s/%s' % (self.sim.url, path), headers={'Authorization': 'Bearer ' + self.sim.api_key})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def close(self):
        self.sim.stop()

    def env(self, collections):
        env = dict(os.environ)
        env.update({
            'ESPER_API_KEY': self.sim.api_key, 'ESPER_API_URL': self.sim.url, 'ESPER_ENTERPRISE_ID': self.sim.enterprise_id,
            'ANSIBLE_COLLECTIONS_PATH': collections, 'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
            'ANSIBLE_CALLBACK_PLUGINS': os.path.join(BENCH_DIR, 'callback_plugins'),
            'ANSIBLE_CALLBACKS_ENABLED': 'bench_timer', 'ANSIBLE_HOST_KEY_CHECKING': 'False',
            'ANSIBLE_LOCALHOST_WARNING': 'False', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False',
        })
        return env

    def play(self, playbook, collections, extra_vars):
        """Run one playbook; returns its figures (wall, requests, lag, rounds, peak_mb, sim_cpu, rc)."""
        self.sim.control('DELETE', '_sim/requests')
        vars_file = os.path.join(self.workdir, 'vars.json')
        with open(vars_file, 'w') as handle:
            json.dump(extra_vars, handle)
        times_file = os.path.join(self.workdir, 'times.txt')
        if os.path.exists(times_file):
            os.unlink(times_file)
        env = self.env(collections)
        env['ESPER_BENCH_TIMES'] = times_file
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                   os.path.join(BENCH_DIR, playbook), '-e', '@' + vars_file]
        sim_cpu_before = cpu_seconds(self.sim.process.pid)
        started = time.time()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        sampler = PeakSampler(process.pid)
        sampler.start()
        output = process.communicate()[0]
        ended = time.time()
        peak_mb = sampler.stop()
        sim_cpu = cpu_seconds(self.sim.process.pid) - sim_cpu_before
        if process.returncode:
            sys.stderr.write(output.decode('utf-8', 'replace')[-3000:])
        records = [record for record in self.sim.control('GET', '_sim/requests') if record['path'].startswith('/api/')]
        posts = [record for record in records if record['method'] == 'POST']
        stats_reads = {}
        for record in records:
            if record['method'] == 'GET' and record['path'].endswith('/stats/'):
                stats_reads[record['path']] = stats_reads.get(record['path'], 0) + 1
        task_ends = []
        if os.path.exists(times_file):
            with open(times_file) as handle:
                task_ends = [float(line.split(' ', 1)[0]) for line in handle if line.strip()]
        lag = None
        if posts and task_ends:
            last_finish = max(record['epoch'] for record in posts) + STEPS * self.step_seconds
            lag = max(task_ends) - last_finish
        connections = set(record.get('connection') for record in records if record.get('connection'))
        return {'wall': ended - started, 'requests': len(records), 'connections': len(connections), 'lag': lag, 'posts': len(posts),
                'rounds': max(stats_reads.values()) if stats_reads else 0, 'peak_mb': peak_mb,
                'sim_cpu': sim_cpu / max(ended - started, 1e-9), 'rc': process.returncode}


def median(runs, key):
    values = [run[key] for run in runs if run.get(key) is not None]
    return statistics.median(values) if values else float('nan')


def fmt_side(runs):
    failed = sum(1 for run in runs if run['rc'])
    return '%6.2f s %6d req %3d conn  lag %5.2f s  %3d rounds  %5.0f MB%s' % (
        median(runs, 'wall'), median(runs, 'requests'), median(runs, 'connections'), median(runs, 'lag'),
        median(runs, 'rounds'), median(runs, 'peak_mb'), '  (%d FAILED)' % failed if failed else '')


def interleaved(repeat, sides):
    """sides: [(label, callable)]; run each side once per round, round after round; returns label -> runs."""
    runs = dict((label, []) for label, _call in sides)
    for _round in range(repeat):
        for label, call in sides:
            runs[label].append(call())
    return runs


def section_reboot(args, workdir, collections):
    """REBOOT to 2,500 and 10,000 devices of a 10,000 fleet: esper.mdm vs the uri playbook."""
    bench = Bench(args, workdir, args.fleet, args.step_seconds)
    try:
        duration = STEPS * args.step_seconds
        print('== REBOOT by id, fleet %d, devices finish %.1f s after each POST (simulator up in %.1f s), medians of %d'
              % (args.fleet, duration, bench.start_seconds, args.repeat))
        for count in (2500, args.fleet):
            extra = {'device_ids': bench.device_ids[:count]}
            sides = [('esper.mdm', lambda: bench.play('esper_reboot.yml', collections['esper.mdm'], extra)),
                     ('uri', lambda: bench.play('uri_reboot.yml', collections['esper.mdm'], extra)),
                     ('floor', lambda: bench.play('floor_reboot.yml', collections['esper.mdm'], extra))]
            if 'baseline' in collections:
                sides.insert(1, ('baseline', lambda: bench.play('esper_reboot.yml', collections['baseline'], extra)))
            runs = interleaved(args.repeat, sides)
            uri_wall = median(runs['uri'], 'wall')
            for label, _call in sides:
                if label == 'floor':
                    continue
                ratio = median(runs[label], 'wall') / uri_wall
                sim_cpu = median(runs[label], 'sim_cpu')
                print('REBOOT %6d devices  %-9s %s  %.2fx uri  sim CPU %3.0f%%' % (
                    count, label, fmt_side(runs[label]), ratio, 100 * sim_cpu))
            # The least any client can take: Ansible passing the same list to a module that does nothing
            # (bench/floor_reboot.yml), plus the devices' own time after the POST.
            ansible_part = median(runs['floor'], 'wall')
            floor = ansible_part + duration
            above = median(runs['esper.mdm'], 'wall') - floor
            print('REBOOT %6d devices  floor     %6.2f s (Ansible with a do-nothing module given the list %.2f s + the devices\' %.1f s)'
                  '  %.2fx uri  esper.mdm %.2f s above it' % (count, floor, ansible_part, duration, floor / uri_wall, above))
            for label in runs:
                if label not in ('uri', 'floor'):
                    lag = median(runs[label], 'lag')
                    rounds = median(runs[label], 'rounds')
                    print('  %-9s finish lag %.2f s (goal <= %.2f s), %d polling rounds (goal <= %d)' % (
                        label, lag, max(0.5, 0.1 * duration), rounds, 2 * math.log2(duration / 0.5) + 4))
    finally:
        bench.close()


def section_scale(args, workdir, collections):
    """REBOOT every device with wait at growing fleet sizes; growth exponents between the smallest and largest."""
    sizes = [int(size) for size in args.scale.split(',')]
    duration = STEPS * args.step_seconds
    print('== REBOOT every device with wait (by id, then by its 20 groups), devices finish %.1f s after each POST, one run per size'
          % duration)
    rows = {}
    for label in [label for label in ('esper.mdm', 'baseline') if label in collections]:
        rows[label] = []
        for size in sizes:
            bench = Bench(args, workdir, size, args.step_seconds)
            try:
                run = bench.play('esper_reboot.yml', collections[label], {'device_ids': bench.device_ids})
                by_group = bench.play('esper_reboot_groups.yml', collections[label], {'group_names_to_reboot': bench.store_groups})
            finally:
                bench.close()
            rows[label].append((size, run))
            for how, figures in (('by id', run), ('by group', by_group)):
                print('REBOOT %6d devices %-8s %-9s %6.2f s (%.2f s beyond the devices\' %.1f s) %6d req  peak %5.0f MB  '
                      'lag %.2f s  sim CPU %3.0f%%  simulator up in %.1f s%s' % (
                          size, how, label, figures['wall'], figures['wall'] - duration, duration, figures['requests'],
                          figures['peak_mb'], figures['lag'] if figures['lag'] is not None else float('nan'),
                          100 * figures['sim_cpu'], bench.start_seconds, '  FAILED' if figures['rc'] else ''))
        (small, first), (large, last) = rows[label][0], rows[label][-1]
        if large > small:
            span = math.log(large / float(small))
            print('  %-9s growth exponents by id, %d -> %d devices: client time %.2f, requests %.2f, memory %.2f' % (
                label, small, large, math.log(max(last['wall'] - duration, 1e-3) / max(first['wall'] - duration, 1e-3)) / span,
                math.log(last['requests'] / float(first['requests'])) / span, math.log(last['peak_mb'] / first['peak_mb']) / span))


def section_task(args, workdir, collections):
    """Per-task cost: a one-device REBOOT task repeated, esper.mdm vs uri; (11 tasks - 1 task) / 10."""
    bench = Bench(args, workdir, 100, args.step_seconds)
    try:
        print('== per-task cost: one-device REBOOT (no wait), (wall of 11 tasks - wall of 1) / 10, medians of %d' % args.repeat)
        sides = [('esper.mdm', 'esper_task.yml', collections['esper.mdm']), ('uri', 'uri_task.yml', collections['esper.mdm'])]
        if 'baseline' in collections:
            sides.insert(1, ('baseline', 'esper_task.yml', collections['baseline']))
        per_task = {}
        for label, playbook, root in sides:
            per_task[label] = []
        for _round in range(args.repeat):
            for label, playbook, root in sides:
                one = bench.play(playbook, root, {'device_ids': bench.device_ids, 'task_count': 1})['wall']
                eleven = bench.play(playbook, root, {'device_ids': bench.device_ids, 'task_count': 11})['wall']
                per_task[label].append((eleven - one) / 10.0)
        uri = statistics.median(per_task['uri'])
        for label, _playbook, _root in sides:
            value = statistics.median(per_task[label])
            print('per task            %-9s %6.3f s  %.2fx uri' % (label, value, value / uri))
    finally:
        bench.close()


def section_noop(args, workdir, collections):
    """No-op SET_BRIGHTNESS_SCALE over 1,000 devices: the module in-process vs a minimal 8-thread client."""
    bench = Bench(args, workdir, 1000, args.step_seconds)
    try:
        print('== no-op state command (SET_BRIGHTNESS_SCALE to the current 60) over 1,000 devices, in-process, medians of %d'
              % args.repeat)
        labels = [label for label in ('esper.mdm', 'baseline') if label in collections]
        module_args = {'command': 'SET_BRIGHTNESS_SCALE', 'command_args': {'brightness_value': 60},
                       'devices': bench.device_ids, 'api_key': bench.sim.api_key, 'api_url': bench.sim.url,
                       'enterprise_id': bench.sim.enterprise_id, 'wait': False}
        results = dict((label, []) for label in labels + ['minimal', 'minimal-hc'])
        replay = None
        for _round in range(args.repeat):
            for label in labels:
                bench.sim.control('DELETE', '_sim/requests')
                seconds, changed = run_module_in_process(collections[label], module_args)
                records = [record for record in bench.sim.control('GET', '_sim/requests') if record['path'].startswith('/api/')]
                results[label].append((seconds, len(records), changed))
                if label == 'esper.mdm':
                    replay = records
            bench.sim.control('DELETE', '_sim/requests')
            results['minimal'].append((minimal_client(bench, replay), len(replay), False))
            bench.sim.control('DELETE', '_sim/requests')
            results['minimal-hc'].append((minimal_client(bench, replay, 'http.client'), len(replay), False))
        minimal = statistics.median(seconds for seconds, _count, _changed in results['minimal'])
        minimal_hc = statistics.median(seconds for seconds, _count, _changed in results['minimal-hc'])
        for label in labels + ['minimal', 'minimal-hc']:
            seconds = statistics.median(value for value, _count, _changed in results[label])
            print('no-op 1000 devices  %-10s %6.3f s %6d req  %.2fx minimal (requests)  %.2fx minimal (http.client)%s' % (
                label, seconds, results[label][0][1], seconds / minimal, seconds / minimal_hc,
                '  changed!' if any(changed for _s, _c, changed in results[label]) else ''))
    finally:
        bench.close()


def run_module_in_process(root, module_args):
    """Run esper_command's main() in a fresh interpreter, the collection under root; returns (seconds, changed)."""
    code = r'''
import io, json, sys, time
sys.path.insert(0, sys.argv[1])
from ansible.module_utils.testing import patch_module_args
from ansible_collections.esper.mdm.plugins.modules import esper_command
out, real = io.StringIO(), sys.stdout
sys.stdout = out
started = time.perf_counter()
with patch_module_args(json.load(open(sys.argv[2]))):
    try:
        esper_command.main()
    except SystemExit:
        pass
seconds = time.perf_counter() - started
sys.stdout = real
result = json.loads(out.getvalue())
print(json.dumps({"seconds": seconds, "changed": result.get("changed"), "failed": result.get("failed"), "msg": result.get("msg")}))
'''
    args_file = os.path.join(root, 'module_args.json')
    with open(args_file, 'w') as handle:
        json.dump(module_args, handle)
    process = subprocess.run([sys.executable, '-c', code, root, args_file], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             check=False)
    if process.returncode:
        raise RuntimeError('the module did not run: %s' % process.stderr.decode('utf-8', 'replace')[-2000:])
    output = process.stdout
    result = json.loads(output.decode().strip().splitlines()[-1])
    if result.get('failed'):
        sys.stderr.write('module failed: %s\n' % result.get('msg'))
    return result['seconds'], result['changed']


def minimal_client(bench, records, library='requests'):
    """Replay the module's requests with a plain client per thread (a requests.Session, or a kept-alive
    http.client connection): devicestate reads 8 at a time."""
    import requests  # pylint: disable=import-outside-toplevel
    import http.client  # pylint: disable=import-outside-toplevel
    from urllib.parse import urlencode, urlsplit  # pylint: disable=import-outside-toplevel
    local = threading.local()
    headers = {'Authorization': 'Bearer ' + bench.sim.api_key}
    base = bench.sim.url[:-len('/api')]
    netloc = urlsplit(base).netloc

    def fetch(record):
        if library == 'requests':
            session = getattr(local, 'session', None)
            if session is None:
                session = local.session = requests.Session()
            session.get(base + record['path'], params=record['query'], headers=headers, timeout=60).json()
            return
        connection = getattr(local, 'connection', None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(netloc, timeout=60)
        query = urlencode(record['query'])
        connection.request('GET', record['path'] + ('?' + query if query else ''), headers=headers)
        json.loads(connection.getresponse().read())

    parallel = [record for record in records if 'devicestate' in record['path']]
    serial = [record for record in records if 'devicestate' not in record['path']]
    started = time.perf_counter()
    for record in serial[:1]:
        fetch(record)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fetch, parallel))
    for record in serial[1:]:
        fetch(record)
    return time.perf_counter() - started


def section_inventory(args, workdir, collections):
    """The inventory plugin's requests, seconds and memory at 10,000 and 50,000 devices (scripts/bench_inventory.py)."""
    print('== inventory plugin: ansible-inventory --list, without and with a warm cache')
    sys.stdout.flush()
    subprocess.run([sys.executable, os.path.join(REPO_ROOT, 'scripts', 'bench_inventory.py'), '--devices']
                   + args.inventory.split(','), check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=3, help='interleaved runs per figure (medians are printed)')
    parser.add_argument('--fleet', type=int, default=10000, help='fleet size of the REBOOT comparison (default 10000)')
    parser.add_argument('--step-seconds', type=float, default=1.0,
                        help='seconds per status transition; devices finish 4 steps after a POST (default 1.0)')
    parser.add_argument('--scale', default='10000,50000,100000', help='fleet sizes of the scale section')
    parser.add_argument('--inventory', default='10000,50000', help='fleet sizes of the inventory section')
    parser.add_argument('--only', action='append', choices=('reboot', 'noop', 'scale', 'task', 'inventory'),
                        help='run only these sections (repeatable)')
    parser.add_argument('--baseline', help='a checkout of the collection to measure beside this one')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='esper-bench-')
    try:
        collections = {'esper.mdm': collections_root(REPO_ROOT, workdir, 'current')}
        if args.baseline:
            collections['baseline'] = collections_root(args.baseline, workdir, 'baseline')
        sections = args.only or ['reboot', 'noop', 'task', 'scale', 'inventory']
        for name in sections:
            globals()['section_' + name](args, workdir, collections)
            sys.stdout.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
