"""How much of a holdout run the public output may show.

``none`` and ``ids`` are safe for any log: every report of a holdout item is rebuilt here from
public facts only (opaque id, outcome, failing step index and kind). ``steps`` and ``full`` print
scenario content and are for the keyholder's own terminal.
"""

from __future__ import annotations

import enum

import pytest

from pytest_holdout.outcomes.records import TrialOutcome


class Disclosure(enum.IntEnum):
    NONE = 0
    IDS = 1
    STEPS = 2
    FULL = 3

    @classmethod
    def parse(cls, value: str) -> Disclosure:
        try:
            return cls[value.upper()]
        except KeyError:
            choices = ", ".join(level.name.lower() for level in cls)
            raise pytest.UsageError(
                f"--holdout-disclose={value}: choose one of {choices}"
            ) from None

    @property
    def secret(self) -> bool:
        """True where the public output would hold scenario content."""
        return self >= Disclosure.STEPS

    def __str__(self) -> str:
        return self.name.lower()


WARNING = (
    "holdout: --holdout-disclose={level} prints secret scenario content; "
    "keep this output out of public logs"
)


def refuse_unsafe_options(config: pytest.Config, level: Disclosure) -> None:
    """Refuse, at start-up, the options that would show what a step does before we can redact it.

    Capture (``-s``) and live logging stay safe: the plugin captures holdout items itself and
    filters their log records. A debugger and the debug log cannot be made safe.
    """
    if level.secret:
        return
    unsafe = {
        "--pdb": config.getoption("usepdb", False),
        "--trace": config.getoption("trace", False),
        "--debug": bool(config.getoption("debug", None)),
        # A KeyboardInterrupt's full traceback, with the locals of every frame.
        "--full-trace": config.getoption("fulltrace", False),
    }
    for flag, given in unsafe.items():
        if given:
            raise pytest.UsageError(
                f"{flag} would show holdout scenario content (locals, hook arguments); "
                f"it cannot be used with --holdout-disclose={level}. "
                "Use --holdout-disclose=full on a keyholder's machine, or drop the flag."
            )


def failure_line(outcome: TrialOutcome, level: Disclosure) -> str:
    """The whole public description of a trial that did not pass."""
    if outcome.status == "pending":
        return "holdout scenario not run"
    if level is Disclosure.NONE or outcome.failed_step is None:
        return (
            f"holdout scenario failed ({outcome.reason})"
            if outcome.reason
            else ("holdout scenario failed")
        )
    return f"step {outcome.failed_step} ({outcome.failed_kind}) failed: {outcome.reason}"
