"""Drive v3: files (create, get, list, update, copy, delete, export), uploads, downloads,
permissions and ``about``, under ``/drive/v3/`` and ``/upload/drive/v3/``.

Operation names are the Discovery method ids (``drive.files.list``); the chunks of a resumable
upload are ``drive.files.upload``.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from holdout_twins.core import (
    ALNUM,
    JSON_TYPE,
    Request,
    Response,
    Router,
    ServiceError,
    decode_cursor,
    encode_cursor,
    page,
)
from holdout_twins.google.drive import render, uploads
from holdout_twins.google.drive.query import Query
from holdout_twins.google.errors import google_error, invalid_argument
from holdout_twins.google.fields import partial
from holdout_twins.google.sheets.a1 import GridRange
from holdout_twins.google.sheets.formulas import Evaluator
from holdout_twins.google.sheets.values import read
from holdout_twins.google.state import (
    DOCUMENT,
    GOOGLE_APPS,
    ROLES,
    SPREADSHEET,
    DriveFile,
    Permission,
    Upload,
)

if TYPE_CHECKING:
    from holdout_twins.google.twin import GoogleTwin

router = Router()
FILES = "/drive/v3/files"
UPLOADS = "/upload/drive/v3/files"
PERMISSIONS = FILES + "/{fileId}/permissions"
DEFAULT_PAGE, MAX_PAGE, MAX_PERMISSION_PAGE = 100, 1000, 100
# The File members a request body may set: on update, and also on create and copy.
WRITABLE = frozenset(
    {
        "name",
        "mimeType",
        "description",
        "starred",
        "trashed",
        "properties",
        "appProperties",
        "modifiedTime",
        "originalFilename",
        "writersCanShare",
        "copyRequiresWriterPermission",
        "contentHints",
        "folderColorRgb",
        "viewedByMeTime",
    }
)
CREATABLE = WRITABLE | {"parents", "createdTime"}
# What an upload may be converted from: the media types a Doc or a Sheet imports.
IMPORTS = {DOCUMENT: ("text/plain",), SPREADSHEET: ("text/csv",)}
PERMISSION_TYPES = ("user", "group", "domain", "anyone")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


# --- reading requests -----------------------------------------------------------------------------
def viewer(request: Request) -> str:
    return str(request.principal)


def not_found(file_id: str, location: str = "fileId") -> ServiceError:
    return google_error(404, "notFound", f"File not found: {file_id}.", location=location)


def insufficient() -> ServiceError:
    return google_error(
        403,
        "insufficientFilePermissions",
        "The user does not have sufficient permissions for this file.",
    )


def find(twin: GoogleTwin, request: Request, file_id: str, need: str = "reader") -> DriveFile:
    """The file, if the caller may see it (else 404, as Drive hides what you cannot see) and
    holds at least the role ``need`` on it (else 403)."""
    found = _resolve(twin, request, file_id)
    role = twin.state.role(found, viewer(request)) if found else None
    if found is None or role is None:
        raise not_found(file_id)
    if ROLES.index(role) < ROLES.index(need):
        raise insufficient()
    return found


def _resolve(twin: GoogleTwin, request: Request, file_id: str) -> DriveFile | None:
    if file_id == "root":
        user = twin.state.user(viewer(request))
        file_id = user.root_id if user else file_id
    return twin.state.files.get(file_id)


def metadata(request: Request) -> dict[str, Any]:
    """A metadata request's JSON body; an empty body is no metadata."""
    if request.body.strip() and request.content_type != JSON_TYPE:
        raise google_error(
            400, "badContent", f"Unsupported content with type: {request.content_type}"
        )
    return uploads.metadata(request.body)


