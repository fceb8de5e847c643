"""A Google Doc's body as the Docs API indexes it, and the edits that keep its indexes right.

The body is a *stream*: characters (``Glyph``) and tables, in document order. Index 0 is the
section break, the stream starts at 1, and every character is one index; a paragraph is the
characters up to and including its ``"\\n"``, whose glyph carries the paragraph's style. A table
takes one index for itself, one per row and one per cell besides the cells' own streams, and one
more at its end (Docs' "Work with tables" offsets: a 2x2 table of empty cells at S ends at S + 12).

Edits work on the stream, so the indexes of everything after an edit move by exactly what the
edit inserted or removed, and named ranges move with them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

NEWLINE = "\n"
BODY_START = 1  # index 0 is the body's section break


def canonical(style: dict[str, Any]) -> str:
    """A style as an immutable, comparable key: neighbouring glyphs with equal keys form a run."""
    return json.dumps(style, sort_keys=True, separators=(",", ":"))


PLAIN = canonical({})
NORMAL_TEXT = canonical({"namedStyleType": "NORMAL_TEXT", "direction": "LEFT_TO_RIGHT"})


class EditError(ValueError):
    """A request the document refuses; the message is Docs' own wording."""


class Glyph:
    """One character. ``style`` is its text style; ``paragraph`` the paragraph style, on the
    newline that ends a paragraph only."""

    __slots__ = ("char", "paragraph", "style")

    def __init__(self, char: str, style: str = PLAIN, paragraph: str | None = None) -> None:
        self.char, self.style, self.paragraph = char, style, paragraph

    @property
    def ends_paragraph(self) -> bool:
        return self.char == NEWLINE


@dataclass
class Cell:
    content: list[Item] = field(default_factory=lambda: [Glyph(NEWLINE, PLAIN, NORMAL_TEXT)])


@dataclass
class Table:
    rows: list[list[Cell]]

    @property
    def columns(self) -> int:
        return len(self.rows[0])


Item = Glyph | Table


def size(item: Item) -> int:
    if isinstance(item, Glyph):
        return 1
    return 2 + sum(1 + sum(1 + length(cell.content) for cell in row) for row in item.rows)


def length(stream: list[Item]) -> int:
    return sum(size(item) for item in stream)


@dataclass(frozen=True)
class Place:
    """Where an index falls: ``stream[position]`` starts there (``position == len(stream)`` at
    the stream's end); ``start`` is the index of the stream's first item."""

    stream: list[Item]
    position: int
    start: int

    @property
    def item(self) -> Item | None:
        return self.stream[self.position] if self.position < len(self.stream) else None


def locate(stream: list[Item], start: int, index: int) -> Place | None:
    """The place of ``index`` in ``stream`` (which starts at ``start``), inside table cells where
    it falls in one; None on a table's own indexes (its start, rows, cells, end) or outside."""
    at = start
    for position, item in enumerate(stream):
        if index == at:
            return Place(stream, position, start)
        end = at + size(item)
        if index < end:
            return _in_table(item, at, index) if isinstance(item, Table) else None
        at = end
    return Place(stream, len(stream), start) if index == at else None


def _in_table(table: Table, start: int, index: int) -> Place | None:
    at = start + 1  # the table's own index
    for row in table.rows:
        at += 1  # the row's
        for cell in row:
            content_start = at + 1  # after the cell's own index
            content_end = content_start + length(cell.content)
            if content_start <= index < content_end:
                return locate(cell.content, content_start, index)
            at = content_end
    return None


@dataclass
class NamedRange:
    range_id: str
    name: str
    start: int
    end: int


