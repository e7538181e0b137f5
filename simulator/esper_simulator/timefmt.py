# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timestamps as Esper writes them, and the simulator's clock that tests can fast-forward."""

from __future__ import annotations

import datetime
import threading
import time


def iso_timestamp(epoch_seconds):
    """DRF-style UTC timestamp with microseconds: 2025-05-01T10:00:00.123456Z."""
    moment = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def parse_iso_datetime(text):
    """An aware datetime from ISO-8601 text ('Z' or an offset; naive means UTC); ValueError when unreadable."""
    if not isinstance(text, str) or not text:
        raise ValueError('not a date-time string')
    parsed = datetime.datetime.fromisoformat(text[:-1] + '+00:00' if text.endswith(('Z', 'z')) else text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


class SimClock:
    """Wall-clock time plus an offset that POST /_sim/clock advances (time only moves forward)."""

    def __init__(self, source=time.time):
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self):
        with self._lock:
            return self._source() + self._offset

    @property
    def offset(self):
        with self._lock:
            return self._offset

    def advance(self, seconds):
        """Move simulated time forward by ``seconds`` (must be >= 0) and return the new time."""
        if seconds < 0:
            raise ValueError('the clock can only move forward')
        with self._lock:
            self._offset += seconds
            return self._source() + self._offset

    def reset(self):
        with self._lock:
            self._offset = 0.0