def writable(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    refused = sorted(set(fields) - allowed - {"kind"})
    if "parents" in refused:
        raise google_error(
            403,
            "fieldNotWritable",
            "The parents field is not directly writable in update requests. Use the "
            "addParents and removeParents parameters instead.",
        )
    if refused:
        raise google_error(
            403,
            "fieldNotWritable",
            f"The resource body includes fields which are not directly writable: {refused[0]}.",
        )


def resource(twin: GoogleTwin, request: Request, file: DriveFile) -> Any:
    body = render.file(twin.state, file, viewer(request))
    return partial(body, request.query.get("fields"), render.FILE_DEFAULT)


def no_content() -> Response:
    return Response(204, b"", content_type="text/plain")


def page_size(request: Request, maximum: int) -> int:
    text = request.query.get("pageSize")
    if not text:
        return min(DEFAULT_PAGE, maximum)
    try:
        size = int(text)
    except ValueError:
        raise google_error(400, "invalid", "Invalid Value", location="pageSize") from None
    if size < 1:
        raise google_error(400, "invalid", "Invalid Value", location="pageSize")
    return min(size, maximum)


def page_offset(request: Request, kind: str) -> int:
    token = request.query.get("pageToken")
    if not token:
        return 0
    offset = decode_cursor(token, kind)
    if offset is None:  # a token from another query, or none of ours
        raise google_error(400, "invalid", "Invalid Value", location="pageToken")
    return offset


# --- files ----------------------------------------------------------------------------------------
@router.post(FILES, name="drive.files.create")
def create(twin: GoogleTwin, request: Request) -> Any:
    return resource(twin, request, _create(twin, request, metadata(request), None, None))


@router.post(UPLOADS, name="drive.files.create")
def create_with_upload(twin: GoogleTwin, request: Request) -> Any:
    return _upload(twin, request, None)


@router.get(FILES, name="drive.files.list")
def list_files(twin: GoogleTwin, request: Request) -> Any:
    email, state = viewer(request), twin.state
    q, order = request.query.get("q", ""), request.query.get("orderBy", "")
    query = Query(q, email, state)
    found = [
        each
        for each in state.files.values()
        if not each.is_root and state.role(each, email, listing=True) and query.matches(each)
    ]
    for key, descending in reversed(_ordering(twin, order)):
        found.sort(key=key, reverse=descending)
    kind = "files" + hashlib.sha1(f"{q}\n{order}".encode()).hexdigest()[:10]
    chunk = page(found, page_offset(request, kind), page_size(request, MAX_PAGE))
    body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False}
    if chunk.next_offset is not None:
        body["nextPageToken"] = encode_cursor(chunk.next_offset, kind)
    body["files"] = [render.file(state, each, email) for each in chunk.items]
    return partial(body, request.query.get("fields"), render.FILE_LIST_DEFAULT)


@router.get(FILES + "/{fileId}/export", name="drive.files.export")
def export(twin: GoogleTwin, request: Request) -> Response:
    file = find(twin, request, request.path_params["fileId"])
    wanted = request.query.get("mimeType")
    if not wanted:
        raise google_error(400, "required", "Required parameter: mimeType", location="mimeType")
    if wanted not in render.export_types(file):
        raise google_error(
            400, "badRequest", "The requested conversion is not supported.", location="convertTo"
        )
    return Response(200, _exported(file), content_type=wanted)


@router.post(FILES + "/{fileId}/copy", name="drive.files.copy")
def copy_file(twin: GoogleTwin, request: Request) -> Any:
    source = find(twin, request, request.path_params["fileId"])
    if source.is_folder:
        raise google_error(403, "cannotCopyFile", "This file cannot be copied by the user.")
    fields = metadata(request)
    writable(fields, CREATABLE)
    email = viewer(request)
    parents = _parents(twin, request, fields.get("parents") or _copy_parents(twin, request, source))
    name = fields.get("name") or f"Copy of {source.name}"
    copied = twin.new_file(twin.state, email, name, source.mime_type, parents)
    copied.content, copied.head_revision = source.content, source.head_revision
    copied.description = source.description
    if source.document is not None:
        copied.document = copy.deepcopy(source.document)
        copied.document.revision = twin.new_revision()
    copied.spreadsheet = copy.deepcopy(source.spreadsheet)
    _apply(twin, copied, fields, email)
    return resource(twin, request, copied)


@router.get(FILES + "/{fileId}", name="drive.files.get")
def get(twin: GoogleTwin, request: Request) -> Any:
    file = find(twin, request, request.path_params["fileId"])
    if request.query.get("alt") == "media":
        return _download(file, request)
    return resource(twin, request, file)


@router.patch(FILES + "/{fileId}", name="drive.files.update")
def update(twin: GoogleTwin, request: Request) -> Any:
    file_id = request.path_params["fileId"]
    return resource(twin, request, _update(twin, request, file_id, metadata(request), None, None))


@router.patch(UPLOADS + "/{fileId}", name="drive.files.update")
def update_with_upload(twin: GoogleTwin, request: Request) -> Any:
    return _upload(twin, request, request.path_params["fileId"])


