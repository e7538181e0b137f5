# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The log of every API request the simulator received (GET /_sim/requests), optionally mirrored to a JSON-lines file."""

from __future__ import annotations

import copy
import json
import threading

# Keys whose values never go to the log file (the in-memory log keeps them so tests can check what was sent).
SECRET_KEYS = frozenset(('cert_password', 'cert_data_base64', 'new_lockscreen_password', 'wifi_password',
                         'certificate_file_password', 'password'))
MASK = '********'


def mask_secrets(value):
    """A copy of a JSON value with the values of SECRET_KEYS replaced by MASK, at any depth."""
    if isinstance(value, dict):
        return {key: (MASK if key in SECRET_KEYS and item is not None else mask_secrets(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


class RequestLog:
    """Thread-safe list of request records, in arrival order."""

    def __init__(self, log_file=None):
        self._records = []
        self._lock = threading.Lock()
        self._seq = 0
        self._log_file = log_file

    def add(self, record):
        """Store one record (method, path, query, status, time, ...) and mirror it, masked, to the log file."""
        with self._lock:
            self._seq += 1
            record = dict(record, seq=self._seq)
            self._records.append(record)
            if self._log_file:
                with open(self._log_file, 'a', encoding='utf-8') as handle:
                    handle.write(json.dumps(mask_secrets(record), sort_keys=True) + '\n')
        return record

    def records(self, method=None, path_prefix=None):
        """Deep copies of the records, optionally only one method and/or paths starting with a prefix."""
        with self._lock:
            return [copy.deepcopy(record) for record in self._records
                    if (method is None or record['method'] == method.upper())
                    and (path_prefix is None or record['path'].startswith(path_prefix))]

    def clear(self):
        with self._lock:
            self._records = []
