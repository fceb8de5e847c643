"""A run of feedback rounds on one state file: what ``holdout loop`` keeps across its rounds, and
what the plugin makes for its single round.

Every round loads the state and checks it is exactly the one the last round saved (the
checkpoint kept in memory, or handed in from wherever the caller keeps it), releases, and saves
the next state before anything is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_holdout.feedback.mechanisms import Released, release
from pytest_holdout.feedback.state import (
    RESET_HINT,
    Checkpoint,
    FeedbackState,
    FeedbackStateError,
    Mode,
    split_digest,
)
from pytest_holdout.reports.scoring import Counts
from pytest_holdout.store.keys import Identity

PARAMETERS = ("step", "threshold", "noise", "budget")


class Feedback:
    """Feedback rounds in ``mode`` on the state at ``path``, sealed with ``identities``.

    ``reset`` starts a new run (a fresh state, saved at once); otherwise the state must exist,
    be this mode's, and be bound to the same ``public_split`` (the opaque ids of the scenarios
    the agent may see; thresholdout needs one). ``expect`` is the checkpoint of the last round
    when the caller kept it from an earlier process. ``parameters`` (step, threshold, noise,
    budget; None for the default) are fixed when a run starts."""

    def __init__(
        self,
        path: Path,
        identities: Sequence[Identity],
        mode: Mode,
        *,
        reset: bool = False,
        public_split: Sequence[str] | None = None,
        expect: Checkpoint | None = None,
        **parameters: float | None,
    ) -> None:
        unknown = set(parameters) - set(PARAMETERS)
        if unknown:
            raise TypeError(f"unknown feedback parameters: {', '.join(sorted(unknown))}")
        self.path = Path(path)
        self.identities = list(identities)
        digest = split_digest(public_split) if public_split is not None else None
        if mode == "thresholdout" and digest is None:
            raise FeedbackStateError(
                "thresholdout needs a public split: the scenario files the agent may see, "
                "[tool.holdout] public_split in pyproject.toml"
            )
        if reset:
            given = {name: value for name, value in parameters.items() if value is not None}
            if "budget" in given:
                given["budget"] = int(given["budget"])
            state = FeedbackState.fresh(mode, public_split=digest, **given)
            state.save(self.path, self.identities)
        else:
            state = FeedbackState.load(self.path, self.identities, expect)
            self._check_continues(state, mode, digest, parameters)
        self.checkpoint = state.checkpoint

    def _check_continues(
        self,
        state: FeedbackState,
        mode: Mode,
        digest: str | None,
        parameters: Mapping[str, Any],
    ) -> None:
        if state.mode != mode:
            raise FeedbackStateError(
                f"{self.path}: the state of a {state.mode} run, not {mode}; {RESET_HINT}"
            )
        if state.public_split != digest:
            raise FeedbackStateError(
                f"{self.path}: the public split changed since this run started; {RESET_HINT}"
            )
        for name, value in parameters.items():
            fixed = getattr(state, name)
            if value is not None and fixed is not None and value != fixed:
                raise FeedbackStateError(
                    f"{self.path}: this run's {name} is {fixed:g}, not {value:g}; {RESET_HINT}"
                )

    def round(
        self, holdout: Mapping[str, Counts], public: Mapping[str, Counts] | None = None
    ) -> Released:
        """Release one round: the state is checked, advanced and saved before this returns."""
        state = FeedbackState.load(self.path, self.identities, self.checkpoint)
        released = release(state, holdout, public)
        released.state.save(self.path, self.identities)
        self.checkpoint = released.state.checkpoint
        return released
