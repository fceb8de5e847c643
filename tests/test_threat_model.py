"""docs/threat-model.md: every attack has a status, and every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "threat-model.md"
STATUSES = ("prevented", "detected", "out of scope", "not built yet")


def attack_rows() -> list[list[str]]:
    """The rows of the attack tables: | [#] | attack | status | defence | test |."""
    rows = []
    for line in PAGE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        header_or_rule = cells[0] in ("attack", "#") or set(cells[0]) <= {"-"}
        if line.startswith("|") and len(cells) in (4, 5) and not header_or_rule:
            rows.append(cells[-4:])
    return rows


def test_every_attack_is_marked_and_has_a_defence() -> None:
    rows = attack_rows()
    assert len(rows) > 30
    for attack, status, defence, _ in rows:
        assert status.startswith(STATUSES), (attack, status)
        assert defence, attack


def test_every_test_named_exists() -> None:
    """A cell names ``tests/FILE.py::test_a``, then ``test_b`` of the same file. A defence
    still being built on a branch of its own is marked so (``(*sandbox*)``): its tests are
    checked once the mark is taken off, when the branch lands."""
    checked = 0
    for _, status, _, tests in attack_rows():
        if re.search(r"\(\*\w+\*", status):
            continue
        path = None
        for reference in re.findall(r"`([^`]+)`", tests):
            file, _, name = reference.rpartition("::")
            if file:
                path = ROOT / file
            elif reference.startswith("tests/"):
                path, name = ROOT / reference, ""
            name = name.split("[")[0]
            assert path is not None and path.is_file(), reference
            if name:
                assert re.search(rf"def {name}\b", path.read_text()), f"{path}::{name}"
                checked += 1
    assert checked >= 20
