# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Rollout in waves and the max_devices guard, shared by every module that sends commands."""

    DOCUMENTATION = r'''
options:
  rollout:
    description:
      - Send the command in waves of devices instead of to every target at once, and stop when too many fail.
      - Groups are expanded to their devices and every request is a V(DEVICE) request. The devices are put in a
        stable order; the devices of O(devices) first, in the order given, then the members of each group of O(groups)
        in the order given, each group's members in Esper's listing order. A device reached twice counts once, at its
        first place. Put canary devices first in O(devices).
      - Waves are made of the devices that need the command, after the module's idempotency checks (devices already
        in the desired state are not counted) and, for M(esper.mdm.esper_command), after O(ignore:once).
      - A wave is sent only after the previous wave finished; every device reached a final state, or the wave's wait
        of O(wait_timeout) seconds ended (each wave gets its own O(wait_timeout)). Devices that ended in
        V(Command Failure), V(Command TimeOut) or V(Command Cancelled), and devices still open when the wave's wait
        ended, count as failed.
      - When the failed devices stay within O(rollout.max_fail_percentage) of all the devices sent so far, the task
        succeeds; RV(failed_devices) lists them and a warning names them. When they exceed it, no later wave is sent and
        the task fails with a message naming the wave, the counts and the budget; RV(waves) and RV(unsent_devices) tell
        what was and was not sent. Re-running the task continues with the devices not done yet (for an action of
        M(esper.mdm.esper_command), with O(ignore:once=true)).
      - In check mode nothing is sent and RV(waves) lists the waves that would be sent; diff mode shows them too.
      - Needs O(wait=true) and, where the module has it, O(ignore:schedule=IMMEDIATE).
    type: dict
    suboptions:
      waves:
        description:
          - The size of each wave, read like the play keyword C(serial). Each entry is a number of devices, or a
            percentage of the devices that need the command (a string such as V('25%')), rounded up; every wave has at
            least one device.
          - The last size repeats until every device is sent, so V([1, 5, '100%']) sends one canary, then five, then
            the rest.
        type: list
        elements: raw
        required: true
      max_fail_percentage:
        description:
          - The failure budget; the rollout stops when more than this percentage of all the devices sent so far (not
            per wave) failed.
          - The default V(0) stops at the first failed device.
        type: float
        default: 0
      pause_seconds:
        description:
          - Seconds to wait between the end of one wave and the start of the next.
        type: int
        default: 0
  max_devices:
    description:
      - The most devices this task's targets may reach. Groups are expanded to their devices and counted before
        anything is sent; when the targets are more devices (counting those the idempotency checks, C(once) or
        platform support would skip), nothing is sent and the task fails naming the count and this option.
      - Required for destructive commands; V(WIPE), V(RESET_LOCKSCREEN_PASSWORD), V(CLEAR_APP_DATA), V(UNINSTALL),
        V(APPLE_APP_UNINSTALL), V(REMOVE_PROFILE) and V(SET_DEVICE_LOCKDOWN_STATE) with C(state=LOCKED). They erase
        data or lock people out of the device, and cannot be undone remotely.
      - Not destructive by this rule; V(CLEAR_PASSCODE) (removes a passcode; nothing is erased and nobody is locked out)
        and V(LOCK) (the user's own passcode unlocks the screen).
      - When given, groups are expanded and sent as devices, so a device that joins a group after the count is not
        reached.
    type: int
'''
