"""The boosting attack of the Ladder paper (Blum and Hardt 2015, section 6) against each feedback
mode, and an honest agent that really improves, on a holdout of 200 scenarios.

The attacker never reads a scenario. Each round it submits a random program: on every scenario
(holdout, public split or a fresh one) it passes with probability 1/2, so its true pass rate is
0.5. It keeps the programs whose feedback was new and above 0.5, and after k rounds submits the
majority vote of those it kept, whose true pass rate is still 0.5 (a vote of coin tosses is a coin
toss on a fresh scenario). The figure is the error of the feedback on that final submission: the
score released for it minus 0.5.

The honest agent's program really improves, from a true pass rate of 0.5 to 0.8 over the k
rounds (scenario i passes once the rate exceeds its difficulty u_i, so a pass stays a pass); its
figure is the released score minus the true rate after the last round.

Every mode runs the release rules of ``pytest_holdout.feedback.rules``, the ones the plugin runs;
the noise here comes from numpy instead of the state's keyed generator.

Also measured: plain feedback's attack when r fresh scenarios replace the r oldest each round
(the bias then stops growing with k), for the advice of docs/reusable-holdout.md.

    python benchmarks/bench_adaptive.py [--seeds 200] [--png FILE] [--svg FILE]

Needs numpy, and matplotlib for the chart (pip install '.[bench]').
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field

import numpy as np

from pytest_holdout.feedback import rules

N = 200  # holdout scenarios, one trial each
PUBLIC = 200  # the public split thresholdout answers from
CHECKPOINTS = (100, 200, 300, 400, 500)
STEP = 1 / math.sqrt(N)  # the ladder's default step, and thresholdout's default threshold
NOISE = STEP / 4  # thresholdout's default noise scale
BUDGETS = {"thresholdout": 10, "thresholdout, budget 100": 100}  # 10 is the default
MODES = ("plain", "ladder", "parameter-free-ladder", *BUDGETS)
ROTATIONS = (0, 1, 2, 5, 10, 20)


@dataclass
class Feedback:
    """One mode's state on floats and outcome vectors, for one seed."""

    mode: str
    laplace: rules.Laplace
    last: float | None = None
    best: np.ndarray | None = None  # the last released submission's outcomes
    spent: int = 0
    round: int = 0
    quiet_at: int | None = None

    def release(self, outcomes: np.ndarray, public: np.ndarray | None) -> tuple[float | None, bool]:
        """(the released score, whether it is new this round)."""
        self.round += 1
        score = float(outcomes.mean())
        if self.mode == "plain":
            return score, True
        if self.mode == "ladder":
            value = rules.ladder(self.last, score, STEP)
            if value is None:
                return self.last, False
            self.last = value
            return value, True
        if self.mode == "parameter-free-ladder":
            if self.best is not None:
                differences = (outcomes - self.best).tolist()
                if not rules.beats_one_standard_error(differences):
                    return self.last, False
            self.best, self.last = outcomes, score
            return score, True
        if self.spent >= BUDGETS[self.mode]:
            self.quiet_at = self.quiet_at or self.round
            return None, False
        assert public is not None
        value = rules.thresholdout_round(
            score,
            float(public.mean()),
            threshold=STEP,
            noise=NOISE,
            spent=self.spent,
            round=self.round,
            laplace=self.laplace,
        )
        if value is None:
            return float(public.mean()), True
        self.spent += 1
        return value, True


def numpy_laplace(rng: np.random.Generator) -> rules.Laplace:
    return lambda _label, _index, scale: float(rng.laplace(0.0, scale))


@dataclass
class Figures:
    """Errors by mode and checkpoint, over seeds."""

    attack: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    quiet: dict[str, dict[int, int]] = field(default_factory=dict)  # thresholdout: seeds quiet
    quiet_at: dict[str, list[int]] = field(default_factory=dict)  # the round it went quiet
    honest: dict[str, dict[int, list[float]]] = field(default_factory=dict)

    def add(self, table: dict[str, dict[int, list[float]]], mode: str, k: int, v: float) -> None:
        table.setdefault(mode, {}).setdefault(k, []).append(v)


def attack(mode: str, seed: int, figures: Figures) -> None:
    rng = np.random.default_rng([seed, MODES.index(mode)])
    k_max = max(CHECKPOINTS)
    programs = rng.integers(0, 2, size=(k_max, N + PUBLIC), dtype=np.int8)
    feedback = Feedback(mode, numpy_laplace(rng))
    kept: list[int] = []
    for t in range(k_max):
        value, new = feedback.release(programs[t, :N], programs[t, N:])
        if feedback.quiet_at == t + 1:
            figures.quiet_at.setdefault(f"attack {mode}", []).append(t + 1)
        if new and value is not None and value > 0.5:
            kept.append(t)
        k = t + 1
        if k in CHECKPOINTS:
            final = majority(programs[kept] if kept else programs[:1], rng)
            # The final submission is judged on a copy: the attack goes on to the next checkpoint.
            trial = Feedback(**{**feedback.__dict__})
            released, _ = trial.release(final[:N], final[N:])
            if released is None:
                quiet = figures.quiet.setdefault(f"attack {mode}", {})
                quiet[k] = quiet.get(k, 0) + 1
            else:
                figures.add(figures.attack, mode, k, released - 0.5)


