"""The harness a holdout run uses: the files whose code or data decide how scenarios are judged.

They are the project's files that define a step definition or a fixture the holdout items use
(the registry knows each definition's function; pytest's fixture manager each fixture's), the
files plugins name through ``pytest_holdout_pinned_files`` (the twins' seed data), and the
files matching ``[tool.holdout] pinned``. Code outside the project (installed packages) is not
the repository's to change, so it is not listed: pin the files that choose its versions.

``holdout manifest`` lists them with ``--holdout-list-harness`` and signs their hashes; the
gated run computes them again after collection and refuses to run if any differs.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.collection.items import HoldoutScenario
from pytest_holdout.steps.registry import StepRegistry
from pytest_holdout.store import harness
from pytest_holdout.store.fsutil import atomic_write


def used_files(
    session: pytest.Session, registry: StepRegistry, root: Path, pinned: Iterable[str]
) -> dict[str, Path]:
    """Every harness file of this run, by its name in MANIFEST."""
    files: dict[str, Path] = {}

    def add(path: Path, name: str | None) -> None:
        if name is not None and path.is_file():  # not "<string>", the file of generated code
            files[name] = path

    functions = [d.func for d in registry.definitions] + [
        fixture.func for fixture in _fixtures_used(session, registry)
    ]
    for path in filter(None, map(_file_of, functions)):
        add(path, harness.project_name(path, root))
    for paths in session.config.hook.pytest_holdout_pinned_files(config=session.config):
        for path in paths:
            add(path, harness.package_name(path) or harness.project_name(path, root))
    for pattern in pinned:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                add(path, harness.project_name(path, root))
    return files


def write_listing(path: Path, files: dict[str, Path]) -> None:
    """The listing ``holdout manifest`` reads: ``{name: absolute path}``."""
    listing = {name: str(file.resolve()) for name, file in sorted(files.items())}
    atomic_write(path, json.dumps(listing, indent=1).encode())


def _fixtures_used(session: pytest.Session, registry: StepRegistry) -> Iterator[Any]:
    """The fixture definitions holdout items reach: the items' own, those named by a step
    function's parameters, and theirs in turn. Every holdout item sees the same fixtures."""
    item = next((i for i in session.items if isinstance(i, HoldoutScenario)), None)
    if item is None:
        return
    names = list(item._fixtureinfo.names_closure)
    for definition in registry.definitions:
        names += _parameters(definition.func)
    seen: set[str] = set()
    while names:
        name = names.pop()
        if name in seen:
            continue
        seen.add(name)
        for fixture in session._fixturemanager.getfixturedefs(name, item) or ():
            names += fixture.argnames
            yield fixture


def _parameters(func: Callable[..., Any]) -> list[str]:
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):  # a builtin or a callable without a signature
        return []


def _file_of(func: Callable[..., Any]) -> Path | None:
    code = getattr(inspect.unwrap(func), "__code__", None)
    return Path(code.co_filename) if code is not None else None
