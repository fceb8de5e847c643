"""Jira's error shape: ``{"errorMessages": [...], "errors": {field: message}}``."""

from __future__ import annotations

from holdout_twins.core import Generic, ServiceError

JIRA_ERROR = "jira_error"  # the ServiceError code of every error a handler raises

# What the core's own errors say in Jira: HTTP status (None: keep the error's) and message.
GENERIC_ERRORS: dict[str, tuple[int | None, str]] = {
    Generic.NOT_FOUND: (404, "null for uri: {message}"),
    Generic.METHOD_NOT_ALLOWED: (405, "Method Not Allowed"),
    Generic.INVALID_JSON: (400, "Unexpected character in the JSON body: {message}"),
    Generic.JSON_NOT_OBJECT: (400, "Can not deserialize a JSON body that is not an object"),
    Generic.INVALID_FORM: (415, "Unsupported Media Type"),
    Generic.UNSUPPORTED_MEDIA_TYPE: (415, "Unsupported Media Type"),
    Generic.BAD_REQUEST: (400, "Bad Request"),
    Generic.PAYLOAD_TOO_LARGE: (413, "Request Entity Too Large"),
    Generic.RATE_LIMITED: (429, "Rate limit exceeded."),
    Generic.INJECTED_FAULT: (None, "Internal server error"),
    Generic.INTERNAL: (500, "Internal server error"),
}


def jira_error(
    status: int, *messages: str, errors: dict[str, str] | None = None, **headers: str
) -> ServiceError:
    """An error as Jira sends it: general ``messages`` and per-field ``errors``."""
    return ServiceError(
        status,
        JIRA_ERROR,
        "; ".join([*messages, *(errors or {}).values()]),
        headers={name.replace("_", "-"): value for name, value in headers.items()},
        extra={"errorMessages": list(messages), "errors": dict(errors or {})},
    )


def not_found(message: str) -> ServiceError:
    return jira_error(404, message)


def field_errors(errors: dict[str, str]) -> ServiceError:
    """HTTP 400 for fields that cannot be set, as create and edit answer."""
    return jira_error(400, errors=errors)
