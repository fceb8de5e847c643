"""The pytest plugin: options, and the session object that does the work when ``--holdout`` is on.

Without ``--holdout`` the plugin adds its options and three fixtures and nothing else: a
project's ordinary tests run exactly as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_holdout import sut
from pytest_holdout.collection.isolation import running_holdout_item
from pytest_holdout.collection.items import HoldoutScenario
from pytest_holdout.errors import HoldoutError
from pytest_holdout.outcomes.records import trial_seed
from pytest_holdout.reports.junit import MODES as JUNIT_MODES
from pytest_holdout.reports.public_feedback import FEEDBACK_CACHE_KEY
from pytest_holdout.sandbox import MODES
from pytest_holdout.sut import holdout_sut

__all__ = ["holdout_app_dir", "holdout_chaos", "holdout_seed", "holdout_sut"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_holdout import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("holdout", "holdout scenarios (pytest-holdout)")
    group.addoption(
        "--holdout",
        action="store_true",
        help="decrypt the holdout scenarios and run them (needs HOLDOUT_IDENTITY[_FILE]; "
        "without a key they are skipped)",
    )
    group.addoption(
        "--holdout-required",
        action="store_true",
        help="for the gated job: only what the signed MANIFEST lists counts, and a missing key, "
        "a MANIFEST that does not verify or a changed harness is an error",
    )
    group.addoption(
        "--holdout-dir",
        default=None,
        help="the encrypted scenario store (default: ini holdout_dir, scenarios_encrypted)",
    )
    group.addoption(
        "--holdout-disclose",
        default="ids",
        metavar="LEVEL",
        help="what public output may show: none (totals), ids (default: opaque ids and the "
        "failing step's index), steps (step texts: secret!), full (tracebacks: secret!)",
    )
    group.addoption(
        "--holdout-sealed-report",
        default=None,
        metavar="PATH",
        help="write every detail to PATH, age-encrypted to scenarios_encrypted/RECIPIENTS as "
        "MANIFEST signed it (implies --holdout-required)",
    )
    group.addoption(
        "--holdout-trials",
        type=int,
        default=None,
        metavar="N",
        help="run each scenario N times, each with fresh twins and its own seed "
        "(default: ini holdout_trials, 1)",
    )
    group.addoption(
        "--holdout-seed",
        type=int,
        default=0,
        metavar="SEED",
        help="base seed from which every trial's seed is derived (default 0)",
    )
    group.addoption(
        "--holdout-chaos",
        type=float,
        default=0.0,
        metavar="RATE",
        help="turn on the twins' fault injection at RATE (0..1) during holdout trials",
    )
    group.addoption(
        "--holdout-min-satisfaction",
        type=float,
        default=None,
        metavar="P",
        help="the gate: fail the session when satisfaction is below P (0..1); with a gate, the "
        "gate alone decides what holdout items do to the exit status (implies "
        "--holdout-required; with --holdout-shard, `holdout report merge` decides)",
    )
    group.addoption(
        "--holdout-gate",
        default="point",
        choices=("point", "lower"),
        help="compare the satisfaction itself (point, default) or its 95%% interval's lower "
        "bound (lower) with the gate",
    )
    group.addoption(
        "--holdout-junit",
        default="gate",
        choices=JUNIT_MODES,
        help="how holdout trials appear in --junitxml when there is a gate: gate (default: "
        "unsatisfied trials as skipped, type holdout.unsatisfied, and a holdout.gate testcase "
        "that fails with the gate) or failures (each unsatisfied trial a failure, as pytest "
        "writes it, plus the gate's testcase)",
    )
    group.addoption(
        "--holdout-json",
        default=None,
        metavar="PATH",
        help="write the figures as JSON (schema: pytest_holdout/reports/report-schema-v1.json)",
    )
    group.addoption(
        "--holdout-history",
        default=None,
        metavar="PATH",
        help="append this run's figures as one JSON line (for `holdout report trend`)",
    )
    group.addoption(
        "--holdout-shard",
        default=None,
        metavar="I/N",
        help="run only shard I of N (1-based) of the scenarios, split deterministically by id; "
        "a shard records its gate without enforcing it (`holdout report merge` of every "
        "shard's --holdout-json enforces it on the merged score)",
    )
    group.addoption(
        "--holdout-judge-model",
        default=None,
        metavar="MODEL",
        help="the model that judges @then.judged steps (default: ini holdout_judge_model)",
    )
    group.addoption(
        "--holdout-judge-votes",
        type=int,
        default=None,
        metavar="N",
        help="ask the judge N times and take the majority (default: ini holdout_judge_votes, 1)",
    )
    group.addoption(
        "--holdout-judge-temperature",
        type=float,
        default=None,
        metavar="T",
        help="the judge's sampling temperature (default: ini holdout_judge_temperature, "
        "else the API's default)",
    )
    group.addoption(
        "--holdout-feedback",
        default="plain",
        choices=("plain", "ladder", "parameter-free-ladder", "thresholdout"),
        help="which score public output releases, one round per run, against an agent that "
        "reads the score again and again (docs/reusable-holdout.md); needs "
        "--holdout-feedback-state (default: plain, the score as measured)",
    )
    group.addoption(
        "--holdout-feedback-state",
        default=None,
        metavar="PATH",
        help="the feedback state, sealed with the key, carried from one run to the next",
    )
    group.addoption(
        "--holdout-reset-feedback",
        action="store_true",
        help="start a new run of feedback rounds: a fresh state in --holdout-feedback-state",
    )
    group.addoption(
        "--holdout-feedback-step",
        type=float,
        default=None,
        metavar="ETA",
        help="ladder: the step a score must climb by (default 1/sqrt(judged trials))",
    )
    group.addoption(
        "--holdout-feedback-budget",
        type=int,
        default=None,
        metavar="B",
        help="thresholdout: how many answers from the holdout (default 10)",
    )
    group.addoption(
        "--holdout-sandbox",
        default="auto",
        choices=MODES,
        help="how holdout_sut runs the app under test: bwrap (a bubblewrap sandbox, or an "
        "error), none (unsandboxed: the app can read the key), auto (default: bwrap where it "
        "works; elsewhere an error with --holdout-required, else a warning)",
    )
    group.addoption(
        "--holdout-list-harness",
        default=None,
        metavar="PATH",
        help="write the harness files this run uses (JSON: name -> path) to PATH after "
        "collection; `holdout manifest` signs their hashes",
    )
    group.addoption(
        "--holdout-build",
        action="store_true",
        help="before collecting, call the pytest_holdout_build hook, so that a plugin or "
        "conftest can have an agent build the software from --holdout-specs (docs/loop.md)",
    )
    group.addoption(
        "--holdout-specs",
        default=None,
        metavar="DIR",
        help="the specs the software is built from, for pytest_holdout_build "
        "(default: ini holdout_specs, specs)",
    )
    group.addoption(
        "--holdout-feedback-ids",
        action="store_true",
        help="the pytest_holdout_feedback hook's feedback holds per-id results too",
    )
    group.addoption(
        "--holdout-app",
        default=None,
        metavar="DIR",
        help="the folder of the software under test, for the holdout_app_dir fixture "
        "(default: the rootdir; holdout loop gives its agent's working copy)",
    )
    parser.addini("holdout_specs", "the specs' folder", default="specs")
    parser.addini("holdout_judge_model", "the judge's model", default="claude-sonnet-4-6")
    parser.addini("holdout_judge_votes", "judge votes per judged step", default="1")
    parser.addini("holdout_judge_temperature", "the judge's temperature", default="")
    parser.addini("holdout_dir", "the encrypted scenario store", default="scenarios_encrypted")
    parser.addini("holdout_trials", "trials per scenario", default="1")


def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Step modules are rewritten and importable like conftest.py, which is imported next."""
    options = early_config.known_args_namespace
    if getattr(options, "holdout", False) or getattr(options, "holdout_required", False):
        from pytest_holdout.session import step_modules

        step_modules.prepare(early_config)


