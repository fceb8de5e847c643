"""The harness MANIFEST pins: the files that decide how scenarios are judged, by name and hash.

A harness file has a name that is the same on every machine that checks it:

- a file of the project (under the folder that holds ``scenarios_encrypted/``, and not part of
  an installed package's folder such as a virtualenv inside it): its path relative to that
  folder, ``tests/conftest.py``;
- a file shipped in an importable package (a twin's seed data): ``package:path`` relative to
  the package's folder, ``holdout_twins:slack/seed.yaml``.

Names are written in MANIFEST URL-quoted, so that any file name stays one ASCII word.
"""

from __future__ import annotations

import hashlib
import importlib.util
import site
import sys
import sysconfig
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote

from pytest_holdout.errors import HoldoutError

_SAFE = "/:._-+@~"


def quoted(name: str) -> str:
    return quote(name, safe=_SAFE)


def unquoted(word: str) -> str:
    return unquote(word)


def project_name(path: Path, root: Path) -> str | None:
    """``path`` relative to the project ``root``; None for a file outside it or installed."""
    path = path.resolve()
    root = root.resolve()
    if not path.is_relative_to(root) or any(path.is_relative_to(d) for d in _installed_dirs()):
        return None
    return path.relative_to(root).as_posix()


def package_name(path: Path) -> str | None:
    """``package:relative/path`` for a file inside an imported top-level package's folder."""
    path = path.resolve()
    best: tuple[int, str] | None = None
    for name, folder in _package_folders():
        if path.is_relative_to(folder) and (best is None or len(folder.parts) > best[0]):
            best = (len(folder.parts), f"{name}:{path.relative_to(folder).as_posix()}")
    return best[1] if best else None


def resolve(name: str, root: Path) -> Path | None:
    """Where the file called ``name`` is on this machine; None for a package not installed."""
    package, sep, relative = name.partition(":")
    if not sep:
        return root / name
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / relative


def digest(path: Path | None) -> str | None:
    """A file's SHA-256; None where there is no such file."""
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def digests(files: Mapping[str, Path]) -> dict[str, str]:
    """Each file's SHA-256, by name; HoldoutError naming the first that cannot be read."""
    found = {}
    for name, path in sorted(files.items()):
        sha256 = digest(path)
        if sha256 is None:
            raise HoldoutError(f"{path}: cannot read (a harness file, {name})")
        found[name] = sha256
    return found


def differences(
    signed: Mapping[str, str], root: Path, used: Mapping[str, Path] | None = None
) -> list[str]:
    """How the harness differs from what MANIFEST pins, one name each: a signed file changed
    or missing, and (given ``used``, the files a run uses) a file it does not pin."""
    used = used or {}
    problems = []
    for name, sha256 in sorted(signed.items()):
        found = digest(used.get(name) or resolve(name, root))
        if found != sha256:
            problems.append(name if found else f"{name} (missing)")
    problems += [f"{name} (not pinned)" for name in sorted(set(used) - set(signed))]
    return problems


@cache
def _installed_dirs() -> tuple[Path, ...]:
    """Folders of installed code: the standard library, site-packages, and a virtualenv (which
    may well be inside the project, and is not the project)."""
    paths = sysconfig.get_paths()
    found = [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    found += [*site.getsitepackages(), site.getusersitepackages()]
    if sys.prefix != sys.base_prefix:
        found.append(sys.prefix)
    return tuple({Path(folder).resolve() for folder in found})


def _package_folders() -> list[tuple[str, Path]]:
    return [
        (name, Path(folder).resolve())
        for name, module in list(sys.modules.items())
        if "." not in name
        for folder in (getattr(module, "__path__", None) or ())
    ]
