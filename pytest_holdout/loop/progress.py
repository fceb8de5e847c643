"""When the loop stops, and the lines it shows: one per round, and one for the end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REACHED = "reached"
ROUND_LIMIT = "round limit"
NO_IMPROVEMENT = "no improvement"


@dataclass
class Progress:
    """The rounds so far. ``record`` takes each round's released satisfaction (None when it
    judged nothing) and says why to stop, or None to go on."""

    target: float
    max_rounds: int
    patience: int | None = None
    rounds: int = 0
    best: float | None = None
    best_round: int = 0
    stale: int = 0  # rounds since the last improvement

    def record(self, satisfaction: float | None) -> str | None:
        self.rounds += 1
        if satisfaction is not None and (self.best is None or satisfaction > self.best):
            self.best, self.best_round, self.stale = satisfaction, self.rounds, 0
        else:
            self.stale += 1
        if satisfaction is not None and satisfaction >= self.target:
            return REACHED
        if self.rounds >= self.max_rounds:
            return ROUND_LIMIT
        if self.patience is not None and self.stale >= self.patience:
            return NO_IMPROVEMENT
        return None

    def final_line(self, reason: str) -> str:
        if reason == REACHED:
            return f"target {self.target:.3f} reached in round {self.rounds}"
        best = (
            "nothing judged"
            if self.best is None
            else f"best {self.best:.3f} in round {self.best_round}"
        )
        if reason == NO_IMPROVEMENT:
            why = f"{self.stale} round(s) without improvement (--patience {self.patience})"
        else:
            why = f"{self.rounds} round(s) (--max-rounds {self.max_rounds})"
        return f"target {self.target:.3f} not reached after {why}: {best}"


def round_line(
    round_number: int, feedback: Mapping[str, Any], seconds: float, note: str = ""
) -> str:
    """``round 2: satisfaction 0.750 (95% CI 0.301-0.954, 3 of 4 judged trials) in 4.1 s``, or
    under a reusable-holdout rule ``round 2: released 0.500 again (ladder: ...) in 4.1 s``."""
    satisfaction = feedback.get("satisfaction")
    release = feedback.get("release")
    if release:  # a reusable-holdout rule: its own sentence says what it released, and why
        figure = "released " + str(release["sentence"]).partition(": ")[2]
    elif satisfaction is None:
        figure = "no judged trial"
    else:
        figure = f"satisfaction {satisfaction:.3f}"
        details = []
        interval = feedback.get("interval")
        if interval:
            level = round(interval["level"] * 100)
            details.append(f"{level}% CI {interval['lower']:.3f}-{interval['upper']:.3f}")
        trials = feedback.get("trials")
        if trials:
            details.append(f"{trials['satisfied']} of {trials['judged']} judged trials")
        if details:
            figure += f" ({', '.join(details)})"
    line = f"round {round_number}: {figure} in {seconds:.1f} s"
    return f"{line}; {note}" if note else line
