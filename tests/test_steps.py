"""Step definitions: the pytest-bdd-like decorators, parsers, and the registry's matching rule."""

from __future__ import annotations

import functools
import re as regex
import sys
import textwrap
from inspect import signature
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_holdout import given, parsers, step, then, when
from pytest_holdout.errors import HoldoutError
from pytest_holdout.scenarios.parsing import parse_feature
from pytest_holdout.steps.registry import (
    AmbiguousStepError,
    JudgeSpec,
    StepDefinition,
    StepRegistry,
    UndefinedStepError,
)


def registry(*functions: Any) -> StepRegistry:
    return StepRegistry.from_namespaces(
        [SimpleNamespace(**{f"f{i}": f for i, f in enumerate(functions)})]
    )


def definitions(func: Any) -> list[StepDefinition]:
    return func.__holdout_steps__


class TestDecorators:
    def test_return_the_function_unchanged_and_mark_it(self) -> None:
        def pay() -> str:
            return "paid"

        marked = when("I pay", target_fixture="receipt")(pay)
        assert marked is pay
        assert pay() == "paid"
        (definition,) = definitions(pay)
        assert definition.func is pay
        assert definition.kind == "when"
        assert definition.parser.name == "I pay"
        assert definition.target_fixture == "receipt"
        assert definition.judged is None

    def test_a_function_can_carry_several(self) -> None:
        @given("a shop")
        @step(parsers.parse("a shop called {name}"))
        def shop(name: str = "") -> None: ...

        assert [(d.kind, d.parser.name) for d in definitions(shop)] == [
            (None, "a shop called {name}"),
            ("given", "a shop"),
        ]

    def test_location_points_at_the_function(self) -> None:
        @then("it is done")
        def done() -> None: ...

        path, line = definitions(done)[0].location.rsplit(":", 1)
        assert path.endswith("test_steps.py")
        with open(__file__, encoding="utf-8") as source:
            written = source.readlines()[int(line) - 1].strip()
        assert written == '@then("it is done")'

    def test_judged_then_steps_carry_their_rubric(self) -> None:
        @then.judged(parsers.parse("the reply would satisfy {who}"), rubric="polite and correct")
        def reply(who: str) -> str:
            return "evidence"

        (definition,) = definitions(reply)
        assert definition.kind == "then"
        assert definition.judged == JudgeSpec(rubric="polite and correct")
        match = registry(reply).match("then", "the reply would satisfy the requester")
        assert match.definition.judged is not None
        assert match.arguments == {"who": "the requester"}

    def test_judged_without_rubric(self) -> None:
        @then.judged("the summary is faithful")
        def summary() -> None: ...

        assert definitions(summary)[0].judged == JudgeSpec(rubric=None)

    @pytest.mark.parametrize(
        "pattern",
        [parsers.parse("with {datatable}"), parsers.re(r"with (?P<docstring>.*)")],
        ids=["parse", "re"],
    )
    def test_patterns_may_not_capture_reserved_names(self, pattern: parsers.StepParser) -> None:
        with pytest.raises(ValueError, match="reserved"):
            given(pattern)


