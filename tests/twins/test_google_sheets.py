"""The Google twin's Sheets v4, driven by the official client built from the shared Discovery
document; every JSON answer is checked against the document."""

from __future__ import annotations

import json

import pytest
from googleapiclient.errors import HttpError

from holdout_twins.google.sheets import a1
from holdout_twins.google.sheets.formulas import CellError, Evaluator
from holdout_twins.google.sheets.grid import Formula, Sheet, Spreadsheet

BUDGET = "1TwinBudgetSpreadsheet0000000000000000000000"


@pytest.fixture
def values(sheets):
    return sheets.spreadsheets().values()


@pytest.fixture
def book(sheets) -> str:
    """A new spreadsheet with a second sheet whose name must be quoted."""
    created = (
        sheets.spreadsheets()
        .create(
            body={
                "properties": {"title": "Book"},
                "sheets": [
                    {"properties": {"title": "Sheet1"}},
                    {"properties": {"title": "Q1 'plan'"}},
                ],
            }
        )
        .execute()
    )
    return created["spreadsheetId"]


def test_get_reads_the_seeded_values_with_formulas_computed(values):
    got = values.get(spreadsheetId=BUDGET, range="Sheet1!A1:B4").execute()

    assert got == {
        "range": "Sheet1!A1:B4",
        "majorDimension": "ROWS",
        "values": [["Item", "Cost"], ["Laptops", "1200"], ["Licences", "300"], ["Total", "1500"]],
    }


def test_render_options_give_numbers_and_formulas(values):
    unformatted = values.get(
        spreadsheetId=BUDGET, range="B2:B4", valueRenderOption="UNFORMATTED_VALUE"
    ).execute()
    formulas = values.get(spreadsheetId=BUDGET, range="B4", valueRenderOption="FORMULA").execute()

    assert unformatted["values"] == [[1200], [300], [1500]]
    assert formulas["values"] == [["=SUM(B2:B3)"]]


def test_open_ranges_and_quoted_sheet_names(values, book):
    values.update(
        spreadsheetId=book,
        range="'Q1 ''plan'''!B2",
        valueInputOption="RAW",
        body={"values": [["b2"], ["b3"], [None], ["b5"]]},
    ).execute()

    column = values.get(spreadsheetId=book, range="'Q1 ''plan'''!B:B").execute()
    below = values.get(spreadsheetId=book, range="'Q1 ''plan'''!B3:B").execute()

    assert column == {
        "range": "'Q1 ''plan'''!B1:B1000",
        "majorDimension": "ROWS",
        "values": [[], ["b2"], ["b3"], [], ["b5"]],
    }
    assert below["range"] == "'Q1 ''plan'''!B3:B1000" and below["values"] == [["b3"], [], ["b5"]]


def test_raw_keeps_text_and_user_entered_parses_it(values, book):
    typed = [["12", "TRUE", "=1+2", "'007", "1,234.5", "hello"]]
    values.update(
        spreadsheetId=book, range="A1", valueInputOption="RAW", body={"values": typed}
    ).execute()
    values.update(
        spreadsheetId=book, range="A2", valueInputOption="USER_ENTERED", body={"values": typed}
    ).execute()

    got = values.get(
        spreadsheetId=book, range="A1:F2", valueRenderOption="UNFORMATTED_VALUE"
    ).execute()

    assert got["values"] == [
        ["12", "TRUE", "=1+2", "'007", "1,234.5", "hello"],
        [12, True, 3, "007", 1234.5, "hello"],
    ]


@pytest.mark.parametrize(
    ("formula", "shown"),
    [
        ("=SUM(A1:A3)", "6"),
        ("=AVERAGE(A1:A3)", "2"),
        ("=MIN(A1:A3)*MAX(A1:A3)", "3"),
        ("=COUNT(A1:A4)", "3"),  # A4 is text
        ("=(A1+A2)/A3-1", "0"),
        ("=A1/0", "#DIV/0!"),
        ("=A4+1", "#VALUE!"),
        ("=NOPE(A1)", "#NAME?"),
        ("=SUM(A1:A3", "#ERROR!"),
        ("=2/3", "0.6666666667"),
        ("=-2^2", "4"),
        ('=A1&" and "&A4', "1 and four"),
        ("=SUM(A1:A4)", "6"),  # text in a range is skipped
        ("=SUM(A:A)", "#REF!"),  # A:A holds this cell too: a circular reference
        ("=SUM(B:B)+A1", "1"),
    ],
)
def test_formulas(values, book, formula, shown):
    body = {"values": [[1], [2], [3], ["four"], [formula]]}
    values.update(
        spreadsheetId=book, range="A1", valueInputOption="USER_ENTERED", body=body
    ).execute()

    got = values.get(spreadsheetId=book, range="A5").execute()

    assert got["values"] == [[shown]]


