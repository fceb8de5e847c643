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
