"""Where pytest-holdout keeps what it makes for the twins outside any repository."""

from __future__ import annotations

import os
from pathlib import Path


def cache_directory(name: str) -> Path:
    """``$XDG_CACHE_HOME/holdout/<name>``, or ``~/.cache/holdout/<name>`` without it."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "holdout" / name
