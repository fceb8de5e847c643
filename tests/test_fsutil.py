"""Reading and writing the repository's files: regular files only, never through a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store.fsutil import atomic_write, read_existing, read_regular


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, as the checkout is for a run."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_regular_file_is_read_and_a_missing_one_is_the_callers_to_name(here: Path) -> None:
    (here / "file").write_bytes(b"content")
    assert read_regular(Path("file")) == b"content"
    with pytest.raises(FileNotFoundError):
        read_regular(Path("missing"))
    with pytest.raises(HoldoutError, match=r"^missing: cannot read \(No such file"):
        read_existing(Path("missing"))


def test_a_link_is_not_followed(here: Path) -> None:
    (here / "outside").write_bytes(b"SECRET")
    (here / "link").symlink_to(here / "outside")
    with pytest.raises(HoldoutError, match=r"^link: is a symbolic link") as raised:
        read_regular(Path("link"))
    assert "SECRET" not in str(raised.value)
    with pytest.raises(HoldoutError, match=r"^link: is a symbolic link"):
        atomic_write(Path("link"), b"new")
    assert (here / "link").is_symlink()
    assert (here / "outside").read_bytes() == b"SECRET"


def test_a_dangling_link_is_refused_too(here: Path) -> None:
    (here / "link").symlink_to(here / "nowhere")
    with pytest.raises(HoldoutError, match=r"^link: is a symbolic link"):
        read_regular(Path("link"))
    with pytest.raises(HoldoutError, match=r"^link: is a symbolic link"):
        atomic_write(Path("link"), b"new")
    assert not (here / "nowhere").exists()


def test_a_fifo_or_a_device_is_not_a_regular_file(here: Path) -> None:
    os.mkfifo(here / "fifo")
    # Opening a FIFO for reading would wait for a writer: the refusal comes without one.
    with pytest.raises(HoldoutError, match=r"^fifo: is not a regular file$"):
        read_regular(Path("fifo"))
    with pytest.raises(HoldoutError, match=r"^/dev/null: is not a regular file$"):
        read_regular(Path("/dev/null"))
    with pytest.raises(HoldoutError, match=r"^fifo: is not a regular file$"):
        atomic_write(Path("fifo"), b"new")


def test_a_linked_folder_inside_the_checkout_is_refused(here: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "environ").write_bytes(b"SECRET")
    (here / "reports").symlink_to(outside)
    with pytest.raises(HoldoutError, match=r"^reports/environ: reports is a symbolic link"):
        read_regular(Path("reports/environ"))
    with pytest.raises(HoldoutError, match=r"reports is a symbolic link"):
        atomic_write(here / "reports" / "new.json", b"{}")
    assert sorted(p.name for p in outside.iterdir()) == ["environ"]


def test_a_folder_above_the_checkout_may_be_a_link(here: Path, tmp_path_factory) -> None:
    """The job's own folders (macOS's /tmp is a link) are not the repository's."""
    real = tmp_path_factory.mktemp("real")
    (real / "report.json").write_bytes(b"{}")
    linked = tmp_path_factory.getbasetemp() / "linked"
    linked.symlink_to(real)
    assert read_regular(linked / "report.json") == b"{}"
    atomic_write(linked / "report.json", b"[]")
    assert (real / "report.json").read_bytes() == b"[]"
