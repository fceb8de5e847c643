"""JUnit XML agrees with the gate: with ``--holdout-junit=gate`` (the default) unsatisfied trials
are skipped as expected failures and one ``holdout.gate`` testcase carries the gate's verdict."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from holdout_project import PASS_AND_FAIL_STEPS, HoldoutProject

FEATURE = """
Feature: Mixed
  Scenario: passes
    Given a step that passes
  Scenario: fails
    Given a step that passes
    Then a step that fails
"""


@pytest.fixture
def mixed(project: HoldoutProject) -> HoldoutProject:
    project.steps(PASS_AND_FAIL_STEPS)
    project.add(FEATURE)
    return project


def junit(project: HoldoutProject, *args: str) -> tuple[pytest.RunResult, ET.Element]:
    project.sign()  # a gate makes the run a gated one, which checks MANIFEST
    result = project.run("--holdout-trials", "2", "--junitxml", "junit.xml", *args)
    suite = ET.parse(Path(project.pytester.path) / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    return result, suite


def cases(suite: ET.Element) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Each testcase's children (tag, attributes), by name."""
    return {
        case.get("name", ""): [(child.tag, dict(child.attrib)) for child in case]
        for case in suite.iter("testcase")
    }


def test_with_a_passing_gate_the_xml_has_no_failure(mixed: HoldoutProject) -> None:
    result, suite = junit(mixed, "--holdout-min-satisfaction", "0.5", "-n", "2")
    assert result.ret == pytest.ExitCode.OK
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "2")
    found = cases(suite)
    failing = f"{mixed.file_ids[0]}-2"
    expected = [
        ("skipped", {"type": "holdout.unsatisfied", "message": "step 2 (Then) failed: assertion"})
    ]
    assert found[f"{failing}[t1]"] == found[f"{failing}[t2]"] == expected
    assert found[f"{mixed.file_ids[0]}-1[t1]"] == []
    assert found["gate"] == []  # passed
    assert suite.get("tests") == "5"


def test_with_a_failing_gate_the_gate_testcase_fails(mixed: HoldoutProject) -> None:
    result, suite = junit(mixed, "--holdout-min-satisfaction", "0.9")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert suite.get("failures") == "1"
    assert cases(suite)["gate"] == [
        ("failure", {"message": "gate: satisfaction 0.500 < 0.900 (missed by 0.400)"})
    ]


def test_failures_mode_keeps_each_unsatisfied_trial_a_failure(mixed: HoldoutProject) -> None:
    result, suite = junit(mixed, "--holdout-min-satisfaction", "0.5", "--holdout-junit=failures")
    assert result.ret == pytest.ExitCode.OK
    assert suite.get("failures") == "2"
    assert cases(suite)["gate"] == []


def test_a_shard_records_its_gate_as_a_skipped_testcase(mixed: HoldoutProject) -> None:
    _, suite = junit(mixed, "--holdout-min-satisfaction", "0.5", "--holdout-shard", "1/1")
    [(tag, attributes)] = cases(suite)["gate"]
    assert (tag, attributes["type"]) == ("skipped", "holdout.gate")
    assert attributes["message"].endswith(
        "recorded, not enforced: `holdout report merge` enforces it on the merged score"
    )


def test_without_a_gate_failed_trials_are_failures_as_the_exit_status_says(
    mixed: HoldoutProject,
) -> None:
    result, suite = junit(mixed)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert suite.get("failures") == "2"
    assert "gate" not in cases(suite)
