#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: esper_certificate
short_description: Install or remove a PKCS#12 certificate on Esper-managed Android devices
version_added: 0.1.0
description:
  - Installs a PKCS#12 (C(.p12)/C(.pfx)) certificate bundle into the system keystore of Android devices under an
    alias with the C(INSTALL_CERTIFICATE) command, or removes the alias with C(UNINSTALL_CERTIFICATE).
  - Before anything is sent, the bundle is opened locally with the C(cryptography) library. A file that is not
    PKCS#12, a missing or wrong password, a bundle without a certificate, or an expired certificate is an error.
    A certificate that expires within 30 days, or a bundle without the chain up to a root CA, is a warning.
  - No Esper API lists the certificates installed on a device, so the module decides from the command history
    which devices need the command; see O(state) and the C(idempotent) attribute.
  - Android 9 (API level 28) or later is required. Devices below it, devices that are not Android, and devices that
    do not report their API level are not sent the command; they are listed in RV(skipped_devices) with the reason,
    and a warning is shown.
options:
  alias:
    description:
      - The certificate's alias on the device. Aliases are case-sensitive.
      - Installing a different certificate under an alias that is already used overwrites it on the device.
    type: str
    required: true
  state:
    description:
      - V(present) installs the certificate under O(alias), sending C(INSTALL_CERTIFICATE) only to devices whose
        latest C(INSTALL_CERTIFICATE)/C(UNINSTALL_CERTIFICATE) request for O(alias) is not a successful or still
        open install of the same certificate. The same certificate means the same SHA-256 fingerprint of the leaf
        certificate.
      - V(absent) removes O(alias), sending C(UNINSTALL_CERTIFICATE) only to devices where that latest request is a
        successful or still open install, or a request that failed, timed out or was cancelled (what was there
        before may remain; a failed install of a new certificate leaves the previous one in place).
      - With V(present), an install that failed, timed out or was cancelled is sent again.
    type: str
    choices: [present, absent]
    default: present
  src:
    description:
      - Path to the PKCS#12 file (C(.p12) or C(.pfx)) on the host that runs the module. That is normally the
        controller, in a play on C(localhost) or with C(delegate_to) set to C(localhost); the file is not copied
        from the controller to another host.
      - One of O(src) and O(content) is required with O(state=present); they are ignored with O(state=absent).
      - Mutually exclusive with O(content).
    type: path
  content:
    description:
      - The base64 of the PKCS#12 file, for example a vaulted variable holding the output of
        C(base64 corp-proxy.p12). Line breaks are allowed.
      - Mutually exclusive with O(src).
    type: str
  password:
    description:
      - The password of the PKCS#12 bundle, when it has one. It is sent to the devices in C(cert_password).
      - When the bundle opens without a password, it is not sent and a warning says so.
    type: str
extends_documentation_fragment:
  - esper.mdm.connection
  - esper.mdm.targets
  - esper.mdm.rollout
  - esper.mdm.attributes
  - esper.mdm.attributes.idempotent
attributes:
  check_mode:
    support: full
    details:
      - The bundle is checked and the command history read; nothing is sent.
  diff_mode:
    support: full
    details:
      - Per device, the state (V(present), V(absent) or V(unknown)) and the leaf fingerprint before and after.
      - With O(force=true) the history is not read, so every C(before) is V(unknown).
  idempotent:
    support: full
    details:
      - Relies on the command history, since no API reports the certificates on a device. A certificate removed on
        the device by other means is not noticed; use O(force=true) to send to every target device.
      - Each past install's bundle is opened with the password sent with it, then with O(password), to compare leaf
        fingerprints. When it cannot be opened (or the API does not return it), the SHA-256 of its raw bytes is
        compared with the new bundle's instead, so the same certificate re-exported into a new file counts as a
        change.
requirements:
  - cryptography
notes:
  - The password and the certificate data never appear in results, diff, warnings or errors; RV(request) shows
    C(cert_data_base64) and C(cert_password) masked.
  - Groups are expanded to their member devices and the command is sent to those devices (a C(DEVICE) request),
    because each device is checked on its own. Devices that join a group later get the certificate on the next run.
  - An install command expires after 30 days on devices that do not pick it up (for example powered off).
  - Certificates installed this way cannot be used for Wi-Fi EAP-TLS authentication.
seealso:
  - module: esper.mdm.esper_command
  - module: esper.mdm.esper_command_info
author:
  - esper.mdm contributors (@esper-mdm)
