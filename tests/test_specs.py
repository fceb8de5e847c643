"""NLSpecs: `holdout spec lint` names each imprecision by file and line, the project's own specs
pass it, and `holdout coverage` counts the approved scenarios that cover each clause."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_holdout.cli.main import main as holdout
from pytest_holdout.scenarios.parsing import count_scenarios
from pytest_holdout.store import manifest
from pytest_holdout.store.files import Store

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
# NLSpec: a bot

## Definitions
- **requester**: the person who asks for access.

## Clauses
- **AB-1** The bot answers a *requester* in the thread
  within one reply.
- **AB-2** The bot opens one Jira issue per request.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_precise_spec_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "bot.md", GOOD)
    assert holdout(["spec", "lint", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_each_imprecision_is_named_by_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write(
        tmp_path,
        "bot.md",
        GOOD
        + "- The bot logs every request.\n"
        + "- **AB-2** The bot should answer *approvers* fast, as needed.\n",
    )
    assert holdout(["spec", "lint", str(spec)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{spec}:10: clause without an id",
        f"{spec}:11: AB-2 is also used at {spec}:9",
        f"{spec}:11: term *approvers* is not defined",
        f"{spec}:11: weak word 'as needed'",
        f"{spec}:11: weak word 'fast'",
        f"{spec}:11: weak word 'should'",
    ]


def test_a_file_without_clauses_or_definitions_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write(tmp_path, "notes.md", "# Notes\n\n- the bot answers.\n")
    assert holdout(["spec", "lint", str(spec)]) == 1
    assert "no clauses" in capsys.readouterr().out


def test_terms_defined_in_another_file_plurals_and_possessives_count(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "# Glossary\n\n## Definitions\n- **keyholder**: holds a key.\n")
    write(
        tmp_path,
        "a.md",
        "# A\n\n## Clauses\n- **KH-1** The *keyholders* and a *keyholder's* CI job sign.\n",
    )
    assert holdout(["spec", "lint", str(tmp_path)]) == 0


def test_the_projects_own_specs_pass_the_linter(capsys: pytest.CaptureFixture[str]) -> None:
    assert holdout(["spec", "lint", str(ROOT / "specs")]) == 0, capsys.readouterr().out


def test_coverage_counts_approved_scenarios_per_clause(
    tmp_path: Path,
    store: Store,
    holdout_env: dict[str, str],
    identity: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    write(specs, "bot.md", GOOD)
    store.add(
        b"Feature: f\n"
        b"  @spec:AB-1\n  Scenario: a\n    Given x\n"
        b"  @spec:AB-1 @spec:AB-9\n  Scenario: b\n    Given y\n"
    )
    manifest.sign(store, [identity], count_scenarios, store_id="acme/shop")
    code = holdout(["--store", str(store.root), "coverage", "--specs", str(specs)])
    out = capsys.readouterr().out
    assert code == 1  # AB-2 is uncovered and AB-9 names no clause
    assert "AB-1        2 scenario(s)" in out
    assert "AB-2        0 scenario(s)" in out
    assert "AB-9        1 scenario(s)  no such clause" in out
    assert "1 of 2 clause(s) covered by 2 approved scenario(s); uncovered: AB-2" in out


def test_the_docs_example_prints_what_the_page_says(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "specs.md").read_text()
    script = re.search(r"```sh\n(.*?)```\n\nprints\n\n```\n(.*?)```", page, re.S)
    assert script, "docs/specs.md has the lint example"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", script.group(1)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stdout == script.group(2)
