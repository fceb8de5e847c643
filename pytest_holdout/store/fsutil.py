"""Files the plugin and the CLI read and write: regular files only, never through a link, and
writes that are never half done.

The repository is hostile: a file it commits where a report, a history or a store file is
expected may be a symbolic link (``holdout-history.jsonl -> /proc/self/environ`` would copy the
job's environment, key included, into a file the job publishes), a FIFO that blocks, or a
device. So ``read_regular`` opens without following a link (``O_NOFOLLOW``) and checks on the
open file that it is a regular file, and the writes refuse a link or anything else that is not a
regular file where they would write. Below the current folder (the checkout) no folder on the
way may be a link either; above it, the folders are the job's own.

A write goes to a temp file in the same directory, fsynced, then renamed: a reader sees the old
file or the new one, never a mix, and an interrupted write leaves no stray temp file behind (the
temp file is removed whatever happens before the rename).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from pytest_holdout.errors import HoldoutError
from pytest_holdout.limits import read_bounded

_LINK = "is a symbolic link (holdout reads and writes regular files only, never through a link)"
_NOT_REGULAR = "is not a regular file"


def read_regular(path: Path, *, limit_as: str | None = None) -> bytes:
    """The bytes of ``path``, a regular file reached through no link; with ``limit_as``, a file
    that may be crafted, refused under that name past the ``file_bytes`` limit.

    Raises FileNotFoundError where there is no file (what that means is the caller's to say),
    and HoldoutError naming the file where it is a link, is not a regular file or cannot be read.
    """
    path = Path(path)
    check_folders(path)
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer before fstat can refuse it.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if path.is_symlink():
            raise HoldoutError(f"{path}: {_LINK}") from None
        raise HoldoutError(f"{path}: cannot read ({exc.strerror})") from None
    with open(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise HoldoutError(f"{path}: {_NOT_REGULAR}")
        try:
            return file.read() if limit_as is None else read_bounded(file, limit_as)
        except OSError as exc:
            raise HoldoutError(f"{path}: cannot read ({exc.strerror})") from None


def read_existing(path: Path) -> bytes:
    """``read_regular``, for a file that must exist: a missing one is a HoldoutError too."""
    try:
        return read_regular(path)
    except FileNotFoundError as exc:
        raise HoldoutError(f"{path}: cannot read ({exc.strerror})") from None


def check_target(path: Path) -> None:
    """Refuse to write ``path`` where it is a link, or something other than a regular file, or
    where a folder on the way to it below the current folder is a link."""
    path = Path(path)
    check_folders(path)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise HoldoutError(f"{path}: {_LINK}")
    if not stat.S_ISREG(mode):
        raise HoldoutError(f"{path}: {_NOT_REGULAR}")


def check_folders(path: Path) -> None:
    """Refuse ``path`` where a folder between the current folder and it is a link: a committed
    ``reports -> /proc/self`` would make ``reports/environ`` a regular file outside the checkout.
    The folders above the current one are the job's (a link there, such as macOS's ``/tmp``,
    is fine)."""
    # Plain strings, not Path objects: this runs for every scenario file a run reads.
    here = os.getcwd()
    folder = os.path.dirname(os.path.abspath(path))
    below: list[str] = []
    while folder != here:
        parent = os.path.dirname(folder)
        if parent == folder:  # the root, and no current folder on the way: not below it
            return
        below.append(folder)
        folder = parent
    for folder in reversed(below):
        if os.path.islink(folder):
            raise HoldoutError(f"{path}: {os.path.relpath(folder, here)} {_LINK}")


def write_temp(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """``data`` in a fresh, fsynced temp file next to ``path``; the caller renames or removes it.
    Refused where ``path`` is a link or not a regular file (see ``check_target``).

    The temp file is hidden (a leading dot) and ends in ``.tmp`` so that listings skip it.
    """
    check_target(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically (readers see all of it or none of it). Refused,
    naming the file, where ``path`` is a link or not a regular file."""
    temp = write_temp(path, data, mode)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    sync_directory(path.parent)


def atomic_create(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create ``path`` holding ``data``, atomically; raises FileExistsError if it exists.

    A hard link, unlike a rename, refuses to replace an existing file, so a file created
    meanwhile by someone else is never overwritten.
    """
    temp = write_temp(path, data, mode)
    try:
        os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable. Some filesystems cannot fsync a directory."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
