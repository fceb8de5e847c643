"""The Google twin's Drive v3, driven by the official client (google-api-python-client) built
from the shared Discovery document; every JSON answer is checked against the document."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload, MediaIoBaseUpload

PROJECTS = "1TwinProjectsFolder000000000000000"
ROADMAP = "1TwinRoadmapDocument000000000000000000000000"
BUDGET = "1TwinBudgetSpreadsheet0000000000000000000000"
NOTES = "1TwinNotesText00000000000000000000"
CAROLS = "1TwinCarolsPlan000000000000000000"
DOCUMENT = "application/vnd.google-apps.document"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
FOLDER = "application/vnd.google-apps.folder"


def error_of(raised: pytest.ExceptionInfo[HttpError]) -> dict:
    return json.loads(raised.value.content)["error"]


def names(listing: dict) -> list[str]:
    return [each["name"] for each in listing["files"]]


def upload(drive, content: bytes, name: str, mime: str = "text/plain", **options):
    media = MediaIoBaseUpload(io.BytesIO(content), mime, **options)
    request = drive.files().create(body={"name": name}, media_body=media, fields="id,name,size")
    if not options.get("resumable"):
        return request.execute()
    response = None
    while response is None:
        _, response = request.next_chunk()
    return response


def download(drive, file_id: str, chunksize: int = 100 * 1024 * 1024) -> bytes:
    buffer = io.BytesIO()
    downloader = MediaIoBaseDownload(buffer, drive.files().get_media(fileId=file_id), chunksize)
    done = False
    while not done:
        _, done = downloader.next_chunk()
    return buffer.getvalue()


# --- files ----------------------------------------------------------------------------------------
def test_without_fields_a_file_has_drives_default_members(drive):
    created = drive.files().create(body={"name": "plain"}).execute()

    assert set(created) == {"kind", "id", "name", "mimeType"}
    assert created["mimeType"] == "application/octet-stream"


def test_fields_select_members_and_nested_members(drive):
    got = drive.files().get(fileId=NOTES, fields="name,owners(emailAddress),size").execute()

    assert got == {
        "name": "notes.txt",
        "owners": [{"emailAddress": "alice@twin.example"}],
        "size": "19",
    }


def test_a_malformed_fields_selection_is_a_400(drive):
    with pytest.raises(HttpError) as raised:
        drive.files().get(fileId=NOTES, fields="name,(").execute()

    assert raised.value.status_code == 400
    assert error_of(raised)["errors"][0]["location"] == "fields"


def test_update_renames_stars_and_moves_between_folders(drive):
    folder = drive.files().create(body={"name": "Archive", "mimeType": FOLDER}).execute()["id"]

    updated = (
        drive.files()
        .update(
            fileId=NOTES,
            body={"name": "old notes.txt", "starred": False, "properties": {"team": "core"}},
            addParents=folder,
            removeParents="root",
            fields="name,starred,parents,properties,version",
        )
        .execute()
    )

    assert updated == {
        "name": "old notes.txt",
        "starred": False,
        "parents": [folder],
        "properties": {"team": "core"},
        "version": "2",
    }


def test_parents_cannot_be_written_in_an_update(drive):
    with pytest.raises(HttpError) as raised:
        drive.files().update(fileId=NOTES, body={"parents": [PROJECTS]}).execute()

    assert raised.value.status_code == 403
    assert error_of(raised)["errors"][0]["reason"] == "fieldNotWritable"


def test_copy_takes_the_content_and_a_new_name(drive):
    copied = drive.files().copy(fileId=NOTES, fields="id,name,parents").execute()

    assert copied["name"] == "Copy of notes.txt"
    assert download(drive, copied["id"]) == b"Remember the milk.\n"


def test_a_deleted_file_is_gone_and_a_folder_takes_its_contents_along(drive):
    assert drive.files().delete(fileId=PROJECTS).execute() == ""

    for file_id in (PROJECTS, ROADMAP):
        with pytest.raises(HttpError) as raised:
            drive.files().get(fileId=file_id).execute()
        assert raised.value.status_code == 404
        assert error_of(raised)["errors"][0] == {
            "message": f"File not found: {file_id}.",
            "domain": "global",
            "reason": "notFound",
            "location": "fileId",
            "locationType": "parameter",
        }


def test_trash_hides_from_trashed_false_and_takes_a_folders_contents(drive):
    drive.files().update(fileId=PROJECTS, body={"trashed": True}).execute()

    listed = drive.files().list(q="trashed = false", fields="files(name)").execute()
    roadmap = drive.files().get(fileId=ROADMAP, fields="trashed,explicitlyTrashed").execute()

    assert names(listed) == ["notes.txt"]
    assert roadmap == {"trashed": True, "explicitlyTrashed": False}


# --- searching and paging -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("name contains 'road'", ["Roadmap"]),
        ("name contains 'milk'", []),  # name, not content; words' starts only
        ("name = 'notes.txt'", ["notes.txt"]),
        (f"mimeType = '{DOCUMENT}' or mimeType = '{SPREADSHEET}'", ["Roadmap", "Budget"]),
        (f"'{PROJECTS}' in parents and not mimeType = '{DOCUMENT}'", ["Budget"]),
        ("'root' in parents and trashed = false", ["Projects", "notes.txt"]),
        ("starred = true", ["notes.txt"]),
        ("fullText contains 'milk'", ["notes.txt"]),
        ("(name contains 'B' or name contains 'R') and not name contains 'Road'", ["Budget"]),
        ("'bob@twin.example' in writers", ["Projects", "Roadmap", "Budget"]),
        ("modifiedTime > '2025-12-31T00:00:00'", ["Projects", "Roadmap", "Budget", "notes.txt"]),
    ],
)
def test_the_q_subset(drive, q, expected):
    assert names(drive.files().list(q=q, fields="files(name)").execute()) == expected


def test_an_unknown_q_term_is_invalid_value(drive):
    with pytest.raises(HttpError) as raised:
        drive.files().list(q="colour = 'blue'").execute()

    assert raised.value.status_code == 400
    assert error_of(raised)["errors"][0]["location"] == "q"


def test_paging_with_page_tokens_runs_to_the_end(drive):
    for index in range(7):
        drive.files().create(body={"name": f"page-{index}", "parents": [PROJECTS]}).execute()
    request = drive.files().list(
        q=f"'{PROJECTS}' in parents and name contains 'page'",
        pageSize=3,
        orderBy="name desc",
        fields="nextPageToken,files(name)",
    )
    seen, pages = [], 0
    while request is not None:
        response = request.execute()
        seen += names(response)
        pages += 1
        request = drive.files().list_next(request, response)

    assert pages == 3
    assert seen == [f"page-{index}" for index in reversed(range(7))]


def test_a_page_token_from_another_query_is_refused(drive):
    first = drive.files().list(pageSize=1).execute()

    with pytest.raises(HttpError) as raised:
        drive.files().list(q="starred = true", pageToken=first["nextPageToken"]).execute()

    assert error_of(raised)["errors"][0]["location"] == "pageToken"


# --- uploads and downloads ------------------------------------------------------------------------
def test_a_simple_upload_then_download(drive):
    request = drive.files().create(
        media_body=MediaIoBaseUpload(io.BytesIO(b"just bytes"), "application/octet-stream"),
        fields="id,name,size,md5Checksum",
    )
    created = request.execute()

    assert created["name"] == "Untitled"
    assert created["md5Checksum"] == hashlib.md5(b"just bytes").hexdigest()
    assert download(drive, created["id"]) == b"just bytes"


def test_a_multipart_upload_keeps_metadata_and_bytes(drive):
    content = bytes(range(256)) * 8 + b"\r\n--not-a-boundary\r\n"
    created = upload(drive, content, "binary.dat", "application/octet-stream")

    assert created["name"] == "binary.dat" and created["size"] == str(len(content))
    assert download(drive, created["id"]) == content


def test_a_resumable_upload_in_chunks_then_a_download_in_ranges(google, drive):
    content = bytes(range(256)) * 4096  # 1 MiB
    created = upload(
        drive, content, "big.bin", "application/octet-stream", resumable=True, chunksize=256 * 1024
    )

    assert created["size"] == str(len(content))
    assert len(google.journal.calls("drive.files.upload")) == 4  # four chunks of 256 KiB
    assert download(drive, created["id"], chunksize=300 * 1024) == content
    ranged = [call for call in google.journal.calls("drive.files.get")]
    assert [call.status for call in ranged] == [206, 206, 206, 206]


def test_a_resumable_upload_answers_308_with_the_range_received(google, send):
    start = send(
        google,
        "POST",
        "/upload/drive/v3/files?uploadType=resumable",
        {"name": "raw.txt"},
        {"X-Upload-Content-Type": "text/plain", "X-Upload-Content-Length": "10"},
    )
    session = start.headers["Location"].split("127.0.0.1", 1)[1].split("/", 1)[1]
    first = send(google, "PUT", "/" + session, b"01234", {"Content-Range": "bytes 0-4/10"})
    status = send(google, "PUT", "/" + session, b"", {"Content-Range": "bytes */10"})
    last = send(google, "PUT", "/" + session, b"56789", {"Content-Range": "bytes 5-9/10"})

    assert start.status == 200
    assert (first.status, first.headers["Range"]) == (308, "bytes=0-4")
    assert (status.status, status.headers["Range"]) == (308, "bytes=0-4")
    assert last.status == 200 and last.json()["name"] == "raw.txt"
    assert google.state.files[last.json()["id"]].content == b"0123456789"


def test_an_update_replaces_the_content(drive):
    media = MediaIoBaseUpload(io.BytesIO(b"Buy bread.\n"), "text/plain")
    drive.files().update(fileId=NOTES, media_body=media).execute()

    assert download(drive, NOTES) == b"Buy bread.\n"


def test_a_google_doc_is_exported_not_downloaded(drive):
    with pytest.raises(HttpError) as raised:
        drive.files().get_media(fileId=ROADMAP).execute()
    exported = drive.files().export(fileId=ROADMAP, mimeType="text/plain").execute()
    sheet = drive.files().export(fileId=BUDGET, mimeType="text/csv").execute()

    assert error_of(raised)["errors"][0]["reason"] == "fileNotDownloadable"
    assert exported == b"Roadmap\nShip the twins in Q1.\n"
    assert sheet == b"Item,Cost\nLaptops,1200\nLicences,300\nTotal,1500\n"


# --- one state with Docs and Sheets ---------------------------------------------------------------
def test_a_doc_and_a_sheet_made_through_drive_open_in_docs_and_sheets(drive, docs, sheets):
    doc = drive.files().create(body={"name": "Minutes", "mimeType": DOCUMENT}).execute()
    sheet = drive.files().create(body={"name": "Scores", "mimeType": SPREADSHEET}).execute()

    opened = docs.documents().get(documentId=doc["id"]).execute()
    book = sheets.spreadsheets().get(spreadsheetId=sheet["id"]).execute()

    assert opened["title"] == "Minutes"
    assert book["properties"]["title"] == "Scores"
    assert [each["properties"]["title"] for each in book["sheets"]] == ["Sheet1"]


def test_docs_and_sheets_made_through_their_apis_are_drive_files(drive, docs, sheets):
    doc = docs.documents().create(body={"title": "Plan"}).execute()["documentId"]
    book = sheets.spreadsheets().create(body={"properties": {"title": "Costs"}}).execute()
    drive.files().update(fileId=doc, body={"name": "Plan v2"}).execute()

    found = (
        drive.files()
        .list(q="name contains 'Plan' or name = 'Costs'", fields="files(id,mimeType)")
        .execute()
    )

    assert docs.documents().get(documentId=doc).execute()["title"] == "Plan v2"
    assert {(each["id"], each["mimeType"]) for each in found["files"]} == {
        (doc, DOCUMENT),
        (book["spreadsheetId"], SPREADSHEET),
    }


def test_a_text_upload_into_a_doc_is_imported(drive, docs):
    media = MediaIoBaseUpload(io.BytesIO(b"First line\nSecond line\n"), "text/plain")
    created = (
        drive.files()
        .create(body={"name": "Imported", "mimeType": DOCUMENT}, media_body=media)
        .execute()
    )

    content = docs.documents().get(documentId=created["id"]).execute()["body"]["content"]

    assert [each["paragraph"]["elements"][0]["textRun"]["content"] for each in content[1:]] == [
        "First line\n",
        "Second line\n",
    ]


# --- permissions ----------------------------------------------------------------------------------
def test_permissions_create_list_delete_and_what_bob_sees(google, google_client, drive):
    bob = google_client("drive", _credentials(google, "bob@twin.example"))
    with pytest.raises(HttpError) as hidden:
        bob.files().get(fileId=NOTES).execute()

    granted = (
        drive.permissions()
        .create(
            fileId=NOTES,
            body={"type": "user", "role": "reader", "emailAddress": "bob@twin.example"},
        )
        .execute()
    )
    listed = (
        drive.permissions().list(fileId=NOTES, fields="permissions(role,emailAddress)").execute()
    )
    seen = bob.files().get(fileId=NOTES, fields="name,capabilities(canEdit)").execute()
    with pytest.raises(HttpError) as refused:
        bob.files().update(fileId=NOTES, body={"name": "mine now"}).execute()
    drive.permissions().delete(fileId=NOTES, permissionId=granted["id"]).execute()
    with pytest.raises(HttpError) as gone:
        bob.files().get(fileId=NOTES).execute()

    assert hidden.value.status_code == 404
    assert set(granted) == {"kind", "id", "type", "role"} and granted["role"] == "reader"
    assert listed["permissions"] == [
        {"role": "owner", "emailAddress": "alice@twin.example"},
        {"role": "reader", "emailAddress": "bob@twin.example"},
    ]
    assert seen == {"name": "notes.txt", "capabilities": {"canEdit": False}}
    assert error_of(refused)["errors"][0]["reason"] == "insufficientFilePermissions"
    assert gone.value.status_code == 404


def test_a_folders_sharing_reaches_its_files(google, google_client):
    bob = google_client("drive", _credentials(google, "bob@twin.example"))

    listed = bob.files().list(fields="files(name)").execute()
    bob.files().update(fileId=ROADMAP, body={"description": "edited by Bob"}).execute()

    assert names(listed) == ["Projects", "Roadmap", "Budget"]


def test_the_owner_cannot_be_removed_and_transfer_needs_consent(drive):
    owner = drive.permissions().list(fileId=NOTES, fields="permissions(id,role)").execute()
    with pytest.raises(HttpError) as removing:
        drive.permissions().delete(
            fileId=NOTES, permissionId=owner["permissions"][0]["id"]
        ).execute()
    with pytest.raises(HttpError) as transferring:
        drive.permissions().create(
            fileId=NOTES, body={"type": "user", "role": "owner", "emailAddress": "bob@twin.example"}
        ).execute()

    assert error_of(removing)["errors"][0]["reason"] == "cannotDeletePermission"
    assert error_of(transferring)["errors"][0]["location"] == "transferOwnership"


def test_about_needs_fields_and_names_the_user(drive):
    with pytest.raises(HttpError) as raised:
        drive.about().get().execute()

    assert raised.value.status_code == 400
    assert drive.about().get(fields="user(emailAddress)").execute() == {
        "user": {"emailAddress": "alice@twin.example"}
    }


def _credentials(google, email: str):
    from google.oauth2.credentials import Credentials

    return Credentials(token=google.issue_token(email))


def test_a_copy_of_a_file_shared_with_someone_lands_in_their_my_drive(google, google_client, drive):
    drive.permissions().create(
        fileId=NOTES, body={"type": "user", "role": "reader", "emailAddress": "carol@twin.example"}
    ).execute()
    carol = google_client("drive", _credentials(google, "carol@twin.example"))

    copied = carol.files().copy(fileId=NOTES, fields="*").execute()

    assert copied["owners"][0]["emailAddress"] == "carol@twin.example"
    assert copied["parents"] == [google.state.users["carol@twin.example"].root_id]


def test_whole_resources_fit_the_discovery_schemas(drive):
    drive.permissions().create(fileId=NOTES, body={"type": "anyone", "role": "reader"}).execute()

    about = drive.about().get(fields="*").execute()
    permissions = drive.permissions().list(fileId=NOTES, fields="*").execute()
    one = drive.permissions().get(fileId=NOTES, permissionId="anyoneWithLink", fields="*").execute()

    assert about["user"]["me"] is True
    assert [each["type"] for each in permissions["permissions"]] == ["user", "anyone"]
    assert one["allowFileDiscovery"] is False


def test_seed_data_that_does_not_fit_is_one_seed_error():
    from holdout_twins.core import SeedError
    from holdout_twins.google import GoogleTwin

    misfit = {
        "domain": "example.com",
        "users": [{"email": "a@example.com", "name": "A"}],
        "files": [{"name": "orphan.txt", "owner": "nobody@example.com"}],
    }

    with pytest.raises(SeedError, match="google seed data"):
        GoogleTwin(seed_data=misfit)


# --- typed parameters -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "reason", "message"),
    [
        ("/drive/v3/files?corpus=everything", "invalid", "Invalid Value"),
        ("/drive/v3/files/nothing-here?supportsAllDrives=null", "invalid", "Invalid Value"),
        (
            "/v1/documents/nothing-here?includeTabsContent=yes",
            "badRequest",
            "Invalid value at 'includeTabsContent' (yes)",
        ),
    ],
)
def test_a_typed_parameter_off_its_type_is_refused_before_the_ids_are_looked_at(
    google, send, path, reason, message
):
    answer = send(google, "GET", path)

    error = answer.json()["error"]
    assert (answer.status, error["message"], error["status"]) == (400, message, "INVALID_ARGUMENT")
    assert error["errors"][0]["reason"] == reason
    assert error["errors"][0]["location"] == path.split("?")[1].split("=")[0]


def test_booleans_and_enums_of_their_type_are_taken(google, send):
    answer = send(google, "GET", "/drive/v3/files?corpus=user&supportsAllDrives=TRUE")

    assert answer.status == 200
