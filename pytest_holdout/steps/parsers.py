"""Step text parsers: how a step definition's pattern matches a step and captures its arguments.

The surface is pytest-bdd's (``string``, ``parse``, ``cfparse``, ``re``), so step modules move over
by changing an import. Each parser also describes what every step it matches must contain: its
``skeleton``, the pattern's literal text with ``ANY`` wherever a capture (or anything else that is
not literal) stands. From it come the literal ``prefix`` and the whole ``words`` every matching
step contains, by which the step registry indexes definitions, so that matching a step tries only
the few definitions that could match instead of all of them.
"""

from __future__ import annotations

import re as base_re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

import parse as base_parse
from parse_type import cfparse as base_cfparse

#: Stands in a skeleton for text the pattern does not fix (a capture, a character class ...).
ANY = "\x00"
_REGEX_QUANTIFIERS = frozenset("*+?{")
_REGEX_FLAGS = frozenset("aiLmsux-")

ExtraTypes = dict[str, Callable[[str], Any]]  # parse's custom field types, by name


class StepParser(ABC):
    """Matches step texts against one pattern.

    Subclass it for a custom parser: implement ``parse_arguments``. The default skeleton says
    nothing about the text, which is always correct but means the parser is tried on every step
    of its kind; set ``skeleton`` (and ``ignore_case``) to let the registry skip it.
    """

    #: The pattern's literal text, with ANY wherever the step's text may vary.
    skeleton: str = ANY
    #: Whether the literal text is compared case-insensitively (parse patterns ignore case).
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

    @property
    def prefix(self) -> str:
        """The literal text every matching step starts with ("" when there is none)."""
        return self.skeleton.split(ANY, 1)[0]

    @property
    def words(self) -> frozenset[str]:
        """Words (split on whitespace) every matching step contains whole; lower case when the
        parser ignores case. A word touching a non-literal part may continue into it: left out."""
        skeleton = self.skeleton.lower() if self.ignore_case else self.skeleton
        return frozenset(word for word in skeleton.split() if ANY not in word)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class string(StepParser):  # lower case, as in pytest-bdd
    """Matches one step text exactly, captures nothing."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.skeleton = name

    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        return {} if text == self.name else None

    def argument_names(self) -> Iterable[str]:
        return ()


class parse(StepParser):  # lower case, as in pytest-bdd
    """A ``parse`` format such as ``"I add {count:d} apples"``; like parse, it ignores case."""

    def __init__(self, name: str, extra_types: ExtraTypes | None = None) -> None:
        super().__init__(name)
        self.parser = self._compile(name, extra_types or {})
        self.skeleton = _format_skeleton(name)
        self.ignore_case = True  # parse's default, kept for pytest-bdd compatibility

    def _compile(self, name: str, extra_types: ExtraTypes) -> base_parse.Parser:
        return base_parse.compile(name, extra_types=extra_types)

    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        result = self.parser.parse(text)
        return None if result is None else dict(result.named)

    def is_matching(self, text: str) -> bool:
        # Without converting the fields: matching is decided by the pattern alone.
        return self.parser.parse(text, evaluate_result=False) is not None

    def argument_names(self) -> Iterable[str]:
        return self.parser.named_fields


class cfparse(parse):  # lower case, as in pytest-bdd
    """A ``parse_type`` format, adding cardinality fields such as ``{names:Name+}``."""

    def _compile(self, name: str, extra_types: ExtraTypes) -> base_parse.Parser:
        return base_cfparse.Parser(name, extra_types)


class re(StepParser):  # lower case, as in pytest-bdd
    """A regular expression that must match the whole step; named groups are the arguments."""

    def __init__(self, name: str, flags: int = 0) -> None:
        super().__init__(name)
        self.regex = base_re.compile(name, flags)
        # Verbose patterns ignore whitespace and comments, so their text is not literal.
        self.skeleton = ANY if flags & base_re.VERBOSE else _regex_skeleton(name)
        self.ignore_case = bool(flags & base_re.IGNORECASE)

    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        match = self.regex.fullmatch(text)
        return None if match is None else match.groupdict()

    def argument_names(self) -> Iterable[str]:
        return self.regex.groupindex


def get_parser(name: str | StepParser) -> StepParser:
    """A plain string means an exact match, as in pytest-bdd."""
    return name if isinstance(name, StepParser) else string(name)


def _format_skeleton(fmt: str) -> str:
    """A parse format's literal text, each field replaced by ANY (``{{`` and ``}}`` are braces)."""
    skeleton: list[str] = []
    position = 0
    while position < len(fmt):
        pair = fmt[position : position + 2]
        if pair in ("{{", "}}"):
            skeleton.append(pair[0])
            position += 2
        elif fmt[position] == "{":
            skeleton.append(ANY)
            position = fmt.find("}", position) + 1 or len(fmt)
        else:
            skeleton.append(fmt[position])
            position += 1
    return "".join(skeleton)


