"""The YAML form: the same model as Gherkin, for teams that prefer YAML.

The YAML is translated into the syntax tree gherkin-official builds (only the fields the builder
reads), so that both forms go through one builder and cannot drift apart. It is read as a node
graph rather than constructed into Python values, for two reasons: every node knows its line, and
scalars keep the text as written (``3.10`` stays "3.10", ``yes`` stays "yes").

Unknown keys are errors, not ignored: a misspelt ``scenaros:`` must not silently drop scenarios.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from gherkin.dialect import DIALECTS

from pytest_holdout import limits
from pytest_holdout.scenarios.gherkin_form import MalformedFeature, refuse_controls

Node = dict[str, Any]  # a node of the Gherkin syntax tree being built

#: Step keys, with the keyword and gherkin-official keyword type they stand for.
STEP_KEYWORDS: dict[str, tuple[str, str]] = {
    "given": ("Given", "Context"),
    "when": ("When", "Action"),
    "then": ("Then", "Outcome"),
    "and": ("And", "Conjunction"),
    "but": ("But", "Conjunction"),
    "*": ("*", "Unknown"),
}
FEATURE_KEYS = frozenset(
    {"feature", "language", "description", "tags", "background", "scenarios", "rules"}
)
RULE_KEYS = frozenset({"rule", "description", "tags", "background", "scenarios"})
SCENARIO_KEYS = frozenset({"scenario", "description", "tags", "steps", "examples"})
EXAMPLES_KEYS = frozenset({"name", "tags", "table"})
STEP_ARGUMENT_KEYS = frozenset({"datatable", "docstring"})

_NULL_TAG = "tag:yaml.org,2002:null"


def read_yaml(text: str) -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if isinstance(root, yaml.MappingNode):
            _check_expanded_size(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise MalformedFeature(mark.line + 1 if mark else 1, str(error)) from None
    except yaml.YAMLError as error:
        raise MalformedFeature(1, str(error)) from None
    except RecursionError:
        raise MalformedFeature(1, "nested too deeply") from None
    if not isinstance(root, yaml.MappingNode):
        line = 1 if root is None else _line(root)
        raise MalformedFeature(line, "neither Gherkin nor a YAML mapping with a 'feature' key")
    return {"feature": _feature(_Mapping(root, "the feature", FEATURE_KEYS, required="feature"))}


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse alias cycles and files too large once expanded (the ``yaml_nodes`` limit), in time
    linear in the file. Aliases let a few bytes stand for an exponential amount of content
    ("billion laughs"), and anyone may add a scenario file."""
    sizes: dict[int, int] = {}  # by node identity: an alias is the very node it names
    found = limits.active()

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known == 0:
            raise MalformedFeature(_line(node), "an alias refers to a node that contains it")
        if known is not None:
            return known
        sizes[id(node)] = 0  # being measured
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        total = 1 + sum(size(child) for child in children)
        if total > found.yaml_nodes:
            reason = f"more YAML nodes once expanded than {found.describe('yaml_nodes')}"
            raise MalformedFeature(_line(node), reason, reason=reason)
        sizes[id(node)] = total
        return total

    size(root)


class _Mapping:
    """A YAML mapping whose keys are checked against the ones the form allows."""

    def __init__(
        self, node: yaml.Node, what: str, allowed: Iterable[str], required: str | None = None
    ) -> None:
        if not isinstance(node, yaml.MappingNode):
            raise MalformedFeature(_line(node), f"{what} must be a mapping")
        self.line = _line(node)
        self.values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = _text(key_node, "a key")
            if key not in allowed:
                raise MalformedFeature(_line(key_node), f"unknown key {key!r} in {what}")
            if key in self.values:
                raise MalformedFeature(_line(key_node), f"key {key!r} repeated in {what}")
            self.values[key] = value_node
        if required is not None and required not in self.values:
            raise MalformedFeature(self.line, f"{what} has no {required!r} key")

    def text(self, key: str) -> str:
        node = self.values.get(key)
        return "" if node is None else _text(node, repr(key))

    def items(self, key: str) -> list[yaml.Node]:
        node = self.values.get(key)
        if node is None or _is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise MalformedFeature(_line(node), f"{key!r} must be a list")
        return list(node.value)

    def tags(self) -> list[Node]:
        tags = []
        for node in self.items("tags"):
            name = _text(node, "a tag").removeprefix("@")
            if not name or any(char.isspace() for char in name):
                raise MalformedFeature(_line(node), "a tag is one word")  # as in Gherkin
            tags.append({"name": "@" + name})
        return tags

    def location(self) -> Node:
        return {"line": self.line}


def _feature(mapping: _Mapping) -> Node:
    language = mapping.text("language") or "en"
    if language not in DIALECTS:
        raise MalformedFeature(_line(mapping.values["language"]), "unknown language")
    children: list[Node] = _background(mapping)
    children += [{"scenario": _scenario(node)} for node in mapping.items("scenarios")]
    children += [{"rule": _rule(node)} for node in mapping.items("rules")]
    return {
        "location": mapping.location(),
        "language": language,
        "name": mapping.text("feature"),
        "description": mapping.text("description"),
        "tags": mapping.tags(),
        "children": children,
    }


