# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""python3 -m esper_simulator: serve until SIGTERM/SIGINT; the first stdout line is ESPER_SIMULATOR_URL=<base URL>."""

from __future__ import annotations

import signal
import sys

from .options import parse_args
from .server import SimulatorServer


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    """Start the simulator, print its URL line, serve until a signal arrives; returns the exit code."""
    options = parse_args(argv)
    server = SimulatorServer(options)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # Nothing else goes to stdout afterwards: a parent that reads only this line must never block the server.
    sys.stdout.write(f'ESPER_SIMULATOR_URL={server.url}\n')
    sys.stdout.flush()
    sys.stderr.write(f'esper_simulator: {options.devices} devices, {options.groups} groups, enterprise {options.enterprise_id}\n')
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
