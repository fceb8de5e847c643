"""Seed data: the state a twin starts from, in YAML or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


class SeedError(Exception):
    """Seed data that cannot be read. The message names the file."""


def load_seed(path: str | Path) -> dict[str, Any]:
    """A seed file as a dict: ``.json`` is read as JSON, anything else as YAML."""
    return load_mapping(path, "seed data")


def load_mapping(path: str | Path, what: str) -> dict[str, Any]:
    """A JSON (``.json``) or YAML file holding a mapping; ``SeedError`` naming the file and
    ``what`` it should be if it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as error:
        raise SeedError(f"{path}: cannot read {what} ({error.strerror})") from None
    except (json.JSONDecodeError, yaml.YAMLError):
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise SeedError(f"{path}: {what} is not valid {kind}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SeedError(f"{path}: {what} must be a mapping at the top level")
    return data
