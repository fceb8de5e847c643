"""``holdout twin scaffold``: a new twin's folder, made from an OpenAPI 3 or Swagger 2 description.

For the chosen operations (operation ids, or ``"METHOD /path"``) it writes the framework's layout
(``__init__.py``, ``twin.py``, ``state.py``, ``routes.py``, ``seed.yaml``, ``README.md``) plus
``operations.json``, the operations as the description gives them, from which the twin checks
requests (``holdout_twins.core.described``). Each route is a stub, and the tests it writes fail,
naming the stub, until it is filled in.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from holdout_twins import scaffold_templates as templates
from holdout_twins.core.described import Operation, example
from holdout_twins.core.seed import SeedError, load_mapping

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
NAME = re.compile(r"[a-z][a-z0-9_]*")
# Keywords of OpenAPI's schema objects that JSON Schema (draft 4) does not have.
NOT_JSON_SCHEMA = frozenset({"discriminator", "xml", "externalDocs", "nullable", "deprecated"})


class ScaffoldError(Exception):
    """A description or a choice of operations the scaffold cannot use; the message says which."""


# --- reading the description ------------------------------------------------------------------
def load_description(path: str | Path) -> dict[str, Any]:
    try:
        document = load_mapping(path, "the description")
    except SeedError as error:
        raise ScaffoldError(str(error)) from None
    if not isinstance(document.get("paths"), dict):
        raise ScaffoldError(f"{path}: not an OpenAPI 3 or Swagger 2 description (no paths)")
    if not (str(document.get("openapi", "")).startswith("3") or document.get("swagger") == "2.0"):
        raise ScaffoldError(f"{path}: not an OpenAPI 3 or Swagger 2 description")
    return document


@dataclass
class _Reader:
    """Turns one description's operations into ``Operation``s with JSON Schemas, refs inlined."""

    document: dict[str, Any]
    source: str

    @property
    def swagger(self) -> bool:
        return self.document.get("swagger") == "2.0"

    def resolve(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            reference = node["$ref"]
            if reference in seen:  # a recursive schema: accept anything below this depth
                return {}
            if not reference.startswith("#/"):
                raise ScaffoldError(f"{self.source}: only local $refs are supported ({reference})")
            target: Any = self.document
            for part in reference[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise ScaffoldError(f"{self.source}: $ref {reference} points nowhere")
                target = target[part]
            return self.resolve(target, (*seen, reference))
        if isinstance(node, dict):
            return {key: self.resolve(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(item, seen) for item in node]
        return node

    def schema(self, schema: Any) -> dict[str, Any]:
        """An OpenAPI schema (refs already resolved) as JSON Schema."""
        if not isinstance(schema, dict):
            return {}
        converted: dict[str, Any] = {}
        for key, value in schema.items():
            if key in NOT_JSON_SCHEMA or key.startswith("x-"):
                continue
            if key == "properties" and isinstance(value, dict):
                value = {name: self.schema(sub) for name, sub in value.items()}
            elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
                value = self.schema(value)
            elif key in ("allOf", "oneOf", "anyOf") and isinstance(value, list):
                value = [self.schema(sub) for sub in value]
            converted[key] = value
        if converted.get("type") == "file":  # Swagger 2 uploads: any content
            return {}
        if schema.get("nullable") and isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        return converted

    def operations(self) -> list[tuple[str, str, dict[str, Any], list[Any]]]:
        """(method, path, operation, path-level parameters) for every described operation."""
        found = []
        for path, item in self.document["paths"].items():
            item = self.resolve(item) if isinstance(item, dict) else {}
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    found.append((method.upper(), path, item[method], item.get("parameters", [])))
        return found

    def operation(
        self, method: str, path: str, described: dict[str, Any], shared: list[Any]
    ) -> Operation:
        operation_id = described.get("operationId") or _identifier(f"{method.lower()} {path}")
        parameters: dict[tuple[str, str], dict[str, Any]] = {}
        for parameter in [*shared, *described.get("parameters", [])]:
            parameter = self.resolve(parameter)
            parameters[(parameter.get("name", ""), parameter.get("in", ""))] = parameter
        template, renamed = _router_path(path)
        converted, body = [], None
        for (name, place), parameter in parameters.items():
            if place == "body":
                body = {
                    "required": bool(parameter.get("required")),
                    "schema": self.schema(parameter.get("schema")),
                }
                continue
            schema = parameter.get("schema") if not self.swagger else _swagger_schema(parameter)
            converted.append(
                {
                    "name": renamed.get(name, name),
                    "in": "form" if place == "formData" else place,
                    "required": bool(parameter.get("required")) or place == "path",
                    "schema": self.schema(schema),
                }
            )
        request_body = self.resolve(described.get("requestBody") or {})
        if request_body:
            content = request_body.get("content", {})
            json_type = next((t for t in content if t.endswith("json")), None)
            if json_type is not None:
                schema = content[json_type].get("schema")
                body = {
                    "required": bool(request_body.get("required")),
                    "schema": self.schema(schema),
                }
            elif "application/x-www-form-urlencoded" in content:
                form = self.schema(content["application/x-www-form-urlencoded"].get("schema"))
                required = set(form.get("required", []))
                for name, schema in (form.get("properties") or {}).items():
                    converted.append(
                        {"name": name, "in": "form", "required": name in required, "schema": schema}
                    )
        responses: dict[str, dict[str, Any] | None] = {}
        for status, response in (described.get("responses") or {}).items():
            responses[str(status).upper()] = self._response_schema(self.resolve(response))
        if not responses:
            raise ScaffoldError(f"{self.source}: {method} {path} describes no responses")
        summary = str(described.get("summary") or "").strip()
        return Operation(operation_id, method, template, converted, body, responses, summary)

    def _response_schema(self, response: Any) -> dict[str, Any] | None:
        if not isinstance(response, dict):
            return None
        if self.swagger:
            return self.schema(response["schema"]) if "schema" in response else None
        content = response.get("content") or {}
        json_type = next((t for t in content if t.endswith("json")), None)
        if json_type is None or "schema" not in content[json_type]:
            return None
        return self.schema(content[json_type]["schema"])


def _swagger_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    """A Swagger 2 parameter's type, format, enum, ... as a schema of its own."""
    keys = ("type", "format", "enum", "items", "minimum", "maximum", "pattern", "minLength")
    return {key: parameter[key] for key in (*keys, "maxLength", "default") if key in parameter}


def _router_path(path: str) -> tuple[str, dict[str, str]]:
    """The router's template for ``path`` and the path parameters it renamed to identifiers."""
    renamed: dict[str, str] = {}

    def rename(found: re.Match[str]) -> str:
        name = found.group(1)
        renamed[name] = _identifier(name)
        return "{" + renamed[name] + "}"

    return re.sub(r"{([^}]+)}", rename, path), renamed


def _identifier(text: str) -> str:
    name = re.sub(r"\W+", "_", text).strip("_") or "operation"
    return f"p_{name}" if name[0].isdigit() else name


def snake_case(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", _identifier(name)).lower()
    return f"{name}_" if keyword.iskeyword(name) else name


def choose(reader: _Reader, wanted: list[str]) -> list[Operation]:
    """The operations ``wanted`` names, by operation id or ``"METHOD /path"``, in that order."""
    described = reader.operations()
    chosen: list[Operation] = []
    for choice in wanted:
        method, _, path = choice.strip().partition(" ")
        match = next(
            (
                entry
                for entry in described
                if entry[2].get("operationId") == choice
                or (entry[0] == method.upper() and entry[1] == path.strip())
            ),
            None,
        )
        if match is None:
            raise ScaffoldError(
                f"{reader.source}: no operation {choice!r} (give an operationId or "
                f"'METHOD /path'; the description has {len(described)} operations)"
            )
        operation = reader.operation(*match)
        if any(existing.id == operation.id for existing in chosen):
            raise ScaffoldError(f"{choice!r} is chosen twice")
        chosen.append(operation)
    return chosen


# --- writing the twin ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Scaffold:
    name: str  # the twin's name: "notes"
    package: str  # its import name: "holdout_twins.notes"
    title: str  # the service, from the description's info.title
    source: str  # the description's file name
    operations: list[Operation]

    @property
    def class_name(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_")) + "Twin"

    def files(self) -> dict[str, str]:
        """The twin folder's files, by name."""
        handlers = _handler_names(self.operations)
        values = {
            "name": self.name,
            "package": self.package,
            "title": self.title,
            "source": self.source,
            "Class": self.class_name,
        }
        routes = Template(templates.ROUTES).substitute(values) + "".join(
            self._stub(operation, handlers[operation.id]) for operation in self.operations
        )
        table = "\n".join(
            f"| `{op.id}` | `{op.method} {op.path}` | `{handlers[op.id]}` |"
            for op in self.operations
        )
        data = {"operations": [_as_dict(operation) for operation in self.operations]}
        return {
            "__init__.py": Template(templates.INIT).substitute(values),
            "twin.py": Template(templates.TWIN).substitute(values),
            "state.py": Template(templates.STATE).substitute(values),
            "routes.py": routes,
            "seed.yaml": Template(templates.SEED).substitute(values),
            "README.md": Template(templates.README).substitute(values, operations=table),
            "operations.json": json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        }

    def tests(self) -> str:
        values = {"package": self.package, "Class": self.class_name, "name": self.name}
        text = Template(templates.TESTS).substitute(values)
        for operation in self.operations:
            values_of = {**values, "id": operation.id, "test": snake_case(operation.id)}
            text += Template(templates.TEST_OPERATION).substitute(values_of)
            required = operation.body is not None and operation.body.get("required")
            required = required or any(
                p["required"] and p["in"] in ("query", "form") for p in operation.parameters
            )
            if required:
                text += Template(templates.TEST_INVALID).substitute(values_of)
        return text

    def _stub(self, operation: Operation, handler: str) -> str:
        title = f"{operation.method} {operation.path}"
        lines = [f"{title}: {operation.summary}" if operation.summary else title, ""]
        for place in ("path", "query", "header", "form"):
            names = [
                f"{p['name']}{'' if p['required'] else ' (optional)'}"
                for p in operation.parameters
                if p["in"] == place
            ]
            if names:
                lines.append(f"{place.capitalize()}: {', '.join(names)}.")
        if operation.body is not None:
            lines.append(f"Body: JSON{'' if operation.body.get('required') else ' (optional)'}.")
        lines.append(f"Answers: {', '.join(operation.responses)}.")
        success = next((s for s in operation.responses if s.startswith("2")), None)
        if success and operation.responses[success] is not None:
            shape = json.dumps(example(operation.responses[success]), ensure_ascii=False)
            lines.append(f"An answer {success} looks like: {shape}")
        doc = "\n".join(
            textwrap.fill(line, 92, initial_indent="    ", subsequent_indent="    ")
            for line in lines
        )
        return Template(templates.STUB).substitute(
            id=operation.id, handler=handler, Class=self.class_name, doc=doc.strip()
        )


def _handler_names(operations: list[Operation]) -> dict[str, str]:
    names: dict[str, str] = {}
    for operation in operations:
        name = snake_case(operation.id)
        while name in names.values() or name in ("router", "operations"):
            name += "_"
        names[operation.id] = name
    return names


def _as_dict(operation: Operation) -> dict[str, Any]:
    return {
        "id": operation.id,
        "method": operation.method,
        "path": operation.path,
        "parameters": operation.parameters,
        "body": operation.body,
        "responses": operation.responses,
        "summary": operation.summary,
    }


def scaffold(
    name: str,
    description: str | Path,
    wanted: list[str],
    into: str | Path,
    tests: str | Path,
    package: str | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the twin ``name`` for the ``wanted`` operations of ``description``: its folder under
    ``into`` and its tests under ``tests``. Returns the paths written."""
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r}: a twin's name is lower-case letters, digits and _")
    document = load_description(description)
    reader = _Reader(document, str(description))
    title = str((document.get("info") or {}).get("title") or name)
    chosen = choose(reader, wanted)
    made = Scaffold(name, package or f"holdout_twins.{name}", title, Path(description).name, chosen)
    folder = Path(into) / name
    test_file = Path(tests) / f"test_{name}_twin.py"
    for existing in (folder, test_file):
        if existing.exists() and not force:
            raise ScaffoldError(f"{existing} exists already (--force replaces it)")
    _write_folder(folder, made.files())
    _write_file(test_file, made.tests())
    return [folder / file for file in made.files()] + [test_file]


def _write_folder(folder: Path, files: dict[str, str]) -> None:
    """All of the folder or none of it: written beside, then renamed into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for file, text in files.items():
            (staging / file).write_text(text, encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
