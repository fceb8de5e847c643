"""The Jira twin's v3 responses, checked against Atlassian's published OpenAPI description.

The description lives outside the repository (``<repo>/../shared/api-specs``); without it these
tests are skipped. Each response is checked against the schema the description declares for that
operation and status. The enhanced search (``/rest/api/3/search/jql``) is not in it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from holdout_twins.jira import JiraTwin

API_SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "api-specs"
SPEC_FILE = API_SPECS / "jira-platform-openapi-v3.json"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_FILE.is_file():
        pytest.skip(f"Jira's OpenAPI description not found at {SPEC_FILE}")
    return json.loads(SPEC_FILE.read_text())


@pytest.fixture
def call(twin: Any, send: Any) -> Any:
    """``call(method, path, body)`` against the Jira twin, with its basic-auth credentials."""
    jira: JiraTwin = twin("jira")
    email, token = jira.credentials()
    basic = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()

    def request(method: str, path: str, body: Any = None) -> Any:
        return send(jira, method, path, body, {"Authorization": basic}, token=None)

    return request


def assert_valid(spec: dict[str, Any], method: str, template: str, reply: Any) -> None:
    """``reply`` has a status the description declares for ``method template``, and a body that
    matches the declared schema. Where the description leaves a body undescribed, a success has
    no body (Jira sends none) and an error is Jira's ``ErrorCollection``."""
    operation = spec["paths"][template][method.lower()]
    declared = operation["responses"].get(str(reply.status))
    assert declared is not None, f"{method} {template} does not declare HTTP {reply.status}"
    schema = declared.get("content", {}).get("application/json", {}).get("schema")
    if not schema and reply.status < 400:
        assert reply.body == b"", f"{method} {template} should answer {reply.status} with no body"
        return
    if not schema:
        schema = {"$ref": "#/components/schemas/ErrorCollection"}
    validator = OAS30Validator({**schema, "components": spec["components"]})
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(reply.json())
    ]
    assert errors == [], f"{method} {template} does not match the description"


ISSUE = "/rest/api/3/issue/{issueIdOrKey}"
ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Described."}]}],
}


def test_site_and_user(spec: dict[str, Any], call: Any):
    assert_valid(spec, "GET", "/rest/api/3/serverInfo", call("GET", "/rest/api/3/serverInfo"))
    assert_valid(spec, "GET", "/rest/api/3/myself", call("GET", "/rest/api/3/myself"))
    user = "/rest/api/3/user?accountId=5b10a2844c20165700ede21g"
    assert_valid(spec, "GET", "/rest/api/3/user", call("GET", user))
    assert_valid(
        spec, "GET", "/rest/api/3/user/search", call("GET", "/rest/api/3/user/search?query=a")
    )


def test_projects_and_configuration(spec: dict[str, Any], call: Any):
    for path in (
        "/rest/api/3/project",
        "/rest/api/3/project/search",
        "/rest/api/3/issuetype",
        "/rest/api/3/priority",
        "/rest/api/3/status",
        "/rest/api/3/resolution",
        "/rest/api/3/field",
        "/rest/api/3/issueLinkType",
    ):
        assert_valid(spec, "GET", path, call("GET", path))
    expanded = call("GET", "/rest/api/3/project?expand=description,lead,issueTypes")
    assert_valid(spec, "GET", "/rest/api/3/project", expanded)
    template = "/rest/api/3/project/{projectIdOrKey}"
    assert_valid(spec, "GET", template, call("GET", "/rest/api/3/project/TWIN"))
    assert_valid(spec, "GET", template, call("GET", "/rest/api/3/project/NOPE"))
    link_type = "/rest/api/3/issueLinkType/{issueLinkTypeId}"
    assert_valid(spec, "GET", link_type, call("GET", "/rest/api/3/issueLinkType/10000"))


def test_an_issue_through_its_life(spec: dict[str, Any], call: Any):
    fields = {
        "project": {"key": "TWIN"},
        "issuetype": {"name": "Bug"},
        "summary": "Described bug",
        "description": ADF,
        "assignee": {"accountId": "5b10a2844c20165700ede21g"},
        "labels": ["described"],
    }
    created = call("POST", "/rest/api/3/issue", {"fields": fields})
    key = created.json()["key"]
    path = f"/rest/api/3/issue/{key}"
    call("POST", "/rest/api/3/issueLink", _link("Blocks", key, "TWIN-1"))

    assert_valid(spec, "POST", "/rest/api/3/issue", created)
    assert_valid(spec, "GET", ISSUE, call("GET", path))
    assert_valid(spec, "PUT", ISSUE, call("PUT", path, {"fields": {"summary": "Renamed"}}))
    assert_valid(
        spec,
        "PUT",
        f"{ISSUE}/assignee",
        call("PUT", f"{path}/assignee", {"accountId": None}),
    )
    assert_valid(spec, "GET", f"{ISSUE}/transitions", call("GET", f"{path}/transitions"))
    transition = {"transition": {"id": "21"}}
    assert_valid(
        spec, "POST", f"{ISSUE}/transitions", call("POST", f"{path}/transitions", transition)
    )
    assert_valid(spec, "DELETE", ISSUE, call("DELETE", path))
    assert_valid(spec, "GET", ISSUE, call("GET", path))  # 404 now


def test_comments(spec: dict[str, Any], call: Any):
    comments = "/rest/api/3/issue/TWIN-1/comment"
    added = call("POST", comments, {"body": ADF})
    one = f"{comments}/{added.json()['id']}"

    assert_valid(spec, "POST", f"{ISSUE}/comment", added)
    assert_valid(spec, "GET", f"{ISSUE}/comment", call("GET", comments))
    assert_valid(spec, "GET", f"{ISSUE}/comment/{{id}}", call("GET", one))
    assert_valid(spec, "PUT", f"{ISSUE}/comment/{{id}}", call("PUT", one, {"body": ADF}))
    assert_valid(spec, "DELETE", f"{ISSUE}/comment/{{id}}", call("DELETE", one))


def test_issue_links(spec: dict[str, Any], call: Any):
    created = call("POST", "/rest/api/3/issueLink", _link("Relates", "TWIN-1", "OPS-1"))
    (link,) = call("GET", "/rest/api/3/issue/OPS-1").json()["fields"]["issuelinks"]
    template = "/rest/api/3/issueLink/{linkId}"

    assert_valid(spec, "POST", "/rest/api/3/issueLink", created)
    assert_valid(spec, "GET", template, call("GET", f"/rest/api/3/issueLink/{link['id']}"))
    assert_valid(spec, "DELETE", template, call("DELETE", f"/rest/api/3/issueLink/{link['id']}"))


def test_classic_search(spec: dict[str, Any], call: Any):
    found = call("GET", "/rest/api/3/search?jql=project%20%3D%20TWIN&maxResults=2")
    posted = call("POST", "/rest/api/3/search", {"jql": "status = Done", "fields": ["summary"]})

    assert found.json()["total"] == 3
    assert_valid(spec, "GET", "/rest/api/3/search", found)
    assert_valid(spec, "POST", "/rest/api/3/search", posted)


def test_errors_are_error_collections(spec: dict[str, Any], call: Any):
    refused = call("POST", "/rest/api/3/issue", {"fields": {"project": {"key": "TWIN"}}})

    assert refused.status == 400
    assert_valid(spec, "POST", "/rest/api/3/issue", refused)


def _link(kind: str, inward: str, outward: str) -> dict[str, Any]:
    return {
        "type": {"name": kind},
        "inwardIssue": {"key": inward},
        "outwardIssue": {"key": outward},
    }
