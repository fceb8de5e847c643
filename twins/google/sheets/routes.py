"""Sheets v4: spreadsheets create, get and batchUpdate; values get, update, append, clear and
their batch forms, under ``/v4/spreadsheets/``.

A write that fails (a range that does not parse, data past the range or the grid) leaves the
spreadsheet as it was; the batch forms apply all of their ranges or none.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from holdout_twins.core import Request, Router
from holdout_twins.google.editors import json_body, open_file
from holdout_twins.google.errors import invalid_argument
from holdout_twins.google.fields import partial
from holdout_twins.google.sheets import a1
from holdout_twins.google.sheets.formulas import Evaluator
from holdout_twins.google.sheets.grid import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet
from holdout_twins.google.sheets.values import (
    DIMENSIONS,
    INPUT_OPTIONS,
    RENDER_OPTIONS,
    cell_data,
    read,
    write,
)
from holdout_twins.google.state import SPREADSHEET, DriveFile

if TYPE_CHECKING:
    from holdout_twins.google.twin import GoogleTwin

router = Router()
SPREADSHEET_PATH = "/v4/spreadsheets/{spreadsheetId}"
VALUES = SPREADSHEET_PATH + "/values"
INSERT_OPTIONS = ("OVERWRITE", "INSERT_ROWS")
DEFAULT_FORMAT = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
    },
}


# --- reading requests -----------------------------------------------------------------------------
def opened(twin: GoogleTwin, request: Request, *, write: bool) -> tuple[DriveFile, Spreadsheet]:
    file = open_file(
        twin, request, request.path_params["spreadsheetId"], "spreadsheet", write=write
    )
    assert file.spreadsheet is not None  # open_file checked it
    return file, file.spreadsheet


def cells(spreadsheet: Spreadsheet, text: str) -> a1.GridRange:
    try:
        return a1.parse(spreadsheet, text)
    except a1.RangeError:
        raise invalid_argument(f"Unable to parse range: {text}") from None


def choice(value: Any, allowed: tuple[str, ...], name: str, default: str | None) -> str:
    """An enum parameter; ``default`` None means it is required."""
    if value in (None, ""):
        if default is None:
            raise invalid_argument(f"'{name}' is required but not specified", name)
        return default
    if value not in allowed:
        raise invalid_argument(f"Invalid value at '{name}' ({value})", name)
    return str(value)


def flag(request: Request, name: str) -> bool:
    return request.query.get(name, "false").lower() == "true"


def value_range(
    spreadsheet: Spreadsheet, area: a1.GridRange, render: str, dimension: str
) -> dict[str, Any]:
    """A ``ValueRange``: the range read, its major dimension, and values unless all empty."""
    rows = read(Evaluator(spreadsheet), area, render, dimension)
    body: dict[str, Any] = {"range": area.clipped().a1(), "majorDimension": dimension}
    if rows:
        body["values"] = rows
    return body


def read_options(request: Request) -> tuple[str, str]:
    render = choice(
        request.query.get("valueRenderOption"), RENDER_OPTIONS, "valueRenderOption",
        "FORMATTED_VALUE",
    )  # fmt: skip
    dimension = choice(request.query.get("majorDimension"), DIMENSIONS, "majorDimension", "ROWS")
    return render, dimension


# --- spreadsheets ---------------------------------------------------------------------------------
@router.post(SPREADSHEET_PATH + ":batchUpdate", name="sheets.spreadsheets.batchUpdate")
def batch_update(twin: GoogleTwin, request: Request) -> Any:
    file, spreadsheet = opened(twin, request, write=True)
    data = json_body(request)
    working = copy.deepcopy(spreadsheet)
    title = [file.name]
    replies = [
        _structural(twin, working, title, each, index)
        for index, each in enumerate(data.get("requests") or [])
    ]
    file.spreadsheet, file.name = working, title[0]
    twin.touch(file, str(request.principal))
    body: dict[str, Any] = {"spreadsheetId": file.id, "replies": replies}
    if data.get("includeSpreadsheetInResponse"):
        body["updatedSpreadsheet"] = spreadsheet_resource(file, working, False, [])
    return partial(body, request.query.get("fields"))


@router.post("/v4/spreadsheets", name="sheets.spreadsheets.create")
def create(twin: GoogleTwin, request: Request) -> Any:
    data = json_body(request)
    title = (data.get("properties") or {}).get("title") or "Untitled spreadsheet"
    owner = str(request.principal)
    user = twin.state.user(owner)
    file = twin.new_file(twin.state, owner, str(title), SPREADSHEET, [user.root_id] if user else [])
    requested = [each.get("properties") or {} for each in data.get("sheets") or []]
    if requested:
        file.spreadsheet = Spreadsheet([])
        for index, properties in enumerate(requested):
            file.spreadsheet.sheets.append(_new_sheet(twin, file.spreadsheet, properties, index))
    assert file.spreadsheet is not None
    body = spreadsheet_resource(file, file.spreadsheet, False, [])
    return partial(body, request.query.get("fields"))


@router.get(SPREADSHEET_PATH, name="sheets.spreadsheets.get")
def get(twin: GoogleTwin, request: Request) -> Any:
    file, spreadsheet = opened(twin, request, write=False)
    ranges = request.query_values.get("ranges", [])
    body = spreadsheet_resource(file, spreadsheet, flag(request, "includeGridData"), ranges)
    return partial(body, request.query.get("fields"))


def spreadsheet_resource(
    file: DriveFile, spreadsheet: Spreadsheet, grid_data: bool, ranges: list[str]
) -> dict[str, Any]:
    areas = [cells(spreadsheet, each) for each in ranges]
    sheets = []
    for index, sheet in enumerate(spreadsheet.sheets):
        mine = [area for area in areas if area.sheet is sheet]
        if areas and not mine:
            continue  # ranges name the sheets to answer with
        entry: dict[str, Any] = {"properties": sheet_properties(sheet, index)}
        if grid_data:
            evaluator = Evaluator(spreadsheet)
            whole = [a1.GridRange(sheet, 0, 0, sheet.rows, sheet.columns)]
            entry["data"] = [_grid_data(evaluator, area) for area in mine or whole]
        sheets.append(entry)
    return {
        "spreadsheetId": file.id,
        "properties": {
            "title": file.name,
            "locale": spreadsheet.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": spreadsheet.time_zone,
            "defaultFormat": DEFAULT_FORMAT,
        },
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{file.id}/edit",
    }


def sheet_properties(sheet: Sheet, index: int) -> dict[str, Any]:
    return {
        "sheetId": sheet.sheet_id,
        "title": sheet.title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": sheet.rows, "columnCount": sheet.columns},
    }


def _grid_data(evaluator: Evaluator, area: a1.GridRange) -> dict[str, Any]:
    area = area.clipped()
    bottom = min(area.bottom, area.sheet.used_rows())
    rows = []
    for row in range(area.top, bottom):
        values = [
            cell_data(evaluator, area.sheet, row, column) for column in range(area.left, area.right)
        ]
        while values and not values[-1]:
            values.pop()
        rows.append({"values": values} if values else {})
    data: dict[str, Any] = {"rowData": rows} if rows else {}
    if area.top:
        data["startRow"] = area.top
    if area.left:
        data["startColumn"] = area.left
    return data


def _new_sheet(
    twin: GoogleTwin, spreadsheet: Spreadsheet, properties: dict[str, Any], index: int
) -> Sheet:
    title = str(properties.get("title") or f"Sheet{len(spreadsheet.sheets) + 1}")
    if spreadsheet.sheet(title) is not None:
        raise invalid_argument(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    grid = properties.get("gridProperties") or {}
    sheet_id = properties.get("sheetId")
    if sheet_id is None:
        sheet_id = 0 if not spreadsheet.sheets else int(twin.ids.string(9, "123456789"))
    rows = int(grid.get("rowCount", DEFAULT_ROWS))
    return Sheet(int(sheet_id), title, rows, int(grid.get("columnCount", DEFAULT_COLUMNS)))


def _structural(
    twin: GoogleTwin, spreadsheet: Spreadsheet, title: list[str], request: Any, index: int
) -> dict[str, Any]:
    """One ``spreadsheets.batchUpdate`` request: addSheet, deleteSheet, updateSheetProperties
    or updateSpreadsheetProperties (its title)."""
    if not isinstance(request, dict) or len(request) != 1:
        raise invalid_argument(f"Invalid requests[{index}]: give exactly one kind of request.")
    ((kind, params),) = request.items()
    params = params if isinstance(params, dict) else {}
    properties = params.get("properties") or {}
    if kind == "addSheet":
        sheet = _new_sheet(twin, spreadsheet, properties, len(spreadsheet.sheets))
        spreadsheet.sheets.append(sheet)
        return {"addSheet": {"properties": sheet_properties(sheet, len(spreadsheet.sheets) - 1)}}
    if kind == "deleteSheet":
        sheet = _sheet_by_id(spreadsheet, params.get("sheetId"), index)
        if len(spreadsheet.sheets) == 1:
            raise invalid_argument(
                f"Invalid requests[{index}].deleteSheet: You can't remove all the sheets in a "
                "document."
            )
        spreadsheet.sheets.remove(sheet)
        return {}
    if kind == "updateSheetProperties":
        sheet = _sheet_by_id(spreadsheet, properties.get("sheetId"), index)
        fields = str(params.get("fields") or "*")
        if ("title" in fields or fields == "*") and properties.get("title"):
            sheet.title = str(properties["title"])
        grid = properties.get("gridProperties") or {}
        sheet.rows = int(grid.get("rowCount", sheet.rows))
        sheet.columns = int(grid.get("columnCount", sheet.columns))
        return {}
    if kind == "updateSpreadsheetProperties":
        if properties.get("title"):
            title[0] = str(properties["title"])
        return {}
    raise invalid_argument(
        f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{index}]': "
        "Cannot find field."
    )


def _sheet_by_id(spreadsheet: Spreadsheet, sheet_id: Any, index: int) -> Sheet:
    for sheet in spreadsheet.sheets:
        if str(sheet.sheet_id) == str(sheet_id):
            return sheet
    raise invalid_argument(f"Invalid requests[{index}]: No grid with id: {sheet_id}")


# --- values ---------------------------------------------------------------------------------------
@router.get(VALUES + ":batchGet", name="sheets.spreadsheets.values.batchGet")
def batch_get(twin: GoogleTwin, request: Request) -> Any:
    file, spreadsheet = opened(twin, request, write=False)
    render, dimension = read_options(request)
    body: dict[str, Any] = {"spreadsheetId": file.id}
    ranges = request.query_values.get("ranges", [])
    if ranges:
        body["valueRanges"] = [
            value_range(spreadsheet, cells(spreadsheet, each), render, dimension) for each in ranges
        ]
    return partial(body, request.query.get("fields"))


@router.post(VALUES + ":batchUpdate", name="sheets.spreadsheets.values.batchUpdate")
def batch_update_values(twin: GoogleTwin, request: Request) -> Any:
    file, spreadsheet = opened(twin, request, write=True)
    data = json_body(request)
    option = choice(data.get("valueInputOption"), INPUT_OPTIONS, "valueInputOption", None)
    working = copy.deepcopy(spreadsheet)
    responses = []
    for each in data.get("data") or []:
        if not isinstance(each, dict) or not each.get("range"):
            raise invalid_argument("Each ValueRange in 'data' needs a range.")
        written = _write(working, cells(working, str(each["range"])), each, option)
        responses.append({"spreadsheetId": file.id, **written})
    file.spreadsheet = working
    twin.touch(file, str(request.principal))
    if data.get("includeValuesInResponse"):
        render = str(data.get("responseValueRenderOption") or "FORMATTED_VALUE")
        for response in responses:
            area = cells(working, response["updatedRange"])
            response["updatedData"] = value_range(working, area, render, "ROWS")
    body: dict[str, Any] = {"spreadsheetId": file.id}
    totals = {
        "totalUpdatedRows": sum(each.get("updatedRows", 0) for each in responses),
        "totalUpdatedColumns": sum(each.get("updatedColumns", 0) for each in responses),
        "totalUpdatedCells": sum(each.get("updatedCells", 0) for each in responses),
        "totalUpdatedSheets": len({each["updatedRange"].rpartition("!")[0] for each in responses}),
    }
    body.update({key: value for key, value in totals.items() if value})
    if responses:
        body["responses"] = responses
    return partial(body, request.query.get("fields"))


@router.post(VALUES + ":batchClear", name="sheets.spreadsheets.values.batchClear")
def batch_clear(twin: GoogleTwin, request: Request) -> Any:
    file, spreadsheet = opened(twin, request, write=True)
    areas = [cells(spreadsheet, str(each)) for each in json_body(request).get("ranges") or []]
    for area in areas:
        _clear(area)
    twin.touch(file, str(request.principal))
    body = {"spreadsheetId": file.id, "clearedRanges": [area.clipped().a1() for area in areas]}
    return partial(body, request.query.get("fields"))


@router.post(VALUES + "/{range:path}:append", name="sheets.spreadsheets.values.append")
def append(twin: GoogleTwin, request: Request) -> Any:
    file, spreadsheet = opened(twin, request, write=True)
    option = choice(request.query.get("valueInputOption"), INPUT_OPTIONS, "valueInputOption", None)
    insert = choice(
        request.query.get("insertDataOption"), INSERT_OPTIONS, "insertDataOption", "OVERWRITE"
    )
    area = cells(spreadsheet, request.path_params["range"])
    data = json_body(request)
    rows = _rows(data)
    table = _table(area)
    start = table[1] if table else area.top
    sheet = area.sheet
    if insert == "INSERT_ROWS":
        _insert_rows(sheet, start, len(rows))
    sheet.rows = max(sheet.rows, start + len(rows))  # appending grows the grid
    sheet.columns = max(sheet.columns, area.left + max(map(len, rows), default=0))
    target = a1.GridRange(sheet, start, area.left, sheet.rows, sheet.columns)
    updates = {
        "spreadsheetId": file.id,
        **_write(
            spreadsheet,
            target,
            {**data, "values": rows, "majorDimension": "ROWS"},
            option,
            bounded=False,
        ),
    }
    if flag(request, "includeValuesInResponse"):
        render = request.query.get("responseValueRenderOption") or "FORMATTED_VALUE"
        updates["updatedData"] = value_range(
            spreadsheet, cells(spreadsheet, updates["updatedRange"]), render, "ROWS"
        )
    twin.touch(file, str(request.principal))
    body: dict[str, Any] = {"spreadsheetId": file.id}
    if table:
        body["tableRange"] = table[0].a1()
    body["updates"] = updates
    return partial(body, request.query.get("fields"))


@router.post(VALUES + "/{range:path}:clear", name="sheets.spreadsheets.values.clear")
def clear(twin: GoogleTwin, request: Request) -> Any:
    file, spreadsheet = opened(twin, request, write=True)
    area = cells(spreadsheet, request.path_params["range"])
    _clear(area)
    twin.touch(file, str(request.principal))
    return partial(
        {"spreadsheetId": file.id, "clearedRange": area.clipped().a1()},
        request.query.get("fields"),
    )


@router.get(VALUES + "/{range:path}", name="sheets.spreadsheets.values.get")
def get_values(twin: GoogleTwin, request: Request) -> Any:
    _, spreadsheet = opened(twin, request, write=False)
    render, dimension = read_options(request)
    area = cells(spreadsheet, request.path_params["range"])
    return partial(value_range(spreadsheet, area, render, dimension), request.query.get("fields"))


@router.put(VALUES + "/{range:path}", name="sheets.spreadsheets.values.update")
def update_values(twin: GoogleTwin, request: Request) -> Any:
    file, spreadsheet = opened(twin, request, write=True)
    option = choice(request.query.get("valueInputOption"), INPUT_OPTIONS, "valueInputOption", None)
    area = cells(spreadsheet, request.path_params["range"])
    data = json_body(request)
    if data.get("range") and cells(spreadsheet, str(data["range"])) != area:
        raise invalid_argument(
            f"Requested range in the body ({data['range']}) must match the URL's range "
            f"({request.path_params['range']})."
        )
    body = {"spreadsheetId": file.id, **_write(spreadsheet, area, data, option)}
    if flag(request, "includeValuesInResponse"):
        render = request.query.get("responseValueRenderOption") or "FORMATTED_VALUE"
        written = cells(spreadsheet, body["updatedRange"])
        body["updatedData"] = value_range(spreadsheet, written, render, "ROWS")
    twin.touch(file, str(request.principal))
    return partial(body, request.query.get("fields"))


# --- writing --------------------------------------------------------------------------------------
def _rows(data: dict[str, Any]) -> list[list[Any]]:
    """A ``ValueRange``'s values as rows, whatever its ``majorDimension``."""
    values = data.get("values") or []
    if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
        raise invalid_argument("Invalid value at 'data.values': a list of lists is required.")
    dimension = choice(data.get("majorDimension"), DIMENSIONS, "majorDimension", "ROWS")
    if dimension == "ROWS" or not values:
        return values
    height = max(map(len, values))
    return [
        [column[row] if row < len(column) else None for column in values] for row in range(height)
    ]


