"""The end of a holdout session, in the controller: scores, the gate, and every report.

Everything here works from public ``TrialOutcome`` records and already-sealed details; nothing
in this module ever sees scenario text.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_holdout.reports import scoring
from pytest_holdout.reports.json_report import build_report, write_report

if TYPE_CHECKING:
    from pytest_holdout.session.run import HoldoutRun


@dataclass(frozen=True)
class Result:
    score: scoring.Score
    gate: scoring.GateResult
    report: dict[str, Any]


def compute(run: HoldoutRun) -> Result:
    score = scoring.score(run.outcomes)
    # Without a key nothing ran: a developer's laptop, where a gate would only get in the way.
    minimum = run.min_satisfaction if run.can_decrypt else None
    gate = scoring.evaluate_gate(score, minimum, run.gate_mode)
    meta = {
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "shard": f"{run.shard[0]}/{run.shard[1]}" if run.shard else None,
        "seed": run.base_seed,
        "unlisted_files": len(run.unlisted),
    }
    report = build_report(run.outcomes, disclosure=str(run.disclosure), gate=gate, meta=meta)
    return Result(score, gate, report)


def finish_session(run: HoldoutRun, session: pytest.Session) -> Result:
    """Write every report, tell other plugins, and let the gate decide the exit status."""
    from pytest_holdout.reports.summary import github_summary_markdown, junit_properties

    result = compute(run)
    xml = _junit_xml(session.config)
    if xml is not None:
        for name, value in junit_properties(result.score, result.gate):
            xml.add_global_property(name, value)
    if run.json_path is not None:
        write_report(run.json_path, result.report)
    if run.history_path is not None:
        from pytest_holdout.reports.history import append_history

        append_history(run.history_path, result.report)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with Path(step_summary).open("a", encoding="utf-8") as file:
            file.write(github_summary_markdown(result.score, result.gate) + "\n")
    if run.sealed_path is not None:
        from pytest_holdout.reports.sealed import write_sealed

        # The sealed copy always holds per-id results (the breakdown by feature and tag needs
        # them), whatever the public disclosure.
        sealed_report = build_report(
            run.outcomes, disclosure="ids", gate=result.gate, meta=result.report["meta"]
        )
        run_body = {"report": sealed_report, "details": sorted(run.sealed_details)}
        write_sealed(run.sealed_path, run_body, run.recipients)
    session.config.hook.pytest_holdout_score(report=result.report, config=session.config)
    _apply_gate(session, result.gate, run.ordinary_failures)
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


def terminal_lines(run: HoldoutRun, result: Result | None) -> list[str]:
    from pytest_holdout.reports.summary import terminal_lines as figures

    if result is None:
        return ["no holdout trial reported"]
    lines = figures(result.score, result.gate)
    if run.unlisted:
        lines.append(
            f"{len(run.unlisted)} scenario file(s) not in the signed manifest were not run "
            "(a keyholder runs `holdout manifest` to count them)"
        )
    return lines
