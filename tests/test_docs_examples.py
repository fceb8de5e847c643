"""The examples of the docs run as written and show what the pages say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def run_shell_example(page: str, pattern: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the ``sh`` block of ``docs/page`` that ``pattern`` finds, in an empty folder, as a
    user without a key in the environment would."""
    script = re.search(rf"```sh\n({pattern})```", (DOCS / page).read_text(), re.S)
    assert script, f"docs/{page} has the example"
    # The commands of the environment this suite runs in (holdout, pytest) come first on PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("HOLDOUT_IDENTITY", "HOLDOUT_IDENTITY_FILE", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    env["HOME"] = str(cwd.parent / "home")  # examples keep their keys in ~/.config/holdout
    return subprocess.run(
        ["bash", "-c", script.group(1)], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_disclosure_example_runs_as_written(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    done = run_shell_example("disclosure.md", "holdout init.*?", project)
    public, _, opened = done.stdout.partition("holdout satisfaction")
    assert "step 2 (Then) failed: assertion" in public, done.stdout + done.stderr
    assert "the total is 2" not in public
    assert "Then the total is 2" in opened and "assert 1 == 2" in opened
    assert not any(
        b"AGE-SECRET-KEY" in path.read_bytes() for path in project.rglob("*") if path.is_file()
    )


def test_the_first_store_example_runs_as_written_with_keys_outside_the_project(
    tmp_path: Path,
) -> None:
    text = (DOCS / "store.md").read_text().split("## A first store, step by step", 1)[1]
    script = re.search(r"```sh\n(.*?)```", text, re.S)
    assert script, "docs/store.md has the example"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLDOUT_")}
    env.update(HOME=str(tmp_path / "home"), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    project = tmp_path / "project"
    project.mkdir()
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.group(1)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Then she gets 10 EUR back" in done.stdout  # holdout show, as Ada
    assert "1 file(s), 1 scenario(s), 0 problem(s)" in done.stderr  # holdout check, as CI
    assert not any(
        b"AGE-SECRET-KEY" in path.read_bytes() for path in project.rglob("*") if path.is_file()
    )


def test_the_reusable_holdout_examples_run_as_written() -> None:
    from test_report_json import run_pycon

    names = run_pycon(DOCS / "reusable-holdout.md")
    assert names["feedback"].checkpoint.round == 6


def test_the_gated_run_example_runs_as_written(tmp_path: Path) -> None:
    done = run_shell_example("store.md", "holdout init.*?--deselect.*?", tmp_path)
    output = done.stdout + done.stderr
    assert re.search(r"--deselect scenarios_encrypted/S-\w+\.age comes from addopts in", output)
    assert "not run       1 of the 2 trials MANIFEST implies" in done.stdout, output
    assert "gate: satisfaction 0.500 < 0.900" in done.stdout
    assert done.returncode == 1