'''

EXAMPLES = r'''
- name: Install the proxy CA on a group of devices
  delegate_to: localhost
  module_defaults:
    group/esper.mdm.esper:
      tenant: acme
      api_key: "{{ vault_esper_api_key }}"
      enterprise_id: "{{ esper_enterprise_id }}"
  block:
    - name: Install corp-proxy from a file on the controller
      esper.mdm.esper_certificate:
        alias: corp-proxy
        src: files/corp-proxy.p12
        password: "{{ vault_corp_proxy_p12_password }}"
        groups:
          - Store-017
      register: installed

    - name: Show what was installed
      ansible.builtin.debug:
        msg: "{{ installed.certificate.fingerprint_sha256 }} on {{ installed.stats.success }} devices"

- name: Install a bundle kept in a vault as base64, without waiting
  esper.mdm.esper_certificate:
    tenant: acme
    api_key: "{{ vault_esper_api_key }}"
    enterprise_id: "{{ esper_enterprise_id }}"
    alias: corp-proxy
    content: "{{ vault_corp_proxy_p12_base64 }}"
    password: "{{ vault_corp_proxy_p12_password }}"
    devices:
      - kiosk-0042
      - 6f1c2d3e-0000-4a5b-8c9d-000000000001
    wait: false

- name: Re-send to every device, whatever the history says
  esper.mdm.esper_certificate:
    tenant: acme
    api_key: "{{ vault_esper_api_key }}"
    enterprise_id: "{{ esper_enterprise_id }}"
    alias: corp-proxy
    src: /etc/pki/corp-proxy.p12
    groups:
      - Retail
    force: true

- name: Remove the certificate
  esper.mdm.esper_certificate:
    tenant: acme
    api_key: "{{ vault_esper_api_key }}"
    enterprise_id: "{{ esper_enterprise_id }}"
    alias: corp-proxy
    state: absent
    groups:
      - Retail
'''

RETURN = r'''
changed:
  description: Whether a command was sent (or would be, in check mode).
  returned: always
  type: bool
certificate:
  description: What the bundle holds; the leaf is the certificate that goes with the private key.
  returned: when O(state=present)
  type: dict
  contains:
    subject:
      description: Subject of the leaf certificate (RFC 4514).
      type: str
      sample: CN=corp-proxy,O=Acme
    issuer:
      description: Issuer of the leaf certificate (RFC 4514).
      type: str
      sample: CN=Acme Intermediate CA,O=Acme
    serial_number:
      description: Serial number of the leaf certificate, in hexadecimal.
      type: str
      sample: 3C5D7531AEEF9C9F
    not_before:
      description: Start of the leaf's validity, UTC.
      type: str
      sample: '2025-01-01T00:00:00Z'
    not_after:
      description: End of the leaf's validity, UTC.
      type: str
      sample: '2026-01-01T00:00:00Z'
    fingerprint_sha256:
      description: SHA-256 fingerprint of the leaf certificate, the identity used for idempotency.
      type: str
      sample: '3F:64:27:2E:47:36:28:BB:7C:18:3B:FE:7B:59:30:47:8D:76:5B:9B:98:F2:F1:CA:32:6F:51:EB:AF:7E:E6:3A'
    chain_length:
      description: Number of certificates from the leaf up through the issuers found in the bundle.
      type: int
      sample: 3
    chain_complete:
      description: Whether that chain ends at a self-signed root.
      type: bool
      sample: true
    has_private_key:
      description: Whether the bundle holds a private key.
      type: bool
      sample: true
command_id:
  description: ID of the first command request sent; null when nothing was sent.
  returned: always
  type: str
  sample: 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f
command_ids:
  description: IDs of every command request sent (one per 1000 devices).
  returned: always
  type: list
  elements: str
request:
  description: The first request body sent (or that would be sent in check mode), with C(cert_data_base64) and
    C(cert_password) masked; null when nothing is sent.
  returned: always
  type: dict
  sample:
    command_type: DEVICE
    devices: [6f1c2d3e-0000-4a5b-8c9d-000000000001]
    device_type: all
    command: INSTALL_CERTIFICATE
    command_args:
      cert_file_type: pkcs12
      cert_data_base64: '********'
      cert_alias_name: corp-proxy
      cert_storage_type: system
      cert_password: '********'
    schedule: IMMEDIATE
stats:
  description: Device counts per state over every request sent (C(total), C(queued), C(initiated), C(acknowledged),
    C(in_progress), C(scheduled), C(success), C(failure), C(timeout), C(cancelled)).
  returned: always
  type: dict
  sample: {total: 2, queued: 0, initiated: 0, acknowledged: 0, in_progress: 0, scheduled: 0, success: 2, failure: 0,
           timeout: 0, cancelled: 0}
