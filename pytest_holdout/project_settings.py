"""The project's ``[tool.holdout]`` table in pyproject.toml, which every stage may read.

An agent can edit this file like any other, so nothing read from it decides what counts: the
signed manifest does, and the feedback state binds the public split when a run starts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def holdout_settings(rootpath: Path) -> dict[str, Any]:
    """``[tool.holdout]`` of ``rootpath``/pyproject.toml; empty without the file or the table."""
    pyproject = rootpath / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    with pyproject.open("rb") as file:
        table = tomllib.load(file).get("tool", {}).get("holdout", {})
    return table if isinstance(table, dict) else {}


def string_list(rootpath: Path, name: str, what: str) -> list[str]:
    """A list-of-strings setting, or a one-line error naming the file and the setting."""
    value = holdout_settings(rootpath).get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{rootpath / 'pyproject.toml'}: [tool.holdout] {name} must be {what}")
    return value
