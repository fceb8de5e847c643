"""Caps on what one crafted file can make pytest-holdout do: how much it reads, parses, expands.

Anyone can add a scenario file, and an agent can replace any file in the repository. Without
caps, 300 KB of junk after an age file's first line takes pyrage minutes per decrypt attempt
(its header parsing grows about quadratically), 90 KB of Gherkin (2,000 Background steps, 2,000
scenarios) expands to 4 million steps, and a store file linked to ``/dev/zero`` is read until
memory runs out. Each cap is checked before the work it bounds, and a file over one is refused
with one line naming the file (or opaque id) and the limit, never its content.

Where the limits come from, the later ones winning:

1. the defaults below (``DEFAULTS``);
2. ``HOLDOUT_LIMITS`` in the environment (``"stanzas=128 header_bytes=32768"``): the gated job's
   protected configuration or a keyholder's shell, so it may raise a limit as well as lower it;
3. ``[tool.holdout.limits]`` in pyproject.toml, which the agent can edit like any other file:
   it may only lower a limit, and a value above the one in force is an error.

Imports only ``errors`` and ``project_settings``, so that every stage may use it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pytest_holdout.errors import HoldoutError
from pytest_holdout.project_settings import holdout_settings

ENV_VAR = "HOLDOUT_LIMITS"
SETTING = "[tool.holdout.limits]"


@dataclass(frozen=True)
class Limits:
    #: Bytes of one file read from the store: a scenario file, MANIFEST.
    file_bytes: int = 1 << 20
    #: Bytes of an age file's header (its stanzas), checked before pyrage parses it.
    header_bytes: int = 16 << 10
    #: Stanzas in an age file's header: one per recipient, and one that age adds.
    stanzas: int = 64
    #: Scenarios in one file, each Examples row of an Outline counting one.
    scenarios: int = 1_000
    #: Steps in one file once expanded: a Background's steps count in each of its scenarios.
    steps: int = 20_000
    #: Data table cells in one file once expanded, counted as steps are.
    cells: int = 100_000
    #: Characters of step text, doc strings and cells in one file once expanded.
    text_chars: int = 8_000_000
    #: Nodes of a YAML-form file once its aliases are expanded.
    yaml_nodes: int = 200_000

    def describe(self, limit: str) -> str:
        """A limit as a refusal names it: which one, its value, and how to change it."""
        return f"the {limit} limit ({getattr(self, limit):,}; {ENV_VAR} raises it)"


DEFAULTS = Limits()
NAMES = tuple(field.name for field in dataclasses.fields(Limits))

_active = DEFAULTS


def active() -> Limits:
    """The limits in force in this process (the defaults until ``use`` sets others)."""
    return _active


def use(limits: Limits) -> Limits:
    """Put ``limits`` in force; returns the ones it replaces, to put back afterwards."""
    global _active
    previous, _active = _active, limits
    return previous


def configure(rootpath: Path | None, env: Mapping[str, str] = os.environ) -> Limits:
    """The limits for the project at ``rootpath``: the defaults, changed by ``HOLDOUT_LIMITS``,
    then lowered by its pyproject.toml. Raises HoldoutError naming what is wrong."""
    values = dataclasses.asdict(DEFAULTS)
    for name, value in _pairs(env.get(ENV_VAR, ""), ENV_VAR):
        values[name] = value
    table = holdout_settings(rootpath).get("limits", {}) if rootpath is not None else {}
    where = f"{rootpath / 'pyproject.toml' if rootpath else 'pyproject.toml'}: {SETTING}"
    if not isinstance(table, dict):
        raise HoldoutError(f"{where} must be a table of limits")
    for name, value in table.items():
        _check(name, value, where)
        if value > values[name]:
            raise HoldoutError(
                f"{where} {name} = {value} is above the limit in force ({values[name]}): the "
                f"repository may only lower a limit; {ENV_VAR} in the environment raises one"
            )
        values[name] = value
    return Limits(**values)


def _pairs(text: str, where: str) -> list[tuple[str, int]]:
    pairs = []
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        name, equals, value = item.partition("=")
        number = int(value) if equals and re.fullmatch(r"[0-9][0-9_]*", value) else None
        _check(name, number, where)
        assert number is not None
        pairs.append((name, number))
    return pairs


def _check(name: str, value: object, where: str) -> None:
    if name not in NAMES:
        raise HoldoutError(f"{where}: unknown limit {name!r} (known: {', '.join(NAMES)})")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HoldoutError(f"{where}: {name} must be a whole number of at least 1")


def read_bounded(file: BinaryIO, name: str) -> bytes:
    """All of an open file, refused (naming ``name``) past the ``file_bytes`` limit. The size is
    checked before reading, and the read stops one byte past the limit, so that a device or a
    file that grows (``/dev/zero``) is not read forever."""
    limits = active()
    if os.fstat(file.fileno()).st_size <= limits.file_bytes:
        data = file.read(limits.file_bytes + 1)
        if len(data) <= limits.file_bytes:
            return data
    raise HoldoutError(f"{name}: larger than {limits.describe('file_bytes')}")
