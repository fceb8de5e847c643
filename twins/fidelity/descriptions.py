"""Published API descriptions: OpenAPI 2 or 3 as they stand, Google discovery documents translated
to OpenAPI 3, found by the file name a twin declares (``Twin.api_description``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from holdout_twins.core import Twin
from holdout_twins.fidelity.discovery import is_discovery, to_openapi

# Where the services' descriptions are kept, relative to the current directory (a checkout's
# root), unless HOLDOUT_API_SPECS names another folder.
DEFAULT_DIRECTORY = Path("..", "shared", "api-specs")
DIRECTORY_VARIABLE = "HOLDOUT_API_SPECS"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class DescriptionError(Exception):
    """A description that cannot be found or read. The message names the file or the twin."""


@dataclass(frozen=True)
class Description:
    """One API description as an OpenAPI document (``document``), whatever it was published as."""

    path: Path
    document: dict[str, Any]
    kind: str  # "OpenAPI 3.0.3", "Swagger 2.0", "Google discovery (OpenAPI 3.0.3)"

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        """``(method, path, operation)`` for every described operation, in document order."""
        return [
            (method, path, operation)
            for path, item in self.document.get("paths", {}).items()
            for method, operation in item.items()
            if method in HTTP_METHODS and isinstance(operation, dict)
        ]

    def matches(self, schema: dict[str, Any], body: Any) -> bool:
        """Whether ``body`` is valid under ``schema`` (a schema of this description)."""
        shared = {
            key: self.document[key] for key in ("definitions", "components") if key in self.document
        }
        validator = jsonschema.validators.validator_for(schema, jsonschema.Draft4Validator)
        return validator({**schema, **shared}).is_valid(body)

    def resolve(self, node: Any) -> Any:
        """``node`` with a local ``$ref`` ("#/components/schemas/User") followed, repeatedly."""
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 64:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node, seen = target, seen + 1
        return node

    def response_schema(self, method: str, path: str, status: int | str) -> dict[str, Any] | None:
        """The JSON schema described for ``method path`` answering ``status`` (or its
        ``default``; ``"default"`` asks for that alone), None where the description gives none."""
        responses = self.document["paths"][path][method].get("responses", {})
        response = self.resolve(responses.get(str(status)) or responses.get("default"))
        if not isinstance(response, dict):
            return None
        if "schema" in response:  # OpenAPI 2
            return response["schema"]
        content = response.get("content", {})
        media = content.get("application/json") or next(
            (value for key, value in content.items() if key.endswith("json")), None
        )
        return media.get("schema") if isinstance(media, dict) else None


def default_directory() -> Path:
    return Path(os.environ.get(DIRECTORY_VARIABLE) or DEFAULT_DIRECTORY)


def description_file(twin: type[Twin], directory: Path | None = None) -> Path:
    """The file holding ``twin``'s published description."""
    if not twin.api_description:
        raise DescriptionError(f"the {twin.name} twin names no published API description")
    path = (directory or default_directory()) / twin.api_description
    if not path.is_file():
        raise DescriptionError(
            f"{path}: {twin.name}'s API description not found (--spec FILE or "
            f"{DIRECTORY_VARIABLE}=DIR says where it is)"
        )
    return path


def twin_description(twin: type[Twin], path: Path | None = None) -> Description:
    """``twin``'s description (from ``path``, or where ``description_file`` finds it), with the
    twin's corrections where the published text disagrees with the real service."""
    description = load_description(path or description_file(twin))
    try:
        twin.correct_description(description.document)
    except (KeyError, TypeError) as error:
        raise DescriptionError(
            f"{description.path}: not the description the {twin.name} twin corrects (no {error})"
        ) from None
    return description


def load_description(path: Path) -> Description:
    """An OpenAPI document (JSON or YAML) or a Google discovery document, as OpenAPI."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            document = json.loads(text)
        else:
            document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as error:
        raise DescriptionError(f"{path}: cannot read ({error.strerror})") from None
    except (json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError):
        raise DescriptionError(f"{path}: not valid JSON or YAML") from None
    if not isinstance(document, dict):
        raise DescriptionError(f"{path}: not an API description (no mapping at the top)")
    if is_discovery(document):
        openapi = to_openapi(document)
        return Description(path, openapi, f"Google discovery (OpenAPI {openapi['openapi']})")
    if "openapi" in document and "paths" in document:
        return Description(path, document, f"OpenAPI {document['openapi']}")
    if "swagger" in document and "paths" in document:
        return Description(path, document, f"Swagger {document['swagger']}")
    raise DescriptionError(f"{path}: neither OpenAPI nor a Google discovery document")
