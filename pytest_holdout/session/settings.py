"""The run's settings: every ``--holdout-*`` option and ini value, parsed and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_holdout.collection import selection
from pytest_holdout.judging.judges import JudgeSettings
from pytest_holdout.judging.wiring import judge_settings
from pytest_holdout.outcomes.disclosure import Disclosure, refuse_unsafe_options
from pytest_holdout.session.step_modules import module_names


@dataclass(frozen=True)
class RunSettings:
    disclosure: Disclosure
    required: bool
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
            required=config.getoption("holdout_required"),
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
        )


def _path(config: pytest.Config, name: str) -> Path | None:
    value = config.getoption(name)
    return Path(value) if value else None
