"""The examples of "Events the twins deliver" in docs/twins.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "twins.md"
SECTION = DOCS.read_text().split("## Events the twins deliver", 1)[1]
EXAMPLES = dict(
    zip(
        ("slack", "jira", "okta"),
        re.findall(r"```python\n(.*?)```", SECTION, re.S),
        strict=True,
    )
)


@pytest.mark.parametrize("service", sorted(EXAMPLES))
def test_the_example_runs(service):
    exec(compile(EXAMPLES[service], f"{DOCS} ({service})", "exec"), {})
