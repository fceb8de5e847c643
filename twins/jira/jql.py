"""A subset of JQL: the clauses and ordering most integrations use, with Jira's error messages.

Clauses: ``project``, ``status``, ``assignee``, ``reporter``, ``issuetype``, ``priority``,
``key`` (``issuekey``), ``labels`` with ``=``, ``!=``, ``in``, ``not in``, ``is [not] EMPTY``;
``text``, ``summary``, ``description``, ``comment`` with ``~`` and ``!~``; ``AND``, ``OR``,
``NOT`` and parentheses; ``currentUser()``; ``ORDER BY created|updated|key|priority [ASC|DESC]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from holdout_twins.jira import adf
from holdout_twins.jira.state import Issue, Site

Predicate = Callable[[Issue], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|!~|>=|<=|=|~|>|<|\(|\)|,)
      | (?P<word>[^\s=!~<>(),"']+)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
_TEXT_FIELDS = {"text", "summary", "description", "comment"}
_VALUE_FIELDS = {
    "project",
    "status",
    "assignee",
    "reporter",
    "issuetype",
    "type",
    "priority",
    "key",
    "issuekey",
    "labels",
}
_ORDER_FIELDS = {"created", "updated", "key", "priority"}


class JqlError(Exception):
    """A query Jira would refuse, with Jira's message (answered as HTTP 400)."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "op", "word" or "end"
    text: str
    position: int  # 1-based character position, as Jira reports it

    @property
    def keyword(self) -> str | None:
        lowered = self.text.lower()
        return lowered if self.kind == "word" and lowered in _KEYWORDS else None


@dataclass(frozen=True)
class Query:
    """A parsed query: ``matches(issue)`` and ``sort(issues)``."""

    matches: Predicate
    order: tuple[tuple[str, bool], ...]  # (field, descending)
    bounded: bool  # whether it restricts the issues at all (the enhanced search insists)

    def run(self, site: Site) -> list[Issue]:
        found = [issue for issue in site.issues.values() if self.matches(issue)]
        if not self.order:  # Jira's default: the newest issue first
            return sorted(found, key=lambda issue: int(issue.id), reverse=True)
        found.sort(key=lambda issue: int(issue.id))  # ties keep creation order
        for name, descending in reversed(self.order):
            found.sort(
                key=lambda issue, name=name: _sort_key(site, issue, name), reverse=descending
            )
        return found


