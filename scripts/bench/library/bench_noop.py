# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's floor: a module that takes the same device list as esper_command and does nothing with it.

scripts/benchmark.py runs it to measure what Ansible itself costs (start, passing the list to a module, the
module's start) when a task is given that many devices; no client can take less than that plus the devices' time.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: bench_noop
short_description: Take a device list and do nothing (the benchmark's floor)
description: Used by scripts/benchmark.py only.
options:
  devices:
    description: Device UUIDs, as esper_command takes them.
    type: list
    elements: str
    required: true
author: esper.mdm contributors
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(devices=dict(type='list', elements='str', required=True)),
                           supports_check_mode=True)
    # Only the count is returned: echoing 10,000 ids back would make the floor costlier than esper_command's task.
    module.exit_json(changed=False, device_count=len(module.params['devices']))


if __name__ == '__main__':
    main()
