"""The public feedback of a holdout run: what an agent that builds the software may learn of it.

One small JSON object, the same for the ``pytest_holdout_feedback`` hook and for the file that
``holdout loop`` gives its agent (``LOOP_FEEDBACK``)::

    {"format": "pytest-holdout feedback", "version": 1, "round": 2,
     "satisfaction": 0.75, "interval": {...}, "trials": {...}}

``satisfaction`` is the released score: the measured one, or, when a reusable-holdout rule is on
(``--holdout-feedback``), the value that rule released, in which case ``interval`` and ``trials``
are withheld (null) as the report withholds them, and ``release`` says how the rule released it
(its mode, source, sentence, budget left). Per-id ``results`` are added only when asked: each
opaque id's counts and trial statuses, never scenario text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FORMAT = "pytest-holdout feedback"
VERSION = 1
FEEDBACK_CACHE_KEY = "holdout/feedback"  # the last run's feedback, in the pytest cache
# What the agent learns of a reusable-holdout release besides its value (docs/reusable-holdout.md).
RELEASE_FIELDS = ("mode", "source", "sentence", "budget_left")


def public_feedback(
    report: Mapping[str, Any], round_number: int, *, ids: bool = False
) -> dict[str, Any]:
    """The feedback of the run whose public JSON ``report`` this is (docs/reports.md)."""
    figures = report.get("figures")
    released = report.get("feedback")  # the reusable holdout's release, when a rule is on
    if released is not None:
        satisfaction = released.get("value")
    else:
        satisfaction = figures["satisfaction"] if figures else None
    feedback: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "round": round_number,
        "satisfaction": satisfaction,
        "interval": figures["interval"] if figures else None,
        "trials": figures["trials"] if figures else None,
    }
    if released is not None and released.get("mode", "plain") != "plain":
        feedback["release"] = {key: released.get(key) for key in RELEASE_FIELDS}
    if ids:
        feedback["results"] = dict(report.get("results") or {})
    return feedback


def no_feedback_yet() -> dict[str, Any]:
    """What the first round gets: round 0, nothing measured."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "round": 0,
        "satisfaction": None,
        "interval": None,
        "trials": None,
    }
