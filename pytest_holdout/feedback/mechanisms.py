"""One round of feedback: from the holdout's (and the public split's) per-scenario counts to the
score the agent is told, and the state to keep for the next round.

Each mode answers with a satisfaction (satisfied over judged trials, as the reports compute it):

* ``plain``: the score as measured, every round.
* ``ladder``: a new score only when it beats the last released one by more than the step (1/√N
  by default, N the judged trials of the first round), rounded to a multiple of the step.
* ``parameter-free-ladder``: a new score only when the paired per-scenario difference from the
  last released submission beats one standard error.
* ``thresholdout``: the public split's score, unless it differs from the holdout's by more than a
  noisy threshold; then the noisy holdout score, for one unit of budget; nothing once it is spent.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pytest_holdout.errors import UsageError
from pytest_holdout.feedback import rules
from pytest_holdout.feedback.state import FeedbackState, Mode
from pytest_holdout.reports.scoring import Counts, score_counts

Source = Literal["holdout", "public", "last", "none"]


@dataclass(frozen=True)
class Released:
    """What one round releases, and the state after it (to save before showing anything)."""

    mode: Mode
    round: int
    value: float | None  # the score the agent is told; None: nothing is released
    source: Source  # holdout: measured now; public: the public split's; last: repeated
    budget_left: int | None  # thresholdout only
    sentence: str
    state: FeedbackState = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The public record of the round (nothing secret: no seed, no per-scenario rates)."""
        return {
            "mode": self.mode,
            "round": self.round,
            "value": self.value,
            "source": self.source,
            "budget": self.state.budget,
            "budget_left": self.budget_left,
            "sentence": self.sentence,
            "checkpoint": self.state.checkpoint.to_dict(),
        }


def release(
    state: FeedbackState,
    holdout: Mapping[str, Counts],
    public: Mapping[str, Counts] | None = None,
) -> Released:
    """The release of the next round, by ``state.mode``. ``holdout`` and ``public`` are
    per-scenario counts by opaque id (``count_by_scenario`` of the trials, or a report's
    ``counts_by_id``); ``public`` is the public split's, which thresholdout needs."""
    measured = score_counts(holdout.values())
    score = measured.satisfaction
    if score is not None:
        state = with_defaults(state, measured.total.judged)
    if state.mode == "thresholdout":
        return _thresholdout(state, score, public)
    if score is None:
        return _repeat(state, "no trial was judged this round")
    if state.mode == "plain":
        return _new(state, score, "holdout", "plain: the score as measured")
    if state.mode == "ladder":
        assert state.step is not None
        value = rules.ladder(state.last, score, state.step)
        if value is None:
            return _repeat(state, f"ladder: not better than the last by more than {state.step:.3f}")
        return _new(state, value, "holdout", f"ladder: rounded to a step of {state.step:.3f}")
    rates = {item_id: c.rate for item_id, c in holdout.items() if c.rate is not None}
    baseline = state.baseline
    common = sorted(set(rates) & set(baseline or {}))
    if baseline is not None and common:
        differences = [rates[item_id] - baseline[item_id] for item_id in common]
        if not rules.beats_one_standard_error(differences):
            return _repeat(
                state, "parameter-free ladder: not better than the last by one standard error"
            )
    return _new(state, score, "holdout", "parameter-free ladder", baseline=rates)


DEFAULT_BUDGET = 10


def with_defaults(state: FeedbackState, judged: int) -> FeedbackState:
    """The state with the parameters a keyholder left to their defaults fixed from the first
    round's ``judged`` trials N: the ladder's step 1/√N; thresholdout's threshold 1/√N and noise
    scale a quarter of it (and a budget of 10); kept for every later round."""
    scale = 1 / math.sqrt(judged)
    if state.mode == "ladder" and state.step is None:
        return replace(state, step=scale)
    if state.mode == "thresholdout" and (
        state.threshold is None or state.noise is None or state.budget is None
    ):
        threshold = state.threshold if state.threshold is not None else scale
        return replace(
            state,
            threshold=threshold,
            noise=state.noise if state.noise is not None else threshold / 4,
            budget=state.budget if state.budget is not None else DEFAULT_BUDGET,
        )
    return state


def _thresholdout(
    state: FeedbackState, score: float | None, public: Mapping[str, Counts] | None
) -> Released:
    if state.budget is not None and state.spent >= state.budget:
        return _released(
            state,
            None,
            "none",
            f"thresholdout: the budget of {state.budget} is spent, nothing more is released "
            "until a keyholder starts anew with fresh scenarios",
        )
    if public is None:
        raise UsageError("thresholdout needs the public split's counts")
    public_score = score_counts(public.values()).satisfaction
    if score is None or public_score is None:
        return _repeat(state, "no trial was judged this round in the holdout or the public split")
    assert state.threshold is not None and state.noise is not None and state.budget is not None
    left = state.budget - state.spent
    value = rules.thresholdout_round(
        score,
        public_score,
        threshold=state.threshold,
        noise=state.noise,
        spent=state.spent,
        round=state.round,
        laplace=functools.partial(_laplace, state.seed),
    )
    if value is None:
        return _new(state, public_score, "public", f"thresholdout: budget {left} left")
    return _new(
        state, value, "holdout", f"thresholdout: budget {left - 1} left", spent=state.spent + 1
    )


def _new(state: FeedbackState, value: float, source: Source, why: str, **changes: Any) -> Released:
    return _released(state, value, source, why, last=value, **changes)


def _repeat(state: FeedbackState, why: str) -> Released:
    return _released(state, state.last, "last" if state.last is not None else "none", why)


def _released(
    state: FeedbackState, value: float | None, source: Source, why: str, **changes: Any
) -> Released:
    shown = "none" if value is None else f"{value:.3f}"
    again = " again" if source == "last" else ""
    sentence = f"feedback round {state.round + 1}: {shown}{again} ({why})"
    record = {"value": value, "source": source, "sentence": sentence}
    after = state.advanced(record, **changes)
    return Released(
        mode=state.mode,
        round=after.round,
        value=value,
        source=source,
        budget_left=after.budget_left,
        sentence=sentence,
        state=after,
    )


def _laplace(seed: str, label: str, index: int, scale: float) -> float:
    """A Laplace(0, ``scale``) draw that only the seed's holder can predict, the same every time
    for one (label, index): asking a round again cannot average its noise away."""
    digest = hmac.new(bytes.fromhex(seed), f"{label}:{index}".encode(), hashlib.sha256).digest()
    u = (int.from_bytes(digest[:8], "big") + 0.5) / 2**64 - 0.5  # uniform on (-1/2, 1/2)
    return -scale * math.copysign(1.0, u) * math.log(1 - 2 * abs(u))
