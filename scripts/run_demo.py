"""Start the Esper API simulator, run a playbook against it with the collection on the path, stop it."""

import argparse
import importlib
import json
import os
import secrets
import subprocess
import sys
import tempfile


def main():
    """Run the demo playbook; exit with ansible-playbook's status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--collections-root', required=True, help='folder holding ansible_collections/esper/mdm')
    parser.add_argument('--playbook', required=True)
    parser.add_argument('--devices', default='40', help='simulated fleet size')
    args, playbook_args = parser.parse_known_args()
    # The simulator and the test-certificate maker come from the laid-out collection tree.
    sys.path.insert(0, args.collections_root)
    start_simulator = importlib.import_module('ansible_collections.esper.mdm.simulator.esper_simulator.process').start_simulator
    make_pkcs12 = importlib.import_module('ansible_collections.esper.mdm.tests.certificates').make_pkcs12

    with tempfile.TemporaryDirectory(prefix='esper-demo-') as scratch, \
            start_simulator('--devices', args.devices, '--groups', '4', '--offline', '0', '--step-seconds', '0.1') as simulator:
        print('Esper API simulator at %s (enterprise %s)' % (simulator.url, simulator.enterprise_id), flush=True)
        # A certificate made for the demo, so it needs nothing but this repository; the password only
        # exists for this run and is passed in a file, never on a command line.
        password = secrets.token_urlsafe(16)
        certificate, fingerprint = make_pkcs12(os.path.join(scratch, 'demo-corp-ca.p12'), password=password,
                                               common_name='demo-corp-ca')
        print('Demo certificate %s (SHA-256 %s)' % (certificate, fingerprint), flush=True)
        extra_vars = os.path.join(scratch, 'demo-vars.json')
        with open(extra_vars, 'w', encoding='utf-8') as handle:
            json.dump({'demo_certificate_src': str(certificate), 'demo_certificate_password': password}, handle)
        playbook_args = ['--extra-vars', '@' + extra_vars] + playbook_args
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
