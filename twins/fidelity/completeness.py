"""Complete objects: a service answers with every property of the object it describes, null
where unset (an Okta user's unset ``mobilePhone``, a group's missing ``description``). A twin
that leaves such properties out breaks clients that index them, and no schema check notices,
since a schema rarely requires them.

``missing_properties`` walks a response body along its described schema and lists, by dotted
path (``profile.mobilePhone``; ``[]`` for the items of a list), the properties the description
lets be null that the body leaves out. The description is the judge of which: one that lets a
property be null says the service sends null where it is unset; one that does not (Swagger 2
has no null; Google's JSON leaves unset fields out) says the service leaves it out. Hypermedia
(``_links``, ``_embedded``) depends on state and ``expand``, and is not looked into.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HYPERMEDIA = frozenset({"_links", "_embedded"})
Resolve = Callable[[Any], Any]  # follows a "$ref" node to what it names (Description.resolve)


def missing_properties(schema: Any, body: Any, resolve: Resolve) -> list[str]:
    """The paths of described properties that ``body`` does not carry, sorted, each once."""
    found: set[str] = set()
    _walk(schema, body, resolve, "", found, depth=0)
    return sorted(found)


def _walk(
    schema: Any, value: Any, resolve: Resolve, path: str, found: set[str], depth: int
) -> None:
    schema = resolve(schema)
    if not isinstance(schema, dict) or depth > 32:
        return
    if isinstance(value, list):
        items = schema.get("items")
        for item in value:
            _walk(items, item, resolve, f"{path}[]", found, depth + 1)
        return
    if not isinstance(value, dict):
        return
    properties = _properties(schema, value, resolve)
    for name, described in properties.items():
        child = f"{path}.{name}" if path else name
        if name in HYPERMEDIA:
            continue
        if name in value:
            _walk(described, value[name], resolve, child, found, depth + 1)
        elif _nullable(resolve(described)):
            found.add(child)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for name, item in value.items():
            if name not in properties:
                child = f"{path}.{name}" if path else name
                _walk(extra, item, resolve, child, found, depth + 1)


def _properties(schema: dict[str, Any], value: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """The properties ``schema`` describes for ``value``: its own, every ``allOf`` part's, and
    those of the ``anyOf`` / ``oneOf`` branch that shares most names with ``value``."""
    properties = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or ():
        part = resolve(part)
        if isinstance(part, dict):
            properties.update(_properties(part, value, resolve))
    branches = [resolve(branch) for branch in schema.get("anyOf") or schema.get("oneOf") or ()]
    branches = [branch for branch in branches if isinstance(branch, dict)]
    if branches:
        candidates = [_properties(branch, value, resolve) for branch in branches]
        properties.update(max(candidates, key=lambda names: len(names.keys() & value.keys())))
    return properties


def _nullable(schema: Any) -> bool:
    """Whether the description lets the property be null (a write-only one is never answered)."""
    if not isinstance(schema, dict) or schema.get("writeOnly") is True:
        return False
    kind = schema.get("type")
    return (
        schema.get("nullable") is True
        or schema.get("x-nullable") is True
        or (isinstance(kind, list) and "null" in kind)
    )