@router.delete(FILES + "/{fileId}", name="drive.files.delete")
def delete(twin: GoogleTwin, request: Request) -> Response:
    file = find(twin, request, request.path_params["fileId"])
    if twin.state.role(file, viewer(request)) != "owner":
        raise insufficient()
    doomed = [file]
    for each in doomed:  # grows while it runs: a folder's contents go with it
        doomed.extend(twin.state.children(each.id))
    for each in doomed:
        twin.state.files.pop(each.id, None)
    return no_content()


@router.get("/drive/v3/about", name="drive.about.get")
def about(twin: GoogleTwin, request: Request) -> Any:
    fields = request.query.get("fields")
    if not fields:
        raise google_error(
            400, "required", "The 'fields' parameter is required for this method.",
            location="fields",
        )  # fmt: skip
    user = twin.state.user(viewer(request))
    if user is None:
        raise google_error(404, "notFound", "User not found.")
    return partial(render.about(twin.state, user), fields)


# --- creating and changing files ------------------------------------------------------------------
def _create(
    twin: GoogleTwin,
    request: Request,
    fields: dict[str, Any],
    content: bytes | None,
    content_type: str | None,
) -> DriveFile:
    writable(fields, CREATABLE)
    email = viewer(request)
    parents = _parents(twin, request, fields.get("parents") or ["root"])
    mime_type = fields.get("mimeType") or content_type or "application/octet-stream"
    file = twin.new_file(twin.state, email, fields.get("name") or "Untitled", mime_type, parents)
    if "createdTime" in fields:
        file.created = _moment(fields["createdTime"], "createdTime")
    if content is not None:
        _store(twin, file, content, content_type or "application/octet-stream")
    _apply(twin, file, fields, email)
    return file


def _update(
    twin: GoogleTwin,
    request: Request,
    file_id: str,
    fields: dict[str, Any],
    content: bytes | None,
    content_type: str | None,
) -> DriveFile:
    file = find(twin, request, file_id, "writer")
    writable(fields, WRITABLE)
    email = viewer(request)
    if "trashed" in fields and twin.state.role(file, email) != "owner":
        raise insufficient()
    _move(twin, request, file)
    if content is not None:
        _store(twin, file, content, content_type or file.mime_type)
    twin.touch(file, email)
    _apply(twin, file, fields, email)
    return file


def _apply(twin: GoogleTwin, file: DriveFile, fields: dict[str, Any], email: str) -> None:
    """The writable members of a request body."""
    for key, attribute in (("name", "name"), ("description", "description")):
        if key in fields:
            setattr(file, attribute, fields[key])
    if "starred" in fields:
        file.starred = bool(fields["starred"])
    if "originalFilename" in fields:
        file.original_filename = fields["originalFilename"]
    if "mimeType" in fields and file.has_content and not fields["mimeType"].startswith(GOOGLE_APPS):
        file.mime_type = fields["mimeType"]
    for key, attribute in (("properties", "properties"), ("appProperties", "app_properties")):
        for name, value in (fields.get(key) or {}).items():
            target: dict[str, str] = getattr(file, attribute)
            if value is None:
                target.pop(name, None)  # null removes a property
            else:
                target[name] = str(value)
    if "trashed" in fields:
        file.explicitly_trashed = bool(fields["trashed"])
        file.trashed_at = twin.clock.now() if file.explicitly_trashed else None
        file.trashed_by = email if file.explicitly_trashed else None
    if "modifiedTime" in fields:
        file.modified = _moment(fields["modifiedTime"], "modifiedTime")


def _parents(twin: GoogleTwin, request: Request, wanted: list[str]) -> list[str]:
    """The parent folder ids a new file may have: one folder the caller can add to."""
    if not isinstance(wanted, list) or len(wanted) > 1:
        raise google_error(
            403, "cannotAddParent", "Increasing the number of parents is not allowed."
        )
    folder = _resolve(twin, request, wanted[0])
    if folder is None or twin.state.role(folder, viewer(request)) is None:
        raise not_found(wanted[0], "parents")
    if not folder.is_folder:
        raise google_error(400, "badRequest", f"The parent {wanted[0]} is not a folder.")
    if ROLES.index(twin.state.role(folder, viewer(request)) or "reader") < ROLES.index("writer"):
        raise insufficient()
    return [folder.id]


