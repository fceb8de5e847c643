"""The Gherkin form, and the builder that turns a Gherkin syntax tree into the scenario model.

``gherkin-official`` parses the text into its syntax tree (a GherkinDocument of plain dicts). The
YAML form is translated into the same tree (see yaml_form), so both forms share this one builder:
Outline expansion, Background prepending, tag inheritance and And/But resolution are written once.
"""

from __future__ import annotations

import itertools
import re
import textwrap
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gherkin import Parser
from gherkin.dialect import DIALECTS
from gherkin.errors import CompositeParserException, ParserError, ParserException
from gherkin.token_matcher import TokenMatcher

from pytest_holdout import limits
from pytest_holdout.scenarios.model import Feature, Scenario, Step, StepKind
from pytest_holdout.terminal import first_control

Node = Mapping[str, Any]  # a node of gherkin-official's syntax tree

#: Every language's Feature keywords: a Gherkin file starts with one of them (or a tag).
FEATURE_KEYWORDS: frozenset[str] = frozenset(
    keyword for dialect in DIALECTS.values() for keyword in dialect["feature"]
)

# gherkin-official's keyword types. Conjunctions (And, But) and "Unknown" (``*``, and keywords a
# language shares between kinds) continue the kind of the step before them.
_KINDS: dict[str, StepKind] = {"Context": "given", "Action": "when", "Outcome": "then"}
_PLACEHOLDER = re.compile(r"<([^<>]*)>")


class MalformedFeature(Exception):
    """Raised by either form; parsing turns it into a ScenarioSyntaxError without scenario text.
    ``reason``, where given, is safe to show anywhere (it quotes nothing of the file)."""

    def __init__(self, line: int, detail: str, reason: str = "") -> None:
        super().__init__(line)
        self.line = line
        self.detail = detail
        self.reason = reason


def refuse_controls(text: str, line: int | None = None) -> None:
    """Refuse terminal control characters (``pytest_holdout.terminal``), at ``line`` or, without
    one, at the line of ``text`` the first one is on."""
    found = first_control(text)
    if found is not None:
        if line is None:
            line = text.count("\n", 0, found.start()) + 1
        reason = f"control character U+{ord(found.group()[0]):04X}"
        raise MalformedFeature(line, reason, reason=reason)


class _Budget:
    """What one file may expand into (``pytest_holdout.limits``), charged as the model is built,
    so that a file over a limit is refused before it takes the memory: 2,000 Background steps
    in each of 2,000 scenarios are 90 KB of Gherkin and 4 million steps."""

    def __init__(self) -> None:
        self.limits = limits.active()
        self.spent = {"scenarios": 0, "steps": 0, "cells": 0, "text_chars": 0}

    def charge(self, limit: str, amount: int, line: int) -> None:
        self.spent[limit] += amount
        if self.spent[limit] > getattr(self.limits, limit):
            what = {"scenarios": "scenarios", "text_chars": "characters"}.get(limit, limit)
            reason = f"more {what} once expanded than {self.limits.describe(limit)}"
            raise MalformedFeature(line, reason, reason=reason)


# One parser and token matcher per thread, reused for every file: both reset themselves at the
# start of each parse, and building the matcher (its dialect tables) costs as much as parsing a
# small file.
_reusable = threading.local()


def read_gherkin(text: str) -> Node:
    if not hasattr(_reusable, "parser"):
        _reusable.parser, _reusable.matcher = Parser(), TokenMatcher()
    try:
        return _reusable.parser.parse(text, _reusable.matcher)
    except ParserError as error:
        raise MalformedFeature(_first_error_line(error), _messages(error)) from None


def _messages(error: ParserError) -> str:
    """One error a line, the first first (not gherkin-official's "Parser errors:" heading)."""
    if isinstance(error, CompositeParserException) and error.errors:
        return "\n".join(str(each) for each in error.errors)
    return str(error)


def _first_error_line(error: ParserError) -> int:
    if isinstance(error, CompositeParserException) and error.errors:
        error = error.errors[0]
    return error.location["line"] if isinstance(error, ParserException) else 1


def feature_from_document(document: Node, file_id: str) -> Feature:
    feature = document.get("feature")
    if feature is None:
        raise MalformedFeature(1, "the file holds no Feature")
    indexes = itertools.count(1)
    budget = _Budget()
    scenarios = tuple(
        scenario
        for outline, background, tags, rule in _scenario_definitions(feature)
        for scenario in _expand(outline, background, tags, rule, file_id, indexes, budget)
    )
    if not scenarios:
        raise MalformedFeature(_line(feature), "the feature has no scenarios")
    return Feature(
        file_id=file_id,
        name=feature["name"],
        language=feature["language"],
        description=_description(feature),
        tags=_tags(feature),
        scenarios=scenarios,
    )


