"""Satisfaction scores and the gate, as the figures a user reads."""

from __future__ import annotations

import random
import statistics

import pytest

from pytest_holdout.errors import UsageError
from pytest_holdout.outcomes.records import Status, TrialOutcome
from pytest_holdout.reports.intervals import wilson_interval
from pytest_holdout.reports.scoring import (
    Counts,
    breakdown,
    count_by_scenario,
    evaluate_gate,
    score,
)


def trials(item_id: str, *statuses: Status) -> list[TrialOutcome]:
    return [TrialOutcome(item_id, n, status) for n, status in enumerate(statuses, 1)]


def run_of(satisfied: int, unsatisfied: int) -> list[TrialOutcome]:
    """One trial each of ``satisfied + unsatisfied`` scenarios."""
    return [
        TrialOutcome(
            f"S-00000000000{n % 10}-{n}", 1, "satisfied" if n < satisfied else "unsatisfied"
        )
        for n in range(satisfied + unsatisfied)
    ]


# -- the figures ---------------------------------------------------------------------------------


def test_satisfaction_is_satisfied_over_judged_trials_with_its_interval() -> None:
    result = score(run_of(28, 2))
    assert result.satisfaction == 28 / 30
    assert result.interval == wilson_interval(28, 30)
    assert (result.total.satisfied, result.total.judged) == (28, 30)


def test_unjudged_and_pending_trials_count_neither_way_but_are_counted() -> None:
    judged = run_of(7, 3)
    extra = trials("S-aaaaaaaaaaaa-1", "unjudged", "pending", "pending")
    with_extra = score([*judged, *extra])
    assert with_extra.satisfaction == score(judged).satisfaction == 0.7
    assert with_extra.interval == score(judged).interval
    assert (with_extra.total.unjudged, with_extra.total.pending) == (1, 2)
    assert with_extra.scenarios("unscored") == 1


def test_no_judged_trial_gives_no_satisfaction_and_no_interval() -> None:
    result = score(trials("S-aaaaaaaaaaaa-1", "pending", "unjudged"))
    assert result.satisfaction is None
    assert result.interval is None
    assert result.pass_k is None


def test_each_scenario_is_satisfied_partly_or_not() -> None:
    result = score(
        [
            *trials("S-aaaaaaaaaaaa-1", "satisfied", "satisfied", "satisfied"),
            *trials("S-aaaaaaaaaaaa-2", "satisfied", "unsatisfied", "satisfied"),
            *trials("S-aaaaaaaaaaaa-3", "unsatisfied", "unsatisfied", "unsatisfied"),
            *trials("S-aaaaaaaaaaaa-4", "satisfied", "unjudged", "satisfied"),
            *trials("S-aaaaaaaaaaaa-5", "pending", "pending", "pending"),
        ]
    )
    counts = {
        verdict: result.scenarios(verdict) for verdict in ("satisfied", "partly", "not", "unscored")
    }
    assert counts == {"satisfied": 2, "partly": 1, "not": 1, "unscored": 1}
    assert result.k == 3
    # pass^3: scenarios 1 and 4 satisfied every judged trial, out of four scored scenarios
    assert result.pass_k == 2 / 4


def test_a_scenarios_rate_and_pass_k() -> None:
    partly = Counts(satisfied=2, unsatisfied=1)
    assert partly.rate == 2 / 3
    assert not partly.pass_k
    assert Counts(satisfied=3).pass_k
    assert Counts(pending=3).rate is None


def test_the_mean_of_scenario_rates_has_a_standard_error_clustered_by_scenario() -> None:
    patterns = [("satisfied",) * 3, ("satisfied", "unsatisfied", "satisfied"), ("unsatisfied",) * 3]
    outcomes = [
        outcome
        for n, pattern in enumerate(patterns, 1)
        for outcome in trials(f"S-aaaaaaaaaaaa-{n}", *pattern)
    ]
    mean = score(outcomes).scenario_mean
    assert mean is not None
    rates = [1, 2 / 3, 0]
    assert mean.mean == pytest.approx(statistics.mean(rates))
    assert mean.standard_error == pytest.approx(statistics.stdev(rates) / len(rates) ** 0.5)
    assert mean.scenarios == 3


def test_one_trial_per_scenario_has_no_scenario_mean() -> None:
    assert score(run_of(5, 5)).scenario_mean is None


def test_a_single_scenario_has_a_mean_but_no_standard_error() -> None:
    mean = score(trials("S-aaaaaaaaaaaa-1", "satisfied", "unsatisfied")).scenario_mean
    assert mean is not None
    assert (mean.mean, mean.standard_error) == (0.5, None)


