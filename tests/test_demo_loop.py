"""`holdout demo --loop`: holdout loop closes the access-bot example's documented gap with the
built-in agent against the scripted Anthropic twin, offline, and shows nothing of the holdout."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_demo import run_demo

from pytest_holdout.reports.sealed import read_sealed
from pytest_holdout.scenarios.parsing import parse_feature
from pytest_holdout.store.files import decrypt
from pytest_holdout.store.keys import load_identities

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "access-bot"
SCRIPT = EXAMPLE / "loop-script.yaml"
DEMO_KEY = {"HOLDOUT_IDENTITY_FILE": str(EXAMPLE / "demo-identity.txt")}
GAP_CLAUSES = {"spec:AB-11", "spec:AB-12"}  # examples/access-bot/README.md, "The gap"
ROUND = re.compile(
    r"^round (\d+): satisfaction (\d\.\d{3}) \(95% CI (\d\.\d{3})-(\d\.\d{3}), "
    r"(\d+) of (\d+) judged trials\) in [\d.]+ s$",
    re.M,
)


def _holdout_texts() -> set[str]:
    """What the example's holdout says, decrypted with the DEMO KEY: every feature's and
    scenario's name and every step's text."""
    identities = load_identities(DEMO_KEY)
    texts: set[str] = set()
    for path in sorted((EXAMPLE / "scenarios_encrypted").glob("S-*.age")):
        feature = parse_feature(decrypt(path.read_bytes(), identities, path.stem), path.stem)
        texts.add(feature.name)
        for scenario in feature.scenarios:
            texts.add(scenario.name)
            texts.update(step.text for step in scenario.steps)
    assert len(texts) > 50
    return texts


def _failed_tags(sealed: Path) -> list[set[str]]:
    """The tags of each trial that failed in a sealed report, opened with the DEMO KEY."""
    details = read_sealed(sealed, load_identities(DEMO_KEY))["details"]
    return [
        set(detail["tags"])
        for detail in details
        if any(step["status"] in ("failed", "undefined", "ambiguous") for step in detail["steps"])
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("loop-demo")
    shipped = {path.name: path.read_bytes() for path in (EXAMPLE / "access_bot").glob("*.py")}
    done = run_demo("--loop", "--out", str(out))
    yield {"done": done, "out": out, "shipped": shipped}


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_scripted_loop_closes_the_gap_of_the_bot_as_shipped(demo: dict[str, Any]) -> None:
    done = demo["done"]
    assert done.returncode == 0, done.stdout + done.stderr
    rounds = [
        (int(n), float(s), int(ok), int(of)) for n, s, _, _, ok, of in ROUND.findall(done.stdout)
    ]
    assert [number for number, *_ in rounds] == [1, 2]
    (_, first, ok, of), (_, last, _, _) = rounds
    assert (
        first == round(ok / of, 3) < 1 and of == 26
    )  # the bot as shipped: the round-1 agent looks
    assert last == 1.0 > first
    assert "target 1.000 reached in round 2" in done.stdout

    loop_dir = demo["out"] / "access-bot" / ".holdout-loop"
    # Round 1's failures are the documented gap's, and round 2 has none.
    failed = _failed_tags(loop_dir / "round-1" / "holdout-report.age")
    assert len(failed) == of - ok and all(GAP_CLAUSES & tags for tags in failed)
    assert _failed_tags(loop_dir / "round-2" / "holdout-report.age") == []
    # The demo says where the history and the sealed report are, and how to open the report.
    history = loop_dir / "history.jsonl"
    assert f"history, a line per round of what the agent was told: {history}" in done.stdout
    ((key, sealed),) = re.findall(
        r"^  HOLDOUT_IDENTITY_FILE=(\S+) holdout report open (\S+)$", done.stdout, re.M
    )
    assert Path(sealed) == loop_dir / "round-2" / "holdout-report.age"
    assert (Path(key).stat().st_mode & 0o777) == 0o600


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_fix_is_the_bot_s_code_only_and_needs_no_new_signature(demo: dict[str, Any]) -> None:
    assert demo["done"].returncode == 0, demo["done"].stdout + demo["done"].stderr
    project = demo["out"] / "access-bot"
    fixed = project / "app" / "access_bot"
    changed = {
        name for name, code in demo["shipped"].items() if (fixed / name).read_bytes() != code
    }
    assert changed == {"asking.py", "desk.py", "replies.py"}  # what the script writes
    # The harness and the store are the example's, byte for byte: the MANIFEST the keyholder
    # signed judged the fixed bot in round 2 (the gated evaluation checks it every round).
    for name in ("scenarios_encrypted/MANIFEST", "steps/world.py", "seed/slack.yaml"):
        assert (project / name).read_bytes() == (EXAMPLE / name).read_bytes()
    # The example itself is left as shipped, its gap open.
    assert {p.name: p.read_bytes() for p in (EXAMPLE / "access_bot").glob("*.py")} == demo[
        "shipped"
    ]
    assert not (project / "demo-identity.txt").exists()  # the key is kept out of the project


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_loop_demo_shows_nothing_of_the_holdout(demo: dict[str, Any]) -> None:
    public = demo["done"].stdout + demo["done"].stderr
    assert "round 2: satisfaction 1.000" in public
    assert not [text for text in _holdout_texts() if text in public]


def test_the_script_writes_the_bot_s_code_and_holds_nothing_of_the_holdout() -> None:
    replies = yaml.safe_load(SCRIPT.read_text())["replies"]
    calls = [
        block["tool_use"] for block in replies if isinstance(block, dict) and "tool_use" in block
    ]
    written = [call["input"]["path"] for call in calls if call["name"] == "write_file"]
    assert written and all(path.startswith("access_bot/") for path in written)
    text = SCRIPT.read_text()
    assert not [held for held in _holdout_texts() if held in text]


def test_a_broken_script_is_one_error_naming_the_file_and_the_reply(tmp_path: Path) -> None:
    example = tmp_path / "examples" / "access-bot"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "specs").mkdir()
    shutil.copyfile(ROOT / "specs" / "access-bot.md", tmp_path / "specs" / "access-bot.md")
    script = example / "loop-script.yaml"
    script.write_text("replies:\n  - Looking.\n  - tool_use: {name: write_file}\n")
    done = run_demo("--loop", "--example", str(example), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"holdout: {script}: reply 2: a tool_use block's 'input' must be an object"
    ]
    assert not (tmp_path / "out").exists()  # nothing copied for a demo that cannot run


def test_an_earlier_demo_s_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "access-bot").mkdir()
    done = run_demo("--loop", "--out", str(tmp_path))
    assert done.returncode == 2
    assert f"{tmp_path / 'access-bot'} exists: give --out a folder of its own" in done.stderr


@pytest.mark.parametrize(
    "page", ["README.md", "examples/access-bot/README.md", "docs/loop.md", "docs/cli.md"]
)
def test_the_docs_give_the_command_these_tests_run(page: str) -> None:
    blocks = re.findall(r"^```sh\n(.*?)^```$", (ROOT / page).read_text(), re.S | re.M)
    commands = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    assert "holdout demo --loop" in commands  # the `demo` fixture's, run from the checkout
