"""The gated run (`--holdout-required`): MANIFEST decides which trials count, not the repository's
pytest configuration. Whatever did not run counts as not satisfied, duplicates count once, and
settings that would select, repeat or re-order holdout items, raise disclosure or weaken the judge
are refused unless they come from the gated job's own command line."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from holdout_project import PASS_AND_FAIL_STEPS, HoldoutProject

PASSING = "Feature: good\n  Scenario: good\n    Given a step that passes\n"
FAILING = "Feature: bad\n  Scenario: bad\n    Then a step that fails\n"
GATED = ("--holdout-required", "--holdout-min-satisfaction", "0.9", "--holdout-json", "out.json")


@pytest.fixture
def gated(project: HoldoutProject) -> tuple[HoldoutProject, str, str]:
    """A signed store of two files: one scenario that passes, one that fails."""
    project.steps(PASS_AND_FAIL_STEPS)
    good, bad = project.add(PASSING), project.add(FAILING)
    project.sign()
    return project, good, bad


def node(file_id: str) -> str:
    return f"scenarios_encrypted/{file_id}.age::{file_id}-1"


def report(project: HoldoutProject) -> dict[str, Any]:
    return json.loads((project.pytester.path / "out.json").read_text())


def pyproject(project: HoldoutProject, body: str) -> None:
    project.pytester.makepyprojecttoml(textwrap.dedent(body))


# -- whatever did not run counts as not satisfied ------------------------------------------------


@pytest.mark.parametrize(
    "selection",
    [
        ("-k", "not {bad}"),
        ("--deselect", "{bad_node}"),
        ("scenarios_encrypted/{good}.age",),
        ("-x", "--holdout-trials", "2"),
    ],
    ids=["-k", "--deselect", "file argument", "-x"],
)
def test_a_trial_that_did_not_run_counts_as_not_satisfied(
    gated: tuple[HoldoutProject, str, str], selection: tuple[str, ...]
) -> None:
    project, good, bad = gated
    values = {"good": good, "bad": bad, "bad_node": node(bad)}
    args = [arg.format(**values) for arg in selection]
    result = project.run(*GATED, *args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    figures = report(project)["figures"]
    assert figures["satisfaction"] < 0.9
    assert figures["trials"]["not_run"] >= 1
    result.stdout.re_match_lines([r"not run +\d+ of the \d+ trials MANIFEST implies"])
    results = report(project)["results"]
    assert any(t["reason"] == "not run" for r in results.values() for t in r["trials"])


def test_the_not_run_count_is_in_every_public_report(
    gated: tuple[HoldoutProject, str, str],
) -> None:
    project, _good, bad = gated
    result = project.run(*GATED, "-k", f"not {bad}", "--junitxml=junit.xml")
    result.stdout.fnmatch_lines(["not run*1 of the 2 trials MANIFEST implies*"])
    assert report(project)["figures"]["trials"]["not_run"] == 1
    assert report(project)["results"][f"{bad}-1"]["trials"][0]["reason"] == "not run"
    junit = (project.pytester.path / "junit.xml").read_text()
    assert '<property name="holdout_trials_not_run" value="1"' in junit


def test_a_complete_gated_run_reports_none_not_run(gated: tuple[HoldoutProject, str, str]) -> None:
    project, _good, _bad = gated
    project.run(*GATED)
    assert report(project)["figures"]["trials"]["not_run"] == 0
    assert report(project)["figures"]["satisfaction"] == 0.5


def test_duplicates_count_once(gated: tuple[HoldoutProject, str, str]) -> None:
    project, good, _bad = gated
    path = f"scenarios_encrypted/{good}.age"
    result = project.run(*GATED, "--keep-duplicates", *[path] * 10, "scenarios_encrypted")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    figures = report(project)["figures"]
    assert figures["trials"]["total"] == 2
    assert figures["satisfaction"] == 0.5


def test_last_failed_with_a_committed_cache_cannot_drop_a_scenario(
    gated: tuple[HoldoutProject, str, str],
) -> None:
    project, good, _bad = gated
    # The repository's .pytest_cache says that only the passing scenario failed last time.
    cache = project.pytester.path / ".pytest_cache" / "v" / "cache"
    cache.mkdir(parents=True)
    (cache / "lastfailed").write_text(json.dumps({node(good): True}))
    result = project.run(*GATED, "--lf")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report(project)["figures"]["satisfaction"] == 0.5


def test_a_shard_counts_the_trials_of_its_own_scenarios(
    gated: tuple[HoldoutProject, str, str],
) -> None:
    project, _good, _bad = gated
    totals = []
    for shard in ("1/2", "2/2"):
        project.run("--holdout-required", "--holdout-json", "out.json", "--holdout-shard", shard)
        figures = report(project)["figures"]["trials"]
        assert figures["not_run"] == 0
        totals.append(figures["total"])
    assert sum(totals) == 2


# -- settings from the repository are refused ----------------------------------------------------


REPO_SETTINGS = {
    "addopts -k": ("addopts = \"-k 'not {bad}'\"", "-k"),
    "addopts --deselect": ('addopts = "--deselect {bad_node}"', "--deselect"),
    "addopts file argument": ('addopts = "scenarios_encrypted/{good}.age"', "file argument"),
    "addopts -x": ('addopts = "-x"', "--maxfail"),
    "addopts --maxfail": ('addopts = "--maxfail=1"', "--maxfail"),
    "addopts --lf": ('addopts = "--lf"', "--lf"),
    "addopts --sw": ('addopts = "--sw"', "--sw"),
    "addopts --keep-duplicates": ('addopts = "--keep-duplicates"', "--keep-duplicates"),
    "addopts --holdout-shard": ('addopts = "--holdout-shard=1/2"', "--holdout-shard"),
    "addopts --holdout-disclose": ('addopts = "--holdout-disclose=full"', "--holdout-disclose"),
    "addopts --holdout-seed": ('addopts = "--holdout-seed=7"', "--holdout-seed"),
    "addopts --holdout-judge-model": (
        'addopts = "--holdout-judge-model=claude-haiku-4-5"',
        "--holdout-judge-model",
    ),
    "addopts --holdout-sandbox": ('addopts = "--holdout-sandbox=none"', "--holdout-sandbox"),
    "addopts -o votes": ('addopts = "-o holdout_judge_votes=3"', "holdout_judge_votes"),
    "ini judge model": ('holdout_judge_model = "claude-haiku-4-5"', "holdout_judge_model"),
    "ini trials": ('holdout_trials = "1"', "holdout_trials"),
    "testpaths into the store": (
        'testpaths = ["scenarios_encrypted/{good}.age"]',
        "testpaths",
    ),
    "addopts --ignore": ('addopts = "--ignore=scenarios_encrypted/{bad}.age"', "--ignore"),
}


@pytest.mark.parametrize("setting", REPO_SETTINGS.values(), ids=REPO_SETTINGS.keys())
def test_a_setting_from_the_repository_configuration_is_refused(
    gated: tuple[HoldoutProject, str, str], setting: tuple[str, str]
) -> None:
    project, good, bad = gated
    line, flag = setting
    values = {"good": good, "bad": bad, "bad_node": node(bad)}
    pyproject(project, f"[tool.pytest.ini_options]\n{line.format(**values)}\n")
    result = project.run(*GATED)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines([f"*{flag}*repository*command line*"])


def test_pytest_addopts_is_refused_too(
    gated: tuple[HoldoutProject, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, _good, bad = gated
    monkeypatch.setenv("PYTEST_ADDOPTS", f"--deselect {node(bad)}")
    result = project.run(*GATED)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--deselect*PYTEST_ADDOPTS*"])


CONFTEST_SETS = """
import pytest

