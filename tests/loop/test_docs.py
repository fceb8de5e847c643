"""docs/loop.md's examples run as written: the first loop, a script agent reaching its target,
then the build and feedback hooks in two gated pytest runs of the same project."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_docs_examples import run_shell_example

DOCS = Path(__file__).resolve().parents[2] / "docs" / "loop.md"
TEXT = DOCS.read_text()

pytestmark = pytest.mark.bwrap


def _block(section: str, language: str) -> str:
    """The first code block of ``language`` ("" for a plain one) in a section of the page."""
    body = TEXT.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", body, re.S | re.M)
    return next(code for lang, code in blocks if lang == language)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("docs")
    first = run_shell_example("loop.md", r'holdout keygen -o "\$PWD/keys/key.txt".*?', base)
    project = base / "project"
    hooks = None
    if first.returncode == 0:
        conftest = project / "conftest.py"
        hook_code = _block("From pytest: the build and feedback hooks", "python")
        conftest.write_text(f"{conftest.read_text()}\n\n{hook_code}")
        for path in (project / "app").iterdir():
            path.unlink()
        hooks = run_shell_example("loop.md", "export HOLDOUT_IDENTITY_FILE=.*?", project)
    yield {"first": first, "hooks": hooks, "project": project}


def test_the_first_loop_reaches_its_target(ran: dict[str, Any]) -> None:
    done = ran["first"]
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("holdout loop: "))
    assert lines[start + 1].startswith("round 1: satisfaction 0.500 (95% CI ")
    assert lines[start + 2].startswith("round 2: satisfaction 1.000 (95% CI ")
    assert lines[start + 3] == "target 1.000 reached in round 2"
    assert lines[start + 4] == "▁█  last 1.000, min 0.500, max 1.000 over 2 runs"
    shown = _block("A first loop", "").splitlines()  # the page's output, as printed
    assert [line.split(" (")[0] for line in shown[1:3]] == [
        line.split(" (")[0] for line in lines[start + 1 : start + 3]
    ]
    agent_log = (ran["project"] / ".holdout-loop" / "round-2" / "agent.log").read_text()
    assert "round 2: the specs are in " in agent_log and "last satisfaction was 0.5" in agent_log


def test_the_hooks_build_before_each_run_with_the_last_feedback(ran: dict[str, Any]) -> None:
    done = ran["hooks"]
    assert done is not None and done.returncode == 0, done.stdout + done.stderr  # the second
    lines = (ran["project"] / "feedback.jsonl").read_text().splitlines()
    feedback = [json.loads(line) for line in lines]
    assert [(f["round"], f["satisfaction"]) for f in feedback] == [(1, 0.5), (2, 1.0)]
