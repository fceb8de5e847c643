"""The end of a holdout session, in the controller: scores, the gate, and every report.

Everything here works from public ``TrialOutcome`` records and already-sealed details; nothing
in this module ever sees scenario text.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.outcomes.records import TrialOutcome
from pytest_holdout.reports import scoring
from pytest_holdout.reports.history import append_history
from pytest_holdout.reports.json_report import build_report, write_report
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
    json_path: Path | None = None
    history_path: Path | None = None
    sealed_path: Path | None = None
    recipients: Sequence[Any] = field(default_factory=tuple)


@dataclass(frozen=True)
class Result:
    score: scoring.Score
    gate: scoring.GateResult
    report: dict[str, Any]


def compute(plan: ReportPlan, outcomes: Sequence[TrialOutcome]) -> Result:
    score = scoring.score(outcomes)
    gate = scoring.evaluate_gate(score, plan.min_satisfaction, plan.gate_mode)
    meta = {
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "shard": f"{plan.shard[0]}/{plan.shard[1]}" if plan.shard else None,
        "seed": plan.seed,
        "unlisted_files": plan.unlisted_files,
    }
    report = build_report(outcomes, disclosure=plan.disclosure, gate=gate, meta=meta)
    return Result(score, gate, report)


def finish_session(
    plan: ReportPlan,
    outcomes: Sequence[TrialOutcome],
    sealed_details: Sequence[str],
    ordinary_failures: int,
    session: pytest.Session,
) -> Result:
    """Write every report, tell other plugins, and let the gate decide the exit status."""
    result = compute(plan, outcomes)
    xml = _junit_xml(session.config)
    if xml is not None:
        for name, value in junit_properties(result.score, result.gate):
            xml.add_global_property(name, value)
    if plan.json_path is not None:
        write_report(plan.json_path, result.report)
    if plan.history_path is not None:
        append_history(plan.history_path, result.report)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with Path(step_summary).open("a", encoding="utf-8") as file:
            file.write(github_summary_markdown(result.score, result.gate) + "\n")
    if plan.sealed_path is not None:
        # The sealed copy always holds per-id results (the breakdown by feature and tag needs
        # them), whatever the public disclosure.
        sealed_report = build_report(
            outcomes, disclosure="ids", gate=result.gate, meta=result.report["meta"]
        )
        run_body = {"report": sealed_report, "details": sorted(sealed_details)}
        write_sealed(plan.sealed_path, run_body, plan.recipients)
    session.config.hook.pytest_holdout_score(report=result.report, config=session.config)
    _apply_gate(session, result.gate, ordinary_failures)
    return result


def _apply_gate(session: pytest.Session, gate: scoring.GateResult, ordinary_failures: int) -> None:
    """With a gate, holdout failures are expected: the gate and the ordinary tests decide."""
    if not gate.enabled:
        return
    if session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return  # an interruption, an internal or usage error, keeps its own status
    failed = ordinary_failures > 0 or not gate.passed
    session.exitstatus = pytest.ExitCode.TESTS_FAILED if failed else pytest.ExitCode.OK


def _junit_xml(config: pytest.Config) -> Any:
    from _pytest.junitxml import xml_key

    return config.stash.get(xml_key, None)


def terminal_lines(plan: ReportPlan, result: Result | None) -> list[str]:
    if result is None:
        return ["no holdout trial reported"]
    lines = figures(result.score, result.gate)
    if plan.unlisted_files:
        lines.append(
            f"{plan.unlisted_files} scenario file(s) not in the signed manifest were not run "
            "(a keyholder runs `holdout manifest` to count them)"
        )
    return lines
