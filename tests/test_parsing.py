"""parse_feature: both forms of the scenario language, and errors that never quote a scenario."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest
from gherkin.dialect import DIALECTS

from pytest_holdout.errors import SecretBearingError
from pytest_holdout.scenarios.model import Feature, Scenario, Step
from pytest_holdout.scenarios.parsing import ScenarioSyntaxError, parse_feature
from pytest_holdout.scenarios.yaml_form import FEATURE_KEYS

FILE_ID = "S-3f9a2c7d41b0"

REFUNDS_GHERKIN = """\
# A comment before everything
@billing @eu
Feature: Refunds
  Customers get their money back.
  Within limits.

  Background:
    Given a shop selling tea
    # a comment between steps
    And a customer "ada"

  Scenario: Full refund
    Given a paid order of 30 EUR
    When the customer asks for a refund
    Then the order is refunded
    But no fee is charged

  Rule: Partial refunds need a reason
    Background:
      Given the refund desk is open

    @partial
    Scenario Outline: Partial refund of <amount>
      Given a paid order of 30 EUR
      When the customer asks for <amount> EUR back
        | reason   | amount   |
        | broken   | <amount> |
      Then the reply says
        \"\"\"
        Refunded <amount> EUR.
        \"\"\"
      * the ledger balances

      @small
      Examples: small amounts
        | amount |
        | 5      |
        | 10     |

      @large
      Examples:
        | amount |
        | 25     |
"""

REFUNDS_YAML = """\
# The same feature, in the YAML form.
tags: [billing, "@eu"]
feature: Refunds
description: |
  Customers get their money back.
  Within limits.
background:
  - given: a shop selling tea
  - and: a customer "ada"
scenarios:
  - scenario: Full refund
    steps:
      - given: a paid order of 30 EUR
      - when: the customer asks for a refund
      - then: the order is refunded
      - but: no fee is charged
rules:
  - rule: Partial refunds need a reason
    background:
      - given: the refund desk is open
    scenarios:
      - scenario: Partial refund of <amount>
        tags: [partial]
        steps:
          - given: a paid order of 30 EUR
          - when: the customer asks for <amount> EUR back
            datatable:
              - [reason, amount]
              - [broken, <amount>]
          - then: the reply says
            docstring: |
              Refunded <amount> EUR.
          - "*": the ledger balances
        examples:
          - name: small amounts
            tags: [small]
            table:
              - [amount]
              - [5]
              - [10]
          - tags: [large]
            table:
              - [amount]
              - [25]
"""


def parse(text: str) -> Feature:
    return parse_feature(text.encode(), FILE_ID)


def syntax_error(text: str | bytes) -> ScenarioSyntaxError:
    data = text if isinstance(text, bytes) else text.encode()
    with pytest.raises(ScenarioSyntaxError) as caught:
        parse_feature(data, FILE_ID)
    return caught.value


def without_lines(feature: Feature) -> Feature:
    """Line numbers point into each file, so two forms of one feature differ only there."""
    return dataclasses.replace(
        feature,
        scenarios=tuple(
            dataclasses.replace(
                scenario,
                line=0,
                steps=tuple(dataclasses.replace(step, line=0) for step in scenario.steps),
            )
            for scenario in feature.scenarios
        ),
    )


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the first occurrence of ``marker``."""
    return text[: text.index(marker)].count("\n") + 1


def texts(scenario: Scenario) -> list[tuple[str, str, str]]:
    return [(step.keyword, step.kind, step.text) for step in scenario.steps]


