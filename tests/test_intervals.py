"""The intervals of a satisfaction score: Wilson's over trials, and clustered by scenario."""

from __future__ import annotations

import math
import random

import pytest

from pytest_holdout.outcomes.records import Status, TrialOutcome
from pytest_holdout.reports.intervals import (
    clustered_interval,
    clustered_standard_error,
    scenarios_for_half_width,
    t_quantile,
    trials_for_half_width,
    wilson_interval,
)
from pytest_holdout.reports.scoring import evaluate_gate, score
from pytest_holdout.reports.summary import terminal_lines

# -- the Wilson interval -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "lower", "upper"),
    [  # published values (Newcombe 1998, table I, method 3; Brown, Cai & DasGupta 2001)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_the_wilson_interval_matches_published_values(
    successes: int, n: int, lower: float, upper: float
) -> None:
    interval = wilson_interval(successes, n)
    assert interval.lower == pytest.approx(lower, abs=5e-5)
    assert interval.upper == pytest.approx(upper, abs=5e-5)


@pytest.mark.parametrize("n", [1, 5, 30, 400])
def test_the_interval_holds_the_rate_stays_in_0_1_and_is_symmetric(n: int) -> None:
    for successes in range(n + 1):
        interval = wilson_interval(successes, n)
        assert 0 <= interval.lower <= successes / n <= interval.upper <= 1
        mirror = wilson_interval(n - successes, n)
        assert interval.lower == pytest.approx(1 - mirror.upper)


def test_the_interval_narrows_as_trials_accumulate() -> None:
    widths = [wilson_interval(0.9 * n, n).half_width for n in (10, 40, 160, 640)]
    assert widths == sorted(widths, reverse=True)
    assert widths[0] > 2 * widths[-2] > 4 * widths[-1]


@pytest.mark.parametrize("p", [0.5, 0.8, 0.9, 0.95])
@pytest.mark.parametrize("half_width", [0.05, 0.10])
def test_trials_for_half_width_is_the_fewest_that_reach_it(p: float, half_width: float) -> None:
    n = trials_for_half_width(p, half_width)
    assert wilson_interval(p * n, n).half_width <= half_width
    assert wilson_interval(p * (n - 1), n - 1).half_width > half_width


# -- Student's t ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "critical"),
    [  # two-sided 95% critical values, as printed in every table of Student's t
        (1, 12.706),
        (2, 4.303),
        (3, 3.182),
        (4, 2.776),
        (9, 2.262),
        (10, 2.228),
        (29, 2.045),
        (60, 2.000),
        (120, 1.980),
    ],
)
def test_t_quantile_matches_the_tables(df: int, critical: float) -> None:
    assert t_quantile(df) == pytest.approx(critical, abs=5e-4)


def test_t_quantile_joins_the_normal_smoothly_past_the_exact_range() -> None:
    exact, expanded = t_quantile(1000), t_quantile(1001)
    assert 0 < exact - expanded < 1e-5
    assert t_quantile(10**6) == pytest.approx(1.959964, abs=1e-5)


# -- clustered by scenario -----------------------------------------------------------------------