def pytest_configure(config: pytest.Config) -> None:
    sut.configure(config)  # first: it reads where the key file is before the session hides it
    if config.getoption("holdout") or config.getoption("holdout_required"):
        from pytest_holdout.feedback.publishing import install
        from pytest_holdout.session.run import register

        _apply_limits(config)
        run = register(config)
        install(config, run)
        _add_store_to_args(config, run.store.root)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """``--holdout-build``: the build comes before collection, and in the xdist controller
    before any worker starts (xdist starts them in its own, later, ``pytest_sessionstart``)."""
    config = session.config
    if not config.getoption("holdout_build") or hasattr(config, "workerinput"):
        return
    if not config.pluginmanager.hook.pytest_holdout_build.get_hookimpls():
        raise pytest.UsageError(
            "--holdout-build: no plugin or conftest implements pytest_holdout_build"
        )
    option = config.getoption("holdout_specs")
    # As pytest does: a path on the command line is the caller's, one in the ini file the ini's.
    specs = (
        config.invocation_params.dir / option
        if option
        else config.rootpath / config.getini("holdout_specs")
    )
    cache = getattr(config, "cache", None)
    feedback = cache.get(FEEDBACK_CACHE_KEY, None) if cache is not None else None
    config.hook.pytest_holdout_build(config=config, specs=specs.resolve(), feedback=feedback)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    sut.configure_node(node.config, node)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return sut.report_header(config)


