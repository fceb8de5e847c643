"""Satisfaction scores: how many holdout trials the software satisfied, with the uncertainty.

Every figure is computed from per-scenario counts of trial statuses and nothing else, so a score
does not depend on the order in which trials finished, and the counts of several runs (shards of
one suite) add up to exactly the score of one run over all of them.

``unjudged`` (a model judge had no API key) and ``pending`` (not run: no key) trials count neither
way: they are left out of every rate and reported as counts. In a gated run a trial the signed
manifest implies that never ran is ``unsatisfied`` (reason ``not run``); the score also says how
many of those there were.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pytest_holdout.errors import UsageError
from pytest_holdout.outcomes.records import STATUSES, TrialOutcome
from pytest_holdout.reports.intervals import (
    Interval,
    IntervalMethod,
    clustered_interval,
    wilson_interval,
)

Verdict = Literal["satisfied", "partly", "not", "unscored"]
VERDICTS: tuple[Verdict, ...] = ("satisfied", "partly", "not", "unscored")
GateMode = Literal["point", "lower"]
GATE_MODES: tuple[GateMode, ...] = ("point", "lower")
#: Who enforces a gate: a whole run's pytest session (its exit status), nobody (a shard records
#: its gate for ``holdout report merge``, which enforces it on the merged score), or that merge.
GateScope = Literal["run", "shard", "merge"]
LOWER_BOUND: dict[IntervalMethod, str] = {
    "wilson": "Wilson lower bound",
    "clustered": "lower bound (clustered by scenario)",
}


@dataclass(frozen=True, order=True)
class Counts:
    """How one scenario's trials came out, fields in the order of ``STATUSES``. Ordered, so that
    a list of them sorts canonically."""

    satisfied: int = 0
    unsatisfied: int = 0
    unjudged: int = 0
    pending: int = 0

    @property
    def judged(self) -> int:
        return self.satisfied + self.unsatisfied

    @property
    def trials(self) -> int:
        return self.judged + self.unjudged + self.pending

    @property
    def rate(self) -> float | None:
        """Satisfied trials over judged trials; None when no trial was judged."""
        return self.satisfied / self.judged if self.judged else None

    @property
    def verdict(self) -> Verdict:
        """``satisfied`` in every judged trial, ``partly``, ``not`` in any, or ``unscored``."""
        if not self.judged:
            return "unscored"
        if not self.unsatisfied:
            return "satisfied"
        return "not" if not self.satisfied else "partly"

    @property
    def pass_k(self) -> bool:
        """pass^k: every one of the scenario's k judged trials satisfied."""
        return self.verdict == "satisfied"

    def as_list(self) -> list[int]:
        return [self.satisfied, self.unsatisfied, self.unjudged, self.pending]

    @classmethod
    def from_list(cls, values: Iterable[int]) -> Counts:
        return cls(*values)

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.as_list(), other.as_list(), strict=True)))


@dataclass(frozen=True)
class ScenarioMean:
    """The mean of per-scenario rates, with a standard error that treats each scenario as one
    cluster: trials of one scenario are not independent of each other, scenarios are."""

    mean: float
    standard_error: float | None  # None with a single scored scenario
    scenarios: int


@dataclass(frozen=True)
class Score:
    counts: tuple[Counts, ...]  # one per scenario, sorted: anonymous, enough to rebuild the rest
    # Of the unsatisfied trials, those that never ran (a gated run); None where nothing says
    # which trials were owed (a run without the signed manifest).
    not_run: int | None = None

    @property
    def total(self) -> Counts:
        return sum(self.counts, Counts())

    @property
    def satisfaction(self) -> float | None:
        """Satisfied trials over all judged trials; None when none was judged."""
        return self.total.rate

    @property
    def interval(self) -> Interval | None:
        """The 95% interval of ``satisfaction``: clustered by scenario when some scenario had
        more than one judged trial (and at least two were scored), else Wilson's over trials
        (see ``intervals``)."""
        total = self.total
        if not total.judged:
            return None
        scored = [(c.satisfied, c.judged) for c in self.counts if c.judged]
        if len(scored) > 1 and any(judged > 1 for _, judged in scored):
            return clustered_interval(scored)
        return wilson_interval(total.satisfied, total.judged)

    @property
    def k(self) -> int:
        """Trials per scenario (the most any scenario had)."""
        return max((c.trials for c in self.counts), default=0)

    def scenarios(self, verdict: Verdict) -> int:
        return sum(1 for c in self.counts if c.verdict == verdict)

    @property
    def scored(self) -> int:
        """Scenarios with at least one judged trial."""
        return len(self.counts) - self.scenarios("unscored")

    @property
    def pass_k(self) -> float | None:
        """The share of scored scenarios satisfied in every one of their judged trials."""
        return self.scenarios("satisfied") / self.scored if self.scored else None

    @property
    def scenario_mean(self) -> ScenarioMean | None:
        """With more than one trial per scenario: the mean of the scenarios' rates."""
        rates = [c.rate for c in self.counts if c.rate is not None]
        if self.k < 2 or not rates:
            return None
        mean = math.fsum(rates) / len(rates)
        error = None
        if len(rates) > 1:
            variance = math.fsum((rate - mean) ** 2 for rate in rates) / (len(rates) - 1)
            error = math.sqrt(variance / len(rates))
        return ScenarioMean(mean=mean, standard_error=error, scenarios=len(rates))


