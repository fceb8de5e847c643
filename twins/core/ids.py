"""Deterministic ids: the same seed and the same sequence of calls give the same ids."""

from __future__ import annotations

import random
import string
import threading
import uuid
from collections import defaultdict
from typing import Any

UPPER_ALNUM = string.ascii_uppercase + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
ALNUM = string.ascii_letters + string.digits


class IdSource:
    """Random-looking but reproducible ids, counters and tokens for one twin under one seed."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._random = random.Random(f"ids:{seed}")
        self._counters: defaultdict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> IdSource:
        """An independent copy that continues the same sequence (for snapshots)."""
        twin = IdSource(self.seed)
        with self._lock:
            twin._random.setstate(self._random.getstate())
            twin._counters.update(self._counters)
        return twin

    def string(self, length: int, alphabet: str = UPPER_ALNUM, prefix: str = "") -> str:
        """``prefix`` and ``length`` characters of ``alphabet``, e.g. Slack's "C0A1B2C3D4"."""
        with self._lock:
            return prefix + "".join(self._random.choices(alphabet, k=length))

    def uuid(self) -> str:
        """A version-4 UUID string drawn from the seeded generator."""
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def next(self, counter: str) -> int:
        """1, 2, 3, ... per named counter: Jira issue numbers, Slack's message sequence."""
        with self._lock:
            self._counters[counter] += 1
            return self._counters[counter]
