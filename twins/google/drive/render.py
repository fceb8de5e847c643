"""Drive's resources: ``File``, ``User``, ``Permission``, ``About``, as Drive v3 writes them.

Handlers build the whole resource; ``fields`` (or Drive's default members, below) cuts it down.
"""

from __future__ import annotations

import hashlib
import posixpath
from datetime import datetime, timezone
from typing import Any

from holdout_twins.google.state import (
    DOCUMENT,
    FOLDER,
    ROLES,
    SPREADSHEET,
    DriveFile,
    Permission,
    User,
    Workspace,
)

# What Drive v3 answers when the request has no ``fields``.
FILE_DEFAULT = "kind,id,name,mimeType"
FILE_LIST_DEFAULT = f"kind,nextPageToken,incompleteSearch,files({FILE_DEFAULT})"
PERMISSION_DEFAULT = "kind,id,type,role"
PERMISSION_LIST_DEFAULT = f"kind,nextPageToken,permissions({PERMISSION_DEFAULT})"
_EXPORTS = {
    DOCUMENT: {"text/plain": "txt"},
    SPREADSHEET: {"text/csv": "csv"},
}
_LINKS = {
    FOLDER: "https://drive.google.com/drive/folders/{id}",
    DOCUMENT: "https://docs.google.com/document/d/{id}/edit?usp=drivesdk",
    SPREADSHEET: "https://docs.google.com/spreadsheets/d/{id}/edit?usp=drivesdk",
}


def rfc3339(moment: float) -> str:
    return (
        datetime.fromtimestamp(moment, tz=timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def user(workspace: Workspace, email: str, viewer: str) -> dict[str, Any]:
    known = workspace.user(email)
    return {
        "kind": "drive#user",
        "displayName": known.name if known else email,
        "emailAddress": email,
        "me": email == viewer,
        "permissionId": known.permission_id if known else "",
    }


def permission(workspace: Workspace, granted: Permission) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "drive#permission", "id": granted.id, "type": granted.type}
    body["role"] = granted.role
    if granted.email:
        known = workspace.user(granted.email)
        body["emailAddress"] = granted.email
        body["displayName"] = known.name if known else granted.email
    if granted.domain:
        body["domain"] = granted.domain
    if granted.allow_file_discovery is not None:
        body["allowFileDiscovery"] = granted.allow_file_discovery
    body["deleted"] = False
    body["pendingOwner"] = False
    return body


def owner_permission(workspace: Workspace, file: DriveFile) -> Permission:
    known = workspace.user(file.owner)
    permission_id = known.permission_id if known else ""
    return Permission(permission_id, "user", "owner", file.owner)


def permissions(workspace: Workspace, file: DriveFile) -> list[Permission]:
    """The owner's permission first, then the file's own."""
    return [owner_permission(workspace, file), *file.permissions]


def file(workspace: Workspace, file: DriveFile, viewer: str) -> dict[str, Any]:
    """The whole ``File`` resource as ``viewer`` sees it."""
    role = workspace.role(file, viewer) or "reader"
    can_edit = ROLES.index(role) >= ROLES.index("writer")
    owned = role == "owner"
    body: dict[str, Any] = {
        "kind": "drive#file",
        "id": file.id,
        "name": file.name,
        "mimeType": file.mime_type,
        "starred": file.starred,
        "trashed": workspace.trashed(file),
        "explicitlyTrashed": file.explicitly_trashed,
        "parents": list(file.parents),
        "spaces": ["drive"],
        "version": str(file.version),
        "webViewLink": _LINKS.get(
            file.mime_type, "https://drive.google.com/file/d/{id}/view?usp=drivesdk"
        ).format(id=file.id),
        "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{file.mime_type}",
        "hasThumbnail": False,
        "thumbnailVersion": "0",
        "viewedByMe": True,
        "createdTime": rfc3339(file.created),
        "modifiedTime": rfc3339(file.modified),
        "modifiedByMe": file.last_modifier == viewer,
        "owners": [user(workspace, file.owner, viewer)],
        "lastModifyingUser": user(workspace, file.last_modifier or file.owner, viewer),
        "shared": bool(file.permissions),
        "ownedByMe": owned,
        "viewersCanCopyContent": True,
        "copyRequiresWriterPermission": False,
        "writersCanShare": True,
        "isAppAuthorized": False,
        "quotaBytesUsed": str(len(file.content)),
        "capabilities": _capabilities(file, role),
    }
    if can_edit:
        body["permissions"] = [permission(workspace, each) for each in permissions(workspace, file)]
        body["permissionIds"] = [each.id for each in permissions(workspace, file)]
    if file.description is not None:
        body["description"] = file.description
    if file.properties:
        body["properties"] = dict(file.properties)
    if file.app_properties:
        body["appProperties"] = dict(file.app_properties)
    if file.trashed_at is not None and file.explicitly_trashed:
        body["trashedTime"] = rfc3339(file.trashed_at)
        body["trashingUser"] = user(workspace, file.trashed_by or file.owner, viewer)
    if file.has_content:
        body.update(_content_fields(file))
    if file.mime_type in _EXPORTS:
        body["exportLinks"] = {
            mime: f"https://docs.google.com/feeds/download/export?id={file.id}&exportFormat={ext}"
            for mime, ext in _EXPORTS[file.mime_type].items()
        }
    return body


def export_types(file: DriveFile) -> dict[str, str]:
    return _EXPORTS.get(file.mime_type, {})


def _content_fields(file: DriveFile) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "size": str(len(file.content)),
        "md5Checksum": hashlib.md5(file.content).hexdigest(),  # Drive's checksum, not security
        "sha1Checksum": hashlib.sha1(file.content).hexdigest(),
        "sha256Checksum": hashlib.sha256(file.content).hexdigest(),
        "originalFilename": file.original_filename or file.name,
        "webContentLink": f"https://drive.google.com/uc?id={file.id}&export=download",
    }
    if file.head_revision:
        fields["headRevisionId"] = file.head_revision
    extension = posixpath.splitext(file.original_filename or file.name)[1]
    if extension:
        fields["fileExtension"] = fields["fullFileExtension"] = extension[1:]
    return fields


def _capabilities(file: DriveFile, role: str) -> dict[str, bool]:
    level = ROLES.index(role)
    edit, owner, comment = level >= ROLES.index("writer"), role == "owner", level >= 1
    return {
        "canAddChildren": file.is_folder and edit,
        "canComment": comment,
        "canCopy": not file.is_folder,
        "canDelete": owner,
        "canDownload": True,
        "canEdit": edit,
        "canListChildren": file.is_folder,
        "canModifyContent": edit,
        "canReadRevisions": edit,
        "canRemoveChildren": file.is_folder and edit,
        "canRename": edit,
        "canShare": edit,
        "canTrash": owner,
        "canUntrash": owner,
    }


def about(workspace: Workspace, viewer: User) -> dict[str, Any]:
    used = sum(len(each.content) for each in workspace.files.values() if each.owner == viewer.email)
    return {
        "kind": "drive#about",
        "user": user(workspace, viewer.email, viewer.email),
        "storageQuota": {
            "limit": str(15 * 1024**3),
            "usage": str(used),
            "usageInDrive": str(used),
            "usageInDriveTrash": "0",
        },
        "maxUploadSize": str(5 * 1024**4),
        "appInstalled": False,
        "canCreateDrives": False,
        "importFormats": {"text/plain": [DOCUMENT], "text/csv": [SPREADSHEET]},
        "exportFormats": {kind: list(types) for kind, types in _EXPORTS.items()},
    }