class TestParsers:
    def test_a_plain_string_matches_exactly(self) -> None:
        @given("a shop")
        def shop() -> None: ...

        steps = registry(shop)
        assert steps.match("given", "a shop").arguments == {}
        for text in ("a shop ", "A shop", "a shop selling tea"):
            with pytest.raises(UndefinedStepError):
                steps.match("given", text)

    def test_parse_captures_typed_arguments_and_ignores_case_like_pytest_bdd(self) -> None:
        @when(parsers.parse("I add {count:d} {item}"))
        def add(count: int, item: str) -> None: ...

        steps = registry(add)
        assert steps.match("when", "I add 3 apples").arguments == {"count": 3, "item": "apples"}
        assert steps.match("when", "i ADD 3 apples").arguments == {"count": 3, "item": "apples"}
        with pytest.raises(UndefinedStepError):
            steps.match("when", "I add three apples")

    def test_parse_extra_types(self) -> None:
        @given(parsers.parse("the colour is {colour:Colour}", extra_types={"Colour": str.upper}))
        def colour(colour: str) -> None: ...

        assert registry(colour).match("given", "the colour is red").arguments == {"colour": "RED"}

    def test_cfparse_cardinality_fields(self) -> None:
        def word(text: str) -> str:
            return text

        word.pattern = r"\w+"  # type: ignore[attr-defined]

        @given(parsers.cfparse("users {names:Word+} exist", extra_types={"Word": word}))
        def users(names: list[str]) -> None: ...

        match = registry(users).match("given", "users ada, bob, cy exist")
        assert match.arguments == {"names": ["ada", "bob", "cy"]}

    def test_re_must_match_the_whole_step(self) -> None:
        @then(parsers.re(r"the total is (?P<total>\d+) EUR"))
        def total(total: str) -> None: ...

        steps = registry(total)
        assert steps.match("then", "the total is 30 EUR").arguments == {"total": "30"}
        with pytest.raises(UndefinedStepError):
            steps.match("then", "the total is 30 EUR and more")

    def test_re_flags(self) -> None:
        @then(parsers.re(r"THE TOTAL IS (?P<total>\d+)", flags=regex.IGNORECASE))
        def total(total: str) -> None: ...

        assert registry(total).match("then", "the total is 7").arguments == {"total": "7"}

    def test_converters_convert_captured_arguments(self) -> None:
        @when(
            parsers.re(r"I pay (?P<amount>[\d.]+) (?P<currency>\w+)"), converters={"amount": float}
        )
        def pay(amount: float, currency: str) -> None: ...

        match = registry(pay).match("when", "I pay 2.50 EUR")
        assert match.arguments == {"amount": 2.5, "currency": "EUR"}

    def test_converted_values_are_fresh_for_every_match(self) -> None:
        @given(parsers.parse("the list {items}"), converters={"items": lambda s: s.split(",")})
        def items(items: list[str]) -> None: ...

        steps = registry(items)
        first = steps.match("given", "the list a,b").arguments["items"]
        first.append("mutated")
        assert steps.match("given", "the list a,b").arguments["items"] == ["a", "b"]

    def test_a_custom_parser_without_a_prefix_is_tried_on_every_step(self) -> None:
        class Reversed(parsers.StepParser):
            def parse_arguments(self, text: str) -> dict[str, Any] | None:
                return {"word": text[::-1]} if text.startswith("olleh") else None

        @given(Reversed("reversed"))
        def backwards(word: str) -> None: ...

        assert registry(backwards).match("given", "olleh there").arguments == {
            "word": "ereht hello"
        }

    @pytest.mark.parametrize(
        ("parser", "prefix", "words"),
        [
            (parsers.string("a shop"), "a shop", {"a", "shop"}),
            (parsers.parse("I add {n:d} apples"), "I add ", {"i", "add", "apples"}),
            (parsers.parse("braces {{like}} {this}"), "braces {like} ", {"braces", "{like}"}),
            (parsers.parse("{who} pays {n}EUR"), "", {"pays"}),
            (parsers.re(r"I add (?P<n>\d+)"), "I add ", {"I", "add"}),
            (parsers.re(r"^I add (?P<n>\d+) apples$"), "I add ", {"I", "add", "apples"}),
            (parsers.re(r"the colou?r is (?P<c>\w+)"), "the colo", {"the", "is"}),
            (parsers.re(r"\$(?P<n>\d+) \(net\)"), "$", {"(net)"}),
            (parsers.re(r"I \w+ it"), "I ", {"I", "it"}),
            (parsers.re(r"I \x41dd it"), "I ", {"I", "it"}),
            (parsers.re(r"I \N{LATIN SMALL LETTER A}dd it"), "I ", {"I", "it"}),
            (parsers.re(r"I (add|remove) (?P<n>\d+) now"), "I ", {"I", "now"}),
            (parsers.re(r"I add|I remove"), "", set()),
            (parsers.re(r"I [|x)] (?P<n>\d+) y"), "I ", {"I", "y"}),
            (parsers.re(r"I []|] y|z"), "", set()),
            (parsers.re(r"I a{2,3}h now"), "I ", {"I", "now"}),
            (parsers.re(r"I a*?h now"), "I ", {"I", "now"}),
            (parsers.re(r"I$ now"), "I", {"now"}),
            (parsers.re(r"(?i)I add"), "", set()),
            (parsers.re(r"I add (?P<n>\d+)", flags=regex.IGNORECASE), "I add ", {"i", "add"}),
            (parsers.re(r"I  add  (?P<n>\d+)", flags=regex.VERBOSE), "", set()),
        ],
    )
    def test_literal_prefix_and_words(
        self, parser: parsers.StepParser, prefix: str, words: set[str]
    ) -> None:
        assert parser.prefix == prefix
        assert parser.words == words

    @pytest.mark.parametrize(
        "parser",
        [
            parsers.re(r"the colou?r is (?P<c>\w+)"),
            parsers.re(r"I (add|remove) (?P<n>\d+)"),
            parsers.re(r"I add|I remove \d"),
            parsers.re(r"\$(?P<n>\d+)"),
            parsers.re(r"ab*c"),
            parsers.re(r"I \x41dd it"),
            parsers.re(r"the (?P<x>.*)cat is here"),
            parsers.parse("I add {n:d} apples"),
            parsers.parse("{who} pays {n}EUR"),
        ],
    )
    @pytest.mark.parametrize(
        "text",
        [
            "the color is red",
            "the colour is red",
            "I add 4",
            "I remove 4",
            "I add",
            "$12",
            "ac",
            "abbc",
            "i add 3 apples",
            "I add 3 apples",
            "I Add it",
            "the black cat is here",
            "the tomcat is here",
            "ada pays 3EUR",
        ],
    )
    def test_every_matching_text_has_the_prefix_and_words(
        self, parser: parsers.StepParser, text: str
    ) -> None:
        # The registry only tries a pattern on texts that contain its words: a word too many
        # would hide real matches.
        if parser.is_matching(text):
            fold = str.lower if parser.ignore_case else str
            assert fold(text).startswith(fold(parser.prefix))
            assert parser.words <= set(fold(text).split())


