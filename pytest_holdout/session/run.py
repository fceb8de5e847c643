"""One ``pytest --holdout`` session: keys, store, step registry, and the hooks that keep every
report of a holdout item redacted.

An instance is registered as a plugin in every process of the session (the xdist controller and
each worker). Workers collect, decrypt and run; every report leaves a worker already redacted, with
the trial's public outcome and its sealed detail attached as plain attributes (which xdist
serializes with the report). The controller only gathers those.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.collection import selection
from pytest_holdout.collection.isolation import HoldoutIsolation
from pytest_holdout.collection.items import RUN_KEY, HoldoutScenario, HoldoutStore
from pytest_holdout.errors import HoldoutError
from pytest_holdout.judging.wiring import Judging
from pytest_holdout.outcomes.disclosure import (
    WARNING,
    Disclosure,
    failure_line,
    refuse_unsafe_options,
)
from pytest_holdout.outcomes.records import TrialDetail, TrialOutcome
from pytest_holdout.scenarios.model import Feature

NO_KEY = "holdout scenarios need the keyholder's key: set HOLDOUT_IDENTITY or HOLDOUT_IDENTITY_FILE"


def trial_seed(base: int, item_id: str, trial: int) -> int:
    """A seed per trial that depends only on the base seed and the trial's identity, so that any
    process running it, in any order, gets the same one."""
    digest = hashlib.sha256(f"{base}:{item_id}:{trial}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _read_steps_setting(rootpath: Path) -> list[str]:
    pyproject = rootpath / "pyproject.toml"
    if not pyproject.is_file():
        return []
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    with pyproject.open("rb") as file:
        steps = tomllib.load(file).get("tool", {}).get("holdout", {}).get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(name, str) for name in steps):
        raise pytest.UsageError(f"{pyproject}: [tool.holdout] steps must be a list of module names")
    return steps


class HoldoutRun:
    def __init__(self, config: pytest.Config) -> None:
        from pytest_holdout.store import keys
        from pytest_holdout.store.files import Store

        self.config = config
        self.disclosure = Disclosure.parse(config.getoption("holdout_disclose"))
        refuse_unsafe_options(config, self.disclosure)
        self.required: bool = config.getoption("holdout_required")
        self.trials: int = int(
            config.getoption("holdout_trials") or config.getini("holdout_trials")
        )
        if self.trials < 1:
            raise pytest.UsageError("--holdout-trials must be at least 1")
        self.base_seed: int = config.getoption("holdout_seed")
        self.shard = selection.parse_shard(config.getoption("holdout_shard"))
        self.gate_mode: str = config.getoption("holdout_gate")
        self.json_path = _path_option(config, "holdout_json")
        self.history_path = _path_option(config, "holdout_history")
        self.min_satisfaction: float | None = config.getoption("holdout_min_satisfaction")
        if self.min_satisfaction is not None and not 0 <= self.min_satisfaction <= 1:
            raise pytest.UsageError("--holdout-min-satisfaction takes a number from 0 to 1")
        self.is_worker = hasattr(config, "workerinput")

        store_dir = Path(config.getoption("holdout_dir") or config.getini("holdout_dir"))
        if not store_dir.is_absolute():
            store_dir = config.rootpath / store_dir
        self.store = Store(store_dir)

        self.identities: list[Any] = []
        self.can_decrypt = False
        self.no_key_reason = NO_KEY
        try:
            self.identities = keys.load_identities(os.environ)
            self.can_decrypt = True
        except keys.NoIdentityError as exc:
            if self.required:
                raise pytest.UsageError(f"--holdout-required: {exc}") from None
        except HoldoutError as exc:
            raise pytest.UsageError(str(exc)) from None

        self.manifest = None
        self.unlisted: list[str] = []
        if self.required:
            self._verify_manifest()
        self._features: dict[str, Feature | HoldoutError] = {}
        self.counts = self._known_counts(config)

        sealed = config.getoption("holdout_sealed_report")
        self.sealed_path = Path(sealed) if sealed else None
        self.recipients: list[Any] = []
        if self.sealed_path is not None:
            try:
                self.recipients = list(self.store.recipients())
            except HoldoutError as exc:
                raise pytest.UsageError(f"--holdout-sealed-report: {exc}") from None

        self.step_modules = [
            self._import_steps(name) for name in _read_steps_setting(config.rootpath)
        ]
        self._registry: Any = None
        self.judge = Judging(config, self.identities, self._known_recipients)
        self.file_errors: dict[str, str] = {}
        self.outcomes: list[TrialOutcome] = []
        self.ordinary_failures = 0
        self.result: Any = None
        self.sealed_details: list[str] = []
        self.isolation = HoldoutIsolation(config, self.disclosure)

    # -- the store ---------------------------------------------------------------------------

    def _verify_manifest(self) -> None:
        from pytest_holdout.store import manifest

        try:
            self.manifest = manifest.verify(self.store, self.identities)
        except HoldoutError as exc:
            raise pytest.UsageError(f"--holdout-required: {exc}") from None
        # Only the listing is needed here: each listed file's hash is checked when it is read.
        self.unlisted = sorted(set(self.store.ids()) - set(self.manifest.entries))

    def file_ids(self) -> list[str]:
        """The files whose scenarios count: those the keyholder signed, when the gate is on."""
        if self.manifest is not None:
            return sorted(self.manifest.entries)
        return self.store.ids()

    def _known_counts(self, config: pytest.Config) -> dict[str, int] | None:
        """How many scenarios each file holds, where that is known without reading the files:
        from the signed manifest, or (in an xdist worker) from the controller. Not with ``-m``,
        which selects by tags and so must read every file at collection."""
        if not self.can_decrypt or config.getoption("markexpr", ""):
            return None
        if self.manifest is not None:
            return {file_id: entry.items for file_id, entry in self.manifest.entries.items()}
        workerinput = getattr(config, "workerinput", {})
        return workerinput.get("holdout_counts")

    def expected_items(self, file_id: str) -> int:
        if self.counts is not None and file_id in self.counts:
            return self.counts[file_id]
        entry = self.manifest.entries.get(file_id) if self.manifest is not None else None
        return entry.items if entry is not None else 0

    def feature(self, file_id: str) -> Feature:
        """``load_feature``, once per file per process (for lazily collected items)."""
        if file_id not in self._features:
            try:
                self._features[file_id] = self.load_feature(file_id)
            except HoldoutError as exc:
                self._features[file_id] = exc
        found = self._features[file_id]
        if isinstance(found, HoldoutError):
            raise found
        return found

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist, in the controller: tell each worker how many scenarios each file holds, so that
        workers collect identical items without reading files (counts are not secret; the
        controller reads each file once, in memory, to count)."""
        if self.counts is None and self.can_decrypt and not self.config.getoption("markexpr", ""):
            self.counts = {file_id: self._count(file_id) for file_id in self.file_ids()}
        if self.counts is not None:
            node.workerinput["holdout_counts"] = self.counts

    def _count(self, file_id: str) -> int:
        try:
            return len(self.load_feature(file_id).scenarios)
        except HoldoutError:
            return 1  # the worker that runs it reports the error

    def load_feature(self, file_id: str) -> Feature:
        from pytest_holdout.scenarios.parsing import parse_feature
        from pytest_holdout.store.files import decrypt
        from pytest_holdout.store.manifest import sha256_of

        path = self.store.path(file_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise HoldoutError(f"{file_id}: missing (listed in the signed manifest)") from None
        if self.manifest is not None:
            entry = self.manifest.entries[file_id]
            if sha256_of(data) != entry.sha256:
                raise HoldoutError(f"{file_id}: modified since the manifest was signed")
        plaintext = decrypt(data, self.identities, file_id)
        try:
            return parse_feature(plaintext, file_id)
        except HoldoutError as exc:
            self.file_errors[file_id] = getattr(exc, "detail", "")
            raise
        except Exception as exc:
            # A bug in a parser must not put scenario text in a collection error: the message
            # names the id only, the traceback goes to the sealed report.
            self.file_errors[file_id] = traceback.format_exc()
            raise HoldoutError(f"{file_id}: could not be parsed ({type(exc).__name__})") from None

    # -- steps --------------------------------------------------------------------

    def _import_steps(self, name: str) -> object:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise pytest.UsageError(
                f"[tool.holdout] steps: cannot import {name!r} ({exc.__class__.__name__})"
            ) from None
        # Registered as a plugin so that the fixtures it defines are visible to holdout items.
        if not self.config.pluginmanager.is_registered(module):
            self.config.pluginmanager.register(module, f"holdout-steps:{name}")
        return module

    @property
    def registry(self) -> Any:
        if self._registry is None:
            from pytest_holdout.steps.registry import StepRegistry

            conftests = [
                plugin
                for plugin in self.config.pluginmanager.get_plugins()
                if getattr(plugin, "__file__", "").endswith("conftest.py")
            ]
            self._registry = StepRegistry.from_namespaces([*conftests, *self.step_modules])
        return self._registry

    def _known_recipients(self) -> list[Any]:
        try:
            return self.recipients or list(self.store.recipients())
        except HoldoutError:
            return []

    # -- trials ------------------------------------------------------------------------------

    def new_detail(self, item: HoldoutScenario) -> TrialDetail:
        feature, scenario = item.feature, item.scenario
        return TrialDetail(
            item_id=item.item_id,
            trial=item.trial,
            feature=feature.name if feature else "",
            scenario=scenario.name if scenario else "",
            tags=sorted(scenario.tags) if scenario else [],
            rule=scenario.rule if scenario else None,
            examples=scenario.examples if scenario else None,
        )

    def failure_repr(
        self,
        item: HoldoutScenario,
        excinfo: pytest.ExceptionInfo[BaseException],
        full: Callable[[], Any],
    ) -> Any:
        """What a failing holdout item shows in public. Built from public facts only below
        ``full``, so no traceback, local or exception message is ever formatted for output."""
        if item.broken:
            return item.broken  # one public line naming the opaque id
        if self.disclosure is Disclosure.FULL:
            return full()
        if self.disclosure is Disclosure.STEPS and item.detail is not None:
            return "\n".join(
                f"{'>' if step.status not in ('passed', 'skipped') else ' '} "
                f"{number}. {step.keyword} {step.text}  [{step.status}]"
                for number, step in enumerate(item.detail.steps, 1)
            )
        return failure_line(self._outcome(item, "failed"), self.disclosure)

    def _outcome(self, item: HoldoutScenario, call_outcome: str) -> TrialOutcome:
        phases = getattr(item, "_holdout_phases", {})
        status, reason = "satisfied", None
        setup = phases.get("setup", "passed")
        call = phases.get("call", call_outcome)
        if setup == "skipped" or call == "skipped":
            status = "pending"
        elif item.broken:
            status, reason = "unsatisfied", "unreadable"
        elif setup == "failed":
            status, reason = "unsatisfied", "setup error"
        elif call == "failed":
            status = "unsatisfied"
            reason = item.failure.reason if item.failure else "error"
        elif phases.get("teardown") == "failed":
            status, reason = "unsatisfied", "teardown error"
        elif item.unjudged:
            status = "unjudged"
        failure = item.failure if status == "unsatisfied" else None
        return TrialOutcome(
            item_id=item.item_id,
            trial=item.trial,
            status=status,
            seed=trial_seed(self.base_seed, item.item_id, item.trial),
            duration=getattr(item, "_holdout_duration", 0.0),
            failed_step=failure.index if failure else None,
            failed_kind=failure.kind if failure else None,
            reason=reason,
        )

    # -- hooks -------------------------------------------------------------------------------

    def pytest_collect_directory(self, path: Path, parent: pytest.Collector) -> Any:
        if path == self.store.root:
            return HoldoutStore.from_parent(parent, path=path)
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(
        self, items: list[pytest.Item], config: pytest.Config
    ) -> Generator[None, None, None]:
        if self.shard is not None:
            selection.keep_shard(items, config, self.shard, _item_id)
        return (yield from selection.select(items, config, _is_holdout))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        if isinstance(item, HoldoutScenario):
            item.load(self)
        return (yield from self.isolation.phase(item, _is_holdout(item)))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self.isolation.phase(item, _is_holdout(item)))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self.isolation.phase(item, _is_holdout(item)))

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
        phases = item.__dict__.setdefault("_holdout_phases", {})
        if hasattr(report, "wasxfail"):
            # An expected failure of a scenario is still a scenario that did not satisfy.
            phases[report.when] = "passed" if report.passed else "failed"
        else:
            phases[report.when] = report.outcome
        item.__dict__["_holdout_duration"] = (
            getattr(item, "_holdout_duration", 0.0) + report.duration
        )
        detail = item.detail or self.new_detail(item)
        item.detail = detail
        report.holdout = True
        self._record_secrets(item, call, report, detail)
        if self.disclosure < Disclosure.FULL:
            report.sections = []
        if self.disclosure <= Disclosure.IDS:
            self._redact(item, report)
        if report.when == "teardown":
            outcome = self._outcome(item, phases.get("call", "passed"))
            report.holdout_outcome = outcome.to_dict()
            if self.recipients:
                from pytest_holdout.reports.sealed import seal_detail

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
            kind = "log" if "log" in title else "stderr" if "stderr" in title else "stdout"
            setattr(detail, kind, getattr(detail, kind) + content)
        detail.log += self.isolation.drain(item)
        if item.broken and report.when == "call":
            file_id = item.item_id.rsplit("-", 1)[0]
            detail.stderr += f"{item.broken}\n{self.file_errors.get(file_id, '')}"
        if report.failed and call.excinfo is not None and report.when != "call":
            text = "".join(
                traceback.format_exception(call.excinfo.type, call.excinfo.value, call.excinfo.tb)
            )
            detail.stderr += f"{report.when} error:\n{text}"

    def _redact(self, item: HoldoutScenario, report: pytest.TestReport) -> None:
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

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        lines = [f"holdout: disclosure {self.disclosure}, {self.trials} trial(s) per scenario"]
        if self.disclosure.secret:
            lines.append(WARNING.format(level=self.disclosure))
        return lines

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker:
            return
        from pytest_holdout.reports.finish import terminal_lines

        terminalreporter.section("holdout satisfaction")
        for line in terminal_lines(self, self.result):
            terminalreporter.write_line(line)
        if self.disclosure.secret:
            terminalreporter.write_line(WARNING.format(level=self.disclosure), yellow=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # First, so that the JUnit properties are in before junitxml writes its file, and the
        # exit status is settled before the terminal summary reports it.
        if self.is_worker:
            return
        from pytest_holdout.reports.finish import finish_session

        self.result = finish_session(self, session)


def _path_option(config: pytest.Config, name: str) -> Path | None:
    value = config.getoption(name)
    return Path(value) if value else None


def _is_holdout(item: pytest.Item) -> bool:
    return isinstance(item, HoldoutScenario)


def _item_id(item: pytest.Item) -> str | None:
    return item.item_id if isinstance(item, HoldoutScenario) else None


def register(config: pytest.Config) -> HoldoutRun:
    run = HoldoutRun(config)
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(run, "holdout-run")
    return run
