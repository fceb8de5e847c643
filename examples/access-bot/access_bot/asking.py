"""What a person asked the bot for: ``@access-bot access to Finance because I close the books``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_ASK = re.compile(
    r"\baccess to\s+(?P<group>.+?)(?:\s+because\s+(?P<reason>.*?))?\s*[.!]?\s*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Ask:
    group: str
    reason: str  # empty when the person gave none


def without_mentions(text: str) -> str:
    return " ".join(_MENTION.sub(" ", text).split())


def parse_ask(text: str) -> Ask | None:
    """The group and reason in ``text``, or None when it asks for no group."""
    found = _ASK.search(without_mentions(text))
    if found is None:
        return None
    group = found["group"].strip().strip("\"'`*_").strip()
    if not group:
        return None
    return Ask(group, (found["reason"] or "").strip())