def _write(
    spreadsheet: Spreadsheet,
    area: a1.GridRange,
    data: dict[str, Any],
    option: str,
    *,
    bounded: bool = True,
) -> dict[str, Any]:
    """``data``'s values into ``area``: an ``UpdateValuesResponse`` without its id. A range of
    one cell is where the values start; a larger one bounds them."""
    rows = _rows(data)
    height, width = len(rows), max(map(len, rows), default=0)
    sheet = area.sheet
    single = area.height == 1 and area.width == 1
    if bounded and not single and (height > area.height or width > area.width):
        raise invalid_argument(
            f"Requested writing within range [{area.a1()}], but tried writing to "
            + (
                f"row [{area.top + height}]"
                if height > area.height
                else f"column [{a1.column_letters(area.left + width - 1)}]"
            )
        )
    if area.top + height > sheet.rows or area.left + width > sheet.columns:
        past = a1.a1(sheet.title, area.top, area.left, area.top + height, area.left + width)
        raise invalid_argument(
            f"Range ({past}) exceeds grid limits. Max rows: {sheet.rows}, max columns: "
            f"{sheet.columns}"
        )
    count = write(sheet, area.top, area.left, rows, option)
    written_rows = sum(1 for row in rows if any(value is not None for value in row))
    written_columns = sum(
        1
        for column in range(width)
        if any(column < len(row) and row[column] is not None for row in rows)
    )
    if height and width:
        updated = a1.a1(sheet.title, area.top, area.left, area.top + height, area.left + width)
    else:
        updated = area.clipped().a1()
    result: dict[str, Any] = {"updatedRange": updated}
    counts = {"updatedRows": written_rows, "updatedColumns": written_columns, "updatedCells": count}
    result.update({key: value for key, value in counts.items() if value})
    return result


