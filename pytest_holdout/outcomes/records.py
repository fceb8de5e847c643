"""What one trial of one scenario came to.

Two records per trial, kept apart on purpose:

* ``TrialOutcome`` is public. It holds opaque ids, statuses and numbers only, so it may be printed
  at disclosure ``ids``, sent between xdist processes, written to JSON and scored.
* ``TrialDetail`` is secret. It holds the texts, tracebacks and captured output, and is only ever
  sealed (age-encrypted to the keyholders) by the process that ran the trial.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["satisfied", "unsatisfied", "unjudged", "pending"]
STATUSES: tuple[Status, ...] = ("satisfied", "unsatisfied", "unjudged", "pending")


def trial_seed(base: int, item_id: str, trial: int) -> int:
    """A seed per trial that depends only on the base seed and the trial's identity, so that any
    process running it, in any order, gets the same one."""
    digest = hashlib.sha256(f"{base}:{item_id}:{trial}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class TrialOutcome:
    item_id: str  # "S-3f9a2c7d41b0-2": the scenario, whatever the trial
    trial: int  # 1-based
    status: Status
    seed: int = 0
    duration: float = 0.0
    failed_step: int | None = None  # 1-based index of the first step that did not pass
    failed_kind: str | None = None  # "Given", "When" or "Then": the step's kind, never its text
    reason: str | None = None  # a fixed category, e.g. "assertion", "undefined step", "modified"

    @property
    def file_id(self) -> str:
        return self.item_id.rsplit("-", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)  # every field is a scalar; asdict's deep copy is measurable

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialOutcome:
        return cls(**data)


@dataclass
class StepDetail:
    keyword: str
    text: str
    status: str  # "passed", "failed", "undefined", "ambiguous", "skipped", "unjudged"
    duration: float = 0.0
    definition: str | None = None  # "module.py:12", the step definition that matched
    error: str | None = None  # the formatted traceback
    datatable: list[list[str]] | None = None
    docstring: str | None = None


@dataclass
class TrialDetail:
    """Everything about a trial. Secret: sealed by the process that ran it, never sent in clear."""

    item_id: str
    trial: int
    feature: str
    scenario: str
    tags: list[str] = field(default_factory=list)
    rule: str | None = None
    examples: dict[str, str] | None = None
    steps: list[StepDetail] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    log: str = ""
    judge_reasons: list[str] = field(default_factory=list)
    # (name, value) pairs a step put on its report: record_property, user_properties and the like
    properties: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
