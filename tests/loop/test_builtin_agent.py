"""The built-in agent (``--agent anthropic:MODEL``) end to end against the Anthropic twin: its
scripted tool calls build greet.py from the spec, round 1 falls short, round 2 reaches the target;
the model sees the specs and the feedback, and never the key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from holdout_twins.anthropic import AnthropicTwin, tool_use

from loop_project import CANARY, LOUD_GREET, QUIET_GREET, make_project

pytestmark = pytest.mark.bwrap


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    project = make_project(tmp_path_factory.mktemp("builtin"))
    with AnthropicTwin(seed=1) as twin:
        twin.script.enqueue(
            # Round 1: look around, write a greet.py that forgets --loud, try it, stop.
            ["Let me look at the working copy.", tool_use("list_files", {})],
            tool_use("write_file", {"path": "greet.py", "content": QUIET_GREET}),
            tool_use("run_command", {"command": "python3 greet.py ada; env"}),
            tool_use("read_file", {"path": "../conftest.py"}),  # out of the working copy
            "greet.py prints the greeting.",
            # Round 2: after 0.5, add --loud.
            tool_use("write_file", {"path": "greet.py", "content": LOUD_GREET}),
            "Added --loud.",
        )
        env = project.env(
            ANTHROPIC_BASE_URL=twin.base_url,
            ANTHROPIC_API_KEY=twin.token,
            HOLDOUT_IDENTITY=project.key_text,
        )
        done = project.loop(
            "--agent", "anthropic:claude-sonnet-4-6", "--trials", "2", "--feedback-ids", env=env
        )
        requests = [call.params for call in twin.journal.calls("messages.create")]
    yield {"project": project, "done": done, "requests": requests}


def _user_texts(request: dict[str, Any]) -> list[str]:
    """Every piece of text the model was sent in one request, tool results included."""
    texts = []
    for message in request["messages"]:
        content = message["content"]
        if isinstance(content, str):
            texts.append(content)
            continue
        for block in content:
            texts.append(json.dumps(block))
    return texts


def test_it_reaches_the_target_in_round_two(built: dict[str, Any]) -> None:
    done = built["done"]
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("holdout loop: agent built-in, model claude-sonnet-4-6 in ")
    assert lines[1].startswith("round 1: satisfaction 0.500 (95% CI ")
    assert lines[2].startswith("round 2: satisfaction 1.000 (95% CI ")
    assert lines[3] == "target 1.000 reached in round 2"
    assert len(built["requests"]) == 7  # every scripted reply was asked for, and no more


def test_the_model_is_prompted_with_the_specs_and_the_feedback(built: dict[str, Any]) -> None:
    first, *_, round_two, _ = built["requests"]
    assert [t["name"] for t in first["tools"]] == [
        "list_files",
        "read_file",
        "write_file",
        "run_command",
    ]
    prompt = first["messages"][0]["content"]
    assert "Round 1." in prompt and "No evaluation yet" in prompt
    assert "`python greet.py NAME` prints one line" in prompt  # the spec, in full
    feedback_text = round_two["messages"][0]["content"]
    assert "Round 2." in feedback_text and '"satisfaction": 0.5' in feedback_text
    assert '"results"' in feedback_text  # --feedback-ids: per-id results, by opaque id only


def test_its_tools_act_inside_the_working_copy_only(built: dict[str, Any]) -> None:
    project = built["project"]
    assert (project.workdir / "greet.py").read_text() == LOUD_GREET
    refused = json.loads(_user_texts(built["requests"][4])[-1])
    assert refused["is_error"] is True
    assert refused["content"] == "../conftest.py: outside the working copy"


def test_the_model_never_sees_the_key_nor_the_scenarios(built: dict[str, Any]) -> None:
    project = built["project"]
    sent = "\n".join(text for request in built["requests"] for text in _user_texts(request))
    assert "LOOP_ROUND=1" in sent  # the command's environment came back to the model...
    assert "HOLDOUT_" not in sent and str(project.key_file) not in sent  # ...without the key
    assert "AGE-SECRET-KEY-" not in sent and "ANTHROPIC_API_KEY" not in sent
    assert CANARY not in sent


def test_its_actions_are_logged_per_round(built: dict[str, Any]) -> None:
    project = built["project"]
    first = (project.loop_dir / "round-1" / "agent.log").read_text()
    assert "tool: list_files .: 0 file(s)" in first
    assert "tool: write_file greet.py (43 characters)" in first
    assert "tool: run_command 'python3 greet.py ada; env': exit 0" in first
    assert "tool: read_file refused: ../conftest.py: outside the working copy" in first
    assert "model: greet.py prints the greeting." in first
    second = (project.loop_dir / "round-2" / "agent.log").read_text()
    assert "tool: write_file greet.py" in second and "model: Added --loud." in second
