"""`--holdout-required`: which scenarios count is decided by the keyholder's signed manifest, not
by the files an agent can add, remove or replace."""

from __future__ import annotations

from pathlib import Path

import pyrage
import pytest

from holdout_project import PASS_AND_FAIL_STEPS as STEPS
from holdout_project import HoldoutProject

TWO_PASSING = """
Feature: Two
  Scenario: one
    Given a step that passes
  Scenario: two
    Given a step that passes
"""


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
    project.sign()
    (project.store / f"{deleted}.age").unlink()
    result = project.run("--holdout-required", "-v")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([f"*{deleted}: missing (listed in the signed manifest)*"])
    assert kept


def test_a_replaced_scenario_file_fails(project: HoldoutProject) -> None:
    project.steps(STEPS)
    file_id = project.add(TWO_PASSING)
    project.sign()
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
    project.sign()
    project.add("Feature: added\n  Scenario: x\n    Then a step that fails\n")
    result = project.run("--holdout-required")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*1 scenario file(s) not in the signed manifest were not run*"])
    # Without --holdout-required (a keyholder's own run), every file on disk runs.
    project.run().assert_outcomes(passed=2, failed=1)


def test_a_forged_manifest_is_refused(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    project.sign()
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
    project.sign()
    project.run("--holdout-required").assert_outcomes(passed=1, skipped=1)
    project.run("--holdout-required", "-n", "2").assert_outcomes(passed=1, skipped=1)


# -- issue 15: what the repository can change, and the gated run refuses --------------------------


def test_a_gate_or_a_sealed_report_makes_the_run_gated(
    project: HoldoutProject, tmp_path: Path
) -> None:
    """Issue 15, finding 4: without --holdout-required, a run with a gate and a sealed report
    used to ignore MANIFEST, pass at 1.000 with the failing file deleted, and seal the report
    to a recipient the agent had added to RECIPIENTS."""
    project.steps(STEPS)
    project.add(TWO_PASSING)
    failing = project.add("Feature: f\n  Scenario: s\n    Then a step that fails\n")
    project.sign()
    (project.store / f"{failing}.age").unlink()
    attacker = pyrage.x25519.Identity.generate()
    with (project.store / "RECIPIENTS").open("a") as recipients:
        recipients.write(f"{attacker.to_public()}\n")
    report = tmp_path / "report.age"
    result = project.run(
        "--holdout-min-satisfaction", "0.9", "--holdout-sealed-report", str(report)
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --holdout-min-satisfaction (implies --holdout-required): */RECIPIENTS: "
            f"changed since MANIFEST was signed (added {attacker.to_public()}): a keyholder "
            "reviews it and runs `holdout manifest`"
        ]
    )
    assert not report.exists()
    # RECIPIENTS put back: the run is gated, and the deleted file fails its scenario.
    (project.store / "RECIPIENTS").write_text(f"# keyholders\n{project.recipient}\n")
    result = project.run("--holdout-sealed-report", str(report))
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([f"*{failing}: missing (listed in the signed manifest)*"])


def test_a_key_held_verifies_manifest_even_in_a_run_that_is_not_gated(
    project: HoldoutProject,
) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    project.sign()
    result = project.run()
    result.stdout.fnmatch_lines(
        [
            "holdout: MANIFEST version 1 of store acme/shop (checked against HOLDOUT_STORE_ID), "
            f"signed by {project.recipient}; not a gated run: every file in the store runs"
        ]
    )
    (project.store / "RECIPIENTS").write_text(f"{project.recipient}\n# a comment\n")
    result = project.run()
    result.stdout.fnmatch_lines(["holdout: MANIFEST does not verify, this run is not gated: *"])
    result.assert_outcomes(passed=2)


def test_a_store_copied_from_another_repository_is_refused(
    project: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15, finding 5: the organisation's CI key signed both stores."""
    project.steps(STEPS)
    project.add(TWO_PASSING)
    project.sign("--store-id", "acme/other")
    monkeypatch.delenv("HOLDOUT_STORE_ID")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/shop")
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --holdout-required: */MANIFEST: signed for store 'acme/other', but this is "
            "'acme/shop' (GITHUB_REPOSITORY): a MANIFEST from another repository?"
        ]
    )
    monkeypatch.setenv("HOLDOUT_STORE_ID", "acme/other")  # the job's own setting comes first
    project.run("--holdout-required").assert_outcomes(passed=2)