def _apply_limits(config: pytest.Config) -> None:
    """The limits on what one file may make the run do (pytest_holdout.limits), from the job's
    environment and, lowered only, the project's pyproject.toml; put back when pytest ends."""
    from pytest_holdout import limits

    try:
        previous = limits.use(limits.configure(config.rootpath))
    except HoldoutError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.add_cleanup(lambda: limits.use(previous))


def _add_store_to_args(config: pytest.Config, store: Path) -> None:
    """Collect the store along with whatever else the command line asked for, unless an argument
    already covers it (the store or a folder above it) or names one of its files."""
    store = store.resolve()
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        if path == store or path in store.parents or store in path.parents:
            return
    if store.is_dir():
        config.args.append(str(store))


@pytest.fixture
def holdout_seed(request: pytest.FixtureRequest) -> int:
    """The seed of this trial (for a holdout item), else the run's base seed. Twins reset under
    it, so a trial replays the same ids and clock in any process and any order."""
    base: int = request.config.getoption("holdout_seed")
    item = request.node
    if isinstance(item, HoldoutScenario):
        return trial_seed(base, item.item_id, item.trial)
    return base


@pytest.fixture
def holdout_app_dir(request: pytest.FixtureRequest) -> Path:
    """The folder of the software under test: ``--holdout-app DIR``, else the rootdir. Steps
    start the software from there (``holdout_sut([...], cwd=holdout_app_dir)``), so that the
    same steps judge the project itself and the working copy of ``holdout loop``'s agent."""
    config = request.config
    app = config.getoption("holdout_app")
    return (config.invocation_params.dir / app).resolve() if app else config.rootpath


@pytest.fixture
def holdout_chaos(request: pytest.FixtureRequest) -> float:
    """The fault-injection rate the twins use in a holdout trial (0 elsewhere)."""
    if isinstance(request.node, HoldoutScenario):
        return float(request.config.getoption("holdout_chaos"))
    return 0.0


# pytest's record_property, and user_properties, reach reports, which the session strips from
# holdout items. These two write to the JUnit XML directly: in a holdout trial their values
# become the item's properties instead, which go to the sealed report.


@pytest.fixture
def record_xml_attribute(record_xml_attribute: Any, request: pytest.FixtureRequest) -> Any:
    """pytest's ``record_xml_attribute``; in a holdout trial, a sealed property."""
    item = request.node
    if isinstance(item, HoldoutScenario):
        return lambda name, value: item.user_properties.append((name, value))
    return record_xml_attribute


@pytest.fixture(scope="session")
def record_testsuite_property(
    record_testsuite_property: Any, request: pytest.FixtureRequest
) -> Any:
    """pytest's ``record_testsuite_property``; called in a holdout trial, a sealed property of
    that trial."""

    def record(name: str, value: object) -> None:
        item = running_holdout_item(request.config)
        if item is not None:
            item.user_properties.append((name, value))
        else:
            record_testsuite_property(name, value)

    return record