def count_by_scenario(outcomes: Iterable[TrialOutcome]) -> dict[str, Counts]:
    """Each scenario's counts, by opaque id, sorted by id."""
    tallies: dict[str, list[int]] = defaultdict(lambda: [0] * len(STATUSES))
    for outcome in outcomes:
        tallies[outcome.item_id][STATUSES.index(outcome.status)] += 1
    return {item_id: Counts.from_list(tallies[item_id]) for item_id in sorted(tallies)}


def score(outcomes: Iterable[TrialOutcome], not_run: int | None = None) -> Score:
    return score_counts(count_by_scenario(outcomes).values(), not_run)


def score_counts(counts: Iterable[Counts], not_run: int | None = None) -> Score:
    return Score(counts=tuple(sorted(counts)), not_run=not_run)


def breakdown(
    counts_by_id: Mapping[str, Counts], labels: Mapping[str, Iterable[str]]
) -> dict[str, Score]:
    """A score per label (a feature, a tag), for the sealed report only.

    ``counts_by_id`` is ``count_by_scenario(outcomes)`` or ``report_json.counts_by_id(report)``;
    ``labels`` maps each scenario's opaque id to its labels, and a scenario counts under every
    label it carries."""
    by_label: dict[str, list[Counts]] = defaultdict(list)
    for item_id, counts in counts_by_id.items():
        for label in set(labels.get(item_id, ())):
            by_label[label].append(counts)
    return {label: score_counts(by_label[label]) for label in sorted(by_label)}


@dataclass(frozen=True)
class GateResult:
    """What the satisfaction gate decided, and a sentence saying which rule applied."""

    enabled: bool
    passed: bool  # False only when an enabled gate failed
    mode: GateMode | None = None
    minimum: float | None = None
    value: float | None = None  # the figure compared with ``minimum``
    margin: float | None = None  # value - minimum: positive when it cleared
    interval_method: IntervalMethod = "wilson"  # the lower bound's, for the sentence
    scope: GateScope = "run"

    @property
    def enforced(self) -> bool:
        """Whether this gate decides an exit status (a shard's only records it)."""
        return self.scope != "shard"

    @property
    def sentence(self) -> str:
        if not self.enabled and self.scope == "merge":
            return (
                "gate: none (the shards ran without --holdout-min-satisfaction, so the merge "
                "exits 0 whatever the score)"
            )
        if not self.enabled:
            return "gate: none (failed holdout items fail the session as any pytest item does)"
        if not self.enforced:
            return (
                f"{self._comparison} on this shard alone; recorded, not enforced: "
                "`holdout report merge` enforces it on the merged score"
            )
        return self._comparison

    @property
    def _comparison(self) -> str:
        assert self.minimum is not None
        figure = "satisfaction" if self.mode == "point" else LOWER_BOUND[self.interval_method]
        if self.value is None or self.margin is None:
            return f"gate: no judged trials, so no {figure} to compare with {self.minimum:.3f}"
        digits = _digits(self.value, self.minimum)
        value, minimum = f"{self.value:.{digits}f}", f"{self.minimum:.{digits}f}"
        if self.passed:
            return f"gate: {figure} {value} >= {minimum} (cleared by {self.margin:.{digits}f})"
        return f"gate: {figure} {value} < {minimum} (missed by {-self.margin:.{digits}f})"

    def to_dict(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "passed": self.passed,
            "mode": self.mode,
            "minimum": self.minimum,
            "value": self.value,
            "margin": self.margin,
            "enforced": self.enabled and self.enforced,
            "sentence": self.sentence,
        }


NO_GATE = GateResult(enabled=False, passed=True)


def evaluate_gate(
    score: Score, minimum: float | None, mode: str = "point", scope: GateScope = "run"
) -> GateResult:
    """Compare the score with ``--holdout-min-satisfaction``: the point estimate (``point``) or
    the 95% interval's lower bound (``lower``: Wilson's, or clustered by scenario). No minimum,
    no gate. No judged trial fails the gate: a gate that measured nothing must not let a change
    through. ``scope`` says who enforces it (see ``GateScope``)."""
    if minimum is None:
        return NO_GATE if scope == "run" else GateResult(enabled=False, passed=True, scope=scope)
    if mode not in GATE_MODES:
        raise UsageError(f"--holdout-gate={mode}: choose one of {', '.join(GATE_MODES)}")
    if not 0 <= minimum <= 1:
        raise UsageError(f"--holdout-min-satisfaction={minimum}: must be between 0 and 1")
    gate_mode: GateMode = "point" if mode == "point" else "lower"
    interval = score.interval
    value = score.satisfaction if gate_mode == "point" else interval.lower if interval else None
    method: IntervalMethod = interval.method if interval else "wilson"
    if value is None:
        return GateResult(
            enabled=True,
            passed=False,
            mode=gate_mode,
            minimum=minimum,
            interval_method=method,
            scope=scope,
        )
    return GateResult(
        enabled=True,
        passed=value >= minimum,
        mode=gate_mode,
        minimum=minimum,
        value=value,
        margin=value - minimum,
        interval_method=method,
        scope=scope,
    )


def _digits(value: float, minimum: float) -> int:
    """Three decimals, or more where three would make two different numbers look equal."""
    digits = 3
    while digits < 9 and value != minimum and f"{value:.{digits}f}" == f"{minimum:.{digits}f}":
        digits += 1
    return digits