@dataclass
class Document:
    """A Doc's content: the body stream, named ranges and the revision it is at."""

    revision: str
    body: list[Item] = field(default_factory=lambda: [Glyph(NEWLINE, PLAIN, NORMAL_TEXT)])
    named_ranges: list[NamedRange] = field(default_factory=list)

    @property
    def end(self) -> int:
        """The index just past the body's last newline."""
        return BODY_START + length(self.body)

    @classmethod
    def from_text(cls, revision: str, text: str) -> Document:
        """A document whose paragraphs are the lines of ``text``."""
        document = cls(revision, body=[])
        document.body = glyphs(text if text.endswith(NEWLINE) else text + NEWLINE, PLAIN)
        return document

    def text(self) -> str:
        """The plain text: every character, cells' included, in order."""
        return "".join(glyph.char for _, glyph in walk(self.body, BODY_START))

    # --- edits ------------------------------------------------------------------------------------
    def insert_text(self, index: int, text: str) -> None:
        place = self._in_paragraph(index)
        style = _neighbour_style(place)
        place.stream[place.position : place.position] = glyphs(text, style, _paragraph_of(place))
        self._moved(index, len(text))

    def insert_table(self, index: int, rows: int, columns: int) -> None:
        """A table of empty cells at ``index``, after a newline inserted there (as Docs does)."""
        if rows < 1 or columns < 1:
            raise EditError("The number of rows and columns must be at least 1.")
        place = self._in_paragraph(index)
        newline = Glyph(NEWLINE, _neighbour_style(place), _paragraph_of(place))
        table = Table([[Cell() for _ in range(columns)] for _ in range(rows)])
        place.stream[place.position : place.position] = [newline, table]
        self._moved(index, 1 + size(table))

    def delete(self, start: int, end: int) -> None:
        if start >= end:
            raise EditError("The range should not be empty.")
        if end >= self.end:
            raise EditError(
                "The range cannot include the newline character at the end of the segment."
            )
        first, last = locate(self.body, BODY_START, start), locate(self.body, BODY_START, end)
        if first is None or last is None or first.stream is not last.stream:
            raise EditError("Invalid deletion range. Cannot delete the requested range.")
        kept = first.stream[: first.position] + first.stream[last.position :]
        if not _well_formed(kept):
            raise EditError("Invalid deletion range. Cannot delete the requested range.")
        first.stream[:] = kept
        self._removed(start, end)

    def replace_all(self, needle: str, replacement: str, match_case: bool) -> int:
        """Every occurrence of ``needle`` within a paragraph replaced; the count."""
        if not needle:
            raise EditError("The text to search for must not be empty.")
        found = [
            (index, matched)
            for start, paragraph in paragraphs(self.body)
            for index, matched in _matches(start, paragraph, needle, match_case)
        ]
        for index, matched in reversed(found):
            place = locate(self.body, BODY_START, index)
            assert place is not None  # the index of a character found above
            new = glyphs(replacement, matched.style, _paragraph_of(place))
            place.stream[place.position : place.position + len(needle)] = new
            self._removed(index, index + len(needle))
            self._moved(index, len(replacement))
        return len(found)

    def update_text_style(
        self, start: int, end: int, style: dict[str, Any], fields: list[str]
    ) -> None:
        self._check_range(start, end)
        for index, glyph in walk(self.body, BODY_START):
            if start <= index < end:
                glyph.style = canonical(_patched(json.loads(glyph.style), style, fields))

    def update_paragraph_style(
        self, start: int, end: int, style: dict[str, Any], fields: list[str]
    ) -> None:
        self._check_range(start, end)
        for first, paragraph in paragraphs(self.body):
            if first < end and first + len(paragraph) > start:
                newline = paragraph[-1]
                newline.paragraph = canonical(
                    _patched(json.loads(newline.paragraph or NORMAL_TEXT), style, fields)
                )

    def create_named_range(self, range_id: str, name: str, start: int, end: int) -> None:
        if not 1 <= len(name) <= 256:
            raise EditError("The name must be between 1 and 256 characters long.")
        self._check_range(start, end)
        self.named_ranges.append(NamedRange(range_id, name, start, end))

    def delete_named_range(self, range_id: str | None, name: str | None) -> None:
        kept = [
            each
            for each in self.named_ranges
            if not (each.range_id == range_id or (name is not None and each.name == name))
        ]
        if len(kept) == len(self.named_ranges):
            raise EditError(f"The named range {range_id or name!r} was not found.")
        self.named_ranges = kept

    # --- keeping indexes right -------------------------------------------------------------------
    def _in_paragraph(self, index: int) -> Place:
        if index < BODY_START:
            raise EditError(f"Index {index} must be at least {BODY_START}.")
        if index >= self.end:
            raise EditError(
                f"Index {index} must be less than the end index of the referenced segment, "
                f"{self.end}."
            )
        place = locate(self.body, BODY_START, index)
        if place is None or not isinstance(place.item, Glyph):
            raise EditError(
                "The insertion index must be inside the bounds of an existing paragraph. "
                "You can still create new paragraphs by inserting newlines."
            )
        return place

    def _check_range(self, start: int, end: int) -> None:
        if not BODY_START <= start < end <= self.end:
            raise EditError(
                f"The range [{start}, {end}) must be within the body [{BODY_START}, {self.end}) "
                "and not empty."
            )

    def _moved(self, index: int, count: int) -> None:
        """``count`` indexes inserted at ``index``: a range grows when they land inside it."""
        for each in self.named_ranges:
            if index <= each.start:
                each.start += count
            if index < each.end:
                each.end += count

    def _removed(self, start: int, end: int) -> None:
        """Indexes ``[start, end)`` removed; a range that loses all its content goes too."""

        def moved(index: int) -> int:
            return index if index <= start else max(start, index - (end - start))

        for each in self.named_ranges:
            each.start, each.end = moved(each.start), moved(each.end)
        self.named_ranges = [each for each in self.named_ranges if each.start < each.end]


