"""Collect and run N trivial three-step scenarios, one feature per file, three ways, in one run:

* ``holdout``: age-encrypted files through ``pytest --holdout`` (decryption included);
* ``bdd``: the same scenarios in plaintext through pytest-bdd;
* ``plain``: N plain test functions doing the same three steps.

Each way also runs with 300 unused step definitions loaded, since pytest-bdd tries every
definition on every step. Every figure is the median wall time of whole ``pytest`` processes,
measured in this one run, so the ratios between them hold on a noisy machine.

    python benchmarks/bench_collect.py [--sizes 200 2000 10000] [--repeat 3]

Needs the ``bench`` extra (pytest-bdd). Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage

FEATURE = """Feature: Counter {n}
  Scenario: count {n}
    Given a counter at {n}
    When I add 1
    Then the counter is {m}
"""

STEPS = '''
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
'''

UNUSED = '''
@given(parsers.parse("an unused precondition number {i} with {{value:d}}"))
def unused_given_{i}(value):
    pass
'''

PLAIN = '''
def test_count_{n}():
    counter = {{"value": {n}}}
    counter["value"] += 1
    assert counter["value"] == {m}
'''


def make_project(root: Path, way: str, size: int, unused: int) -> dict[str, str]:
    root.mkdir(parents=True)
    env = dict(os.environ)
    if way == "plain":
        for chunk in range(0, size, 500):
            body = "".join(PLAIN.format(n=n, m=n + 1) for n in range(chunk, min(size, chunk + 500)))
            (root / f"test_plain_{chunk}.py").write_text(body)
        return env
    lib = "pytest_holdout" if way == "holdout" else "pytest_bdd"
    steps = STEPS.format(lib=lib) + "".join(UNUSED.format(i=i) for i in range(unused))
    if way == "holdout":
        (root / "conftest.py").write_text(steps)
        identity = pyrage.x25519.Identity.generate()
        store = root / "scenarios_encrypted"
        store.mkdir()
        (store / "RECIPIENTS").write_text(f"{identity.to_public()}\n")
        for n in range(size):
            data = pyrage.encrypt(FEATURE.format(n=n, m=n + 1).encode(), [identity.to_public()])
            (store / f"S-{secrets.token_hex(6)}.age").write_bytes(data)
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


def run_once(root: Path, way: str, env: dict[str, str]) -> float:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    if way == "holdout":
        args.append("--holdout")
    started = time.perf_counter()
    done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{way} failed in {root}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unused", type=int, default=300)
    options = parser.parse_args()
    ways = ("holdout", "bdd", "plain")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    print()
    print("| N | unused defs | holdout s | pytest-bdd s | plain s | holdout/bdd | holdout/plain |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in options.sizes:
            for unused in (0, options.unused):
                roots = {way: Path(tmp) / f"{way}-{size}-{unused}" for way in ways}
                envs = {way: make_project(roots[way], way, size, unused) for way in ways}
                times: dict[str, list[float]] = {way: [] for way in ways}
                for _ in range(options.repeat):  # interleaved, so drift hits every way alike
                    for way in ways:
                        times[way].append(run_once(roots[way], way, envs[way]))
                median = {way: statistics.median(values) for way, values in times.items()}
                print(
                    f"| {size} | {unused} | {median['holdout']:.2f} | {median['bdd']:.2f} | "
                    f"{median['plain']:.2f} | {median['holdout'] / median['bdd']:.2f} | "
                    f"{median['holdout'] / median['plain']:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
