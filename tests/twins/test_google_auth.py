"""The Google twin's OAuth tokens, token endpoint, error envelope and retries, through the
official client and google-auth."""

from __future__ import annotations

import json

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

NOTES = "1TwinNotesText00000000000000000000"
BUDGET = "1TwinBudgetSpreadsheet0000000000000000000000"
# Google's error envelope, as a JSON Schema: what every error answer must look like.
ENVELOPE = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status", "errors"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string", "pattern": "^[A-Z_]+$"},
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["message", "domain", "reason"],
                        "properties": {
                            "message": {"type": "string"},
                            "domain": {"type": "string"},
                            "reason": {"type": "string"},
                            "location": {"type": "string"},
                            "locationType": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


def envelope(content: bytes) -> dict:
    import jsonschema

    body = json.loads(content)
    jsonschema.validate(body, ENVELOPE)
    return body["error"]


def no_sleep(request):
    """The client's own backoff waits ``random() * 2**n`` seconds; record it instead."""
    waits: list[float] = []
    request._sleep = waits.append
    return waits


def test_a_client_holding_a_refresh_token_refreshes_after_a_401(google, google_client):
    credentials = google.credentials()
    drive = google_client("drive", credentials)

    drive.files().get(fileId=NOTES).execute()  # no access token yet: refreshed first
    first_token = credentials.token
    google.clock.advance(3600)  # the twin's access tokens last 3599 seconds
    drive.files().get(fileId=NOTES).execute()  # 401, refresh, retry

    assert credentials.token != first_token
    assert [(entry.operation, entry.status) for entry in google.journal] == [
        ("oauth2.token", 200),
        ("drive.files.get", 200),
        ("drive.files.get", 401),
        ("oauth2.token", 200),
        ("drive.files.get", 200),
    ]
    (refresh, _) = google.journal.calls("oauth2.token")
    assert refresh.params["grant_type"] == "refresh_token"


def test_a_revoked_refresh_token_cannot_refresh(google, send):
    grant = google.refresh_grant()
    revoked = send(google, "POST", "/revoke", b"token=" + grant["refresh_token"].encode(),
                   {"Content-Type": "application/x-www-form-urlencoded"}, token=None)  # fmt: skip
    credentials = Credentials(None, **grant)

    with pytest.raises(RefreshError) as raised:
        credentials.refresh(google_auth_httplib2.Request(httplib2.Http()))

    assert revoked.status == 200
    assert "invalid_grant" in str(raised.value)


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        (
            {"grant_type": "refresh_token", "client_id": "nobody", "client_secret": "x"},
            401,
            "invalid_client",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "1//0wrong"}, 400, "invalid_grant"),
    ],
)
def test_the_token_endpoint_answers_in_oauths_shape(google, send, form, status, error):
    from urllib.parse import urlencode

    grant = google.refresh_grant()
    fields = {"client_id": grant["client_id"], "client_secret": grant["client_secret"], **form}
    answer = send(google, "POST", "/token", urlencode(fields),
                  {"Content-Type": "application/x-www-form-urlencoded"}, token=None)  # fmt: skip

    assert answer.status == status
    assert answer.json()["error"] == error and answer.json()["error_description"]


@pytest.mark.parametrize(("token", "reason"), [(None, "required"), ("ya29.wrong", "authError")])
def test_missing_or_wrong_tokens_are_401_in_the_envelope(google, send, token, reason):
    answer = send(google, "GET", f"/drive/v3/files/{NOTES}", token=token if token else None)

    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert envelope(answer.body)["errors"][0]["reason"] == reason


def test_the_client_retries_a_429_with_num_retries(google, drive):
    google.faults.add("drive.files.get", status=429, times=2)
    request = drive.files().get(fileId=NOTES, fields="name")
    waits = no_sleep(request)

    assert request.execute(num_retries=3) == {"name": "notes.txt"}
    assert [call.status for call in google.journal.calls("drive.files.get")] == [429, 429, 200]
    assert len(waits) == 2


def test_the_client_retries_a_403_rate_limit_exceeded(google, sheets):
    google.faults.add("sheets.spreadsheets.values.get", status=403, times=1)
    request = sheets.spreadsheets().values().get(spreadsheetId=BUDGET, range="A1")
    no_sleep(request)

    assert request.execute(num_retries=1)["values"] == [["Item"]]
    (refused, _) = google.journal.calls("sheets.spreadsheets.values.get")
    assert refused.status == 403


def test_a_403_rate_limit_is_in_the_envelope_with_its_reason(google, send):
    google.faults.add("drive.files.list", status=403, times=1)

    error = envelope(send(google, "GET", "/drive/v3/files").body)

    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")
    assert error["errors"][0] == {
        "message": "Rate Limit Exceeded",
        "domain": "usageLimits",
        "reason": "rateLimitExceeded",
    }


def test_without_num_retries_a_429_is_raised(google, docs):
    google.rate_limits.set("docs.documents.create", 1, per=60.0)
    docs.documents().create(body={"title": "allowed"}).execute()

    with pytest.raises(HttpError) as raised:
        docs.documents().create(body={"title": "refused"}).execute()

    error = envelope(raised.value.content)
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["errors"][0]["reason"] == "rateLimitExceeded"


def test_the_documented_quotas_are_there_to_enforce(google):
    limits = google.default_rate_limits

    assert limits["sheets.spreadsheets.values.get"].requests == 60
    assert limits["docs.documents.get"].requests == 300
    assert limits["docs.documents.batchUpdate"].requests == 60
    assert limits["drive.files.list"].requests == 12000
    assert "oauth2.token" not in limits


@pytest.mark.parametrize(
    ("request_args", "status", "reason"),
    [
        (("GET", "/drive/v3/nowhere"), 404, "notFound"),
        (
            ("POST", "/drive/v3/files", b"{not json", {"Content-Type": "application/json"}),
            400,
            "parseError",
        ),
        (("POST", "/v1/documents", b"title=x", {"Content-Type": "text/plain"}), 400, "badContent"),
    ],
)
def test_the_cores_own_errors_are_in_the_envelope(google, send, request_args, status, reason):
    answer = send(google, *request_args)

    assert answer.status == status
    assert envelope(answer.body)["errors"][0]["reason"] == reason


def test_an_injected_503_is_retried_by_the_client(google, docs):
    google.faults.add("docs.documents.get", status=503, times=1)
    request = docs.documents().get(documentId="1TwinRoadmapDocument000000000000000000000000")
    no_sleep(request)

    assert request.execute(num_retries=2)["title"] == "Roadmap"


def test_a_refresh_grant_from_the_control_endpoint_works_without_python(google, send):
    from urllib.parse import urlencode

    grant = send(google, "POST", "/_twin/google/refresh-tokens", {"email": "bob@twin.example"},
                 token=None).json()  # fmt: skip
    form = {"grant_type": "refresh_token", **grant}
    del form["token_uri"]
    answer = send(google, "POST", "/token", urlencode(form),
                  {"Content-Type": "application/x-www-form-urlencoded"}, token=None)  # fmt: skip
    about = send(google, "GET", "/drive/v3/about?fields=user(emailAddress)",
                 token=answer.json()["access_token"])  # fmt: skip

    assert grant["token_uri"] == google.base_url + "/token"
    assert answer.json()["expires_in"] == 3599
    assert about.json() == {"user": {"emailAddress": "bob@twin.example"}}
