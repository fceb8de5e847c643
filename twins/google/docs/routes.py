"""Docs v1: ``documents.create``, ``documents.get`` and ``documents.batchUpdate``.

A batch applies its requests in order to a copy of the document, each seeing the indexes the one
before left; any request that fails leaves the document as it was (Docs applies all or none).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from holdout_twins.core import Request, Router
from holdout_twins.google.docs import render
from holdout_twins.google.docs.body import Document, EditError
from holdout_twins.google.editors import json_body, open_file
from holdout_twins.google.errors import google_error, invalid_argument
from holdout_twins.google.fields import partial
from holdout_twins.google.state import DOCUMENT

if TYPE_CHECKING:
    from holdout_twins.google.twin import GoogleTwin

router = Router()
DOCUMENTS = "/v1/documents"
Reply = dict[str, Any]


@router.post(DOCUMENTS + "/{documentId}:batchUpdate", name="docs.documents.batchUpdate")
def batch_update(twin: GoogleTwin, request: Request) -> Any:
    file = open_file(twin, request, request.path_params["documentId"], "document", write=True)
    data = json_body(request)
    requests = data.get("requests") or []
    if not isinstance(requests, list):
        raise invalid_argument("Invalid value at 'requests': a list of requests is required.")
    assert file.document is not None  # open_file checked it
    _check_revision(file.document, data.get("writeControl") or {})
    document = copy.deepcopy(file.document)
    replies = [_apply(twin, document, each, index) for index, each in enumerate(requests)]
    if requests:
        document.revision = twin.new_revision()
        file.document = document
        twin.touch(file, str(request.principal))
    body = {
        "documentId": file.id,
        "replies": replies,
        "writeControl": {"requiredRevisionId": document.revision},
    }
    return partial(body, request.query.get("fields"))


@router.post(DOCUMENTS, name="docs.documents.create")
def create(twin: GoogleTwin, request: Request) -> Any:
    """A blank document with the given title (Docs ignores any content sent along)."""
    title = json_body(request).get("title") or "Untitled document"
    owner = str(request.principal)
    user = twin.state.user(owner)
    parents = [user.root_id] if user else []
    file = twin.new_file(twin.state, owner, str(title), DOCUMENT, parents)
    assert file.document is not None
    return partial(render.document(file.id, file.name, file.document), request.query.get("fields"))


@router.get(DOCUMENTS + "/{documentId}", name="docs.documents.get")
def get(twin: GoogleTwin, request: Request) -> Any:
    file = open_file(twin, request, request.path_params["documentId"], "document", write=False)
    assert file.document is not None
    tabs = request.query.get("includeTabsContent", "false").lower() == "true"
    body = render.document(file.id, file.name, file.document, tabs=tabs)
    return partial(body, request.query.get("fields"))


def _check_revision(document: Document, control: dict[str, Any]) -> None:
    required, target = control.get("requiredRevisionId"), control.get("targetRevisionId")
    if required and target:
        raise invalid_argument("Only one of requiredRevisionId and targetRevisionId may be set.")
    if required and required != document.revision:
        raise google_error(
            400,
            "failedPrecondition",
            f"The required revision ID {required} does not match the document's current "
            "revision. Get the document again and retry.",
            rpc_status="FAILED_PRECONDITION",
        )
    if target and target != document.revision:
        raise google_error(
            400,
            "failedPrecondition",
            "The twin merges changes into the latest revision only: targetRevisionId must name it.",
            rpc_status="FAILED_PRECONDITION",
        )


def _apply(twin: GoogleTwin, document: Document, request: Any, index: int) -> Reply:
    if not isinstance(request, dict) or len(request) != 1:
        raise invalid_argument(f"Invalid requests[{index}]: give exactly one kind of request.")
    ((kind, params),) = request.items()
    handler = _REQUESTS.get(kind)
    if handler is None:
        raise invalid_argument(
            f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{index}]': "
            "Cannot find field."
        )
    try:
        return handler(twin, document, params if isinstance(params, dict) else {})
    except EditError as error:
        raise invalid_argument(f"Invalid requests[{index}].{kind}: {error}") from None


# --- the requests ---------------------------------------------------------------------------------
def _integer(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EditError(f"{name} must be an integer.") from None


def _in_body(where: dict[str, Any]) -> None:
    """The body of the first tab is the only segment the twin has."""
    if where.get("segmentId"):
        raise EditError(f"The segment with ID {where['segmentId']} was not found.")
    if where.get("tabId") not in (None, "", render.FIRST_TAB):
        raise EditError(f"The tab with ID {where['tabId']} was not found.")


def _location(document: Document, params: dict[str, Any]) -> int:
    """``location.index``, or ``endOfSegmentLocation``: before the body's last newline."""
    if "endOfSegmentLocation" in params:
        _in_body(params["endOfSegmentLocation"] or {})
        return document.end - 1
    location = params.get("location")
    if not isinstance(location, dict):
        raise EditError("A location or an endOfSegmentLocation is required.")
    _in_body(location)
    return _integer(location.get("index", 0), "location.index")