skipped_devices:
  description:
    - The target devices not sent the command, with the reason, each with C(device), C(device_name) and C(reason).
    - Devices that cannot take it (below Android 9, not Android); a warning names them.
    - Devices already in the desired state by the command history, with the deciding request in C(command_id).
  returned: always
  type: list
  elements: dict
  sample:
    - device: 6f1c2d3e-0000-4a5b-8c9d-000000000009
      device_name: old-tablet
      reason: the device runs API level 26; Android 9 (API 28) or later is required
    - device: 6f1c2d3e-0000-4a5b-8c9d-000000000002
      device_name: kiosk-0002
      reason: certificate corp-proxy is already installed (request 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f)
      command_id: 9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f
failed_devices:
  description: Devices whose command failed, timed out or was cancelled, and on a wait time-out the devices still
    open, each with C(device), C(device_name), C(state), C(reason) and C(command_id).
  returned: always
  type: list
  elements: dict
timed_out:
  description: Whether O(wait_timeout) passed with devices still open.
  returned: always
  type: bool
waves:
  description:
    - With O(rollout), one entry per wave, in order; the waves sent (and, in check mode, every wave that would be sent).
    - A stopped rollout lists the waves sent up to the one that crossed the budget.
  returned: when O(rollout) is given
  type: list
  elements: dict
  contains:
    wave:
      description: The wave's number, from 1.
      type: int
    device_count:
      description: How many devices the wave holds.
      type: int
    devices:
      description: The ids of the wave's devices, in rollout order.
      type: list
      elements: str
    command_ids:
      description: The command requests sent to the wave.
      type: list
      elements: str
    stats:
      description: The wave's device counts per state, as in RV(stats).
      type: dict
    failed_devices:
      description: The wave's failed devices, as in RV(failed_devices).
      type: list
      elements: dict
    sent:
      description: Whether the wave was sent (false in check mode).
      type: bool
  sample:
    - wave: 1
      device_count: 1
      devices: [6f1c2d3e-0000-4a5b-8c9d-000000000001]
      command_ids: [9d0e6a4f-5b1c-4c1d-9e2f-3a4b5c6d7e8f]
      stats: {total: 1, queued: 0, initiated: 0, acknowledged: 0, in_progress: 0, scheduled: 0, success: 1, failure: 0,
              timeout: 0, cancelled: 0}
      failed_devices: []
      sent: true
unsent_devices:
  description:
    - With O(rollout), the devices that needed the command but were not sent it because the rollout stopped; empty
      when every wave was sent.
  returned: when O(rollout) is given
  type: list
  elements: dict
  contains:
    device:
      description: The device id.
      type: str
    device_name:
      description: The device name, when known.
      type: str
  sample:
    - device: 6f1c2d3e-0000-4a5b-8c9d-000000000042
      device_name: kiosk-0042
