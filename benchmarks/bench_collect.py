"""Collect and run N trivial three-step scenarios, one feature per file, three ways, in one run:

* ``holdout``: age-encrypted files through ``pytest --holdout`` (decryption included);
* ``bdd``: the same scenarios in plaintext through pytest-bdd;
* ``plain``: N plain test functions doing the same three steps.

``holdout`` and ``bdd`` also run with 300 unused step definitions loaded, since pytest-bdd tries
every definition on every step. Each figure is the median, over ``--repeat`` interleaved passes,
of whole ``pytest`` processes measured in this one run, so the ratios between them hold on a
noisy machine: wall time, CPU time (user + system, which other load on the machine disturbs
less) and peak resident memory, all three from ``os.wait4``. Every process must report exactly
N passed tests. Bytecode is cached (in the work directory), as on a user's second run.

Each way loads the pytest plugins its own install brings and no others (``plugins_of``): with
both packages in one environment, every pytest-bdd run would otherwise load pytest-holdout's
plugins too, and the other way round, and so would any other plugin the environment holds.

    python benchmarks/bench_collect.py [--sizes 200 2000 10000] [--repeat 3] [--workdir DIR]

``--workdir`` builds the projects in DIR and keeps them, to profile one by hand as measured
here: in the project, with ``PYTHONPYCACHEPREFIX=DIR/pycache``, no ``PYTHONDONTWRITEBYTECODE``,
``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` and ``PYTEST_PLUGINS`` as the run prints it, and for a
holdout project ``HOLDOUT_IDENTITY`` set to the content of its ``identity.txt``::

    python -m cProfile -o holdout.prof -m pytest -q -p no:cacheprovider --holdout

Needs the ``bench`` extra (pytest-bdd). Prints Markdown tables for docs/performance.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path

import pyrage
from packaging.requirements import Requirement

FEATURE = """Feature: Counter {n}
  Scenario: count {n}
    Given a counter at {n}
    When I add 1
    Then the counter is {m}
"""

STEPS = """
import pytest
from {lib} import given, when, then, parsers

@pytest.fixture
def counter():
    return {{"value": 0}}

@given(parsers.parse("a counter at {{start:d}}"))
def start(counter, start):
    counter["value"] = start

@when(parsers.parse("I add {{amount:d}}"))
def add(counter, amount):
    counter["value"] += amount

@then(parsers.parse("the counter is {{expected:d}}"))
def check(counter, expected):
    assert counter["value"] == expected
"""

UNUSED = """
@given(parsers.parse("an unused precondition number {i} with {{value:d}}"))
def unused_given_{i}(value):
    pass
"""

PLAIN = """
def test_count_{n}():
    counter = {{"value": {n}}}
    counter["value"] += 1
    assert counter["value"] == {m}
"""

# pytest's closing line; past a minute it adds the time as (h:mm:ss).
SUMMARY = re.compile(
    r"^=*\s*(\d+) passed(?:, \d+ warnings?)? in [\d.]+s(?: \(\d+:\d\d:\d\d\))?\s*=*$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Variant:
    """One project: a way of running N scenarios, with some unused step definitions or none."""

    way: str  # "holdout", "bdd" or "plain"
    unused: int

    @property
    def label(self) -> str:
        return f"{self.way}-{self.unused}"


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # seconds, user + system
    peak: float  # MiB, peak resident set size


@cache
def plugins_of(package: str) -> tuple[str, ...]:
    """The pytest plugins (pytest11 entry points) that installing ``package`` brings: its own
    and those of everything it requires (pytest-holdout: anyio's too, through anthropic)."""
    seen: set[str] = set()
    pending = [package]
    while pending:
        name = re.sub(r"[-_.]+", "-", pending.pop()).lower()
        if name in seen:
            continue
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:  # an optional requirement that is not installed
            continue
        seen.add(name)
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return tuple(
        entry.value
        for name in sorted(seen)
        for entry in distribution(name).entry_points
        if entry.group == "pytest11"
    )


PACKAGE_OF_WAY = {"holdout": "pytest-holdout", "bdd": "pytest-bdd"}


def make_project(root: Path, variant: Variant, size: int) -> dict[str, str]:
    """Write the project for ``variant`` under ``root``; return the environment to run it in."""
    root.mkdir(parents=True)
    env = dict(os.environ)
    # Measure what a user's second run costs: with bytecode cached, as pytest and Python do by
    # default (PYTHONDONTWRITEBYTECODE would compile every plugin module in every process), in
    # a cache of the benchmark's own, which leaves the checkout and the environment untouched.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(root.parent / "pycache")
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    package = PACKAGE_OF_WAY.get(variant.way)
    env["PYTEST_PLUGINS"] = ",".join(plugins_of(package)) if package else ""
    if variant.way == "plain":
        for chunk in range(0, size, 500):
            body = "".join(PLAIN.format(n=n, m=n + 1) for n in range(chunk, min(size, chunk + 500)))
            (root / f"test_plain_{chunk}.py").write_text(body)
        return env
    lib = "pytest_holdout" if variant.way == "holdout" else "pytest_bdd"
    steps = STEPS.format(lib=lib) + "".join(UNUSED.format(i=i) for i in range(variant.unused))
    if variant.way == "holdout":
        (root / "conftest.py").write_text(steps)
        identity = pyrage.x25519.Identity.generate()
        store = root / "scenarios_encrypted"
        store.mkdir()
        (store / "RECIPIENTS").write_text(f"{identity.to_public()}\n")
        for n in range(size):
            data = pyrage.encrypt(FEATURE.format(n=n, m=n + 1).encode(), [identity.to_public()])
            (store / f"S-{secrets.token_hex(6)}.age").write_bytes(data)
        (root / "identity.txt").write_text(f"{identity}\n")
        env["HOLDOUT_IDENTITY"] = str(identity)
    else:
        features = root / "features"
        features.mkdir()
        for n in range(size):
            (features / f"counter_{n}.feature").write_text(FEATURE.format(n=n, m=n + 1))
        (root / "test_features.py").write_text(
            steps + '\nfrom pytest_bdd import scenarios\nscenarios("features")\n'
        )
    return env


def run_once(root: Path, variant: Variant, env: dict[str, str], size: int) -> Sample:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    if variant.way == "holdout":
        args.append("--holdout")
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=root, env=env, stdout=output, stderr=output)
        # wait4 rather than wait: it also gives this one child's CPU time and peak memory.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    passed = SUMMARY.search(text)
    if process.returncode != 0 or passed is None or int(passed.group(1)) != size:
        raise SystemExit(f"{variant.label} did not pass {size} tests in {root}:\n{text[-2000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def measure(
    workdir: Path, size: int, variants: list[Variant], repeat: int
) -> dict[Variant, Sample]:
    """Median wall time, CPU time and peak memory of each variant, over interleaved passes."""
    roots = {variant: workdir / f"{variant.label}-{size}" for variant in variants}
    envs = {variant: make_project(roots[variant], variant, size) for variant in variants}
    samples: dict[Variant, list[Sample]] = {variant: [] for variant in variants}
    for variant in variants:  # untimed: fills the bytecode cache
        run_once(roots[variant], variant, envs[variant], size)
    for _ in range(repeat):  # interleaved, so drift hits every variant alike
        for variant in variants:
            samples[variant].append(run_once(roots[variant], variant, envs[variant], size))
    return {
        variant: Sample(
            statistics.median(s.wall for s in values),
            statistics.median(s.cpu for s in values),
            max(s.peak for s in values),
        )
        for variant, values in samples.items()
    }


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()}; Python {platform.python_version()}, "
        f"pytest {version('pytest')}, pytest-bdd {version('pytest-bdd')}, "
        f"pyrage {version('pyrage')}"
    )


