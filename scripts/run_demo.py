"""Start the Esper API simulator, run a playbook against it with the collection on the path, stop it."""

import argparse
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, 'simulator'))

from esper_simulator.process import start_simulator  # noqa: E402  pylint: disable=wrong-import-position


def main():
    """Run the demo playbook; exit with ansible-playbook's status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--collections-root', required=True, help='folder holding ansible_collections/esper/mdm')
    parser.add_argument('--playbook', required=True)
    parser.add_argument('--devices', default='40', help='simulated fleet size')
    args, playbook_args = parser.parse_known_args()

    with start_simulator('--devices', args.devices, '--groups', '4', '--step-seconds', '0.1') as simulator:
        print('Esper API simulator at %s (enterprise %s)' % (simulator.url, simulator.enterprise_id), flush=True)
        env = dict(os.environ)
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': args.collections_root,
            'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ESPER_API_URL': simulator.url,
            'ESPER_API_KEY': simulator.api_key,
            'ESPER_ENTERPRISE_ID': simulator.enterprise_id,
        })
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), args.playbook] + playbook_args
        return subprocess.call(command, env=env)


if __name__ == '__main__':
    sys.exit(main())
