# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Independent reads, a few at a time: devicestate, device by id, a request's stats (one copy for every caller)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

# Concurrent reads per call: enough to hide round trips, few enough not to trip the API's rate limit (§1.6).
DEFAULT_WORKERS = 8


def parallel_map(call, items, workers=DEFAULT_WORKERS):
    """[call(item) for item in items], with up to ``workers`` calls at a time; results in input order.

    When calls raise, the error of the first failing item in input order is raised as it is (the client's typed
    error) and the calls not yet started are cancelled.
    """
    items = list(items or [])
    if workers <= 1 or len(items) <= 1:
        return [call(item) for item in items]
    executor = ThreadPoolExecutor(max_workers=min(workers, len(items)))
    futures = [executor.submit(call, item) for item in items]
    try:
        # Waiting in input order is what makes the first failing item in that order the one whose error is raised.
        return [future.result() for future in futures]
    except Exception:
        # Calls not yet started are pointless once one has failed.
        for future in futures:
            future.cancel()
        raise
    finally:
        executor.shutdown(wait=True)
