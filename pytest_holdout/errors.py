"""Errors a user is meant to read: one line, naming the file or opaque id, never scenario text."""

from __future__ import annotations


class HoldoutError(Exception):
    """An expected failure. ``str()`` is the whole message shown to the user (exit 1)."""

    exit_code = 1


class UsageError(HoldoutError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2


class SecretBearingError(HoldoutError):
    """An error whose public message is safe but whose ``detail`` may quote scenario text.

    ``detail`` goes only to the sealed report, never to the terminal or a log.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail
