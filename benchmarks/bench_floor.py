"""What reading one scenario file costs, in one process, part by part: the floor under any
``pytest --holdout`` run, whatever the plugin does around it.

For N age files of ``bench_collect.py``'s three-step scenario, each part's time per file: reading
the file as the store does (``read_regular``: no link, regular files only, bounded), decrypting
it (``pyrage.decrypt``), parsing it with gherkin-official alone, and the whole of
``parse_feature`` (gherkin-official, then turning its tree into scenarios). Each figure is the
median of ``--repeat`` passes over all N files. Run by hand:

    python benchmarks/bench_floor.py [--files 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pyrage
from bench_collect import FEATURE  # the same scenario as the whole-run benchmark
from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

from pytest_holdout.scenarios.parsing import parse_feature
from pytest_holdout.store.fsutil import read_regular

T = TypeVar("T")


def per_file_ms(part: Callable[[T], object], inputs: Sequence[T], repeat: int) -> float:
    passes = []
    for _ in range(repeat):
        started = time.perf_counter()
        for value in inputs:
            part(value)
        passes.append((time.perf_counter() - started) / len(inputs) * 1000)
    return statistics.median(passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    identity = pyrage.x25519.Identity.generate()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n in range(options.files):
            path = Path(tmp) / f"S-{n:012x}.age"
            text = FEATURE.format(n=n, m=n + 1).encode()
            path.write_bytes(pyrage.encrypt(text, [identity.to_public()]))
            paths.append(path)
        encrypted = [read_regular(path) for path in paths]
        plaintexts = [pyrage.decrypt(data, [identity]) for data in encrypted]
        texts = [plaintext.decode() for plaintext in plaintexts]
        parts: list[tuple[str, float]] = [
            ("read_regular", per_file_ms(read_regular, paths, options.repeat)),
            (
                "pyrage.decrypt",
                per_file_ms(
                    lambda data: pyrage.decrypt(data, [identity]), encrypted, options.repeat
                ),
            ),
            (
                "gherkin-official's parser",
                per_file_ms(lambda text: Parser().parse(TokenScanner(text)), texts, options.repeat),
            ),
            (
                "parse_feature (the parser, then scenarios)",
                per_file_ms(lambda data: parse_feature(data, "S-0"), plaintexts, options.repeat),
            ),
        ]
    print(f"{options.files} files, median of {options.repeat} passes\n")
    print("| part, per scenario file | ms |")
    print("|---|---|")
    for name, ms in parts:
        print(f"| {name} | {ms:.3f} |")


if __name__ == "__main__":
    main()
