"""Outcome gathering: the report hooks that record each holdout phase, keep its secrets for the
sealed detail, redact what goes public, and (in the controller) collect every trial's outcome.

Every report leaves a worker already redacted, with the trial's public outcome and its sealed
detail attached as plain attributes, which xdist serializes with the report.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator
from typing import Any

import pytest

from pytest_holdout.collection.context import HoldoutContext
from pytest_holdout.collection.isolation import HoldoutIsolation
from pytest_holdout.collection.items import HoldoutScenario, trial_of
from pytest_holdout.collection.redaction import redact
from pytest_holdout.outcomes.disclosure import Disclosure
from pytest_holdout.outcomes.records import TrialDetail, TrialOutcome, trial_seed
from pytest_holdout.reports.sealed import seal_detail


class OutcomeGathering:
    def __init__(
        self,
        config: pytest.Config,
        context: HoldoutContext,
        isolation: HoldoutIsolation,
        recipients: list[Any],
    ) -> None:
        self.config = config
        self.context = context
        self.isolation = isolation
        self.recipients = recipients
        self.is_worker = hasattr(config, "workerinput")
        self.outcomes: list[TrialOutcome] = []
        self.sealed_details: list[str] = []
        self.ordinary_failures = 0

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if isinstance(item, HoldoutScenario):
            self._finish_phase(item, call, report)
        return report

    def _finish_phase(
        self, item: HoldoutScenario, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> None:
        if hasattr(report, "wasxfail"):
            # An expected failure of a scenario is still a scenario that did not satisfy.
            item.phase_outcomes[report.when] = "passed" if report.passed else "failed"
        else:
            item.phase_outcomes[report.when] = report.outcome
        item.elapsed += report.duration
        detail = item.detail or item.new_detail()
        item.detail = detail
        report.holdout = True
        self._record_secrets(item, call, report, detail)
        # What a step put on its report (record_property, user_properties, a marker it added)
        # is the scenario's: sealed, never in JUnit XML, a report log or xdist traffic.
        detail.properties.extend((str(name), str(value)) for name, value in report.user_properties)
        report.user_properties = []
        item.user_properties.clear()
        report.keywords = {k: v for k, v in report.keywords.items() if k in item.public_keywords}
        disclosure = self.context.disclosure
        if disclosure < Disclosure.FULL:
            report.sections = []
        if disclosure <= Disclosure.IDS:
            redact(item, report)
        if report.when == "teardown":
            report.holdout_outcome = item.outcome(self.context.base_seed).to_dict()
            if self.recipients:
                report.holdout_sealed = seal_detail(detail, self.recipients)
            item.detail = None  # the plaintext detail is sealed; drop it

    def _record_secrets(
        self,
        item: HoldoutScenario,
        call: pytest.CallInfo[None],
        report: pytest.TestReport,
        detail: TrialDetail,
    ) -> None:
        for title, content in report.sections:
            # pytest gives each phase's report the sections of the phases before it too
            # ("Captured stdout setup" again at call and at teardown): take this phase's only.
            if not title.endswith(f" {report.when}"):
                continue
            kind = "log" if "log" in title else "stderr" if "stderr" in title else "stdout"
            setattr(detail, kind, getattr(detail, kind) + content)
        detail.log += self.isolation.drain(item)
        if item.broken and report.when == "call":
            file_id = item.item_id.rsplit("-", 1)[0]
            detail.stderr += f"{item.broken}\n{self.context.source.file_errors.get(file_id, '')}"
        if report.failed and call.excinfo is not None and report.when != "call":
            text = "".join(
                traceback.format_exception(call.excinfo.type, call.excinfo.value, call.excinfo.tb)
            )
            detail.stderr += f"{report.when} error:\n{text}"

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched: Any) -> None:
        """xdist, in the controller: a worker died inside a holdout trial (a segfault, an
        abort). The trial did not satisfy; it must not drop out of the score."""
        trial = trial_of(crashitem)
        if trial is None:
            return
        item_id, number = trial
        report.holdout = True
        report.holdout_outcome = TrialOutcome(
            item_id,
            number,
            "unsatisfied",
            seed=trial_seed(self.context.base_seed, item_id, number),
            reason="crashed",
        ).to_dict()

    def seal_late(self) -> list[str]:
        """Sealed details of what holdout code left after its trials were sealed (see
        ``collection.leftovers``), one per trial."""
        leftovers = self.isolation.leftovers
        leftovers.sweep()
        texts: dict[pytest.Item, list[str]] = {}
        for item, text in leftovers.late:
            texts.setdefault(item, []).append(text)
        leftovers.late.clear()
        sealed = []
        for item, parts in texts.items():
            if not self.recipients or not isinstance(item, HoldoutScenario):
                continue
            detail = item.new_detail()
            detail.stderr = "after the trial:\n" + "".join(parts)
            sealed.append(seal_detail(detail, self.recipients))
        return sealed

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not getattr(report, "holdout", False):
            self.ordinary_failures += report.failed
            return
        outcome = getattr(report, "holdout_outcome", None)
        if outcome is not None:
            trial = TrialOutcome.from_dict(outcome)
            self.outcomes.append(trial)
            if not self.is_worker:
                self.config.hook.pytest_holdout_trial_result(outcome=trial, config=self.config)
        sealed = getattr(report, "holdout_sealed", None)
        if sealed is not None:
            self.sealed_details.append(sealed)
