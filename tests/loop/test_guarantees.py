"""What the loop's agent never gets, each shown by an agent that tries (``hostile_agent.py``),
two rounds long, with the key both in the environment and in a file, and a keyholder's earlier
pytest cache in the project."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loop_project import CANARY, LoopProject, make_project

HOSTILE_AGENT = Path(__file__).with_name("hostile_agent.py")
PUBLIC_FIELDS = {"format", "version", "round", "satisfaction", "interval", "trials", "target"}

pytestmark = pytest.mark.bwrap


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # The key in a folder of the project, which the agent may read: only the loop's masking
    # keeps it out of reach (elsewhere in this suite's /tmp, the sandbox masks all of /tmp).
    project = make_project(tmp_path_factory.mktemp("guarantees"), key_folder="project/keyholder")
    # A keyholder's earlier run left its last failed ids in the project's pytest cache.
    project.write(".pytest_cache/v/cache/lastfailed", '{"S-000000000000-1": true}')
    known = {
        "key_file": str(project.key_file),
        "key": project.key_text.strip().splitlines()[-1],
        "canary": CANARY,
        "project": str(project.root),
        "loop_dir": str(project.loop_dir),
    }
    env = project.env(HOLDOUT_IDENTITY=project.key_text, HOSTILE_KNOWN=json.dumps(known))
    agent = f"{sys.executable} {HOSTILE_AGENT}"
    done = project.loop(
        "--agent", agent, "--agent-env", "HOSTILE_KNOWN", "--max-rounds", "2", env=env
    )
    rounds = [json.loads((project.workdir / f"findings-{n}.json").read_text()) for n in (1, 2)]
    yield {"project": project, "done": done, "rounds": rounds}


def _attack(hostile: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [findings[name] for findings in hostile["rounds"]]


def test_the_loop_ran_both_rounds_and_missed_its_target(hostile: dict[str, Any]) -> None:
    done = hostile["done"]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "round 1: satisfaction 0.500" in done.stdout
    assert "round 2: satisfaction 0.500" in done.stdout
    assert "target 1.000 not reached after 2 round(s) (--max-rounds 2)" in done.stdout


def test_no_holdout_variable_nor_the_keys_path_in_its_environment(
    hostile: dict[str, Any],
) -> None:
    for finding in _attack(hostile, "environment"):
        assert finding["ok"], finding["how"]
    assert hostile["rounds"][1]["loop variables"]["LOOP_ROUND"] == "2"


def test_the_key_file_and_its_folder_cannot_be_read(hostile: dict[str, Any]) -> None:
    for finding in _attack(hostile, "key file") + _attack(hostile, "key folder"):
        assert finding["ok"], finding["how"]


def test_no_other_process_nor_its_environment_is_seen(hostile: dict[str, Any]) -> None:
    for finding in _attack(hostile, "other processes"):
        assert finding["ok"], finding["how"]


def test_only_the_working_copy_is_writable(hostile: dict[str, Any]) -> None:
    for finding in _attack(hostile, "writes outside the working copy"):
        assert finding["ok"], finding["how"]
    for finding in _attack(hostile, "working copy writable"):
        assert finding["ok"], finding["how"]
    project: LoopProject = hostile["project"]
    assert "planted" not in (project.root / "conftest.py").read_text()


def test_no_plaintext_reaches_anything_it_can_read(hostile: dict[str, Any]) -> None:
    for finding in _attack(hostile, "plaintext"):
        assert finding["ok"], finding["how"]
    project: LoopProject = hostile["project"]
    for path in project.workdir.rglob("*"):
        assert not path.is_file() or CANARY.encode() not in path.read_bytes(), path
    # Its app tried to keep its arguments (scenario data) in the working copy: refused.
    assert not (project.workdir / "stolen-argv.txt").exists()
    done = hostile["done"]
    assert CANARY not in done.stdout + done.stderr


def test_it_gets_the_public_feedback_and_nothing_else(hostile: dict[str, Any]) -> None:
    first, second = (findings["feedback"] for findings in hostile["rounds"])
    assert first == {
        "format": "pytest-holdout feedback",
        "version": 1,
        "round": 0,
        "satisfaction": None,
        "interval": None,
        "trials": None,
        "target": 1.0,
    }
    assert set(second) == PUBLIC_FIELDS
    assert second["round"] == 1 and second["satisfaction"] == 0.5
    assert "S-" not in json.dumps(second)  # no opaque id without --feedback-ids
    # The loop's folder (per-id reports, logs) and the project's pytest cache are masked.
    for finding in _attack(hostile, "loop folder"):
        assert finding["ok"], finding["how"]
    project: LoopProject = hostile["project"]
    assert (project.loop_dir / "round-1" / "holdout.json").is_file()
