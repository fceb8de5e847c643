"""Step definitions: the ``given``/``when``/``then``/``step`` decorators and the registry that
finds the one definition matching a step.

The decorators only mark functions (``func.__holdout_steps__``); there is no global registry.
The plugin scans the namespaces it trusts (conftest modules, the ``steps`` modules named in
``[tool.holdout]``) with ``StepRegistry.from_namespaces``.

Matching rule, when several definitions match one step:

1. an exact string beats a pattern (``parsers.parse``, ``cfparse``, ``re`` or a custom parser);
2. then a kind-specific definition (``given``/``when``/``then``) beats ``step``;
3. two definitions left on the same footing are ambiguous: the step fails, nothing is guessed.

Unlike pytest-bdd there is no "last definition wins": holdout scenarios are not tied to a
directory, so every definition the plugin found is visible to every scenario.
"""

from __future__ import annotations

import inspect
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pytest_holdout.errors import HoldoutError
from pytest_holdout.scenarios.model import StepKind
from pytest_holdout.steps.parsers import StepParser, get_parser, string

F = TypeVar("F", bound=Callable[..., Any])
Converters = dict[str, Callable[[Any], Any]]

#: Arguments the step function receives from the step itself, as in pytest-bdd: a pattern may
#: not capture arguments of these names.
RESERVED_ARGUMENTS = frozenset({"datatable", "docstring"})


class UndefinedStepError(HoldoutError):
    """No step definition matches a step (the message never quotes the step)."""

    def __init__(self) -> None:
        super().__init__("no step definition matches")


class AmbiguousStepError(HoldoutError):
    """Several step definitions match a step on the same footing."""

    def __init__(self, definitions: tuple[StepDefinition, ...]) -> None:
        super().__init__(f"{len(definitions)} step definitions match")
        # Where they are is kept apart from the message: which definitions a hidden scenario
        # reaches says something about the scenario, so it belongs in the sealed report.
        self.definitions = definitions


@dataclass(frozen=True)
class JudgeSpec:
    """Marks a Then step whose outcome a model judges; the plugin asks the model."""

    rubric: str | None = None


@dataclass(frozen=True, eq=False)
class StepDefinition:
    func: Callable[..., Any]
    kind: StepKind | None  # None: ``@step``, matches steps of any kind
    parser: StepParser
    converters: Converters = field(default_factory=dict)
    target_fixture: str | None = None
    location: str = ""  # "path/to/module.py:LINE" of the function
    judged: JudgeSpec | None = None

    @property
    def is_exact(self) -> bool:
        return isinstance(self.parser, string)


@dataclass(frozen=True)
class StepMatch:
    definition: StepDefinition
    # Parsed from the step's (secret) text, then converted: kept out of the repr, which can
    # reach tracebacks and --showlocals.
    arguments: dict[str, Any] = field(repr=False)


class _StepDecorator:
    def __init__(self, kind: StepKind | None) -> None:
        self.kind = kind

    def __call__(
        self,
        name: str | StepParser,
        converters: Converters | None = None,
        target_fixture: str | None = None,
    ) -> Callable[[F], F]:
        return self._marker(name, converters, target_fixture, judged=None)

    def _marker(
        self,
        name: str | StepParser,
        converters: Converters | None,
        target_fixture: str | None,
        judged: JudgeSpec | None,
    ) -> Callable[[F], F]:
        parser = get_parser(name)
        reserved = RESERVED_ARGUMENTS.intersection(parser.argument_names() or ())
        if reserved:
            raise ValueError(
                f"step pattern {parser.name!r} captures reserved argument names {sorted(reserved)}"
            )

        def mark(func: F) -> F:
            definition = StepDefinition(
                func=func,
                kind=self.kind,
                parser=parser,
                converters=dict(converters or {}),
                target_fixture=target_fixture,
                location=_location(func),
                judged=judged,
            )
            steps = func.__dict__.setdefault("__holdout_steps__", [])
            steps.append(definition)
            return func

        return mark


class _ThenDecorator(_StepDecorator):
    def judged(
        self,
        name: str | StepParser,
        rubric: str | None = None,
        converters: Converters | None = None,
        target_fixture: str | None = None,
    ) -> Callable[[F], F]:
        """A Then step a model judges; the function may return extra evidence (str/dict/None)."""
        return self._marker(name, converters, target_fixture, judged=JudgeSpec(rubric=rubric))


given = _StepDecorator("given")
when = _StepDecorator("when")
then = _ThenDecorator("then")
step = _StepDecorator(None)


