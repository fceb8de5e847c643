"""Discovery documents as JSON Schema (``holdout_twins.core.discovery``), and the check that
every answer the official client receives in the Google twin's tests fits its method's schema."""

from __future__ import annotations

import jsonschema
import pytest

from holdout_twins.core.discovery import (
    json_schema,
    method,
    pointed_at,
    response_schema,
    translate,
)

TINY = {
    "id": "tiny:v1",
    "rootUrl": "https://tiny.googleapis.com/",
    "servicePath": "tiny/v1/",
    "schemas": {
        "Item": {
            "id": "Item",
            "type": "object",
            "properties": {
                "size": {"type": "string", "format": "int64"},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "child": {"$ref": "Item"},
                "anything": {"type": "any"},
            },
        },
        "ItemList": {
            "id": "ItemList",
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"$ref": "Item"}}},
        },
        "Unused": {"id": "Unused", "type": "object"},
    },
    "resources": {
        "items": {
            "methods": {"list": {"id": "tiny.items.list", "response": {"$ref": "ItemList"}}},
            "resources": {"parts": {"methods": {"delete": {"id": "tiny.items.parts.delete"}}}},
        }
    },
}


def problems(schema: dict, body: object) -> list[str]:
    return [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(body)]


def test_a_schema_brings_every_schema_it_refers_to_and_no_other():
    schema = response_schema(TINY, "tiny.items.list")

    assert sorted(schema["definitions"]) == ["Item", "ItemList"]
    assert (
        problems(schema, {"items": [{"size": "12", "tags": ["a"], "child": {"anything": [1]}}]})
        == []
    )


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"size": 12}, "is not of type 'string'"),
        ({"size": "twelve"}, "does not match"),
        ({"tags": ["c"]}, "is not one of"),
        ({"labels": {"k": 1}}, "is not of type 'string'"),
        ({"child": {"size": "x"}}, "does not match"),
    ],
)
def test_types_formats_enums_and_maps_are_checked(body, complaint):
    (found,) = problems(json_schema(TINY, "Item"), body)

    assert complaint in found


def test_strict_refuses_members_the_schema_does_not_list():
    body = {"size": "1", "colour": "red", "labels": {"free": "form"}}

    assert problems(json_schema(TINY, "Item"), body) == []
    assert problems(json_schema(TINY, "Item", strict=True), body) == [
        "Additional properties are not allowed ('colour' was unexpected)"
    ]


def test_methods_are_found_in_nested_resources_and_must_exist():
    assert method(TINY, "tiny.items.parts.delete")["id"] == "tiny.items.parts.delete"
    with pytest.raises(KeyError):
        method(TINY, "tiny.items.get")
    with pytest.raises(KeyError):
        response_schema(TINY, "tiny.items.parts.delete")  # it answers nothing


def test_pointed_at_moves_every_root_url():
    moved = pointed_at(TINY, "http://127.0.0.1:9")

    assert (moved["rootUrl"], moved["mtlsRootUrl"], moved["baseUrl"]) == (
        "http://127.0.0.1:9/",
        "http://127.0.0.1:9/",
        "http://127.0.0.1:9/tiny/v1/",
    )
    assert TINY["rootUrl"] == "https://tiny.googleapis.com/"


def test_the_real_documents_translate_whole(google_discovery):
    for document in google_discovery.values():
        definitions = {
            name: translate(node, strict=True) for name, node in document["schemas"].items()
        }
        jsonschema.Draft7Validator.check_schema({"definitions": definitions})
        referred = {ref.removeprefix("#/definitions/") for ref in _refs(definitions)}
        assert referred <= set(definitions)


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_official_clients_answers_are_checked(checked_responses, drive, docs, sheets):
    before = dict(checked_responses.checked)

    drive.files().list(fields="*").execute()
    document = docs.documents().create(body={"title": "Checked"}).execute()
    docs.documents().get(documentId=document["documentId"], includeTabsContent=True).execute()
    sheets.spreadsheets().get(
        spreadsheetId="1TwinBudgetSpreadsheet0000000000000000000000", includeGridData=True
    ).execute()

    grown = {
        method_id
        for method_id, count in checked_responses.checked.items()
        if count > before.get(method_id, 0)
    }
    assert grown == {
        "drive.files.list",
        "docs.documents.create",
        "docs.documents.get",
        "sheets.spreadsheets.get",
    }


def test_the_check_refuses_an_invented_member(checked_responses):
    with pytest.raises(AssertionError):
        checked_responses.check("drive.files.get", {"kind": "drive#file", "colour": "red"})
