"""What a trial prints reaches its sealed detail once, whichever phase printed it."""

from __future__ import annotations

from pytest_holdout.reports.sealed import read_sealed

from holdout_project import HoldoutProject

STEPS = """
import pytest


@pytest.fixture
def noisy():
    print("printed in setup")
    yield
    print("printed in teardown")


@given("a step that prints")
def prints(noisy):
    print("printed in call")
"""


def test_each_phase_output_is_sealed_once(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add("Feature: F\n  Scenario: S\n    Given a step that prints\n")
    project.sign()
    result = project.run("--holdout-sealed-report", "sealed.age")
    result.assert_outcomes(passed=1)
    (detail,) = read_sealed(project.pytester.path / "sealed.age", [project.identity])["details"]
    assert detail["stdout"].splitlines() == [
        "printed in setup",
        "printed in call",
        "printed in teardown",
    ]
