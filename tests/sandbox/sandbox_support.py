"""Helpers for the sandbox tests."""

from __future__ import annotations

import functools

import pytest

from pytest_holdout.sandbox import Sandbox, SandboxUnavailable


@functools.cache
def bwrap_problem() -> str | None:
    """Why no sandbox can be made here (None when one can)."""
    try:
        Sandbox().check()
    except SandboxUnavailable as exc:
        return str(exc)
    return None


requires_bwrap = pytest.mark.skipif(
    bwrap_problem() is not None, reason=f"no sandbox here: {bwrap_problem()} (.ci/run installs it)"
)
