"""The Google twin: Drive v3, Docs v1 and Sheets v4 over one state, with OAuth tokens."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from holdout_twins.core import (
    ALNUM,
    RateLimit,
    Request,
    Response,
    ServiceError,
    Twin,
    json_response,
)
from holdout_twins.core.discovery import pointed_at
from holdout_twins.google.docs.body import Document
from holdout_twins.google.errors import envelope, google_error
from holdout_twins.google.oauth import control
from holdout_twins.google.parameters import check_parameters
from holdout_twins.google.routes import router
from holdout_twins.google.sheets.grid import Sheet, Spreadsheet
from holdout_twins.google.sheets.values import write
from holdout_twins.google.state import (
    DOCUMENT,
    FOLDER,
    SPREADSHEET,
    DriveFile,
    Grant,
    OAuthClient,
    Permission,
    User,
    Workspace,
)

TOKEN_LIFETIME = 3599  # seconds, as Google's token endpoint answers ``expires_in``
TOKEN_PATH = "/token"
# The APIs the twin serves: the name and version ``build`` takes, and the bundled document's.
APIS: dict[str, str] = {"drive": "v3", "docs": "v1", "sheets": "v4"}
SCOPES = [
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/documents",
    "https://www.googleapis.com/auth/spreadsheets",
]
_WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
# Documented per-user quotas: Drive 12,000 queries a minute; Sheets 60 reads and 60 writes a
# minute; Docs 300 reads and 60 writes a minute. Each operation has its own window here.
_QUOTAS = {
    ("drive", "GET"): RateLimit(12000, 60.0),
    ("drive", "WRITE"): RateLimit(12000, 60.0),
    ("sheets", "GET"): RateLimit(60, 60.0),
    ("sheets", "WRITE"): RateLimit(60, 60.0),
    ("docs", "GET"): RateLimit(300, 60.0),
    ("docs", "WRITE"): RateLimit(60, 60.0),
}


def _quotas() -> dict[str, RateLimit]:
    limits: dict[str, RateLimit] = {}
    for route in router.routes:
        api = route.name.split(".", 1)[0]
        kind = "GET" if route.methods == {"GET"} else "WRITE"
        if (api, kind) in _QUOTAS:
            limits[route.name] = _QUOTAS[(api, kind)]
    return limits


class GoogleTwin(Twin):
    """Google Drive v3, Docs v1 and Sheets v4 on one port, over one shared state.

    ``twin.token`` is an OAuth access token for the seed's first user that never expires;
    ``twin.issue_token(email)`` gives one acting as someone else. ``twin.build("drive")`` is
    the official client pointed at the twin; ``twin.credentials()`` are google-auth credentials
    that refresh against the twin's token endpoint.
    """

    name = "google"
    router = router
    seed_path = Path(__file__).with_name("seed.yaml")
    max_body = 32 * 1024 * 1024  # uploads come in the body
    default_rate_limits: ClassVar[dict[str, RateLimit]] = _quotas()
    control_router = control
    # One Discovery document per API: ``holdout twin conformance google --api docs``.
    api_description: ClassVar[dict[str, str]] = {
        api: f"google-{api}-{version}-discovery.json" for api, version in APIS.items()
    }
    state: Workspace

    # --- state ------------------------------------------------------------------------------------
    def build_state(self, seed_data: dict[str, Any]) -> Workspace:
        users = seed_data["users"]
        workspace = Workspace(seed_data["domain"], users[0]["email"].lower())
        for fields in users:
            self.add_user(workspace, fields["email"], fields["name"])
        for fields in seed_data.get("clients", []):
            client = OAuthClient(str(fields["client_id"]), str(fields["client_secret"]))
            workspace.clients[client.client_id] = client
        for fields in seed_data.get("files", []):
            self._seed_file(workspace, fields, workspace.users[workspace.default_user].root_id)
        return workspace

    def _seed_file(self, workspace: Workspace, fields: dict[str, Any], parent: str) -> None:
        owner = str(fields.get("owner", workspace.default_user)).lower()
        if owner not in workspace.users:
            raise ValueError(f"unknown owner {owner!r}")
        parent = workspace.users[owner].root_id if "owner" in fields else parent
        kinds = {"folder": FOLDER, "document": DOCUMENT, "spreadsheet": SPREADSHEET}
        mime_type = kinds.get(fields.get("kind", ""), fields.get("mime_type", "text/plain"))
        file = self.new_file(
            workspace, owner, fields["name"], mime_type, [parent], fields.get("id")
        )
        file.description = fields.get("description")
        file.starred = bool(fields.get("starred", False))
        if "text" in fields:
            self.set_content(file, str(fields["text"]).encode(), "text/plain")
        for title, rows in (fields.get("sheets") or {}).items():
            self._seed_sheet(file, title, rows)
        for share in fields.get("shared_with", []):
            self.share(workspace, file, share["email"], share.get("role", "reader"))
        for child in fields.get("children", []):
            self._seed_file(workspace, child, file.id)

    def _seed_sheet(self, file: DriveFile, title: str, rows: list[list[Any]]) -> None:
        spreadsheet = file.spreadsheet
        if spreadsheet is None:
            raise ValueError(f"{file.name!r} has sheets but is not a spreadsheet")
        sheet = spreadsheet.sheet(title)
        if sheet is None:
            sheet = Sheet(spreadsheet.next_sheet_id(), title)
            spreadsheet.sheets.append(sheet)
        write(sheet, 0, 0, rows, "USER_ENTERED")

    def add_user(self, workspace: Workspace, email: str, name: str) -> User:
        root = self.new_file(workspace, email.lower(), "My Drive", FOLDER, [])
        root.is_root = True
        user = User(email.lower(), name, self.ids.string(20, "0123456789"), root.id)
        workspace.users[user.email] = user
        return user

    # --- files, used by the three APIs and the seed -----------------------------------------------
    def new_file(
        self,
        workspace: Workspace,
        owner: str,
        name: str,
        mime_type: str,
        parents: list[str],
        file_id: str | None = None,
    ) -> DriveFile:
        """A new file in ``workspace``; a Doc or a Sheet starts with empty content."""
        now = self.clock.now()
        if file_id is None:
            editor = mime_type in (DOCUMENT, SPREADSHEET)  # their ids are longer
            file_id = "1" + self.ids.string(43 if editor else 32, ALNUM + "-_")
        file = DriveFile(file_id, name, mime_type, owner, now, now, list(parents))
        file.last_modifier = owner
        if mime_type == DOCUMENT:
            file.document = Document(self.new_revision())
        elif mime_type == SPREADSHEET:
            file.spreadsheet = Spreadsheet()
        workspace.files[file.id] = file
        return file

    def set_content(self, file: DriveFile, content: bytes, content_type: str) -> None:
        """New content for ``file``: bytes, or for a Doc or Sheet an import of text or CSV."""
        if file.mime_type == DOCUMENT:
            file.document = Document.from_text(self.new_revision(), content.decode("utf-8"))
        elif file.mime_type == SPREADSHEET:
            rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
            sheet = Sheet(0, "Sheet1")
            write(sheet, 0, 0, rows, "USER_ENTERED")
            file.spreadsheet = Spreadsheet([sheet])
        else:
            file.content = bytes(content)
            file.head_revision = "0B" + self.ids.string(40, ALNUM)

    def touch(self, file: DriveFile, email: str) -> None:
        """A change by ``email``: Drive's ``modifiedTime``, ``version`` and last modifier."""
        file.modified = self.clock.now()
        file.version += 1
        file.last_modifier = email

    def share(self, workspace: Workspace, file: DriveFile, email: str, role: str) -> None:
        user = workspace.user(email)
        permission_id = user.permission_id if user else self.ids.string(20, "0123456789")
        file.permissions.append(Permission(permission_id, "user", role, email.lower()))

    def new_revision(self) -> str:
        """A Doc's revision id: opaque, new after every change."""
        return "ALBJ4L" + self.ids.string(60, ALNUM + "-_")

    # --- tokens -----------------------------------------------------------------------------------
    def default_principal(self) -> str:
        return self.state.default_user

    def new_token(self, principal: Any) -> str:
        """An OAuth access token in Google's shape: ``ya29.`` and random characters."""
        return "ya29." + self.ids.string(150, ALNUM + "-_")

    def issue_access_token(self, email: str) -> str:
        """A token that expires ``TOKEN_LIFETIME`` seconds from now on the twin's clock, as the
        token endpoint hands out."""
        token = self.issue_token(email)
        self.state.expiries[token] = self.clock.now() + TOKEN_LIFETIME
        return token

    def issue_refresh_token(
        self,
        email: str | None = None,
        client_id: str | None = None,
        scopes: list[str] | None = None,
    ) -> str:
        """A refresh token for ``email`` (the default user) and the seed's first OAuth client."""
        with self.lock:
            if not self.state.clients:
                raise ValueError("the Google twin's seed data has no OAuth client")
            client = client_id or next(iter(self.state.clients))
            token = "1//0" + self.ids.string(100, ALNUM + "-_")
            grant = Grant(client, (email or self.state.default_user).lower(), scopes or SCOPES)
            self.state.refresh_tokens[token] = grant
            return token

    def refresh_grant(self, email: str | None = None) -> dict[str, str]:
        """A fresh refresh token for ``email`` with what refreshing it takes: the OAuth client
        and this twin's token endpoint (the keyword arguments of google-auth's
        ``Credentials``)."""
        refresh_token = self.issue_refresh_token(email)
        client = self.state.clients[self.state.refresh_tokens[refresh_token].client_id]
        return {
            "refresh_token": refresh_token,
            "token_uri": self.token_uri,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        }

    def credentials(self, email: str | None = None) -> Any:
        """google-auth ``Credentials`` that hold only a refresh token and refresh against this
        twin (``Credentials.from_authorized_user_info`` would send them to Google instead)."""
        from google.oauth2.credentials import Credentials

        return Credentials(None, **self.refresh_grant(email))

    @property
    def token_uri(self) -> str:
        return self.base_url + TOKEN_PATH

    def authenticate(self, request: Request) -> str:
        """A bearer token (or ``access_token`` parameter) the twin issued and that has not
        expired on the twin's clock."""
        token = request.bearer_token() or request.query.get("access_token")
        if token is None:
            raise google_error(
                401, "required", "Login Required.", location="Authorization",
                location_type="header", headers=_WWW_AUTHENTICATE,
            )  # fmt: skip
        expiry = self.state.expiries.get(token)
        if token not in self.tokens or (expiry is not None and self.clock.now() >= expiry):
            raise google_error(
                401, "authError", "Invalid Credentials", location="Authorization",
                location_type="header", headers=_WWW_AUTHENTICATE,
            )  # fmt: skip
        # Then the front end's check of typed parameters, before any method looks at the ids.
        check_parameters(request)
        return str(self.tokens[token])

    def error_response(self, error: ServiceError) -> Response:
        status, body = envelope(error)
        return json_response(body, status, error.headers)

    # --- the official client ----------------------------------------------------------------------
    def discovery(self, api: str, document: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The Discovery document of ``api`` ("drive", "docs", "sheets") pointed at this twin:
        ``document`` if given, else the one ``google-api-python-client`` bundles."""
        if document is None:
            from googleapiclient.discovery_cache import get_static_doc

            if api not in APIS:
                raise ValueError(f"the Google twin serves {', '.join(APIS)}, not {api!r}")
            document = json.loads(get_static_doc(api, APIS[api]))
        return pointed_at(dict(document), self.base_url)

    def build(
        self, api: str, credentials: Any = None, document: Mapping[str, Any] | None = None
    ) -> Any:
        """``googleapiclient`` for ``api`` against this twin, authenticated with ``credentials``
        (default: ``twin.token``)."""
        from google.oauth2.credentials import Credentials
        from googleapiclient.discovery import build_from_document

        credentials = credentials or Credentials(token=self.token)
        return build_from_document(self.discovery(api, document), credentials=credentials)
