"""The Okta twin's responses, checked against Okta's published Management API description.

The description (``okta-management-openapi.yaml``, OpenAPI 3.0) lives outside the repository, in
``<repo>/../shared/api-specs``; without it these tests are skipped. It is large, so it is read
once per session. OpenAPI 3.0 schemas are JSON Schema (draft 4) but for ``nullable``, which
``as_json_schema`` rewrites.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from holdout_twins.fidelity.completeness import missing_properties
from holdout_twins.fidelity.descriptions import Description, twin_description
from holdout_twins.okta import OktaTwin

SPEC_FILE = "okta-management-openapi.yaml"
ALICE, ENGINEERING = "00utwinalice00000001", "00gtwinengineers0001"
NEW_USER = {
    "profile": {
        "firstName": "Spec",
        "lastName": "Checked",
        "email": "spec@example.com",
        "login": "spec@example.com",
    },
    "credentials": {"password": {"value": "pw-spec-12345"}},
}


def as_json_schema(node: Any) -> Any:
    """OpenAPI's ``nullable: true`` as JSON Schema: the schema, or null."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="session")
def spec(api_specs: Path) -> dict[str, Any]:
    path = api_specs / SPEC_FILE
    if not path.is_file():
        pytest.skip(f"{SPEC_FILE} not found in {api_specs}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as stream:
        published = yaml.load(stream, Loader=loader)
    OktaTwin.correct_description(published)  # where the real service departs from the text
    return {"paths": published["paths"], "components": as_json_schema(published["components"])}


def response_schema(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    response = spec["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:  # a shared response: '#/components/responses/<name>'
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return as_json_schema(response["content"]["application/json"]["schema"])


def problems(spec: dict[str, Any], schema: dict[str, Any], body: Any) -> list[str]:
    validator = jsonschema.Draft4Validator({**schema, "components": spec["components"]})
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


@pytest.fixture
def okta(twin: Any) -> OktaTwin:
    return twin("okta")


@pytest.fixture
def okta_call(okta: OktaTwin, send: Any) -> Callable[..., Any]:
    def call(method: str, path: str, body: Any = None) -> Any:
        return send(okta, method, path, body, {"Authorization": f"SSWS {okta.token}"}, token=None)

    return call


def _created_user(call: Callable[..., Any]) -> str:
    body = {**NEW_USER, "profile": {**NEW_USER["profile"], "login": "listed@example.com"}}
    return call("POST", "/api/v1/users", body).json()["id"]


def _staged_user(call: Callable[..., Any]) -> str:
    body = {"profile": {**NEW_USER["profile"], "login": "staged@example.com"}}
    return call("POST", "/api/v1/users?activate=false", body).json()["id"]


def _new_group(call: Callable[..., Any]) -> str:
    return call("POST", "/api/v1/groups", {"profile": {"name": "Spec"}}).json()["id"]


# (operation in the description, request made with ``call``, expected status)
SUCCESSES: dict[str, tuple[str, str, Callable[[Callable[..., Any]], Any], int]] = {
    "getUser": ("/api/v1/users/{id}", "get", lambda c: c("GET", f"/api/v1/users/{ALICE}"), 200),
    "getUser (staged)": (
        "/api/v1/users/{id}",
        "get",
        lambda c: c("GET", f"/api/v1/users/{_staged_user(c)}"),
        200,
    ),
    "listUsers": ("/api/v1/users", "get", lambda c: c("GET", "/api/v1/users?limit=3"), 200),
    "listUsers (search)": (
        "/api/v1/users",
        "get",
        lambda c: c("GET", "/api/v1/users?search=status%20eq%20%22DEPROVISIONED%22"),
        200,
    ),
    "createUser": ("/api/v1/users", "post", lambda c: c("POST", "/api/v1/users", NEW_USER), 200),
    "updateUser": (
        "/api/v1/users/{id}",
        "post",
        lambda c: c("POST", f"/api/v1/users/{ALICE}", {"profile": {"title": "Lead"}}),
        200,
    ),
    "replaceUser": (
        "/api/v1/users/{id}",
        "put",
        lambda c: c("PUT", f"/api/v1/users/{ALICE}", {"profile": NEW_USER["profile"]}),
        200,
    ),
    "activateUser": (
        "/api/v1/users/{id}/lifecycle/activate",
        "post",
        lambda c: c("POST", f"/api/v1/users/{_staged_user(c)}/lifecycle/activate?sendEmail=false"),
        200,
    ),
    "listUserGroups": (
        "/api/v1/users/{id}/groups",
        "get",
        lambda c: c("GET", f"/api/v1/users/{ALICE}/groups"),
        200,
    ),
    "listGroups": (
        "/api/v1/groups",
        "get",
        lambda c: c("GET", "/api/v1/groups?expand=stats"),
        200,
    ),
    "addGroup": (
        "/api/v1/groups",
        "post",
        lambda c: c("POST", "/api/v1/groups", {"profile": {"name": "New", "description": "d"}}),
        200,
    ),
    "getGroup": (
        "/api/v1/groups/{groupId}",
        "get",
        lambda c: c("GET", f"/api/v1/groups/{ENGINEERING}"),
        200,
    ),
    "replaceGroup": (
        "/api/v1/groups/{groupId}",
        "put",
        lambda c: c("PUT", f"/api/v1/groups/{_new_group(c)}", {"profile": {"name": "Renamed"}}),
        200,
    ),
    "listGroupUsers": (
        "/api/v1/groups/{groupId}/users",
        "get",
        lambda c: c("GET", f"/api/v1/groups/{ENGINEERING}/users"),
        200,
    ),
}


@pytest.mark.parametrize("name", list(SUCCESSES))
def test_a_success_matches_the_description(spec, okta_call, name):
    path, method, request, status = SUCCESSES[name]
    _created_user(okta_call)  # a user with a password among the ones listed

    reply = request(okta_call)

    assert reply.status == status
    assert problems(spec, response_schema(spec, path, method, status), reply.json()) == []


@pytest.fixture(scope="session")
def description(api_specs: Path) -> Description:
    return twin_description(OktaTwin, api_specs / SPEC_FILE)


@pytest.mark.parametrize("name", list(SUCCESSES))
def test_a_success_carries_every_property_the_description_lets_be_null(
    description, okta_call, name
):
    path, method, request, status = SUCCESSES[name]

    body = request(okta_call).json()

    schema = description.response_schema(method, path, status)
    assert missing_properties(schema, body, description.resolve) == []


def test_unset_attributes_are_null_as_okta_sends_them(okta_call):
    group = _new_group(okta_call)

    user = okta_call("GET", f"/api/v1/users/{ALICE}").json()
    profile = okta_call("GET", f"/api/v1/groups/{group}").json()["profile"]

    assert (user["profile"]["mobilePhone"], user["profile"]["secondEmail"]) == (None, None)
    assert user["profile"]["department"] == "Engineering"  # set attributes as they are
    assert profile == {"name": "Spec", "description": None}


ERRORS: dict[str, tuple[str, str, Callable[[Callable[..., Any]], Any], int]] = {
    "getUser 404": ("/api/v1/users/{id}", "get", lambda c: c("GET", "/api/v1/users/nobody"), 404),
    "createUser 400": (
        "/api/v1/users",
        "post",
        lambda c: c("POST", "/api/v1/users", {"profile": {"login": "x"}}),
        400,
    ),
    "addGroup 400": (
        "/api/v1/groups",
        "post",
        lambda c: c("POST", "/api/v1/groups", {"profile": {"name": "Sales"}}),
        400,
    ),
    "suspendUser 400": (
        "/api/v1/users/{id}/lifecycle/suspend",
        "post",
        lambda c: c("POST", f"/api/v1/users/{_staged_user(c)}/lifecycle/suspend"),
        400,
    ),
    "assignUserToGroup 403": (
        "/api/v1/groups/{groupId}/users/{userId}",
        "put",
        lambda c: c("PUT", f"/api/v1/groups/{_everyone(c)}/users/{ALICE}"),
        403,
    ),
}


def _everyone(call: Callable[..., Any]) -> str:
    return call("GET", "/api/v1/groups?q=Everyone").json()[0]["id"]


@pytest.mark.parametrize("name", list(ERRORS))
def test_an_error_matches_the_description(spec, okta_call, name):
    path, method, request, status = ERRORS[name]

    reply = request(okta_call)

    assert reply.status == status
    assert problems(spec, response_schema(spec, path, method, status), reply.json()) == []


def test_a_rate_limited_answer_matches_the_description(spec, okta, okta_call):
    okta.rate_limits.set("listUsers", 1, per=60.0)
    okta_call("GET", "/api/v1/users")

    reply = okta_call("GET", "/api/v1/users")

    assert reply.status == 429
    assert problems(spec, response_schema(spec, "/api/v1/users", "get", 429), reply.json()) == []


def test_an_authentication_error_is_an_error_object(spec, okta, send):
    reply = send(okta, "GET", "/api/v1/users", None, {"Authorization": "SSWS nope"}, token=None)

    assert reply.status == 401
    assert problems(spec, {"$ref": "#/components/schemas/Error"}, reply.json()) == []
