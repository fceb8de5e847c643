"""Partial responses: the ``fields`` parameter every Google API takes.

``fields=files(id,name),nextPageToken`` keeps those members only; ``a/b`` is ``a(b)``; ``*``
keeps every member at its level. A selection is a tree: a dict from member name to the
selection inside it, ``None`` meaning "all of it".
"""

from __future__ import annotations

import re
from typing import Any

from holdout_twins.core import ServiceError
from holdout_twins.google.errors import invalid_argument

Selection = dict[str, "Selection | None"]
_TOKEN = re.compile(r"\s*([A-Za-z_$][\w$.@-]*|\*|[(),/])")
_PUNCTUATION = frozenset("(),/")


def parse(text: str) -> Selection:
    """A ``fields`` value as a selection; a malformed one is Google's 400."""
    tokens = _tokens(text)
    selection, position = _list(tokens, 0, text)
    if position != len(tokens):
        raise _invalid(text)
    return selection


def select(value: Any, selection: Selection | None) -> Any:
    """``value`` cut down to ``selection`` (lists are cut element by element)."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [select(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    for name, inner in selection.items():
        names = list(value) if name == "*" else [name]
        for key in names:
            if key in value:
                kept[key] = select(value[key], inner)
    return kept


def partial(value: Any, fields: str | None, default: str | None = None) -> Any:
    """``value`` as ``fields`` asks for it; without ``fields``, as ``default`` (Drive's default
    members) or whole."""
    text = fields if fields else default
    return value if not text else select(value, parse(text))


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if found is None:
            raise _invalid(text)
        tokens.append(found.group(1))
        position = found.end()
    return tokens


def _list(tokens: list[str], position: int, text: str) -> tuple[Selection, int]:
    selection: Selection = {}
    while True:
        position = _item(tokens, position, text, selection)
        if position < len(tokens) and tokens[position] == ",":
            position += 1
            continue
        return selection, position


def _item(tokens: list[str], position: int, text: str, into: Selection) -> int:
    """One ``a/b/c(...)`` item, merged into ``into``."""
    path: list[str] = []
    while True:
        if position >= len(tokens) or tokens[position] in _PUNCTUATION:
            raise _invalid(text)
        path.append(tokens[position])
        position += 1
        if position < len(tokens) and tokens[position] == "/":
            position += 1
            continue
        break
    inner: Selection | None = None
    if position < len(tokens) and tokens[position] == "(":
        inner, position = _list(tokens, position + 1, text)
        if position >= len(tokens) or tokens[position] != ")":
            raise _invalid(text)
        position += 1
    for name in path[:-1]:
        current = into.get(name, {})
        if current is None:  # already selected whole
            return position
        into[name] = current
        into = current
    _merge(into, path[-1], inner)
    return position


def _merge(into: Selection, name: str, inner: Selection | None) -> None:
    if name in into and (into[name] is None or inner is None):
        into[name] = None
    elif name in into and inner is not None:
        for key, value in inner.items():
            _merge(into[name], key, value)  # type: ignore[arg-type]
    else:
        into[name] = inner


def _invalid(text: str) -> ServiceError:
    return invalid_argument(f"Invalid field selection {text}", location="fields")
