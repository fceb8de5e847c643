"""The repository is hostile: what it commits where the gated run reads or writes a file (a link,
a FIFO, lines that are not history) neither leaks the job's secrets nor gets written through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from holdout_project import PASS_AND_FAIL_STEPS as STEPS
from holdout_project import HoldoutProject

PASSING = "Feature: One\n  Scenario: one\n    Given a step that passes\n"


@pytest.fixture
def key_text(project: HoldoutProject, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CI key as the gated job holds it: the key text in HOLDOUT_IDENTITY."""
    text = str(project.identity)
    monkeypatch.setenv("HOLDOUT_IDENTITY", text)
    monkeypatch.delenv("HOLDOUT_IDENTITY_FILE")
    return text


def signed_project(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add(PASSING)
    project.sign()


def files_holding(root: Path, text: str) -> list[Path]:
    """Every regular file under ``root`` (links not followed) whose bytes hold ``text``."""
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if not path.is_symlink() and text.encode() in path.read_bytes():
                found.append(path)
    return found


def test_a_history_linked_to_the_environment_does_not_copy_the_key(
    project: HoldoutProject, key_text: str
) -> None:
    signed_project(project)
    history = project.pytester.path / "holdout-history.jsonl"
    history.symlink_to("/proc/self/environ")
    result = project.run("--holdout-required", "--holdout-history", "holdout-history.jsonl")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--holdout-history: holdout-history.jsonl: is a symbolic link" in result.stderr.str()
    assert history.is_symlink()
    output = result.stdout.str() + result.stderr.str()
    assert key_text not in output
    assert files_holding(project.pytester.path, key_text) == []


@pytest.mark.parametrize("option", ["--holdout-json", "--holdout-sealed-report"])
def test_a_report_path_that_is_a_link_is_not_written_through(
    project: HoldoutProject, key_text: str, option: str
) -> None:
    signed_project(project)
    outside = project.pytester.path.parent / f"{project.pytester.path.name}-outside"
    outside.write_text("the target, unchanged\n")
    (project.pytester.path / "report").symlink_to(outside)
    result = project.run("--holdout-required", option, "report")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"{option}: report: is a symbolic link" in result.stderr.str()
    assert outside.read_text() == "the target, unchanged\n"
    assert (project.pytester.path / "report").is_symlink()


def test_a_history_that_is_a_fifo_is_refused_without_waiting(
    project: HoldoutProject, key_text: str
) -> None:
    signed_project(project)
    os.mkfifo(project.pytester.path / "history.jsonl")
    result = project.pytester.runpytest_subprocess(
        *("--holdout", "--holdout-required", "--holdout-history", "history.jsonl"), timeout=60
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--holdout-history: history.jsonl: is not a regular file" in result.stderr.str()


def test_a_history_keeps_only_history_lines(project: HoldoutProject, key_text: str) -> None:
    signed_project(project)
    history = project.pytester.path / "history.jsonl"
    assert project.run("--holdout-required", "--holdout-history", "history.jsonl").ret == 0
    [line] = history.read_text().splitlines()
    history.write_text(f"{line}\nnot a history line: copy me\n")
    result = project.run("--holdout-required", "--holdout-history", "history.jsonl")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["*history.jsonl: dropped 1 line(s) that were not holdout history*"]
    )
    kept = history.read_text().splitlines()
    assert len(kept) == 2 and kept[0] == line
    assert "copy me" not in history.read_text()


@pytest.mark.parametrize("name", ["MANIFEST", "RECIPIENTS"])
def test_a_trust_file_that_is_a_link_is_refused(
    project: HoldoutProject, key_text: str, name: str
) -> None:
    signed_project(project)
    path = project.store / name
    moved = project.pytester.path.parent / f"{project.pytester.path.name}-{name}"
    path.rename(moved)
    path.symlink_to(moved)
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"scenarios_encrypted/{name}: is a symbolic link" in result.stderr.str()


def test_a_readable_key_file_under_warnings_as_errors_is_a_warning_not_a_crash(
    project: HoldoutProject,
) -> None:
    """``filterwarnings = error`` in the repository's ini: the warning about the key file stays
    a warning (as an error it was an INTERNALERROR whose locals, under ``-l``, held the key)."""
    signed_project(project)
    project.pytester.makeini("[pytest]\nfilterwarnings = error\n")
    project.key_file.chmod(0o644)
    result = project.run("--holdout-required", "-l")
    assert result.ret == 0
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert (
        "InsecureKeyFileWarning: HOLDOUT_IDENTITY_FILE: the private key file is readable by others"
        in output
    )
    assert str(project.identity) not in output
    assert str(project.key_file) not in output


def test_key_text_in_the_key_file_variable_is_not_printed(
    project: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_project(project)
    monkeypatch.setenv("HOLDOUT_IDENTITY_FILE", str(project.identity))
    result = project.run("--holdout-required")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "HOLDOUT_IDENTITY_FILE holds what looks like key text" in result.stderr.str()
    assert str(project.identity) not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_the_key_is_removed_from_the_environment_once_read(
    project: HoldoutProject,
    key_text: str,
    workers: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A subprocess a step starts (the app under test, a tool) inherits the environment:
    neither key variable is in it. xdist workers are handed them by the controller, and
    decrypt."""
    monkeypatch.setenv("HOLDOUT_IDENTITY_FILE", str(project.key_file))
    project.steps(
        """
        import subprocess, sys

        PROBE = (
            "import os, sys; "
            "sys.exit(any(n.startswith('HOLDOUT_IDENTITY') for n in os.environ))"
        )

        @given("a step that passes")
        def passes():
            assert subprocess.run([sys.executable, "-c", PROBE]).returncode == 0
        """
    )
    project.add(PASSING)
    project.add(PASSING)
    project.sign()
    result = project.run("--holdout-required", "-s", *workers)
    result.assert_outcomes(passed=2)
    assert key_text not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["report", "open", "linked"], "linked"),
        (["report", "trend", "linked"], "linked"),
        (["report", "merge", "linked", "-o", "merged.json"], "linked"),
    ],
)
def test_report_commands_do_not_read_through_a_link(
    project: HoldoutProject,
    key_text: str,
    command: list[str],
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A keyholder opening what an agent committed: a link to the environment, or to any file
    the keyholder can read, is refused, naming the file."""
    from pytest_holdout.cli.main import main

    monkeypatch.chdir(project.pytester.path)
    (project.pytester.path / "linked").symlink_to("/proc/self/environ")
    assert main(command) == 1
    out, err = capsys.readouterr()
    assert err == (
        f"holdout: {name}: is a symbolic link (holdout reads and writes regular files only, "
        "never through a link)\n"
    )
    assert key_text not in out
    assert not (project.pytester.path / "merged.json").exists()


def test_a_store_file_or_recipients_that_is_a_link_is_not_read_by_the_cli(
    project: HoldoutProject,
    key_text: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pytest_holdout.cli.main import main

    monkeypatch.chdir(project.pytester.path)
    (project.pytester.path / "new.feature").write_text(PASSING)
    recipients = project.store / "RECIPIENTS"
    recipients.rename(project.pytester.path / "elsewhere")
    recipients.symlink_to(project.pytester.path / "elsewhere")
    assert main(["add", "new.feature"]) == 1
    assert "scenarios_encrypted/RECIPIENTS: is a symbolic link" in capsys.readouterr().err
