"""Reading an NLSpec: a Markdown file of numbered clauses and the terms they define.

The format, kept to what Markdown renders plainly::

    # NLSpec: the encrypted store

    ## Definitions
    - **keyholder**: a person or CI job holding a private key listed in RECIPIENTS.

    ## Clauses
    - **ST-1** Any *writer* adds a scenario without a private key.
      A clause may run on over indented lines.

A clause is a list item under a ``Clauses`` heading (any heading level) that starts with its id
in bold: two to four capital letters, a dash and a number. A term is defined by a list item
under a ``Definitions`` heading, and used in a clause as ``*term*`` (emphasis); a term may be
defined in any file of the set, so a glossary can serve several specs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLAUSE_ID = re.compile(r"^\*\*(?P<id>[A-Z]{2,4}-\d+)\*\*\s+(?P<text>.*)$")
DEFINITION = re.compile(r"^\*\*(?P<term>[^*]+)\*\*\s*:\s*(?P<text>.+)$")
# Single emphasis, not bold: `*term*` or `_term_`.
TERM_USE = re.compile(r"(?<![*\w])[*_](?P<term>[^*_\s][^*_]*?)[*_](?![*\w])")
_HEADING = re.compile(r"^(#+)\s+(?P<title>.+?)\s*$")
_ITEM = re.compile(r"^[-*]\s+(?P<body>.*)$")


@dataclass(frozen=True)
class Clause:
    id: str | None  # None: a list item under Clauses that has no id
    text: str
    path: Path
    line: int


@dataclass(frozen=True)
class Definition:
    term: str
    text: str
    path: Path
    line: int


@dataclass
class Spec:
    path: Path
    clauses: list[Clause] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def read_spec(path: Path) -> Spec:
    spec = Spec(path, lines=path.read_text(encoding="utf-8").splitlines())
    section = ""
    item: tuple[int, list[str]] | None = None  # the list item being read: first line, its lines

    def close() -> None:
        nonlocal item
        if item is not None:
            _add(spec, section, item[0], " ".join(item[1]))
        item = None

    for number, raw in enumerate(spec.lines, 1):
        heading = _HEADING.match(raw)
        bullet = _ITEM.match(raw)
        if heading:
            close()
            section = heading.group("title").strip().lower()
        elif bullet:
            close()
            item = (number, [bullet.group("body").strip()])
        elif item is not None and raw.startswith((" ", "\t")) and raw.strip():
            item[1].append(raw.strip())
        else:
            close()
    close()
    return spec


def _add(spec: Spec, section: str, line: int, body: str) -> None:
    if section.startswith("definition"):
        found = DEFINITION.match(body)
        if found:
            term = found.group("term").strip()
            spec.definitions.append(Definition(term, found.group("text"), spec.path, line))
    elif section.startswith("clause"):
        found = CLAUSE_ID.match(body)
        clause_id, text = (found.group("id"), found.group("text")) if found else (None, body)
        spec.clauses.append(Clause(clause_id, text, spec.path, line))


def spec_files(paths: Iterable[Path]) -> list[Path]:
    """The Markdown files among ``paths``, a folder standing for the ``*.md`` files in it."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.md")) if path.is_dir() else [path])
    return files


def terms_used(text: str) -> list[str]:
    return [match.group("term").strip() for match in TERM_USE.finditer(text)]
