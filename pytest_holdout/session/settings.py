"""The run's settings: every ``--holdout-*`` option and ini value, parsed and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_holdout.collection import selection
from pytest_holdout.judging.judges import JudgeSettings
from pytest_holdout.judging.wiring import judge_settings
from pytest_holdout.outcomes.disclosure import Disclosure, refuse_unsafe_options
from pytest_holdout.project_settings import string_list
from pytest_holdout.session.step_modules import module_names

# A gate or a sealed report outside a gated run would trust whatever the repository holds: the
# scenarios left in it, and RECIPIENTS for the report. So each of these makes the run gated.
_GATED_OPTIONS = (
    ("holdout_required", "--holdout-required"),
    ("holdout_min_satisfaction", "--holdout-min-satisfaction"),
    ("holdout_sealed_report", "--holdout-sealed-report"),
)


@dataclass(frozen=True)
class RunSettings:
    disclosure: Disclosure
    required: str  # the option that makes this a gated run ("--holdout-required", ...), or ""
    trials: int
    base_seed: int
    shard: tuple[int, int] | None
    gate_mode: str
    min_satisfaction: float | None
    store_dir: Path
    json_path: Path | None
    history_path: Path | None
    sealed_path: Path | None
    step_modules: tuple[str, ...]
    judge: JudgeSettings
    pinned: tuple[str, ...]  # globs of further harness files, relative to the project
    harness_list: Path | None  # where to write the harness files, for `holdout manifest`
    feedback_ids: bool

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunSettings:
        disclosure = Disclosure.parse(config.getoption("holdout_disclose"))
        refuse_unsafe_options(config, disclosure)
        trials = int(config.getoption("holdout_trials") or config.getini("holdout_trials"))
        if trials < 1:
            raise pytest.UsageError("--holdout-trials must be at least 1")
        minimum: float | None = config.getoption("holdout_min_satisfaction")
        if minimum is not None and not 0 <= minimum <= 1:
            raise pytest.UsageError("--holdout-min-satisfaction takes a number from 0 to 1")
        store_dir = Path(config.getoption("holdout_dir") or config.getini("holdout_dir"))
        return cls(
            disclosure=disclosure,
            required=_gated_by(config),
            trials=trials,
            base_seed=config.getoption("holdout_seed"),
            shard=selection.parse_shard(config.getoption("holdout_shard")),
            gate_mode=config.getoption("holdout_gate"),
            min_satisfaction=minimum,
            store_dir=store_dir if store_dir.is_absolute() else config.rootpath / store_dir,
            json_path=_path(config, "holdout_json"),
            history_path=_path(config, "holdout_history"),
            sealed_path=_path(config, "holdout_sealed_report"),
            step_modules=tuple(module_names(config.rootpath)),
            judge=judge_settings(config),
            pinned=_string_list(config.rootpath, "pinned", "a list of globs"),
            harness_list=_path(config, "holdout_list_harness"),
            feedback_ids=config.getoption("holdout_feedback_ids"),
        )


def _gated_by(config: pytest.Config) -> str:
    if config.getoption("holdout_list_harness"):
        return ""  # `holdout manifest` listing the harness, without a key: never a gated run
    for name, flag in _GATED_OPTIONS:
        if config.getoption(name) not in (None, False):
            return flag
    return ""


def _path(config: pytest.Config, name: str) -> Path | None:
    value = config.getoption(name)
    return Path(value) if value else None


def _string_list(rootpath: Path, name: str, what: str) -> tuple[str, ...]:
    """``[tool.holdout] NAME`` in pyproject.toml (steps: modules to import; pinned: globs)."""
    try:
        return tuple(string_list(rootpath, name, what))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
