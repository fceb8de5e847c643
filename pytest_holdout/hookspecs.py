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

    ``request`` holds, from the scenario and the step definitions, the ``criterion`` (the step's
    text: the outcome expected), the ``rubric`` and the scenario's ``steps`` with their results;
    and ``evidence``, a JSON document of what the judged step returned and the requests each
    twin received (``step_evidence``, ``twin_requests``). The evidence comes from the software
    under test: an implementation that asks a model should keep it apart from its instructions
    and treat it as data, as the built-in judge does (docs/scenarios.md). All of it is
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


@hookspec
def pytest_holdout_build(
    config: pytest.Config, specs: Path, feedback: dict[str, Any] | None
) -> None:
    """Called once before collection when ``--holdout-build`` is given (in the xdist controller,
    before any worker starts), so that an agent can build the software from its specs first.

    ``specs`` is the specs' folder (``--holdout-specs``, default ``specs`` in the rootdir);
    ``feedback`` the public feedback of the last holdout run (see ``pytest_holdout_feedback``),
    or None before the first. This process holds the keyholder's key: start the agent in the
    sandbox (``pytest_holdout.loop.build_hook.build_once``, docs/loop.md), never in this process.
    """


@hookspec
def pytest_holdout_feedback(config: pytest.Config, feedback: dict[str, Any]) -> None:
    """Called once at the end of a holdout session that ran trials, after
    ``pytest_holdout_score``, with the public feedback an agent may see: ``round`` (this run's
    number, counted in the pytest cache), the released ``satisfaction``, its ``interval``, the
    ``trials`` counts, and per-id ``results`` only with ``--holdout-feedback-ids``
    (docs/loop.md describes every field). The next ``--holdout-build`` gets it back."""
