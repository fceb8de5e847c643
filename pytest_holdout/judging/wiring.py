"""Judging a ``@then.judged`` step inside a trial: settings from pytest's options, a plugin's
``pytest_holdout_judge`` first, else the built-in model judge with its sealed verdict cache."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from pytest_holdout.errors import UsageError
from pytest_holdout.judging.judges import (
    JudgeSettings,
    ModelJudge,
    VerdictCache,
    judge_request,
)
from pytest_holdout.outcomes.records import TrialDetail
from pytest_holdout.scenarios.model import Scenario


def judge_settings(config: pytest.Config) -> JudgeSettings:
    """The judge's settings from ``--holdout-judge-*``, else the ini values; a usage error for a
    value the judge cannot work with (fewer than one vote would leave every step unjudged)."""

    def setting(name: str) -> str:
        value = config.getoption(f"holdout_judge_{name}")
        return str(value) if value is not None else str(config.getini(f"holdout_judge_{name}"))

    votes, temperature = setting("votes"), setting("temperature")
    try:
        return JudgeSettings(
            model=setting("model"),
            votes=int(votes),
            temperature=float(temperature) if temperature else None,
        )
    except ValueError:
        raise pytest.UsageError(
            f"holdout judge: votes {votes!r} and temperature {temperature!r} must be numbers"
        ) from None
    except UsageError as exc:
        raise pytest.UsageError(f"--holdout-judge-votes / holdout_judge_votes: {exc}") from None


class Judging:
    """The judge of one process. Recipients are fetched only if a verdict is ever cached."""

    def __init__(
        self,
        config: pytest.Config,
        settings: JudgeSettings,
        identities: Sequence[Any],
        recipients: Callable[[], Sequence[Any]],
    ) -> None:
        self.config = config
        self.settings = settings
        self.identities = list(identities)
        self._recipients = recipients
        self._model: ModelJudge | None = None

    @property
    def model(self) -> ModelJudge:
        if self._model is None:
            cache = None
            if self.config.cache is not None and self.identities:
                cache = VerdictCache(
                    self.config.cache.mkdir("holdout-verdicts"), self._recipients(), self.identities
                )
            self._model = ModelJudge(self.settings, cache)
        return self._model

    def __call__(
        self,
        scenario: Scenario,
        index: int,
        spec: Any,
        evidence: Any,
        detail: TrialDetail,
        journals: dict[str, list[Any]],
    ) -> bool | None:
        """The verdict on step ``index`` (True, False, or None: unjudged). Its reasons go to the
        sealed detail only."""
        request = judge_request(
            scenario.steps[index - 1].text,
            getattr(spec, "rubric", None),
            detail,
            index,
            evidence,
            journals,
        )
        verdict = self.config.hook.pytest_holdout_judge(request=request, config=self.config)
        if verdict is None:
            verdict = self.model(request)
        detail.judge_reasons.extend(verdict.reasons)
        return verdict.satisfied
