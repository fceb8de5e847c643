"""The API's errors: the ``error.type`` of each status, and the usual messages."""

from __future__ import annotations

from holdout_twins.core import ServiceError

# The API's ``error.type`` for each status it documents.
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
ERROR_MESSAGES: dict[int, str] = {
    429: "Number of requests has exceeded your rate limit.",
    500: "Internal server error",
    529: "Overloaded",
}


def error_type(status: int) -> str:
    """The API's ``error.type`` for an HTTP status (other 4XX are ``invalid_request_error``)."""
    return ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def api_error(status: int, message: str, headers: dict[str, str] | None = None) -> ServiceError:
    """An error as the API reports it: the status, its ``error.type`` and a message."""
    return ServiceError(status, error_type(status), message, headers=headers)


def invalid(message: str) -> ServiceError:
    return api_error(400, message)


def error_message(status: int, message: str) -> str:
    """A scripted error's message, or the API's usual one for its status."""
    return message or ERROR_MESSAGES.get(status, error_type(status))
