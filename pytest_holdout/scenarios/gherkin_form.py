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

from pytest_holdout.scenarios.model import Feature, Scenario, Step, StepKind

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
    """Raised by either form; parsing turns it into a ScenarioSyntaxError without scenario text."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(line)
        self.line = line
        self.detail = detail


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
        raise MalformedFeature(_first_error_line(error), str(error)) from None


def _first_error_line(error: ParserError) -> int:
    if isinstance(error, CompositeParserException) and error.errors:
        error = error.errors[0]
    return error.location["line"] if isinstance(error, ParserException) else 1


def feature_from_document(document: Node, file_id: str) -> Feature:
    feature = document.get("feature")
    if feature is None:
        raise MalformedFeature(1, "the file holds no Feature")
    indexes = itertools.count(1)
    scenarios = tuple(
        scenario
        for outline, background, tags, rule in _scenario_definitions(feature)
        for scenario in _expand(outline, background, tags, rule, file_id, indexes)
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
) -> Iterator[Scenario]:
    """A plain Scenario, or one Scenario per Examples row of an Outline."""
    # A scenario without steps, or an Outline without rows, would pass vacuously or vanish:
    # either way the holdout would quietly measure less than its authors wrote.
    if not outline["steps"]:
        raise MalformedFeature(_line(outline), "the scenario has no steps")
    tags = inherited_tags | _tags(outline)

    def scenario(values: dict[str, str], line: int, extra_tags: frozenset[str]) -> Scenario:
        return Scenario(
            file_id=file_id,
            index=next(indexes),
            name=_substitute(outline["name"], values),
            line=line,
            steps=_steps(background, outline["steps"], values),
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
    background: Sequence[Node], own: Sequence[Node], values: dict[str, str]
) -> tuple[Step, ...]:
    steps = []
    kind: StepKind = "given"  # what a leading And, But or * continues
    # Placeholders belong to the Outline: Background steps are taken as written, as in Gherkin.
    for node, substitutions in itertools.chain(
        ((node, {}) for node in background), ((node, values) for node in own)
    ):
        kind = _KINDS.get(node["keywordType"], kind)
        steps.append(_step(node, kind, substitutions))
    return tuple(steps)


def _step(node: Node, kind: StepKind, values: dict[str, str]) -> Step:
    table = node.get("dataTable")
    docstring = node.get("docString")
    text = _substitute(node["text"], values)
    if not text.strip():
        # No definition could match it: refused here, while its author can still fix it, rather
        # than found at run time as an undefined step.
        raise MalformedFeature(_line(node), f"a {node['keyword'].strip()} step with no text")
    return Step(
        keyword=node["keyword"].strip(),
        kind=kind,
        text=text,
        line=_line(node),
        datatable=None
        if table is None
        else tuple(
            tuple(_substitute(cell["value"], values) for cell in row["cells"])
            for row in table["rows"]
        ),
        docstring=None if docstring is None else _substitute(docstring["content"], values),
    )


def _substitute(text: str, values: dict[str, str]) -> str:
    """Replace ``<name>`` by the Examples value, in one pass: a value is never re-substituted."""
    if not values:
        return text
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _tags(node: Node) -> frozenset[str]:
    return frozenset(tag["name"].removeprefix("@") for tag in node.get("tags", ()))


def _description(node: Node) -> str:
    # Gherkin keeps the description's indentation; the model holds the text alone.
    return textwrap.dedent(node.get("description") or "").strip()


def _line(node: Node) -> int:
    return int(node["location"]["line"])
