"""Atlassian Document Format (ADF): what v3 speaks, and its plain-text form for v2.

v2 sends and receives rich text as a string; v3 as an ADF document. The twin keeps ADF, so a v3
client gets back exactly the document it sent, and converts at the v2 boundary: blank lines
separate paragraphs, a single newline is a hard break.
"""

from __future__ import annotations

from typing import Any

# Block nodes whose children are rendered one per line, and the text that marks each line.
_LIST_ITEM_MARKS = {"bulletList": "* ", "orderedList": "# "}


def from_text(text: str) -> dict[str, Any]:
    """A plain-text body as an ADF document: one paragraph per blank-line-separated block."""
    content: list[dict[str, Any]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        inline: list[dict[str, Any]] = []
        for number, line in enumerate(block.split("\n")):
            if number:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def to_text(node: Any) -> str:
    """An ADF document (or node) as plain text, as v2 returns it."""
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    children = node.get("content") or []
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind == "doc":
        return "\n\n".join(to_text(child) for child in children)
    if kind in _LIST_ITEM_MARKS:
        mark = _LIST_ITEM_MARKS[kind]
        return "\n".join(mark + to_text(item) for item in children)
    if kind == "listItem":
        return "\n".join(to_text(child) for child in children)
    if kind == "heading":
        level = (node.get("attrs") or {}).get("level", 1)
        return f"h{level}. " + "".join(to_text(child) for child in children)
    if kind == "codeBlock":
        return "{code}\n" + "".join(to_text(child) for child in children) + "\n{code}"
    return "".join(to_text(child) for child in children)


def is_document(value: Any) -> bool:
    """Whether ``value`` is an ADF document: ``{"type": "doc", "version": 1, "content": [...]}``
    whose nodes all have a type (the shape Jira checks before storing it)."""
    if not isinstance(value, dict) or value.get("type") != "doc" or value.get("version") != 1:
        return False
    return isinstance(value.get("content"), list) and all(
        _is_node(child) for child in value["content"]
    )


def _is_node(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return False
    if value["type"] == "text" and not isinstance(value.get("text"), str):
        return False
    children = value.get("content", [])
    return isinstance(children, list) and all(_is_node(child) for child in children)


def is_empty(document: dict[str, Any]) -> bool:
    return not to_text(document).strip()