def _scenario_definitions(
    feature: Node,
) -> Iterator[tuple[Node, list[Node], frozenset[str], str | None]]:
    """Each Scenario (Outline) node in file order, with the Background steps and tags it inherits
    and the name of its Rule."""
    background: list[Node] = []
    for child in feature["children"]:
        if "background" in child:
            background = list(child["background"]["steps"])
        elif "scenario" in child:
            yield child["scenario"], background, _tags(feature), None
        elif "rule" in child:
            rule = child["rule"]
            rule_background = list(background)
            for rule_child in rule["children"]:
                if "background" in rule_child:
                    rule_background = background + list(rule_child["background"]["steps"])
                elif "scenario" in rule_child:
                    tags = _tags(feature) | _tags(rule)
                    yield rule_child["scenario"], rule_background, tags, rule["name"]


def _expand(
    outline: Node,
    background: list[Node],
    inherited_tags: frozenset[str],
    rule: str | None,
    file_id: str,
    indexes: Iterator[int],
    budget: _Budget,
) -> Iterator[Scenario]:
    """A plain Scenario, or one Scenario per Examples row of an Outline."""
    # A scenario without steps, or an Outline without rows, would pass vacuously or vanish:
    # either way the holdout would quietly measure less than its authors wrote.
    if not outline["steps"]:
        raise MalformedFeature(_line(outline), "the scenario has no steps")
    tags = inherited_tags | _tags(outline)

    def scenario(values: dict[str, str], line: int, extra_tags: frozenset[str]) -> Scenario:
        budget.charge("scenarios", 1, line)
        return Scenario(
            file_id=file_id,
            index=next(indexes),
            name=_substitute(outline["name"], values, budget, line),
            line=line,
            steps=_steps(background, outline["steps"], values, budget),
            tags=tags | extra_tags,
            description=_description(outline),
            rule=rule,
            examples=values or None,
            background_steps=len(background),
        )

    if not outline.get("examples"):
        yield scenario({}, _line(outline), frozenset())
        return
    rows = 0
    for examples in outline["examples"]:
        header = examples.get("tableHeader")
        if header is None:
            continue
        names = [cell["value"] for cell in header["cells"]]
        if len(set(names)) < len(names):
            raise MalformedFeature(_line(header), "an Examples header repeats a column name")
        for row in examples.get("tableBody", ()):
            rows += 1
            values = dict(zip(names, (cell["value"] for cell in row["cells"]), strict=True))
            yield scenario(values, _line(row), _tags(examples))
    if not rows:
        raise MalformedFeature(_line(outline), "the Scenario Outline has no Examples rows")


def _steps(
    background: Sequence[Node], own: Sequence[Node], values: dict[str, str], budget: _Budget
) -> tuple[Step, ...]:
    steps = []
    kind: StepKind = "given"  # what a leading And, But or * continues
    # Placeholders belong to the Outline: Background steps are taken as written, as in Gherkin.
    for node, substitutions in itertools.chain(
        ((node, {}) for node in background), ((node, values) for node in own)
    ):
        kind = _KINDS.get(node["keywordType"], kind)
        steps.append(_step(node, kind, substitutions, budget))
    return tuple(steps)


def _step(node: Node, kind: StepKind, values: dict[str, str], budget: _Budget) -> Step:
    table = node.get("dataTable")
    docstring = node.get("docString")
    line = _line(node)
    budget.charge("steps", 1, line)
    if table is not None:
        budget.charge("cells", sum(len(row["cells"]) for row in table["rows"]), line)
    text = _substitute(node["text"], values, budget, line)
    if not text.strip():
        # No definition could match it: refused here, while its author can still fix it, rather
        # than found at run time as an undefined step.
        raise MalformedFeature(line, f"a {node['keyword'].strip()} step with no text")
    return Step(
        keyword=node["keyword"].strip(),
        kind=kind,
        text=text,
        line=line,
        datatable=None
        if table is None
        else tuple(
            tuple(_substitute(cell["value"], values, budget, line) for cell in row["cells"])
            for row in table["rows"]
        ),
        docstring=None
        if docstring is None
        else _substitute(docstring["content"], values, budget, line),
    )


def _substitute(text: str, values: dict[str, str], budget: _Budget, line: int) -> str:
    """Replace ``<name>`` by the Examples value, in one pass: a value is never re-substituted.
    The result's length is charged first: a long value in many placeholders multiplies."""
    if not values:
        budget.charge("text_chars", len(text), line)
        return text
    matches = [match for match in _PLACEHOLDER.finditer(text) if match.group(1) in values]
    grown = sum(len(values[match.group(1)]) - len(match.group()) for match in matches)
    budget.charge("text_chars", len(text) + grown, line)
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _tags(node: Node) -> frozenset[str]:
    return frozenset(tag["name"].removeprefix("@") for tag in node.get("tags", ()))


def _description(node: Node) -> str:
    # Gherkin keeps the description's indentation; the model holds the text alone.
    return textwrap.dedent(node.get("description") or "").strip()


def _line(node: Node) -> int:
    return int(node["location"]["line"])
