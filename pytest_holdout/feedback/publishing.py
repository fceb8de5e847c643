"""``--holdout-feedback`` in a pytest session: one round per run, released in place of the figures.

With a state file (``--holdout-feedback-state``) each ``pytest --holdout`` run is one round: the
session's score goes through the mode's release rule and public output (the terminal section, the
JSON report, the GitHub summary, the ``pytest_holdout_score`` hook) shows the released score.

Every mode but ``plain`` also withholds whatever would give the real score away: the figures of
the JSON report and its per-scenario counts and results, each holdout item's outcome in pytest's
own output (items report ``HOLDOUT``, counted as ``holdout`` in the summary line, and a failed one
neither prints a failure nor fails the session: the gate, if any, decides), the JUnit XML and the
history (refused), the last-failed cache (not written). The sealed report keeps everything.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from pytest_holdout.errors import HoldoutError
from pytest_holdout.feedback.keeper import Feedback
from pytest_holdout.feedback.state import Mode
from pytest_holdout.project_settings import string_list
from pytest_holdout.reports.finish import PUBLISH_KEY, Published, Result
from pytest_holdout.reports.summary import terminal_lines

FILE_ID = re.compile(r"^S-[0-9a-f]{12}$")


def install(config: pytest.Config, run: Any) -> None:
    """Start this session's round when the options ask for one (``run`` is the HoldoutRun)."""
    if hasattr(config, "workerinput"):
        return  # the controller releases, and reports every item's status
    mode: Mode = config.getoption("holdout_feedback")
    path = config.getoption("holdout_feedback_state")
    if path is None:
        if mode != "plain":
            raise pytest.UsageError(
                f"--holdout-feedback={mode} needs --holdout-feedback-state PATH: the sealed "
                "state that carries the release rule from one run to the next"
            )
        return
    if not run.trust.can_decrypt:
        raise pytest.UsageError(
            "--holdout-feedback-state: the state is sealed with the keyholder's key: "
            "set HOLDOUT_IDENTITY or HOLDOUT_IDENTITY_FILE"
        )
    publisher = FeedbackPublisher(config, run, mode, path)
    config.stash[PUBLISH_KEY] = publisher.publish
    config.pluginmanager.register(publisher, "holdout-feedback")


class FeedbackPublisher:
    def __init__(self, config: pytest.Config, run: Any, mode: Mode, path: str) -> None:
        self.mode = mode
        self.withholds = mode != "plain"
        if self.withholds:
            _refuse_what_would_tell(config, mode)
            # The last-failed cache would list every failed holdout item for the next run.
            lastfailed = config.pluginmanager.get_plugin("lfplugin")
            if lastfailed is not None:
                config.pluginmanager.unregister(lastfailed)
        try:
            split = string_list(config.rootpath, "public_split", "a list of scenario file ids")
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        bad = [file_id for file_id in split if not FILE_ID.match(file_id)]
        if bad:
            raise pytest.UsageError(
                f"[tool.holdout] public_split: {bad[0]} is not a scenario file id (S-<12 hex>)"
            )
        self.public_split = set(split)
        try:
            self.feedback = Feedback(
                config.rootpath / path,
                run.trust.identities,
                mode,
                reset=config.getoption("holdout_reset_feedback"),
                public_split=(split or None) if mode == "thresholdout" else None,
                step=config.getoption("holdout_feedback_step"),
                budget=config.getoption("holdout_feedback_budget"),
            )
        except HoldoutError as exc:
            raise pytest.UsageError(str(exc)) from None

    def publish(self, result: Result) -> Published:
        counts = result.by_scenario
        holdout, public = counts, None
        if self.mode == "thresholdout":
            holdout = {i: c for i, c in counts.items() if _file_id(i) not in self.public_split}
            public = {i: c for i, c in counts.items() if _file_id(i) in self.public_split}
        released = self.feedback.round(holdout, public)
        report = dict(result.report)
        report["feedback"] = released.to_dict()
        if not self.withholds:
            lines = [*terminal_lines(result.score, result.gate), released.sentence]
            return Published(lines=lines, report=report, withheld=False)
        for figure in ("figures", "counts", "results"):
            report.pop(figure, None)
        report["gate"] = _withheld_gate(result.gate.to_dict(), self.mode)
        lines = [
            released.sentence,
            f"figures withheld by --holdout-feedback={self.mode} (the sealed report has them)",
            report["gate"]["sentence"],
        ]
        return Published(lines=lines, report=report, withheld=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> tuple[str, str, str] | None:
        """Each holdout item once, as ``HOLDOUT``, whatever its outcome."""
        if not self.withholds or not getattr(report, "holdout", False):
            return None
        if report.when == "call" or (report.when == "setup" and not report.passed):
            return "holdout", "h", "HOLDOUT"
        return "", "", ""


def _refuse_what_would_tell(config: pytest.Config, mode: Mode) -> None:
    telling = {
        "--junitxml": config.getoption("xmlpath", None),
        "--holdout-history": config.getoption("holdout_history"),
        "--holdout-shard": config.getoption("holdout_shard"),
        "-x/--maxfail": config.getoption("maxfail", 0),
    }
    why = {
        "--junitxml": "records each holdout item's outcome",
        "--holdout-history": "records the figures",
        "--holdout-shard": "gives one shard's score; a round releases the whole holdout's",
        "-x/--maxfail": "stops at a failed holdout item, which tells it failed",
    }
    for flag, given in telling.items():
        if given:
            raise pytest.UsageError(
                f"{flag} {why[flag]}, which --holdout-feedback={mode} withholds; drop it"
            )


def _withheld_gate(gate: dict[str, Any], mode: str) -> dict[str, Any]:
    if not gate["enabled"]:
        return {
            **gate,
            "sentence": "gate: none (holdout items do not fail the session while "
            f"--holdout-feedback={mode} withholds their outcomes)",
        }
    verdict = "passed" if gate["passed"] else "failed"
    return {
        **gate,
        "value": None,
        "margin": None,
        "sentence": f"gate: {verdict} (its figure is withheld by --holdout-feedback={mode})",
    }


def _file_id(item_id: str) -> str:
    return item_id.rsplit("-", 1)[0]