class TestMatchingRule:
    def test_kinds_are_kept_apart(self) -> None:
        @given("the door is open")
        def door() -> None: ...

        steps = registry(door)
        assert steps.match("given", "the door is open").definition.func is door
        with pytest.raises(UndefinedStepError):
            steps.match("then", "the door is open")

    def test_step_matches_every_kind(self) -> None:
        @step("the door is open")
        def door() -> None: ...

        steps = registry(door)
        for kind in ("given", "when", "then"):
            assert steps.match(kind, "the door is open").definition.func is door

    def test_an_exact_string_beats_a_pattern(self) -> None:
        @when("I add 0 apples")
        def nothing() -> None: ...

        @when(parsers.parse("I add {n:d} apples"))
        def add(n: int) -> None: ...

        steps = registry(add, nothing)
        assert steps.match("when", "I add 0 apples").definition.func is nothing
        assert steps.match("when", "I add 5 apples").definition.func is add

    def test_an_exact_step_beats_a_kind_specific_pattern(self) -> None:
        @step("I add 0 apples")
        def nothing() -> None: ...

        @when(parsers.parse("I add {n:d} apples"))
        def add(n: int) -> None: ...

        assert registry(add, nothing).match("when", "I add 0 apples").definition.func is nothing

    def test_a_kind_specific_definition_beats_step(self) -> None:
        @step(parsers.parse("the total is {n:d}"))
        def any_total(n: int) -> None: ...

        @then(parsers.parse("the total is {n:d}"))
        def then_total(n: int) -> None: ...

        steps = registry(any_total, then_total)
        assert steps.match("then", "the total is 3").definition.func is then_total
        assert steps.match("given", "the total is 3").definition.func is any_total

    def test_two_patterns_on_the_same_footing_are_ambiguous(self) -> None:
        @when(parsers.parse("I add {n:d} apples"))
        def by_parse(n: int) -> None: ...

        @when(parsers.re(r"I add (?P<n>\d+) apples"))
        def by_re(n: str) -> None: ...

        with pytest.raises(AmbiguousStepError) as caught:
            registry(by_parse, by_re).match("when", "I add 3 apples")
        assert str(caught.value) == "2 step definitions match"
        assert {d.func for d in caught.value.definitions} == {by_parse, by_re}
        assert isinstance(caught.value, HoldoutError)

    def test_two_identical_strings_are_ambiguous(self) -> None:
        @given("a shop")
        def one() -> None: ...

        @given("a shop")
        def other() -> None: ...

        with pytest.raises(AmbiguousStepError, match=r"^2 step definitions match$"):
            registry(one, other).match("given", "a shop")

    def test_ambiguity_is_reported_every_time(self) -> None:
        @step("a shop")
        def one() -> None: ...

        @step("a shop")
        def other() -> None: ...

        steps = registry(one, other)
        for _ in range(2):
            with pytest.raises(AmbiguousStepError):
                steps.match("given", "a shop")

    def test_an_undefined_step_never_quotes_the_step(self) -> None:
        with pytest.raises(UndefinedStepError) as caught:
            registry().match("given", "SECRET-7f3 text")
        assert str(caught.value) == "no step definition matches"
        assert "SECRET" not in repr(caught.value)

    def test_a_match_repr_does_not_show_the_arguments(self) -> None:
        @given(parsers.parse("a customer {name}"))
        def customer(name: str) -> None: ...

        assert "SECRET" not in repr(registry(customer).match("given", "a customer SECRET-7f3"))


class TestNamespaces:
    def test_a_function_imported_into_two_namespaces_counts_once(self) -> None:
        @given("a shop")
        def shop() -> None: ...

        steps_module = SimpleNamespace(shop=shop, unrelated=42, helper=len)
        conftest = SimpleNamespace(shop=shop, shop_again=shop)
        steps = StepRegistry.from_namespaces([steps_module, conftest])
        assert [d.func for d in steps.definitions] == [shop]
        assert steps.match("given", "a shop").definition.func is shop

    def test_a_wrapped_step_function_counts_once(self) -> None:
        @given("a shop")
        def shop() -> None: ...

        @functools.wraps(shop)
        def logged() -> None:
            shop()

        steps = StepRegistry.from_namespaces([SimpleNamespace(shop=shop, logged=logged)])
        assert steps.match("given", "a shop").definition.func is shop

    def test_modules_are_scanned(self) -> None:
        steps = StepRegistry.from_namespaces([sys.modules[__name__]])
        assert steps.match("when", "a module-level step runs").definition.func is module_level_step