def parse(text: str, site: Site, viewer: str | None) -> Query:
    """``text`` as a query over ``site`` for the user ``viewer`` (``currentUser()``)."""
    return _Parser(_tokenize(text), site, viewer).query()


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while text[position:].strip():
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            character = text[position:].lstrip()[:1]
            raise JqlError(
                f"Error in the JQL Query: The character '{character}' is a reserved JQL "
                "character. You must enclose it in a string or use the escape "
                f"'\\u{ord(character):04x}' instead. (line 1, character {position + 1})"
            )
        kind = found.lastgroup or "word"
        value = found.group(kind)
        start = found.start(kind) + 1
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(_Token(kind, value, start))
        position = found.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token], site: Site, viewer: str | None) -> None:
        self.tokens = tokens
        self.index = 0
        self.site = site
        self.viewer = viewer

    # --- tokens -----------------------------------------------------------------------------------
    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def accept(self, keyword: str) -> bool:
        token = self.current
        if token.keyword == keyword or (token.kind == "op" and token.text == keyword):
            self.advance()
            return True
        return False

    def fail(self, expecting: str) -> JqlError:
        token = self.current
        got = "end of query" if token.kind == "end" else f"'{token.text}'"
        return JqlError(
            f"Error in the JQL Query: Expecting {expecting} but got {got}. "
            f"(line 1, character {token.position})"
        )

    # --- grammar ----------------------------------------------------------------------------------
    def query(self) -> Query:
        matches: Predicate = lambda issue: True  # noqa: E731 - an empty query matches everything
        bounded = self.current.kind != "end" and self.current.keyword != "order"
        if bounded:
            matches = self.or_clause()
        order: list[tuple[str, bool]] = []
        if self.accept("order"):
            if not self.accept("by"):
                raise self.fail("'by'")
            order.append(self.order_field())
            while self.accept(","):
                order.append(self.order_field())
        if self.current.kind != "end":
            raise self.fail("either 'OR' or 'AND'")
        return Query(matches, tuple(order), bounded)

    def order_field(self) -> tuple[str, bool]:
        token = self.advance()
        name = token.text.lower()
        if token.kind not in ("word", "string") or token.keyword:
            self.index -= 1
            raise self.fail("a field name")
        if name not in _ORDER_FIELDS:
            raise JqlError(f"Not able to sort using field '{token.text}'.")
        descending = False
        if self.accept("desc"):
            descending = True
        else:
            self.accept("asc")
        return name, descending

    def or_clause(self) -> Predicate:
        parts = [self.and_clause()]
        while self.accept("or"):
            parts.append(self.and_clause())
        return parts[0] if len(parts) == 1 else lambda issue: any(p(issue) for p in parts)

    def and_clause(self) -> Predicate:
        parts = [self.not_clause()]
        while self.accept("and"):
            parts.append(self.not_clause())
        return parts[0] if len(parts) == 1 else lambda issue: all(p(issue) for p in parts)

    def not_clause(self) -> Predicate:
        if self.accept("not"):
            inner = self.not_clause()
            return lambda issue: not inner(issue)
        if self.accept("("):
            inner = self.or_clause()
            if not self.accept(")"):
                raise self.fail("')'")
            return inner
        return self.condition()

    def condition(self) -> Predicate:
        token = self.current
        if token.kind not in ("word", "string") or token.keyword:
            raise self.fail("a field name")
        self.advance()
        name = token.text.lower()
        if name not in _TEXT_FIELDS and name not in _VALUE_FIELDS:
            raise JqlError(
                f"Field '{token.text}' does not exist or you do not have permission to view it."
            )
        operator = self.operator()
        if name in _TEXT_FIELDS:
            return self.text_condition(name, operator)
        return self.value_condition(name, operator)

    def operator(self) -> str:
        token = self.current
        if token.kind == "op" and token.text in ("=", "!=", "~", "!~", ">", "<", ">=", "<="):
            self.advance()
            return token.text
        if self.accept("in"):
            return "in"
        if self.accept("not"):
            if not self.accept("in"):
                raise self.fail("'IN'")
            return "not in"
        if self.accept("is"):
            return "is not" if self.accept("not") else "is"
        raise self.fail("operator")

    def text_condition(self, name: str, operator: str) -> Predicate:
        if operator not in ("~", "!~"):
            raise JqlError(f"The operator '{operator}' is not supported by the '{name}' field.")
        wanted = self.value()
        if wanted is None:
            raise self.fail("a string")
        terms = [term for term in re.split(r"[^\w*]+", wanted.lower()) if term]
        if not terms:
            raise JqlError(f"The field '{name}' does not support searching for an empty string.")

        def contains(issue: Issue) -> bool:
            words = _words(_text_of(issue, name))
            return all(_term_matches(term, words) for term in terms)

        return contains if operator == "~" else lambda issue: not contains(issue)

    def value_condition(self, name: str, operator: str) -> Predicate:
        field = {"type": "issuetype", "issuekey": "key"}.get(name, name)
        if operator in ("~", "!~", ">", "<", ">=", "<="):
            raise JqlError(f"The operator '{operator}' is not supported by the '{name}' field.")
        if operator in ("is", "is not"):
            if not (self.accept("empty") or self.accept("null")):
                raise self.fail("'EMPTY'")
            empty = lambda issue: _values_of(issue, field) == set()  # noqa: E731
            return empty if operator == "is" else lambda issue: not empty(issue)
        if operator in ("in", "not in"):
            values = self.value_list()
        else:
            single = self.value()
            if single is None:
                empty = lambda issue: _values_of(issue, field) == set()  # noqa: E731
                return empty if operator == "=" else lambda issue: not empty(issue)
            values = [single]
        wanted = set().union(*(self.resolve(name, field, value) for value in values))
        if operator in ("=", "in"):
            return lambda issue: bool(_values_of(issue, field) & wanted)
        # As in Jira, != and NOT IN never match an empty field: use "OR x is EMPTY" for that.
        return lambda issue: (
            bool(_values_of(issue, field)) and not _values_of(issue, field) & wanted
        )

    def value(self) -> str | None:
        """A string or word value; None for EMPTY/NULL; ``currentUser()`` as the viewer."""
        token = self.current
        if token.keyword in ("empty", "null"):
            self.advance()
            return None
        if token.kind not in ("word", "string") or (token.kind == "word" and token.keyword):
            raise self.fail("either a value, 'EMPTY' or a function")
        self.advance()
        if token.kind == "word" and self.accept("("):
            if not self.accept(")"):
                raise self.fail("')'")
            if token.text.lower() != "currentuser":
                raise JqlError(f"Unable to find JQL function '{token.text}()'.")
            return self.viewer or ""
        return token.text

    def value_list(self) -> list[str]:
        if not self.accept("("):
            raise self.fail("'('")
        values: list[str] = []
        while True:
            value = self.value()
            if value is not None:
                values.append(value)
            if self.accept(")"):
                return values
            if not self.accept(","):
                raise self.fail("either ',' or ')'")

    def resolve(self, name: str, field: str, value: str) -> set[str]:
        """The stored ids a value names; Jira refuses values that name nothing."""
        site = self.site
        found: Any
        if field == "project":
            found = site.project_by_name(value)
            ids = {found.id} if found else set()
        elif field == "status":
            found = site.status(value)
            ids = {found.id} if found else set()
        elif field in ("assignee", "reporter"):
            ids = {user.account_id for user in site.users.values() if user.matches(value)}
        elif field == "issuetype":
            ids = {
                t.id for t in site.issue_types.values() if value.lower() in (t.id, t.name.lower())
            }
        elif field == "priority":
            ids = {
                p.id for p in site.priorities.values() if value.lower() in (p.id, p.name.lower())
            }
        elif field == "key":
            issue = site.issue(value)
            if issue is None and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+", value):
                raise JqlError(
                    f"An issue with key '{value.upper()}' does not exist for field '{name}'."
                )
            ids = {issue.id} if issue else set()
        else:  # labels: any value is fine
            ids = {value}
        if not ids and field != "key":
            raise JqlError(f"The value '{value}' does not exist for the field '{name}'.")
        return ids


