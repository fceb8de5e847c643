"""The Google twin's documented examples run as written: its four READMEs and its section of
docs/twins.md. They build the client from the Discovery documents google-api-python-client
bundles, so they need nothing from ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
READMES = [
    "twins/google/README.md",
    *(f"twins/google/{api}/README.md" for api in ("drive", "docs", "sheets")),
]

pytest.importorskip("googleapiclient", reason="google-api-python-client is not installed")


def python_block(text: str) -> str:
    return text.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("readme", READMES)
def test_the_readme_example_runs(readme):
    path = REPO / readme

    exec(compile(python_block(path.read_text()), str(path), "exec"), {})


def test_the_docs_section_example_runs():
    docs = REPO / "docs" / "twins.md"
    section = docs.read_text().split("## The Google twin", 1)[1]

    exec(compile(python_block(section), str(docs), "exec"), {})