class TestGherkin:
    def test_feature_header(self) -> None:
        feature = parse(REFUNDS_GHERKIN)
        assert feature.file_id == FILE_ID
        assert feature.name == "Refunds"
        assert feature.language == "en"
        assert feature.description == "Customers get their money back.\nWithin limits."
        assert feature.tags == {"billing", "eu"}

    def test_outline_rows_become_scenarios_numbered_in_file_order(self) -> None:
        feature = parse(REFUNDS_GHERKIN)
        assert [(s.index, s.name) for s in feature.scenarios] == [
            (1, "Full refund"),
            (2, "Partial refund of 5"),
            (3, "Partial refund of 10"),
            (4, "Partial refund of 25"),
        ]
        assert [s.item_id for s in feature.scenarios][-1] == f"{FILE_ID}-4"
        assert [s.examples for s in feature.scenarios] == [
            None,
            {"amount": "5"},
            {"amount": "10"},
            {"amount": "25"},
        ]
        # An Outline row's line is the row's own, so each expanded scenario can be found.
        assert [s.line for s in feature.scenarios] == [
            line_of(REFUNDS_GHERKIN, marker)
            for marker in ("Scenario: Full refund", "| 5 ", "| 10 ", "| 25 ")
        ]

    def test_backgrounds_are_prepended_feature_first_then_rule(self) -> None:
        plain, partial, *_ = parse(REFUNDS_GHERKIN).scenarios
        assert plain.background_steps == 2
        assert texts(plain)[:3] == [
            ("Given", "given", "a shop selling tea"),
            ("And", "given", 'a customer "ada"'),
            ("Given", "given", "a paid order of 30 EUR"),
        ]
        assert partial.background_steps == 3
        assert [step.text for step in partial.steps[:3]] == [
            "a shop selling tea",
            'a customer "ada"',
            "the refund desk is open",
        ]
        assert partial.rule == "Partial refunds need a reason"
        assert plain.rule is None

    def test_and_but_and_star_continue_the_previous_kind(self) -> None:
        plain, partial, *_ = parse(REFUNDS_GHERKIN).scenarios
        assert [(s.keyword, s.kind) for s in plain.steps[2:]] == [
            ("Given", "given"),
            ("When", "when"),
            ("Then", "then"),
            ("But", "then"),
        ]
        assert (partial.steps[-1].keyword, partial.steps[-1].kind) == ("*", "then")

    def test_a_leading_star_is_a_given(self) -> None:
        feature = parse("Feature: F\n  Scenario: S\n    * something\n    Then done\n")
        assert [step.kind for step in feature.scenarios[0].steps] == ["given", "then"]

    def test_tags_are_the_union_of_feature_rule_scenario_and_examples(self) -> None:
        plain, small, _, large = parse(REFUNDS_GHERKIN).scenarios
        assert plain.tags == {"billing", "eu"}
        assert small.tags == {"billing", "eu", "partial", "small"}
        assert large.tags == {"billing", "eu", "partial", "large"}

    def test_placeholders_are_substituted_in_text_tables_and_doc_strings(self) -> None:
        small = parse(REFUNDS_GHERKIN).scenarios[1]
        ask, reply = small.steps[4], small.steps[5]
        assert ask.text == "the customer asks for 5 EUR back"
        assert ask.datatable == (("reason", "amount"), ("broken", "5"))
        assert ask.docstring is None
        assert reply.docstring == "Refunded 5 EUR."
        assert reply.datatable is None

    def test_rule_tags_reach_its_scenarios(self) -> None:
        feature = parse(
            "Feature: F\n  @r\n  Rule: R\n    Scenario: S\n      Given x\n"
            "  Rule: Untagged\n    Scenario: T\n      Given y\n"
        )
        assert [s.tags for s in feature.scenarios] == [{"r"}, frozenset()]

    def test_a_rule_background_does_not_leak_into_the_next_rule(self) -> None:
        feature = parse(
            "Feature: F\n  Rule: A\n    Background:\n      Given a\n    Scenario: S\n"
            "      Given x\n  Rule: B\n    Scenario: T\n      Given y\n"
        )
        assert [s.background_steps for s in feature.scenarios] == [1, 0]

    def test_a_value_is_not_substituted_again(self) -> None:
        feature = parse(
            "Feature: F\n  Scenario Outline: S\n    Given <a> and <b>\n"
            "    Examples:\n      | a   | b |\n      | <b> | 2 |\n"
        )
        assert feature.scenarios[0].steps[0].text == "<b> and 2"

    def test_unknown_placeholders_stay_as_written(self) -> None:
        feature = parse(
            "Feature: F\n  Scenario Outline: S\n    Given <a> and <nope>\n"
            "    Examples:\n      | a |\n      | 1 |\n"
        )
        assert feature.scenarios[0].steps[0].text == "1 and <nope>"

    def test_other_spoken_languages(self) -> None:
        feature = parse(
            textwrap.dedent("""\
                # language: fr
                @paiement
                Fonctionnalité: Remboursements
                  Contexte:
                    Soit une boutique
                  Plan du scénario: Remboursement de <montant>
                    Étant donné une commande payée
                    Et un client
                    Quand le client demande <montant> EUR
                    Alors la commande est remboursée
                    Mais aucun frais n'est prélevé
                    Exemples:
                      | montant |
                      | 5       |
                """)
        )
        assert feature.language == "fr"
        assert feature.name == "Remboursements"
        assert feature.tags == {"paiement"}
        (scenario,) = feature.scenarios
        assert scenario.name == "Remboursement de 5"
        assert [(s.keyword, s.kind) for s in scenario.steps] == [
            ("Soit", "given"),
            ("Étant donné", "given"),
            ("Et", "given"),
            ("Quand", "when"),
            ("Alors", "then"),
            ("Mais", "then"),
        ]
        assert scenario.steps[3].text == "le client demande 5 EUR"

    def test_windows_line_endings_and_a_byte_order_mark(self) -> None:
        unix = parse(REFUNDS_GHERKIN)
        windows = parse_feature(
            b"\xef\xbb\xbf" + REFUNDS_GHERKIN.replace("\n", "\r\n").encode(), FILE_ID
        )
        assert windows == unix

    def test_keyword_synonyms_and_backtick_doc_strings(self) -> None:
        feature = parse(
            "Feature: F\n"
            "  Example: a plain scenario\n"
            "    Given x\n"
            "      ```json\n"
            '      {"a": 1}\n'
            "      ```\n"
            "  Scenario Template: <n>\n"
            "    Given y\n"
            "    Scenarios:\n"
            "      | n |\n"
            "      | 1 |\n"
        )
        plain, template = feature.scenarios
        assert plain.steps[0].docstring == '{"a": 1}'
        assert (template.name, template.examples) == ("1", {"n": "1"})

    def test_a_step_with_both_a_table_and_a_doc_string(self) -> None:
        feature = parse(
            "Feature: F\n  Scenario: S\n    Given x\n"
            '      | a |\n      """\n      text\n      """\n'
        )
        step = feature.scenarios[0].steps[0]
        assert (step.datatable, step.docstring) == ((("a",),), "text")

    def test_scenario_description(self) -> None:
        feature = parse("Feature: F\n  Scenario: S\n    Why it matters.\n\n    Given x\n")
        assert feature.scenarios[0].description == "Why it matters."


