"""Google API discovery documents as OpenAPI 3, so that one meter measures every twin.

A discovery document lists its operations as ``methods`` nested in ``resources`` (each with an
HTTP method, a path under ``servicePath`` and typed parameters) and its objects as ``schemas``
in a JSON Schema dialect: references by bare name, ``"type": "any"``, numbers and defaults
written as strings, ``required`` on a parameter. The translation keeps what describes requests
and responses and drops what only guides code generators (``id``, ``enumDescriptions``,
``annotations``). Discovery documents say nothing of errors: every operation gets Google's
documented JSON error envelope as its ``default`` response.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

OPENAPI_VERSION = "3.0.3"
SCHEMA_PREFIX = "#/components/schemas/"
# Formats with a meaning in OpenAPI; Google's own (google-datetime, google-fieldmask, ...) are
# strings with a convention that JSON Schema has no keyword for.
KEPT_FORMATS = frozenset({"int32", "int64", "float", "double", "byte", "date", "date-time"})
_NUMERIC_LIMITS = ("minimum", "maximum")
# Google's JSON error envelope (https://cloud.google.com/apis/design/errors).
ERROR_SCHEMA_NAME = "GoogleJsonError"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object"}},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}


def is_discovery(document: dict[str, Any]) -> bool:
    return document.get("kind") == "discovery#restDescription" or (
        "discoveryVersion" in document and "resources" in document
    )


def to_openapi(discovery: dict[str, Any]) -> dict[str, Any]:
    """The discovery document as an OpenAPI 3 document with the same operations and schemas."""
    schemas = {name: _schema(body) for name, body in discovery.get("schemas", {}).items()}
    schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    service_path = discovery.get("servicePath", "")
    for method in _methods(discovery):
        path = "/" + (service_path + (method.get("flatPath") or method["path"])).lstrip("/")
        path = path.replace("{+", "{")  # reserved expansion: the value may hold slashes
        paths.setdefault(path, {})[method["httpMethod"].lower()] = _operation(method)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": discovery.get("title", discovery.get("name", "")),
            "version": discovery.get("version", ""),
        },
        "servers": [{"url": discovery.get("rootUrl", "/")}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _methods(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from resource.get("methods", {}).values()
    for child in resource.get("resources", {}).values():
        yield from _methods(child)


def _operation(method: dict[str, Any]) -> dict[str, Any]:
    parameters = [
        {
            "name": name,
            "in": parameter.get("location", "query"),
            "required": bool(parameter.get("required")) or parameter.get("location") == "path",
            "schema": _parameter_schema(parameter),
        }
        for name, parameter in method.get("parameters", {}).items()
    ]
    error = {"$ref": SCHEMA_PREFIX + ERROR_SCHEMA_NAME}
    responses: dict[str, Any] = {
        "default": {"description": "error", "content": {"application/json": {"schema": error}}}
    }
    if "response" in method:
        schema = _schema(method["response"])
        responses["200"] = {"description": "", "content": {"application/json": {"schema": schema}}}
    else:  # an empty answer: 204, or 200 with an empty JSON object
        responses["200"] = {"description": "empty"}
        responses["204"] = {"description": "empty"}
    operation: dict[str, Any] = {
        "operationId": method["id"],
        "parameters": parameters,
        "responses": responses,
    }
    if "request" in method:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(method["request"])}},
        }
    return operation


def _parameter_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = _schema(parameter)
    return {"type": "array", "items": schema} if parameter.get("repeated") else schema


def _schema(node: dict[str, Any]) -> dict[str, Any]:
    """One discovery schema as an OpenAPI schema object (keywords only: property names are data)."""
    if "$ref" in node:
        return {"$ref": SCHEMA_PREFIX + node["$ref"]}
    schema: dict[str, Any] = {}
    kind = node.get("type")
    if kind and kind != "any":
        schema["type"] = kind
    for keyword in ("description", "enum", "pattern", "readOnly", "deprecated"):
        if keyword in node:
            schema[keyword] = node[keyword]
    if node.get("format") in KEPT_FORMATS and kind in ("integer", "number", "string"):
        schema["format"] = node["format"]
    for keyword in _NUMERIC_LIMITS:
        if keyword in node and kind in ("integer", "number"):
            schema[keyword] = float(node[keyword]) if kind == "number" else int(node[keyword])
    if "properties" in node:
        schema["properties"] = {name: _schema(body) for name, body in node["properties"].items()}
        required = [name for name, body in node["properties"].items() if body.get("required")]
        if required:
            schema["required"] = required
    if isinstance(node.get("additionalProperties"), dict):
        schema["additionalProperties"] = _schema(node["additionalProperties"])
    if "items" in node:
        schema["items"] = _schema(node["items"])
    return schema