def glyphs(text: str, style: str, paragraph: str = NORMAL_TEXT) -> list[Item]:
    return [Glyph(char, style, paragraph if char == NEWLINE else None) for char in text]


def walk(stream: list[Item], start: int) -> Iterator[tuple[int, Glyph]]:
    """Every glyph with its index, cells' glyphs included, in document order."""
    at = start
    for item in stream:
        if isinstance(item, Glyph):
            yield at, item
        else:
            cell_at = at + 1
            for row in item.rows:
                cell_at += 1
                for cell in row:
                    yield from walk(cell.content, cell_at + 1)
                    cell_at += 1 + length(cell.content)
        at += size(item)


def paragraphs(stream: list[Item], start: int = BODY_START) -> Iterator[tuple[int, list[Glyph]]]:
    """Each paragraph's first index and glyphs (its newline last), cells' included."""
    current: list[Glyph] = []
    first = start
    for index, glyph in walk(stream, start):
        if not current:
            first = index
        current.append(glyph)
        if glyph.ends_paragraph:
            yield first, current
            current = []


def _matches(
    start: int, paragraph: list[Glyph], needle: str, match_case: bool
) -> Iterator[tuple[int, Glyph]]:
    text = "".join(glyph.char for glyph in paragraph[:-1])
    haystack, wanted = (text, needle) if match_case else (text.lower(), needle.lower())
    position = haystack.find(wanted)
    while position >= 0 and len(haystack) == len(text):
        yield start + position, paragraph[position]
        position = haystack.find(wanted, position + len(wanted))


def _neighbour_style(place: Place) -> str:
    """The style inserted text takes: the character before it in its paragraph, else the one
    at the index ("generally preserving the styling of neighboring text")."""
    before = place.stream[place.position - 1] if place.position > 0 else None
    if isinstance(before, Glyph) and not before.ends_paragraph:
        return before.style
    at = place.item
    return at.style if isinstance(at, Glyph) else PLAIN


def _paragraph_of(place: Place) -> str:
    """The style of the paragraph ``place`` is in: on the next newline."""
    for item in place.stream[place.position :]:
        if isinstance(item, Glyph) and item.ends_paragraph:
            return item.paragraph or NORMAL_TEXT
    return NORMAL_TEXT


def _well_formed(stream: list[Item]) -> bool:
    """A stream ends with a newline, and every table follows a paragraph's newline."""
    if not stream or not (isinstance(stream[-1], Glyph) and stream[-1].ends_paragraph):
        return False
    for position, item in enumerate(stream):
        if isinstance(item, Table):
            before = stream[position - 1] if position else None
            if not (isinstance(before, Glyph) and before.ends_paragraph):
                return False
    return True


def _patched(current: dict[str, Any], change: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """``current`` with the masked ``fields`` taken from ``change`` (or cleared where it has
    none); ``*`` is every field."""
    if "*" in fields:
        return dict(change)
    patched = dict(current)
    for name in fields:
        top = name.split(".", 1)[0]
        if top in change:
            patched[top] = change[top]
        else:
            patched.pop(top, None)
    return patched
