"""Sliding-window limits for what a device or an address may try per minute (joins, card codes).

In process memory: one app process serves a hall. A key that has been quiet for a whole window is
forgotten, so a flood of made-up keys cannot grow the table without bound.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Hashable


class Window:
    """At most ``limit`` events per key within ``seconds``; ``limit`` 0 or less means no limit."""

    def __init__(self, limit: int, seconds: float = 60.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._events: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and now - events[0] >= self.seconds:
            events.popleft()
        return events

    def full(self, key: Hashable) -> bool:
        """True when ``key`` has had ``limit`` events in the window (the next one would be too many)."""
        if self.limit <= 0:
            return False
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def add(self, key: Hashable) -> None:
        if self.limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if now >= self._next_sweep:
                for k in [k for k in self._events if not self._recent(k, now)]:
                    del self._events[k]
                self._next_sweep = now + self.seconds
            self._events.setdefault(key, deque()).append(now)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
