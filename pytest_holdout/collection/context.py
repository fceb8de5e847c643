"""What holdout items need from their session, handed down through the config's stash so that
collection never imports the session that builds it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_holdout.outcomes.disclosure import Disclosure

if TYPE_CHECKING:  # the plugin imports collection in every pytest run, --holdout or not
    from pytest_holdout.collection.source import ScenarioSource
    from pytest_holdout.steps.registry import StepRegistry


@dataclass
class HoldoutContext:
    source: ScenarioSource
    file_ids: list[str]  # the files whose scenarios count
    trials: int
    base_seed: int
    disclosure: Disclosure
    skip_reason: str  # why every item skips (no key), or ""
    registry: Callable[[], StepRegistry]  # built on first use, once conftests are loaded
    judge: Callable[..., bool | None]


CONTEXT_KEY = pytest.StashKey[HoldoutContext]()


def context_of(config: pytest.Config) -> HoldoutContext:
    return config.stash[CONTEXT_KEY]
