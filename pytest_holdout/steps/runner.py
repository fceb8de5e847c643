"""Run one scenario's steps, in order, against their definitions.

Arguments of a step function are filled, by name, from the step's parsed arguments, then
``datatable`` and ``docstring``, then values earlier steps published with ``target_fixture`` (and
fixtures already fetched in this trial), then any pytest fixture. The runner records what
happened to each step in the trial's secret detail and remembers the first step that did not
pass, so the public report can name it by index and kind.
"""

from __future__ import annotations

import inspect
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from pytest_holdout.outcomes.records import StepDetail, TrialDetail
from pytest_holdout.scenarios.model import Scenario, Step
from pytest_holdout.steps.registry import AmbiguousStepError, StepRegistry, UndefinedStepError


@dataclass(frozen=True)
class StepFailure:
    """The public facts about the first step that did not pass."""

    index: int  # 1-based
    kind: str  # "Given", "When", "Then"
    reason: str  # a fixed category, never text from the step or its exception


class StepNotRunnable(Exception):
    """A step has no definition, or more than one. The message names the step by index only."""


@cache
def _parameters(func: Callable[..., Any]) -> tuple[tuple[str, bool], ...]:
    """Each parameter's name, and whether it has a default (then it is never a fixture)."""
    return tuple(
        (name, parameter.default is not inspect.Parameter.empty)
        for name, parameter in inspect.signature(func).parameters.items()
    )


def _step_tb(exc: BaseException) -> types.TracebackType | None:
    """The traceback below ``ScenarioRun.run`` and ``_run_step``."""
    tb = exc.__traceback__
    for _ in range(2):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    return tb


def _reason(exc: BaseException) -> str:
    if isinstance(exc, StepNotRunnable):
        return str(exc)
    if isinstance(exc, JudgedUnsatisfied):
        return "judge"
    if isinstance(exc, AssertionError):
        return "assertion"
    if isinstance(exc, pytest.fail.Exception):
        return "failed"
    return "error"


def _step_arguments(
    func: Callable[..., Any],
    step: Step,
    parsed: dict[str, Any],
    published: dict[str, Any],
    request: pytest.FixtureRequest,
) -> dict[str, Any]:
    special = {
        "datatable": [list(row) for row in step.datatable] if step.datatable else None,
        "docstring": step.docstring,
    }
    kwargs: dict[str, Any] = {}
    for name, has_default in _parameters(func):
        if name in parsed:
            kwargs[name] = parsed[name]
        elif name in special:
            kwargs[name] = special[name]
        elif name in published:
            kwargs[name] = published[name]
        elif not has_default:
            # Remembered for the rest of the trial: a fixture's value does not change within a
            # test, and asking pytest again for every step is a measurable share of a run.
            kwargs[name] = published[name] = request.getfixturevalue(name)
    return kwargs


def twin_journals(request: pytest.FixtureRequest) -> dict[str, list[Any]]:
    """The requests each twin the trial used received, for a judge's transcript. (Asking for
    the ``twin`` fixture again returns the trial's own factory; it starts no twin.)"""
    try:
        factory = request.getfixturevalue("twin")
    except pytest.FixtureLookupError:  # the twins plugin is off
        return {}
    used = getattr(factory, "used", {})
    return {name: [entry.to_dict() for entry in twin.journal] for name, twin in used.items()}


class ScenarioRun:
    """One trial of one scenario."""

    def __init__(self, scenario: Scenario, registry: StepRegistry, detail: TrialDetail) -> None:
        self.scenario = scenario
        self.registry = registry
        self.detail = detail
        self.failure: StepFailure | None = None
        self.unjudged = False

    def run(self, request: pytest.FixtureRequest, judge: Callable[..., bool | None]) -> None:
        published: dict[str, Any] = {}
        steps = self.scenario.steps
        self.detail.steps.extend(
            StepDetail(
                keyword=step.keyword,
                text=step.text,
                status="skipped",
                datatable=[list(row) for row in step.datatable] if step.datatable else None,
                docstring=step.docstring,
            )
            for step in steps
        )
        for index, step in enumerate(steps, 1):
            record = self.detail.steps[index - 1]
            started = time.perf_counter()
            try:
                self._run_step(index, step, record, published, request, judge)
            except BaseException as exc:
                record.duration = time.perf_counter() - started
                if isinstance(exc, pytest.skip.Exception):
                    record.status = "skipped"
                    raise
                if record.status == "skipped":
                    record.status = "failed"
                if record.error is None:
                    # From the step's own frame down: the runner's and pytest's frames are noise.
                    record.error = "".join(
                        traceback.format_exception(type(exc), exc, _step_tb(exc))
                    )
                self.failure = StepFailure(index, step.kind.capitalize(), _reason(exc))
                raise
            record.duration = time.perf_counter() - started

    def _run_step(
        self,
        index: int,
        step: Step,
        record: StepDetail,
        published: dict[str, Any],
        request: pytest.FixtureRequest,
        judge: Callable[..., bool | None],
    ) -> None:
        try:
            match = self.registry.match(step.kind, step.text)
        except (UndefinedStepError, AmbiguousStepError) as exc:
            record.status = "undefined" if isinstance(exc, UndefinedStepError) else "ambiguous"
            where = getattr(exc, "definitions", ())
            record.error = str(exc) + "".join(f"\n  {d.location}" for d in where)
            raise StepNotRunnable(f"{record.status} step") from None
        definition = match.definition
        record.definition = definition.location
        kwargs = _step_arguments(definition.func, step, match.arguments, published, request)
        result = definition.func(**kwargs)
        if definition.target_fixture:
            published[definition.target_fixture] = result
        if getattr(definition, "judged", None) is not None:
            verdict = judge(
                self.scenario, index, definition.judged, result, self.detail, twin_journals(request)
            )
            if verdict is None:
                record.status = "unjudged"
                self.unjudged = True
                return
            if not verdict:
                record.status = "failed"
                raise JudgedUnsatisfied()
        record.status = "passed"


class JudgedUnsatisfied(AssertionError):
    """A model judge found that a judged Then step was not satisfied (reasons are sealed)."""
