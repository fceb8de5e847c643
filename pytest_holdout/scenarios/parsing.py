"""From decrypted bytes to the scenario model, whichever of the two forms the file is written in.

The form is recognised from the content (file names are opaque ids): a Gherkin file's first line
that is neither blank nor a ``#`` comment must be a tag line (``@...``) or a Feature line
(``Feature:``, ``Fonctionnalité:`` ... in any of Gherkin's languages), which is exactly what the
Gherkin grammar demands. Anything else is read as the YAML form, which must be a mapping with a
``feature`` key. The two cannot be confused: ``@`` cannot start plain YAML, and the YAML form's
keys are lower case, unlike every Feature keyword that could begin a YAML key.

The one exception: a file that fails to parse as YAML but holds a Feature line further down is
Gherkin with something stray before its Feature line, and Gherkin's own error (naming the stray
line) is the one reported.

Terminal control characters (see ``pytest_holdout.terminal``) are refused anywhere in the file,
comments included: printed, they could make a file look other than it parses.

Errors name the opaque id and a line number only, and, for a refusal that quotes nothing (a
control character, a limit), why. The parser's own message, which may quote the scenario, is
kept in ``ScenarioSyntaxError.detail`` for the sealed report, and for ``holdout add``, whose user
holds the plaintext anyway (``explained``).
"""

from __future__ import annotations

import re
from typing import Literal

import yaml

from pytest_holdout import limits
from pytest_holdout.errors import SecretBearingError
from pytest_holdout.scenarios.gherkin_form import (
    FEATURE_KEYWORDS,
    MalformedFeature,
    feature_from_document,
    read_gherkin,
    refuse_controls,
)
from pytest_holdout.scenarios.model import Feature
from pytest_holdout.scenarios.yaml_form import read_yaml
from pytest_holdout.terminal import visible

Form = Literal["gherkin", "yaml"]


class ScenarioSyntaxError(SecretBearingError):
    """A scenario file that does not parse. ``str()`` is safe; ``detail`` is secret."""

    def __init__(self, file_id: str, line: int, detail: str, reason: str = "") -> None:
        message = f"{file_id}: malformed scenario at line {line}"
        super().__init__(f"{message}: {reason}" if reason else message, detail)
        self.file_id = file_id
        self.line = line

    def why(self) -> str:
        """The parser's reason, made safe for a terminal: for the plaintext's own holder only
        (``holdout add``, ``edit``), since it may quote the scenario."""
        return visible(_LOCATION.sub("", self.detail.partition("\n")[0]))

    def explained(self) -> str:
        """``FILE: line N: why`` (see ``why``)."""
        return f"{visible(self.file_id)}: line {self.line}: {self.why()}"


# gherkin-official starts its messages with "(line:column): ", which the line already says.
_LOCATION = re.compile(r"^\(\d+:\d+\): ")


def parse_feature(data: bytes, file_id: str) -> Feature:
    """The feature held by one decrypted file; raises ScenarioSyntaxError."""
    try:
        return _parse(data, file_id)
    except MalformedFeature as error:
        line, detail, reason = error.line, error.detail, error.reason
    # Raised outside the except block on purpose: the new error must not carry the old one (and
    # its scenario text) as __context__.
    raise ScenarioSyntaxError(file_id, line, detail, reason)


def count_scenarios(data: bytes, file_id: str) -> int:
    """How many runnable scenarios one decrypted file holds (what the signed manifest records)."""
    return len(parse_feature(data, file_id).scenarios)


def _parse(data: bytes, file_id: str) -> Feature:
    found = limits.active()
    if len(data) > found.file_bytes:  # it could be added, but never read back from the store
        reason = f"larger than {found.describe('file_bytes')}"
        raise MalformedFeature(1, reason, reason=reason)
    text = _decode(data)
    refuse_controls(text)
    first_line = _first_significant_line(text)
    if first_line is None:
        raise MalformedFeature(1, "the file holds no feature")
    if _starts_gherkin(first_line):
        return feature_from_document(read_gherkin(text), file_id)
    try:
        return feature_from_document(read_yaml(text), file_id)
    except MalformedFeature as error:
        if error.reason:  # a limit, not a matter of form
            raise
        yaml_error = error
    if _holds_feature_line(text):
        # Gherkin with a stray line before its Feature line: Gherkin's parser names that line.
        # (It cannot accept the file, whose first significant line is neither tag nor Feature.)
        read_gherkin(text)
    if scenario_form(data) == "yaml":
        raise yaml_error
    # The author may have meant Gherkin and mistyped its first line: say how it was read.
    detail = (
        f"read as the YAML form (Gherkin starts with a tag or a Feature line): {yaml_error.detail}"
    )
    raise MalformedFeature(yaml_error.line, detail)


def scenario_form(data: bytes) -> Form | None:
    """The form a plaintext file is a scenario in, by the same test as ``parse_feature``, or None
    when it is not one. A draft that does not parse yet counts; for the YAML form, a mapping with
    a ``feature`` key and scenarios, rules or a background (not any config with a ``feature``)."""
    try:
        text = _decode(data)
    except MalformedFeature:
        return None
    first_line = _first_significant_line(text)
    if first_line is None:
        return None
    if _starts_gherkin(first_line):
        return "gherkin"
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    keys = {key.value for key, _ in root.value if isinstance(key, yaml.ScalarNode)}
    return "yaml" if "feature" in keys and keys & {"scenarios", "rules", "background"} else None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # tolerate a byte order mark
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise MalformedFeature(line, f"not UTF-8: {error.reason} at byte {error.start}") from None


def _first_significant_line(text: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped
    return None


_FEATURE_LINES = tuple(f"{keyword}:" for keyword in FEATURE_KEYWORDS)
# A Gherkin file's first significant line is a tag or a Feature line, in any of its languages.
_GHERKIN_STARTS = ("@", *_FEATURE_LINES)


def _starts_gherkin(line: str) -> bool:
    return line.startswith(_GHERKIN_STARTS)


def _holds_feature_line(text: str) -> bool:
    """A Feature line at the start of a line. Not an indented one: a YAML block scalar (a doc
    string) may hold any text, but only indented."""
    return any(line.startswith(_FEATURE_LINES) for line in text.splitlines())
