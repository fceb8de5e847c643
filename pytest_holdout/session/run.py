"""One ``pytest --holdout`` session: it builds the stages from the run's settings and wires them
into pytest's hooks.

An instance is registered as a plugin in every process of the session (the xdist controller and
each worker). Workers collect, decrypt and run; the controller gathers public outcomes and sealed
details and writes the reports.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.collection import selection
from pytest_holdout.collection.context import CONTEXT_KEY, HoldoutContext
from pytest_holdout.collection.isolation import HoldoutIsolation
from pytest_holdout.collection.items import HoldoutScenario, HoldoutStore
from pytest_holdout.collection.quiet_gc import QuietGC
from pytest_holdout.collection.source import ScenarioSource
from pytest_holdout.errors import HoldoutError
from pytest_holdout.judging.wiring import Judging
from pytest_holdout.outcomes.disclosure import WARNING
from pytest_holdout.reports.finish import ReportPlan, Result, finish_session, terminal_lines
from pytest_holdout.session import harness, origin, step_modules
from pytest_holdout.session.gathering import OutcomeGathering
from pytest_holdout.session.settings import RunSettings
from pytest_holdout.session.trust import NO_KEY, Trust, gated
from pytest_holdout.steps.registry import StepRegistry
from pytest_holdout.store import harness as pinned_files
from pytest_holdout.store import keys, manifest
from pytest_holdout.store.files import Store
from pytest_holdout.store.fsutil import check_target, read_regular
from pytest_holdout.sut import sandbox_name

KEY_INPUT = "holdout_keys"  # xdist workerinput: the key variables, taken out of os.environ
MARKS_NOTE = (
    "holdout: -m selects ordinary tests only at --holdout-disclose={level} (which scenarios a tag "
    "expression keeps would show their tags); every holdout scenario runs"
)


class HoldoutRun:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = settings = RunSettings.from_config(config)
        self.store = Store(settings.store_dir)
        self.trust = Trust.check(self.store, settings.required, _key_variables(config))
        _check_report_paths(settings)
        # The gated run: what counts is what the keyholder's signed manifest implies.
        self.gated = settings.required and self.trust.manifest is not None
        # Tags are secret: -m selects holdout items only where the output may show them.
        self.by_tags = settings.disclosure.secret and bool(config.getoption("markexpr", ""))
        self.recipients: list[Any] = []
        if settings.sealed_path is not None:
            try:
                self.recipients = list(self.store.recipients())
            except HoldoutError as exc:
                raise pytest.UsageError(f"--holdout-sealed-report: {exc}") from None
        self.source = ScenarioSource(
            self.store, self.trust.identities, self.trust.manifest, self._known_counts()
        )
        self.step_modules = step_modules.import_all(config, settings.step_modules)
        self._registry: StepRegistry | None = None
        self.context = HoldoutContext(
            source=self.source,
            file_ids=self.trust.file_ids(self.store),
            trials=settings.trials,
            base_seed=settings.base_seed,
            disclosure=settings.disclosure,
            skip_reason="" if self.trust.can_decrypt else NO_KEY,
            registry=self.registry,
            judge=Judging(config, settings.judge, self.trust.identities, self._known_recipients),
        )
        self.isolation = HoldoutIsolation(config, settings.disclosure)
        self.gathering = OutcomeGathering(config, self.context, self.isolation, self.recipients)
        self.result: Result | None = None
        self.refused = ""  # why the gated run refused to run anything, once it has

    def _known_counts(self) -> dict[str, int] | None:
        """How many scenarios each file holds, where that is known without reading the files:
        from the signed manifest, or (in an xdist worker) from the controller. Not where ``-m``
        selects holdout items by tags, which must read every file at collection."""
        if not self.trust.can_decrypt or self.by_tags:
            return None
        if self.trust.manifest is not None:
            return {file_id: entry.items for file_id, entry in self.trust.manifest.entries.items()}
        return getattr(self.config, "workerinput", {}).get("holdout_counts")

    def registry(self) -> StepRegistry:
        if self._registry is None:
            conftests = [
                plugin
                for plugin in self.config.pluginmanager.get_plugins()
                if getattr(plugin, "__file__", "").endswith("conftest.py")
            ]
            self._registry = StepRegistry.from_namespaces([*conftests, *self.step_modules])
        return self._registry

    def _manifest_sha256(self) -> str | None:
        """The verified MANIFEST's SHA-256, for the report: merging shards checks they ran
        against one manifest."""
        if not self.gated:
            return None
        return manifest.sha256_of(read_regular(manifest.manifest_path(self.store)))

    def _known_recipients(self) -> list[Any]:
        try:
            return self.recipients or list(self.store.recipients())
        except HoldoutError:
            return []

    def _expected(self) -> frozenset[tuple[str, int]] | None:
        """In a gated run: every trial the signed manifest implies, within the shard."""
        if not self.gated or self.trust.manifest is None:
            return None
        counts = {file_id: entry.items for file_id, entry in self.trust.manifest.entries.items()}
        return frozenset(
            selection.expected_trials(counts, self.settings.trials, self.settings.shard)
        )

    def report_plan(self) -> ReportPlan:
        settings = self.settings
        return ReportPlan(
            disclosure=str(settings.disclosure),
            # Without a key nothing ran: a developer's laptop, where a gate would only get in
            # the way.
            min_satisfaction=settings.min_satisfaction if self.trust.can_decrypt else None,
            gate_mode=settings.gate_mode,
            shard=settings.shard,
            seed=settings.base_seed,
            unlisted_files=len(self.trust.unlisted),
            trials=settings.trials,
            expected=self._expected(),
            manifest_sha256=self._manifest_sha256(),
            json_path=settings.json_path,
            history_path=settings.history_path,
            sealed_path=settings.sealed_path,
            recipients=self.recipients,
            sandbox=sandbox_name(self.config),
            feedback_ids=settings.feedback_ids,
        )

    # -- hooks -------------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist, in the controller: tell each worker how many scenarios each file holds, so that
        workers collect identical items without reading files, and hand it the key."""
        source = self.source
        if source.counts is None and self.trust.can_decrypt and not self.by_tags:
            source.counts = source.count_all(self.context.file_ids)
        if source.counts is not None:
            node.workerinput["holdout_counts"] = source.counts
        # Through execnet's channel, not the environment the worker's subprocesses inherit.
        node.workerinput[KEY_INPUT] = keys.plain(self.trust.key_variables)

    @pytest.hookimpl(tryfirst=True)  # before xdist's, which sends the items to the controller
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Check the harness against MANIFEST before anything runs (or list it, for
        ``holdout manifest``). Conftests and step modules are all loaded by now."""
        settings, verified = self.settings, self.trust.manifest
        if settings.harness_list is None and verified is None:
            return
        root = self.store.root.parent
        used = harness.used_files(session, self.registry(), root, settings.pinned)
        if settings.harness_list is not None:
            harness.write_listing(settings.harness_list, used)
        problems = pinned_files.differences(verified.harness, root, used) if verified else []
        if problems:
            self._refuse(
                session,
                f"{gated(settings.required)}: harness changed since MANIFEST was signed: "
                + ", ".join(problems),
            )

    def _refuse(self, session: pytest.Session, message: str) -> None:
        self.refused = message
        if not self.gathering.is_worker:
            raise pytest.UsageError(message)
        # An xdist worker cannot stop the session with a usage error: it runs nothing and tells
        # the controller through a failed collection report, which the controller turns into
        # the same exit status (see pytest_collectreport and pytest_sessionfinish).
        session.items.clear()
        report = pytest.CollectReport("", "failed", message, [], holdout_refused=message)
        session.config.hook.pytest_collectreport(report=report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not self.gathering.is_worker:
            self.refused = self.refused or getattr(report, "holdout_refused", "")

    def pytest_collect_directory(self, path: Path, parent: pytest.Collector) -> Any:
        if path == self.store.root:
            return HoldoutStore.from_parent(parent, path=path)
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(
        self, items: list[pytest.Item], config: pytest.Config
    ) -> Generator[None, None, None]:
        if self.settings.shard is not None:
            selection.keep_shard(items, config, self.settings.shard, _item_id)
        return (yield from selection.select(items, config, _is_holdout, self.by_tags))

    # trylast: inside pytest's capture and log capture wrappers, so that what a holdout phase
    # leaves for its end (the teardown guard) is still captured.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        if isinstance(item, HoldoutScenario):
            item.load()
        return (yield from self.isolation.phase(item, _is_holdout(item), "setup"))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self.isolation.phase(item, _is_holdout(item), "call"))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self.isolation.phase(item, _is_holdout(item), "teardown"))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # After every pytest_configure, so that a conftest's change to an option is seen too.
        if self.settings.required:
            origin.refuse_repository_settings(self.config, self.store.root, self.by_tags)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        disclosure = self.settings.disclosure
        lines = [f"holdout: disclosure {disclosure}, {self.settings.trials} trial(s) per scenario"]
        if self.trust.header:
            lines.append(self.trust.header)
        if disclosure.secret:
            lines.append(WARNING.format(level=disclosure))
        elif config.getoption("markexpr", ""):
            lines.append(MARKS_NOTE.format(level=disclosure))
        return lines

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.gathering.is_worker or self.refused:
            return
        terminalreporter.section("holdout satisfaction")
        for line in terminal_lines(self.report_plan(), self.result):
            terminalreporter.write_line(line)
        if self.settings.disclosure.secret:
            terminalreporter.write_line(WARNING.format(level=self.settings.disclosure), yellow=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # First, so that the JUnit properties are in before junitxml writes its file, and the
        # exit status is settled before the terminal summary reports it.
        late = self.gathering.seal_late()
        if self.gathering.is_worker:
            self.config.workeroutput["holdout_late"] = late  # type: ignore[attr-defined]
            return
        if self.refused:  # nothing ran: no report, and the exit status of a usage error
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        gathered = self.gathering
        gathered.sealed_details.extend(late)
        self.result = finish_session(
            self.report_plan(),
            gathered.outcomes,
            gathered.sealed_details,
            gathered.ordinary_failures,
            session,
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """xdist, in the controller: a worker's late output, already sealed."""
        self.gathering.sealed_details.extend(
            getattr(node, "workeroutput", {}).get("holdout_late", [])
        )

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.isolation.close()


