"""The built-in agent's conversation, in this process against the Anthropic twin: what it does
when the API fails, and at its turn limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from holdout_twins.anthropic import AnthropicTwin, Reply, tool_use
from pytest_holdout.loop import anthropic_agent


@pytest.fixture
def twin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnthropicTwin]:
    """The twin, and a round's environment: a working copy, specs, no feedback yet."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "app.md").write_text("Print hello.\n")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with AnthropicTwin(seed=1) as running:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", running.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", running.token)
        monkeypatch.setenv("LOOP_SPECS", str(tmp_path / "specs"))
        monkeypatch.setenv("LOOP_FEEDBACK", str(tmp_path / "none.json"))
        monkeypatch.setenv("LOOP_ROUND", "1")
        yield running


def test_an_api_error_ends_the_round_with_one_line(
    twin: AnthropicTwin, capsys: pytest.CaptureFixture[str]
) -> None:
    twin.script.enqueue(Reply.failure(400))
    assert anthropic_agent.main(["claude-sonnet-4-6"]) == 1
    assert capsys.readouterr().err.startswith("holdout agent: BadRequestError: ")


def test_the_turn_limit_ends_the_round(
    twin: AnthropicTwin, capsys: pytest.CaptureFixture[str]
) -> None:
    twin.script.enqueue(*[tool_use("list_files", {})] * 2)
    assert anthropic_agent.main(["claude-sonnet-4-6", "--max-turns", "2"]) == 3
    out, err = capsys.readouterr()
    assert out.count("tool: list_files .: 0 file(s)") == 2
    assert "stopped: the turn limit (2 model calls)" in out
    assert err == "holdout agent: stopped at the turn limit (2)\n"
