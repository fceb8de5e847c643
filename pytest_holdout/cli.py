"""The `holdout` command (being written)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    raise SystemExit("holdout: not written yet")
