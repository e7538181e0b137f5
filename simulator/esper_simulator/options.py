# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command-line options of the simulator and the settings that can change while it runs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import uuid

from .command_failures import CommandFailureRuleError, validate_rule
from .faults import FaultRule, FaultRuleError

DEFAULT_ENTERPRISE_ID = '5f2e7c1a-0000-4000-8000-00000000e5e5'
DEFAULT_API_KEY = 'sim-api-key'


@dataclasses.dataclass
class SimulatorOptions:
    """Everything that shapes the simulated tenant; see ``build_parser`` for the meaning of each field."""

    host: str = '127.0.0.1'
    port: int = 0
    api_key: str = DEFAULT_API_KEY
    enterprise_id: str = DEFAULT_ENTERPRISE_ID
    devices: int = 50
    groups: int = 5
    offline: int = 2
    legacy_android: int = 2
    other_platforms: int = 3
    seed: int = 1
    step_seconds: float = 0.2
    fail_same_value: bool = False
    group_fanout_seconds: float = 0.0
    log_file: str | None = None
    verbose: bool = False
    faults: list = dataclasses.field(default_factory=list)
    fail_commands: list = dataclasses.field(default_factory=list)
    inventory_extras: bool = False


def build_parser():
    """The argparse parser of ``python3 -m esper_simulator``."""
    parser = argparse.ArgumentParser(prog='esper_simulator', description='Local Esper MDM API simulator (test oracle of esper.mdm).')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=0, help='port to listen on; 0 picks a free port (default 0)')
    parser.add_argument('--api-key', default=DEFAULT_API_KEY, help='the only accepted Bearer key (default %(default)s)')
    parser.add_argument('--enterprise-id', default=DEFAULT_ENTERPRISE_ID, help='enterprise UUID (default %(default)s)')
    parser.add_argument('--devices', type=int, default=50, help='number of devices (default 50)')
    parser.add_argument('--groups', type=int, default=5, help='number of Store-NNN groups; Empty-Group and Other-Platforms come on top (default 5)')
    parser.add_argument('--offline', type=int, default=2,
                        help='offline Android devices: their commands stay Command Queued until /_sim/devices sets them online (default 2)')
    parser.add_argument('--legacy-android', type=int, default=2, help='Android devices with api_level below 28: 27, 26, 27, ... (default 2)')
    parser.add_argument('--other-platforms', type=int, default=3,
                        help='non-Android devices at the end of the fleet, cycling iOS, Windows, Linux (default 3)')
    parser.add_argument('--seed', type=int, default=1, help='seed of the deterministic fleet (default 1)')
    parser.add_argument('--step-seconds', type=float, default=0.2, help='time of each command status transition (default 0.2)')
    parser.add_argument('--fail-same-value', action='store_true', help='a state command setting the current value ends in Command Failure')
    parser.add_argument('--group-fanout-seconds', type=float, default=0.0,
                        help='GROUP/DYNAMIC requests show no statuses (empty stats) for this long (default 0)')
    parser.add_argument('--log-file', default=None, help='append every API request as a JSON line to this file (secrets masked)')
    parser.add_argument('--verbose', action='store_true', help='write an access log line per request to stderr')
    parser.add_argument('--fault', dest='faults', action='append', default=[], metavar='RULE_JSON',
                        help='a fault rule active from the start, as the JSON object POST /_sim/faults takes, e.g. '
                             '\'{"kind": "rate_limit", "count": 2, "retry_after": 3}\' (repeatable)')
    parser.add_argument('--inventory-extras', action='store_true',
                        help='add a group hierarchy under "All devices", tags, two devices named Lobby-Tablet and devices with '
                             'state codes 230 and 200, after the default fleet (inventory_extras.py)')
    parser.add_argument('--fail-command', dest='fail_commands', action='append', default=[], metavar='RULE_JSON',
                        help='a command failure rule active from the start, as the JSON object POST /_sim/command_failures takes, '
                             'e.g. \'{"command": "REBOOT", "share": 0.2, "seed": 7}\' or \'{"command": "WIPE", "devices": ["kiosk-0003"]}\' '
                             '(repeatable)')
    return parser


def parse_args(argv=None):
    """Parse command-line arguments into SimulatorOptions; exits with a usage message on bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    problems = [f'--{name.replace("_", "-")} must not be negative'
                for name in ('devices', 'groups', 'offline', 'legacy_android', 'other_platforms', 'step_seconds', 'group_fanout_seconds')
                if getattr(args, name) < 0]
    try:
        args.enterprise_id = str(uuid.UUID(args.enterprise_id))
    except ValueError:
        problems.append(f'--enterprise-id must be a UUID, got {args.enterprise_id!r}')
    rules = []
    for text in args.faults:
        try:
            rule = json.loads(text)
            FaultRule(rule)
        except (ValueError, FaultRuleError) as error:
            problems.append(f'--fault {text!r}: {error}')
        else:
            rules.append(rule)
    args.faults = rules
    failure_rules = []
    for text in args.fail_commands:
        try:
            rule = json.loads(text)
            validate_rule(rule)
        except (ValueError, CommandFailureRuleError) as error:
            problems.append(f'--fail-command {text!r}: {error}')
        else:
            failure_rules.append(rule)
    args.fail_commands = failure_rules
    if problems:
        parser.error('; '.join(problems))
    return SimulatorOptions(**vars(args))
