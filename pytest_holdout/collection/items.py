"""pytest collection of holdout scenarios: a directory node for the store, a file node per age
file, an item per scenario trial.

Node ids are built from opaque ids only (``scenarios_encrypted/S-3f9a2c7d41b0.age::
S-3f9a2c7d41b0-2``, with ``[t3]`` for the third trial when there are several), and the items'
keywords hold nothing else, so that ``-k`` and every file pytest writes (``.pytest_cache``,
JUnit XML, ``tmp_path`` names, ``PYTEST_CURRENT_TEST``) see opaque ids only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import _pytest
import pluggy
import pytest
from _pytest.mark.structures import Mark

from pytest_holdout.collection.context import HoldoutContext, context_of
from pytest_holdout.collection.redaction import failure_repr
from pytest_holdout.errors import HoldoutError
from pytest_holdout.outcomes.records import TrialDetail, TrialOutcome, trial_seed
from pytest_holdout.scenarios.model import Feature, Scenario
from pytest_holdout.steps.runner import ScenarioRun, StepFailure

_FIXTURES_KEY = pytest.StashKey[Any]()
# Where the frames between pytest and a step come from: pytest, pluggy and this plugin.
_MACHINERY = tuple(
    str(folder) + os.sep
    for folder in (
        Path(__file__).resolve().parents[1],
        *(
            Path(module.__file__).resolve().parent
            for module in (_pytest, pluggy)
            if module.__file__
        ),
    )
)


class HoldoutStore(pytest.Directory):
    """The ``scenarios_encrypted/`` directory: one child per scenario file that counts."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        context = context_of(self.config)
        store = context.source.store
        return [
            HoldoutFile.from_parent(self, path=store.path(file_id)) for file_id in context.file_ids
        ]


class HoldoutFile(pytest.File):
    """One age file, and the items of its scenarios.

    Where the number of scenarios is known without reading the file (the signed manifest says it,
    or, under xdist, the controller told the workers), the items are made without decrypting and
    each is filled in just before it runs (``HoldoutScenario.load``): a worker decrypts only the
    files whose scenarios it runs. Otherwise the file is decrypted and parsed here, in memory.
    """

    def collect(self) -> Iterator[pytest.Item]:
        context = context_of(self.config)
        file_id = self.path.name.removesuffix(".age")
        if context.skip_reason:
            yield from self._items(file_id, context, skip=context.skip_reason)
            return
        if context.source.counts is not None:
            yield from self._items(file_id, context, lazy=True)
            return
        try:
            feature = context.source.load_feature(file_id)
        except HoldoutError as exc:
            yield from self._items(file_id, context, broken=str(exc))
            return
        for scenario in feature.scenarios:
            for trial in range(1, context.trials + 1):
                yield HoldoutScenario.create(self, context, feature, scenario, trial)

    def _items(
        self,
        file_id: str,
        context: HoldoutContext,
        *,
        skip: str = "",
        broken: str = "",
        lazy: bool = False,
    ) -> Iterator[pytest.Item]:
        """Items made without reading the file: to be loaded before they run, skipped without a
        key, or failed when the file is unreadable. The signed manifest, where there is one, says
        how many there are, so deleting or spoiling a file costs as many failures as it had
        scenarios."""
        count = context.source.expected_items(file_id) or 1
        for index in range(1, count + 1):
            for trial in range(1, context.trials + 1):
                item = HoldoutScenario.create(
                    self, context, None, None, trial, f"{file_id}-{index}"
                )
                item.skip_reason, item.broken, item.lazy = skip, broken, lazy
                yield item


def _scenario_placeholder() -> None:
    """Stands as the item's function so that pytest gives it a fixture request (and its autouse
    fixtures). It asks for no fixture: steps ask for theirs when they run."""


