"""Step matching: pytest-holdout's indexed registry against pytest-bdd's way of matching.

pytest-bdd tries every step definition's parser on every step. This benchmark rebuilds that loop
with pytest-bdd's own parsers (its fixture machinery, which adds more per definition, is left
out, so the comparison flatters pytest-bdd) and times it against ``StepRegistry.match`` on the
same definitions and steps. Run by hand:

    python benchmarks/bench_steps.py

It prints, for each number of definitions, the time per matched step of each and their ratio.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pytest_bdd import parsers as bdd_parsers

from pytest_holdout import parsers
from pytest_holdout.steps.registry import StepDefinition, StepRegistry

T = TypeVar("T")
KINDS = ("given", "when", "then")
SAMPLE = 500  # distinct steps matched per measurement


def definitions_and_steps(
    count: int, seed: int = 1
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """``count`` definitions (a third exact strings, a third parse, a third re), with distinct
    leading words as real step vocabularies have, and up to SAMPLE distinct steps they match."""
    rng = random.Random(seed)
    definitions, steps = [], []
    for number in range(count):
        kind = KINDS[number % 3]
        word = f"thing{number}"
        if number % 3 == 0:
            definitions.append((kind, "string", f"the {word} exists"))
            steps.append((kind, f"the {word} exists"))
        elif number % 3 == 1:
            definitions.append((kind, "parse", f"I add {{count:d}} {word}s"))
            steps.append((kind, f"I add {rng.randint(1, 99)} {word}s"))
        else:
            definitions.append((kind, "re", rf"the {word} costs (?P<price>\d+) EUR"))
            steps.append((kind, f"the {word} costs {rng.randint(1, 99)} EUR"))
    return definitions, rng.sample(steps, min(SAMPLE, len(steps)))


def warm(parser: T) -> T:
    """Compile the parser's regular expression now (parse does it on first use): a one-time
    cost for both libraries, left out so that matching itself is measured."""
    parser.is_matching("")
    return parser


def holdout_matcher(definitions: list[tuple[str, str, str]]) -> Callable[[str, str], object]:
    build = {"string": parsers.string, "parse": parsers.parse, "re": parsers.re}
    registry = StepRegistry(
        StepDefinition(func=print, kind=kind, parser=warm(build[style](pattern)))
        for kind, style, pattern in definitions
    )
    return registry.match


def bdd_matcher(definitions: list[tuple[str, str, str]]) -> Callable[[str, str], object]:
    build = {"string": bdd_parsers.string, "parse": bdd_parsers.parse, "re": bdd_parsers.re}
    compiled = [(kind, warm(build[style](pattern))) for kind, style, pattern in definitions]

    def match(kind: str, text: str) -> object:
        (parser,) = [p for k, p in compiled if k == kind and p.is_matching(text)]
        return parser.parse_arguments(text)

    return match


def seconds_per_step(match: Callable[[str, str], object], steps: list[tuple[str, str]]) -> float:
    started = time.perf_counter()
    for kind, text in steps:
        match(kind, text)
    return (time.perf_counter() - started) / len(steps)


def measure(count: int, repeats: int = 3) -> tuple[float, float, float]:
    """Seconds per step, best of ``repeats``: the pytest-bdd loop, a registry resolving each
    text for the first time (a fresh one per repeat), and a registry that has seen them."""
    definitions, steps = definitions_and_steps(count)
    bdd_match = bdd_matcher(definitions)
    bdd = min(seconds_per_step(bdd_match, steps) for _ in range(repeats))
    first = min(seconds_per_step(holdout_matcher(definitions), steps) for _ in range(repeats))
    match = holdout_matcher(definitions)
    seconds_per_step(match, steps)
    again = min(seconds_per_step(match, steps) for _ in range(repeats))
    return bdd, first, again


def main() -> None:
    print("time per matched step, in microseconds")
    print(
        f"{'definitions':>11}  {'pytest-bdd loop':>15}  {'holdout, first':>14}  {'ratio':>6}"
        f"  {'holdout, again':>14}  {'ratio':>6}"
    )
    for count in (10, 100, 1_000, 10_000):
        bdd, first, again = measure(count)
        print(
            f"{count:>11}  {bdd * 1e6:>15.1f}  {first * 1e6:>14.1f}  {bdd / first:>5.1f}x"
            f"  {again * 1e6:>14.1f}  {bdd / again:>5.1f}x"
        )


if __name__ == "__main__":
    main()
