"""The scenario model: what a decrypted feature file means, independent of its form and of pytest.

Everything in here is secret. Objects of these classes live in the memory of the process that
decrypted them and are never printed, pickled, logged or sent to another process; only the opaque
ids derived from them (``Scenario.item_id``) leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

StepKind = Literal["given", "when", "then"]


@dataclass(frozen=True)
class Step:
    """One step, with ``And``/``But``/``*`` already resolved to the kind they continue."""

    keyword: str  # as written, stripped: "Given", "And", "Étant donné que", ...
    kind: StepKind
    text: str  # Outline placeholders already substituted
    line: int
    datatable: tuple[tuple[str, ...], ...] | None = None
    docstring: str | None = None

    def __repr__(self) -> str:  # a repr reaches tracebacks and --showlocals: keep it opaque
        return f"<Step line {self.line}>"


@dataclass(frozen=True)
class Scenario:
    """One runnable scenario: a plain Scenario, or one Examples row of an Outline."""

    file_id: str  # "S-3f9a2c7d41b0"
    index: int  # 1-based, in file order after expanding Outlines
    name: str
    line: int
    steps: tuple[Step, ...]  # Background steps (feature's, then rule's) come first
    tags: frozenset[str] = frozenset()  # without "@"; feature, rule, scenario and examples tags
    description: str = ""
    rule: str | None = None
    examples: dict[str, str] | None = None  # the Examples row of an Outline
    background_steps: int = 0  # how many of ``steps`` come from Backgrounds

    @property
    def item_id(self) -> str:
        return f"{self.file_id}-{self.index}"

    def __repr__(self) -> str:
        return f"<Scenario {self.item_id}>"


@dataclass(frozen=True)
class Feature:
    file_id: str
    name: str
    language: str = "en"
    description: str = ""
    tags: frozenset[str] = frozenset()
    scenarios: tuple[Scenario, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        return f"<Feature {self.file_id}>"
