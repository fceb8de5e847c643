"""Rate limits per operation, in fixed windows of real time."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """``requests`` calls allowed per ``per`` seconds."""

    requests: int
    per: float = 60.0


@dataclass(frozen=True)
class LimitStatus:
    """Where one caller stands against one limit, for the service's rate-limit headers."""

    limit: int
    remaining: int
    reset: float  # wall-clock Unix time at which the window starts afresh
    retry_after: int  # whole seconds to wait; 0 unless limited

    @property
    def limited(self) -> bool:
        return self.retry_after > 0


class RateLimits:
    """The limits a twin enforces. Off by default, so that ordinary tests never hit them.

    ``enforce_defaults()`` switches on the service's documented limits (each twin lists them in
    ``Twin.default_rate_limits``); ``set()`` sets one, e.g. to test a client's retry handling::

        twin.rate_limits.set("chat.postMessage", 2, per=1.0)

    Windows are measured in real time, not on the twin's frozen clock, because clients honour
    ``Retry-After`` by sleeping in real time.
    """

    def __init__(self, defaults: Mapping[str, RateLimit] | None = None) -> None:
        self.defaults = dict(defaults or {})
        self.limits: dict[str, RateLimit] = {}
        self.enforcing_defaults = False
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def set(self, operation: str, requests: int, per: float = 60.0) -> None:
        """Limit ``operation`` from now on: calls made before do not count against it."""
        if requests < 1 or per <= 0:
            raise ValueError("a rate limit allows at least 1 request per a positive time")
        with self._lock:
            self.limits[operation] = RateLimit(requests, per)
            self._forget_windows({operation})

    def enforce_defaults(self) -> None:
        """Enforce the service's documented limits, from now on and across resets."""
        with self._lock:
            self.enforcing_defaults = True
            self.limits.update(self.defaults)
            self._forget_windows(set(self.defaults))

    def _forget_windows(self, operations: set[str]) -> None:
        """A limit just set starts a fresh window: calls counted before it (for the rate-limit
        headers of a documented limit) must not make the next call a 429."""
        for key in [key for key in self._windows if key[0] in operations]:
            del self._windows[key]

    def clear(self) -> None:
        """Remove every limit, the service's defaults too, and forget every window."""
        with self._lock:
            self.enforcing_defaults = False
            self.limits.clear()
            self._windows.clear()

    def reset(self) -> None:
        """Drop limits set with ``set()`` and forget every window; keep enforcing defaults."""
        with self._lock:
            self.limits = dict(self.defaults) if self.enforcing_defaults else {}
            self._windows.clear()

    def check(self, operation: str, key: str = "") -> LimitStatus | None:
        """Count one call of ``operation`` by ``key`` (e.g. a token).

        Under an enforced limit, a call over it is ``limited``. Where the service documents a
        limit that is not enforced, the call is counted against it all the same and never
        refused: real services send their rate-limit headers on every answer, and clients read
        them. None for an operation with no limit at all."""
        limit = self.limits.get(operation)
        enforced = limit is not None
        limit = limit or self.defaults.get(operation)
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            started, used = self._windows.get((operation, key), (now, 0))
            if now - started >= limit.per:
                started, used = now, 0
            ends_in = started + limit.per - now
            if enforced and used >= limit.requests:
                retry_after = max(1, math.ceil(ends_in))
                return LimitStatus(limit.requests, 0, time.time() + ends_in, retry_after)
            self._windows[(operation, key)] = (started, used + 1)
            remaining = max(0, limit.requests - used - 1)
            return LimitStatus(limit.requests, remaining, time.time() + ends_in, 0)
