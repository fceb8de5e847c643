"""The Jira twin over raw HTTP: bad input, authentication details, headers and the wire format."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from holdout_twins.jira import JiraTwin


@pytest.fixture
def jira_twin(twin: Any) -> JiraTwin:
    return twin("jira")


@pytest.fixture
def call(jira_twin: JiraTwin, send: Any) -> Any:
    """``call(method, path, body, headers)`` with the twin's basic-auth credentials."""
    email, token = jira_twin.credentials()
    basic = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()

    def request(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
        sent = {"Authorization": basic, **(headers or {})}
        return send(jira_twin, method, path, body, sent, token=None)

    return request


def still_serving(call: Any) -> bool:
    return call("GET", "/rest/api/2/myself").status == 200


# --- bad input ------------------------------------------------------------------------------------
def test_malformed_json_is_a_400_in_jiras_shape(call: Any):
    reply = call("POST", "/rest/api/2/issue", '{"fields": {', {"Content-Type": "application/json"})

    assert reply.status == 400
    assert reply.json()["errors"] == {}
    assert reply.json()["errorMessages"][0].startswith("Unexpected character in the JSON body")
    assert still_serving(call)


def test_a_json_body_that_is_not_an_object_is_a_400(call: Any):
    reply = call("POST", "/rest/api/2/issue", "[1, 2]", {"Content-Type": "application/json"})

    assert reply.status == 400
    assert reply.json()["errorMessages"]
    assert still_serving(call)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_a_415(call: Any, content_type: str):
    reply = call("POST", "/rest/api/2/issue", "fields=x", {"Content-Type": content_type})

    assert reply.status == 415
    assert reply.json() == {"errorMessages": ["Unsupported Media Type"], "errors": {}}
    assert still_serving(call)


def test_a_body_over_the_limit_is_a_413(call: Any, jira_twin: JiraTwin):
    oversized = json.dumps({"body": "x" * jira_twin.max_body})

    reply = call(
        "POST", "/rest/api/2/issue/TWIN-1/comment", oversized, {"Content-Type": "application/json"}
    )

    assert reply.status == 413
    assert reply.json() == {"errorMessages": ["Request Entity Too Large"], "errors": {}}
    assert jira_twin.state.issue("TWIN-1").comments[1:] == []
    assert still_serving(call)


@pytest.mark.parametrize("path", ["/rest/api/2/nothing-here", "/rest/api/9/myself", "/secure/x"])
def test_an_unknown_path_is_a_404(call: Any, path: str):
    reply = call("GET", path)

    assert reply.status == 404
    assert reply.json() == {"errorMessages": [f"null for uri: {path}"], "errors": {}}
    assert still_serving(call)


def test_an_unknown_method_on_a_known_path_is_a_405(call: Any):
    reply = call("PATCH", "/rest/api/2/issue/TWIN-1", {"fields": {}})

    assert reply.status == 405
    assert reply.json()["errorMessages"] == ["Method Not Allowed"]
    assert still_serving(call)


# --- authentication -------------------------------------------------------------------------------
def test_no_credentials_is_a_401(jira_twin: JiraTwin, send: Any):
    reply = send(jira_twin, "GET", "/rest/api/3/myself", token=None)

    assert reply.status == 401
    assert reply.json()["errorMessages"] == [
        "You are not authenticated. Authentication required to perform this operation."
    ]


def test_an_api_token_is_not_a_bearer_token(jira_twin: JiraTwin, send: Any):
    reply = send(jira_twin, "GET", "/rest/api/3/myself")  # Authorization: Bearer <twin.token>

    assert reply.status == 401
    assert reply.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"


def test_server_info_is_public_but_refuses_wrong_credentials(jira_twin: JiraTwin, send: Any):
    anonymous = send(jira_twin, "GET", "/rest/api/2/serverInfo", token=None)
    wrong = send(
        jira_twin,
        "GET",
        "/rest/api/2/serverInfo",
        headers={"Authorization": "Basic " + base64.b64encode(b"admin@twin.example:x").decode()},
        token=None,
    )

    assert anonymous.status == 200
    assert anonymous.json()["deploymentType"] == "Cloud"
    assert wrong.status == 401


# --- rate limits ----------------------------------------------------------------------------------
def test_rate_limit_headers_come_on_every_limited_call_and_the_429(call: Any, jira_twin: JiraTwin):
    jira_twin.rate_limits.set("myself", 2, per=60.0)

    first, second, limited = (call("GET", "/rest/api/2/myself") for _ in range(3))

    assert first.status == second.status == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert first.headers["X-RateLimit-NearLimit"] == "false"
    assert second.headers["X-RateLimit-NearLimit"] == "true"
    assert limited.status == 429
    assert int(limited.headers["Retry-After"]) >= 59
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert limited.headers["X-RateLimit-Reset"].endswith("Z")
    assert limited.json() == {"errorMessages": ["Rate limit exceeded."], "errors": {}}


def test_the_documented_limits_can_be_switched_on(jira_twin: JiraTwin):
    jira_twin.rate_limits.enforce_defaults()

    limits = jira_twin.rate_limits.limits

    assert limits["issue.get"].requests > limits["issue.create"].requests
    assert limits["search.jql"].per == 1.0


# --- the wire format ------------------------------------------------------------------------------
def test_the_enhanced_search_returns_ids_only_unless_fields_are_asked_for(call: Any):
    bare = call("GET", "/rest/api/3/search/jql?jql=project%3DTWIN&maxResults=2")
    token = bare.json()["nextPageToken"]
    rest = call("GET", f"/rest/api/3/search/jql?jql=project%3DTWIN&nextPageToken={token}")

    assert bare.json()["issues"][0] == {
        "expand": bare.json()["issues"][0]["expand"],
        "id": "10003",
        "self": bare.json()["issues"][0]["self"],
        "key": "TWIN-3",
    }
    assert bare.json()["isLast"] is False
    assert [issue["key"] for issue in rest.json()["issues"]] == ["TWIN-1"]
    assert rest.json()["isLast"] is True
    assert "nextPageToken" not in rest.json()


def test_a_repeated_fields_parameter_counts_every_value(call: Any):
    # The jira library sends a list of fields on GET as a repeated parameter.
    found = call("GET", "/rest/api/2/search?jql=key%3DTWIN-1&fields=summary&fields=status")

    assert set(found.json()["issues"][0]["fields"]) == {"summary", "status"}


def test_a_forged_next_page_token_is_a_400(call: Any):
    reply = call("GET", "/rest/api/3/search/jql?jql=project%3DTWIN&nextPageToken=garbage")

    assert reply.status == 400
    assert reply.json()["errorMessages"] == ["The provided next page token is invalid or expired."]


def test_self_links_point_back_at_the_twin(call: Any, jira_twin: JiraTwin):
    issue = call("GET", "/rest/api/3/issue/TWIN-1").json()

    assert issue["self"] == f"{jira_twin.base_url}/rest/api/3/issue/10001"
    assert call("GET", issue["self"].removeprefix(jira_twin.base_url)).json()["key"] == "TWIN-1"


def test_latest_is_v2(call: Any):
    latest = call("GET", "/rest/api/latest/issue/TWIN-1?fields=description").json()

    assert latest["fields"]["description"].startswith("Users see a spinner")


def test_issue_links_are_created_with_201_and_no_body(call: Any):
    reply = call(
        "POST",
        "/rest/api/3/issueLink",
        {
            "type": {"name": "Blocks"},
            "inwardIssue": {"key": "TWIN-1"},
            "outwardIssue": {"key": "TWIN-2"},
        },
    )
    unknown_type = call(
        "POST",
        "/rest/api/3/issueLink",
        {
            "type": {"name": "Haunts"},
            "inwardIssue": {"key": "TWIN-1"},
            "outwardIssue": {"key": "TWIN-2"},
        },
    )

    assert (reply.status, reply.body) == (201, b"")
    assert unknown_type.status == 404
    assert unknown_type.json()["errorMessages"] == ["No issue link type with name 'Haunts' found."]


def test_projects_page_with_next_page_links(call: Any, jira_twin: JiraTwin):
    first = call("GET", "/rest/api/3/project/search?maxResults=1").json()
    second = call("GET", first["nextPage"].removeprefix(jira_twin.base_url)).json()

    assert [project["key"] for project in first["values"]] == ["TWIN"]
    assert (first["total"], first["isLast"]) == (2, False)
    assert [project["key"] for project in second["values"]] == ["OPS"]
    assert second["isLast"] is True
    assert "nextPage" not in second
