# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the simulator as a subprocess: the one way integration tests, the demo and benchmarks start it.

    from esper_simulator.process import start_simulator
    with start_simulator('--devices', '20', '--step-seconds', '0') as sim:
        sim.url, sim.api_key, sim.enterprise_id
        sim.control('POST', 'clock', {'advance': 5})
        sim.requests(method='POST', path_prefix='/api/commands/v0/commands/')

Standard library only, so it can be imported from any test runner.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SIMULATOR_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
URL_PREFIX = 'ESPER_SIMULATOR_URL='


class SimulatorStartError(RuntimeError):
    """The simulator did not print its URL in time, or exited; the message includes its stderr."""


class RunningSimulator:
    """A started simulator subprocess: ``url`` (base URL ending in /api), ``api_key``, ``enterprise_id``."""

    def __init__(self, process, url, stderr_file):
        self.process = process
        self.url = url
        self.root_url = url[:-len('/api')] if url.endswith('/api') else url
        self._stderr_file = stderr_file
        fleet = self.control('GET', 'fleet')
        self.api_key = fleet['api_key']
        self.enterprise_id = fleet['enterprise_id']

    def control(self, method, path, body=None):
        """Call the /_sim/ control API; ``path`` is 'faults', '/_sim/faults' or 'requests?method=POST'. Returns the JSON answer.

        Raises urllib.error.HTTPError (with the JSON error readable from it) on a 4xx/5xx answer.
        """
        path = path.lstrip('/')
        if not path.startswith('_sim/'):
            path = '_sim/' + path
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request(f'{self.root_url}/{path}', data=data, method=method.upper(),
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode('utf-8'))

    def requests(self, method=None, path_prefix=None):
        """The API requests the simulator received (oldest first), optionally filtered by method and path prefix."""
        params = {key: value for key, value in (('method', method), ('path_prefix', path_prefix)) if value}
        return self.control('GET', 'requests' + ('?' + urllib.parse.urlencode(params) if params else ''))

    def fleet(self):
        """The /_sim/fleet summary: enterprise_id, api_key, devices [{id, device_name, platform, online, ...}], groups."""
        return self.control('GET', 'fleet')

    def advance(self, seconds):
        """Fast-forward simulated time (status progression) by ``seconds``."""
        return self.control('POST', 'clock', {'advance': seconds})

    def add_faults(self, *rules):
        """Add fault rules, e.g. ``add_faults({'kind': 'rate_limit', 'method': 'POST', 'retry_after': 2})``."""
        return self.control('POST', 'faults', list(rules))

    def clear_faults(self):
        return self.control('DELETE', 'faults')

    def clear_requests(self):
        return self.control('DELETE', 'requests')

    def set_device(self, ref, **fields):
        """Change a device (by id or device_name): online, api_level, timezone_string, fail_commands, devicestate={...}."""
        return self.control('POST', 'devices/' + urllib.parse.quote(ref), fields)

    def fail_command(self, *rules):
        """Add command failure rules, e.g. ``fail_command({'command': 'REBOOT', 'share': 0.2, 'seed': 7})``; returns them all."""
        return self.control('POST', 'command_failures', list(rules))['command_failures']

    def clear_command_failures(self):
        return self.control('DELETE', 'command_failures')

    def reset(self):
        """Fresh fleet (same options); commands, request log, faults and clock offset cleared."""
        return self.control('POST', 'reset')

    def stderr_text(self):
        """What the simulator wrote to stderr so far (tracebacks of its own bugs land here)."""
        self._stderr_file.flush()
        self._stderr_file.seek(0)
        return self._stderr_file.read().decode('utf-8', 'replace')

    def stop(self, timeout=10):
        """Terminate the subprocess (SIGTERM, then SIGKILL after ``timeout`` seconds) and release its pipes."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def _read_url_line(process, timeout):
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffered = b''
    try:
        while b'\n' not in buffered:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return None
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                return None
            buffered += chunk
    finally:
        selector.close()
    line = buffered.split(b'\n', 1)[0].decode('utf-8', 'replace').strip()
    return line[len(URL_PREFIX):] if line.startswith(URL_PREFIX) else None


def start_simulator(*args, python=sys.executable, env=None, timeout=15):
    """Start ``python -m esper_simulator --port 0 *args`` and wait for its URL line; returns a RunningSimulator.

    ``args`` are command-line options as strings ('--devices', '10'); a later --port overrides the default 0.
    ``env`` is the base environment (default os.environ); the simulator directory is put first on PYTHONPATH.
    Raises SimulatorStartError (with the simulator's stderr) when no URL line arrives within ``timeout`` seconds.
    """
    child_env = dict(os.environ if env is None else env)
    child_env['PYTHONPATH'] = os.pathsep.join(filter(None, [SIMULATOR_ROOT, child_env.get('PYTHONPATH')]))
    child_env['PYTHONUNBUFFERED'] = '1'
    stderr_file = tempfile.TemporaryFile()
    command = [python, '-m', 'esper_simulator', '--port', '0'] + [str(arg) for arg in args]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr_file,
                               env=child_env, cwd=SIMULATOR_ROOT)
    url = _read_url_line(process, timeout)
    if url is None:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
        stderr_file.seek(0)
        message = stderr_file.read().decode('utf-8', 'replace')
        stderr_file.close()
        raise SimulatorStartError(f'the simulator did not print {URL_PREFIX}... within {timeout}s: {" ".join(command)}\n{message}')
    try:
        return RunningSimulator(process, url, stderr_file)
    except (OSError, ValueError, urllib.error.URLError):
        process.kill()
        process.wait()
        process.stdout.close()
        stderr_file.close()
        raise
