"""Generic pagination: slices by offset, and opaque cursors that encode an offset."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    offset: int
    next_offset: int | None  # None on the last page
    total: int


def page(items: Sequence[T], offset: int, limit: int) -> Page[T]:
    """``limit`` items from ``offset``. Each twin expresses the result in its service's terms
    (Slack's ``next_cursor``, Jira's ``startAt``/``isLast``, Okta's ``Link`` header, ...)."""
    offset = max(offset, 0)
    chunk = list(items[offset : offset + limit])
    following = offset + len(chunk)
    return Page(chunk, offset, following if following < len(items) else None, len(items))


def encode_cursor(offset: int, kind: str = "offset") -> str:
    """An opaque cursor in the style Slack uses, e.g. ``b2Zmc2V0OjIw`` for offset 20."""
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str = "offset") -> int | None:
    """The offset in a cursor from ``encode_cursor``; None if it is not one (the twin answers
    with its service's "invalid cursor" error)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, number = text.partition(":")
    if prefix != kind or not number.isdigit():
        return None
    return int(number)
