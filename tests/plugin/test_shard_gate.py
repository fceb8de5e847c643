"""A gate across shards: each shard records the gate without enforcing it (its sample is only a
part), and ``holdout report merge`` enforces it on the merged score, exiting 1 when it fails."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pytest_holdout.collection.selection import shard_of

from holdout_project import PASS_AND_FAIL_STEPS, HoldoutProject

HOLDOUT = (sys.executable, "-m", "pytest_holdout")
PASSING = "Feature: F\n  Scenario: s\n    Given a step that passes\n"
# Six passing scenarios on each shard: the Wilson lower bound of 6/6 is 0.610, of 12/12 0.758.
PER_SHARD = 6
GATE = ("--holdout-gate", "lower", "-p", "no:cacheprovider")


def add_per_shard(project: HoldoutProject, count: int) -> None:
    """``count`` one-scenario files on each of two shards (ids are random: draw until full)."""
    placed = {1: 0, 2: 0}
    while min(placed.values()) < count:
        file_id = project.add(PASSING)
        shard = shard_of(f"{file_id}-1", 2)
        if placed[shard] == count:
            (project.store / f"{file_id}.age").unlink()
            project.file_ids.remove(file_id)
        else:
            placed[shard] += 1


@pytest.fixture
def sharded(project: HoldoutProject) -> HoldoutProject:
    project.steps(PASS_AND_FAIL_STEPS)
    add_per_shard(project, PER_SHARD)
    project.sign()  # a gate makes the run a gated one, which checks MANIFEST
    return project


def run_shards(project: HoldoutProject, *gate: str) -> list[pytest.RunResult]:
    return [
        project.run(*GATE, *gate, "--holdout-shard", f"{i}/2", "--holdout-json", f"shard{i}.json")
        for i in (1, 2)
    ]


def merge(project: HoldoutProject) -> pytest.RunResult:
    return project.pytester.run(
        *HOLDOUT, "report", "merge", "shard1.json", "shard2.json", "-o", "merged.json"
    )


def report(project: HoldoutProject, name: str) -> dict:
    return json.loads((Path(project.pytester.path) / name).read_text())


def test_a_shard_records_its_gate_and_the_merge_enforces_it(sharded: HoldoutProject) -> None:
    shards = run_shards(sharded, "--holdout-min-satisfaction", "0.7")
    for shard in shards:
        # 6 of 6 satisfied, a lower bound of 0.610 < 0.700 on the shard alone: not its call.
        assert shard.ret == pytest.ExitCode.OK
        shard.stdout.fnmatch_lines(
            [
                "gate: Wilson lower bound 0.610 < 0.700 (missed by 0.090) on this shard alone; "
                "recorded, not enforced: `holdout report merge` enforces it on the merged score"
            ]
        )
    gate = report(sharded, "shard1.json")["gate"]
    assert (gate["enabled"], gate["enforced"], gate["passed"]) == (True, False, False)

    merged = merge(sharded)
    assert merged.ret == 0, merged.stderr.str()
    merged.stdout.fnmatch_lines(["gate: Wilson lower bound 0.758 >= 0.700 (cleared by 0.058)"])
    assert report(sharded, "merged.json")["gate"]["enforced"] is True


def test_the_merge_exits_1_when_the_merged_score_misses_the_gate(sharded: HoldoutProject) -> None:
    run_shards(sharded, "--holdout-min-satisfaction", "0.8")
    merged = merge(sharded)
    assert merged.ret == 1
    merged.stdout.fnmatch_lines(["gate: Wilson lower bound 0.758 < 0.800 (missed by 0.042)"])
    to_stdout = sharded.pytester.run(*HOLDOUT, "report", "merge", "shard1.json", "shard2.json")
    assert to_stdout.ret == 1
    assert to_stdout.stderr.str().strip() == (
        "holdout: gate: Wilson lower bound 0.758 < 0.800 (missed by 0.042)"
    )


def test_a_shard_with_a_gate_still_fails_on_an_ordinary_test(sharded: HoldoutProject) -> None:
    sharded.pytester.makepyfile(test_ordinary="def test_ordinary():\n    assert False\n")
    shard = sharded.run(*GATE, "--holdout-min-satisfaction", "0.1", "--holdout-shard", "1/2")
    assert shard.ret == pytest.ExitCode.TESTS_FAILED


def test_a_merge_of_ungated_shards_says_it_enforces_nothing(sharded: HoldoutProject) -> None:
    run_shards(sharded)
    merged = merge(sharded)
    assert merged.ret == 0
    merged.stdout.fnmatch_lines(
        [
            "gate: none (the shards ran without --holdout-min-satisfaction, so the merge exits 0 "
            "whatever the score)"
        ]
    )
