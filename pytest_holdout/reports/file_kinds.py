"""What a report file is, so that a command given the other kind says which one it got and what
to run instead, rather than "not JSON" or "corrupted or modified"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store.files import recipient_stanzas
from pytest_holdout.store.fsutil import read_regular

Kind = Literal["json", "sealed"]


def is_age(data: bytes) -> bool:
    try:
        recipient_stanzas(data)
    except ValueError:
        return False
    return True


def expect_sealed(path: Path, data: bytes | None = None) -> None:
    """Refuse, before any key is asked for, a file that is not a sealed report."""
    if data is None:
        try:
            data = read_regular(path)  # a link or a FIFO is refused here, naming the file
        except FileNotFoundError:
            return  # reading it for real says it is missing
    if not is_age(data):
        raise HoldoutError(wrong_kind(path, "sealed", data))


def _is_json_report(data: bytes) -> bool:
    try:
        report = json.loads(data)
    except ValueError:
        return False
    return isinstance(report, dict) and report.get("format") == "pytest-holdout report"


def wrong_kind(path: Path, wanted: Kind, data: bytes | None = None) -> str:
    """The message for ``path`` when a ``wanted`` report was expected and it is not one."""
    if data is None:
        try:
            data = read_regular(path)
        except (OSError, HoldoutError):
            data = b""
    if wanted == "json":
        if is_age(data):
            return (
                f"{path}: a sealed report (age-encrypted), not a JSON report: merge sealed "
                "reports with `holdout report merge --sealed ... -o OUT` (keyholders), open one "
                "with `holdout report open`"
            )
        return f"{path}: not JSON (a report is what --holdout-json writes)"
    if _is_json_report(data):
        return (
            f"{path}: a JSON report (--holdout-json), not a sealed one: it is plain JSON and "
            "holds no secret, so read it as it is; merge JSON reports without --sealed"
        )
    return (
        f"{path}: not a sealed report (not an age file: a sealed report is what "
        "--holdout-sealed-report writes)"
    )
