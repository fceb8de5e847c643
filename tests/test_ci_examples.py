"""The gated jobs in examples/ci/ parse, run the gated command with options the plugin has, and
keep the key where the docs say: in the protected configuration, for the gated job only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from _pytest.config.argparsing import Parser

from pytest_holdout import plugin

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "ci"


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / name).read_text())


def plugin_options() -> set[str]:
    parser = Parser(_ispytest=True)
    plugin.pytest_addoption(parser)
    return {name for option in parser.getgroup("holdout").options for name in option.names()}


def github_commands(workflow: dict[str, Any]) -> list[str]:
    return [step["run"] for step in workflow["jobs"]["holdout"]["steps"] if "run" in step]


def gitlab_commands(pipeline: dict[str, Any]) -> list[str]:
    job = pipeline["holdout"]
    return [*job["before_script"], *job["script"]]


@pytest.mark.parametrize(
    ("name", "commands"),
    [("github-actions.yml", github_commands), ("gitlab-ci.yml", gitlab_commands)],
)
def test_each_job_runs_the_gated_command_with_options_the_plugin_has(name, commands) -> None:
    run = " ".join(commands(load(name)))
    gated = next(line for line in commands(load(name)) if "pytest --holdout" in line)
    assert "--holdout-required" in gated
    assert set(re.findall(r"--holdout-[a-z-]+", run)) <= plugin_options()
    assert "apt-get install -y -qq bubblewrap" in run  # the sandbox for the app under test


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_every_setting_a_job_uses_is_documented(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    documented = (ROOT / "docs" / "store.md").read_text()
    used = set(re.findall(r"\bHOLDOUT_[A-Z_]+\b", text)) - {"HOLDOUT_KEY"}  # the secret's name
    assert used and all(f"`{variable}`" in documented for variable in used), used


def test_github_gives_the_key_to_the_gated_step_of_a_protected_environment_only() -> None:
    workflow = load("github-actions.yml")
    job = workflow["jobs"]["holdout"]
    assert job["environment"] == "holdout"
    assert workflow["permissions"] == {"contents": "read"}
    uses_secret = [step for step in job["steps"] if "secrets." in str(step)]
    assert [step["name"] for step in uses_secret] == ["Run the holdout scenarios"]
    harness, candidate = (
        step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout")
    )
    assert harness["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert candidate["with"]["path"] == "candidate"  # only APP_PATHS are copied out of it
    assert all(step["with"]["persist-credentials"] is False for step in (harness, candidate))


def test_gitlab_runs_on_the_protected_default_branch_only() -> None:
    job = load("gitlab-ci.yml")["holdout"]
    assert job["environment"]["name"] == "holdout"
    assert job["rules"] == [
        {"if": '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_COMMIT_REF_PROTECTED == "true"'}
    ]