def _table(area: a1.GridRange) -> tuple[a1.GridRange, int] | None:
    """The table an append adds to: from the first row with data in ``area``'s columns to the
    last of the rows after it that have data; with the row after it."""
    sheet = area.sheet

    def has_data(row: int) -> bool:
        return any((row, column) in sheet.cells for column in range(area.left, area.right))

    first = next((row for row in range(area.top, sheet.rows) if has_data(row)), None)
    if first is None:
        return None
    last = first
    while last + 1 < sheet.rows and has_data(last + 1):
        last += 1
    columns = [
        column
        for (row, column) in sheet.cells
        if first <= row <= last and area.left <= column < area.right
    ]
    table = a1.GridRange(sheet, first, min(columns), last + 1, max(columns) + 1)
    return table, last + 1


def _insert_rows(sheet: Sheet, start: int, count: int) -> None:
    """``count`` empty rows before row ``start``: the cells below move down."""
    moved: dict[tuple[int, int], Any] = {}
    for (row, column), value in sheet.cells.items():
        moved[(row + count if row >= start else row, column)] = value
    sheet.cells = moved
    sheet.rows += count


def _clear(area: a1.GridRange) -> None:
    sheet = area.sheet
    for key in [
        key
        for key in sheet.cells
        if area.top <= key[0] < area.bottom and area.left <= key[1] < area.right
    ]:
        del sheet.cells[key]
