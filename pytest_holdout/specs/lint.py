"""``holdout spec lint``: what makes an NLSpec imprecise, each with its file and line.

Errors: a file with neither clauses nor definitions, a clause without an id, an id used twice, a
term used (``*term*``) but defined nowhere in the set, a weak word in a clause or a definition.
Weak words are the ones a builder cannot check: a clause that says "should" or "fast" leaves the
builder to guess what passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pytest_holdout.specs.nlspec import Spec, read_spec, spec_files, terms_used

WEAK_WORDS = ("should", "may", "etc.", "TBD", "appropriate", "fast", "as needed")
_WEAK = re.compile(
    "|".join(rf"(?<![\w-]){re.escape(word)}(?![\w-])" for word in WEAK_WORDS), re.IGNORECASE
)


@dataclass(frozen=True, order=True)
class Finding:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def lint(paths: Iterable[Path]) -> list[Finding]:
    specs = [read_spec(path) for path in spec_files(paths)]
    defined = {d.term.lower() for spec in specs for d in spec.definitions}
    findings: list[Finding] = []
    first_seen: dict[str, tuple[Path, int]] = {}
    for spec in specs:
        if not spec.clauses and not spec.definitions:
            findings.append(
                Finding(spec.path, 1, "no clauses (a '## Clauses' list of **ID** items)")
            )
        for clause in spec.clauses:
            if clause.id is None:
                findings.append(Finding(clause.path, clause.line, "clause without an id"))
            elif clause.id in first_seen:
                where, line = first_seen[clause.id]
                findings.append(
                    Finding(clause.path, clause.line, f"{clause.id} is also used at {where}:{line}")
                )
            else:
                first_seen[clause.id] = (clause.path, clause.line)
            for term in terms_used(clause.text):
                if not _is_defined(term, defined):
                    findings.append(
                        Finding(clause.path, clause.line, f"term *{term}* is not defined")
                    )
        findings.extend(_weak_words(spec))
    return sorted(findings)


def _is_defined(term: str, defined: set[str]) -> bool:
    """A defined term, or its plural or possessive (*recipients*, *keyholder's*)."""
    word = term.lower().removesuffix("'s").removesuffix("'")
    return any(form in defined for form in (word, word.removesuffix("s"), word.removesuffix("es")))


def _weak_words(spec: Spec) -> list[Finding]:
    """Weak words in clauses and definitions (the prose around them is not checked)."""
    items = [(c.line, c.text) for c in spec.clauses] + [(d.line, d.text) for d in spec.definitions]
    return [
        Finding(spec.path, line, f"weak word {match.group(0)!r}")
        for line, text in items
        for match in _WEAK.finditer(text)
    ]