def _move(twin: GoogleTwin, request: Request, file: DriveFile) -> None:
    """``addParents`` and ``removeParents``."""
    removed = [
        found.id if found else each
        for each in request.query.get("removeParents", "").split(",")
        if each
        for found in [_resolve(twin, request, each)]
    ]
    added = [each for each in request.query.get("addParents", "").split(",") if each]
    parents = [each for each in file.parents if each not in removed]
    for folder_id in added:
        (folder,) = _parents(twin, request, [folder_id])
        if folder == file.id or folder in [each.id for each in _descendants(twin, file)]:
            raise google_error(400, "badRequest", "A folder cannot be moved into itself.")
        if folder not in parents:
            parents.append(folder)
    if len(parents) > 1:
        raise google_error(
            403, "cannotAddParent", "Increasing the number of parents is not allowed."
        )
    file.parents = parents


def _copy_parents(twin: GoogleTwin, request: Request, source: DriveFile) -> list[str]:
    """Where a copy goes without ``parents``: beside the original if the caller may add files
    there, else into the caller's My Drive."""
    folder = twin.state.files.get(source.parents[0]) if source.parents else None
    role = twin.state.role(folder, viewer(request)) if folder else None
    return source.parents if role and ROLES.index(role) >= ROLES.index("writer") else ["root"]


def _descendants(twin: GoogleTwin, folder: DriveFile) -> list[DriveFile]:
    found = list(twin.state.children(folder.id))
    for each in found:
        found.extend(twin.state.children(each.id))
    return found


def _store(twin: GoogleTwin, file: DriveFile, content: bytes, content_type: str) -> None:
    """Uploaded bytes: a binary file keeps them, a Doc or a Sheet imports them."""
    if file.is_folder:
        raise google_error(400, "badContent", "A folder has no content.")
    if not file.has_content and content_type not in IMPORTS.get(file.mime_type, ()):
        raise google_error(
            400,
            "badContent",
            f"Content of type {content_type} cannot be imported into {file.mime_type}.",
        )
    try:
        twin.set_content(file, content, content_type)
    except UnicodeDecodeError:
        raise google_error(400, "badContent", "The content to import is not UTF-8 text.") from None
    if file.has_content and not file.original_filename:
        file.original_filename = file.name


def _moment(text: Any, location: str) -> float:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid_argument(f"Invalid value for {location}: {text}", location) from None


def _ordering(twin: GoogleTwin, order: str) -> list[tuple[Callable[[DriveFile], Any], bool]]:
    """``orderBy``: keys with optional ``desc``, the first key most significant."""
    keys: dict[str, Callable[[DriveFile], Any]] = {
        "createdTime": lambda file: file.created,
        "folder": lambda file: not file.is_folder,
        "modifiedTime": lambda file: file.modified,
        "modifiedByMeTime": lambda file: file.modified,
        "recency": lambda file: file.modified,
        "name": lambda file: file.name.casefold(),
        "name_natural": lambda file: file.name.casefold(),
        "quotaBytesUsed": lambda file: len(file.content),
        "starred": lambda file: not file.starred,
        "viewedByMeTime": lambda file: file.modified,
    }
    found = []
    for part in (each.split() for each in order.split(",") if each.strip()):
        if part[0] not in keys or part[1:] not in ([], ["asc"], ["desc"]):
            raise google_error(400, "invalid", "Invalid Value", location="orderBy")
        found.append((keys[part[0]], part[1:] == ["desc"]))
    return found


# --- uploads and downloads ------------------------------------------------------------------------
def _upload(twin: GoogleTwin, request: Request, file_id: str | None) -> Any:
    kind = request.query.get("uploadType")
    if kind == "resumable":
        return _start_session(twin, request, file_id)
    if kind == "media":
        media = uploads.Media({}, request.body, request.content_type or "application/octet-stream")
    elif kind == "multipart":
        media = uploads.multipart(request)
    else:
        raise google_error(400, "badRequest", f"Invalid upload type: {kind}", location="uploadType")
    if file_id is None:
        file = _create(twin, request, media.metadata, media.content, media.content_type)
    else:
        file = _update(twin, request, file_id, media.metadata, media.content, media.content_type)
    return resource(twin, request, file)


def _start_session(twin: GoogleTwin, request: Request, file_id: str | None) -> Response:
    """A resumable session: its URI goes back in ``Location`` for the chunks to go to."""
    fields = uploads.metadata(request.body)
    if file_id is None:
        writable(fields, CREATABLE)
        _parents(twin, request, fields.get("parents") or ["root"])
    else:
        find(twin, request, file_id, "writer")
        writable(fields, WRITABLE)
    length = request.headers.get("x-upload-content-length")
    session = Upload(
        twin.ids.string(60, ALNUM + "-_"),
        viewer(request),
        fields,
        dict(request.query),
        file_id,
        request.headers.get("x-upload-content-type"),
        int(length) if length and length.isdigit() else None,
    )
    twin.state.uploads[session.id] = session
    host = request.headers.get("host") or f"127.0.0.1:{twin.port}"
    location = (
        f"http://{host}{request.path}?{urlencode({**request.query, 'upload_id': session.id})}"
    )
    headers = {"Location": location, "X-GUploader-UploadID": session.id}
    return Response(200, b"", headers, content_type="text/plain")