def _values_of(issue: Issue, field: str) -> set[str]:
    if field == "labels":
        return set(issue.labels)
    value = {
        "project": issue.project,
        "status": issue.status,
        "assignee": issue.assignee,
        "reporter": issue.reporter,
        "issuetype": issue.issue_type,
        "priority": issue.priority,
        "key": issue.id,
    }[field]
    return set() if value is None else {value}


def _text_of(issue: Issue, field: str) -> str:
    summary = issue.summary
    description = adf.to_text(issue.description) if issue.description else ""
    comments = " ".join(adf.to_text(comment.body) for comment in issue.comments)
    return {
        "summary": summary,
        "description": description,
        "comment": comments,
        "text": f"{summary} {description} {comments}",
    }[field]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _term_matches(term: str, words: Iterable[str]) -> bool:
    """Jira's text search matches whole words, with simple stemming ("fail" finds "failing");
    a trailing ``*`` is a prefix wildcard."""
    if term.endswith("*"):
        stem = term.rstrip("*")
        return any(word.startswith(stem) for word in words)
    return any(word == term or (len(term) >= 3 and word.startswith(term)) for word in words)


def _sort_key(site: Site, issue: Issue, name: str) -> Any:
    if name == "created":
        return issue.created
    if name == "updated":
        return issue.updated
    if name == "priority":  # by rank in the site's list: Highest first
        return list(site.priorities).index(issue.priority)
    project = site.projects[issue.project]
    return (project.key, issue.number)
