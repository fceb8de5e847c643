"""The release rules, as pure functions of numbers: what each mode answers in one round.

They know nothing of files, keys or randomness: the caller passes the scores and, for
thresholdout, the noise already drawn. So the mechanism (``mechanisms``) and the benchmark
(``benchmarks/bench_adaptive.py``) run the very same rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

# A Laplace(0, scale) draw for (label, index, scale): the same for the same arguments.
Laplace = Callable[[str, int, float], float]


def ladder(last: float | None, score: float, step: float) -> float | None:
    """The Ladder (Blum and Hardt 2015, arXiv 1502.04585, Algorithm 1), for a score where higher
    is better: a new value only when ``score`` beats the ``last`` released one by more than
    ``step``, released rounded to a multiple of ``step``; None means "release the last one
    again". The first score (``last`` None) is always released."""
    if last is not None and score <= last + step:
        return None
    return min(1.0, max(0.0, round(score / step) * step))


def beats_one_standard_error(differences: Sequence[float]) -> bool:
    """The parameter-free Ladder's test (Blum and Hardt 2015, Algorithm 2): the mean of the
    paired per-scenario differences from the last released submission exceeds its standard
    error, the differences' sample standard deviation over the square root of their number."""
    if not differences:
        return False
    mean = math.fsum(differences) / len(differences)
    if len(differences) < 2:
        return mean > 0
    variance = math.fsum((d - mean) ** 2 for d in differences) / (len(differences) - 1)
    return mean > math.sqrt(variance / len(differences))


def thresholdout(
    holdout: float, public: float, threshold: float, test_noise: float, answer_noise: float
) -> float | None:
    """Thresholdout (Dwork et al. 2015, "The reusable holdout", Science 349:636): the public
    split's score answers (None here) unless it differs from the holdout's by more than the
    noisy ``threshold`` (T plus its own Laplace noise) plus ``test_noise`` (Laplace, drawn
    afresh each round); then the holdout's score plus ``answer_noise`` answers, clipped to
    [0, 1], and the caller spends one unit of budget and draws a new threshold noise."""
    if abs(holdout - public) <= threshold + test_noise:
        return None
    return min(1.0, max(0.0, holdout + answer_noise))


def thresholdout_round(
    holdout: float,
    public: float,
    *,
    threshold: float,
    noise: float,
    spent: int,
    round: int,
    laplace: Laplace,
) -> float | None:
    """One round of Thresholdout with threshold T = ``threshold`` and noise scale sigma =
    ``noise``, as the paper draws its noise: the threshold's Lap(2 sigma) anew after each unit of
    budget spent (``spent`` so far), the test's Lap(4 sigma) and the answer's Lap(sigma) each
    round. None: the public score answers; a number: the holdout answered (spend one unit)."""
    return thresholdout(
        holdout,
        public,
        threshold + laplace("threshold", spent, 2 * noise),
        laplace("test", round, 4 * noise),
        laplace("answer", round, noise),
    )