@router.put(UPLOADS, name="drive.files.upload", auth=False)
@router.put(UPLOADS + "/{fileId}", name="drive.files.upload", auth=False)
def upload_chunk(twin: GoogleTwin, request: Request) -> Any:
    """One chunk of a resumable upload (the session id is its authority, as at Google):
    308 with the ``Range`` received so far, until the last byte; then the file."""
    session = twin.state.uploads.get(request.query.get("upload_id", ""))
    if session is None:
        raise google_error(404, "notFound", "The upload session does not exist or has expired.")
    request.principal = session.owner
    if session.finished is None:
        chunk = uploads.chunk_range(request.headers.get("content-range"), len(request.body))
        _receive(session, chunk, request.body)
        if session.total is None or len(session.received) < session.total:
            received = len(session.received)
            headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
            return Response(308, b"", headers, content_type="text/plain")
        session.finished = _finish(twin, request, session)
    file = twin.state.files.get(session.finished)
    if file is None:
        raise not_found(session.finished)
    return resource(twin, request, file)


def _receive(session: Upload, chunk: uploads.ChunkRange, body: bytes) -> None:
    if chunk.total is not None:
        if session.total is not None and session.total != chunk.total:
            raise uploads.bad_upload("The upload's total size changed between chunks.")
        session.total = chunk.total
    if chunk.first is None:  # a status query
        return
    if chunk.first > len(session.received):
        raise uploads.bad_upload(
            f"The chunk starts at byte {chunk.first}; {len(session.received)} were received."
        )
    del session.received[chunk.first :]  # a chunk sent again replaces what it overlaps
    session.received += body
    if session.total is not None and len(session.received) > session.total:
        raise uploads.bad_upload("More bytes were sent than the upload's total size.")


def _finish(twin: GoogleTwin, request: Request, session: Upload) -> str:
    content_type = session.mime_type or "application/octet-stream"
    content = bytes(session.received)
    if session.file_id is None:
        return _create(twin, request, session.metadata, content, content_type).id
    return _update(twin, request, session.file_id, session.metadata, content, content_type).id


def _download(file: DriveFile, request: Request) -> Response:
    """``alt=media``: the bytes, or the ``Range`` asked for (206); a Doc or Sheet has none."""
    if not file.has_content:
        raise google_error(
            403,
            "fileNotDownloadable",
            "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            location="alt",
        )
    content, total = file.content, len(file.content)
    wanted = _RANGE.fullmatch(request.headers.get("range", "").strip())
    if wanted is None:
        return Response(200, content, content_type=file.mime_type)
    first_text, last_text = wanted.groups()
    if first_text:
        first, last = int(first_text), int(last_text) if last_text else total - 1
    else:  # bytes=-N: the last N
        first, last = max(0, total - int(last_text or 0)), total - 1
    if first >= total or first > last:
        headers = {"Content-Range": f"bytes */{total}"}
        return Response(416, b"", headers, content_type="text/plain")
    last = min(last, total - 1)
    headers = {"Content-Range": f"bytes {first}-{last}/{total}"}
    return Response(206, content[first : last + 1], headers, content_type=file.mime_type)


def _exported(file: DriveFile) -> bytes:
    if file.document is not None:
        return file.document.text().encode("utf-8")
    assert file.spreadsheet is not None  # export_types lists only Docs and Sheets
    sheet = file.spreadsheet.sheets[0]
    rows = read(
        Evaluator(file.spreadsheet),
        GridRange(sheet, 0, 0, sheet.rows, sheet.columns),
        "FORMATTED_VALUE",
        "ROWS",
    )
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- permissions ----------------------------------------------------------------------------------
@router.post(PERMISSIONS, name="drive.permissions.create")
def create_permission(twin: GoogleTwin, request: Request) -> Any:
    file = find(twin, request, request.path_params["fileId"], "writer")
    data = metadata(request)
    kind, role = data.get("type"), data.get("role")
    if kind not in PERMISSION_TYPES:
        raise google_error(
            400, "required", "The permission type field is required.", location="type"
        )
    if role not in ROLES:
        raise google_error(
            400, "required", "The permission role field is required.", location="role"
        )
    email = str(data.get("emailAddress") or "").lower() or None
    domain = data.get("domain")
    if kind in ("user", "group") and not email:
        raise google_error(
            400, "required", "The permission emailAddress field is required.",
            location="emailAddress",
        )  # fmt: skip
    if kind == "domain" and not domain:
        raise google_error(
            400, "required", "The permission domain field is required.", location="domain"
        )
    if role == "owner":
        return _transfer(twin, request, file, kind, email)
    granted = _grant(twin, file, kind, role, email, domain, data.get("allowFileDiscovery"))
    twin.touch(file, viewer(request))
    body = render.permission(twin.state, granted)
    return partial(body, request.query.get("fields"), render.PERMISSION_DEFAULT)


