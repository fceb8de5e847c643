"""Turning a scripted reply into what the Messages API sends: a Message, or its event stream."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from holdout_twins.anthropic.script import Reply
from holdout_twins.core import sse_event

CHARS_PER_TOKEN = 4  # the twin's token estimate; real tokenizers differ, tests should not care
WORDS_PER_DELTA = 3  # a text block streams as text_delta events of a few words each
JSON_CHARS_PER_DELTA = 16  # a tool_use input streams as input_json_delta pieces of this size


def estimate_tokens(pieces: Iterable[str]) -> int:
    """About four characters a token, at least one: deterministic, and close enough for tests
    of code that budgets tokens."""
    return max(1, math.ceil(sum(len(piece) for piece in pieces) / CHARS_PER_TOKEN))


def _content_text(content: Any) -> Iterable[str]:
    """Every piece of text in a message's content, tool inputs and results included."""
    if isinstance(content, str):
        yield content
        return
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, Mapping):
            continue
        if isinstance(block.get("text"), str):
            yield block["text"]
        if "input" in block:
            yield json.dumps(block["input"])
        if "content" in block:
            yield from _content_text(block["content"])


def input_tokens(body: Mapping[str, Any]) -> int:
    """The input tokens of a Messages or count_tokens request: system, messages and tools."""
    pieces = list(_content_text(body.get("system") or []))
    for message in body.get("messages") or []:
        if isinstance(message, Mapping):
            pieces += _content_text(message.get("content"))
    if body.get("tools"):
        pieces.append(json.dumps(body["tools"]))
    return estimate_tokens(pieces)


def build_message(
    reply: Reply, model: str, message_id: str, new_tool_id: Callable[[], str], usage_in: int
) -> dict[str, Any]:
    """The Message the API returns for ``reply``; tool_use blocks without an id get a new one."""
    content: list[dict[str, Any]] = []
    for block in reply.content:
        if block["type"] == "tool_use":
            tool_id = block.get("id") or new_tool_id()
            content.append(
                {"type": "tool_use", "id": tool_id, "name": block["name"], "input": block["input"]}
            )
        else:
            content.append({"type": "text", "text": block["text"]})
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": reply.effective_stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage_in,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": estimate_tokens(_content_text(content)),
            "service_tier": "standard",
        },
    }


def _pieces(text: str, words: int) -> list[str]:
    tokens = re.findall(r"\s*\S+\s*|\s+", text)
    return ["".join(tokens[start : start + words]) for start in range(0, len(tokens), words)]


def _block_events(index: int, block: Mapping[str, Any]) -> list[bytes]:
    if block["type"] == "tool_use":
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        encoded = json.dumps(block["input"], separators=(",", ":"))
        # The API opens a tool's input with an empty partial_json, then sends the JSON in pieces.
        chunks = [
            "",
            *(
                encoded[at : at + JSON_CHARS_PER_DELTA]
                for at in range(0, len(encoded), JSON_CHARS_PER_DELTA)
            ),
        ]
        deltas = [{"type": "input_json_delta", "partial_json": chunk} for chunk in chunks]
    else:
        start = {"type": "text", "text": ""}
        deltas = [
            {"type": "text_delta", "text": piece}
            for piece in _pieces(block["text"], WORDS_PER_DELTA)
        ]
    events = [_event("content_block_start", index=index, content_block=start)]
    if index == 0:  # the API sends a ping once the first block has started
        events.append(_event("ping"))
    events += [_event("content_block_delta", index=index, delta=delta) for delta in deltas]
    events.append(_event("content_block_stop", index=index))
    return events


def stream_events(message: Mapping[str, Any]) -> list[bytes]:
    """The server-sent events of a streamed ``message``, in the API's order: message_start (no
    content yet, one output token), then per block content_block_start, ping after the first,
    content_block_delta pieces and content_block_stop, then message_delta with the stop reason
    and the final usage, and message_stop."""
    usage = message["usage"]
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events = [_event("message_start", message=start)]
    for index, block in enumerate(message["content"]):
        events += _block_events(index, block)
    events.append(
        _event(
            "message_delta",
            delta={"stop_reason": message["stop_reason"], "stop_sequence": None},
            usage={"output_tokens": usage["output_tokens"]},
        )
    )
    events.append(_event("message_stop"))
    return events


def interrupted_events(message: Mapping[str, Any], error: Mapping[str, str]) -> list[bytes]:
    """A stream that fails after it started: message_start, then an ``error`` event carrying
    ``error`` (``{"type", "message"}``), and nothing more."""
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    return [_event("message_start", message=start), _event("error", error=dict(error))]


def _event(kind: str, **fields: Any) -> bytes:
    return sse_event({"type": kind, **fields}, kind)
