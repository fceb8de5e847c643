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
    for name in ("HOLDOUT_IDENTITY", "HOLDOUT_IDENTITY_FILE", "HOLDOUT_STORE_ID", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    return subprocess.run(
        ["bash", "-c", script.group(1)], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_disclosure_example_runs_as_written(tmp_path: Path) -> None:
    done = run_shell_example("disclosure.md", "holdout init.*?", tmp_path)
    public, _, opened = done.stdout.partition("holdout satisfaction")
    assert "step 2 (Then) failed: assertion" in public, done.stdout + done.stderr
    assert "the total is 2" not in public
    assert "Then the total is 2" in opened and "assert 1 == 2" in opened


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


def test_the_first_store_runs_as_written(tmp_path: Path) -> None:
    done = run_shell_example("store.md", "holdout keygen -o keys/ada.txt.*?", tmp_path)
    lines = done.stdout.splitlines()
    assert "    Given a customer who paid 10 EUR" in lines, done.stderr  # holdout show
    assert any(re.match(r"signed .*/MANIFEST: version 1, 1 file\(s\)", line) for line in lines)
    assert "1 file(s), 1 scenario(s), 0 problem(s)" in done.stderr  # check, with the CI key
    assert re.fullmatch(r"ed25519:[0-9a-f]{64}", lines[-1])  # holdout signer


def test_the_status_example_prints_what_the_page_shows(tmp_path: Path) -> None:
    done = run_shell_example(
        "cli.md", r'holdout init -r "\$\(holdout keygen -o key\.txt\)"\nprintf.*?', tmp_path
    )
    shown = re.search(r"prints\n\n```\n(MANIFEST.*?)```", (DOCS / "cli.md").read_text(), re.S)
    assert shown, "docs/cli.md shows what status prints"
    # status's last five lines on stdout, then its counts on stderr; "..." stands for keys, ids.
    printed = done.stdout.splitlines()[-5:] + done.stderr.splitlines()[-1:]
    patterns = [re.escape(line).replace(r"\.\.\.", ".+") for line in shown.group(1).splitlines()]
    assert len(printed) == len(patterns), done.stdout + done.stderr
    for pattern, line in zip(patterns, printed, strict=True):
        assert re.fullmatch(pattern, line), (pattern, line)
