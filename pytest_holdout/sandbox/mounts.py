"""What the app sees of the filesystem, as bubblewrap's mount arguments.

Everything is read-only; on top of that, in this order:

1. **masked**: each existing ``hide`` path is replaced by an empty read-only folder (a folder) or
   by ``/dev/null`` (a file). ``/tmp``, ``/var/tmp`` and ``/run`` are always masked: that is where
   other programs keep their temporary files and their Unix sockets (an SSH agent's, a container
   engine's), which are ways out of a network namespace.
2. **shown again**: each ``readable`` path inside a masked folder, read-only (the project, the
   Python installation: what the app needs to run);
3. **writable**: each ``writable`` path, at the same place, read-write;
4. **masked again**: each ``hide`` path inside one of those (a key file kept in the project).

A path is the same inside and outside, so the paths a test hands the app work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

ALWAYS_MASKED = (Path("/tmp"), Path("/var/tmp"), Path("/run"))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _strictly_inside(path: Path, folder: Path) -> bool:
    return folder in path.parents


def _existing(paths: Iterable[Path]) -> list[Path]:
    """Resolved, existing, without repeats, shallowest first (a mount must come before the mounts
    made inside it)."""
    found = {path.resolve() for path in paths if path.exists()}
    return sorted(found, key=lambda path: (len(path.parts), str(path)))


def mount_arguments(
    *,
    hide: Sequence[Path],
    readable: Sequence[Path],
    writable: Sequence[Path],
    extra: Sequence[str] = (),
) -> list[str]:
    """bubblewrap's arguments for the filesystem, ``/dev`` and ``/proc`` included. ``extra``
    (more bubblewrap mount arguments, placed before the remounts) may mount inside a masked
    folder, such as ``/run``."""
    hidden = _existing([*ALWAYS_MASKED, *hide])
    shown = _existing(readable)
    written = _existing(writable)
    args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    tmpfs: list[Path] = []

    def mask(path: Path) -> None:
        if path.is_dir():
            args.extend(["--tmpfs", str(path)])
            tmpfs.append(path)
        else:
            args.extend(["--ro-bind", "/dev/null", str(path)])

    def mask_outermost(paths: list[Path]) -> list[Path]:
        masked: list[Path] = []
        for path in paths:
            if not any(_inside(path, folder) for folder in masked):
                mask(path)
                masked.append(path)
        return masked

    masked = mask_outermost(hidden)
    bound: list[Path] = []
    for path in shown:
        if path not in written and any(_inside(path, folder) for folder in masked):
            args.extend(["--ro-bind", str(path), str(path)])
            bound.append(path)
    for path in written:
        args.extend(["--bind", str(path), str(path)])
        bound.append(path)
    mask_outermost([path for path in hidden if any(_strictly_inside(path, f) for f in bound)])
    args.extend(extra)
    # Last: a tmpfs is writable until remounted, and the mount points above are made in it.
    for path in tmpfs:
        args.extend(["--remount-ro", str(path)])
    return args
