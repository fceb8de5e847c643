"""Typed query parameters. Google's front end checks every parameter against the type its
Discovery document declares before the method runs, so a boolean that is not ``true`` or
``false``, or a value outside an enum, is a 400 whatever the request's ids name. Only the
typed parameters of the methods the twin serves are listed; Sheets' enums are checked where
they are read (``sheets.routes.choice``), since each has a default to fall back on.
"""

from __future__ import annotations

from holdout_twins.core import Request, ServiceError
from holdout_twins.google.errors import google_error, invalid_argument

# Booleans of Drive v3 files and permissions, Docs v1 and Sheets v4, and every API's prettyPrint.
BOOLEANS = frozenset(
    {
        "acknowledgeAbuse",
        "copyComments",
        "enforceExpansiveAccess",
        "enforceSingleParent",
        "excludeTablesInBandedRanges",
        "ignoreDefaultVisibility",
        "includeGridData",
        "includeItemsFromAllDrives",
        "includeTabsContent",
        "includeTeamDriveItems",
        "includeValuesInResponse",
        "keepRevisionForever",
        "moveToNewOwnersRoot",
        "prettyPrint",
        "removeExpiration",
        "sendNotificationEmail",
        "supportsAllDrives",
        "supportsTeamDrives",
        "transferOwnership",
        "useContentAsIndexableText",
        "useDomainAdminAccess",
    }
)
_VIEW_MODES = (
    "COMMENTS_VIEW_MODE_UNSPECIFIED",
    "COMMENTS_VIEW_MODE_DEFAULT_FOR_CURRENT_ACCESS",
    "COMMENTS_VIEW_MODE_OMITTED",
    "COMMENTS_VIEW_MODE_INCLUDED",
)
ENUMS: dict[str, tuple[str, ...]] = {
    "corpus": ("domain", "user"),  # Drive's files.list
    "commentsViewMode": _VIEW_MODES,  # Docs' documents.get and Sheets' spreadsheets.get
    "suggestionsViewMode": (
        "DEFAULT_FOR_CURRENT_ACCESS",
        "SUGGESTIONS_INLINE",
        "PREVIEW_SUGGESTIONS_ACCEPTED",
        "PREVIEW_WITHOUT_SUGGESTIONS",
    ),
}


def check_parameters(request: Request) -> None:
    """Refuse a typed query parameter whose value is not of its type, in the words of the API
    called: Drive's ``invalid`` "Invalid Value", Docs' and Sheets' ``Invalid value at``."""
    for name, value in request.query.items():
        if name in BOOLEANS:
            valid = value.lower() in ("true", "false")
        elif name in ENUMS:
            valid = value in ENUMS[name]
        else:
            continue
        if not valid:
            raise _refusal(request, name, value)


def _refusal(request: Request, name: str, value: str) -> ServiceError:
    if request.operation.startswith("drive."):
        return google_error(400, "invalid", "Invalid Value", location=name)
    return invalid_argument(f"Invalid value at '{name}' ({value})", name)