class TestYaml:
    def test_means_the_same_as_gherkin(self) -> None:
        assert without_lines(parse(REFUNDS_YAML)) == without_lines(parse(REFUNDS_GHERKIN))

    def test_lines_point_into_the_yaml_file(self) -> None:
        plain, small, *_ = parse(REFUNDS_YAML).scenarios
        assert plain.line == line_of(REFUNDS_YAML, "- scenario: Full refund")
        assert plain.steps[2].line == line_of(REFUNDS_YAML, "- given: a paid order")
        assert small.line == line_of(REFUNDS_YAML, "- [5]")

    def test_scalars_keep_the_text_as_written(self) -> None:
        feature = parse(
            "feature: F\nscenarios:\n  - scenario: S\n    steps:\n      - given: x\n"
            "        datatable:\n          - [3.10, yes, ~, 007]\n"
        )
        assert feature.scenarios[0].steps[0].datatable == (("3.10", "yes", "", "007"),)

    def test_language_is_recorded(self) -> None:
        feature = parse(
            "language: fr\nfeature: F\nscenarios:\n  - scenario: S\n    steps:\n      - given: x\n"
        )
        assert feature.language == "fr"

    def test_no_feature_keyword_could_be_mistaken_for_a_yaml_key(self) -> None:
        # Recognising the form relies on this; a new Gherkin language must not break it.
        keywords = {kw for dialect in DIALECTS.values() for kw in dialect["feature"]}
        assert not keywords & FEATURE_KEYS


def assert_safe(error: ScenarioSyntaxError, line: int, reason: str = "") -> None:
    """The public message names the id, the line and, for a refusal that quotes nothing of the
    file (a control character, a limit), why."""
    expected = f"{FILE_ID}: malformed scenario at line {line}"
    assert str(error) == (f"{expected}: {reason}" if reason else expected)
    assert error.args == (str(error),)
    assert error.__cause__ is None
    assert error.__context__ is None
    assert isinstance(error, SecretBearingError)
    assert error.detail


