"""The examples of the docs run as written and show what the pages say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
FILE_HEADER = re.compile(r"# (\S+\.\w+)\n")


def code_blocks(text: str, language: str) -> list[str]:
    """The code blocks of ``language`` ("" for plain ones) in a page's text, in order."""
    return [body for lang, body in BLOCK.findall(text) if lang == language]


def section(text: str, heading: str) -> str:
    """The text of a page's section ``## heading``, up to the next one."""
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def write_files(text: str, root: Path) -> list[Path]:
    """Write each code block that starts with a ``# path.ext`` line to that path under ``root``:
    the files a page shows, as the reader creates them."""
    written = []
    for _, body in BLOCK.findall(text):
        header = FILE_HEADER.match(body)
        if header:
            path = root / header.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body)
            written.append(path)
    return written


def run_shell_example(
    page: str, pattern: str, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the ``sh`` block of ``docs/page`` that ``pattern`` finds, in an empty folder, as a
    user without a key in the environment would (``env`` adds variables)."""
    script = re.search(rf"```sh\n({pattern})```", (DOCS / page).read_text(), re.S)
    assert script, f"docs/{page} has the example"
    return run_as_user(script.group(1), cwd, **env)


def run_as_user(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in ``cwd`` as a user without a key in the environment, whose home is
    next to ``cwd`` (examples keep their keys in ~/.config/holdout)."""
    # The commands of the environment this suite runs in (holdout, pytest) come first on PATH.
    base = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("HOLDOUT_IDENTITY", "HOLDOUT_IDENTITY_FILE", "HOLDOUT_STORE_ID", "PYTEST_ADDOPTS"):
        base.pop(name, None)
    base["HOME"] = str(cwd.parent / "home")
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env={**base, **env}, capture_output=True, text=True
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


def _block(page: str, language: str, first_line: str) -> str:
    """The ``language`` code block of docs/``page`` whose first line is ``first_line``."""
    for block in code_blocks((DOCS / page).read_text(), language):
        if block.startswith(first_line):
            return str(block)
    raise AssertionError(f"docs/{page} has no {language} block starting {first_line!r}")


def test_the_app_under_test_example_runs_as_written(tmp_path: Path) -> None:
    """docs/scenarios.md: the app, the steps that start it with holdout_sut, and the scenario."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "notify.py").write_text(_block("scenarios.md", "python", "# notify.py"))
    (project / "conftest.py").write_text(_block("scenarios.md", "python", "# conftest.py"))
    feature = tmp_path / "announce.feature"
    feature.write_text(_block("scenarios.md", "gherkin", "Feature: Release announcements"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLDOUT_")}
    key = tmp_path / "keys" / "key.txt"
    holdout = [sys.executable, "-m", "pytest_holdout"]

    def run(*command: str, **extra: str) -> str:
        done = subprocess.run(
            command, cwd=project, env={**env, **extra}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    recipient = run(*holdout, "keygen", "-o", str(key)).split()[-1]
    run(*holdout, "init", recipient)
    run(*holdout, "add", str(feature))
    output = run(
        sys.executable, "-m", "pytest", "--holdout", "-p", "no:randomly",
        HOLDOUT_IDENTITY_FILE=str(key),
    )  # fmt: skip
    assert "1 passed" in output


def test_the_guard_example_refuses_as_shown(tmp_path: Path) -> None:
    """docs/cli.md: `holdout guard` in a repository with a staged plaintext scenario."""
    done = run_shell_example("cli.md", "git init -q shop.*?", tmp_path)
    shown = re.search(r"holdout guard\n```\n\n```\n(.*?)```", (DOCS / "cli.md").read_text(), re.S)
    assert shown, "docs/cli.md shows what the guard prints"
    assert done.returncode == 1
    assert done.stderr == shown.group(1)


def test_the_first_store_runs_as_written(tmp_path: Path) -> None:
    done = run_shell_example("store.md", "holdout keygen -o ~/.config/holdout/ada.txt.*?", tmp_path)
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