def _key_variables(config: pytest.Config) -> dict[str, keys.KeyText]:
    """The key variables, taken out of ``os.environ`` so that no subprocess of the session (the
    app under test, a tool a step runs) inherits them, and put back when pytest is done (for a
    caller of ``pytest.main``). An xdist worker is handed them by the controller instead."""
    taken = keys.take_keys()
    config.add_cleanup(lambda: os.environ.update(keys.plain(taken)))
    handed = getattr(config, "workerinput", {}).get(KEY_INPUT)
    if handed is not None:
        return {name: keys.KeyText(value) for name, value in handed.items()}
    return taken


def _check_report_paths(settings: RunSettings) -> None:
    """Refuse, before anything runs, a report path the repository made a link (or a FIFO, a
    device): the reports are written at the end, and a history is read first."""
    for option, path in (
        ("--holdout-json", settings.json_path),
        ("--holdout-history", settings.history_path),
        ("--holdout-sealed-report", settings.sealed_path),
    ):
        if path is not None:
            try:
                check_target(path)
            except HoldoutError as exc:
                raise pytest.UsageError(f"{option}: {exc}") from None


def _is_holdout(item: pytest.Item) -> bool:
    return isinstance(item, HoldoutScenario)


def _item_id(item: pytest.Item) -> str | None:
    return item.item_id if isinstance(item, HoldoutScenario) else None


def register(config: pytest.Config) -> HoldoutRun:
    run = HoldoutRun(config)
    config.stash[CONTEXT_KEY] = run.context
    config.pluginmanager.register(run, "holdout-run")
    config.pluginmanager.register(run.gathering, "holdout-gathering")
    config.pluginmanager.register(QuietGC(), "holdout-quiet-gc")
    return run
