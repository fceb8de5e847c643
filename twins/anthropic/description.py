"""The Anthropic API as the official ``anthropic`` SDK declares it, for the conformance meter.

Anthropic publishes no machine-readable API description; the SDK's types are the contract its
users code against. ``openapi()`` builds a small OpenAPI 3.1 document from them, nothing written
by hand but the paths: request bodies and query parameters from the SDK's request TypedDicts
(``MessageCreateParams``, streaming or not, ``MessageCountTokensParams``, ``ModelListParams``),
answers from its pydantic models (``Message``, ``MessageTokensCount``, ``ModelInfo``, a page of
them, and ``ErrorResponse`` for every error), as pydantic writes their JSON Schema for
validation. A streamed answer has no schema there: ``parses_as_a_stream`` reads it with the
SDK's own server-sent-event decoder, parses each event as a ``RawMessageStreamEvent`` and
accumulates them as the SDK's ``MessageStream`` does, into a ``Message``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
from anthropic import types
from anthropic._streaming import SSEDecoder
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.pagination import SyncPage
from anthropic.types import message_count_tokens_params, message_create_params, model_list_params
from anthropic.types.shared.error_response import ErrorResponse
from pydantic import TypeAdapter, ValidationError

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
EVENT_STREAM = "text/event-stream"
# The SDK's types by the name each has in the document.
_TYPES: dict[str, Any] = {
    "MessageCreateParams": message_create_params.MessageCreateParams,
    "MessageCountTokensParams": message_count_tokens_params.MessageCountTokensParams,
    "ModelListParams": model_list_params.ModelListParams,
    "Message": types.Message,
    "MessageTokensCount": types.MessageTokensCount,
    "ModelInfo": types.ModelInfo,
    "ModelInfoPage": SyncPage[types.ModelInfo],
    "ErrorResponse": ErrorResponse,
}
_EVENT: TypeAdapter[Any] = TypeAdapter(types.RawMessageStreamEvent)


def source() -> str:
    return f"the anthropic SDK {anthropic.__version__}'s types"


def openapi() -> dict[str, Any]:
    """The Messages, token-counting and Models operations, with the SDK's types as schemas."""
    schemas, root = _schemas()
    listing = root["ModelListParams"]
    listing = schemas[listing["$ref"].rsplit("/", 1)[1]] if "$ref" in listing else listing
    list_parameters = [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in listing["properties"].items()
    ]
    model_id = [{"name": "model_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    create = _operation("messages.create", root, "MessageCreateParams", "Message", streams=True)
    count = _operation(
        "messages.count_tokens", root, "MessageCountTokensParams", "MessageTokensCount"
    )
    listed = _operation("models.list", root, None, "ModelInfoPage")
    retrieved = _operation("models.retrieve", root, None, "ModelInfo")
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Anthropic API (the SDK's types)", "version": anthropic.__version__},
        "paths": {
            "/v1/messages": {"post": create},
            "/v1/messages/count_tokens": {"post": count},
            "/v1/models": {"get": {**listed, "parameters": list_parameters}},
            "/v1/models/{model_id}": {"get": {**retrieved, "parameters": model_id}},
        },
        "components": {"schemas": schemas},
    }


def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON Schema of every type, generated together so that the types they share are
    named once and the same way: the named schemas, and each of ``_TYPES`` as a schema (inline,
    or a reference to a named one)."""
    together: TypeAdapter[Any] = TypeAdapter(tuple[tuple(_TYPES.values())])  # type: ignore[misc]
    generated = together.json_schema(ref_template=REF)
    root = dict(zip(_TYPES, generated["prefixItems"], strict=True))
    return generated.get("$defs", {}), root


def _operation(
    operation_id: str,
    root: dict[str, Any],
    request: str | None,
    answer: str,
    *,
    streams: bool = False,
) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": root[answer]}}
    if streams:
        content[EVENT_STREAM] = {}
    error = {"application/json": {"schema": root["ErrorResponse"]}}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "responses": {
            "200": {"description": answer, "content": content},
            "default": {"description": "error", "content": error},
        },
    }
    if request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": root[request]}},
        }
    return operation


def parses_as_a_stream(ctx: Any, response: Any, case: Any) -> bool | None:
    """A streamed answer reads as the SDK reads it: every event a ``RawMessageStreamEvent``
    (or a ``ping``, or an ``error`` event that is an ``ErrorResponse``), accumulating into a
    ``Message``. Answers that are not event streams are left to the schemas."""
    if not response.headers.get("content-type", [""])[0].startswith(EVENT_STREAM):
        return True
    snapshot: Any = None
    buffers: dict[int, bytes] = {}
    for event in SSEDecoder().iter_bytes(iter([response.content])):
        if event.event == "ping":
            continue
        try:
            if event.event == "error":
                ErrorResponse.model_validate(event.json())
                return None
            parsed = _EVENT.validate_python(event.json())
        except (ValidationError, ValueError) as error:
            raise AssertionError(f"event {event.event!r} does not parse: {error}") from None
        snapshot = accumulate_event(event=parsed, current_snapshot=snapshot, json_bufs=buffers)
    if snapshot is None:
        raise AssertionError("an event stream without events")
    try:
        types.Message.model_validate(snapshot.model_dump())
    except ValidationError as error:
        raise AssertionError(f"the streamed events do not make a Message: {error}") from None
    return None


CHECKS: list[Callable[..., Any]] = [parses_as_a_stream]