def test_formulas_follow_the_cells_they_read(values, book):
    write = {"valueInputOption": "USER_ENTERED", "spreadsheetId": book}
    values.update(range="A1:A3", body={"values": [[1], [2], ["=SUM(A1:A2)"]]}, **write).execute()
    values.update(range="A1", body={"values": [[10]]}, **write).execute()

    assert values.get(spreadsheetId=book, range="A3").execute()["values"] == [["12"]]


def test_a_circular_reference_is_a_ref_error(values, book):
    body = {"values": [["=A2"], ["=A1"]]}
    values.update(
        spreadsheetId=book, range="A1", valueInputOption="USER_ENTERED", body=body
    ).execute()

    assert values.get(spreadsheetId=book, range="A1:A2").execute()["values"] == [
        ["#REF!"],
        ["#REF!"],
    ]


def test_major_dimension_columns_in_and_out(values, book):
    body = {"majorDimension": "COLUMNS", "values": [["a", "b"], ["c", "d", "e"]]}
    written = values.update(
        spreadsheetId=book, range="A1", valueInputOption="RAW", body=body
    ).execute()

    rows = values.get(spreadsheetId=book, range="A1:B3").execute()
    columns = values.get(spreadsheetId=book, range="A1:B3", majorDimension="COLUMNS").execute()

    assert (written["updatedRange"], written["updatedCells"]) == ("Sheet1!A1:B3", 5)
    assert rows["values"] == [["a", "c"], ["b", "d"], ["", "e"]]
    assert columns["values"] == [["a", "b"], ["c", "d", "e"]]


def test_append_adds_after_the_table_and_reports_it(values):
    appended = values.append(
        spreadsheetId=BUDGET,
        range="Sheet1!A:B",
        valueInputOption="USER_ENTERED",
        body={"values": [["Desks", "450"]]},
        includeValuesInResponse=True,
    ).execute()

    assert appended["tableRange"] == "Sheet1!A1:B4"
    assert appended["updates"]["updatedRange"] == "Sheet1!A5:B5"
    assert appended["updates"]["updatedData"]["values"] == [["Desks", "450"]]


def test_append_insert_rows_moves_what_is_below(values, book):
    write = {"spreadsheetId": book, "valueInputOption": "RAW"}
    values.update(
        range="A1", body={"values": [["head"], ["one"], [None], ["below"]]}, **write
    ).execute()

    values.append(
        range="A1", insertDataOption="INSERT_ROWS", body={"values": [["two"]]}, **write
    ).execute()

    got = values.get(spreadsheetId=book, range="A1:A6").execute()
    assert got["values"] == [["head"], ["one"], ["two"], [], ["below"]]


def test_batch_get_and_batch_update(values, book):
    updated = values.batchUpdate(
        spreadsheetId=book,
        body={
            "valueInputOption": "USER_ENTERED",
            "data": [
                {"range": "Sheet1!A1:B1", "values": [["x", "y"]]},
                {"range": "'Q1 ''plan'''!C3", "values": [["=2*21"]]},
            ],
        },
    ).execute()
    got = values.batchGet(spreadsheetId=book, ranges=["A1:B1", "'Q1 ''plan'''!C3"]).execute()

    assert (updated["totalUpdatedCells"], updated["totalUpdatedSheets"]) == (3, 2)
    assert [each["values"] for each in got["valueRanges"]] == [[["x", "y"]], [["42"]]]


