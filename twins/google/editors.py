"""Opening a Doc or a Sheet the way the Docs and Sheets APIs do: through its Drive file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from holdout_twins.core import Request, ServiceError
from holdout_twins.google.errors import google_error
from holdout_twins.google.state import ROLES, DriveFile

if TYPE_CHECKING:
    from holdout_twins.google.twin import GoogleTwin

NOT_FOUND = "Requested entity was not found."
FORBIDDEN = "The caller does not have permission"


def not_found() -> ServiceError:
    return google_error(404, "notFound", NOT_FOUND)


def open_file(
    twin: GoogleTwin, request: Request, file_id: str, content: str, *, write: bool
) -> DriveFile:
    """The Drive file of a Doc (``content="document"``) or a Sheet (``"spreadsheet"``): 404 for
    one the caller cannot see, 403 for a change without edit rights, 400 for the wrong kind."""
    file = twin.state.files.get(file_id)
    role = twin.state.role(file, str(request.principal)) if file else None
    if file is None or role is None:
        raise not_found()
    if getattr(file, content) is None:
        raise google_error(
            400,
            "failedPrecondition",
            "This operation is not supported for this document",
            rpc_status="FAILED_PRECONDITION",
        )
    if write and ROLES.index(role) < ROLES.index("writer"):
        raise google_error(403, "forbidden", FORBIDDEN)
    return file


def json_body(request: Request) -> dict:
    """A request's JSON object (an empty body is ``{}``)."""
    data = request.data()
    if not isinstance(data, dict):
        raise google_error(400, "parseError", "Invalid JSON payload received.")
    return data
