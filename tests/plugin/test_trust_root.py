"""`--holdout-required`: which scenarios count is decided by the keyholder's signed manifest, not
by the files an agent can add, remove or replace."""

from __future__ import annotations

import pyrage
import pytest

from pytest_holdout.scenarios.parsing import count_scenarios
from pytest_holdout.store import keys, manifest
from pytest_holdout.store.files import Store

from holdout_project import PASS_AND_FAIL_STEPS as STEPS
from holdout_project import HoldoutProject

TWO_PASSING = """
Feature: Two
  Scenario: one
    Given a step that passes
  Scenario: two
    Given a step that passes
"""


def sign(project: HoldoutProject) -> None:
    identities = keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(project.key_file)})
    manifest.sign(Store(project.store), identities, count_scenarios)


def test_required_without_a_manifest_is_an_error(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "MANIFEST" in result.stderr.str()


def test_a_deleted_scenario_file_fails_all_its_scenarios(project: HoldoutProject) -> None:
    project.steps(STEPS)
    kept = project.add(TWO_PASSING)
    deleted = project.add(TWO_PASSING)
    sign(project)
    (project.store / f"{deleted}.age").unlink()
    result = project.run("--holdout-required", "-v")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([f"*{deleted}: missing (listed in the signed manifest)*"])
    assert kept


def test_a_replaced_scenario_file_fails(project: HoldoutProject) -> None:
    project.steps(STEPS)
    file_id = project.add(TWO_PASSING)
    sign(project)
    # An agent encrypts a trivially passing scenario to the public recipient, under the same id.
    easy = pyrage.encrypt(
        b"Feature: easy\n  Scenario: easy\n    Given a step that passes\n",
        [project.identity.to_public()],
    )
    (project.store / f"{file_id}.age").write_bytes(easy)
    result = project.run("--holdout-required", "-v")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([f"*{file_id}: modified since the manifest was signed*"])


def test_an_unsigned_new_file_does_not_count(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    sign(project)
    project.add("Feature: added\n  Scenario: x\n    Then a step that fails\n")
    result = project.run("--holdout-required")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*1 scenario file(s) not in the signed manifest were not run*"])
    # Without --holdout-required (a keyholder's own run), every file on disk runs.
    project.run().assert_outcomes(passed=2, failed=1)


def test_a_forged_manifest_is_refused(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    sign(project)
    text = (project.store / "MANIFEST").read_text()
    (project.store / "MANIFEST").write_text(text.replace(" 2\n", " 1\n", 1))
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_items_counted_from_the_manifest_still_honour_tags(project: HoldoutProject) -> None:
    # Under --holdout-required the manifest gives the counts and files are read just before their
    # scenarios run; a scenario's tags still become marks in time for pytest's skip handling.
    project.steps(STEPS)
    project.add(
        "Feature: tagged\n  @skip\n  Scenario: later\n    Then a step that fails\n"
        "  Scenario: now\n    Given a step that passes\n"
    )
    sign(project)
    project.run("--holdout-required").assert_outcomes(passed=1, skipped=1)
    project.run("--holdout-required", "-n", "2").assert_outcomes(passed=1, skipped=1)
