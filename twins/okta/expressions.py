"""Okta's filter and search expressions (SCIM style): ``profile.login eq "a@b.c" and (...)``.

``parse`` turns an expression into a predicate over a resource as the API shows it (a dict), so
``profile.lastName sw "Sm"`` reads ``resource["profile"]["lastName"]``. Each list operation
allows its own subset: ``filter`` only a few properties and operators, ``search`` many more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')
_ATTRIBUTE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
OPERATORS = frozenset({"eq", "sw", "co", "gt", "ge", "lt", "le", "pr"})
_LITERALS = {"true": True, "false": False, "null": None}


class ExpressionError(ValueError):
    """An expression that does not parse, or uses what the operation does not support."""


@dataclass(frozen=True)
class Dialect:
    """What one list operation accepts.

    ``operators`` maps an attribute to the operators allowed on it; the key ``"*"`` covers every
    attribute not listed (absent: only the listed attributes may be used). ``ignore_case``: string
    values compare case-insensitively (``search``), or exactly (``filter``).
    """

    operators: Mapping[str, frozenset[str]]
    ignore_case: bool

    def allowed(self, attribute: str) -> frozenset[str]:
        return self.operators.get(attribute, self.operators.get("*", frozenset()))


@dataclass
class _Token:
    kind: str  # "(", ")", "string" or "word"
    text: str


def _tokens(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    position, end = 0, len(expression.rstrip())
    while position < end:
        found = _TOKEN.match(expression, position)
        if found is None:
            raise ExpressionError(f"cannot read the expression at character {position}")
        opening, closing, string, word = found.groups()
        if opening:
            tokens.append(_Token("(", opening))
        elif closing:
            tokens.append(_Token(")", closing))
        elif string is not None:
            tokens.append(_Token("string", re.sub(r"\\(.)", r"\1", string)))
        else:
            tokens.append(_Token("word", word))
        position = found.end()
    return tokens


def _lookup(resource: Mapping[str, Any], attribute: str) -> Any:
    value: Any = resource
    for part in attribute.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _compare(operator: str, actual: Any, expected: Any, ignore_case: bool) -> bool:
    if isinstance(actual, list):  # an array matches when any element does
        return any(_compare(operator, item, expected, ignore_case) for item in actual)
    if actual is None or expected is None:
        return operator == "eq" and actual is expected
    if isinstance(actual, str) and isinstance(expected, str):
        if ignore_case:
            actual, expected = actual.lower(), expected.lower()
    elif type(actual) is not type(expected):
        return False
    if operator == "eq":
        return bool(actual == expected)
    if operator in ("sw", "co"):
        if not isinstance(actual, str):
            return False
        return actual.startswith(expected) if operator == "sw" else expected in actual
    try:
        return {
            "gt": actual > expected,
            "ge": actual >= expected,
            "lt": actual < expected,
            "le": actual <= expected,
        }[operator]
    except TypeError:
        return False


class _Parser:
    def __init__(self, expression: str, dialect: Dialect) -> None:
        self.tokens = _tokens(expression)
        self.position = 0
        self.dialect = dialect

    def parse(self) -> Predicate:
        if not self.tokens:
            raise ExpressionError("the expression is empty")
        predicate = self._or()
        if self.position < len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.position].text!r}")
        return predicate

    def _peek_word(self, *words: str) -> bool:
        if self.position >= len(self.tokens):
            return False
        token = self.tokens[self.position]
        return token.kind == "word" and token.text.lower() in words

    def _next(self) -> _Token:
        if self.position >= len(self.tokens):
            raise ExpressionError("the expression ends too early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek_word("or"):
            self.position += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda item: any(part(item) for part in parts)

    def _and(self) -> Predicate:
        parts = [self._factor()]
        while self._peek_word("and"):
            self.position += 1
            parts.append(self._factor())
        return parts[0] if len(parts) == 1 else lambda item: all(part(item) for part in parts)

    def _factor(self) -> Predicate:
        token = self._next()
        if token.kind == "(":
            inner = self._or()
            if self._next().kind != ")":
                raise ExpressionError("a parenthesis is not closed")
            return inner
        if token.kind != "word" or not _ATTRIBUTE.fullmatch(token.text):
            raise ExpressionError(f"expected a property name, found {token.text!r}")
        attribute = token.text
        operator = self._next().text.lower()
        if operator not in OPERATORS:
            raise ExpressionError(f"unknown operator {operator!r}")
        if operator not in self.dialect.allowed(attribute):
            raise ExpressionError(f"{operator!r} is not supported on {attribute!r}")
        if operator == "pr":
            return lambda item: _lookup(item, attribute) is not None
        expected = self._value()
        ignore_case = self.dialect.ignore_case
        return lambda item: _compare(operator, _lookup(item, attribute), expected, ignore_case)

    def _value(self) -> Any:
        token = self._next()
        if token.kind == "string":
            return token.text
        if token.kind == "word":
            if token.text.lower() in _LITERALS:
                return _LITERALS[token.text.lower()]
            try:
                return float(token.text) if "." in token.text else int(token.text)
            except ValueError:
                pass
        raise ExpressionError(f"expected a value, found {token.text!r}")


def parse(expression: str, dialect: Dialect) -> Predicate:
    """A predicate for ``expression``, or ``ExpressionError`` if ``dialect`` does not accept it."""
    return _Parser(expression, dialect).parse()
