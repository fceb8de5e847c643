"""The twin's idea of the time: deterministic, moved only on purpose."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone

# 2026-01-01T00:00:00Z. A fixed start, so that timestamps a twin hands out are the same every run.
DEFAULT_EPOCH = 1767225600.0


class Clock:
    """A frozen clock: ``now()`` changes only through ``advance()`` or ``set()``.

    Timestamps in responses, token expiry and "created" fields come from here, so a scenario run
    twice under the same seed sees the same times. Rate limits are the exception: clients wait
    for them in real time, so they are measured on the real monotonic clock (see ``ratelimit``).
    """

    def __init__(self, start: float = DEFAULT_EPOCH) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every move (deliveries send the retries that fell due)."""
        self._listeners.append(listener)

    def now(self) -> float:
        """Seconds since the Unix epoch, as the twin sees them."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward (token expiry, "older than" filters) and return the new time."""
        if seconds < 0:
            raise ValueError("a twin's clock only moves forward")
        with self._lock:
            self._now += seconds
            now = self._now
        self._moved()
        return now

    def set(self, timestamp: float) -> None:
        with self._lock:
            self._now = timestamp
        self._moved()

    def _moved(self) -> None:
        for listener in self._listeners:
            listener()

    def isoformat(self) -> str:
        """``now()`` as an ISO 8601 UTC string with milliseconds, e.g. for JSON "created" fields."""
        moment = datetime.fromtimestamp(self._now, tz=timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
