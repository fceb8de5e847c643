"""Requests and responses as a twin's handlers see them, independent of the HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from holdout_twins.core.errors import Generic, ServiceError

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


class Headers(dict[str, str]):
    """Request headers with lower-cased names, so ``headers["authorization"]`` always works."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((name.lower(), value) for name, value in items)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass
class Request:
    """One HTTP request. ``path_params`` come from the route, ``principal`` from authentication."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)  # a repeated parameter: its last value
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    path_params: dict[str, Any] = field(default_factory=dict)
    principal: Any = None
    operation: str = ""  # the route's name, e.g. "chat.postMessage"; used by journal and limits
    query_values: dict[str, list[str]] = field(default_factory=dict)  # every value, in order
    _data: Any = field(default=None, repr=False)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased: "application/json"."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def bearer_token(self) -> str | None:
        """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None

    def json(self) -> Any:
        """The body parsed as JSON; ``ServiceError(400, INVALID_JSON)`` if it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ServiceError(400, Generic.INVALID_JSON, str(error)) from None

    def form(self) -> dict[str, str]:
        """The body as a URL-encoded form (a repeated key keeps its last value)."""
        try:
            pairs = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError as error:
            raise ServiceError(400, Generic.INVALID_FORM, str(error)) from None
        return {key: values[-1] for key, values in pairs.items()}

    def data(self) -> Any:
        """The body decoded by its content type: JSON, form, or ``None`` when empty.

        Any other content type with a body is ``ServiceError(415, UNSUPPORTED_MEDIA_TYPE)``.
        The result is cached, so hooks and handlers can both call it.
        """
        if self._data is None:
            if not self.body:
                self._data = {}
            elif self.content_type == JSON_TYPE or self.content_type.endswith("+json"):
                self._data = self.json()
            elif self.content_type == FORM_TYPE:
                self._data = self.form()
            else:
                raise ServiceError(
                    415, Generic.UNSUPPORTED_MEDIA_TYPE, self.content_type or "no content type"
                )
        return self._data

    def params(self) -> dict[str, Any]:
        """Query parameters overlaid with the body's fields: how RPC-style APIs (Slack) read input.

        A JSON body that is not an object is ``ServiceError(400, JSON_NOT_OBJECT)``.
        """
        data = self.data()
        if not isinstance(data, Mapping):
            raise ServiceError(400, Generic.JSON_NOT_OBJECT, "the body is not a JSON object")
        return {**self.query, **data}


@dataclass
class Response:
    """What a handler returns. ``body`` is bytes, or an iterable of byte chunks to stream."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE

    @property
    def streamed(self) -> bool:
        return not isinstance(self.body, (bytes, bytearray))

    def json(self) -> Any:
        """The body parsed as JSON (for in-process callers and tests; not for streams)."""
        if self.streamed:
            raise TypeError("a streamed response has no single JSON body")
        return json.loads(self.body) if self.body else None


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A compact UTF-8 JSON response."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, body, dict(headers or {}), JSON_TYPE)


def stream(
    chunks: Iterable[bytes | str],
    content_type: str = "text/event-stream",
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A streamed response: each chunk is sent (HTTP chunked encoding) as soon as it is produced.

    The iterable runs after the twin's lock is released, so produce state changes in the handler
    and only format them in the iterable (take ``twin.lock`` if it must read live state).
    """
    encoded = (chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in chunks)
    return Response(status, encoded, dict(headers or {}), content_type)


def sse_event(data: Any, event: str | None = None) -> bytes:
    """One server-sent event: ``event: <event>\\ndata: <json>\\n\\n``."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
