"""The Anthropic twin: API-key authentication, the error envelope, rate-limit headers, ids."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from holdout_twins.anthropic.control import SCRIPT_PREFIX, handle_script
from holdout_twins.anthropic.errors import api_error, error_type
from holdout_twins.anthropic.routes import router
from holdout_twins.anthropic.script import Reply, Script, ScriptError
from holdout_twins.anthropic.state import Account, Model
from holdout_twins.core import (
    ALNUM,
    Generic,
    LimitStatus,
    RateLimit,
    Request,
    Response,
    SeedError,
    ServiceError,
    Twin,
    json_response,
)

# What the core's own errors are in the API: HTTP status and message (the type follows the status).
_GENERIC_ERRORS: dict[str, tuple[int | None, str]] = {
    Generic.NOT_FOUND: (404, "Not Found"),
    Generic.METHOD_NOT_ALLOWED: (405, "Method Not Allowed"),
    Generic.INVALID_JSON: (400, "There was an error parsing the body of your request as JSON"),
    Generic.JSON_NOT_OBJECT: (400, "The request body must be a JSON object"),
    Generic.INVALID_FORM: (400, "The request body must be JSON"),
    Generic.UNSUPPORTED_MEDIA_TYPE: (415, "Content-Type must be application/json"),
    Generic.BAD_REQUEST: (400, "Bad Request"),
    Generic.PAYLOAD_TOO_LARGE: (413, "Request exceeds the maximum allowed number of bytes."),
    Generic.RATE_LIMITED: (429, "Number of requests has exceeded your rate limit."),
    Generic.INJECTED_FAULT: (None, ""),  # None: keep the injected status and its usual message
    Generic.INTERNAL: (500, "Internal server error"),
}
ID_LENGTH = 24  # "msg_01" + 22 characters, like the API's ids


def _rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


API_VERSION = "2023-06-01"  # the version every client sends in ``anthropic-version``


class AnthropicTwin(Twin):
    """The Anthropic API under ``/v1/``, for ``Anthropic(base_url=twin.base_url,
    api_key=twin.token)``. Replies come from ``twin.script`` (see script.py and README.md)."""

    name = "anthropic"
    router = router
    seed_path = Path(__file__).with_name("seed.yaml")
    max_body = 32 * 1024 * 1024  # the Messages API's documented request size limit
    # Tier 1 of the documented limits, in requests per minute per organisation.
    default_rate_limits: ClassVar[dict[str, RateLimit]] = {
        "messages.create": RateLimit(50, 60.0),
        "messages.count_tokens": RateLimit(100, 60.0),
    }
    state: Account

    def build_state(self, seed_data: dict[str, Any]) -> Account:
        try:
            models = [
                Model(**{**fields, "aliases": tuple(fields.get("aliases", ()))})
                for fields in seed_data.get("models", [])
            ]
            default = Reply.of(seed_data.get("default_reply", "OK"))
        except ScriptError as error:  # the core turns the other errors into a SeedError
            raise SeedError(f"anthropic seed data: {error}") from None
        return Account(Script(default), models)

    @property
    def script(self) -> Script:
        """The replies this twin gives: ``twin.script.enqueue("Hi")``, ``add_rule(...)``."""
        return self.state.script

    def default_principal(self) -> str:
        return "default"  # the workspace the keys belong to; limits count per workspace

    def new_token(self, principal: Any) -> str:
        """An API key in the API's format, ``sk-ant-api03-...AA``."""
        return f"sk-ant-api03-{self.ids.string(93, ALNUM + '-_')}AA"

    def new_id(self, prefix: str) -> str:
        """An object id in the API's format: ``msg_01...``, ``toolu_01...``, ``req_01...``."""
        return self.ids.string(ID_LENGTH - 2, ALNUM, prefix + "01")

    @classmethod
    def built_description(cls) -> tuple[str, dict[str, Any], list[Callable[..., Any]]]:
        """Anthropic publishes no API description: the meter's is built from the official
        SDK's types, and streamed answers are read by the SDK's parser (description.py)."""
        from holdout_twins.anthropic import description

        return description.source(), description.openapi(), description.CHECKS

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        """``x-api-key`` and the ``anthropic-version`` header that every call must carry."""
        return {"x-api-key": token or self.token, "anthropic-version": API_VERSION}

    def authenticate(self, request: Request) -> Any:
        """The key from ``x-api-key`` or ``Authorization: Bearer`` (the SDK sends the latter);
        then the ``anthropic-version`` header, which the API requires on every call."""
        key = request.headers.get("x-api-key") or request.bearer_token()
        if not key:
            raise api_error(401, "x-api-key header is required")
        if key not in self.tokens:
            raise api_error(401, "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            raise api_error(400, "anthropic-version: header is required")
        return self.tokens[key]

    def error_response(self, error: ServiceError) -> Response:
        """``{"type": "error", "error": {"type", "message"}, "request_id"}``, with the
        ``request-id`` header, as the API answers every error."""
        status, message = _GENERIC_ERRORS.get(error.code, (error.status, error.message))
        status = error.status if status is None else status
        request_id = self.new_id("req_")
        body = {
            "type": "error",
            "error": {"type": error_type(status), "message": message or error_type(status)},
            "request_id": request_id,
        }
        return json_response(body, status, {**error.headers, "request-id": request_id})

    def rate_limit_headers(self, status: LimitStatus) -> dict[str, str]:
        """The API's ``anthropic-ratelimit-requests-*`` headers. Over a limit the twin also sends
        ``retry-after-ms``, the exact wait, which the SDK prefers to whole seconds."""
        headers = {
            "anthropic-ratelimit-requests-limit": str(status.limit),
            "anthropic-ratelimit-requests-remaining": str(status.remaining),
            "anthropic-ratelimit-requests-reset": _rfc3339(status.reset),
        }
        if status.limited:
            wait = max(0.001, status.reset - time.time())
            headers["retry-after-ms"] = str(math.ceil(wait * 1000))
        return headers

    def handle(self, request: Request) -> Response | None:
        """The script's control routes, then the core's pipeline; every API response carries a
        ``request-id``."""
        if request.path == SCRIPT_PREFIX or request.path.startswith(SCRIPT_PREFIX + "/"):
            return handle_script(self, request)
        response = super().handle(request)
        if response is not None and not request.path.startswith("/_twin/"):
            response.headers.setdefault("request-id", self.new_id("req_"))
        return response
