"""The modules of step definitions named in ``[tool.holdout] steps``, imported the way pytest
imports a ``conftest.py``: found from the project root whatever the current folder and however
pytest was started (``pytest`` or ``python -m pytest``), with their ``assert`` statements
rewritten, so that a failing step explains itself in the sealed report.

A name is a dotted module path from the project root (``steps.weekly`` is ``steps/weekly.py``,
with or without ``steps/__init__.py``). A module found there wins; otherwise the name is imported
as it stands (an installed package of step definitions).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest

from pytest_holdout.project_settings import string_list

#: The packages of the official clients the twins are checked with, and the extra that installs
#: each (``pip install 'pytest-holdout[slack]'``): a step module that imports one without it
#: gets told which.
CLIENT_EXTRAS = {
    "slack_sdk": "slack",
    "slack_bolt": "slack",
    "jira": "jira",
    "okta": "okta",
    "googleapiclient": "google",
    "google": "google",
}


def module_names(rootpath: Path) -> list[str]:
    """``[tool.holdout] steps`` in pyproject.toml: modules of step definitions to import."""
    try:
        return string_list(rootpath, "steps", "a list of module names")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def prepare(config: pytest.Config) -> None:
    """Before any conftest.py is imported (one may import a step module itself): mark the
    modules for assertion rewriting, and put the project root on ``sys.path`` where one of them
    lives there, as pytest does for a ``conftest.py`` in the root."""
    names = module_names(config.rootpath)
    fresh = [name for name in names if name not in sys.modules]
    if fresh:
        pytest.register_assert_rewrite(*fresh)
    if any(project_file(config.rootpath, name) for name in names):
        _importable(config.rootpath)


def import_all(config: pytest.Config, names: Iterable[str]) -> list[ModuleType]:
    return [import_step_module(config, name) for name in names]


def import_step_module(config: pytest.Config, name: str) -> ModuleType:
    """Import one module, registered as a plugin so that its fixtures are visible to holdout
    items. Any failure is one usage error naming the module, where it was looked for, and what
    to do."""
    root = config.rootpath
    expected = project_file(root, name)
    if expected is not None:
        _importable(root)
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # any failure to import is the same usage error
        raise pytest.UsageError(_import_failure(root, name, expected, exc)) from None
    found = getattr(module, "__file__", None)
    if expected is not None and found is not None and Path(found).resolve() != expected:
        raise pytest.UsageError(
            f"{_setting(root)}: {name!r} was imported from {found}, not from {expected}: "
            "another module of that name comes first; rename the folder of your step modules"
        )
    if not config.pluginmanager.is_registered(module):
        config.pluginmanager.register(module, f"holdout-steps:{name}")
    return module


def project_file(root: Path, name: str) -> Path | None:
    """The file that ``name`` names under the project root, if there is one."""
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _importable(root: Path) -> None:
    here = str(root)
    if not any(Path(entry or ".").resolve() == root.resolve() for entry in sys.path):
        sys.path.insert(0, here)


def _setting(root: Path) -> str:
    return f"[tool.holdout] steps in {root / 'pyproject.toml'}"


def _import_failure(root: Path, name: str, expected: Path | None, exc: Exception) -> str:
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    if expected is None and missing is not None and f"{name}.".startswith(f"{missing}."):
        base = root.joinpath(*name.split("."))
        tried = f"{base.relative_to(root)}.py or {(base / '__init__.py').relative_to(root)}"
        return (
            f"{_setting(root)}: cannot import {name!r}: no {tried} in the project root {root}, "
            f"and no installed module of that name. Name each module by its dotted path from "
            f"the project root: 'steps.weekly' for steps/weekly.py"
        )
    where = f" ({expected})" if expected is not None else ""
    message = f"{_setting(root)}: importing {name!r}{where} failed: {type(exc).__name__}: {exc}"
    extra = CLIENT_EXTRAS.get((missing or "").partition(".")[0])
    if extra is not None:
        message += f" (pip install 'pytest-holdout[{extra}]' installs it)"
    return message
