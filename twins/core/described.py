"""Operations as an API description describes them, for twins made by ``holdout twin scaffold``.

A scaffolded twin keeps the operations it implements in ``operations.json`` (method, path,
parameters, request body and responses, with every ``$ref`` resolved and every schema in JSON
Schema). ``Operations`` reads it and gives the twin three things:

* ``route(router, operation_id)``: registers a handler at the described method and path, and
  checks each request against the description before the handler runs (a request that does not
  fit is answered 400 through the twin's ``error_response``);
* ``exercise(twin, operation_id)``: sends a valid request made from the description and lists
  what in the answer does not fit it (an undescribed status, a body off its schema, a stub);
* ``exercise_invalid(twin, operation_id)``: sends a request without its required input and
  lists what is wrong if the twin does not refuse it.
"""

from __future__ import annotations

import functools
import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from jsonschema import Draft4Validator

from holdout_twins.core.errors import ServiceError
from holdout_twins.core.http import Request
from holdout_twins.core.router import Handler, Router

if TYPE_CHECKING:
    from holdout_twins.core.twin import Twin

INVALID_REQUEST = "invalid_request"
MAX_PROBLEMS = 5


class Stub(NotImplementedError):
    """Raised by a scaffolded handler that has not been filled in yet."""

    def __init__(self, operation_id: str, handler: str) -> None:
        super().__init__(f"{operation_id} is a stub: fill in {handler} in routes.py")


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str  # the router's template: "/notes/{note_id}"
    parameters: list[dict[str, Any]]  # name, in (path, query, header, form), required, schema
    body: dict[str, Any] | None  # {"required": bool, "schema": {...}} for a JSON body
    responses: dict[str, dict[str, Any] | None]  # status ("200", "4XX", "default"): schema
    summary: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Operation:
        return cls(
            data["id"],
            data["method"],
            data["path"],
            list(data.get("parameters", [])),
            data.get("body"),
            dict(data["responses"]),
            data.get("summary", ""),
        )

    def response_schema(self, status: int) -> tuple[bool, dict[str, Any] | None]:
        """Whether ``status`` is described, and the schema of its body (None: any body)."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.responses:
                return True, self.responses[key]
        return False, None


class Operations:
    """The described operations of one twin, by operation id."""

    def __init__(self, operations: list[Operation]) -> None:
        self.by_id = {operation.id: operation for operation in operations}

    @classmethod
    def load(cls, path: str | Path) -> Operations:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls([Operation.from_dict(item) for item in data["operations"]])

    def __getitem__(self, operation_id: str) -> Operation:
        return self.by_id[operation_id]

    # --- serving ---------------------------------------------------------------------------------
    def route(self, router: Router, operation_id: str) -> Callable[[Handler], Handler]:
        """Register the decorated handler for ``operation_id``, checking requests first."""
        operation = self.by_id[operation_id]

        def register(handler: Handler) -> Handler:
            @functools.wraps(handler)
            def checked(twin: Twin, request: Request) -> Any:
                problems = request_problems(operation, request)
                if problems:
                    raise ServiceError(400, INVALID_REQUEST, "; ".join(problems))
                return handler(twin, request)

            router.route(operation.path, (operation.method,), name=operation.id)(checked)
            return handler

        return register

    # --- testing ---------------------------------------------------------------------------------
    def exercise(self, twin: Twin, operation_id: str) -> list[str]:
        """Send a valid request made from the description; what in the answer does not fit."""
        operation = self.by_id[operation_id]
        del twin.internal_errors[:]
        status, body = _send(twin, operation, example_request(operation))
        if twin.internal_errors:
            return [twin.internal_errors[-1].strip().splitlines()[-1]]
        return response_problems(operation, status, body)

    def exercise_invalid(self, twin: Twin, operation_id: str) -> list[str]:
        """Send the request without its required body and query parameters; the twin must
        refuse it with a 4xx (empty list) rather than serve it."""
        operation = self.by_id[operation_id]
        request = example_request(operation)
        request["query"] = {
            name: value
            for name, value in request["query"].items()
            if not _parameter(operation, name, "query").get("required")
        }
        request["body"] = None
        request["form"] = {}
        status, _ = _send(twin, operation, request)
        if 400 <= status < 500:
            return []
        return [f"{operation.id} answered {status} to a request without its required input"]


# --- requests ------------------------------------------------------------------------------------
def _parameter(operation: Operation, name: str, place: str) -> dict[str, Any]:
    for parameter in operation.parameters:
        if parameter["name"] == name and parameter["in"] == place:
            return parameter
    return {}


def request_problems(operation: Operation, request: Request) -> list[str]:
    """What in ``request`` does not fit the description: missing or ill-typed parameters and a
    body off its schema."""
    problems: list[str] = []
    form = request.form() if request.content_type.endswith("x-www-form-urlencoded") else {}
    for parameter in operation.parameters:
        name, place = parameter["name"], parameter["in"]
        raw = {
            "path": request.path_params,
            "query": request.query,
            "header": request.headers,
            "form": form,
        }[place].get(name.lower() if place == "header" else name)
        if raw is None:
            if parameter.get("required"):
                problems.append(f"the {place} parameter {name!r} is required")
            continue
        value = _typed(str(raw), parameter.get("schema") or {})
        problems += _schema_problems(parameter.get("schema"), value, f"{place} parameter {name!r}")
    if operation.body is not None:
        try:
            data = request.json() if request.body else None
        except ServiceError:
            return [*problems, "the body is not JSON"]
        if data is None:
            if operation.body.get("required"):
                problems.append("a JSON body is required")
        else:
            problems += _schema_problems(operation.body.get("schema"), data, "body")
    return problems


def _typed(raw: str, schema: dict[str, Any]) -> Any:
    """A parameter's text as the type its schema says, when it reads as one."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw.lower(), raw)
    if kind == "array":
        return [_typed(item, schema.get("items") or {}) for item in raw.split(",")]
    return raw


