"""A record of the requests a twin received, for steps to assert on."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One request as the twin handled it. ``params`` is the decoded query and body."""

    operation: str  # the route name, e.g. "chat.postMessage"; "" when no route matched
    method: str
    path: str
    status: int
    params: dict[str, Any] = field(default_factory=dict)
    time: float = 0.0  # the twin's clock when the request arrived
    fault: str | None = None  # what an injected fault did to it ("status", "drop", "latency")

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "params": self.params,
            "time": self.time,
            "fault": self.fault,
        }


class Journal:
    """The last ``capacity`` requests, oldest first. Thread-safe.

    ``twin.journal.calls("chat.postMessage")`` lists the calls of one operation;
    ``len(twin.journal)`` counts everything received since the last reset.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def record(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def calls(self, operation: str) -> list[Entry]:
        """Every recorded call of one operation, oldest first."""
        return [entry for entry in self.entries() if entry.operation == operation]

    def last(self, operation: str | None = None) -> Entry | None:
        """The most recent call (of ``operation``, if given), or None."""
        for entry in reversed(self.entries()):
            if operation is None or entry.operation == operation:
                return entry
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries())
