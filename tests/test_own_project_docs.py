"""docs/own-project.md runs as written, in an empty folder, with the commands a user types (the
``pytest`` and ``holdout`` scripts, so the current folder is not on sys.path), and prints what the
page shows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from project_plugins import PROJECT_PLUGINS

from test_docs_examples import code_blocks, section, write_files

PAGE = Path(__file__).resolve().parents[1] / "docs" / "own-project.md"


def shown_under(heading: str) -> list[str]:
    """The lines of the page's output blocks (no language) in the section ``heading``."""
    return [
        line
        for body in code_blocks(section(PAGE.read_text(), heading), "")
        for line in body.splitlines()
    ]


def normal(line: str, project: Path) -> str:
    """A line with what differs from run to run made alike: ids, durations, paths."""
    line = re.sub(r"S-[0-9a-f]{12}", "S-ID", line.replace(str(project), "/src/app"))
    line = re.sub(r"\(\d+\.\d ms\)", "(ms)", line)
    line = re.sub(r"^[=_-]{3,} (.*) [=_-]{3,}$", r"\1", line.rstrip())  # pytest's separators
    return re.sub(r"in \d+\.\d+s", "in Ns", line)


@pytest.mark.slow
def test_the_own_project_walkthrough_runs_as_written(tmp_path: Path) -> None:
    project = tmp_path / "app"
    write_files(PAGE.read_text(), project)
    script = "\n".join(code_blocks(PAGE.read_text(), "sh"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOLDOUT_", "PYTEST_"))}
    env.update(PROJECT_PLUGINS)  # the plugins a user's project has, not the test extra's
    env.pop("PYTHONPATH", None)
    env.update(HOME=str(tmp_path / "home"), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    output = {normal(line, project) for line in (done.stdout + done.stderr).splitlines()}
    for heading in (
        "Keys, the store and the scenarios",
        "The gated job",
        "What failed, for the keyholder",
    ):
        for line in shown_under(heading):
            progress = re.fullmatch(r"[.F]+ +\[ *\d+%\]", line)  # xdist's order varies
            if line.strip() and line != "..." and not progress:
                assert normal(line, project) in output, f"docs/own-project.md shows {line!r}"
    assert (done.stdout.count("on this shard alone; recorded, not enforced")) == 2

    suite = ET.parse(project / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "3")
    assert [case.get("name") for case in suite.iter("testcase")][-1] == "gate"

    def figures(name: str) -> dict:
        report = json.loads((project / name).read_text())
        return {key: value for key, value in report.items() if key != "meta"}

    assert figures("merged.json") == figures("holdout.json")
    keys = [p for p in project.rglob("*") if p.is_file() and b"AGE-SECRET-KEY" in p.read_bytes()]
    assert keys == []