def test_the_score_does_not_depend_on_the_order_trials_finished_in() -> None:
    outcomes = [
        *trials("S-aaaaaaaaaaaa-1", "satisfied", "unsatisfied", "pending"),
        *trials("S-bbbbbbbbbbbb-1", "unsatisfied", "unjudged"),
        *run_of(6, 4),
    ]
    expected = score(outcomes)
    for seed in range(5):
        shuffled = outcomes[:]
        random.Random(seed).shuffle(shuffled)
        assert score(shuffled) == expected


def test_breakdown_scores_each_label_over_the_scenarios_that_carry_it() -> None:
    outcomes = [
        *trials("S-aaaaaaaaaaaa-1", "satisfied", "satisfied"),
        *trials("S-aaaaaaaaaaaa-2", "unsatisfied", "satisfied"),
        *trials("S-bbbbbbbbbbbb-1", "unsatisfied", "unsatisfied"),
    ]
    labels = {
        "S-aaaaaaaaaaaa-1": ["Sign in", "smoke"],
        "S-aaaaaaaaaaaa-2": ["Sign in"],
        "S-bbbbbbbbbbbb-1": ["Billing", "smoke"],
    }
    groups = breakdown(count_by_scenario(outcomes), labels)
    assert list(groups) == ["Billing", "Sign in", "smoke"]
    assert groups["Sign in"].satisfaction == 3 / 4
    assert groups["smoke"].satisfaction == 2 / 4
    assert groups["Billing"].scenarios("not") == 1


# -- the gate ------------------------------------------------------------------------------------


def test_the_point_gate_compares_satisfaction_and_says_by_how_much_it_cleared() -> None:
    gate = evaluate_gate(score(run_of(28, 2)), 0.9, "point")
    assert gate.enabled and gate.passed
    assert gate.value == 28 / 30
    assert gate.margin == pytest.approx(28 / 30 - 0.9)
    assert gate.sentence == "gate: satisfaction 0.933 >= 0.900 (cleared by 0.033)"


def test_the_point_gate_fails_below_the_minimum() -> None:
    gate = evaluate_gate(score(run_of(26, 4)), 0.9, "point")
    assert not gate.passed
    assert gate.margin is not None and gate.margin < 0
    assert gate.sentence == "gate: satisfaction 0.867 < 0.900 (missed by 0.033)"


def test_the_lower_gate_compares_the_wilson_lower_bound() -> None:
    result = score(run_of(28, 2))
    point = evaluate_gate(result, 0.8, "point")
    lower = evaluate_gate(result, 0.8, "lower")
    assert point.passed and not lower.passed  # 0.933 clears 0.8, its lower bound 0.787 does not
    assert result.interval is not None
    assert lower.value == result.interval.lower
    assert lower.sentence == "gate: Wilson lower bound 0.787 < 0.800 (missed by 0.013)"


def test_exactly_the_minimum_passes() -> None:
    assert evaluate_gate(score(run_of(9, 1)), 0.9).passed


def test_numbers_that_round_alike_are_shown_with_more_digits() -> None:
    gate = evaluate_gate(score(run_of(8996, 1004)), 0.9)
    assert gate.sentence == "gate: satisfaction 0.8996 < 0.9000 (missed by 0.0004)"


def test_without_a_minimum_there_is_no_gate() -> None:
    gate = evaluate_gate(score(run_of(0, 10)), None)
    assert not gate.enabled and gate.passed
    assert "fail the session as any pytest item" in gate.sentence


def test_a_gate_with_no_judged_trial_fails() -> None:
    gate = evaluate_gate(score(trials("S-aaaaaaaaaaaa-1", "pending")), 0.5)
    assert gate.enabled and not gate.passed
    assert gate.sentence == "gate: no judged trials, so no satisfaction to compare with 0.500"


@pytest.mark.parametrize(
    ("minimum", "mode", "message"),
    [
        (0.9, "upper", "--holdout-gate=upper: choose one of point, lower"),
        (1.5, "point", "--holdout-min-satisfaction=1.5: must be between 0 and 1"),
        (-0.1, "lower", "--holdout-min-satisfaction=-0.1: must be between 0 and 1"),
    ],
)
def test_a_wrong_gate_setting_is_a_one_line_usage_error(
    minimum: float, mode: str, message: str
) -> None:
    with pytest.raises(UsageError) as raised:
        evaluate_gate(score(run_of(1, 1)), minimum, mode)
    assert str(raised.value) == message
