"""A spreadsheet's sheets and the values entered in their cells."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26


@dataclass(frozen=True)
class Formula:
    """A formula as entered, with its ``=``: ``=SUM(A1:A3)``."""

    text: str


# What a cell holds as entered: a number, text, a boolean or a formula (empty cells are absent).
Entered = int | float | str | bool | Formula


@dataclass(eq=False)  # ranges on two sheets differ even when the sheets look alike
class Sheet:
    sheet_id: int
    title: str
    rows: int = DEFAULT_ROWS
    columns: int = DEFAULT_COLUMNS
    cells: dict[tuple[int, int], Entered] = field(default_factory=dict)  # (row, column), 0-based

    def used_rows(self) -> int:
        """One past the last row with a value in it."""
        return max((row for row, _ in self.cells), default=-1) + 1


@dataclass
class Spreadsheet:
    sheets: list[Sheet] = field(default_factory=lambda: [Sheet(0, "Sheet1")])
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"

    def sheet(self, title: str) -> Sheet | None:
        """The sheet of that title; Sheets compares sheet names ignoring case."""
        wanted = title.casefold()
        return next((each for each in self.sheets if each.title.casefold() == wanted), None)

    def next_sheet_id(self) -> int:
        return max((each.sheet_id for each in self.sheets), default=-1) + 1
