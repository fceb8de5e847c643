"""Writes that are never half done: a temp file in the same directory, fsync, then rename.

A reader sees the old file or the new one, never a mix, and an interrupted write leaves no
stray temp file behind (the temp file is removed whatever happens before the rename).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_temp(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """``data`` in a fresh, fsynced temp file next to ``path``; the caller renames or removes it.

    The temp file is hidden (a leading dot) and ends in ``.tmp`` so that listings skip it.
    """
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
    """Replace ``path`` with ``data`` atomically (readers see all of it or none of it)."""
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