class TestErrors:
    @pytest.mark.parametrize(
        ("text", "line"),
        [
            ("Feature: F\n  Scenario: S\n    Given x\n  SECRET-7f3 stray text\n", 4),
            ("Feature: F\n  Scenario: S\n    Given x\n      | a | b |\n      | SECRET-7f3 |\n", 5),
            ("# language: xx-SECRET\nFeature: F\n  Scenario: S\n    Given x\n", 1),
        ],
        ids=["stray text", "inconsistent table", "unknown language"],
    )
    def test_gherkin_errors_name_the_id_and_line_only(self, text: str, line: int) -> None:
        error = syntax_error(text)
        assert_safe(error, line)
        assert "SECRET" not in repr(error)

    def test_the_detail_quotes_the_offending_text_for_the_sealed_report(self) -> None:
        error = syntax_error("Feature: F\n  Scenario: S\n    Given x\n  SECRET-7f3 stray text\n")
        assert "SECRET-7f3" in error.detail
        assert "SECRET-7f3" not in str(error)

    @pytest.mark.parametrize(
        ("text", "line"),
        [
            ("feature: F\nscenarios:\n  - scenario: S\n    steps: [\n  SECRET-7f3: ]\n", 5),
            ("feature: F\nscenaros: SECRET-7f3\n", 2),
            (
                "feature: F\nscenarios:\n  - scenario: S\n    steps:\n      - when: SECRET-7f3\n"
                "        then: both\n",
                5,
            ),
            (
                "feature: F\nscenarios:\n  - scenario: S\n    steps:\n      - given: x\n"
                "        datatable:\n          - [a, b]\n          - [SECRET-7f3]\n",
                7,
            ),
            ("- SECRET-7f3\n", 1),
            ("SECRET-7f3 is not a feature\n", 1),
            ("feature: F\nfeature: SECRET-7f3\n", 2),
        ],
        ids=[
            "bad yaml",
            "unknown key",
            "two keywords in a step",
            "inconsistent table",
            "not a mapping",
            "neither form",
            "repeated key",
        ],
    )
    def test_yaml_errors_name_the_id_and_line_only(self, text: str, line: int) -> None:
        error = syntax_error(text)
        assert_safe(error, line)
        assert "SECRET-7f3" not in repr(error)

    def test_aliases_cannot_expand_into_a_huge_file(self) -> None:
        lines = ["feature: F", "l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 9)]
        # l5 is the first to stand for more than 200,000 nodes
        reason = "more YAML nodes once expanded than the yaml_nodes limit (200,000; "
        reason += "HOLDOUT_LIMITS raises it)"
        assert_safe(syntax_error("\n".join(lines) + "\n"), 7, reason)

    def test_an_alias_cannot_contain_itself(self) -> None:
        text = "feature: F\nscenarios: &s\n  - scenario: S\n    steps: *s\n"
        assert_safe(syntax_error(text), 2)  # the anchor's line

    def test_yaml_nested_too_deeply(self) -> None:
        assert_safe(syntax_error("[" * 1000 + "]" * 1000), 1)

    def test_a_yaml_tag_is_one_word(self) -> None:
        text = "feature: F\ntags: [two words]\nscenarios:\n  - scenario: S\n    steps: [given: x]\n"
        assert_safe(syntax_error(text), 2)

    @pytest.mark.parametrize(
        "text",
        [
            "stray text\nFeature: F\n  Scenario: S\n    Given x\n",
            "# a comment\n\nSECRET-7f3: stray\n@tag\nFeature: F\n  Scenario: S\n    Given x\n",
        ],
        ids=["plain", "after a comment, before tags"],
    )
    def test_a_stray_line_before_the_feature_line_is_gherkins_error(self, text: str) -> None:
        # Read as YAML, the error named the Feature line (or one after it); Gherkin names the
        # stray line, which is what its author must fix.
        line = line_of(text, "stray")
        error = syntax_error(text)
        assert_safe(error, line)
        assert error.detail.startswith(f"({line}:1): expected: #EOF, #Language, #TagLine")
        assert "YAML" not in error.detail

    def test_a_yaml_file_holding_a_feature_line_in_a_doc_string_is_still_yaml(self) -> None:
        text = (
            "feature: F\nscenarios:\n  - scenario: S\n    steps:\n      - given: x\n"
            "        docstring: |\n          Feature: quoted\n      - then:\n"
        )
        assert "a Then step with no text" in syntax_error(text).detail

    def test_a_mistyped_gherkin_first_line_says_how_the_file_was_read(self) -> None:
        error = syntax_error("Feture: Refunds\n  Scenario: S\n    Given x\n")
        assert "read as the YAML form" in error.detail

    def test_non_utf8_names_the_line(self) -> None:
        assert_safe(syntax_error(b"Feature: F\n  Scenario: S\n    Given caf\xe9\n"), 3)

    @pytest.mark.parametrize("text", ["", "\n  \n", "# only a comment\n# language: fr\n"])
    def test_an_empty_file(self, text: str) -> None:
        assert_safe(syntax_error(text), 1)

    @pytest.mark.parametrize(
        ("text", "line"),
        [
            ("# comment\n@tag\nFeature: Nothing here\n  Just a description.\n", 3),
            ("feature: F\n", 1),
            ("Feature: F\n  Rule: R\n", 1),
        ],
        ids=["gherkin", "yaml", "empty rule"],
    )
    def test_a_feature_without_scenarios(self, text: str, line: int) -> None:
        assert_safe(syntax_error(text), line)

    def test_a_scenario_without_steps(self) -> None:
        assert_safe(syntax_error("Feature: F\n  Scenario: S\n  Scenario: T\n    Given x\n"), 2)

    def test_an_outline_without_rows(self) -> None:
        text = "Feature: F\n  Scenario Outline: S\n    Given <a>\n    Examples:\n      | a |\n"
        assert_safe(syntax_error(text), 2)

    def test_an_examples_header_with_a_repeated_column(self) -> None:
        text = (
            "Feature: F\n  Scenario Outline: S\n    Given <a>\n    Examples:\n"
            "      | a | a |\n      | 1 | 2 |\n"
        )
        assert_safe(syntax_error(text), 5)


class TestControlCharacters:
    """Terminal control characters are refused anywhere in a file (issue 15, finding 9): printed
    by ``holdout show``, they could make a file look other than it parses."""

    @pytest.mark.parametrize(
        ("text", "line", "code"),
        [
            # The attack: a comment that moves the cursor up, erases the line and writes a step
            # there. The parser runs "a step that passes"; a terminal shows "refunded".
            (
                "Feature: F\n  Scenario: S\n    Then a step that passes\n"
                "#\x1b[1A\x1b[2K\r    Then the order is refunded SECRET-7f3\n",
                4,
                "001B",
            ),
            ("Feature: F\n  Scenario: S\n    Given a\rSECRET-7f3 step\n", 3, "000D"),
            ("Feature: F\n  Scenario: S\n    Given a \x9b2J SECRET-7f3\n", 3, "009B"),
            ("Feature: F\n  Scenario: S\n    Given a\x7f SECRET-7f3\n", 3, "007F"),
            (
                "feature: F\nscenarios:\n  - scenario: S\n    steps:\n      - given: a\x00\n",
                5,
                "0000",
            ),
        ],
        ids=["cursor codes in a comment", "bare CR", "C1 CSI", "DEL", "NUL"],
    )
    def test_are_refused_naming_the_line(self, text: str, line: int, code: str) -> None:
        error = syntax_error(text)
        assert_safe(error, line, f"control character U+{code}")
        assert "SECRET" not in repr(error) and "SECRET" not in error.detail

    def test_yaml_escapes_that_decode_to_control_characters_are_refused(self) -> None:
        # The file's bytes hold none: YAML's "\e" (ESC) and "\a" (BEL) are decoded by the parser.
        text = (
            "feature: F\nscenarios:\n  - scenario: S\n    steps:\n"
            '      - given: "a \\e]52;c;SECRET-7f3\\a"\n'
        )
        error = syntax_error(text)
        assert_safe(error, 5, "control character U+001B")
        assert "SECRET" not in error.detail

    def test_newlines_tabs_and_windows_line_endings_are_fine(self) -> None:
        text = "Feature: F\r\n  Scenario: S\r\n\tGiven a\ttab\r\n"
        assert parse(text).scenarios[0].steps[0].text == "a\ttab"


def test_model_reprs_stay_opaque() -> None:
    feature = parse(REFUNDS_GHERKIN)
    shown = repr(feature) + repr(feature.scenarios) + repr(feature.scenarios[1].steps)
    assert "refund" not in shown.lower()
    assert isinstance(feature.scenarios[0].steps[0], Step)