class HoldoutScenario(pytest.Function):
    """One trial of one scenario."""

    feature: Feature | None
    scenario: Scenario | None
    trial: int
    item_id: str
    skip_reason: str
    broken: str
    lazy: bool

    @classmethod
    def create(
        cls,
        parent: HoldoutFile,
        context: HoldoutContext,
        feature: Feature | None,
        scenario: Scenario | None,
        trial: int,
        item_id: str = "",
    ) -> HoldoutScenario:
        item_id = scenario.item_id if scenario else item_id
        name = item_id if context.trials == 1 else f"{item_id}[t{trial}]"
        # Every holdout item has the same function and sits in the same folder, so it sees the
        # same fixtures: work them out for the first item only (a measurable share of collection).
        shared = parent.parent.stash.get(_FIXTURES_KEY, None)
        item = cls.from_parent(parent, name=name, callobj=_scenario_placeholder, fixtureinfo=shared)
        if shared is None:
            parent.parent.stash[_FIXTURES_KEY] = item._fixtureinfo
        item.feature, item.scenario, item.trial, item.item_id = feature, scenario, trial, item_id
        item.skip_reason = item.broken = ""
        item.lazy = False
        item.failure: StepFailure | None = None
        item.unjudged = False
        item.detail: TrialDetail | None = None
        item.phase_outcomes: dict[str, str] = {}
        item.elapsed = 0.0
        item.public_keywords: frozenset[str] = frozenset()
        if scenario is not None:
            item._mark_tags()
        return item

    def _mark_tags(self) -> None:
        # Marks are made here and added to own_markers directly, not through pytest.mark and
        # add_marker(): pytest.mark would warn about (or, strict, refuse) an unregistered name,
        # quoting the tag, and add_marker() puts the name in item.keywords, which every report
        # carries (and xdist sends).
        assert self.scenario is not None
        self.own_markers.extend(
            Mark(tag, (), {}, _ispytest=True) for tag in sorted(self.scenario.tags)
        )

    def load(self) -> None:
        """Fill in a lazily collected item before it runs (its tags become marks in time for
        pytest's skip and xfail handling). An unreadable file makes it a failing item."""
        # Before any step runs: whatever keyword a step adds later (a marker) is its own.
        self.public_keywords = frozenset(self.keywords)
        if not self.lazy or self.scenario is not None or self.broken:
            return
        file_id, index = self.item_id.rsplit("-", 1)
        try:
            feature = context_of(self.config).source.feature(file_id)
        except HoldoutError as exc:
            self.broken = str(exc)
            return
        if int(index) > len(feature.scenarios):
            self.broken = f"{file_id}: holds fewer scenarios than were counted"
            return
        self.feature, self.scenario = feature, feature.scenarios[int(index) - 1]
        self._mark_tags()

    def new_detail(self) -> TrialDetail:
        feature, scenario = self.feature, self.scenario
        return TrialDetail(
            item_id=self.item_id,
            trial=self.trial,
            feature=feature.name if feature else "",
            scenario=scenario.name if scenario else "",
            tags=sorted(scenario.tags) if scenario else [],
            rule=scenario.rule if scenario else None,
            examples=scenario.examples if scenario else None,
        )

    def outcome(self, base_seed: int, call_outcome: str = "passed") -> TrialOutcome:
        """The trial's public outcome, from the outcomes of its phases so far (``call_outcome``
        stands for a call phase that has not reported yet)."""
        phases = self.phase_outcomes
        status, reason = "satisfied", None
        setup, call = phases.get("setup", "passed"), phases.get("call", call_outcome)
        if setup == "skipped" or call == "skipped":
            status = "pending"
        elif self.broken:
            status, reason = "unsatisfied", "unreadable"
        elif setup == "failed":
            status, reason = "unsatisfied", "setup error"
        elif call == "failed":
            status = "unsatisfied"
            reason = self.failure.reason if self.failure else "error"
        elif phases.get("teardown") == "failed":
            status, reason = "unsatisfied", "teardown error"
        elif self.unjudged:
            status = "unjudged"
        failure = self.failure if status == "unsatisfied" else None
        return TrialOutcome(
            item_id=self.item_id,
            trial=self.trial,
            status=status,
            seed=trial_seed(base_seed, self.item_id, self.trial),
            duration=self.elapsed,
            failed_step=failure.index if failure else None,
            failed_kind=failure.kind if failure else None,
            reason=reason,
        )

    @cached_property
    def location(self) -> tuple[str, int | None, str]:
        # pytest works out a relative path per file, and every holdout item has a file of its
        # own: work it out per store folder instead (a measurable share of a large run).
        folder = self.session._node_location_to_relpath(self.path.parent)
        name = self.path.name if folder == "." else os.path.join(folder, self.path.name)
        return name, 0, self.name

    def reportinfo(self) -> tuple[Path, int, str]:
        # Line 0, never a scenario's line: a skip mark reports the item's location.
        return self.path, 0, self.name

    def runtest(self) -> None:
        if self.skip_reason:
            pytest.skip(self.skip_reason)
        if self.broken:
            raise HoldoutFileError(self.broken)
        assert self.scenario is not None and self.feature is not None
        context = context_of(self.config)
        self.detail = self.new_detail()
        scenario_run = ScenarioRun(self.scenario, context.registry(), self.detail)
        try:
            scenario_run.run(self._request, context.judge)
        finally:
            self.failure = scenario_run.failure
            self.unjudged = scenario_run.unjudged

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        return failure_repr(
            self,
            context_of(self.config),
            lambda: super(HoldoutScenario, self).repr_failure(excinfo),
        )

    def _traceback_filter(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
        """Only at ``--holdout-disclose=full``: the traceback from the step's own frame down, as
        pytest starts a test's at the test function (``--fulltrace`` keeps every frame)."""
        traceback = excinfo.traceback
        for index, entry in enumerate(traceback):
            if not str(entry.path).startswith(_MACHINERY):
                return traceback[index:].filter(excinfo)
        return traceback[-1:]  # raised by the runner itself (a judge's verdict): its last frame

    def _repr_failure_py(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        return failure_repr(
            self,
            context_of(self.config),
            lambda: super(HoldoutScenario, self)._repr_failure_py(excinfo, style),
        )


_NODE_ID = re.compile(r"(?:^|/)(S-[0-9a-f]+)\.age::(\1-[0-9]+)(?:\[t([0-9]+)\])?$")


def trial_of(nodeid: str) -> tuple[str, int] | None:
    """``(scenario id, trial)`` of a holdout item's node id; None for any other node."""
    match = _NODE_ID.search(nodeid)
    return (match[2], int(match[3] or 1)) if match else None


class HoldoutFileError(Exception):
    """A scenario file could not be read. Its message is one public line naming the opaque id."""
