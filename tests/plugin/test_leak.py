"""The leak test: a canary planted everywhere a scenario can hold text must appear in no output,
no file and no temp directory, under the options most likely to show it. Only the keyholder's
sealed report shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from holdout_project import CANARY, HoldoutProject

# The step definitions hold no secret themselves: every canary they print, log, raise or assert on
# comes from the scenario, through step arguments, tables and doc strings.
LOUD_STEPS = """
import logging
import sys
import warnings

import pytest

log = logging.getLogger("shop")

@given(parsers.parse("a customer named {name}"), target_fixture="customer")
def customer(name, tmp_path):
    print("stdout:", name)
    print("stderr:", name, file=sys.stderr)
    log.warning("log: %s", name)
    warnings.warn(f"warning: {name}")
    (tmp_path / "note.txt").write_text("a note without the secret")
    return name

@when("they order:")
def order(customer, datatable):
    log.info("ordering %s", datatable)
    return datatable

@then(parsers.parse("the receipt says {text}"))
def receipt(customer, text, docstring=None):
    local_secret = customer + text
    assert local_secret == "nothing like it", local_secret

@then(parsers.parse("the order fails with {text}"))
def fails(text):
    raise RuntimeError(f"exception: {text}")

@then(parsers.parse("all is well for {text}"))
def fine(text, record_property, record_xml_attribute, record_testsuite_property, request):
    print("fine:", text)
    # Every way pytest offers a test to put its own values into a report.
    record_property("fine", text)
    request.node.user_properties.append(("appended", text))
    record_xml_attribute("note", text)
    record_testsuite_property("suite", text)
    request.node.add_marker(f"marked_{text}")
"""

C = CANARY
LEAKY_FEATURE = f'''
@{C}
Feature: {C} feature
  {C} feature description

  Background:
    Given a customer named {C}-background

  Rule: {C} rule
    Scenario: {C} failing assertion
      {C} scenario description
      When they order:
        | item | note       |
        | tea  | {C}-cell   |
      Then the receipt says {C}-then

    @{C}-scenario-tag
    Scenario Outline: {C} outline
      Then the order fails with <value>

      @{C}-examples-tag
      Examples:
        | value       |
        | {C}-example |

    Scenario: {C} passing
      Then all is well for {C}-pass
      """
      {C} doc string
      """
'''


def _all_text_under(root: Path) -> list[str]:
    """Every file name and every file's bytes below root, decoded leniently."""
    found = []
    for path in root.rglob("*"):
        found.append(str(path))
        if path.is_file():
            found.append(path.read_bytes().decode("utf-8", "replace"))
    return found


@pytest.fixture
def leaky(project: HoldoutProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    project.steps(LOUD_STEPS)
    project.add(LEAKY_FEATURE)
    project.sign()  # the runs write a sealed report, which only a gated run does
    system_tmp = project.pytester.path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    return system_tmp


RUNS = {
    "loud": ["-v", "-rA", "-l", "--tb=long", "-s", "--showlocals", "-W", "default"],
    "capture": ["-vv", "-rA", "--tb=long", "-o", "log_cli=true", "--log-cli-level=DEBUG"],
    "log-file": ["-rA", "-o", "log_file=run.log", "--log-file-level=DEBUG"],
    "tee": ["-rA", "--capture=tee-sys", "--tb=native"],
    "junit": ["-rA", "--junitxml=junit.xml", "-o", "junit_logging=all"],
    "report-log": ["-rA", "--report-log=report-log.jsonl"],
    "xdist": ["-v", "-rA", "-n", "2", "--tb=long"],
    "lf": ["-v", "-rA", "--lf", "--tb=long"],
    "collect": ["--collect-only", "-vv"],
}


def test_the_canary_appears_nowhere(project: HoldoutProject, leaky: Path) -> None:
    outputs = []
    sealed = project.pytester.path / "sealed.age"
    for name, args in RUNS.items():
        basetemp = project.pytester.path / f"basetemp-{name}"
        result = project.run(*args, f"--basetemp={basetemp}", f"--holdout-sealed-report={sealed}")
        if name != "collect":
            # 3 scenarios: a failing assertion, a raising step (outline), a passing one; --lf
            # reruns the two that failed.
            expected = {"failed": 2} if name == "lf" else {"failed": 2, "passed": 1}
            outcomes = result.parseoutcomes()
            assert {k: outcomes.get(k) for k in expected} == expected, (name, result.stdout.str())
        outputs += [result.stdout.str(), result.stderr.str()]
    leaks = [text for text in outputs + _all_text_under(project.pytester.path) if CANARY in text]
    assert leaks == []
    assert (project.pytester.path / "junit.xml").is_file()
    assert (project.pytester.path / "report-log.jsonl").is_file()
    assert (project.pytester.path / ".pytest_cache").is_dir()
    assert (project.pytester.path / "run.log").is_file()


def test_only_the_sealed_report_holds_it(project: HoldoutProject, leaky: Path) -> None:
    from pytest_holdout.reports.sealed import render

    sealed = project.pytester.path / "sealed.age"
    project.run("-s", f"--holdout-sealed-report={sealed}").assert_outcomes(passed=1, failed=2)
    assert CANARY not in sealed.read_bytes().decode("latin-1")
    text = render(sealed, [project.identity])
    for planted in (
        "feature",
        "rule",
        "failing assertion",
        "-then",
        "-cell",
        "-example",
        "-background",
        "stdout:",
        "stderr:",
        "log:",
        "exception:",
        "-scenario-tag",
        f"property fine: {CANARY}-pass",
        f"property appended: {CANARY}-pass",
        f"property note: {CANARY}-pass",
        f"property suite: {CANARY}-pass",
    ):
        assert planted in text
        assert CANARY in text
    # Satisfaction per feature and per tag, which only the sealed report may show.
    assert re.search(rf"feature: {CANARY} feature +0\.333", text)
    assert re.search(rf"@{CANARY}-scenario-tag +0\.000", text)
    # Failing trials come first: the passing scenario's heading is last.
    assert text.index(f"{CANARY} passing") > text.index(f"{CANARY} outline")
    assert text.index(f"{CANARY} passing") > text.index(f"{CANARY} failing assertion")
