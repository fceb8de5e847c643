"""Which trials of a sealed report ``holdout report open`` shows, and how it folds alike ones.

Five trials of a scenario that failed the same way are one finding: shown once, with the trial
numbers, so that the trials that differ stand out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pytest_holdout.errors import HoldoutError

T = TypeVar("T")


def select(
    body: dict[str, Any], failed_only: bool, ids: Sequence[str], path: Path
) -> list[dict[str, Any]]:
    """The opened report's trial details that ``--failed`` and ``--id`` keep. An id is a
    scenario's (``S-3f9a2c7d41b0-2``) or a file's (``S-3f9a2c7d41b0``: all its scenarios)."""
    details: list[dict[str, Any]] = body["details"]
    if ids:
        unknown = [wanted for wanted in ids if not any(_is_of(d, wanted) for d in details)]
        if unknown:
            raise HoldoutError(f"{path}: no trial of {', '.join(unknown)} in this report")
        details = [d for d in details if any(_is_of(d, wanted) for wanted in ids)]
    if failed_only:
        statuses = trial_statuses(body.get("report", {}))
        details = [d for d in details if statuses.get((d["item_id"], d["trial"])) == "unsatisfied"]
    return details


def fold(items: Iterable[T], likeness: Callable[[T], Hashable]) -> list[list[T]]:
    """Items grouped by ``likeness``, each group where its first item was, in order."""
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(likeness(item), []).append(item)
    return list(groups.values())


def _is_of(detail: dict[str, Any], wanted: str) -> bool:
    item_id: str = detail["item_id"]
    return item_id == wanted or item_id.startswith(f"{wanted}-")


def trial_statuses(report: dict[str, Any]) -> dict[tuple[str, int], str]:
    """Each trial's status in the public report (``satisfied``, ``unsatisfied``, ...), by
    (opaque id, trial number); empty for a report without per-id results."""
    return {
        (item_id, trial["trial"]): trial["status"]
        for item_id, result in report.get("results", {}).items()
        for trial in result["trials"]
    }
