"""The Google twin's Docs v1, driven by the official client built from the shared Discovery
document; every JSON answer is checked against the document."""

from __future__ import annotations

import json

import pytest
from googleapiclient.errors import HttpError

ROADMAP = "1TwinRoadmapDocument000000000000000000000000"


def batch(docs, document_id: str, *requests: dict, **write_control: str) -> dict:
    body: dict = {"requests": list(requests)}
    if write_control:
        body["writeControl"] = write_control
    return docs.documents().batchUpdate(documentId=document_id, body=body).execute()


def texts(document: dict) -> list[tuple[int, int, str]]:
    """Each paragraph of the body, cells' too: (start, end, text)."""
    found = []

    def walk(content: list[dict]) -> None:
        for element in content:
            if "paragraph" in element:
                text = "".join(
                    run["textRun"]["content"] for run in element["paragraph"]["elements"]
                )
                found.append((element["startIndex"], element["endIndex"], text))
            for row in element.get("table", {}).get("tableRows", []):
                for cell in row["tableCells"]:
                    walk(cell["content"])

    walk(document["body"]["content"])
    return found


def test_a_new_document_has_a_section_break_and_one_empty_paragraph(docs):
    created = docs.documents().create(body={"title": "Blank"}).execute()

    assert created["title"] == "Blank"
    assert created["body"]["content"][0] == {
        "endIndex": 1,
        "sectionBreak": {
            "sectionStyle": {
                "columnSeparatorStyle": "NONE",
                "contentDirection": "LEFT_TO_RIGHT",
                "sectionType": "CONTINUOUS",
            }
        },
    }
    assert texts(created) == [(1, 2, "\n")]


def test_a_batch_whose_indexes_depend_on_the_edit_before(docs):
    document = docs.documents().create(body={"title": "Sequence"}).execute()["documentId"]
    batch(docs, document, {"insertText": {"location": {"index": 1}, "text": "Hello world\n"}})
    first = docs.documents().get(documentId=document).execute()
    end = texts(first)[0][1]  # where "Hello world\n" ends: the next edit goes there

    batch(
        docs,
        document,
        {"insertText": {"location": {"index": end}, "text": "Second\n"}},
        {"insertText": {"location": {"index": 7}, "text": "big "}},  # after the first edit
        {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 7}}},
    )

    assert texts(docs.documents().get(documentId=document).execute()) == [
        (1, 11, "big world\n"),
        (11, 18, "Second\n"),
        (18, 19, "\n"),
    ]


def test_a_table_has_the_documented_indexes_and_its_cells_take_text(docs):
    document = docs.documents().create(body={"title": "Table"}).execute()["documentId"]
    batch(
        docs,
        document,
        {"insertTable": {"rows": 2, "columns": 2, "location": {"index": 1}}},
        # cells (0,0) (0,1) (1,0) (1,1) start at 5, 7, 10, 12: fill from the last one back
        {"insertText": {"location": {"index": 12}, "text": "B2"}},
        {"insertText": {"location": {"index": 10}, "text": "A2"}},
        {"insertText": {"location": {"index": 7}, "text": "B1"}},
        {"insertText": {"location": {"index": 5}, "text": "A1"}},
    )

    content = docs.documents().get(documentId=document).execute()["body"]["content"]
    table = content[2]

    assert (table["startIndex"], table["endIndex"]) == (2, 22)
    assert [(row["startIndex"], row["endIndex"]) for row in table["table"]["tableRows"]] == [
        (3, 12),
        (12, 21),
    ]
    cells = [cell for row in table["table"]["tableRows"] for cell in row["tableCells"]]
    assert [
        cell["content"][0]["paragraph"]["elements"][0]["textRun"]["content"] for cell in cells
    ] == [
        "A1\n",
        "B1\n",
        "A2\n",
        "B2\n",
    ]
    assert content[3]["startIndex"] == 22  # the paragraph after the table


def test_a_whole_table_can_be_deleted_but_not_half_of_one(docs):
    document = docs.documents().create(body={"title": "Table"}).execute()["documentId"]
    batch(docs, document, {"insertTable": {"rows": 1, "columns": 2, "endOfSegmentLocation": {}}})

    with pytest.raises(HttpError) as half:
        batch(docs, document, {"deleteContentRange": {"range": {"startIndex": 2, "endIndex": 6}}})
    batch(docs, document, {"deleteContentRange": {"range": {"startIndex": 2, "endIndex": 9}}})

    assert half.value.status_code == 400
    assert texts(docs.documents().get(documentId=document).execute()) == [
        (1, 2, "\n"),
        (2, 3, "\n"),
    ]


def test_replace_all_text_counts_and_keeps_the_style(docs):
    batch(
        docs,
        ROADMAP,
        {
            "updateTextStyle": {
                "range": {"startIndex": 1, "endIndex": 8},
                "textStyle": {"bold": True},
                "fields": "bold",
            }
        },
    )

    replies = batch(
        docs,
        ROADMAP,
        {
            "replaceAllText": {
                "containsText": {"text": "ROADMAP", "matchCase": False},
                "replaceText": "Plan",
            }
        },
        {"replaceAllText": {"containsText": {"text": "absent"}, "replaceText": "x"}},
    )["replies"]
    runs = (
        docs.documents()
        .get(documentId=ROADMAP)
        .execute()["body"]["content"][1]["paragraph"]["elements"]
    )

    assert replies == [{"replaceAllText": {"occurrencesChanged": 1}}, {"replaceAllText": {}}]
    assert [(run["textRun"]["content"], run["textRun"]["textStyle"]) for run in runs] == [
        ("Plan", {"bold": True}),
        ("\n", {}),
    ]


