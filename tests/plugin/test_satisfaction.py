"""Satisfaction end to end: trials, seeds, the gate's exit status, the JSON report and its schema,
JUnit properties, the GitHub summary, history, shards and their merge, xdist equality."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from holdout_project import PASS_AND_FAIL_STEPS, HoldoutProject

# A scenario whose outcome depends on the trial's seed, so that trials differ but replay exactly.
STEPS = (
    PASS_AND_FAIL_STEPS
    + """
import random

@then(parsers.parse("a coin lands heads {percent:d}% of the time"))
def coin(holdout_seed, percent):
    assert random.Random(holdout_seed).random() < percent / 100
"""
)

FEATURE = """
Feature: Mixed
  Scenario: always
    Given a step that passes
  Scenario: never
    Then a step that fails
  Scenario: sometimes
    Then a coin lands heads 50% of the time
  Scenario: mostly
    Then a coin lands heads 80% of the time
"""

HOLDOUT = (sys.executable, "-m", "pytest_holdout")
ORDINARY_PASSING = "def test_ordinary():\n    assert True\n"
ORDINARY_FAILING = "def test_ordinary():\n    assert False\n"


@pytest.fixture
def mixed(project: HoldoutProject) -> HoldoutProject:
    project.steps(STEPS)
    project.add(FEATURE)
    return project


def _report(project: HoldoutProject, name: str = "holdout.json") -> dict:
    return json.loads((project.pytester.path / name).read_text())


def _figures(report: dict) -> dict:
    """Everything but run metadata (times, host), which differs between any two runs."""
    return {key: value for key, value in report.items() if key != "meta"}


def test_the_report_validates_against_its_published_schema(mixed: HoldoutProject) -> None:
    mixed.run("--holdout-trials", "5", "--holdout-json", "holdout.json")
    report = _report(mixed)
    schema = json.loads(
        resources.files("pytest_holdout.reports").joinpath("report-schema-v1.json").read_text()
    )
    jsonschema.validate(report, schema)
    figures = report["figures"]
    assert figures["trials"]["total"] == 20
    # "always" 5/5, "never" 0/5: the rest depends on the seed, between those bounds.
    assert 5 <= figures["trials"]["satisfied"] <= 15
    assert figures["satisfaction"] == figures["trials"]["satisfied"] / 20
    interval = figures["interval"]
    assert interval["lower"] < figures["satisfaction"] < interval["upper"]
    assert sorted(report["results"]) == [f"{mixed.file_ids[0]}-{n}" for n in (1, 2, 3, 4)]


def test_same_seed_same_report_serial_and_parallel(mixed: HoldoutProject) -> None:
    args = ("--holdout-trials", "6", "--holdout-seed", "42", "-p", "no:cacheprovider")
    mixed.run(*args, "--holdout-json", "serial.json")
    mixed.run(*args, "-n", "2", "--holdout-json", "parallel.json")
    assert _figures(_report(mixed, "serial.json")) == _figures(_report(mixed, "parallel.json"))
    mixed.run("--holdout-trials", "6", "--holdout-seed", "7", "--holdout-json", "other.json")
    assert _figures(_report(mixed, "other.json")) != _figures(_report(mixed, "serial.json"))


def test_shards_merge_into_the_figures_of_one_run(mixed: HoldoutProject) -> None:
    for _ in range(3):
        mixed.add(FEATURE)
    args = ("--holdout-trials", "3", "--holdout-seed", "1", "-p", "no:cacheprovider")
    mixed.run(*args, "--holdout-json", "all.json")
    for index in (1, 2, 3):
        mixed.run(*args, "--holdout-shard", f"{index}/3", "--holdout-json", f"shard{index}.json")
    shard_trials = [
        _report(mixed, f"shard{i}.json")["figures"]["trials"]["total"] for i in (1, 2, 3)
    ]
    assert sum(shard_trials) == 48 and all(shard_trials)
    merged = mixed.pytester.run(
        *HOLDOUT, "report", "merge", "shard1.json", "shard2.json", "shard3.json",
        "-o", "merged.json",
    )  # fmt: skip
    assert merged.ret == 0, merged.stderr.str()
    assert _figures(_report(mixed, "merged.json")) == _figures(_report(mixed, "all.json"))


def test_without_a_gate_a_failed_scenario_fails_the_session(mixed: HoldoutProject) -> None:
    result = mixed.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*gate: none*"])


@pytest.mark.parametrize(
    ("minimum", "ordinary", "expected"),
    [
        ("0.2", ORDINARY_PASSING, pytest.ExitCode.OK),
        ("0.95", ORDINARY_PASSING, pytest.ExitCode.TESTS_FAILED),
        ("0.2", ORDINARY_FAILING, pytest.ExitCode.TESTS_FAILED),
    ],
)
def test_with_a_gate_the_gate_alone_decides(
    mixed: HoldoutProject, minimum: str, ordinary: str, expected: pytest.ExitCode
) -> None:
    mixed.pytester.makepyfile(test_ordinary=ordinary)
    mixed.sign()  # a gate makes the run gated: only what MANIFEST signed counts
    result = mixed.run("--holdout-trials", "4", "--holdout-min-satisfaction", minimum)
    assert result.ret == expected
    verb = "cleared" if minimum == "0.2" else "missed"
    result.stdout.fnmatch_lines([f"*gate: satisfaction * ({verb} by *)*"])


def test_the_lower_bound_gate_is_stricter(mixed: HoldoutProject) -> None:
    args = ("--holdout-trials", "4", "--holdout-json", "holdout.json")
    mixed.sign()
    mixed.run(*args)
    figures = _report(mixed)["figures"]
    # A minimum between the interval's lower bound and the point estimate.
    between = f"{(figures['interval']['lower'] + figures['satisfaction']) / 2:.3f}"
    point = mixed.run(*args, "--holdout-min-satisfaction", between)
    lower = mixed.run(*args, "--holdout-min-satisfaction", between, "--holdout-gate", "lower")
    assert point.ret == pytest.ExitCode.OK
    assert lower.ret == pytest.ExitCode.TESTS_FAILED
    # Four trials per scenario: the interval, and so the bound, is clustered by scenario.
    lower.stdout.fnmatch_lines([f"*gate: lower bound (clustered by scenario) * < {between}*"])


def test_the_terminal_section_junit_and_github_summary(
    mixed: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = mixed.pytester.path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = mixed.run("--holdout-trials", "2", "--junitxml", "junit.xml")
    result.stdout.fnmatch_lines(["*holdout satisfaction*", "satisfaction*95% CI*"])
    suite = ET.parse(mixed.pytester.path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert "holdout_satisfaction" in properties
    satisfied = int(properties["holdout_trials_satisfied"])
    assert satisfied + int(properties["holdout_trials_unsatisfied"]) == 8
    assert float(properties["holdout_satisfaction"]) == satisfied / 8
    assert "satisfaction" in summary.read_text().lower()


def test_history_appends_a_line_per_run_and_draws_a_trend(mixed: HoldoutProject) -> None:
    for seed in ("1", "2", "3"):
        mixed.run("--holdout-trials", "3", "--holdout-seed", seed, "--holdout-history", "h.jsonl")
    lines = (mixed.pytester.path / "h.jsonl").read_text().splitlines()
    assert len(lines) == 3
    trend = mixed.pytester.run(*HOLDOUT, "report", "trend", "h.jsonl", "--svg", "trend.svg")
    assert trend.ret == 0, trend.stderr.str()
    assert (mixed.pytester.path / "trend.svg").read_text().lstrip().startswith(("<svg", "<?xml"))


def test_a_trial_result_hook_and_a_score_hook_see_public_figures(mixed: HoldoutProject) -> None:
    mixed.pytester.makeconftest(
        (Path(mixed.pytester.path) / "conftest.py").read_text()
        + """
seen = []

def pytest_holdout_trial_result(outcome, config):
    seen.append(outcome.status)

def pytest_holdout_score(report, config):
    print("HOOK", len(seen), report["figures"]["trials"]["total"])
"""
    )
    result = mixed.run("--holdout-trials", "2", "-s")
    result.stdout.fnmatch_lines(["*HOOK 8 8*"])
