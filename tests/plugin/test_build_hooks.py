"""The build and feedback hooks: ``--holdout-build`` lets a conftest build before collection, and
every holdout run hands its public feedback to ``pytest_holdout_feedback`` and to the next build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from holdout_project import PASS_AND_FAIL_STEPS, HoldoutProject

# A conftest that records what the hooks get, and when, in hooks.jsonl next to it.
RECORDING_HOOKS = """
import json
from pathlib import Path

LOG = Path(__file__).with_name("hooks.jsonl")

def _log(**entry):
    with LOG.open("a") as file:
        file.write(json.dumps(entry, default=str) + "\\n")

def pytest_holdout_build(config, specs, feedback):
    _log(hook="build", specs=str(specs), feedback=feedback)

def pytest_collection(session):
    _log(hook="collection")

def pytest_holdout_feedback(config, feedback):
    _log(hook="feedback", feedback=feedback)
"""


def _hooks(project: HoldoutProject) -> list[dict]:
    log = project.pytester.path / "hooks.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture
def built(project: HoldoutProject) -> HoldoutProject:
    project.steps(PASS_AND_FAIL_STEPS + RECORDING_HOOKS)
    project.add(
        """
        Feature: F
          Scenario: passes
            Given a step that passes
          Scenario: fails
            Given a step that passes
            Then a step that fails
        """
    )
    return project


def test_the_build_comes_before_collection_and_gets_the_last_runs_feedback(
    built: HoldoutProject,
) -> None:
    built.run("--holdout-build", subprocess=False).assert_outcomes(passed=1, failed=1)
    built.run("--holdout-build", "--holdout-specs", "docs/specs", subprocess=False).assert_outcomes(
        passed=1, failed=1
    )
    first_build, collection, first_feedback, second_build, *_ = _hooks(built)
    assert [first_build["hook"], collection["hook"]] == ["build", "collection"]
    assert first_build["specs"] == str(built.pytester.path / "specs")
    assert first_build["feedback"] is None
    feedback = first_feedback["feedback"]
    assert feedback["round"] == 1 and feedback["satisfaction"] == 0.5
    assert feedback["trials"]["judged"] == 2 and feedback["interval"]["method"] == "wilson"
    assert "results" not in feedback  # per-id results only when asked
    assert second_build["feedback"] == feedback
    assert second_build["specs"] == str(built.pytester.path / "docs" / "specs")


def test_feedback_without_build_counts_rounds_and_gives_ids_only_when_asked(
    built: HoldoutProject,
) -> None:
    built.run(subprocess=False).assert_outcomes(passed=1, failed=1)
    built.run("--holdout-feedback-ids", subprocess=False).assert_outcomes(passed=1, failed=1)
    first, second = (entry["feedback"] for entry in _hooks(built) if entry["hook"] == "feedback")
    assert [first["round"], second["round"]] == [1, 2]
    assert "build" not in {entry["hook"] for entry in _hooks(built)}
    results = second["results"]
    assert sorted(results) == [f"{built.file_ids[0]}-1", f"{built.file_ids[0]}-2"]
    assert {r["verdict"] for r in results.values()} == {"satisfied", "not"}


def test_the_build_is_called_once_with_xdist(built: HoldoutProject) -> None:
    built.run("--holdout-build", "-n", "2").assert_outcomes(passed=1, failed=1)
    assert [entry["hook"] for entry in _hooks(built)].count("build") == 1


def test_build_without_an_implementation_is_a_usage_error(project: HoldoutProject) -> None:
    project.steps(PASS_AND_FAIL_STEPS)
    result = project.run("--holdout-build")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--holdout-build: no plugin or conftest implements*"])


def test_the_app_dir_fixture_is_the_rootdir_or_holdout_app(
    project: HoldoutProject, tmp_path: Path
) -> None:
    project.pytester.makepyfile(
        test_plain="def test_app(holdout_app_dir):\n    print('APP', holdout_app_dir)\n"
    )
    result = project.run("-s", "test_plain.py", subprocess=False)
    result.stdout.fnmatch_lines([f"*APP {project.pytester.path}"])
    result = project.run("-s", "test_plain.py", "--holdout-app", str(tmp_path), subprocess=False)
    result.stdout.fnmatch_lines([f"*APP {tmp_path}"])