def test_update_text_style_splits_runs_and_fields_clear_what_they_name(docs):
    style = {"bold": True, "italic": True}
    batch(
        docs,
        ROADMAP,
        {
            "updateTextStyle": {
                "range": {"startIndex": 1, "endIndex": 5},
                "textStyle": style,
                "fields": "*",
            }
        },
    )
    batch(
        docs,
        ROADMAP,
        {
            "updateTextStyle": {
                "range": {"startIndex": 3, "endIndex": 5},
                "textStyle": {},
                "fields": "italic",
            }
        },
    )

    runs = (
        docs.documents()
        .get(documentId=ROADMAP)
        .execute()["body"]["content"][1]["paragraph"]["elements"]
    )

    assert [
        (run["startIndex"], run["textRun"]["content"], run["textRun"]["textStyle"]) for run in runs
    ] == [
        (1, "Ro", {"bold": True, "italic": True}),
        (3, "ad", {"bold": True}),
        (5, "map\n", {}),
    ]


def test_named_ranges_follow_the_text_through_later_edits(docs):
    created = batch(
        docs,
        ROADMAP,
        {"createNamedRange": {"name": "goal", "range": {"startIndex": 9, "endIndex": 13}}},
    )
    range_id = created["replies"][0]["createNamedRange"]["namedRangeId"]

    batch(docs, ROADMAP, {"insertText": {"location": {"index": 1}, "text": "2026 "}})
    named = docs.documents().get(documentId=ROADMAP).execute()["namedRanges"]

    assert named == {
        "goal": {
            "name": "goal",
            "namedRanges": [
                {
                    "namedRangeId": range_id,
                    "name": "goal",
                    "ranges": [{"startIndex": 14, "endIndex": 18}],
                }
            ],
        }
    }


def test_a_stale_required_revision_is_refused_and_changes_nothing(docs):
    before = docs.documents().get(documentId=ROADMAP).execute()
    after = batch(
        docs,
        ROADMAP,
        {"insertText": {"location": {"index": 1}, "text": "A"}},
        requiredRevisionId=before["revisionId"],
    )

    with pytest.raises(HttpError) as raised:
        batch(
            docs,
            ROADMAP,
            {"insertText": {"location": {"index": 1}, "text": "B"}},
            requiredRevisionId=before["revisionId"],
        )
    current = docs.documents().get(documentId=ROADMAP).execute()

    assert after["writeControl"]["requiredRevisionId"] != before["revisionId"]
    assert current["revisionId"] == after["writeControl"]["requiredRevisionId"]
    assert json.loads(raised.value.content)["error"]["status"] == "FAILED_PRECONDITION"
    assert texts(current)[0][2] == "ARoadmap\n"


def test_a_failing_request_leaves_the_whole_batch_unapplied(docs):
    with pytest.raises(HttpError) as raised:
        batch(
            docs,
            ROADMAP,
            {"insertText": {"location": {"index": 1}, "text": "applied first"}},
            {"insertText": {"location": {"index": 999}, "text": "out of range"}},
        )

    message = json.loads(raised.value.content)["error"]["message"]
    assert message.startswith("Invalid requests[1].insertText: Index 999 must be less than")
    assert texts(docs.documents().get(documentId=ROADMAP).execute())[0][2] == "Roadmap\n"


@pytest.mark.parametrize(
    ("request_body", "reason"),
    [
        (
            {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 31}}},
            "end of the segment",
        ),
        ({"insertText": {"location": {"index": 0}, "text": "x"}}, "at least 1"),
        (
            {"updateTextStyle": {"range": {"startIndex": 1, "endIndex": 2}, "textStyle": {}}},
            "fields",
        ),
        ({"insertPicture": {}}, "Unknown name"),
    ],
)
def test_invalid_requests_are_400_with_docs_wording(docs, request_body, reason):
    with pytest.raises(HttpError) as raised:
        batch(docs, ROADMAP, request_body)

    assert raised.value.status_code == 400
    assert reason in json.loads(raised.value.content)["error"]["message"]


def test_tabs_content_puts_the_body_in_the_first_tab(docs):
    document = docs.documents().get(documentId=ROADMAP, includeTabsContent=True).execute()

    (tab,) = document["tabs"]
    assert "body" not in document
    assert tab["tabProperties"]["tabId"] == "t.0"
    assert texts(tab["documentTab"]) == [(1, 9, "Roadmap\n"), (9, 31, "Ship the twins in Q1.\n")]


def test_only_editors_change_a_document_and_strangers_do_not_see_it(google, google_client):
    from google.oauth2.credentials import Credentials

    carol = google_client("docs", Credentials(token=google.issue_token("carol@twin.example")))
    bob = google_client("docs", Credentials(token=google.issue_token("bob@twin.example")))

    with pytest.raises(HttpError) as hidden:
        carol.documents().get(documentId=ROADMAP).execute()
    batch(bob, ROADMAP, {"insertText": {"location": {"index": 1}, "text": "Bob: "}})

    assert hidden.value.status_code == 404
    assert json.loads(hidden.value.content)["error"]["status"] == "NOT_FOUND"
    assert google.journal.last("docs.documents.batchUpdate").status == 200