def _schema_problems(schema: dict[str, Any] | None, value: Any, where: str) -> list[str]:
    if not schema:
        return []
    errors = sorted(Draft4Validator(schema).iter_errors(value), key=lambda e: list(e.path))
    return [
        f"{where}{''.join(f'[{p!r}]' for p in error.path)}: {error.message}"
        for error in errors[:MAX_PROBLEMS]
    ]


def response_problems(operation: Operation, status: int, body: bytes) -> list[str]:
    described, schema = operation.response_schema(status)
    if not described:
        listed = ", ".join(operation.responses)
        return [f"{operation.id} answered {status}, which the description does not list ({listed})"]
    if schema is None:
        return []
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return [f"{operation.id} answered {status} with a body that is not JSON"]
    return _schema_problems(schema, data, f"{operation.id} answer {status}")


# --- example values ------------------------------------------------------------------------------
def example(schema: dict[str, Any] | None) -> Any:
    """A small value that fits ``schema``: its example, default or first enum value, else one
    built from its type (required properties only)."""
    schema = schema or {}
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("allOf", "oneOf", "anyOf"):
        if schema.get(key):
            parts = [example(part) for part in schema[key]]
            if key == "allOf" and all(isinstance(part, dict) for part in parts):
                return {k: v for part in parts for k, v in part.items()}
            return parts[0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {name: example(properties.get(name)) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items")) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "string":
        return _FORMATS.get(schema.get("format", ""), "x" * max(1, schema.get("minLength", 7)))
    return None


_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "email": "someone@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "http://127.0.0.1/",
}


def example_request(operation: Operation) -> dict[str, Any]:
    """Path, query, form and JSON body values for a valid request (required inputs only)."""
    values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "form": {}, "header": {}}
    for parameter in operation.parameters:
        if parameter.get("required"):
            value = example(parameter.get("schema"))
            values[parameter["in"]][parameter["name"]] = value
    body = example(operation.body["schema"]) if operation.body else None
    return {**values, "body": body}


def _send(twin: Twin, operation: Operation, request: dict[str, Any]) -> tuple[int, bytes]:
    path = operation.path
    for name, value in request["path"].items():
        path = path.replace("{" + name + "}", quote(_text(value), safe=""))
    if request["query"]:
        path += "?" + urlencode({name: _text(value) for name, value in request["query"].items()})
    headers = {"Authorization": f"Bearer {twin.token}"}
    headers.update({name: _text(value) for name, value in request["header"].items()})
    payload: bytes | None = None
    if request["body"] is not None:
        payload = json.dumps(request["body"]).encode("utf-8")
        headers["Content-Type"] = "application/json"
    elif request["form"]:
        payload = urlencode({k: _text(v) for k, v in request["form"].items()}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", twin.port, timeout=10)
    try:
        connection.request(operation.method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)