'''

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.esper.mdm.plugins.module_utils._certificate import (
    ABSENT,
    CERTIFICATE_COMMANDS,
    HAS_CRYPTOGRAPHY,
    INSTALL_COMMAND,
    PRESENT,
    UNINSTALL_COMMAND,
    CertificateError,
    HistoryIdentities,
    alias_filter,
    bundle_digest,
    bundle_source,
    device_certificate_state,
    diff_entry,
    encode_base64,
    ineligibility_reason,
    inspect_bundle,
    install_command_args,
    needs_install,
    needs_uninstall,
    read_bundle,
    uninstall_command_args,
    up_to_date_reason,
)
from ansible_collections.esper.mdm.plugins.module_utils._client import connection_argument_spec
from ansible_collections.esper.mdm.plugins.module_utils._command_history import latest_statuses
from ansible_collections.esper.mdm.plugins.module_utils._command_runner import CommandPlan, run_command_module, warn_not_sent
from ansible_collections.esper.mdm.plugins.module_utils._targets import (
    device_label,
    resolve_devices,
    resolve_groups,
    target_argument_spec,
    target_devices,
    target_problems,
    with_api_levels,
)
from ansible_collections.esper.mdm.plugins.module_utils._rollout import rollout_argument_spec


def argument_spec():
    """The module's options: the connection options, the certificate, and the target options."""
    spec = connection_argument_spec()
    spec.update(
        alias=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        src=dict(type='path'),
        content=dict(type='str', no_log=True),
        password=dict(type='str', no_log=True),
    )
    spec.update(target_argument_spec())
    spec.update(rollout_argument_spec())
    return spec


class CertificateRun(object):
    """One run of esper_certificate: the steps run_command_module calls, and the bundle they share."""

    def __init__(self):
        self.module = None
        self.params = None
        self.alias = None
        self.present = None
        self.data = None
        self.data_digest = None
        self.inspection = None

    def input_problems(self, params):
        """Problems the argument spec cannot express, all reported at once before any request."""
        problems = []
        if not params['alias'] or not params['alias'].strip():
            problems.append('alias must not be empty')
        problems.extend(target_problems(params))
        return problems

    def load_bundle(self, module):
        """Read and inspect the bundle (state=present); fail on anything that cannot be installed."""
        self.module = module
        self.params = module.params
        self.alias = self.params['alias']
        self.present = self.params['state'] == 'present'
        if not self.present:
            return
        if not HAS_CRYPTOGRAPHY:
            module.fail_json(msg=missing_required_lib('cryptography'))
        try:
            self.data = read_bundle(self.params.get('src'), self.params.get('content'))
            self.inspection = inspect_bundle(self.data, self.params.get('password'),
                                             source=bundle_source(self.params.get('src'), self.params.get('content')))
        except CertificateError as error:
            module.fail_json(msg='%s' % error)
        self.data_digest = bundle_digest(self.data)
        # The base64 is sent as cert_data_base64: hidden, whole or in slices, wherever it might appear.
        module.add_secrets([encode_base64(self.data)])
        for warning in self.inspection.warnings:
            module.warn(warning)

    def command_args(self):
        """The command_args to send: INSTALL (with the password only when the bundle needs it) or UNINSTALL."""
        if not self.present:
            return uninstall_command_args(self.alias)
        password = self.params.get('password') if self.inspection.password_required else None
        return install_command_args(self.alias, self.data, password)

    def split_eligible(self, devices):
        """(eligible devices, skipped_devices entries) by platform and Android API level."""
        eligible = []
        skipped = []
        for device in devices:
            reason = ineligibility_reason(device)
            if reason is None:
                eligible.append(device)
            else:
                skipped.append({'device': device.get('id'), 'device_name': device_label(device), 'reason': reason})
        return eligible, skipped

    def device_states(self, client, devices):
        """device id -> device_certificate_state(), from the history; {} with force (history not read)."""
        if self.params['force'] or not devices:
            return {}
        device_ids = [device['id'] for device in devices]
        latest = latest_statuses(client, list(CERTIFICATE_COMMANDS), device_ids, request_filter=alias_filter(self.alias))
        identities = HistoryIdentities(self.params.get('password'))
        return dict((device_id, device_certificate_state(latest.get(device_id), identities)) for device_id in device_ids)

    def needs_command(self, state):
        """Whether a device with this history state (None with force) is sent the command."""
        if state is None:
            return True
        if self.present:
            return needs_install(state, self.inspection.fingerprint, self.data_digest)
        return needs_uninstall(state)

    def after_entry(self):
        """The diff's view of a device once the command has run."""
        if self.present:
            return {'state': PRESENT, 'fingerprint': self.inspection.fingerprint}
        return {'state': ABSENT, 'fingerprint': None}

    def plan(self, module, client):
        """The CommandPlan: the devices that need the command, the skipped ones, and the per-device diff."""
        # v2 device records carry no API level; the legacy record of each Android device gives it (§13.3).
        devices = with_api_levels(client, target_devices(client, resolve_devices(client, self.params['devices']),
                                                         resolve_groups(client, self.params['groups'])))
        eligible, skipped = self.split_eligible(devices)
        warn_not_sent(module, INSTALL_COMMAND if self.present else UNINSTALL_COMMAND, skipped)
        states = self.device_states(client, eligible)
        to_send = []
        diff = {'before': {}, 'after': {}}
        names = {}
        for device in eligible:
            device_id = device['id']
            label = device_label(device)
            if label in diff['before']:
                label = device_id  # two devices with the same name must not share a diff entry
            names[device_id] = device_label(device)
            state = states.get(device_id)
            before = diff_entry(state)
            diff['before'][label] = before
            if self.needs_command(state):
                to_send.append(device_id)
                diff['after'][label] = self.after_entry()
            else:
                diff['after'][label] = before
                skipped.append({'device': device_id, 'device_name': names[device_id],
                                'reason': up_to_date_reason(self.alias, state), 'command_id': state.get('request_id')})
        command = INSTALL_COMMAND if self.present else UNINSTALL_COMMAND
        return [CommandPlan(command, self.command_args(), to_send, [], command_type='DEVICE' if to_send else None,
                            skipped_devices=skipped, diff=diff, expected_total=len(to_send) or None,
                            device_names=names)]

    def report(self, module, result):
        """One plan, so the per-command list would only repeat the top-level keys; the certificate's details."""
        result.pop('commands', None)
        if self.inspection is not None:
            result['certificate'] = self.inspection.certificate


def main():
    run = CertificateRun()
    run_command_module(argument_spec(), run.plan, input_problems=run.input_problems, prepare=run.load_bundle,
                       report=run.report, mutually_exclusive=[('src', 'content')],
                       required_if=[('state', 'present', ('src', 'content'), True)])


if __name__ == '__main__':
    main()
