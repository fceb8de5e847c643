"""Which runner a session uses: ``auto``, ``bwrap`` or ``none`` (``--holdout-sandbox``).

* ``none``: unsandboxed, because the user said so;
* ``bwrap``: the sandbox, or an error;
* ``auto``: the sandbox where it can be made; where it cannot, an error if the run is ``required``
  (the gated job), else unsandboxed with a warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from pytest_holdout.sandbox.bwrap import Sandbox
from pytest_holdout.sandbox.errors import SandboxUnavailable
from pytest_holdout.sandbox.runner import Runner, Unsandboxed

MODES = ("auto", "bwrap", "none")


@dataclass(frozen=True)
class Choice:
    runner: Runner
    warning: str | None = None  # why the app runs unsandboxed when it was not asked to

    @property
    def sandboxed(self) -> bool:
        return self.runner.sandboxed


def choose(
    mode: str,
    *,
    required: bool,
    hide: Iterable[str | os.PathLike[str]] = (),
    readable: Iterable[str | os.PathLike[str]] = (),
) -> Choice:
    """The runner for ``mode``; ``SandboxUnavailable`` when a sandbox is needed and cannot be
    made (its message says why, and what to install)."""
    if mode not in MODES:
        raise ValueError(f"sandbox mode {mode!r}: choose one of {', '.join(MODES)}")
    if mode == "none":
        return Choice(Unsandboxed())
    try:
        sandbox = Sandbox(hide=hide, readable=readable)
        sandbox.check()
    except SandboxUnavailable as exc:
        if mode == "bwrap" or required:
            raise
        return Choice(Unsandboxed(), warning=f"the app under test runs unsandboxed: {exc}")
    return Choice(sandbox)
