"""Google API Discovery documents as JSON Schema, to check a twin's answers against them.

A Discovery document (``googleapis.com/discovery/v1/apis/...``, the files ``google-api-python-
client`` bundles) describes its types under ``schemas`` in a JSON Schema-like dialect: ``$ref``
names another schema by id, ``type`` is JSON Schema's plus ``any``, ``format`` says how a string
carries a number or a time, and there is no ``required``. ``json_schema`` translates one schema,
with every schema it refers to, into a draft 7 JSON Schema; ``response_schema`` does it for what
a method (``"drive.files.list"``) answers::

    validator = jsonschema.Draft7Validator(response_schema(discovery, "drive.files.get"))
    assert not list(validator.iter_errors(file_resource))

``strict=True`` also refuses properties the schema does not list (``additionalProperties:
false`` wherever the document names the properties and says nothing of others): a twin must not
invent fields, though the real service may send some that its document is late to list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

DEFINITIONS = "#/definitions/"
# Strings that carry a number or a time, by their Discovery ``format``.
_STRING_FORMATS = {
    "int64": r"^-?[0-9]+$",
    "uint64": r"^[0-9]+$",
    "date-time": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
    "google-datetime": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
    "date": r"^\d{4}-\d\d-\d\d$",
}


def translate(node: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
    """One Discovery schema node as JSON Schema; ``$ref`` points into ``#/definitions/``."""
    if "$ref" in node:
        return {"$ref": DEFINITIONS + node["$ref"]}
    kind = node.get("type", "any")
    schema: dict[str, Any] = {} if kind == "any" else {"type": kind}
    if kind == "string" and node.get("format") in _STRING_FORMATS:
        schema["pattern"] = _STRING_FORMATS[node["format"]]
    if "enum" in node:
        schema["enum"] = list(node["enum"])
    if "items" in node:
        schema["items"] = translate(node["items"], strict=strict)
    if "properties" in node:
        schema["properties"] = {
            name: translate(value, strict=strict) for name, value in node["properties"].items()
        }
    if "additionalProperties" in node:
        schema["additionalProperties"] = translate(node["additionalProperties"], strict=strict)
    elif strict and "properties" in node:
        schema["additionalProperties"] = False
    return schema


def json_schema(discovery: dict[str, Any], name: str, *, strict: bool = False) -> dict[str, Any]:
    """The schema ``name`` (e.g. ``"File"``) and every schema it refers to, as one JSON Schema."""
    schemas = discovery["schemas"]
    definitions = {key: translate(schemas[key], strict=strict) for key in _referred(schemas, name)}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$ref": DEFINITIONS + name,
        "definitions": definitions,
    }


def method(discovery: dict[str, Any], method_id: str) -> dict[str, Any]:
    """A method by its id (``"sheets.spreadsheets.values.get"``); KeyError if there is none."""
    for found in _methods(discovery.get("resources", {})):
        if found["id"] == method_id:
            return found
    raise KeyError(f"{discovery.get('id', 'the document')} has no method {method_id!r}")


def response_schema(
    discovery: dict[str, Any], method_id: str, *, strict: bool = False
) -> dict[str, Any]:
    """The JSON Schema of what ``method_id`` answers; KeyError if it answers nothing."""
    response = method(discovery, method_id).get("response")
    if response is None:
        raise KeyError(f"{method_id} has no response body")
    return json_schema(discovery, response["$ref"], strict=strict)


def pointed_at(discovery: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A copy of ``discovery`` whose root URLs are ``base_url``, so that a client built from it
    (``googleapiclient.discovery.build_from_document``) sends every call there, media uploads
    included."""
    root = base_url.rstrip("/") + "/"
    return {
        **discovery,
        "rootUrl": root,
        "mtlsRootUrl": root,
        "baseUrl": root + discovery.get("servicePath", ""),
    }


def _methods(resources: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _methods(resource.get("resources", {}))


def _referred(schemas: dict[str, Any], name: str) -> list[str]:
    """``name`` and every schema reachable from it through ``$ref``."""
    seen: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.append(current)
        pending.extend(_refs(schemas[current]))
    return seen


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)
