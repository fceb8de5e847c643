"""The state the three Google twins share: people, OAuth grants, and one Drive of files.

A Doc or a Sheet *is* a Drive file whose ``document`` or ``spreadsheet`` holds its content, so
whatever Drive does to it (rename, share, trash, delete, copy) the Docs and Sheets APIs see, and
the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from holdout_twins.google.docs.body import Document
from holdout_twins.google.sheets.grid import Spreadsheet

FOLDER = "application/vnd.google-apps.folder"
DOCUMENT = "application/vnd.google-apps.document"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
GOOGLE_APPS = "application/vnd.google-apps."
# Drive's roles, weakest first.
ROLES = ("reader", "commenter", "writer", "fileOrganizer", "organizer", "owner")


@dataclass
class User:
    email: str
    name: str
    permission_id: str
    root_id: str  # the id of the user's "My Drive" folder (``'root'`` in a query)


@dataclass
class Permission:
    id: str
    type: str  # user, group, domain, anyone
    role: str
    email: str | None = None
    domain: str | None = None
    allow_file_discovery: bool | None = None  # for domain and anyone

    def grants(self, email: str) -> bool:
        if self.type in ("user", "group"):
            return (self.email or "").lower() == email.lower()
        if self.type == "domain":
            return email.lower().endswith("@" + (self.domain or "").lower())
        return self.type == "anyone"


@dataclass(eq=False)  # a file is itself: two files with equal fields are still two
class DriveFile:
    id: str
    name: str
    mime_type: str
    owner: str  # email
    created: float
    modified: float
    parents: list[str] = field(default_factory=list)
    content: bytes = b""  # a file with binary content (not a folder, Doc or Sheet)
    document: Document | None = None
    spreadsheet: Spreadsheet | None = None
    explicitly_trashed: bool = False
    trashed_by: str | None = None
    trashed_at: float | None = None
    starred: bool = False
    description: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    app_properties: dict[str, str] = field(default_factory=dict)
    original_filename: str | None = None
    version: int = 1
    head_revision: str | None = None
    last_modifier: str | None = None
    permissions: list[Permission] = field(default_factory=list)
    is_root: bool = False  # a user's My Drive: never listed

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER

    @property
    def has_content(self) -> bool:
        """A file whose bytes Drive stores (``alt=media`` downloads them)."""
        return not self.mime_type.startswith(GOOGLE_APPS)


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str


@dataclass
class Grant:
    """What a refresh token stands for: a user's consent to one OAuth client."""

    client_id: str
    email: str
    scopes: list[str]


@dataclass
class Upload:
    """A resumable upload session, between its start and its last chunk."""

    id: str
    owner: str
    metadata: dict[str, Any]
    query: dict[str, str]  # the starting request's parameters (``fields``, ...)
    file_id: str | None  # the file an update uploads to; None for a new file
    mime_type: str | None  # X-Upload-Content-Type
    total: int | None  # X-Upload-Content-Length, or from the last chunk's Content-Range
    received: bytearray = field(default_factory=bytearray)
    finished: str | None = None  # the file's id once complete


@dataclass
class Workspace:
    """Everything the Google twin holds. ``default_user`` is who ``twin.token`` acts as."""

    domain: str
    default_user: str
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    expiries: dict[str, float] = field(default_factory=dict)  # access token -> expiry time
    files: dict[str, DriveFile] = field(default_factory=dict)  # in creation order
    uploads: dict[str, Upload] = field(default_factory=dict)

    def user(self, email: str) -> User | None:
        return self.users.get(email.lower())

    def ancestors(self, file: DriveFile) -> list[DriveFile]:
        """The folders above ``file``, nearest first (Drive files have one parent at most)."""
        found: list[DriveFile] = []
        current = file
        while current.parents and current.parents[0] in self.files:
            current = self.files[current.parents[0]]
            if current is file or current in found:  # a loop: stop rather than spin
                break
            found.append(current)
        return found

    def role(self, file: DriveFile, email: str, *, listing: bool = False) -> str | None:
        """``email``'s strongest role on ``file``, inherited from its folders too; None if the
        file is not theirs to see. ``listing`` leaves out link-only sharing: such a file opens
        by id but does not turn up in searches."""
        best: int = -1
        for each in [file, *self.ancestors(file)]:
            if each.owner.lower() == email.lower():
                return "owner"
            for permission in each.permissions:
                hidden = permission.type == "anyone" and not permission.allow_file_discovery
                if permission.grants(email) and not (listing and hidden):
                    best = max(best, ROLES.index(permission.role))
        return ROLES[best] if best >= 0 else None

    def trashed(self, file: DriveFile) -> bool:
        """In the trash itself, or inside a folder that is."""
        return any(each.explicitly_trashed for each in [file, *self.ancestors(file)])

    def children(self, folder_id: str) -> list[DriveFile]:
        return [each for each in self.files.values() if folder_id in each.parents]