def test_a_batch_update_that_fails_writes_nothing(values, book):
    with pytest.raises(HttpError) as raised:
        values.batchUpdate(
            spreadsheetId=book,
            body={
                "valueInputOption": "RAW",
                "data": [
                    {"range": "A1", "values": [["written?"]]},
                    {"range": "Nowhere!A1", "values": [["x"]]},
                ],
            },
        ).execute()

    assert (
        json.loads(raised.value.content)["error"]["message"] == "Unable to parse range: Nowhere!A1"
    )
    assert "values" not in values.get(spreadsheetId=book, range="A1").execute()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda v, b: v.get(spreadsheetId=b, range="Sheet9!A1"),
            "Unable to parse range: Sheet9!A1",
        ),
        (
            lambda v, b: v.update(spreadsheetId=b, range="A1", body={"values": [[1]]}),
            "'valueInputOption' is required but not specified",
        ),
        (
            lambda v, b: v.update(
                spreadsheetId=b,
                range="A1:A2",
                valueInputOption="RAW",
                body={"values": [[1], [2], [3]]},
            ),
            "Requested writing within range [Sheet1!A1:A2], but tried writing to row [3]",
        ),
        (
            lambda v, b: v.update(
                spreadsheetId=b, range="A1000", valueInputOption="RAW", body={"values": [[1], [2]]}
            ),
            "Range (Sheet1!A1000:A1001) exceeds grid limits. Max rows: 1000, max columns: 26",
        ),
    ],
)
def test_errors_in_googles_envelope(values, book, call, message):
    with pytest.raises(HttpError) as raised:
        call(values, book).execute()

    error = json.loads(raised.value.content)["error"]
    assert (error["code"], error["status"], error["message"]) == (400, "INVALID_ARGUMENT", message)


def test_get_with_grid_data_and_add_sheet(sheets, book):
    sheets.spreadsheets().values().update(
        spreadsheetId=book,
        range="A1",
        valueInputOption="USER_ENTERED",
        body={"values": [[2, "=A1*2"]]},
    ).execute()
    added = (
        sheets.spreadsheets()
        .batchUpdate(
            spreadsheetId=book,
            body={"requests": [{"addSheet": {"properties": {"title": "Extra"}}}]},
        )
        .execute()
    )

    got = (
        sheets.spreadsheets()
        .get(spreadsheetId=book, ranges=["A1:B1"], includeGridData=True)
        .execute()
    )

    assert added["replies"][0]["addSheet"]["properties"]["title"] == "Extra"
    (sheet,) = got["sheets"]
    assert sheet["data"][0]["rowData"][0]["values"][1] == {
        "userEnteredValue": {"formulaValue": "=A1*2"},
        "effectiveValue": {"numberValue": 4},
        "formattedValue": "4",
    }


def test_a_reader_cannot_write(google, google_client):
    from google.oauth2.credentials import Credentials

    # Bob can edit Projects (and the Budget inside it); Carol cannot see it at all.
    carol = google_client("sheets", Credentials(token=google.issue_token("carol@twin.example")))
    with pytest.raises(HttpError) as raised:
        carol.spreadsheets().values().get(spreadsheetId=BUDGET, range="A1").execute()

    assert raised.value.status_code == 404


# --- the pieces, without HTTP ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A1", (0, 0, 1, 1)),
        ("B2:C3", (1, 1, 3, 3)),
        ("C3:B2", (1, 1, 3, 3)),
        ("A:A", (0, 0, 1000, 1)),
        ("B2:B", (1, 1, 1000, 2)),
        ("2:3", (1, 0, 3, 26)),
        ("$A$1:$B$2", (0, 0, 2, 2)),
        ("AA10", (9, 26, 10, 27)),
    ],
)
def test_a1_ranges(text, expected):
    spreadsheet = Spreadsheet()
    found = a1.parse(spreadsheet, text)

    assert (found.top, found.left, found.bottom, found.right) == expected


@pytest.mark.parametrize("text", ["A", "1", "A0", "A1:", "!A1", "Sheet2!A1", "'open!A1"])
def test_a1_refuses_what_does_not_parse(text):
    with pytest.raises(a1.RangeError):
        a1.parse(Spreadsheet(), text)


def test_sheet_names_are_quoted_when_they_must_be():
    assert [a1.quoted(name) for name in ["Sheet1", "My sheet", "It's", "B2"]] == [
        "Sheet1",
        "'My sheet'",
        "'It''s'",
        "'B2'",
    ]


def test_a_reference_to_a_missing_sheet_is_a_ref_error():
    sheet = Sheet(0, "Sheet1", cells={(0, 0): Formula("=Other!A1+1")})

    assert Evaluator(Spreadsheet([sheet])).value(sheet, 0, 0) == CellError("#REF!")


def test_clear_and_batch_clear_empty_the_cells(values):
    cleared = values.clear(spreadsheetId=BUDGET, range="A4:B4", body={}).execute()
    batch = values.batchClear(spreadsheetId=BUDGET, body={"ranges": ["A1", "B1:B2"]}).execute()

    got = values.get(spreadsheetId=BUDGET, range="A1:B4").execute()

    assert cleared["clearedRange"] == "Sheet1!A4:B4"
    assert batch["clearedRanges"] == ["Sheet1!A1", "Sheet1!B1:B2"]
    assert got["values"] == [[], ["Laptops"], ["Licences", "300"]]