def majority(programs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    votes = programs.sum(axis=0) * 2 - len(programs)
    ties = rng.integers(0, 2, size=programs.shape[1], dtype=np.int8)
    return np.where(votes > 0, 1, np.where(votes < 0, 0, ties)).astype(np.int8)


def honest(mode: str, seed: int, figures: Figures) -> None:
    rng = np.random.default_rng([seed, 100 + MODES.index(mode)])
    difficulty = rng.random(N + PUBLIC)
    for k in CHECKPOINTS:
        feedback = Feedback(mode, numpy_laplace(rng))
        released: float | None = None
        for t in range(k):
            rate = 0.5 + 0.3 * t / (k - 1)
            outcomes = (difficulty < rate).astype(np.int8)
            released, _ = feedback.release(outcomes[:N], outcomes[N:])
        if k == max(CHECKPOINTS) and feedback.quiet_at is not None:
            figures.quiet_at.setdefault(f"honest {mode}", []).append(feedback.quiet_at)
        if released is None:
            quiet = figures.quiet.setdefault(f"honest {mode}", {})
            quiet[k] = quiet.get(k, 0) + 1
        else:
            figures.add(figures.honest, mode, k, released - 0.8)


def rotating_attack(rotation: int, k: int, seed: int) -> float:
    """Plain feedback's attack when ``rotation`` fresh scenarios replace the oldest each round."""
    rng = np.random.default_rng([seed, 200 + rotation])
    ids = N + rotation * k
    programs = rng.integers(0, 2, size=(k, ids), dtype=np.int8)
    kept = []
    for t in range(k):
        start = rotation * t  # the holdout of round t: ids start .. start + N
        if programs[t, start : start + N].mean() > 0.5:
            kept.append(t)
    final = majority(programs[kept] if kept else programs[:1], rng)
    start = rotation * k
    return float(final[start : start + N].mean()) - 0.5


def summarize(values: list[float]) -> str:
    return f"{100 * np.mean(values):+.1f} ± {100 * np.std(values):.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--png", default=None)
    parser.add_argument("--svg", default=None)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    figures = Figures()
    for seed in range(args.seeds):
        for mode in MODES:
            attack(mode, seed, figures)
            honest(mode, seed, figures)
    rotation = {
        r: {k: [rotating_attack(r, k, seed) for seed in range(args.seeds)] for k in (100, 500)}
        for r in ROTATIONS
    }
    report(figures, rotation, args.seeds, time.perf_counter() - began)
    if args.png or args.svg:
        chart(figures, args.png, args.svg)


def report(
    figures: Figures, rotation: dict[int, dict[int, list[float]]], seeds: int, seconds: float
) -> None:
    print(f"holdout of {N} scenarios (public split {PUBLIC}), {seeds} seeds, {seconds:.0f} s")
    print(f"ladder step = thresholdout's threshold = 1/sqrt(N) = {STEP:.3f}, noise {NOISE:.4f}")
    print()
    print("Boosting attack: released score of the final submission minus its true pass rate")
    print("(points, mean ± sd over seeds)")
    print()
    mode_table(figures, figures.attack, "attack", seeds)
    print()
    print("Honest agent (true rate 0.5 -> 0.8): final released score minus the true rate")
    print()
    mode_table(figures, figures.honest, "honest", seeds)
    print()
    for key, rounds in sorted(figures.quiet_at.items()):
        print(f"{key}: quiet from round {np.median(rounds):.0f} (median of {len(rounds)} seeds)")
    print()
    print("Plain feedback under attack, r fresh scenarios rotated in per round (points)")
    print()
    print("| fresh scenarios per round | k = 100 | k = 500 |")
    print("|---|---|---|")
    for r, by_k in rotation.items():
        print(f"| {r} | {summarize(by_k[100])} | {summarize(by_k[500])} |")


def mode_table(
    figures: Figures, errors: dict[str, dict[int, list[float]]], agent: str, seeds: int
) -> None:
    print("| feedback | " + " | ".join(f"k = {k}" for k in CHECKPOINTS) + " |")
    print("|---|" + "---|" * len(CHECKPOINTS))
    for mode in MODES:
        cells = []
        for k in CHECKPOINTS:
            values = errors.get(mode, {}).get(k, [])
            cell = summarize(values) if values else "quiet"
            if mode in BUDGETS:
                quiet = figures.quiet.get(f"{agent} {mode}", {}).get(k, 0)
                cell += f", quiet in {100 * quiet / seeds:.0f}%"
            cells.append(cell)
        print(f"| {mode} | " + " | ".join(cells) + " |")


def chart(figures: Figures, png: str | None, svg: str | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for mode in MODES:
        ks = [k for k in CHECKPOINTS if figures.attack.get(mode, {}).get(k)]
        means = [100 * np.mean(figures.attack[mode][k]) for k in ks]
        sds = [100 * np.std(figures.attack[mode][k]) for k in ks]
        left.errorbar(ks, means, yerr=sds, marker="o", capsize=3, label=mode)
        answered = [k for k in CHECKPOINTS if figures.honest.get(mode, {}).get(k)]
        honest_means = [100 * np.mean(figures.honest[mode][k]) for k in answered]
        right.plot(answered, honest_means, marker="o", label=mode)
    at_100 = 100 * np.mean(figures.attack["plain"][100])
    growth = [at_100 * math.sqrt(k / 100) for k in CHECKPOINTS]
    left.plot(CHECKPOINTS, growth, "k:", label="√k growth")
    left.set_title(f"boosting attack, holdout of {N}")
    left.set_xlabel("submissions k")
    left.set_ylabel("released minus true pass rate (points)")
    right.set_title("honest agent, 0.5 → 0.8")
    right.set_xlabel("submissions k")
    for axis in (left, right):
        axis.axhline(0, color="grey", linewidth=0.8)
        axis.grid(alpha=0.3)
    left.legend(fontsize=8)
    fig.tight_layout()
    for path in (png, svg):
        if path:
            metadata = {"Date": None} if path.endswith(".svg") else {}
            fig.savefig(path, metadata=metadata, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
