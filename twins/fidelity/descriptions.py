"""Published API descriptions: OpenAPI 2 or 3 as they stand, Google discovery documents translated
to OpenAPI 3, found by the file name a twin declares (``Twin.api_description``, one per API for a
twin serving several); for a service that publishes none, the one its twin builds from the
official SDK's types (``Twin.built_description``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
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

    path: Path | str  # the file, or what a built description was built from
    document: dict[str, Any]
    kind: str  # "OpenAPI 3.0.3", "Swagger 2.0", "Google discovery (OpenAPI 3.0.3)"
    api: str | None = None  # which of the twin's APIs, for a twin serving several
    # Checks of each answer beyond the description's schemas (a built description's SDK parser).
    checks: list[Callable[..., Any]] = field(default_factory=list)

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


def description_file(
    twin: type[Twin], directory: Path | None = None, api: str | None = None
) -> Path:
    """The file holding ``twin``'s published description (of ``api``, for a twin that serves
    several)."""
    name = _file_name(twin, api)
    path = (directory or default_directory()) / name
    if not path.is_file():
        raise DescriptionError(
            f"{path}: {twin.name}'s API description not found (--spec FILE or "
            f"{DIRECTORY_VARIABLE}=DIR says where it is)"
        )
    return path


def _file_name(twin: type[Twin], api: str | None) -> str:
    files = twin.api_description
    if isinstance(files, Mapping):
        if api not in files:
            said = f"not {api!r}; " if api else ""
            raise DescriptionError(
                f"the {twin.name} twin serves several APIs: {said}--api {' or '.join(files)}"
            )
        return files[api]
    if api is not None:
        raise DescriptionError(f"the {twin.name} twin serves one API: leave out --api")
    if not files:
        raise DescriptionError(f"the {twin.name} twin names no published API description")
    return files


def twin_description(
    twin: type[Twin], path: Path | None = None, api: str | None = None
) -> Description:
    """``twin``'s description (from ``path``, or where ``description_file`` finds it, or the one
    the twin builds), with the twin's corrections where the published text disagrees with the
    real service."""
    built = twin.built_description() if path is None and not twin.api_description else None
    if built is not None:
        source, document, checks = built
        return Description(source, document, f"built (OpenAPI {document['openapi']})", api, checks)
    description = load_description(path or description_file(twin, api=api))
    if api is not None:
        description = replace(description, api=api)
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
