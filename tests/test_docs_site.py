"""The docs site builds with MkDocs (Material theme) in strict mode: every page in the nav, no
broken link, links out of docs/ pointing to the repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_build_in_strict_mode(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="pip install '.[test]' brings mkdocs")
    pytest.importorskip("material", reason="pip install '.[test]' brings mkdocs-material")
    site = tmp_path / "site"
    build = ["build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)]
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", *build],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    for page in ("quickstart/keyholder", "quickstart/writer", "quickstart/ci", "reports"):
        assert (site / page / "index.html").is_file()
    # A link from docs/ to the README leads to the repository's file, not to a missing page.
    repo = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["repo_url"]
    assert f'href="{repo}/blob/main/README.md"' in (site / "index.html").read_text()
    # The CI recipes page shows the jobs themselves, taken from examples/ci/ at build time.
    recipes = (site / "ci-recipes" / "index.html").read_text()
    assert "pull_request_target" in recipes


def test_every_page_is_in_the_nav() -> None:
    def pages(nav: list) -> set[str]:
        found: set[str] = set()
        for entry in nav:
            for value in entry.values():
                found |= pages(value) if isinstance(value, list) else {value}
        return found

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    docs = ROOT / "docs"
    assert pages(nav) == {str(p.relative_to(docs)) for p in docs.rglob("*.md")}