def _rule(node: yaml.Node) -> Node:
    mapping = _Mapping(node, "a rule", RULE_KEYS, required="rule")
    scenarios = [{"scenario": _scenario(child)} for child in mapping.items("scenarios")]
    return {
        "location": mapping.location(),
        "name": mapping.text("rule"),
        "description": mapping.text("description"),
        "tags": mapping.tags(),
        "children": _background(mapping) + scenarios,
    }


def _background(mapping: _Mapping) -> list[Node]:
    if "background" not in mapping.values:
        return []
    return [{"background": {"steps": [_step(node) for node in mapping.items("background")]}}]


def _scenario(node: yaml.Node) -> Node:
    mapping = _Mapping(node, "a scenario", SCENARIO_KEYS, required="scenario")
    return {
        "location": mapping.location(),
        "name": mapping.text("scenario"),
        "description": mapping.text("description"),
        "tags": mapping.tags(),
        "steps": [_step(child) for child in mapping.items("steps")],
        "examples": [_examples(child) for child in mapping.items("examples")],
    }


def _examples(node: yaml.Node) -> Node:
    mapping = _Mapping(node, "an examples table", EXAMPLES_KEYS, required="table")
    header, *body = _table(mapping.values["table"])
    return {"tags": mapping.tags(), "tableHeader": header, "tableBody": body}


def _step(node: yaml.Node) -> Node:
    mapping = _Mapping(node, "a step", STEP_KEYWORDS.keys() | STEP_ARGUMENT_KEYS)
    keywords = [key for key in mapping.values if key in STEP_KEYWORDS]
    if len(keywords) != 1:
        raise MalformedFeature(
            mapping.line, "a step needs exactly one of " + ", ".join(STEP_KEYWORDS)
        )
    keyword, keyword_type = STEP_KEYWORDS[keywords[0]]
    text = mapping.text(keywords[0])
    if not text.strip() and _cut_at_comment(mapping.values[keywords[0]]):
        raise MalformedFeature(
            mapping.line,
            f"a {keyword} step with no text: YAML reads ' #' as the start of a comment, "
            'so quote a text that holds # (then: "#general gets one message")',
        )
    step: Node = {
        "location": mapping.location(),
        "keyword": keyword,
        "keywordType": keyword_type,
        "text": text,
    }
    if "datatable" in mapping.values:
        step["dataTable"] = {"rows": _table(mapping.values["datatable"])}
    if "docstring" in mapping.values:
        # Gherkin's doc string has no final newline; a YAML block scalar ("|") has one.
        step["docString"] = {"content": mapping.text("docstring").removesuffix("\n")}
    return step


def _table(node: yaml.Node) -> list[Node]:
    """A list of rows, each a list of cells, all rows as wide as the first."""
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise MalformedFeature(_line(node), "a table must be a non-empty list of rows")
    rows = []
    for row in node.value:
        if not isinstance(row, yaml.SequenceNode):
            raise MalformedFeature(_line(row), "a table row must be a list of cells")
        rows.append(
            {
                "location": {"line": _line(row)},
                "cells": [{"value": _text(cell, "a cell")} for cell in row.value],
            }
        )
    if len({len(row["cells"]) for row in rows}) > 1:
        raise MalformedFeature(_line(node), "inconsistent cell count")
    return rows


def comment_cut_lines(text: str) -> list[int]:
    """The lines of steps whose text YAML ended at a comment that looks like part of it: a plain
    (unquoted) text followed by ``#`` and a word, as in ``then: posts to #general``. Valid YAML,
    so not an error; ``holdout add`` warns. Call it on a file ``read_yaml`` accepted."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    lines: set[int] = set()
    seen: set[int] = set()  # by identity: an alias is the node it names
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value in STEP_KEYWORDS and _cut_at_comment(value):
                    lines.add(_line(key))
                pending.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return sorted(lines)


def _cut_at_comment(node: yaml.Node) -> bool:
    """A plain scalar followed on its last line by a comment that starts with a word."""
    if not isinstance(node, yaml.ScalarNode) or node.style is not None:
        return False
    mark = node.end_mark
    if mark.buffer is None:
        return False
    rest = mark.buffer[mark.index :].split("\n", 1)[0].lstrip(" \t")
    return rest.startswith("#") and rest[1:2] not in ("", " ", "\t")


def _text(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise MalformedFeature(_line(node), f"{what} must be text")
    text = "" if _is_null(node) else str(node.value)
    # A double-quoted scalar's escapes ("\e", "\x9b") are decoded by then: the check on the
    # file's own text (scenarios.parsing) cannot see them.
    refuse_controls(text, _line(node))
    return text


def _is_null(node: yaml.Node) -> bool:
    return node.tag == _NULL_TAG


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1
