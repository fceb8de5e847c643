"""Drive's search language (``files.list``'s ``q``), the subset the twin understands.

Terms: ``name`` (``=``, ``!=``, ``contains``), ``mimeType`` (``=``, ``!=``), ``fullText
contains``, ``trashed`` and ``starred`` (``=``, ``!=`` with ``true``/``false``), ``createdTime``
and ``modifiedTime`` (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` with an RFC 3339 time),
``'ID' in parents`` (``'root'`` is the caller's My Drive), ``'EMAIL' in owners``, ``writers``
or ``readers`` (``'me'`` is the caller), and ``sharedWithMe``; joined with ``and``, ``or``,
``not`` and parentheses. Anything else is Drive's 400 "Invalid Value" for ``q``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone

from holdout_twins.core import ServiceError
from holdout_twins.google.errors import google_error
from holdout_twins.google.state import ROLES, DriveFile, Workspace

Predicate = Callable[[DriveFile], bool]
_TOKEN = re.compile(r"\s*('(?:[^'\\]|\\.)*'|<=|>=|!=|[=<>()]|[A-Za-z_][A-Za-z0-9_]*)")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_COLLECTIONS = {"owners": "owner", "writers": "writer", "readers": "reader"}


def invalid() -> ServiceError:
    return google_error(400, "invalid", "Invalid Value", location="q")


class Query:
    """One ``q``, parsed, for one caller: ``Query(q, email, workspace).matches(file)``."""

    def __init__(self, q: str, email: str, workspace: Workspace) -> None:
        self.email, self.workspace = email.lower(), workspace
        self._tokens = _tokens(q)
        self._position = 0
        self.matches: Predicate = self._or() if self._tokens else (lambda file: True)
        if self._position != len(self._tokens):
            raise invalid()

    # --- grammar: or > and > not > term -----------------------------------------------------------
    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._accept("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda file: any(part(file) for part in parts))

    def _and(self) -> Predicate:
        parts = [self._not()]
        while self._accept("and"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda file: all(part(file) for part in parts))

    def _not(self) -> Predicate:
        if self._accept("not"):
            inner = self._not()
            return lambda file: not inner(file)
        if self._accept("("):
            inner = self._or()
            self._expect(")")
            return inner
        return self._term()

    def _term(self) -> Predicate:
        first = self._next()
        if first.startswith("'"):
            self._expect("in")
            return self._membership(_unquote(first), self._next())
        if first == "sharedWithMe":
            return lambda file: file.owner != self.email and self._role(file) is not None
        operator = self._next()
        if first in ("name", "mimeType", "fullText") and operator in ("=", "!=", "contains"):
            return self._text(first, operator, _unquote(self._string()))
        if first in ("trashed", "starred") and operator in ("=", "!="):
            return self._flag(first, operator, self._next())
        if first in ("createdTime", "modifiedTime") and operator in _COMPARE:
            return self._time(first, operator, _time(self._string()))
        raise invalid()

    # --- terms ------------------------------------------------------------------------------------
    def _text(self, field: str, operator: str, value: str) -> Predicate:
        if field == "fullText":
            if operator != "contains":
                raise invalid()
            wanted = value.casefold()
            return lambda file: wanted in _full_text(file).casefold()
        if operator == "contains":
            if field != "name":
                raise invalid()
            return lambda file: _word_prefix(file.name, value)

        def equal(file: DriveFile) -> bool:
            return (file.name if field == "name" else file.mime_type) == value

        return equal if operator == "=" else (lambda file: not equal(file))

    def _flag(self, field: str, operator: str, literal: str) -> Predicate:
        if literal not in ("true", "false"):
            raise invalid()
        wanted = (literal == "true") == (operator == "=")
        if field == "trashed":
            return lambda file: self.workspace.trashed(file) == wanted
        return lambda file: file.starred == wanted

    def _time(self, field: str, operator: str, moment: float) -> Predicate:
        compare = _COMPARE[operator]
        if field == "createdTime":
            return lambda file: compare(file.created, moment)
        return lambda file: compare(file.modified, moment)

    def _membership(self, value: str, collection: str) -> Predicate:
        if collection == "parents":
            user = self.workspace.user(self.email)
            folder = user.root_id if value == "root" and user else value
            return lambda file: folder in file.parents
        if collection not in _COLLECTIONS:
            raise invalid()
        email = self.email if value == "me" else value.lower()
        needed = ROLES.index(_COLLECTIONS[collection])

        def member(file: DriveFile) -> bool:
            role = self.workspace.role(file, email)
            return role is not None and ROLES.index(role) >= needed

        return member

    def _role(self, file: DriveFile) -> str | None:
        return self.workspace.role(file, self.email, listing=True)

    # --- tokens -----------------------------------------------------------------------------------
    def _next(self) -> str:
        if self._position >= len(self._tokens):
            raise invalid()
        self._position += 1
        return self._tokens[self._position - 1]

    def _accept(self, word: str) -> bool:
        if self._position < len(self._tokens) and self._tokens[self._position] == word:
            self._position += 1
            return True
        return False

    def _expect(self, word: str) -> None:
        if not self._accept(word):
            raise invalid()

    def _string(self) -> str:
        token = self._next()
        if not token.startswith("'"):
            raise invalid()
        return token


def _tokens(q: str) -> list[str]:
    tokens, position = [], 0
    while q[position:].strip():
        found = _TOKEN.match(q, position)
        if found is None:
            raise invalid()
        tokens.append(found.group(1))
        position = found.end()
    return tokens


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _time(token: str) -> float:
    text = _unquote(token).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid() from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # Drive reads times without a zone as UTC
    return moment.timestamp()


def _word_prefix(name: str, prefix: str) -> bool:
    """Drive's ``name contains``: the name, or one of its words, starts with ``prefix``
    (ignoring case): "Hello World" contains "Wor", "HelloWorld" does not."""
    name, prefix = name.casefold(), prefix.casefold()
    starts = [0] + [index + 1 for index, char in enumerate(name) if not char.isalnum()]
    return any(name.startswith(prefix, start) for start in starts)


def _full_text(file: DriveFile) -> str:
    parts = [file.name, file.description or ""]
    if file.document is not None:
        parts.append(file.document.text())
    elif file.has_content and file.mime_type.startswith("text/"):
        parts.append(file.content.decode("utf-8", "replace"))
    return "\n".join(parts)