@router.get(PERMISSIONS, name="drive.permissions.list")
def list_permissions(twin: GoogleTwin, request: Request) -> Any:
    file = find(twin, request, request.path_params["fileId"])
    kind = "permissions" + file.id
    chunk = page(
        render.permissions(twin.state, file),
        page_offset(request, kind),
        page_size(request, MAX_PERMISSION_PAGE),
    )
    body: dict[str, Any] = {"kind": "drive#permissionList"}
    if chunk.next_offset is not None:
        body["nextPageToken"] = encode_cursor(chunk.next_offset, kind)
    body["permissions"] = [render.permission(twin.state, each) for each in chunk.items]
    return partial(body, request.query.get("fields"), render.PERMISSION_LIST_DEFAULT)


@router.get(PERMISSIONS + "/{permissionId}", name="drive.permissions.get")
def get_permission(twin: GoogleTwin, request: Request) -> Any:
    file = find(twin, request, request.path_params["fileId"])
    granted = _permission(twin, file, request.path_params["permissionId"])
    body = render.permission(twin.state, granted)
    return partial(body, request.query.get("fields"), render.PERMISSION_DEFAULT)


@router.delete(PERMISSIONS + "/{permissionId}", name="drive.permissions.delete")
def delete_permission(twin: GoogleTwin, request: Request) -> Response:
    file = find(twin, request, request.path_params["fileId"], "writer")
    granted = _permission(twin, file, request.path_params["permissionId"])
    if granted.role == "owner":
        raise google_error(403, "cannotDeletePermission", "The owner of a file cannot be removed.")
    file.permissions.remove(granted)
    twin.touch(file, viewer(request))
    return no_content()


def _permission(twin: GoogleTwin, file: DriveFile, permission_id: str) -> Permission:
    for each in render.permissions(twin.state, file):
        if each.id == permission_id:
            return next((own for own in file.permissions if own.id == permission_id), each)
    raise google_error(
        404, "notFound", f"Permission not found: {permission_id}.", location="permissionId"
    )


def _grant(
    twin: GoogleTwin,
    file: DriveFile,
    kind: str,
    role: str,
    email: str | None,
    domain: str | None,
    discoverable: Any,
) -> Permission:
    """A new permission, or the grantee's existing one with the new role (as Drive does)."""
    for each in file.permissions:
        if each.type == kind and each.email == email and each.domain == domain:
            each.role = role
            return each
    if kind == "anyone":
        permission_id = "anyone" if discoverable else "anyoneWithLink"
    elif email and twin.state.user(email):
        permission_id = twin.state.users[email].permission_id
    else:
        permission_id = twin.ids.string(20, "0123456789")
    flag = bool(discoverable) if kind in ("anyone", "domain") else None
    granted = Permission(permission_id, kind, role, email, domain, flag)
    file.permissions.append(granted)
    return granted


def _transfer(
    twin: GoogleTwin, request: Request, file: DriveFile, kind: str, email: str | None
) -> Any:
    if request.query.get("transferOwnership") != "true":
        raise google_error(
            403,
            "forbidden",
            "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
            location="transferOwnership",
        )
    if twin.state.role(file, viewer(request)) != "owner" or kind != "user" or not email:
        raise insufficient()
    previous = file.owner
    file.permissions = [each for each in file.permissions if each.email != email]
    file.owner = email
    _grant(twin, file, "user", "writer", previous, None, None)
    twin.touch(file, viewer(request))
    owner = render.owner_permission(twin.state, file)
    body = render.permission(twin.state, owner)
    return partial(body, request.query.get("fields"), render.PERMISSION_DEFAULT)
