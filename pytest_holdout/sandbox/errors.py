"""The sandbox's errors: one line a user can act on."""

from __future__ import annotations

from pytest_holdout.errors import HoldoutError


class SandboxError(HoldoutError):
    """An app could not be started or reached as asked."""


class SandboxUnavailable(SandboxError):
    """No sandbox can be made on this machine (no bubblewrap, or the kernel refuses it)."""
