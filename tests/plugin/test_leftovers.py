"""What a holdout step leaves behind after its phase (threads, garbage, an interrupt, a crash)
reaches no public output: it goes to the sealed report."""

from __future__ import annotations

import json

import pytest

from holdout_project import CANARY, HoldoutProject

LATE_STEPS = """
import logging
import os
import threading
import time

import pytest

import pytest_holdout.collection.leftovers as leftovers

log = logging.getLogger("late")

if os.environ.get("GRACE") is not None:
    leftovers.THREAD_GRACE = float(os.environ["GRACE"])


def later(action):
    def run():
        time.sleep(0.3)
        action()
    threading.Thread(target=run).start()


class Cycle:
    def __init__(self, text):
        self.text, self.me = text, self

    def __del__(self):
        raise RuntimeError(f"del: {self.text}")


@then(parsers.parse("a thread raises {text}"))
def thread_raises(text):
    def fail():
        raise RuntimeError(f"thread: {text}")
    later(fail)


@then(parsers.parse("a thread prints and logs {text}"))
def thread_prints(text):
    def speak():
        print("late print:", text)
        log.warning("late log: %s", text)
    later(speak)


@then(parsers.parse("a cycle is left with {text}"))
def cycle(text):
    Cycle(text)


@then(parsers.parse("the step interrupts with {text}"))
def interrupts(text):
    raise KeyboardInterrupt(text)


@then(parsers.parse("the step exits with {text}"))
def exits(text):
    pytest.exit(text)


@then("the step pulls in a fixture")
def pulls(request):
    request.getfixturevalue("fixture_the_scenario_needs")


@pytest.fixture
def fixture_the_scenario_needs():
    return 1


@then("the process aborts")
def abort_in_the_step():
    os.abort()


@then("the step hangs a while")
def hang_in_the_step():
    time.sleep(1.0)
"""

# Runs after the holdout items: waits for every thread, so that a late one acts meanwhile, and
# fails, so that -rA shows its captured output.
ORDINARY_AFTER = """
import threading

def test_after():
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(10)
    assert False
"""


def feature(step: str) -> str:
    return f"Feature: {CANARY} late\n  Scenario: {CANARY} late\n    Then {step}\n"


@pytest.fixture
def late(project: HoldoutProject) -> HoldoutProject:
    project.steps(LATE_STEPS)
    project.pytester.makepyfile(test_after=ORDINARY_AFTER)
    return project


def run_then_ordinary(project: HoldoutProject, *args: str) -> pytest.RunResult:
    sealed = project.pytester.path / "sealed.age"
    project.sign()  # a sealed report makes the run a gated one, which checks MANIFEST
    return project.run(
        "scenarios_encrypted",
        "test_after.py",
        "-rA",
        "-W",
        "default",
        f"--holdout-sealed-report={sealed}",
        *args,
    )


def opened(project: HoldoutProject) -> str:
    from pytest_holdout.reports.sealed import render

    return render(project.pytester.path / "sealed.age", [project.identity])


@pytest.mark.parametrize(
    ("step", "planted"),
    [
        (f"a thread raises {CANARY}", f"thread: {CANARY}"),
        (f"a thread prints and logs {CANARY}", f"late print: {CANARY}"),
        (f"a cycle is left with {CANARY}", f"del: {CANARY}"),
    ],
    ids=["thread exception", "thread print and log", "__del__ in a cycle"],
)
@pytest.mark.parametrize("grace", ["default", "outlived"])
def test_what_a_step_leaves_behind_goes_to_the_sealed_report(
    late: HoldoutProject, monkeypatch: pytest.MonkeyPatch, step: str, planted: str, grace: str
) -> None:
    if grace == "outlived":
        monkeypatch.setenv("GRACE", "0")  # the teardown does not wait: the thread outlives it
    late.add(feature(step))
    result = run_then_ordinary(late)
    result.assert_outcomes(passed=1, failed=1)
    assert CANARY not in result.stdout.str() + result.stderr.str()
    assert planted in opened(late)


def test_a_late_thread_under_xdist_reaches_no_terminal(
    late: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRACE", "0")
    late.add(feature(f"a thread prints and logs {CANARY}"))
    result = run_then_ordinary(late, "-n", "2")
    result.assert_outcomes(passed=1, failed=1)
    assert CANARY not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("step", "exit_code", "says"),
    [
        (f"the step interrupts with {CANARY}", pytest.ExitCode.INTERRUPTED, "KeyboardInterrupt"),
        (f"the step exits with {CANARY}", pytest.ExitCode.INTERRUPTED, "stopped the run"),
    ],
    ids=["KeyboardInterrupt", "pytest.exit"],
)
def test_an_interrupt_inside_a_step_prints_no_message(
    late: HoldoutProject, step: str, exit_code: pytest.ExitCode, says: str
) -> None:
    late.add(feature(step))
    result = run_then_ordinary(late)
    assert result.ret == exit_code
    output = result.stdout.str() + result.stderr.str()
    assert CANARY not in output
    assert says in output
    assert "the_step" not in output and "conftest.py" not in output  # nor where it happened
    assert f"{CANARY}" in opened(late)


def test_setup_show_does_not_list_a_scenarios_fixtures(late: HoldoutProject) -> None:
    late.add(feature("the step pulls in a fixture"))
    result = late.run("scenarios_encrypted", "--setup-show")
    result.assert_outcomes(passed=1)
    assert "fixture_the_scenario_needs" not in result.stdout.str()


def test_a_crashed_xdist_worker_fails_its_trial_without_a_stack_dump(
    late: HoldoutProject,
) -> None:
    file_id = late.add(feature("the process aborts"))
    result = late.run("-n", "2", "--holdout-json", "out.json")
    output = result.stdout.str() + result.stderr.str()
    assert "abort_in_the_step" not in output and "conftest.py" not in output
    report = json.loads((late.pytester.path / "out.json").read_text())
    trial = report["results"][f"{file_id}-1"]["trials"][0]
    assert (trial["status"], trial["reason"]) == ("unsatisfied", "crashed")
    assert report["figures"]["trials"]["unsatisfied"] == 1


def test_a_crash_without_xdist_prints_no_stack(late: HoldoutProject) -> None:
    late.add(feature("the process aborts"))
    result = late.run()
    assert result.ret != pytest.ExitCode.OK
    assert "abort_in_the_step" not in result.stdout.str() + result.stderr.str()


def test_faulthandler_timeout_prints_no_stack_of_a_step(late: HoldoutProject) -> None:
    late.add(feature("the step hangs a while"))
    result = late.run("scenarios_encrypted", "-o", "faulthandler_timeout=0.2")
    result.assert_outcomes(passed=1)
    assert "hang_in_the_step" not in result.stdout.str() + result.stderr.str()
