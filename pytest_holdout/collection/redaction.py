"""How a holdout item's reports look in public: rebuilt from public facts only below
``--holdout-disclose=full``, so that no traceback, local or exception message of a holdout item is
ever formatted for output."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_holdout.collection.context import HoldoutContext
from pytest_holdout.outcomes.disclosure import Disclosure, failure_line

if TYPE_CHECKING:  # a module-level import would be a cycle: items import this module
    from pytest_holdout.collection.items import HoldoutScenario


def failure_repr(item: HoldoutScenario, context: HoldoutContext, full: Callable[[], Any]) -> Any:
    """What a failing holdout item shows in public; ``full`` is pytest's own representation."""
    if item.broken:
        return item.broken  # one public line naming the opaque id
    if context.disclosure is Disclosure.FULL:
        return full()
    if context.disclosure is Disclosure.STEPS and item.detail is not None:
        return "\n".join(
            f"{'>' if step.status not in ('passed', 'skipped') else ' '} "
            f"{number}. {step.keyword} {step.text}  [{step.status}]"
            for number, step in enumerate(item.detail.steps, 1)
        )
    return failure_line(item.outcome(context.base_seed, "failed"), context.disclosure)


def redact(item: HoldoutScenario, report: pytest.TestReport) -> None:
    """Below ``steps``: skips and setup or teardown errors say only what kind they were."""
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = item.skip_reason or "skipped during the scenario"
        # The store's path, not the file's, so that -rs folds the skips into one line.
        report.longrepr = (str(item.path.parent), None, f"Skipped: {reason}")
    elif report.failed and report.when != "call":
        report.longrepr = f"holdout scenario {report.when} failed"
        if item.broken:
            report.longrepr = item.broken
    if hasattr(report, "wasxfail"):
        report.wasxfail = ""
