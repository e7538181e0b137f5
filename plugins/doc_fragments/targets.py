# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Target and wait options shared by every module that sends commands."""

    DOCUMENTATION = r'''
options:
  devices:
    description:
      - Devices to act on, each given by its UUID or by its exact device name.
      - Names are resolved with one paginated listing of the enterprise's devices; a name that matches
        no device, or more than one, is an error that lists what was found, raised before anything is sent.
      - At least one of O(devices) and O(groups) is required.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Device groups to act on, each given by its UUID or by its exact group name.
      - For checks that read device state, groups are expanded to their member devices (subgroups included).
    type: list
    elements: str
    default: []
  wait:
    description:
      - Wait until every targeted device has reached a final state (success, failure, time-out or cancelled),
        or, for scheduled requests, has been scheduled.
      - When V(false), the module returns right after the request is created, with the first stats.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true). Devices still open then are reported and the module fails,
        still returning the command IDs and the stats known so far.
    type: int
    default: 300
  force:
    description:
      - Send to every target device without first checking whether it is already in the desired state.
    type: bool
    default: false
'''
