"""Harness files' names in MANIFEST: the same on every machine that checks them."""

from __future__ import annotations

from pathlib import Path

import pytest

import holdout_twins
from pytest_holdout.store import harness


def test_a_project_file_is_named_by_its_path_in_the_project(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("")
    assert harness.project_name(tmp_path / "tests" / "conftest.py", tmp_path) == "tests/conftest.py"
    assert harness.project_name(tmp_path.parent / "elsewhere.py", tmp_path) is None


def test_a_virtualenv_inside_the_project_is_not_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "_installed_dirs", lambda: ((tmp_path / ".venv").resolve(),))
    (tmp_path / ".venv").mkdir()
    assert harness.project_name(tmp_path / ".venv" / "plugin.py", tmp_path) is None
    assert harness.project_name(tmp_path / "conftest.py", tmp_path) == "conftest.py"


def test_a_packaged_file_is_named_by_its_package_and_found_again(tmp_path: Path) -> None:
    seed = Path(holdout_twins.__file__).parent / "slack" / "seed.yaml"
    assert harness.package_name(seed) == "holdout_twins:slack/seed.yaml"
    assert harness.resolve("holdout_twins:slack/seed.yaml", tmp_path) == seed
    assert harness.resolve("no_such_package_here:x.yaml", tmp_path) is None
    assert harness.resolve("conftest.py", tmp_path) == tmp_path / "conftest.py"


def test_differences_name_each_file_and_why(tmp_path: Path) -> None:
    (tmp_path / "same.py").write_text("a")
    (tmp_path / "changed.py").write_text("b")
    (tmp_path / "new.py").write_text("c")
    signed = {
        "same.py": harness.digest(tmp_path / "same.py"),
        "changed.py": "0" * 64,
        "gone.py": "1" * 64,
    }
    used = {name: tmp_path / name for name in ("same.py", "changed.py", "new.py")}
    assert harness.differences(signed, tmp_path, used) == [
        "changed.py",
        "gone.py (missing)",
        "new.py (not pinned)",
    ]
    assert harness.differences(signed, tmp_path) == ["changed.py", "gone.py (missing)"]


def test_names_are_one_ascii_word_in_manifest() -> None:
    name = "tests/my steps/é.py"
    assert harness.quoted(name) == "tests/my%20steps/%C3%A9.py"
    assert harness.unquoted(harness.quoted(name)) == name