def trials_of(clusters: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(cluster, outcome) per trial."""
    return [
        (g, 1 if i < successes else 0)
        for g, (successes, n) in enumerate(clusters)
        for i in range(n)
    ]


def sandwich_standard_error(clusters: list[tuple[int, int]]) -> float:
    """A second implementation, from trials: the cluster-robust (sandwich) variance of the
    intercept of y = b + u, bread 1/N, meat the sum over clusters of the squared sum of their
    residuals, times the CR1 factor G/(G-1) (Stata's, with one regressor)."""
    rows = trials_of(clusters)
    n = len(rows)
    mean = sum(y for _, y in rows) / n
    sums: dict[int, float] = {}
    for g, y in rows:
        sums[g] = sums.get(g, 0.0) + (y - mean)
    meat = sum(total * total for total in sums.values())
    groups = len(clusters)
    return math.sqrt(groups / (groups - 1) * meat / (n * n))


def miller_standard_error(clusters: list[tuple[int, int]]) -> float:
    """A third, Miller 2024's equation: the independent-trials variance plus the cross terms of
    every pair of distinct trials in one cluster, then the same CR1 factor."""
    rows = trials_of(clusters)
    n = len(rows)
    mean = sum(y for _, y in rows) / n
    variance = sum((y - mean) ** 2 for _, y in rows) / (n * n)
    cross = sum(
        (y - mean) * (z - mean)
        for i, (g, y) in enumerate(rows)
        for j, (h, z) in enumerate(rows)
        if g == h and i != j
    )
    groups = len(clusters)
    return math.sqrt(groups / (groups - 1) * (variance + cross / (n * n)))


@pytest.mark.parametrize(
    "clusters",
    [
        [(4, 4), (2, 4), (0, 4), (0, 4)],
        [(3, 3)] * 8 + [(2, 3)] * 2,
        [(5, 5), (1, 3), (0, 1), (2, 2), (7, 9)],  # unequal sizes
        [(2, 4), (2, 4), (2, 4)],  # identical rates: no spread between scenarios
    ],
)
def test_the_clustered_standard_error_matches_two_independent_computations(
    clusters: list[tuple[int, int]],
) -> None:
    error = clustered_standard_error(clusters)
    assert error == pytest.approx(sandwich_standard_error(clusters), abs=1e-12)
    assert error == pytest.approx(miller_standard_error(clusters), abs=1e-12)


def test_the_issues_example_4_scenarios_of_4_trials_at_0_375() -> None:
    clusters = [(4, 4), (2, 4), (0, 4), (0, 4)]
    assert wilson_interval(6, 16).lower == pytest.approx(0.185, abs=5e-4)  # what it used to say
    interval = clustered_interval(clusters)
    assert interval.standard_error == pytest.approx(0.239, abs=5e-4)
    # By hand: design effect = SE^2 / (p(1-p)/N), effective trials N / deff, t with 3 df.
    p, n = 6 / 16, 16
    deff = interval.standard_error**2 / (p * (1 - p) / n)
    assert interval.design_effect == pytest.approx(deff)
    expected = wilson_interval(p * n / deff, n / deff, t_quantile(3))
    assert (interval.lower, interval.upper) == pytest.approx((expected.lower, expected.upper))
    assert (round(interval.lower, 3), round(interval.upper, 3)) == (0.046, 0.882)


def test_equal_rates_or_all_satisfied_do_not_collapse_the_interval() -> None:
    everything = clustered_interval([(3, 3)] * 3)
    assert everything.upper == 1.0 and everything.lower < 0.7  # 3 scenarios prove little
    assert everything.design_effect == 1.0
    same = clustered_interval([(2, 4)] * 5)
    assert same.lower < 0.5 < same.upper
    # never narrower than Wilson's over the same trials
    assert same.half_width > wilson_interval(10, 20).half_width


def simulated_coverage(method: str, runs: int = 1500) -> float:
    """How often the 95% interval holds the true rate: 8 scenarios of 5 trials, each scenario's
    own rate drawn from Beta(2, 1) (mean 2/3), as scenarios differ in difficulty."""
    rng = random.Random(2024)
    truth = 2 / 3
    held = 0
    for _ in range(runs):
        clusters = []
        for _ in range(8):
            rate = rng.betavariate(2, 1)
            clusters.append((sum(rng.random() < rate for _ in range(5)), 5))
        successes = sum(s for s, _ in clusters)
        if method == "wilson":
            interval = wilson_interval(successes, 40)
        else:
            interval = clustered_interval(clusters)
        held += interval.lower <= truth <= interval.upper
    return held / runs


def test_the_clustered_interval_covers_the_truth_where_wilson_over_trials_does_not() -> None:
    assert simulated_coverage("wilson") < 0.88  # 0.86 with this seed
    assert simulated_coverage("clustered") > 0.94  # 0.965


def outcomes_of(clusters: list[tuple[int, int]]) -> list[TrialOutcome]:
    def status(i: int, successes: int) -> Status:
        return "satisfied" if i < successes else "unsatisfied"

    return [
        TrialOutcome(f"S-aaaaaaaaaaaa-{g}", i + 1, status(i, successes))
        for g, (successes, n) in enumerate(clusters, 1)
        for i in range(n)
    ]


def test_the_score_clusters_with_several_trials_and_keeps_wilson_with_one() -> None:
    several = score(outcomes_of([(4, 4), (2, 4), (0, 4), (0, 4)]))
    assert several.interval == clustered_interval([(0, 4), (0, 4), (2, 4), (4, 4)])
    one = score(outcomes_of([(1, 1), (0, 1), (1, 1)]))
    assert one.interval is not None and one.interval.method == "wilson"
    assert one.interval == wilson_interval(2, 3)
    lone = score(outcomes_of([(3, 5)]))  # a single scenario: no spread to estimate
    assert lone.interval == wilson_interval(3, 5)


def test_the_report_and_the_gate_name_the_method() -> None:
    result = score(outcomes_of([(4, 4), (2, 4), (0, 4), (0, 4)]))
    gate = evaluate_gate(result, 0.3, "lower")
    assert not gate.passed
    lines = terminal_lines(result, gate)
    assert lines[0] == (
        "satisfaction  0.375  (95% CI 0.046-0.882 clustered by scenario, 6 of 16 judged trials)"
    )
    assert lines[-1] == "gate: lower bound (clustered by scenario) 0.046 < 0.300 (missed by 0.254)"


# -- planning ------------------------------------------------------------------------------------


def half_width_of(p: float, scenarios: int, trials: int, correlation: float) -> float:
    effective = scenarios * trials / (1 + (trials - 1) * correlation)
    return wilson_interval(p * effective, effective, t_quantile(scenarios - 1)).half_width


@pytest.mark.parametrize(
    ("p", "width", "trials", "correlation"), [(0.9, 0.05, 3, 0.3), (0.8, 0.1, 5, 1.0)]
)
def test_scenarios_for_half_width_is_the_fewest_that_reach_it(
    p: float, width: float, trials: int, correlation: float
) -> None:
    g = scenarios_for_half_width(p, width, trials, correlation)
    assert half_width_of(p, g, trials, correlation) <= width
    assert half_width_of(p, g - 1, trials, correlation) > width


def test_with_one_trial_per_scenario_scenarios_are_trials() -> None:
    assert scenarios_for_half_width(0.9, 0.05) == trials_for_half_width(0.9, 0.05)


def test_more_trials_help_only_as_far_as_trials_of_a_scenario_differ() -> None:
    independent = scenarios_for_half_width(0.9, 0.05, trials=5, correlation=0.0)
    identical = scenarios_for_half_width(0.9, 0.05, trials=5, correlation=1.0)
    assert independent < trials_for_half_width(0.9, 0.05) / 4
    assert identical >= trials_for_half_width(0.9, 0.05)  # 5 copies of one outcome add nothing
