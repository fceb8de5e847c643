"""Errors a twin answers with. Each twin turns them into its service's own error shape."""

from __future__ import annotations

from typing import Any


class Generic:
    """Codes for conditions the core detects itself, before any service code runs.

    A twin's ``error_response`` hook maps them to what its real service sends, e.g. Slack answers
    ``NOT_FOUND`` with HTTP 404 ``{"ok": false, "error": "unknown_method"}``.
    """

    BAD_REQUEST = "bad_request"  # HTTP framing the server cannot read (HTTP 400)
    NOT_FOUND = "not_found"  # no route for the path
    METHOD_NOT_ALLOWED = "method_not_allowed"  # the path exists, the HTTP method does not
    INVALID_JSON = "invalid_json"  # a JSON content type with a body that is not JSON
    JSON_NOT_OBJECT = "json_not_object"  # JSON where an object was required (``params()``)
    INVALID_FORM = "invalid_form"  # a form content type with a body that does not decode
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # a body in a content type not understood
    PAYLOAD_TOO_LARGE = "payload_too_large"  # a body over ``Twin.max_body`` bytes (HTTP 413)
    RATE_LIMITED = "rate_limited"  # over a rate limit, or an injected 429 (HTTP 429)
    INJECTED_FAULT = "injected_fault"  # a status injected by ``Faults`` (the rule's status)
    INTERNAL = "internal_error"  # a bug in the twin itself (HTTP 500); the twin keeps serving


class ServiceError(Exception):
    """Raise from a handler or hook to answer with an error.

    ``status`` is the HTTP status, ``code`` the service's own error code (or a ``Generic`` code),
    ``headers`` extra response headers, ``extra`` service-specific fields for the error body
    (Slack's ``needed``/``provided``, Jira's ``errors`` dict, ...).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str = "",
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}" if message else f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
