"""Fewer garbage collections while holdout items are collected and run.

Collection and trials allocate many small, long-lived objects (nodes, marks, parsed scenarios),
and CPython's default young-generation threshold of 700 makes the collector walk them again and
again: 13-17% of a large holdout run's time (docs/performance.md). The threshold is raised only
while holdout work runs and put back as it was before any ordinary test runs, so a project's own
tests see the garbage collector exactly as they configured it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young generation of 50,000 objects: still bounded memory (a few MiB of garbage at most),
# about 70 times fewer young collections.
HOLDOUT_THRESHOLD = (50_000, 20, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    if before[0] == 0:  # the collector is off or tuned to 0 by the user: leave it alone
        yield
        return
    gc.set_threshold(*HOLDOUT_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