def test_a_manifest_the_job_cannot_parse_is_one_line(project: HoldoutProject) -> None:
    """Issue 15, finding 11: a non-ASCII signature line used to be an INTERNALERROR."""
    project.steps(STEPS)
    project.add(TWO_PASSING)
    project.sign()
    path = project.store / "MANIFEST"
    path.write_bytes(path.read_bytes().replace(b"\nsig ed25519:", b"\nsig \xc3\xa9", 1))
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --holdout-required: */MANIFEST: line *: not printable ASCII"]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_the_job_says_who_signed_when_its_key_did_not(project: HoldoutProject) -> None:
    """Issue 16: a separate CI key that did not sign gets told who did, and what to run."""
    project.steps(STEPS)
    project.add(TWO_PASSING)
    project.sign()
    ci = pyrage.x25519.Identity.generate()
    project.key_file.write_text(f"{ci}\n")
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: --holdout-required: */MANIFEST: not signed by any identity held here "
            f"(signed by {project.recipient}; this process holds {ci.to_public()}): sign it "
            'with this key too, e.g. `HOLDOUT_IDENTITY="$(cat YOUR-KEY THIS-KEY)" holdout manifest`'
        ]
    )


# -- issue 9: the harness and the version are part of what is signed -------------------------------


def test_a_changed_step_definition_is_refused_before_any_scenario_runs(
    project: HoldoutProject,
) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    project.sign()
    project.steps(STEPS.replace("assert False", "pass"))  # an agent makes the failing step pass
    for options in ((), ("-n", "2")):
        result = project.run("--holdout-required", *options)
        assert result.ret == pytest.ExitCode.USAGE_ERROR, options
        output = result.stdout.str() + result.stderr.str()
        assert (
            "--holdout-required: harness changed since MANIFEST was signed: conftest.py" in output
        )
        assert "passed" not in result.stdout.str().splitlines()[-1], options


def test_a_step_defined_in_a_file_not_pinned_is_refused(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    project.sign()
    project.pytester.makepyfile(
        extra_steps="from pytest_holdout import then\n\n@then('anything')\ndef anything(): ...\n"
    )
    project.pytester.makepyprojecttoml('[tool.holdout]\nsteps = ["extra_steps"]\n')
    project.pytester.syspathinsert()
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --holdout-required: harness changed since MANIFEST was signed: "
            "extra_steps.py (not pinned)"
        ]
    )
    assert "harness added   extra_steps.py" in project.sign()  # reviewed and signed: pinned
    assert manifest_line(project, "extra_steps.py")
    project.run("--holdout-required").assert_outcomes(passed=2)


def test_pinned_globs_and_twin_seeds_are_in_the_harness(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    data = project.pytester.mkdir("data")
    (data / "customers.json").write_text("[]\n")
    project.pytester.makepyprojecttoml('[tool.holdout]\npinned = ["data/*.json"]\n')
    output = project.sign()
    for name in ("conftest.py", "data/customers.json", "holdout_twins:slack/seed.yaml"):
        assert f"harness added   {name}" in output
    (data / "customers.json").write_text('[{"vip": true}]\n')
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*harness changed since MANIFEST was signed: data/customers.json"])


def test_an_older_manifest_put_back_is_refused_below_the_minimum_version(
    project: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.steps(STEPS)
    project.add(TWO_PASSING)
    failing = project.add("Feature: f\n  Scenario: s\n    Then a step that fails\n")
    path = project.store / "MANIFEST"
    project.sign()
    older, failing_bytes = path.read_bytes(), (project.store / f"{failing}.age").read_bytes()
    (project.store / f"{failing}.age").unlink()
    project.add("Feature: f\n  Scenario: s\n    Given a step that passes\n")
    assert "version 2," in project.sign()
    # The keyholder raises the job's HOLDOUT_MIN_VERSION to 2; an agent puts version 1 back.
    monkeypatch.setenv("HOLDOUT_MIN_VERSION", "2")
    path.write_bytes(older)
    (project.store / f"{failing}.age").write_bytes(failing_bytes)
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --holdout-required: */MANIFEST: version 1 is below HOLDOUT_MIN_VERSION 2 "
            "(an older MANIFEST put back?)"
        ]
    )


def manifest_line(project: HoldoutProject, name: str) -> str:
    """The MANIFEST line pinning harness file ``name``."""
    lines = (project.store / "MANIFEST").read_text().splitlines()
    return next(line for line in lines if line.startswith("harness ") and line.endswith(f" {name}"))


def test_signing_lists_the_harness_whatever_the_projects_options(project: HoldoutProject) -> None:
    """`holdout manifest` collects the project without the key: options in the project's
    configuration that make a run gated do not make that listing one."""
    project.steps(STEPS)
    project.add(TWO_PASSING)
    project.pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\naddopts = "--holdout-min-satisfaction 0.5"\n'
    )
    assert "harness added   conftest.py" in project.sign()
