"""A1 notation: ``Sheet1!A1:B2``, ``'My Sheet'!A:A``, ``B2:B``, ``1:2``, or a sheet's name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from holdout_twins.google.sheets.grid import Sheet, Spreadsheet

_CELLS = re.compile(
    r"(?P<c0>\$?[A-Za-z]{1,3})?(?P<r0>\$?[0-9]+)?(?::(?P<c1>\$?[A-Za-z]{1,3})?(?P<r1>\$?[0-9]+)?)?"
)
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOOKS_LIKE_CELL = re.compile(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*")


class RangeError(ValueError):
    """A range that does not parse, or names no sheet; Sheets says "Unable to parse range"."""


@dataclass(frozen=True)
class GridRange:
    """Cells ``[top, bottom) x [left, right)`` of ``sheet``, 0-based."""

    sheet: Sheet
    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    def clipped(self) -> GridRange:
        """Within the sheet's grid (what a read covers)."""
        return GridRange(
            self.sheet,
            min(self.top, self.sheet.rows),
            min(self.left, self.sheet.columns),
            min(self.bottom, self.sheet.rows),
            min(self.right, self.sheet.columns),
        )

    def a1(self) -> str:
        return a1(self.sheet.title, self.top, self.left, self.bottom, self.right)


def parse(spreadsheet: Spreadsheet, text: str, default: Sheet | None = None) -> GridRange:
    """``text`` in A1 notation, on ``default`` (the first sheet) when it names no sheet."""
    name, cells = _split(text.strip())
    if name is None and spreadsheet.sheet(cells) is not None:
        name, cells = cells, ""  # a sheet's name alone: the whole sheet
    sheet = default or spreadsheet.sheets[0]
    if name is not None:
        found = spreadsheet.sheet(name)
        if found is None:
            raise RangeError(text)
        sheet = found
    if cells == "":
        return GridRange(sheet, 0, 0, sheet.rows, sheet.columns)
    return _cells(sheet, cells, text)


def _split(text: str) -> tuple[str | None, str]:
    if text.startswith("'"):
        found = re.match(r"'((?:[^']|'')*)'(?:!(.*))?$", text, re.S)
        if found is None:
            raise RangeError(text)
        return found.group(1).replace("''", "'"), found.group(2) or ""
    name, bang, cells = text.rpartition("!")
    return (name, cells) if bang else (None, text)


def _cells(sheet: Sheet, cells: str, text: str) -> GridRange:
    found = _CELLS.fullmatch(cells)
    if found is None:
        raise RangeError(text)
    c0, r0, c1, r1 = ((found[key] or "").lstrip("$") or None for key in ("c0", "r0", "c1", "r1"))
    if (c0 is None and r0 is None) or any(row and int(row) == 0 for row in (r0, r1)):
        raise RangeError(text)
    if ":" not in cells:
        if c0 is None or r0 is None:  # a column or a row alone is not a range
            raise RangeError(text)
        c1, r1 = c0, r0
    elif c1 is None and r1 is None:
        raise RangeError(text)
    top = int(r0) - 1 if r0 else 0
    bottom = int(r1) if r1 else sheet.rows
    left = column_index(c0) if c0 else 0
    right = column_index(c1) + 1 if c1 else sheet.columns
    top, bottom = min(top, bottom - 1), max(top + 1, bottom)  # B2:A1 is A1:B2
    left, right = min(left, right - 1), max(left + 1, right)
    return GridRange(sheet, top, left, bottom, right)


def column_index(letters: str) -> int:
    """``A`` is 0, ``Z`` 25, ``AA`` 26."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def quoted(title: str) -> str:
    """A sheet's name as Sheets writes it in a range: quoted unless it is a plain word."""
    if _PLAIN_NAME.fullmatch(title) and not _LOOKS_LIKE_CELL.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def a1(title: str, top: int, left: int, bottom: int, right: int) -> str:
    start = f"{column_letters(left)}{top + 1}"
    end = f"{column_letters(right - 1)}{bottom}"
    return f"{quoted(title)}!{start}" + ("" if start == end else f":{end}")
