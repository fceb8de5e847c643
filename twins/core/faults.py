"""Fault injection: errors, latency and dropped connections, on purpose and reproducibly."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

# What random chaos injects, with weights: mostly what clients must retry, some slowness.
CHAOS_STATUSES = ((429, 4), (500, 2), (503, 2))
CHAOS_LATENCY = (0.005, 0.05)  # seconds, kept small so chaos does not slow a suite down much
CHAOS_LATENCY_WEIGHT = 2


@dataclass
class Fault:
    """A rule. It applies to ``operation`` (a route name or a path; None means every request),
    fires with probability ``rate`` and at most ``times`` times (None: no limit), and then waits
    ``latency`` seconds, and drops the connection (``drop``) or answers ``status`` in the
    service's own error shape, or, with neither, lets the request through after the delay."""

    operation: str | None = None
    status: int | None = None
    latency: float = 0.0
    drop: bool = False
    rate: float = 1.0
    times: int | None = None

    def applies_to(self, operation: str, path: str) -> bool:
        return self.operation is None or self.operation in (operation, path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "status": self.status,
            "latency": self.latency,
            "drop": self.drop,
            "rate": self.rate,
            "times": self.times,
        }


class Faults:
    """The fault rules of one twin, set from Python or over ``POST /_twin/faults``::

        twin.faults.add("chat.postMessage", status=500, times=1)   # the next post fails once
        twin.faults.add(latency=0.2)                                # every request 200 ms slower
        twin.faults.add("/api/users.list", drop=True, rate=0.5)     # half the calls disconnect
        twin.faults.chaos(0.1)                                      # 10 % random 429/5xx/latency

    Random choices come from a generator seeded by the twin's seed, apart from the id generator,
    so turning chaos on does not change the ids a scenario sees.
    """

    def __init__(self, seed: int = 0) -> None:
        self.rules: list[Fault] = []
        self.chaos_rate = 0.0
        self._random = random.Random(f"faults:{seed}")
        self._lock = threading.Lock()

    def add(
        self,
        operation: str | None = None,
        *,
        status: int | None = None,
        latency: float = 0.0,
        drop: bool = False,
        rate: float = 1.0,
        times: int | None = None,
    ) -> Fault:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("a fault's rate is a probability between 0 and 1")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("an injected status is an error status, 400 to 599")
        if latency < 0:
            raise ValueError("latency is a number of seconds, at least 0")
        fault = Fault(operation, status, latency, drop, rate, times)
        with self._lock:
            self.rules.append(fault)
        return fault

    def chaos(self, rate: float) -> None:
        """Answer a fraction ``rate`` of requests with a random 429, 500, 503 or extra latency."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("the chaos rate is a probability between 0 and 1")
        self.chaos_rate = rate

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.chaos_rate = 0.0

    def reseed(self, seed: int) -> None:
        self._random = random.Random(f"faults:{seed}")

    def pick(self, operation: str, path: str) -> Fault | None:
        """The fault to apply to this request, if any (the first rule that fires, then chaos)."""
        with self._lock:
            for rule in self.rules:
                if rule.times == 0 or not rule.applies_to(operation, path):
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                return rule
            if self.chaos_rate and self._random.random() < self.chaos_rate:
                return self._chaos_fault()
        return None

    def _chaos_fault(self) -> Fault:
        choices = [*CHAOS_STATUSES, (None, CHAOS_LATENCY_WEIGHT)]
        status = self._random.choices(
            [status for status, _ in choices], [weight for _, weight in choices]
        )[0]
        if status is None:
            return Fault(latency=self._random.uniform(*CHAOS_LATENCY))
        return Fault(status=status)

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [rule.to_dict() for rule in self.rules],
                "chaos": self.chaos_rate,
            }
