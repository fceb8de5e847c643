"""From decrypted bytes to the scenario model, whichever of the two forms the file is written in.

The form is recognised from the content (file names are opaque ids): a Gherkin file's first line
that is neither blank nor a ``#`` comment must be a tag line (``@...``) or a Feature line
(``Feature:``, ``Fonctionnalité:`` ... in any of Gherkin's languages), which is exactly what the
Gherkin grammar demands. Anything else is read as the YAML form, which must be a mapping with a
``feature`` key. The two cannot be confused: ``@`` cannot start plain YAML, and the YAML form's
keys are lower case, unlike every Feature keyword that could begin a YAML key.

Errors name the opaque id and a line number only. The parser's own message, which may quote the
scenario, is kept in ``ScenarioSyntaxError.detail`` for the sealed report.
"""

from __future__ import annotations

from typing import Literal

import yaml

from pytest_holdout.errors import SecretBearingError
from pytest_holdout.scenarios.gherkin_form import (
    FEATURE_KEYWORDS,
    MalformedFeature,
    feature_from_document,
    read_gherkin,
)
from pytest_holdout.scenarios.model import Feature
from pytest_holdout.scenarios.yaml_form import read_yaml

Form = Literal["gherkin", "yaml"]


class ScenarioSyntaxError(SecretBearingError):
    """A scenario file that does not parse. ``str()`` is safe; ``detail`` is secret."""

    def __init__(self, file_id: str, line: int, detail: str) -> None:
        super().__init__(f"{file_id}: malformed scenario at line {line}", detail)
        self.file_id = file_id
        self.line = line


def parse_feature(data: bytes, file_id: str) -> Feature:
    """The feature held by one decrypted file; raises ScenarioSyntaxError."""
    try:
        return _parse(data, file_id)
    except MalformedFeature as error:
        line, detail = error.line, error.detail
    # Raised outside the except block on purpose: the new error must not carry the old one (and
    # its scenario text) as __context__.
    raise ScenarioSyntaxError(file_id, line, detail)


def count_scenarios(data: bytes, file_id: str) -> int:
    """How many runnable scenarios one decrypted file holds (what the signed manifest records)."""
    return len(parse_feature(data, file_id).scenarios)


def _parse(data: bytes, file_id: str) -> Feature:
    text = _decode(data)
    first_line = _first_significant_line(text)
    if first_line is None:
        raise MalformedFeature(1, "the file holds no feature")
    if _starts_gherkin(first_line):
        return feature_from_document(read_gherkin(text), file_id)
    try:
        return feature_from_document(read_yaml(text), file_id)
    except MalformedFeature as error:
        # The author may have meant Gherkin and mistyped its first line: say how it was read.
        detail = (
            f"read as the YAML form (Gherkin starts with a tag or a Feature line): {error.detail}"
        )
        raise MalformedFeature(error.line, detail) from None


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


# A Gherkin file's first significant line is a tag or a Feature line, in any of its languages.
_GHERKIN_STARTS = ("@", *(f"{keyword}:" for keyword in FEATURE_KEYWORDS))


def _starts_gherkin(line: str) -> bool:
    return line.startswith(_GHERKIN_STARTS)
