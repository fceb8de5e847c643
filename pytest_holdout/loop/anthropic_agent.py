"""The built-in agent (``holdout loop --agent anthropic:MODEL``): a small coding agent on the
Anthropic Messages API with tool use.

The loop runs it in the agent's sandbox, as any agent, with ``python -I -m
pytest_holdout.loop.anthropic_agent MODEL`` in the working copy: it prompts the model with the
specs (``LOOP_SPECS``) and the last feedback (``LOOP_FEEDBACK``), carries out the tool calls the
model makes (``tools.py``) and logs every action on its standard output, which becomes the round's
``agent.log``. The official ``anthropic`` SDK reads ``ANTHROPIC_API_KEY`` and
``ANTHROPIC_BASE_URL`` (the twin's, when set) and reaches the real API through the loop's proxy
(``HTTPS_PROXY``).

Exit status: 0 when the model ended its turn, 1 when the API failed, 3 at the turn limit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from pytest_holdout.loop.tools import DEFINITIONS, Outcome, ToolError, Tools

MAX_TURNS = 40  # model calls per round
MAX_TOKENS = 8192
SPECS_LIMIT = 200_000  # characters of specs put in the prompt
# What the commands the model runs do not get: the API's credentials are the agent's alone.
HIDDEN_FROM_COMMANDS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")

SYSTEM = """\
You are a coding agent working in rounds. In each round you build or improve software in the \
working copy (the current folder) so that it does what the specs say. After your round, tests \
you cannot see judge the software; you learn only the feedback: the share of test trials it \
satisfied (satisfaction, from 0 to 1) and its confidence interval. Use the tools to read and \
write files and to run commands that try the software. Only the working copy is yours to change. \
End your turn with a short summary of what you changed."""


def prompt(round_number: str, specs: Path, feedback: Path, listing: str) -> str:
    return "\n\n".join(
        [
            f"Round {round_number}.",
            f"Feedback from the last evaluation ({feedback}):\n{_feedback_text(feedback)}",
            f"The specs ({specs}):\n{_specs_text(specs)}",
            f"Files in the working copy:\n{listing}",
        ]
    )


def _feedback_text(path: Path) -> str:
    try:
        feedback = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "(none)"
    if feedback.get("round") == 0:
        return "No evaluation yet: this is the first round."
    return json.dumps(feedback, indent=2, sort_keys=True)


def _specs_text(folder: Path) -> str:
    parts: list[str] = []
    size = 0
    files = sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        name = path.relative_to(folder).as_posix()
        if size + len(text) > SPECS_LIMIT:
            parts.append(f"=== {name} === (left out: the specs are too long; read it in {path})")
            continue
        size += len(text)
        parts.append(f"=== {name} ===\n{text}")
    return "\n\n".join(parts) or "(no spec files)"


def log(kind: str, text: str) -> None:
    lines = text.strip().splitlines() or [""]
    print(f"{kind}: {lines[0]}", *(f"  {line}" for line in lines[1:]), sep="\n", flush=True)


def run(model: str, max_turns: int = MAX_TURNS) -> int:
    import anthropic

    env = os.environ
    tools = Tools(Path.cwd(), {k: v for k, v in env.items() if k not in HIDDEN_FROM_COMMANDS})
    listing = tools.list_files({}).text
    specs, feedback = Path(env.get("LOOP_SPECS", "specs")), Path(env.get("LOOP_FEEDBACK", ""))
    first = prompt(env.get("LOOP_ROUND", "?"), specs, feedback, listing)
    log("round", f"{env.get('LOOP_ROUND', '?')}, model {model}")
    try:
        return _converse(anthropic.Anthropic(), model, first, tools, max_turns)
    except anthropic.AnthropicError as exc:  # the API's errors, and a client without a key
        print(f"holdout agent: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _converse(client: Any, model: str, first: str, tools: Tools, max_turns: int) -> int:
    """Call the model and its tools until it ends its turn, or the turn limit."""
    messages: list[Any] = [{"role": "user", "content": first}]
    for _ in range(max_turns):
        response = client.messages.create(
            model=model, max_tokens=MAX_TOKENS, system=SYSTEM, tools=DEFINITIONS, messages=messages
        )
        messages.append({"role": "assistant", "content": response.to_param()["content"]})
        calls = []
        for block in response.content:
            if block.type == "text":
                log("model", block.text)
            elif block.type == "tool_use":
                calls.append(block)
        if response.stop_reason != "tool_use" or not calls:
            log("done", f"stop reason {response.stop_reason}")
            return 0
        messages.append({"role": "user", "content": [_result(tools, call) for call in calls]})
    log("stopped", f"the turn limit ({max_turns} model calls)")
    print(f"holdout agent: stopped at the turn limit ({max_turns})", file=sys.stderr)
    return 3


def _result(tools: Tools, call: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.id}
    try:
        outcome = tools.call(call.name, call.input)
    except ToolError as exc:
        outcome = Outcome(str(exc), f"{call.name} refused: {exc}")
        result["is_error"] = True
    log("tool", outcome.summary)
    return {**result, "content": outcome.text}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_holdout.loop.anthropic_agent")
    parser.add_argument("model", help="the Anthropic model, e.g. claude-sonnet-4-6")
    parser.add_argument("--max-turns", type=int, default=MAX_TURNS, help="model calls per round")
    args = parser.parse_args(argv)
    return run(args.model, args.max_turns)


if __name__ == "__main__":
    sys.exit(main())
