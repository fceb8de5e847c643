"""At ``--holdout-disclose=full`` a failing step's traceback starts at the step, as pytest starts a
test's at the test function: the plugin's own frames are cut (``--fulltrace`` keeps them)."""

from __future__ import annotations

from holdout_project import PASS_AND_FAIL_STEPS, HoldoutProject


def test_full_tracebacks_start_at_the_step(project: HoldoutProject) -> None:
    project.steps(PASS_AND_FAIL_STEPS)
    project.add(
        "Feature: F\n  Scenario: S\n    Given a step that passes\n    Then a step that fails\n"
    )
    failures = project.run("--holdout-disclose=full").stdout.str().split("= FAILURES =")[1]
    traceback = failures.split("holdout satisfaction")[0]
    assert "pytest_holdout" not in traceback and "_pytest" not in traceback
    assert traceback.split("\n\n")[1].lstrip().startswith('@then("a step that fails")')
    assert "conftest.py:9: AssertionError" in traceback
    full = project.run("--holdout-disclose=full", "--fulltrace").stdout.str()
    assert "pytest_holdout/steps/runner.py" in full
