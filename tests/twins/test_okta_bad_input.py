"""Bad input to the Okta twin over plain HTTP: Okta's error shape each time, and it serves on."""

from __future__ import annotations

import http.client
from typing import Any

import pytest

from holdout_twins.okta import OktaTwin

USERS = "/api/v1/users"
NEW_USER = {
    "profile": {
        "firstName": "Nia",
        "lastName": "New",
        "email": "nia@example.com",
        "login": "nia@example.com",
    }
}


@pytest.fixture
def okta(twin: Any) -> OktaTwin:
    return twin("okta")


@pytest.fixture
def okta_call(okta: OktaTwin, send: Any) -> Any:
    """``okta_call(method, path, body, headers)`` with the twin's SSWS token."""

    def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
        sent = {"Authorization": f"SSWS {okta.token}", **(headers or {})}
        return send(okta, method, path, body, sent, token=None)

    return call


def assert_okta_error(reply: Any, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
    assert (body["errorCode"], body["errorLink"]) == (code, code)
    return body


@pytest.fixture(autouse=True)
def still_serving(okta: OktaTwin, okta_call: Any):
    """After each bad request the twin still answers a good one, and has logged no bug."""
    yield
    assert okta_call("GET", f"{USERS}/me").json()["id"] == okta.state.admin
    assert okta.internal_errors == []


JSON = {"Content-Type": "application/json"}


def test_malformed_json_is_a_reader_error(okta_call):
    body = assert_okta_error(okta_call("POST", USERS, b'{"profile": {', JSON), 400, "E0000003")

    assert body["errorSummary"] == "The request body was not well-formed."


def test_json_that_is_not_an_object_is_a_reader_error(okta_call):
    assert_okta_error(okta_call("POST", USERS, b"[1, 2]", JSON), 400, "E0000003")


def test_a_form_body_is_an_unsupported_media_type(okta_call):
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    assert_okta_error(okta_call("POST", USERS, b"profile=x", form), 415, "E0000002")


def test_a_body_over_the_limit_is_refused_with_413(okta, okta_call):
    oversized = b'{"x": "' + b"a" * okta.max_body + b'"}'

    assert_okta_error(okta_call("POST", USERS, oversized, JSON), 413, "E0000002")


def test_an_unknown_path_is_okta_s_404(okta_call):
    body = assert_okta_error(okta_call("GET", "/api/v1/nothing-here"), 404, "E0000008")

    assert body["errorSummary"] == "The requested path was not found"


def test_an_unknown_method_is_okta_s_405(okta_call):
    assert_okta_error(okta_call("PATCH", USERS), 405, "E0000022")


@pytest.mark.parametrize(
    "authorization",
    [None, "SSWS 00wrong-token", "Bearer {token}", "{token}"],
    ids=["missing", "wrong", "bearer", "no scheme"],
)
def test_anything_but_a_valid_ssws_token_is_e0000011(okta, send, authorization):
    headers = {"Authorization": authorization.format(token=okta.token)} if authorization else {}

    reply = send(okta, "GET", USERS, None, headers, token=None)

    assert assert_okta_error(reply, 401, "E0000011")["errorSummary"] == "Invalid token provided"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("after=not-a-cursor", "E0000001"),
        ("limit=0", "E0000001"),
        ("limit=many", "E0000001"),
        ("search=profile.login%20eq", "E0000031"),
        ("search=%28status%20eq%20%22ACTIVE%22", "E0000031"),
        ("filter=status%20sw%20%22A%22", "E0000031"),
        ("search=%22ACTIVE%22%20eq%20status", "E0000031"),
    ],
)
def test_bad_list_parameters_are_400(okta_call, query, code):
    assert_okta_error(okta_call("GET", f"{USERS}?{query}"), 400, code)


def test_a_limit_over_the_maximum_is_capped(okta, okta_call):
    for index in range(3):
        user = {"profile": {**NEW_USER["profile"], "login": f"n{index}@example.com"}}
        assert okta_call("POST", USERS, user).status == 200

    reply = okta_call("GET", f"{USERS}?limit=100000")

    assert len(reply.json()) == 7
    assert 'rel="next"' not in reply.headers["Link"]


def test_the_link_header_keeps_the_query_and_points_at_the_org(okta, okta_call):
    reply = okta_call("GET", f"{USERS}?limit=1&search=status%20eq%20%22ACTIVE%22")

    self_link, next_link = reply.headers["Link"].split(", ")
    assert self_link == (
        f'<{okta.base_url}{USERS}?limit=1&search=status+eq+%22ACTIVE%22>; rel="self"'
    )
    assert next_link.startswith(f"<{okta.base_url}{USERS}?limit=1&search=status+eq+%22ACTIVE%22")
    assert next_link.endswith('>; rel="next"')
    assert "after=" in next_link


def test_every_answer_has_a_date_and_a_request_id(okta_call):
    ok, error = okta_call("GET", USERS), okta_call("GET", f"{USERS}/nobody")

    for reply in (ok, error):
        assert reply.headers["Date"] == "Thu, 01 Jan 2026 00:00:00 GMT"
        assert reply.headers["X-Okta-Request-Id"]
    assert ok.headers["X-Okta-Request-Id"] != error.headers["X-Okta-Request-Id"]


def test_a_dropped_connection_leaves_the_twin_serving(okta, okta_call):
    okta.faults.add("listUsers", drop=True, times=1)

    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        okta_call("GET", USERS)
