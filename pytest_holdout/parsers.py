"""Step text parsers: how a step definition's pattern matches a step and captures its arguments.

The surface is pytest-bdd's (``string``, ``parse``, ``cfparse``, ``re``), so step modules move over
by changing an import. Each parser also states the literal text every step it matches must start
with (``prefix``): the step registry indexes definitions by it, so matching a step tries only the
few definitions that could possibly match instead of all of them.
"""

from __future__ import annotations

import re as base_re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

import parse as base_parse
from parse_type import cfparse as base_cfparse

# A regular expression's literal prefix ends at the first of these (unescaped) characters.
_REGEX_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_REGEX_QUANTIFIERS = frozenset("*+?{")

ExtraTypes = dict[str, Callable[[str], Any]]  # parse's custom field types, by name


class StepParser(ABC):
    """Matches step texts against one pattern.

    Subclass it for a custom parser: implement ``parse_arguments``. The default ``prefix`` is
    empty, which is always correct but means the parser is tried on every step of its kind.
    """

    #: Literal text every matching step starts with ("" when there is none).
    prefix: str = ""
    #: Whether ``prefix`` is compared case-insensitively (parse patterns ignore case by default).
    ignore_case: bool = False

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        """The named arguments captured from ``text``, or None when it does not match."""

    def is_matching(self, text: str) -> bool:
        return self.parse_arguments(text) is not None

    def argument_names(self) -> Iterable[str] | None:
        """The names this parser can capture, or None when it cannot tell in advance."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class string(StepParser):  # lower case, as in pytest-bdd
    """Matches one step text exactly, captures nothing."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.prefix = name

    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        return {} if text == self.name else None

    def argument_names(self) -> Iterable[str]:
        return ()


class parse(StepParser):  # lower case, as in pytest-bdd
    """A ``parse`` format such as ``"I add {count:d} apples"``; like parse, it ignores case."""

    def __init__(self, name: str, extra_types: ExtraTypes | None = None) -> None:
        super().__init__(name)
        self.parser = self._compile(name, extra_types or {})
        self.prefix = _format_prefix(name)
        self.ignore_case = True  # parse's default, kept for pytest-bdd compatibility

    def _compile(
        self, name: str, extra_types: dict[str, Callable[[str], Any]]
    ) -> base_parse.Parser:
        return base_parse.compile(name, extra_types=extra_types)

    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        result = self.parser.parse(text)
        return None if result is None else dict(result.named)

    def argument_names(self) -> Iterable[str]:
        return self.parser.named_fields


class cfparse(parse):  # lower case, as in pytest-bdd
    """A ``parse_type`` format, adding cardinality fields such as ``{names:Name+}``."""

    def _compile(
        self, name: str, extra_types: dict[str, Callable[[str], Any]]
    ) -> base_parse.Parser:
        return base_cfparse.Parser(name, extra_types)


class re(StepParser):  # lower case, as in pytest-bdd
    """A regular expression that must match the whole step; named groups are the arguments."""

    def __init__(self, name: str, flags: int = 0) -> None:
        super().__init__(name)
        self.regex = base_re.compile(name, flags)
        # Verbose patterns ignore whitespace and comments, so their text is not literal.
        self.prefix = "" if flags & base_re.VERBOSE else _regex_prefix(name)
        self.ignore_case = bool(flags & base_re.IGNORECASE)

    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        match = self.regex.fullmatch(text)
        return None if match is None else match.groupdict()

    def argument_names(self) -> Iterable[str]:
        return self.regex.groupindex


def get_parser(name: str | StepParser) -> StepParser:
    """A plain string means an exact match, as in pytest-bdd."""
    return name if isinstance(name, StepParser) else string(name)


def _format_prefix(fmt: str) -> str:
    """The literal text before a parse format's first field (``{{`` and ``}}`` are braces)."""
    prefix: list[str] = []
    position = 0
    while position < len(fmt):
        pair = fmt[position : position + 2]
        if pair in ("{{", "}}"):
            prefix.append(pair[0])
            position += 2
        elif fmt[position] == "{":
            break
        else:
            prefix.append(fmt[position])
            position += 1
    return "".join(prefix)


def _regex_prefix(pattern: str) -> str:
    """The literal text every full match of ``pattern`` starts with; conservative: may be short.

    Escaped punctuation counts as literal; a character followed by a quantifier does not (it may
    repeat or vanish); a top-level alternation means there is no common prefix at all.
    """
    if _has_top_level_alternation(pattern):
        return ""
    prefix: list[str] = []
    position = 1 if pattern.startswith("^") else 0  # fullmatch makes a leading anchor redundant
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            escaped = pattern[position + 1 : position + 2]
            if not escaped or escaped.isalnum():  # \d, \w, \b, \1 ...: not a literal character
                break
            char, width = escaped, 2
        elif char in _REGEX_SPECIAL:
            break
        else:
            width = 1
        if pattern[position + width : position + width + 1] in _REGEX_QUANTIFIERS:
            break
        prefix.append(char)
        position += width
    return "".join(prefix)


def _has_top_level_alternation(pattern: str) -> bool:
    depth = 0
    in_class = False
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            position += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # A "]" first in a class ("[]a]", "[^]a]") is a literal, not the end of the class.
            position += 2 if pattern.startswith("^]", position + 1) else 0
            position += 1 if pattern.startswith("]", position + 1) else 0
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        position += 1
    return False
