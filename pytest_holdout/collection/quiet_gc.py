"""Fewer garbage collections while holdout items are collected and run.

Collection and trials allocate many small, long-lived objects (nodes, marks, parsed scenarios),
and CPython's default young-generation threshold of 700 makes the collector walk them again and
again: 13-17% of a large holdout run's time (docs/performance.md). The threshold is raised for
each stretch of holdout work (the store's files one after the other, then consecutive holdout
items) and put back as it was before any other collector or ordinary test starts, so a
project's own tests see the garbage collector exactly as they configured it.

Raised and put back once per stretch, not once per file or item: putting the threshold back
makes the next allocation collect everything allocated since, which per item cost about as much
as it saved.
"""

from __future__ import annotations

import gc
from collections.abc import Generator

import pytest

from pytest_holdout.collection.items import HoldoutFile, HoldoutScenario, HoldoutStore

# A young generation of 50,000 objects: still bounded memory (a few MiB of garbage at most),
# about 70 times fewer young collections.
HOLDOUT_THRESHOLD = (50_000, 20, 100)


class QuietGC:
    """The plugin that raises the threshold for holdout work and puts it back after."""

    def __init__(self) -> None:
        self._before: tuple[int, int, int] | None = None

    def quiet(self) -> None:
        if self._before is not None:
            return
        before = gc.get_threshold()
        if before[0] == 0:  # the collector is off or tuned to 0 by the user: leave it alone
            return
        self._before = before
        gc.set_threshold(*HOLDOUT_THRESHOLD)

    def restore(self) -> None:
        if self._before is not None:
            gc.set_threshold(*self._before)
            self._before = None

    def pytest_collectstart(self, collector: pytest.Collector) -> None:
        if isinstance(collector, (HoldoutStore, HoldoutFile)):
            self.quiet()
        else:
            self.restore()

    @pytest.hookimpl(wrapper=True)
    def pytest_collection(self, session: pytest.Session) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            self.restore()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        if not isinstance(item, HoldoutScenario):
            self.restore()
            return (yield)
        self.quiet()
        try:
            return (yield)
        finally:
            if not isinstance(nextitem, HoldoutScenario):
                self.restore()

    def pytest_sessionfinish(self) -> None:
        self.restore()  # a run stopped early (-x, a crash of the loop) between two trials