def _regex_skeleton(pattern: str) -> str:
    """A conservative skeleton of a regular expression: wherever in doubt, ANY.

    Only characters at the top level count as literal (escaped punctuation too); a group, a
    class, an escape such as ``\\d`` or a quantified character becomes ANY. A top-level
    alternation, or flags set inside the pattern, leave nothing known at all.
    """
    if pattern.startswith("(?") and pattern[2:3] in _REGEX_FLAGS:
        return ANY
    skeleton: list[str] = []
    position = 1 if pattern.startswith("^") else 0  # fullmatch makes the anchors redundant
    end = (
        len(pattern) - 1 if pattern.endswith("$") and not pattern.endswith("\\$") else len(pattern)
    )
    while position < end:
        char = pattern[position]
        if char == "|":
            return ANY
        if char in _REGEX_QUANTIFIERS:  # the atom before may repeat or vanish
            if skeleton:
                skeleton[-1] = ANY
            position = _after_quantifier(pattern, position)
            continue
        if char == "\\":
            escaped = pattern[position + 1 : position + 2]
            if escaped and not escaped.isalnum():
                skeleton.append(escaped)
                position += 2
                continue
            skeleton.append(ANY)
            position = _after_escape(pattern, position)
        elif char == "(":
            skeleton.append(ANY)
            position = _after_group(pattern, position)
        elif char == "[":
            skeleton.append(ANY)
            position = _after_class(pattern, position)
        elif char in ".^$":  # any character; anchors (zero-width) are kept as ANY for safety
            skeleton.append(ANY)
            position += 1
        else:
            skeleton.append(char)
            position += 1
    return "".join(skeleton)


def _after_quantifier(pattern: str, position: int) -> int:
    if pattern[position] == "{":
        close = pattern.find("}", position)
        return close + 1 if close != -1 else position + 1
    return position + 1


def _after_escape(pattern: str, position: int) -> int:
    """Past ``\\d``, ``\\x41``, ``\\N{...}``, ``\\12``: the escape and any letters or digits
    after it (over-long is safe: they are covered by the ANY put in their place)."""
    position += 2
    if pattern[position - 1] == "N" and pattern[position : position + 1] == "{":
        position = pattern.find("}", position) + 1 or len(pattern)
    while position < len(pattern) and pattern[position].isalnum():
        position += 1
    return position


def _after_group(pattern: str, position: int) -> int:
    depth = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            position += 2
            continue
        if char == "[":
            position = _after_class(pattern, position)
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        position += 1
        if depth == 0:
            break
    return position


def _after_class(pattern: str, position: int) -> int:
    position += 1
    # A "]" first in a class ("[]a]", "[^]a]") is a literal, not the end of the class.
    if pattern.startswith("^", position):
        position += 1
    if pattern.startswith("]", position):
        position += 1
    while position < len(pattern) and pattern[position] != "]":
        position += 2 if pattern[position] == "\\" else 1
    return position + 1
