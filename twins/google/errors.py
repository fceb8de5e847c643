"""Google's error envelope: ``{"error": {"code", "message", "status", "errors": [...]}}``.

Every handler raises ``google_error``; the twin's ``error_response`` writes the envelope. The
``errors`` list comes first in the envelope, as Google writes it: ``googleapiclient`` reads the
first entry's ``reason`` to decide whether a 403 is a rate limit it should retry.
"""

from __future__ import annotations

from typing import Any

from holdout_twins.core import Generic, ServiceError

# The canonical status name of each HTTP status the twin answers with (google.rpc.Code).
STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    413: "INVALID_ARGUMENT",
    416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
RATE_LIMITED = "Rate Limit Exceeded"

# The core's own errors in Google's terms: HTTP status (None: keep it), reason and message.
_GENERIC: dict[str, tuple[int | None, str, str]] = {
    Generic.NOT_FOUND: (404, "notFound", "Method not found."),
    Generic.METHOD_NOT_ALLOWED: (405, "notFound", "Method not found."),
    Generic.INVALID_JSON: (400, "parseError", "Invalid JSON payload received."),
    Generic.JSON_NOT_OBJECT: (400, "parseError", "Invalid JSON payload received."),
    Generic.INVALID_FORM: (400, "parseError", "Invalid form payload received."),
    Generic.BAD_REQUEST: (400, "badRequest", "Bad Request"),
    Generic.UNSUPPORTED_MEDIA_TYPE: (400, "badContent", "Unsupported content with type"),
    Generic.PAYLOAD_TOO_LARGE: (413, "uploadTooLarge", "The request is too large."),
    Generic.RATE_LIMITED: (429, "rateLimitExceeded", RATE_LIMITED),
    Generic.INTERNAL: (500, "internalError", "Internal Error"),
}
# What an injected status says. A 403 is Drive's rate-limit 403, the one clients must retry.
_INJECTED: dict[int, tuple[str, str, str]] = {
    400: ("global", "badRequest", "Bad Request"),
    401: ("global", "authError", "Invalid Credentials"),
    403: ("usageLimits", "rateLimitExceeded", RATE_LIMITED),
    404: ("global", "notFound", "Requested entity was not found."),
    500: ("global", "internalError", "Internal Error"),
    502: ("global", "backendError", "Bad Gateway"),
    503: ("global", "backendError", "The service is currently unavailable."),
}


def google_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    location: str | None = None,
    location_type: str = "parameter",
    rpc_status: str | None = None,
    headers: dict[str, str] | None = None,
) -> ServiceError:
    """An error as Google's APIs answer it; ``location`` names the parameter (or header) at
    fault, ``rpc_status`` the status name where it is not the HTTP status's usual one."""
    detail: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location is not None:
        detail["location"], detail["locationType"] = location, location_type
    extra: dict[str, Any] = {"errors": [detail]}
    if rpc_status is not None:
        extra["status"] = rpc_status
    return ServiceError(status, reason, message, headers=headers, extra=extra)


def invalid_argument(message: str, location: str | None = None) -> ServiceError:
    return google_error(400, "badRequest", message, location=location)


def envelope(error: ServiceError) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body of ``error`` in Google's envelope."""
    status, reason, message = error.status, error.code, error.message
    domain = "global"
    if error.code in _GENERIC:
        mapped, reason, message = _GENERIC[error.code]
        status = mapped or status
        domain = "usageLimits" if error.code == Generic.RATE_LIMITED else domain
    elif error.code == Generic.INJECTED_FAULT:
        domain, reason, message = _INJECTED.get(status, ("global", "backendError", "Error"))
    errors = error.extra.get("errors") or [{"message": message, "domain": domain, "reason": reason}]
    body = {
        "error": {
            "errors": errors,
            "code": status,
            "message": message,
            "status": error.extra.get("status") or STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return status, body