class StepRegistry:
    """Every step definition found, indexed so that matching a step barely depends on how many
    definitions there are (see ``_KindIndex``), and each (kind, text) resolved once."""

    def __init__(self, definitions: Iterable[StepDefinition]) -> None:
        self.definitions = tuple(definitions)
        self._position = {definition: n for n, definition in enumerate(self.definitions)}
        by_kind: dict[StepKind | None, list[StepDefinition]] = {}
        for definition in self.definitions:
            by_kind.setdefault(definition.kind, []).append(definition)
        self._indexes = {kind: _KindIndex(group) for kind, group in by_kind.items()}
        self._resolved: dict[tuple[StepKind, str], tuple[StepDefinition, ...]] = {}

    @classmethod
    def from_namespaces(cls, namespaces: Iterable[object]) -> StepRegistry:
        """Collect the marked functions of modules or plugin objects. Each definition counts
        once, however many namespaces its function was imported into (or wrapped and re-exported
        under: ``functools.wraps`` copies the marks)."""
        found: dict[int, StepDefinition] = {}
        for namespace in namespaces:
            for value in list(getattr(namespace, "__dict__", {}).values()):
                marks = getattr(value, "__holdout_steps__", None)
                if isinstance(marks, list):  # a list only: mocks answer any attribute name
                    found.update((id(definition), definition) for definition in marks)
        return cls(found.values())

    def match(self, kind: StepKind, text: str) -> StepMatch:
        key = (kind, text)
        winners = self._resolved.get(key)
        if winners is None:
            winners = self._resolved[key] = self._resolve(kind, text)
        if not winners:
            raise UndefinedStepError()
        if len(winners) > 1:
            raise AmbiguousStepError(winners)
        (definition,) = winners
        # Parse again rather than cache values: converters may build mutable objects, and no two
        # scenarios should share them.
        arguments = definition.parser.parse_arguments(text) or {}
        for name, convert in definition.converters.items():
            if name in arguments:
                arguments[name] = convert(arguments[name])
        return StepMatch(definition, arguments)

    def _resolve(self, kind: StepKind, text: str) -> tuple[StepDefinition, ...]:
        """The best-placed matching definitions (see the module's matching rule)."""
        specific = self._indexes.get(kind, _NO_DEFINITIONS)
        generic = self._indexes.get(None, _NO_DEFINITIONS)
        tiers = (
            specific.exact_matches(text),
            generic.exact_matches(text),
            specific.pattern_matches(text),
            generic.pattern_matches(text),
        )
        for tier in tiers:
            matches = sorted(tier, key=self._position.__getitem__)
            if matches:
                return tuple(matches)
        return ()


WordKey = tuple[bool, str]  # (compared case-insensitively?, the word)


class _KindIndex:
    """The definitions of one kind.

    Exact strings are found by their text. Each pattern is filed under the rarest of the words
    every step it matches contains (see ``StepParser.words``); a step is then tried only against
    the patterns filed under one of its own words, and the few that have no such word at all.
    """

    def __init__(self, definitions: Iterable[StepDefinition] = ()) -> None:
        self.exact: dict[str, list[StepDefinition]] = {}
        patterns: list[tuple[StepDefinition, list[WordKey]]] = []
        for definition in definitions:
            parser = definition.parser
            if definition.is_exact:
                self.exact.setdefault(parser.name, []).append(definition)
            else:
                patterns.append((definition, [(parser.ignore_case, w) for w in parser.words]))
        frequency = Counter(key for _, keys in patterns for key in keys)
        self.by_word: dict[WordKey, list[StepDefinition]] = {}
        self.unfiled: list[StepDefinition] = []
        for definition, keys in patterns:
            if keys:
                rarest = min(keys, key=lambda key: (frequency[key], key))
                self.by_word.setdefault(rarest, []).append(definition)
            else:
                self.unfiled.append(definition)

    def exact_matches(self, text: str) -> list[StepDefinition]:
        return self.exact.get(text, [])

    def pattern_matches(self, text: str) -> Iterator[StepDefinition]:
        words = text.split()
        keys = {(False, word) for word in words} | {(True, word.lower()) for word in words}
        for key in keys:
            for definition in self.by_word.get(key, ()):
                if definition.parser.is_matching(text):
                    yield definition
        for definition in self.unfiled:
            if definition.parser.is_matching(text):
                yield definition


_NO_DEFINITIONS = _KindIndex()


def _location(func: Callable[..., Any]) -> str:
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:  # a callable object: no source line to point at
        return repr(func)
    path = code.co_filename
    root = os.getcwd() + os.sep
    return f"{path.removeprefix(root)}:{code.co_firstlineno}"
