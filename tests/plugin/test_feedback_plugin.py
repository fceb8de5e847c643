"""--holdout-feedback in a pytest session: one round per run, what public output then shows, and
what it refuses."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from holdout_project import PASS_AND_FAIL_STEPS, HoldoutProject

FEATURE = """
Feature: Mixed
  Scenario: one
    Given a step that passes
  Scenario: two
    Given a step that passes
  Scenario: three
    Then a step that fails
  Scenario: four
    Then a step that fails
"""

STATE = ("--holdout-feedback-state", "feedback.state")


@pytest.fixture
def mixed(project: HoldoutProject) -> HoldoutProject:
    project.steps(PASS_AND_FAIL_STEPS)
    project.add(FEATURE)
    return project


def schema() -> dict:
    text = resources.files("pytest_holdout.reports").joinpath("report-schema-v1.json").read_text()
    return json.loads(text)


def report_of(project: HoldoutProject) -> dict:
    report = json.loads((project.pytester.path / "holdout.json").read_text())
    jsonschema.validate(report, schema())
    return report


def test_the_ladder_releases_its_score_and_withholds_every_outcome(mixed: HoldoutProject) -> None:
    args = ("--holdout-feedback=ladder", *STATE, "--holdout-json", "holdout.json", "-v")
    first = mixed.run(*args, "--holdout-reset-feedback")
    assert first.ret == pytest.ExitCode.OK  # two scenarios failed, but that is withheld
    out = first.stdout.str()
    first.stdout.fnmatch_lines(
        [
            "*::S-*-1 HOLDOUT*",
            "*holdout satisfaction*",
            "feedback round 1: 0.500 (ladder: rounded to a step of 0.500)",
            "figures withheld by --holdout-feedback=ladder (the sealed report has them)",
            "*4 holdout*",
        ]
    )
    assert "failed" not in out.lower() and "passed" not in out.split("holdout satisfaction")[1]
    assert "FAILURES" not in out and "satisfaction  " not in out
    report = report_of(mixed)
    assert {"figures", "counts", "results"}.isdisjoint(report)
    assert report["feedback"]["value"] == 0.5 and report["feedback"]["round"] == 1
    assert not (mixed.pytester.path / ".pytest_cache/v/cache/lastfailed").exists()

    second = mixed.run(*args, "-n", "2")  # under xdist the controller releases
    second.stdout.fnmatch_lines(["feedback round 2: 0.500 again (ladder: not better than *)"])
    assert "FAILED" not in second.stdout.str() and second.ret == pytest.ExitCode.OK
    assert report_of(mixed)["feedback"]["checkpoint"]["round"] == 2


def test_a_gate_still_decides_and_says_only_whether_it_passed(mixed: HoldoutProject) -> None:
    args = ("--holdout-feedback=ladder", *STATE, "--holdout-reset-feedback")
    mixed.sign()  # a gate makes the run gated: only what MANIFEST signed counts
    result = mixed.run(*args, "--holdout-min-satisfaction", "0.9")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["gate: failed (its figure is withheld by --holdout-feedback=ladder)"]
    )


def test_plain_feedback_with_a_state_shows_the_figures_and_counts_the_round(
    mixed: HoldoutProject,
) -> None:
    result = mixed.run(*STATE, "--holdout-reset-feedback", "--holdout-json", "holdout.json")
    result.stdout.fnmatch_lines(
        ["satisfaction  0.500*", "feedback round 1: 0.500 (plain: the score as measured)"]
    )
    report = report_of(mixed)
    assert report["figures"]["satisfaction"] == 0.5 and report["feedback"]["source"] == "holdout"


def test_thresholdout_answers_from_the_public_split_named_in_pyproject(
    mixed: HoldoutProject,
) -> None:
    public = mixed.add(FEATURE.replace("Then a step that fails", "Given a step that passes"))
    mixed.pytester.makepyprojecttoml(f'[tool.holdout]\npublic_split = ["{public}"]\n')
    args = ("--holdout-feedback=thresholdout", *STATE, "--holdout-json", "holdout.json")
    result = mixed.run(*args, "--holdout-reset-feedback", "--holdout-feedback-budget", "3")
    assert result.ret == pytest.ExitCode.OK
    feedback = report_of(mixed)["feedback"]
    # holdout 0.5, public split 1.0: they differ by more than the threshold (1/sqrt(4) = 0.5
    # plus noise) or not; either way the answer is one of the two, and a holdout answer spends.
    if feedback["source"] == "public":
        assert feedback["value"] == 1.0 and feedback["budget_left"] == 3
    else:
        assert feedback["source"] == "holdout" and feedback["budget_left"] == 2
    mixed.pytester.makepyprojecttoml('[tool.holdout]\npublic_split = ["S-000000000000"]\n')
    changed = mixed.run(*args)
    assert changed.ret == pytest.ExitCode.USAGE_ERROR
    changed.stderr.fnmatch_lines(["*feedback.state: the public split changed since this run*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--holdout-feedback=ladder",),
            "*--holdout-feedback=ladder needs --holdout-feedback-state*",
        ),
        ((*STATE, "--holdout-feedback=ladder"), "*feedback.state: missing (the feedback state*"),
        (
            (
                *STATE,
                "--holdout-feedback=ladder",
                "--holdout-reset-feedback",
                "--junitxml",
                "j.xml",
            ),
            "*--junitxml records each holdout item's outcome, which --holdout-feedback=ladder "
            "withholds; drop it*",
        ),
        (
            (*STATE, "--holdout-feedback=thresholdout", "--holdout-reset-feedback"),
            "*thresholdout needs a public split*",
        ),
    ],
)
def test_what_feedback_refuses_is_one_usage_error(
    mixed: HoldoutProject, args: tuple[str, ...], message: str
) -> None:
    result = mixed.run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_tampered_state_stops_the_run(mixed: HoldoutProject) -> None:
    mixed.run("--holdout-feedback=ladder", *STATE, "--holdout-reset-feedback")
    state = mixed.pytester.path / "feedback.state"
    data = bytearray(state.read_bytes())
    data[-10] = ord("A") if data[-10] != ord("A") else ord("B")
    state.write_bytes(bytes(data))
    result = mixed.run("--holdout-feedback=ladder", *STATE)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*feedback.state: altered since it was saved*"])
