"""The Okta twin's documented examples run as written (README and the section in docs/twins.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HTTPS_CHECK = "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"


def python_block(text: str) -> str:
    return text.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.fixture(autouse=True)
def restored_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples set the SDK's testing flag in os.environ; put it back afterwards."""
    monkeypatch.setenv(HTTPS_CHECK, "false")


def test_the_readme_example_runs():
    readme = REPO / "twins" / "okta" / "README.md"

    exec(compile(python_block(readme.read_text()), str(readme), "exec"), {})


def test_the_docs_section_example_runs():
    docs = REPO / "docs" / "twins.md"
    section = docs.read_text().split("## The Okta twin", 1)[1]

    exec(compile(python_block(section), str(docs), "exec"), {})
