"""Hooks that pytest-holdout calls, for other plugins to implement.

Implement them in a ``conftest.py`` or a plugin, as with any pytest hook. They are the documented
contract: public arguments only, except where a hook says otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_holdout.judging.judges import JudgeRequest, Verdict
    from pytest_holdout.outcomes.records import TrialOutcome

hookspec = pytest.hookspec


@hookspec
def pytest_holdout_trial_result(outcome: TrialOutcome, config: pytest.Config) -> None:
    """Called, in the process that reports results (the xdist controller, or the only process),
    once per finished trial with its public outcome: opaque id, trial number, status, the failing
    step's index and kind. Never scenario text."""


@hookspec
def pytest_holdout_score(report: dict[str, Any], config: pytest.Config) -> None:
    """Called once at the end of a holdout session with the public report: the same dict that
    ``--holdout-json`` writes (see docs/reports.md), gate result included. A plugin can post the
    score elsewhere from here."""


@hookspec(firstresult=True)
def pytest_holdout_judge(request: JudgeRequest, config: pytest.Config) -> Verdict | None:
    """Judge a model-judged Then step (``@then.judged(...)``).

    ``request`` holds the criterion (the step's text), the rubric, and a transcript of the trial:
    **secret** scenario content, so an implementation must not print, log or store it in clear.
    Return a ``Verdict`` (satisfied True/False, or None for unjudged, with a reason that goes only
    to the sealed report), or None to let the next implementation (finally the built-in model
    judge) decide. Runs in the process that runs the trial.
    """


@hookspec
def pytest_holdout_pinned_files(config: pytest.Config) -> list[Path]:
    """Return files that decide how scenarios are judged and that pytest-holdout cannot find by
    itself, such as a twin's seed data. MANIFEST pins their hashes along with the step and
    fixture files, and a gated run whose files differ is refused. A file inside an installed
    package is named ``package:path`` in MANIFEST (``holdout_twins:slack/seed.yaml``)."""
