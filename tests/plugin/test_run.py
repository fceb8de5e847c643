"""`pytest --holdout`: collection, running, selection and the no-key and bad-file cases."""

from __future__ import annotations

import json
import re

import pytest

from holdout_project import HoldoutProject

CALCULATOR_STEPS = """
import pytest

@pytest.fixture
def calculator():
    return {"total": 0}

@given(parsers.parse("a total of {start:d}"))
def start_total(calculator, start):
    calculator["total"] = start

@when(parsers.parse("I add {amount:d}"))
def add(calculator, amount):
    calculator["total"] += amount

@then(parsers.parse("the total is {expected:d}"))
def check_total(calculator, expected):
    assert calculator["total"] == expected
"""

FEATURE = """
Feature: Adding
  Scenario: right
    Given a total of 1
    When I add 2
    Then the total is 3

  @smoke
  Scenario: wrong
    Given a total of 1
    When I add 2
    Then the total is 4
"""

OPAQUE_ITEM = re.compile(r"scenarios_encrypted/S-[0-9a-f]{12}\.age::S-[0-9a-f]{12}-\d+")


def test_each_scenario_is_an_item_with_an_opaque_id(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    file_id = project.add(FEATURE)
    result = project.run("-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"scenarios_encrypted/{file_id}.age::{file_id}-1 PASSED*",
            f"scenarios_encrypted/{file_id}.age::{file_id}-2 FAILED*",
            "*step 3 (Then) failed: assertion*",
        ]
    )
    assert "Adding" not in result.stdout.str()
    assert "total" not in result.stdout.str()


def test_an_items_location_is_its_file_relative_to_the_root(project: HoldoutProject) -> None:
    """What the report log (and JUnit's ``file``) names: the file, relative to the root folder
    wherever pytest runs from, at line 0 (never a scenario's line)."""
    project.steps(CALCULATOR_STEPS)
    file_id = project.add(FEATURE)
    project.pytester.makeini("[pytest]\n")  # the root stays put when pytest runs from below it
    below = project.pytester.mkdir("below")
    expected = f"scenarios_encrypted/{file_id}.age"
    for folder in (project.pytester.path, below):
        log = folder / "log.jsonl"
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            project.run(f"--report-log={log}", str(project.store))
        locations = {
            tuple(entry["location"])
            for line in log.read_text().splitlines()
            if (entry := json.loads(line)).get("$report_type") == "TestReport"
        }
        assert locations == {(expected, 0, f"{file_id}-1"), (expected, 0, f"{file_id}-2")}


