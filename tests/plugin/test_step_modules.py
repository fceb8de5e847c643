"""Modules named in ``[tool.holdout] steps`` behave like conftest.py: importable from the project
root under the plain ``pytest`` command, with their asserts rewritten, and one clear error when
they cannot be imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from holdout_project import HoldoutProject

BIN = Path(sys.executable).parent

WEEKLY_STEPS = """
from pytest_holdout import given, then


@given("a week with one task done", target_fixture="summary")
def week():
    return "Weekly summary: 1 tasks done"


@then("the summary counts one task")
def one_task(summary):
    assert summary == "Weekly summary: 1 task done"
"""

WEEKLY = """
Feature: Weekly summary
  Scenario: one task
    Given a week with one task done
    Then the summary counts one task
"""


def console(
    project: HoldoutProject, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """A command of this environment as a user types it: the ``pytest`` or ``holdout`` script,
    so that the current folder is not on sys.path (``python -m`` would put it there)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    command = [str(BIN / args[0]), *args[1:]]
    return subprocess.run(
        command, cwd=cwd or project.pytester.path, env=env, capture_output=True, text=True
    )


def weekly_project(project: HoldoutProject, package: bool) -> None:
    project.pytester.makepyprojecttoml('[tool.holdout]\nsteps = ["steps.weekly"]\n')
    steps = project.pytester.mkdir("steps")
    if package:
        (steps / "__init__.py").write_text("")
    (steps / "weekly.py").write_text(WEEKLY_STEPS)


@pytest.mark.parametrize("package", [False, True], ids=["folder", "package"])
def test_step_modules_import_from_the_project_root_under_plain_pytest(
    project: HoldoutProject, package: bool
) -> None:
    weekly_project(project, package)
    project.add(WEEKLY)
    tests = project.pytester.mkdir("tests")
    for cwd in (project.pytester.path, tests):  # from the root, and from a folder below it
        done = console(project, "pytest", "--holdout", "-p", "no:randomly", "-rA", cwd=cwd)
        assert "1 failed" in done.stdout, done.stdout + done.stderr
        assert "step 2 (Then) failed: assertion" in done.stdout


def test_a_failing_step_of_a_step_module_explains_itself_in_the_sealed_report(
    project: HoldoutProject,
) -> None:
    weekly_project(project, package=False)
    project.add(WEEKLY)
    project.sign()  # a sealed report makes the run a gated one, which checks MANIFEST
    console(project, "pytest", "--holdout", "-p", "no:randomly", "--holdout-sealed-report", "r.age")
    opened = console(project, "holdout", "report", "open", "r.age").stdout
    # The rewritten assert shows the values compared, as it would for a step in conftest.py.
    assert "assert 'Weekly summary: 1 tasks done' == 'Weekly summary: 1 task done'" in opened


def test_a_step_module_that_is_not_there_names_it_the_place_searched_and_the_fix(
    project: HoldoutProject,
) -> None:
    project.pytester.makepyprojecttoml('[tool.holdout]\nsteps = ["steps.weekly"]\n')
    project.pytester.mkdir("steps")
    project.add(WEEKLY)
    done = console(project, "pytest", "--holdout")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    root = project.pytester.path
    assert (
        f"[tool.holdout] steps in {root / 'pyproject.toml'}: cannot import 'steps.weekly': no "
        f"steps/weekly.py or steps/weekly/__init__.py in the project root {root}"
    ) in done.stderr
    assert "'steps.weekly' for steps/weekly.py" in done.stderr


def test_a_step_module_whose_client_is_not_installed_says_which_extra_installs_it(
    project: HoldoutProject,
) -> None:
    weekly_project(project, package=False)
    # What importing slack_sdk does where pytest-holdout was installed without [slack].
    missing = "raise ModuleNotFoundError(\"No module named 'slack_sdk'\", name='slack_sdk')\n"
    (project.pytester.path / "steps" / "weekly.py").write_text(missing)
    project.add(WEEKLY)
    done = console(project, "pytest", "--holdout")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    weekly = project.pytester.path / "steps" / "weekly.py"
    assert (
        f"importing 'steps.weekly' ({weekly}) failed: ModuleNotFoundError: No module named "
        "'slack_sdk' (pip install 'pytest-holdout[slack]' installs it)"
    ) in done.stderr
