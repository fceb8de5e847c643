"""Terminal control characters: refused in scenario text, made visible in what a terminal shows.

A scenario line such as ``# ESC[1A ESC[2K CR    Then the order is refunded`` is a comment to the
parser but, printed raw, overwrites the step above it: ``holdout show`` would display a step that
does not run. An app's captured output can carry OSC 52 (write the clipboard) or cursor codes into
``holdout report open``. So the parser refuses these characters in scenario text (see
``scenarios.parsing``), and everything a keyholder's terminal shows goes through ``visible``.

"Control characters" are C0 (U+0000 to U+001F), DEL and C1 (U+0080 to U+009F), except a newline, a
tab, and a carriage return that ends a line (``\\r\\n``, Windows line endings). Imports nothing.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def first_control(text: str) -> re.Match[str] | None:
    """The first control character in ``text``, if there is one."""
    return CONTROL.search(text)


def visible(text: str) -> str:
    """``text`` with each control character written as ``\\xNN``, so that a terminal shows it
    instead of obeying it. Text without one comes back unchanged."""
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def visible_bytes(data: bytes) -> str:
    """``data`` as text for a terminal: UTF-8, with bytes that are not UTF-8 written as ``\\xNN``
    (a lone byte 0x9b is CSI to some terminals) and control characters as ``visible`` writes
    them."""
    return visible(data.decode("utf-8", "backslashreplace"))