@pytest.hookimpl({order})
def pytest_configure(config):
    config.option.{dest} = {value!r}
"""


@pytest.mark.parametrize(
    ("dest", "value", "flag"),
    [("keyword", "not S-", "-k"), ("holdout_disclose", "full", "--holdout-disclose")],
)
@pytest.mark.parametrize("order", ["tryfirst=True", "trylast=True"])
def test_a_conftest_that_changes_an_option_is_refused(
    gated: tuple[HoldoutProject, str, str], dest: str, value: str, flag: str, order: str
) -> None:
    project, _good, _bad = gated
    conftest = project.pytester.path / "conftest.py"
    conftest.write_text(
        conftest.read_text() + CONFTEST_SETS.format(order=order, dest=dest, value=value)
    )
    result = project.run(*GATED)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines([f"*{flag}*conftest*command line*"])


def test_the_same_settings_on_the_command_line_are_the_jobs_own(
    gated: tuple[HoldoutProject, str, str],
) -> None:
    project, _good, _bad = gated
    result = project.run(*GATED, "--holdout-seed=7", "--holdout-judge-model=claude-haiku-4-5")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # 0.5 < 0.9: the gate decided
    assert report(project)["figures"]["satisfaction"] == 0.5


def test_ordinary_configuration_is_still_welcome(gated: tuple[HoldoutProject, str, str]) -> None:
    project, _good, _bad = gated
    # Selection by marker applies to ordinary tests only at the default disclosure, ignoring a
    # folder that holds no scenario is harmless, and lowering disclosure is always allowed.
    pyproject(
        project,
        """
        [tool.pytest.ini_options]
        addopts = "-m 'not slow' --ignore=build --holdout-disclose=none"
        markers = ["slow: slow tests"]
        """,
    )
    project.pytester.makepyfile(
        test_ordinary="import pytest\n\n@pytest.mark.slow\ndef test_slow():\n    pass\n"
        "def test_quick():\n    pass\n"
    )
    result = project.run(*GATED)
    result.assert_outcomes(passed=2, failed=1, deselected=1)
    assert report(project)["figures"]["trials"]["not_run"] == 0


def test_a_keyholders_own_run_keeps_its_configuration(
    gated: tuple[HoldoutProject, str, str],
) -> None:
    project, _good, bad = gated
    pyproject(project, f"[tool.pytest.ini_options]\naddopts = \"-k 'not {bad}'\"\n")
    project.run("--holdout-json", "out.json").assert_outcomes(passed=1, deselected=1)
    assert "not_run" not in report(project)["figures"]["trials"]


# -- the judge -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where", ["ini", "command line"], ids=["holdout_judge_votes", "--holdout-judge-votes"]
)
def test_judge_votes_below_one_are_an_error_everywhere(
    gated: tuple[HoldoutProject, str, str], where: str
) -> None:
    project, _good, _bad = gated
    args: list[str] = []
    if where == "ini":
        pyproject(project, '[tool.pytest.ini_options]\nholdout_judge_votes = "0"\n')
    else:
        args = ["--holdout-judge-votes", "0"]
    result = project.run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*judge*votes*at least 1*"])


def test_a_judge_hook_in_a_conftest_is_refused_in_a_gated_run(
    gated: tuple[HoldoutProject, str, str],
) -> None:
    project, _good, _bad = gated
    conftest = project.pytester.path / "conftest.py"
    conftest.write_text(
        conftest.read_text()
        + "\n\ndef pytest_holdout_judge(request, config):\n"
        + "    from pytest_holdout.judging.judges import Verdict\n"
        + "    return Verdict(True)\n"
    )
    result = project.run(*GATED)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pytest_holdout_judge*conftest*"])
    # A keyholder's own run may use one.
    assert project.run().ret == pytest.ExitCode.TESTS_FAILED
