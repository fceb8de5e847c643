"""A ``Document`` as the Docs API writes it: structural elements with their indexes.

Like Docs (proto3 JSON), a member whose value is zero is left out: the section break that opens
the body has an ``endIndex`` of 1 and no ``startIndex``.
"""

from __future__ import annotations

import json
from typing import Any

from holdout_twins.google.docs.body import (
    BODY_START,
    Cell,
    Document,
    Glyph,
    Item,
    Table,
    length,
    size,
)

FIRST_TAB = "t.0"
SECTION_BREAK = {
    "sectionBreak": {
        "sectionStyle": {
            "columnSeparatorStyle": "NONE",
            "contentDirection": "LEFT_TO_RIGHT",
            "sectionType": "CONTINUOUS",
        }
    }
}
POINTS = "PT"
DOCUMENT_STYLE: dict[str, Any] = {
    "background": {"color": {}},
    "pageNumberStart": 1,
    "marginTop": {"magnitude": 72, "unit": POINTS},
    "marginBottom": {"magnitude": 72, "unit": POINTS},
    "marginRight": {"magnitude": 72, "unit": POINTS},
    "marginLeft": {"magnitude": 72, "unit": POINTS},
    "pageSize": {
        "height": {"magnitude": 792, "unit": POINTS},
        "width": {"magnitude": 612, "unit": POINTS},
    },
    "marginHeader": {"magnitude": 36, "unit": POINTS},
    "marginFooter": {"magnitude": 36, "unit": POINTS},
    "useCustomHeaderFooterMargins": True,
}
_HEADINGS = ["TITLE", "SUBTITLE", *(f"HEADING_{level}" for level in range(1, 7))]
NAMED_STYLES: dict[str, Any] = {
    "styles": [
        {
            "namedStyleType": name,
            "textStyle": {"fontSize": {"magnitude": 11, "unit": POINTS}}
            if name == "NORMAL_TEXT"
            else {},
            "paragraphStyle": {"namedStyleType": name, "direction": "LEFT_TO_RIGHT"},
        }
        for name in ["NORMAL_TEXT", *_HEADINGS]
    ]
}


def document(
    document_id: str, title: str, content: Document, *, tabs: bool = False
) -> dict[str, Any]:
    """The ``Document`` resource; ``tabs`` puts the content in ``tabs[0]``, as
    ``includeTabsContent`` asks."""
    tab: dict[str, Any] = {
        "body": {"content": body(content)},
        "documentStyle": DOCUMENT_STYLE,
        "namedStyles": NAMED_STYLES,
    }
    if content.named_ranges:
        tab["namedRanges"] = named_ranges(content)
    head = {"documentId": document_id, "title": title, "revisionId": content.revision}
    if tabs:
        properties = {"tabId": FIRST_TAB, "title": "Tab 1"}  # index 0: left out, as zero
        return {**head, "tabs": [{"tabProperties": properties, "documentTab": tab}]}
    return {**head, **tab, "suggestionsViewMode": "SUGGESTIONS_INLINE"}


def body(content: Document) -> list[dict[str, Any]]:
    return [{"endIndex": BODY_START, **SECTION_BREAK}, *elements(content.body, BODY_START)]


def elements(stream: list[Item], start: int) -> list[dict[str, Any]]:
    """The structural elements of a stream: its paragraphs and tables."""
    found: list[dict[str, Any]] = []
    paragraph: list[Glyph] = []
    at = paragraph_start = start
    for item in stream:
        if isinstance(item, Table):
            found.append(_table(item, at))
        else:
            if not paragraph:
                paragraph_start = at
            paragraph.append(item)
            if item.ends_paragraph:
                found.append(_paragraph(paragraph, paragraph_start))
                paragraph = []
        at += size(item)
    return found


def _paragraph(glyphs: list[Glyph], start: int) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    at = start
    for glyph in glyphs:
        if runs and runs[-1]["style"] == glyph.style:
            runs[-1]["text"] += glyph.char
        else:
            runs.append({"start": at, "style": glyph.style, "text": glyph.char})
        at += 1
    return {
        "startIndex": start,
        "endIndex": at,
        "paragraph": {
            "elements": [
                {
                    "startIndex": run["start"],
                    "endIndex": run["start"] + len(run["text"]),
                    "textRun": {"content": run["text"], "textStyle": json.loads(run["style"])},
                }
                for run in runs
            ],
            "paragraphStyle": json.loads(glyphs[-1].paragraph or "{}"),
        },
    }


def _table(table: Table, start: int) -> dict[str, Any]:
    rows = []
    at = start + 1
    for row in table.rows:
        row_start = at
        at += 1
        cells = []
        for cell in row:
            cells.append(_cell(cell, at))
            at += 1 + length(cell.content)
        rows.append(
            {
                "startIndex": row_start,
                "endIndex": at,
                "tableCells": cells,
                "tableRowStyle": {"minRowHeight": {"unit": POINTS}},
            }
        )
    return {
        "startIndex": start,
        "endIndex": start + size(table),
        "table": {
            "rows": len(table.rows),
            "columns": table.columns,
            "tableRows": rows,
            "tableStyle": {
                "tableColumnProperties": [{"widthType": "EVENLY_DISTRIBUTED"}] * table.columns
            },
        },
    }


def _cell(cell: Cell, start: int) -> dict[str, Any]:
    return {
        "startIndex": start,
        "endIndex": start + 1 + length(cell.content),
        "content": elements(cell.content, start + 1),
        "tableCellStyle": {"rowSpan": 1, "columnSpan": 1, "contentAlignment": "TOP"},
    }


def named_ranges(content: Document) -> dict[str, Any]:
    """``namedRanges``: by name, each with the ranges of that name."""
    by_name: dict[str, Any] = {}
    for each in content.named_ranges:
        group = by_name.setdefault(each.name, {"name": each.name, "namedRanges": []})
        group["namedRanges"].append(
            {
                "namedRangeId": each.range_id,
                "name": each.name,
                "ranges": [{"startIndex": each.start, "endIndex": each.end}],
            }
        )
    return by_name