def print_tables(results: dict[int, dict[Variant, Sample]], unused: int) -> None:
    sizes = sorted(results)
    print("\nMedian wall (CPU) seconds per pytest process, and holdout's ratios, wall (CPU):\n")
    print("| N | unused defs | holdout | pytest-bdd | plain | holdout/bdd | holdout/plain |")
    print("|---|---|---|---|---|---|---|")
    for size in sizes:
        for count in (0, unused):
            got = results[size]
            holdout, bdd = got[Variant("holdout", count)], got[Variant("bdd", count)]
            plain = got[Variant("plain", 0)]
            print(
                f"| {size:,} | {count} | {holdout.wall:.2f} ({holdout.cpu:.2f}) | "
                f"{bdd.wall:.2f} ({bdd.cpu:.2f}) | {plain.wall:.2f} ({plain.cpu:.2f}) | "
                f"{holdout.wall / bdd.wall:.2f} ({holdout.cpu / bdd.cpu:.2f}) | "
                f"{holdout.wall / plain.wall:.2f} ({holdout.cpu / plain.cpu:.2f}) |"
            )
    print("\nPeak resident memory, MiB (largest over the passes):\n")
    print(f"| N | holdout | holdout, {unused} unused | bdd | bdd, {unused} unused | plain |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        got = results[size]
        peaks = [
            got[Variant(way, count)].peak
            for way, count in (("holdout", 0), ("holdout", unused), ("bdd", 0), ("bdd", unused))
        ]
        cells = " | ".join(f"{peak:.0f}" for peak in [*peaks, got[Variant("plain", 0)].peak])
        print(f"| {size:,} | {cells} |")
    if len(sizes) < 2:
        return
    # Linear growth means a constant cost per added scenario: the slope between two sizes,
    # which leaves out the fixed start-up cost that dominates t/N at small N.
    spans = list(itertools.pairwise(sizes))
    print("\nCPU milliseconds per added scenario, between sizes (equal slopes: linear growth):\n")
    print("| variant | " + " | ".join(f"{a:,} to {b:,}" for a, b in spans) + " | last/first |")
    print("|---|" + "---|" * (len(spans) + 1))
    for variant in results[sizes[0]]:
        slopes = [
            (results[b][variant].cpu - results[a][variant].cpu) / (b - a) * 1000 for a, b in spans
        ]
        cells = " | ".join(f"{slope:.2f}" for slope in slopes)
        print(
            f"| {variant.way}, {variant.unused} unused | {cells} | {slopes[-1] / slopes[0]:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unused", type=int, default=300)
    parser.add_argument("--workdir", type=Path, default=None, help="build and keep projects here")
    options = parser.parse_args()
    variants = [
        Variant("holdout", 0),
        Variant("holdout", options.unused),
        Variant("bdd", 0),
        Variant("bdd", options.unused),
        Variant("plain", 0),  # no step definitions to leave unused
    ]
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/bench_collect.py {' '.join(sys.argv[1:])}".rstrip())
    for way, package in PACKAGE_OF_WAY.items():
        print(f"plugins of {way}: {', '.join(plugins_of(package))}")
    results: dict[int, dict[Variant, Sample]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = options.workdir or Path(tmp)
        for size in options.sizes:
            results[size] = measure(workdir, size, variants, options.repeat)
            print(f"N = {size:,}: measured", file=sys.stderr, flush=True)
    print_tables(results, options.unused)


if __name__ == "__main__":
    main()