def _range(params: dict[str, Any]) -> tuple[int, int]:
    where = params.get("range")
    if not isinstance(where, dict):
        raise EditError("A range is required.")
    _in_body(where)
    return _integer(where.get("startIndex", 0), "startIndex"), _integer(
        where.get("endIndex", 0), "endIndex"
    )


def _mask(params: dict[str, Any]) -> list[str]:
    fields = [each.strip() for each in str(params.get("fields") or "").split(",") if each.strip()]
    if not fields:
        raise EditError(
            "At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)"
        )
    return fields


def _insert_text(twin: GoogleTwin, document: Document, params: dict[str, Any]) -> Reply:
    text = params.get("text")
    if not isinstance(text, str):
        raise EditError("The text to insert is required.")
    document.insert_text(_location(document, params), text)
    return {}


def _delete_content_range(twin: GoogleTwin, document: Document, params: dict[str, Any]) -> Reply:
    document.delete(*_range(params))
    return {}


def _replace_all_text(twin: GoogleTwin, document: Document, params: dict[str, Any]) -> Reply:
    contains = params.get("containsText") or {}
    count = document.replace_all(
        str(contains.get("text") or ""),
        str(params.get("replaceText") or ""),
        bool(contains.get("matchCase", False)),
    )
    return {"replaceAllText": {"occurrencesChanged": count} if count else {}}


def _insert_table(twin: GoogleTwin, document: Document, params: dict[str, Any]) -> Reply:
    rows = _integer(params.get("rows"), "rows")
    columns = _integer(params.get("columns"), "columns")
    document.insert_table(_location(document, params), rows, columns)
    return {}


def _update_text_style(twin: GoogleTwin, document: Document, params: dict[str, Any]) -> Reply:
    style = params.get("textStyle") or {}
    document.update_text_style(*_range(params), style, _mask(params))
    return {}


def _update_paragraph_style(twin: GoogleTwin, document: Document, params: dict[str, Any]) -> Reply:
    style = params.get("paragraphStyle") or {}
    document.update_paragraph_style(*_range(params), style, _mask(params))
    return {}


def _create_named_range(twin: GoogleTwin, document: Document, params: dict[str, Any]) -> Reply:
    range_id = "kix." + twin.ids.string(12, "abcdefghijklmnopqrstuvwxyz0123456789")
    document.create_named_range(range_id, str(params.get("name") or ""), *_range(params))
    return {"createNamedRange": {"namedRangeId": range_id}}


def _delete_named_range(twin: GoogleTwin, document: Document, params: dict[str, Any]) -> Reply:
    range_id, name = params.get("namedRangeId"), params.get("name")
    if not range_id and not name:
        raise EditError("A namedRangeId or a name is required.")
    document.delete_named_range(range_id, name)
    return {}


_REQUESTS: dict[str, Callable[[GoogleTwin, Document, dict[str, Any]], Reply]] = {
    "insertText": _insert_text,
    "deleteContentRange": _delete_content_range,
    "replaceAllText": _replace_all_text,
    "insertTable": _insert_table,
    "updateTextStyle": _update_text_style,
    "updateParagraphStyle": _update_paragraph_style,
    "createNamedRange": _create_named_range,
    "deleteNamedRange": _delete_named_range,
}