def test_without_holdout_nothing_is_decrypted(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    project.add(FEATURE)
    result = project.pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_without_holdout_the_run_loads_no_scenario_machinery(project: HoldoutProject) -> None:
    """Every pytest run of a project with pytest-holdout installed loads its plugins: without
    --holdout they load no Gherkin reader, no store reader, no session and no twin server."""
    project.pytester.makepyfile(
        """
        import sys

        def test_what_is_loaded():
            heavy = ("gherkin", "pytest_holdout.store.files", "pytest_holdout.session.run",
                     "holdout_twins.core")
            assert [name for name in heavy if name in sys.modules] == []
        """
    )
    project.pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_outline_rows_are_items_and_tags_select_with_m(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    file_id = project.add(
        """
        Feature: Outline
          Scenario Outline: add
            Given a total of <a>
            When I add <b>
            Then the total is <c>

            @fast
            Examples:
              | a | b | c |
              | 1 | 1 | 2 |
              | 2 | 2 | 4 |

            Examples:
              | a | b | c |
              | 5 | 5 | 10 |
        """
    )
    result = project.run("--collect-only", "-q")
    ids = [line for line in result.stdout.lines if "::" in line]
    assert ids == [f"scenarios_encrypted/{file_id}.age::{file_id}-{n}" for n in (1, 2, 3)]
    # Tags select scenarios where the output may show scenario content.
    project.run("-m", "fast", "--holdout-disclose=steps").assert_outcomes(passed=2)
    project.run("-m", "not fast", "--holdout-disclose=steps").assert_outcomes(passed=1)


def test_m_selects_ordinary_tests_only_at_public_disclosure(project: HoldoutProject) -> None:
    # Which scenarios `-m "not vip"` keeps (or how many it deselects) would tell a public log
    # which tags they carry: below --holdout-disclose=steps every scenario runs.
    project.steps(CALCULATOR_STEPS)
    project.add(FEATURE.replace("@smoke", "@vip"))
    project.pytester.makepyfile(
        test_plain="import pytest\n\n@pytest.mark.vip\ndef test_vip():\n    pass\n"
    )
    result = project.run("-m", "not vip", "-p", "no:warnings")
    result.assert_outcomes(passed=1, failed=1, deselected=1)
    result.stdout.fnmatch_lines(["holdout: -m selects ordinary tests only*every holdout scenario*"])


def test_k_matches_opaque_ids_and_never_tags(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    file_id = project.add(FEATURE)
    by_tag = project.run("-k", "smoke")
    assert by_tag.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    project.run("-k", f"{file_id}-2").assert_outcomes(failed=1)


def test_collect_only_shows_ids_only(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    project.add(FEATURE)
    result = project.run("--collect-only")
    text = result.stdout.str()
    assert "<HoldoutScenario S-" in text
    assert "wrong" not in text and "smoke" not in text and "Adding" not in text


def test_no_key_skips_every_item_with_one_reason(
    project: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.steps(CALCULATOR_STEPS)
    project.add(FEATURE)
    project.add(FEATURE)
    monkeypatch.delenv("HOLDOUT_IDENTITY_FILE")
    result = project.run("-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*2*HOLDOUT_IDENTITY or HOLDOUT_IDENTITY_FILE*"])


def test_required_without_key_is_an_error(
    project: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.add(FEATURE)
    monkeypatch.delenv("HOLDOUT_IDENTITY_FILE")
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*HOLDOUT_IDENTITY*HOLDOUT_IDENTITY_FILE*"])


def test_undefined_and_ambiguous_steps_name_the_step_index(project: HoldoutProject) -> None:
    project.steps(
        CALCULATOR_STEPS
        + """
@then(parsers.parse("the total is {expected}"))
def check_total_again(expected):
    pass
"""
    )
    file_id = project.add(
        """
        Feature: Broken
          Scenario: undefined
            Given a total of 1
            When I multiply by 2
          Scenario: ambiguous
            Given a total of 1
            Then the total is 1
        """
    )
    result = project.run("-v")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            f"*{file_id}-1*",
            "*step 2 (When) failed: undefined step*",
            f"*{file_id}-2*",
            "*step 2 (Then) failed: ambiguous step*",
        ]
    )


def test_steps_get_fixtures_tables_docstrings_and_published_values(
    project: HoldoutProject,
) -> None:
    project.steps(
        """
import pytest

@pytest.fixture
def inventory():
    return {}

@given("these items:", target_fixture="items")
def items(datatable):
    header, *rows = datatable
    return [dict(zip(header, row)) for row in rows]

@when("I stock them")
def stock(items, inventory):
    for item in items:
        inventory[item["name"]] = int(item["count"])

@then("the inventory reads:")
def reads(inventory, docstring):
    assert docstring == ", ".join(f"{k}={v}" for k, v in sorted(inventory.items()))
"""
    )
    project.add(
        '''
        Feature: Stock
          Scenario: stock
            Given these items:
              | name  | count |
              | apple | 3     |
              | pear  | 2     |
            When I stock them
            Then the inventory reads:
              """
              apple=3, pear=2
              """
        '''
    )
    project.run().assert_outcomes(passed=1)


def test_steps_from_modules_named_in_pyproject(project: HoldoutProject) -> None:
    project.pytester.makepyprojecttoml('[tool.holdout]\nsteps = ["shop_steps"]\n')
    project.pytester.makepyfile(
        shop_steps="""
import pytest
from pytest_holdout import given, then

@pytest.fixture
def basket():
    return []

@given("an empty basket")
def empty(basket):
    assert basket == []

@then("it holds nothing")
def nothing(basket):
    assert not basket
"""
    )
    project.add(
        """
        Feature: Basket
          Scenario: empty
            Given an empty basket
            Then it holds nothing
        """
    )
    result = project.pytester.runpytest_subprocess("--holdout", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_malformed_scenario_fails_with_its_id_and_line_only(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    file_id = project.add(
        "Feature: Broken\n  Scenario: x\n    Given a total of 1\n  Oops not gherkin\n"
    )
    result = project.run("-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{file_id}: malformed scenario at line 4*"])
    assert "Oops" not in result.stdout.str()


def test_a_file_for_other_recipients_fails_with_a_clear_message(
    project: HoldoutProject,
) -> None:
    import pyrage

    other = pyrage.x25519.Identity.generate()
    (project.store / "S-0123456789ab.age").write_bytes(
        pyrage.encrypt(b"Feature: x", [other.to_public()])
    )
    result = project.run("-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*S-0123456789ab: no identity matches (encrypted to other recipients)*"]
    )


def test_trials_repeat_each_scenario(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    file_id = project.add(FEATURE)
    result = project.run("--holdout-trials", "3", "--collect-only", "-q")
    ids = [line for line in result.stdout.lines if "::" in line]
    assert len(ids) == 6
    assert f"scenarios_encrypted/{file_id}.age::{file_id}-2[t3]" in ids


def test_xdist_gives_the_same_outcomes(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    for _ in range(3):
        project.add(FEATURE)
    serial = project.run("-rA", "-p", "no:cacheprovider")
    parallel = project.run("-rA", "-n", "2", "-p", "no:cacheprovider")
    serial.assert_outcomes(passed=3, failed=3)
    parallel.assert_outcomes(passed=3, failed=3)

    def outcomes(result: pytest.RunResult) -> set[str]:
        return {line for line in result.stdout.lines if line.startswith(("PASSED", "FAILED"))}

    assert outcomes(serial) == outcomes(parallel)


@pytest.mark.parametrize("flag", ["--pdb", "--trace", "--debug", "--full-trace"])
def test_flags_that_would_show_locals_are_refused_unless_disclosure_is_full(
    project: HoldoutProject, flag: str
) -> None:
    project.steps(CALCULATOR_STEPS)
    project.add(FEATURE)
    refused = project.run(flag)
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines([f"*{flag} would show holdout scenario content*"])


DECRYPT_LOG = """
import os
import pytest_holdout.store.files as store

_decrypt = store.decrypt

def _logged(data, identities, name):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "controller")
    with open("decrypt.log", "a") as log:
        log.write(f"{worker} {name}\\n")
    return _decrypt(data, identities, name)

store.decrypt = _logged
"""


def test_each_xdist_worker_decrypts_only_the_files_it_runs(
    project: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # when this suite runs under xdist
    project.steps(CALCULATOR_STEPS + DECRYPT_LOG)
    file_ids = {project.add(FEATURE) for _ in range(6)}
    result = project.run("-n", "2", "--dist", "loadfile", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=6)
    ran: dict[str, set[str]] = {}
    for worker, file_id in re.findall(
        r"\[(gw\d)\].* (?:PASSED|FAILED) scenarios_encrypted/(S-[0-9a-f]{12})\.age",
        result.stdout.str(),
    ):
        ran.setdefault(worker, set()).add(file_id)
    decrypted: dict[str, list[str]] = {}
    for line in (project.pytester.path / "decrypt.log").read_text().splitlines():
        process, file_id = line.split()
        decrypted.setdefault(process, []).append(file_id)
    # The controller reads each file once, to tell the workers how many scenarios it holds.
    assert sorted(decrypted.pop("controller")) == sorted(file_ids)
    assert set(ran) == {"gw0", "gw1"}
    for worker, files in ran.items():
        assert sorted(decrypted[worker]) == sorted(files)


def test_disclosure_steps_shows_step_texts_and_full_adds_tracebacks_both_with_a_warning(
    project: HoldoutProject,
) -> None:
    project.steps(CALCULATOR_STEPS)
    project.add(FEATURE)
    ids = project.run("--holdout-disclose", "ids")
    steps = project.run("--holdout-disclose", "steps")
    full = project.run("--holdout-disclose", "full")
    assert "secret scenario content" not in ids.stdout.str()
    steps.stdout.fnmatch_lines(["*disclose=steps prints secret scenario content*"])
    steps.stdout.fnmatch_lines(["*1. Given a total of 1*[passed]*", "> 3. Then the total is 4*"])
    assert "Traceback" not in steps.stdout.str() and "assert 3 == 4" not in steps.stdout.str()
    full.stdout.fnmatch_lines(["*disclose=full prints secret scenario content*"])
    full.stdout.fnmatch_lines(["*assert 3 == 4*"])
    none = project.run("--holdout-disclose", "none")
    none.stdout.fnmatch_lines(["*holdout scenario failed*"])
    assert "step 3" not in none.stdout.str()


def test_a_parser_crash_names_the_file_and_nothing_else(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    file_id = project.add(FEATURE)
    project.pytester.makepyfile(
        sitecustomize="""
import pytest_holdout.scenarios.parsing as parsing

def crash(data, file_id):
    raise KeyError(data.decode())  # a parser bug whose message would quote the scenario

parsing.parse_feature = crash
"""
    )
    project.pytester.syspathinsert()
    result = project.run("-v", "-rA")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{file_id}: could not be parsed (KeyError)*"])
    assert "Adding" not in result.stdout.str() + result.stderr.str()


def test_the_garbage_collector_is_tuned_only_while_holdout_items_run(
    project: HoldoutProject,
) -> None:
    project.steps(
        """
        import gc

        gc.set_threshold(1234, 11, 12)  # the project's own tuning

        @given("the collector is tuned for holdout work")
        def tuned():
            assert gc.get_threshold()[0] > 1234
        """
    )
    ordinary = """
        import gc

        def test_sees_its_own_tuning():
            assert gc.get_threshold() == (1234, 11, 12)
        """
    project.pytester.makepyfile(test_before=ordinary, test_after=ordinary)
    project.add("Feature: f\n  Scenario: s\n    Given the collector is tuned for holdout work\n")
    # An ordinary test before the store's trials and one after them.
    result = project.run("-v", "test_before.py", "scenarios_encrypted", "test_after.py")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["*test_before.py*PASSED*", "*S-*PASSED*", "*test_after.py*PASSED*"]
    )


def test_crafted_files_fail_alone_with_their_id_and_line(project: HoldoutProject) -> None:
    # Issue 15: a file named `S-x y.age` stopped a run at collection (finding 11); a control
    # character is refused as a malformed scenario, quoting nothing (finding 9).
    project.steps(CALCULATOR_STEPS)
    good = project.add(FEATURE)
    (project.store / "S-x y.age").write_bytes((project.store / f"{good}.age").read_bytes())
    sneaky = project.add(
        "Feature: F\n  Scenario: S\n    Given a total of 1\n#\x1b[1A\x1b[2K\r    Then SECRET\n"
    )
    result = project.run("-v")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [f"*{sneaky}: malformed scenario at line 4: control character U+001B*"]
    )
    assert "SECRET" not in result.stdout.str() and "\x1b[1A" not in result.stdout.str()


def test_the_repository_may_lower_a_limit_but_not_raise_it(project: HoldoutProject) -> None:
    project.steps(CALCULATOR_STEPS)
    file_id = project.add(FEATURE)  # two scenarios
    project.pytester.makepyprojecttoml("[tool.holdout.limits]\nscenarios = 1\n")
    result = project.run("-v")
    result.stdout.fnmatch_lines(
        [
            f"*{file_id}: malformed scenario at line *: more scenarios once expanded than the "
            "scenarios limit (1; HOLDOUT_LIMITS raises it)*"
        ]
    )
    project.pytester.makepyprojecttoml("[tool.holdout.limits]\nscenarios = 5000\n")
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*[[]tool.holdout.limits[]] scenarios = 5000 is above the limit in force (1000)*"]
    )
