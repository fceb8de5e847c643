"""A draft's mistakes are caught at ``holdout add``, while its author can still read it: empty
steps are refused, a step text YAML cut at ``#`` is warned about, and ``holdout add --check``
matches every step against the project's step definitions without encrypting."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_holdout.cli import main as cli
from pytest_holdout.scenarios.parsing import ScenarioSyntaxError, parse_feature
from pytest_holdout.scenarios.yaml_form import comment_cut_lines
from pytest_holdout.store.files import Store

YAML_WITH_AN_EMPTY_STEP = """\
feature: Weekly summary
scenarios:
  - scenario: posted
    steps:
      - given: a week with one task done
      - then: #general gets one message
"""

YAML_CUT_AT_A_CHANNEL = """\
feature: Weekly summary
scenarios:
  - scenario: posted
    steps:
      - given: a week with one task done   # a comment, as meant
      - then: the bot posts to #general
      - and: "one message in #general"
"""


@pytest.mark.parametrize(
    ("draft", "line", "detail"),
    [
        (YAML_WITH_AN_EMPTY_STEP, 6, "a Then step with no text: YAML reads ' #' as the start"),
        ("Feature: F\n  Scenario: S\n    Given a shop\n    When \n", 4, "a When step with no text"),
        (
            "Feature: F\n  Scenario Outline: S\n    Given <who>\n    Examples:\n"
            "      | who |\n      |     |\n",
            3,
            "a Given step with no text",
        ),
    ],
    ids=["yaml-comment", "gherkin", "outline-value"],
)
def test_a_step_with_no_text_does_not_parse(draft: str, line: int, detail: str) -> None:
    with pytest.raises(ScenarioSyntaxError) as raised:
        parse_feature(draft.encode(), "S-example")
    assert str(raised.value) == f"S-example: malformed scenario at line {line}"
    assert detail in raised.value.detail


def test_a_step_text_cut_at_a_word_after_hash_is_found_by_line() -> None:
    parse_feature(YAML_CUT_AT_A_CHANNEL.encode(), "S-example")  # valid YAML, valid scenario
    # Line 5's comment starts with a space (a comment, as meant); line 7 is quoted.
    assert comment_cut_lines(YAML_CUT_AT_A_CHANNEL) == [6]


@pytest.fixture
def project(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(store_dir.parent)
    return store_dir.parent


def test_add_refuses_an_empty_step_and_keeps_the_draft(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = project / "weekly.yaml"
    draft.write_text(YAML_WITH_AN_EMPTY_STEP)
    assert cli.main(["add", "--delete-source", str(draft)]) == 1
    assert "weekly.yaml: line 6: a Then step with no text" in capsys.readouterr().err
    assert draft.exists() and Store(project / "scenarios_encrypted").ids() == []


def about_the_draft(err: str) -> str:
    """What ``holdout add`` printed, less its warning that RECIPIENTS is unchecked (this
    project trusts no signing key yet)."""
    return "".join(line for line in err.splitlines(True) if "is not checked:" not in line)


def test_add_warns_about_a_cut_text_and_delete_source_then_adds_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = project / "weekly.yaml"
    draft.write_text(YAML_CUT_AT_A_CHANNEL)
    store = Store(project / "scenarios_encrypted")
    warning = (
        "holdout: warning: weekly.yaml: line 6: YAML ends this step's text at ' #', which "
        "starts a comment; quote the whole text if the # belongs to it\n"
    )

    assert cli.main(["add", "--delete-source", "weekly.yaml"]) == 1
    assert about_the_draft(capsys.readouterr().err) == warning + (
        "holdout: weekly.yaml: not added, and kept: fix what the warnings say, or add it "
        "without --delete-source\n"
    )
    assert draft.exists() and store.ids() == []

    assert cli.main(["add", "weekly.yaml"]) == 0  # kept as written, with the warning
    assert about_the_draft(capsys.readouterr().err) == warning
    assert len(store.ids()) == 1


CONFTEST_STEPS = """
from pytest_holdout import given, parsers, then


@given(parsers.parse("a week with {done:d} tasks done"))
def week(done):
    pass


@then("the summary is posted")
def posted():
    pass
"""

MODULE_STEPS = """
from pytest_holdout import step, then


@then("the summary is posted")
def posted_again():
    pass


@step("nothing else happens")
def quiet():
    pass
"""

DRAFT = """\
Feature: Weekly summary
  Scenario Outline: posted
    Given a week with <done> tasks done
    When the bot runs
    Then the summary is posted
    And nothing else happens
    Examples:
      | done |
      | 1    |
      | 2    |
"""


def holdout(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, run in the project as its author would."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    command = [str(Path(sys.executable).parent / "holdout"), *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def test_check_reports_undefined_and_ambiguous_steps_by_line_without_encrypting(
    project: Path, holdout_env: dict[str, str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.holdout]\nsteps = ["steps.weekly"]\n')
    (project / "conftest.py").write_text(CONFTEST_STEPS)
    (project / "steps").mkdir()
    (project / "steps" / "weekly.py").write_text(textwrap.dedent(MODULE_STEPS))
    (project / "weekly.feature").write_text(DRAFT)

    done = holdout(project, "add", "--check", "weekly.feature")

    assert done.returncode == 1
    # Once per line, though the Outline's two rows match each step twice; no step's text.
    assert done.stdout == (
        "weekly.feature:4: undefined When step\n"
        "weekly.feature:5: ambiguous Then step: 2 definitions match "
        "(conftest.py:10, steps/weekly.py:5)\n"
    )
    assert done.stderr == "weekly.feature: 4 step(s), 2 problem(s) (not encrypted)\n"
    assert Store(project / "scenarios_encrypted").ids() == []

    fixed_draft = DRAFT.replace("    When the bot runs\n    Then the summary is posted\n", "")
    (project / "weekly.feature").write_text(fixed_draft)
    fixed = holdout(project, "add", "--check", "weekly.feature")
    assert (fixed.returncode, fixed.stdout) == (0, ""), fixed.stderr


def test_check_reports_a_draft_that_does_not_parse_by_line(project: Path) -> None:
    (project / "weekly.yaml").write_text(YAML_WITH_AN_EMPTY_STEP)
    done = holdout(project, "add", "--check", "weekly.yaml")
    assert done.returncode == 1
    assert done.stdout.startswith("weekly.yaml:6: ")
    assert "a Then step with no text" in done.stdout
