"""The end of a holdout session, in the controller: scores, the gate, and every report.

Everything here works from public ``TrialOutcome`` records and already-sealed details; nothing
in this module ever sees scenario text.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.outcomes.accounting import account
from pytest_holdout.outcomes.accounting import not_run as count_not_run
from pytest_holdout.outcomes.records import TrialOutcome
from pytest_holdout.reports import scoring
from pytest_holdout.reports.history import append_history
from pytest_holdout.reports.json_report import build_report, write_report
from pytest_holdout.reports.junit import agree_with_gate
from pytest_holdout.reports.public_feedback import FEEDBACK_CACHE_KEY, public_feedback
from pytest_holdout.reports.sealed import write_sealed
from pytest_holdout.reports.summary import github_summary_markdown, junit_properties
from pytest_holdout.reports.summary import terminal_lines as figures


@dataclass(frozen=True)
class ReportPlan:
    """What the session asks of the reports: where to write them and how to gate."""

    disclosure: str
    min_satisfaction: float | None  # None: no gate
    gate_mode: str
    shard: tuple[int, int] | None = None
    seed: int = 0
    unlisted_files: int = 0
    trials: int = 1
    # A gated run: every (scenario id, trial) the signed manifest implies within the shard, and
    # the SHA-256 of that MANIFEST. None otherwise.
    expected: frozenset[tuple[str, int]] | None = None
    manifest_sha256: str | None = None
    json_path: Path | None = None
    history_path: Path | None = None
    sealed_path: Path | None = None
    recipients: Sequence[Any] = field(default_factory=tuple)
    sandbox: str | None = None  # what ran the app under test: "bwrap", or "none" (unsandboxed)
    feedback_ids: bool = False  # the feedback hook gets per-id results


@dataclass(frozen=True)
class Published:
    """What public output shows when a feedback mode (``--holdout-feedback``) releases the
    score: the terminal section's lines, the public JSON report and, with ``withheld``, that
    the figures and per-item outcomes stay out of public output (the sealed report has them)."""

    lines: list[str]
    report: dict[str, Any]
    withheld: bool


@dataclass(frozen=True)
class Result:
    score: scoring.Score
    gate: scoring.GateResult
    report: dict[str, Any]  # the figures themselves: public unless a feedback mode withholds them
    by_scenario: dict[str, scoring.Counts]  # each scenario's counts, by opaque id
    outcomes: list[TrialOutcome]  # what was scored: in a gated run, one per expected trial
    published: Published | None = None
    history_dropped: int = 0  # lines of the history file that were not history lines


# Set by the feedback stage (pytest_holdout.feedback.publishing) for --holdout-feedback.
PUBLISH_KEY = pytest.StashKey[Callable[[Result], Published]]()


def compute(plan: ReportPlan, outcomes: Sequence[TrialOutcome]) -> Result:
    not_run = None
    if plan.expected is not None:
        outcomes = account(outcomes, plan.expected, plan.seed)
        not_run = count_not_run(outcomes)
    by_scenario = scoring.count_by_scenario(outcomes)
    score = scoring.score_counts(by_scenario.values(), not_run)
    # A shard records its gate for `holdout report merge`: its own sample is partial.
    scope: scoring.GateScope = "shard" if plan.shard else "run"
    gate = scoring.evaluate_gate(score, plan.min_satisfaction, plan.gate_mode, scope)
    meta: dict[str, Any] = {
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "shard": f"{plan.shard[0]}/{plan.shard[1]}" if plan.shard else None,
        "seed": plan.seed,
        "trials": plan.trials,
        "unlisted_files": plan.unlisted_files,
        "sandbox": plan.sandbox,
    }
    if plan.manifest_sha256 is not None:
        meta["manifest"] = plan.manifest_sha256
    report = build_report(
        outcomes, disclosure=plan.disclosure, gate=gate, meta=meta, not_run=not_run
    )
    return Result(score, gate, report, by_scenario, list(outcomes))


def finish_session(
    plan: ReportPlan,
    outcomes: Sequence[TrialOutcome],
    sealed_details: Sequence[str],
    ordinary_failures: int,
    session: pytest.Session,
) -> Result:
    """Write every report, tell other plugins, and let the gate decide the exit status."""
    result = compute(plan, outcomes)
    publish = session.config.stash.get(PUBLISH_KEY, None)
    if publish is not None:
        result = replace(result, published=publish(result))
    public = result.published
    withheld = public is not None and public.withheld
    xml = _junit_xml(session.config)
    if xml is not None and not withheld:
        for name, value in junit_properties(result.score, result.gate):
            xml.add_global_property(name, value)
        mode = session.config.getoption("holdout_junit", "gate")
        agree_with_gate(xml, result.gate, result.by_scenario, mode)
    public_report = result.report if public is None else public.report
    if plan.json_path is not None:
        write_report(plan.json_path, public_report)
    if plan.history_path is not None and not withheld:
        result = replace(result, history_dropped=append_history(plan.history_path, result.report))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        markdown = github_summary_markdown(result.score, result.gate)
        if public is not None:
            markdown = "\n".join(["### Holdout satisfaction", "", *public.lines, ""])
        with Path(step_summary).open("a", encoding="utf-8") as file:
            file.write(markdown + "\n")
    if plan.sealed_path is not None:
        # The sealed copy always holds per-id results (the breakdown by feature and tag needs
        # them), whatever the public disclosure.
        sealed_report = build_report(
            result.outcomes,
            disclosure="ids",
            gate=result.gate,
            meta=result.report["meta"],
            not_run=result.score.not_run,
        )
        if public is not None and "feedback" in public.report:
            sealed_report["feedback"] = public.report["feedback"]
        run_body = {"report": sealed_report, "details": sorted(sealed_details)}
        write_sealed(plan.sealed_path, run_body, plan.recipients)
    session.config.hook.pytest_holdout_score(report=public_report, config=session.config)
    if outcomes:
        _tell_feedback(session.config, public_report, plan.feedback_ids)
    _apply_gate(session, result, ordinary_failures, withheld)
    return result


def _tell_feedback(config: pytest.Config, report: dict[str, Any], ids: bool) -> None:
    """The public feedback to the hook, and to the pytest cache, where the next
    ``--holdout-build`` finds it and the next run counts its round from."""
    cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
    last = cache.get(FEEDBACK_CACHE_KEY, None) if cache is not None else None
    last_round = last.get("round") if isinstance(last, dict) else None
    round_number = (last_round if isinstance(last_round, int) else 0) + 1
    feedback = public_feedback(report, round_number, ids=ids)
    if cache is not None:
        cache.set(FEEDBACK_CACHE_KEY, feedback)
    config.hook.pytest_holdout_feedback(config=config, feedback=feedback)


def _apply_gate(
    session: pytest.Session, result: Result, ordinary_failures: int, withheld: bool
) -> None:
    """With a gate, holdout failures are expected: the gate and the ordinary tests decide (a
    shard's gate is recorded, not enforced: only its ordinary tests decide). When
    a feedback mode withholds the outcomes, a failed holdout item must not show in the exit
    status either: only the gate, if any, and the ordinary tests decide. Otherwise, a trial that
    did not run in a gated run fails the session as a failed item would."""
    if session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return  # an interruption, an internal or usage error, keeps its own status
    gate = result.gate
    if gate.enabled or withheld:
        failed = ordinary_failures > 0 or (gate.enforced and not gate.passed)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED if failed else pytest.ExitCode.OK
    elif result.score.not_run:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _junit_xml(config: pytest.Config) -> Any:
    from _pytest.junitxml import xml_key

    return config.stash.get(xml_key, None)


def terminal_lines(plan: ReportPlan, result: Result | None) -> list[str]:
    if result is None:
        return ["no holdout trial reported"]
    lines = figures(result.score, result.gate)
    if result.published is not None:
        lines = result.published.lines
    if plan.unlisted_files:
        lines.append(
            f"{plan.unlisted_files} scenario file(s) not in the signed manifest were not run "
            "(a keyholder runs `holdout manifest` to count them)"
        )
    if result.history_dropped:
        lines.append(
            f"{plan.history_path}: dropped {result.history_dropped} line(s) that were not "
            "holdout history lines"
        )
    if plan.sandbox == "none":
        lines.append("UNSANDBOXED: the app under test ran with the test runner's rights")
    return lines
