"""Each twin's official client, as the docs use it, comes with an extra named after the service
(``pytest-holdout[slack]`` ...), and ``[twins]`` brings them all."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from pytest_holdout.session.step_modules import CLIENT_EXTRAS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
TWINS_PAGE = (ROOT / "docs" / "twins.md").read_text()
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
SECTIONS = {
    "slack": "## The Slack twin",
    "jira": "## The Jira twin",
    "okta": "## The Okta twin",
    "google": "## The Google twin",
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=~!\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def distributions_of(extra: str) -> set[str]:
    """The distributions an extra installs, with ``pytest-holdout[...]`` expanded."""
    found: set[str] = set()
    for requirement in EXTRAS[extra]:
        own = re.fullmatch(r"pytest-holdout\[(.*)\]", requirement)
        if own:
            found |= set().union(*(distributions_of(name) for name in own.group(1).split(",")))
        else:
            found.add(_name(requirement))
    return found


def distribution_of(module: str) -> set[str]:
    return {_name(name) for name in packages_distributions()[module]}


def section(service: str) -> str:
    return TWINS_PAGE.split(SECTIONS[service], 1)[1].split("\n## ", 1)[0]


def imported(text: str) -> set[str]:
    """The top-level modules the text's Python examples import."""
    modules = set()
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("service", sorted(SECTIONS))
def test_each_twin_names_the_extra_that_installs_its_client(service: str) -> None:
    text = section(service)
    assert re.search(rf"pip install\s+'pytest-holdout\[{service}\]'", text)
    clients = [module for module, extra in CLIENT_EXTRAS.items() if extra == service]
    # The clients its examples import are among them, and the extra and [twins] install them.
    assert imported(text) & set(CLIENT_EXTRAS) <= set(clients)
    for module in clients:
        assert distribution_of(module) & distributions_of(service), f"[{service}] lacks {module}"
        assert distribution_of(module) & distributions_of("twins"), f"[twins] lacks {module}"
