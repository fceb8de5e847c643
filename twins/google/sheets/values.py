"""Values in and out of cells: ``valueInputOption``, ``valueRenderOption``, ``majorDimension``."""

from __future__ import annotations

import re
from typing import Any

from holdout_twins.google.sheets.a1 import GridRange
from holdout_twins.google.sheets.formulas import CellError, Evaluator, Value
from holdout_twins.google.sheets.grid import Entered, Formula, Sheet

INPUT_OPTIONS = ("RAW", "USER_ENTERED")
RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DIMENSIONS = ("ROWS", "COLUMNS")
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+|(?=\.[0-9]))(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?"
)
# Sheets' ErrorValue.type for each error a formula can give.
ERROR_TYPES = {
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#VALUE!": "VALUE",
    "#REF!": "REF",
    "#NAME?": "NAME",
    "#NUM!": "NUM",
    "#N/A": "N_A",
    "#ERROR!": "ERROR",
}


def entered(value: Any, option: str) -> Entered | None:
    """What a cell holds once ``value`` is written with ``option``; None empties it.

    RAW keeps text as text. USER_ENTERED reads text as a person typing it would be read: ``=``
    starts a formula, ``'`` forces text, numbers and TRUE/FALSE become numbers and booleans.
    """
    if isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    if text == "":
        return None
    if option == "RAW":
        return text
    if text.startswith("=") and len(text) > 1:
        return Formula(text)
    if text.startswith("'"):
        return text[1:]
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return stripped.upper() == "TRUE"
    if _NUMBER.fullmatch(stripped):
        number = float(stripped.replace(",", ""))
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return text


def write(sheet: Sheet, top: int, left: int, rows: list[list[Any]], option: str) -> int:
    """``rows`` into ``sheet`` from ``(top, left)``; ``null`` leaves a cell as it is. The count
    of cells written."""
    count = 0
    for row_offset, row in enumerate(rows):
        for column_offset, value in enumerate(row):
            if value is None:
                continue
            key = (top + row_offset, left + column_offset)
            cell = entered(value, option)
            if cell is None:
                sheet.cells.pop(key, None)
            else:
                sheet.cells[key] = cell
            count += 1
    return count


def read(evaluator: Evaluator, cells: GridRange, render: str, dimension: str) -> list[list[Any]]:
    """The values of ``cells``, trailing empty cells and rows left out as Sheets does."""
    cells = cells.clipped()
    rows = [
        [
            rendered(evaluator, cells.sheet, row, column, render)
            for column in range(cells.left, cells.right)
        ]
        for row in range(cells.top, cells.bottom)
    ]
    if dimension == "COLUMNS":
        rows = [list(column) for column in zip(*rows, strict=True)] if rows else []
    trimmed = [_trim(row) for row in rows]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def rendered(evaluator: Evaluator, sheet: Sheet, row: int, column: int, render: str) -> Any:
    """One cell for ``valueRenderOption``; "" for an empty cell."""
    entered_value = sheet.cells.get((row, column))
    if render == "FORMULA" and isinstance(entered_value, Formula):
        return entered_value.text
    value = evaluator.value(sheet, row, column)
    return formatted(value) if render == "FORMATTED_VALUE" else unformatted(value)


def formatted(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, CellError):
        return value.code
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return number_text(value)
    return value


def unformatted(value: Value) -> Any:
    if value is None:
        return ""
    if isinstance(value, CellError):
        return value.code
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def number_text(number: float) -> str:
    """A number in Sheets' automatic format: whole numbers plainly, others to 10 digits."""
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.10g}".replace("e", "E")


def cell_data(evaluator: Evaluator, sheet: Sheet, row: int, column: int) -> dict[str, Any]:
    """A ``CellData`` for ``includeGridData``: as entered, as computed, as shown."""
    entered_value = sheet.cells.get((row, column))
    if entered_value is None:
        return {}
    value = evaluator.value(sheet, row, column)
    return {
        "userEnteredValue": _extended(entered_value),
        "effectiveValue": _extended(value),
        "formattedValue": formatted(value),
    }


def _extended(value: Entered | Value) -> dict[str, Any]:
    if isinstance(value, Formula):
        return {"formulaValue": value.text}
    if isinstance(value, CellError):
        return {"errorValue": {"type": ERROR_TYPES.get(value.code, "ERROR"), "message": value.code}}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": unformatted(float(value))}
    return {"stringValue": value}


def _trim(row: list[Any]) -> list[Any]:
    while row and row[-1] == "":
        row.pop()
    return row