@when("a module-level step runs")
def module_level_step() -> None: ...


class CountingParse(parsers.parse):
    """Counts every use of the parser: trying a step, and parsing its arguments."""

    calls = 0

    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        CountingParse.calls += 1
        return super().parse_arguments(text)

    def is_matching(self, text: str) -> bool:
        CountingParse.calls += 1
        return super().is_matching(text)


class CountingRe(parsers.re):
    calls = 0

    def parse_arguments(self, text: str) -> dict[str, Any] | None:
        CountingRe.calls += 1
        return super().parse_arguments(text)


def parser_calls_to_match(unrelated: int) -> int:
    """How many times parsers run to match one step among ``unrelated`` other definitions."""
    functions = []
    for number in range(unrelated):

        @when(CountingParse(f"unrelated step n{number} takes {{n:d}}"))
        @when(CountingParse(f"I add {{n:d}} pears{number}"))  # same start, other words
        @when(CountingRe(rf"another{number} (?P<n>\d+)"))
        @when(f"exact step {number}")
        def other(n: int = 0) -> None: ...

        functions.append(other)

    @when(CountingParse("I add {n:d} apples"))
    def add(n: int) -> None: ...

    steps = registry(*functions, add)
    CountingParse.calls = CountingRe.calls = 0
    assert steps.match("when", "I add 3 apples").arguments == {"n": 3}
    return CountingParse.calls + CountingRe.calls


def test_matching_work_does_not_grow_with_unrelated_definitions() -> None:
    assert parser_calls_to_match(1000) == parser_calls_to_match(1)


def test_a_step_text_is_resolved_once() -> None:
    @when(CountingParse("I add {n:d} apples"))
    def add(n: int) -> None: ...

    @when(CountingParse("I add {n:d} pears"))
    def pears(n: int) -> None: ...

    steps = registry(add, pears)
    CountingParse.calls = 0
    steps.match("when", "I add 3 apples")
    first = CountingParse.calls
    CountingParse.calls = 0
    steps.match("when", "I add 3 apples")
    assert CountingParse.calls < first
    assert CountingParse.calls == 1  # only the winner, to build fresh arguments


DOC = Path(__file__).parents[1] / "docs" / "scenarios.md"


def documented(language: str, section: str = "") -> list[str]:
    """The ``language`` code blocks of docs/scenarios.md, in the part under the heading
    ``section`` (up to the next heading of its level), or in the whole page."""
    text = DOC.read_text(encoding="utf-8")
    if section:
        start = text.index(section)
        level = section.split(" ", 1)[0]
        end = text.find(f"\n{level} ", start + len(section))
        text = text[start : end if end != -1 else len(text)]
    blocks = regex.findall(rf"^( *)```{language}\n(.*?)^\1```", text, flags=regex.M | regex.S)
    return [textwrap.dedent(block) for _, block in blocks]


def test_the_documented_check_prints_what_the_doc_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "refunds.feature").write_text(documented("gherkin")[0], encoding="utf-8")
    (tmp_path / "refunds.yaml").write_text(documented("yaml")[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    example = documented("python", "### Checking a file")[0]
    exec(example, {})
    printed = capsys.readouterr().out.splitlines()
    promised = regex.findall(r"^# (refunds\..*)$", example, flags=regex.M)
    assert printed[:3] == [*promised, "S-example: malformed scenario at line 4"]


def test_the_documented_steps_run_the_documented_feature() -> None:
    namespace: dict[str, Any] = {}
    for block in documented("python", "## Step definitions"):
        exec(block, namespace)
    steps = StepRegistry.from_namespaces([SimpleNamespace(**namespace)])
    gherkin, yaml_form, french = (
        parse_feature(text.encode(), "S-doc")
        for text in [*documented("gherkin")[:1], *documented("yaml")[:1], documented("gherkin")[1]]
    )
    assert french.language == "fr"
    for feature in (gherkin, yaml_form):
        for scenario in feature.scenarios:
            published: dict[str, Any] = {}
            for one_step in scenario.steps:
                match = steps.match(one_step.kind, one_step.text)
                given_values = {
                    **published,
                    "datatable": [list(row) for row in one_step.datatable or ()],
                    "docstring": one_step.docstring,
                    **match.arguments,
                }
                func = match.definition.func
                result = func(**{name: given_values[name] for name in signature(func).parameters})
                if match.definition.target_fixture:
                    published[match.definition.target_fixture] = result
