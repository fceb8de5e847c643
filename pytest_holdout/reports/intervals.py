"""Confidence intervals of a satisfaction score, and the sample sizes that reach a given width.

Two methods, and the score says which one it used:

* ``wilson``: the Wilson score interval over judged trials, right when every trial is an
  independent draw, i.e. one trial per scenario.
* ``clustered``: with several trials per scenario, the trials of one scenario are correlated (a
  scenario the software cannot do fails all its trials), so the trials are not independent draws;
  scenarios are. The standard error is the cluster-robust one (CR1: clustered by scenario, with the
  small-sample factor G/(G-1) for G scenarios), as "Adding Error Bars to Evals" (Miller 2024,
  arXiv 2411.00640) recommends. The interval is Wilson's at the *effective* number of trials that
  standard error implies (the trials over the design effect) with Student's t at G-1 degrees of
  freedom instead of the normal quantile: the effective-sample-size construction of Korn and
  Graubard (1998) for clustered survey proportions. Unlike p ± t·SE it stays inside [0, 1] and does
  not shrink to a point when every scenario got the same rate (3 scenarios all satisfied do not
  prove 100%). The design effect is never taken below 1: with few scenarios a smaller estimate is
  noise, and the interval is then never narrower than Wilson's over trials.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

IntervalMethod = Literal["wilson", "clustered"]
LEVEL = 0.95
Z_95 = NormalDist().inv_cdf(0.5 + LEVEL / 2)  # 1.959963984540054
# Beyond this many degrees of freedom t is computed from its expansion around the normal.
_EXACT_DF = 1000


@dataclass(frozen=True)
class Interval:
    lower: float
    upper: float
    level: float = LEVEL
    method: IntervalMethod = "wilson"
    scenarios: int | None = None  # clustered: the clusters (scored scenarios)
    standard_error: float | None = None  # clustered: the CR1 standard error of satisfaction
    design_effect: float | None = None  # clustered: trials over effective trials (>= 1)

    @property
    def half_width(self) -> float:
        return (self.upper - self.lower) / 2


def wilson_interval(successes: float, n: float, z: float = Z_95) -> Interval:
    """The Wilson score interval of ``successes`` in ``n`` trials (``successes`` may be a
    fraction of ``n`` to plan sample sizes, and ``n`` an effective number of trials). Unlike
    p ± z·SE it stays within [0, 1] and does not collapse to a point at 0 or n successes."""
    if n <= 0:
        raise ValueError("the Wilson interval needs at least one trial")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At 0 or n successes the bound is exactly 0 or 1; rounding would leave it a hair inside.
    lower = 0.0 if p <= 0 else max(0.0, centre - half)
    upper = 1.0 if p >= 1 else min(1.0, centre + half)
    return Interval(lower=lower, upper=upper)


def clustered_standard_error(clusters: Sequence[tuple[int, int]]) -> float:
    """The CR1 standard error of the pooled rate sum(s) / sum(n) over ``clusters`` of
    (successes, trials): sqrt(G/(G-1) * sum((s_g - p n_g)^2)) / sum(n). With equal cluster sizes it
    is the standard deviation of the cluster rates over sqrt(G)."""
    groups = len(clusters)
    if groups < 2:
        raise ValueError("a clustered standard error needs at least two clusters")
    trials = sum(n for _, n in clusters)
    p = sum(s for s, _ in clusters) / trials
    residuals = math.fsum((s - p * n) ** 2 for s, n in clusters)
    return math.sqrt(groups / (groups - 1) * residuals) / trials


def clustered_interval(clusters: Sequence[tuple[int, int]]) -> Interval:
    """The 95% interval of the pooled rate over ``clusters`` of (successes, trials), at least two
    of them, each with at least one trial (see the module's docstring)."""
    trials = sum(n for _, n in clusters)
    successes = sum(s for s, _ in clusters)
    p = successes / trials
    error = clustered_standard_error(clusters)
    independent_variance = p * (1 - p) / trials
    design_effect = 1.0
    if independent_variance > 0:
        design_effect = max(1.0, error * error / independent_variance)
    effective = trials / design_effect
    wilson = wilson_interval(p * effective, effective, t_quantile(len(clusters) - 1))
    return Interval(
        lower=wilson.lower,
        upper=wilson.upper,
        method="clustered",
        scenarios=len(clusters),
        standard_error=error,
        design_effect=design_effect,
    )


@functools.lru_cache(maxsize=4096)
def t_quantile(df: int, level: float = LEVEL) -> float:
    """Student's t critical value of a two-sided interval at ``level`` with ``df`` degrees of
    freedom: P(|T| <= t) = level. Exact (bisection on the closed-form distribution for integer
    degrees of freedom) up to 1,000 degrees of freedom, the normal expansion beyond."""
    if df < 1:
        raise ValueError("Student's t needs at least one degree of freedom")
    if df > _EXACT_DF:
        return _t_expansion(df, NormalDist().inv_cdf(0.5 + level / 2))
    low, high = 0.0, 1.0
    while _t_central(high, df) < level:
        high *= 2
    for _ in range(60):  # to well below a float's last digit of a quantile under 1000
        middle = (low + high) / 2
        if _t_central(middle, df) < level:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _t_central(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with integer ``df`` (Abramowitz and Stegun 26.7.3, 26.7.4)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for j in range(2, df, 2):  # 1, (1/2)cos^2, (1*3)/(2*4)cos^4, ... up to cos^(df-2)
            term *= cos2 * (j - 1) / j
            total += term
        return sin * total
    if df == 1:
        return 2 * theta / math.pi
    term = math.sqrt(cos2)
    total = term
    for j in range(3, df - 1, 2):  # cos, (2/3)cos^3, (2*4)/(3*5)cos^5, ... up to cos^(df-2)
        term *= cos2 * (j - 1) / j
        total += term
    return 2 / math.pi * (theta + sin * total)


def _t_expansion(df: int, z: float) -> float:
    """The Cornish-Fisher expansion of t in 1/df (Abramowitz and Stegun 26.7.5)."""
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


def trials_for_half_width(p: float, half_width: float, z: float = Z_95) -> int:
    """The fewest judged trials whose Wilson interval, at an observed rate ``p``, is no wider
    than ± ``half_width``."""
    n = 1
    while wilson_interval(p * n, n, z).half_width > half_width:
        n += 1
    return n


def scenarios_for_half_width(
    p: float, half_width: float, trials: int = 1, correlation: float = 0.0
) -> int:
    """The fewest scenarios, each run ``trials`` times, whose interval at an observed rate ``p``
    is no wider than ± ``half_width``, when the trials of one scenario have intra-scenario
    correlation ``correlation`` (0: independent trials; 1: a scenario always comes out the same
    way). The design effect of k trials per scenario is then 1 + (k - 1)·correlation."""
    if not 0 <= correlation <= 1:
        raise ValueError("the correlation must be between 0 and 1")
    design_effect = 1 + (trials - 1) * correlation

    def wide_enough(scenarios: int) -> bool:
        effective = scenarios * trials / design_effect
        z = t_quantile(scenarios - 1) if trials > 1 else Z_95
        return wilson_interval(p * effective, effective, z).half_width <= half_width

    # The width shrinks as scenarios are added: double, then halve the range.
    low = 1 if trials > 1 else 0  # the largest count known too few (a t needs two scenarios)
    high = 2
    while not wide_enough(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if wide_enough(middle) else (middle, high)
    return high
