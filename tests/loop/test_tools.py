"""The built-in agent's tools act inside the working copy only, and a command ends at its time
limit with everything it started."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pytest_holdout.loop.tools import ToolError, Tools


@pytest.fixture
def tools(tmp_path: Path) -> Tools:
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    (work / "src" / "app.py").write_text("print('hi')\n")
    (work / ".git").mkdir()
    (work / ".git" / "config").write_text("")
    (tmp_path / "secret.txt").write_text("not yours")
    (work / "out").symlink_to(tmp_path)  # a link the agent made, pointing out
    (work / "alias.py").symlink_to(work / "src" / "app.py")  # one pointing in
    return Tools(work, {"PATH": "/usr/bin:/bin", "GREETING": "hello"})


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("read_file", {"path": "../secret.txt"}),
        ("read_file", {"path": "/etc/passwd"}),
        ("read_file", {"path": "out/secret.txt"}),
        ("write_file", {"path": "out/planted.txt", "content": "x"}),
        ("write_file", {"path": "../planted.txt", "content": "x"}),
        ("list_files", {"path": "out"}),
    ],
)
def test_a_path_out_of_the_working_copy_is_refused(
    tools: Tools, tool: str, arguments: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ToolError, match="outside the working copy"):
        tools.call(tool, arguments)
    assert not (tmp_path / "planted.txt").exists()


def test_files_are_listed_read_and_written_inside(tools: Tools) -> None:
    listing = tools.call("list_files", {}).text.splitlines()
    assert listing == ["alias.py", "src/app.py"]  # not .git, not the link out of the copy
    assert tools.call("read_file", {"path": "alias.py"}).text == "print('hi')\n"
    written = tools.call("write_file", {"path": "pkg/new/mod.py", "content": "x = 1\n"})
    assert written.summary == "write_file pkg/new/mod.py (6 characters)"
    assert (tools.root / "pkg" / "new" / "mod.py").read_text() == "x = 1\n"
    with pytest.raises(ToolError, match="no tool named 'delete'"):
        tools.call("delete", {})


def test_a_command_runs_in_the_working_copy_with_the_given_environment(tools: Tools) -> None:
    outcome = tools.call("run_command", {"command": "pwd; echo $GREETING; exit 3"})
    assert outcome.text.splitlines() == ["exit 3", str(tools.root), "hello"]


def test_a_command_ends_at_its_time_limit_with_what_it_started(tools: Tools) -> None:
    outcome = tools.call(
        "run_command",
        {"command": "(sleep 1; touch late) & echo started; sleep 30", "timeout_seconds": 0.5},
    )
    assert outcome.text.splitlines() == ["timed out after 0.5 s", "started"]
    time.sleep(1.5)  # the background job would have touched the file by now
    assert not (tools.root / "late").exists()
