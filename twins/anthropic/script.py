"""Scripted replies: what the twin answers in place of a model.

A test decides what "the model" says. Rules match a request (model, a substring of the last user
message, a tool offered, streaming or not) and answer every time they match, or ``times`` times;
the queue answers the requests no rule matched, one reply each, in order; the default reply (from
the seed data) answers the rest. A reply is content blocks (text and tool_use) or an error status.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

# What ``Reply.of`` takes: a Reply, a string, a content block, a list of blocks and strings, or
# a mapping in the control endpoint's form.
ReplySpec = Union["Reply", str, Mapping[str, Any], Sequence[str | Mapping[str, Any]]]
STOP_REASONS = ("end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal")


class ScriptError(ValueError):
    """A reply or rule that cannot be scripted; the message says which field is wrong."""


def text(value: str) -> dict[str, Any]:
    """A text content block."""
    return {"type": "text", "text": value}


def tool_use(name: str, input: Mapping[str, Any], id: str | None = None) -> dict[str, Any]:
    """A tool_use content block. Without ``id`` the twin gives it a fresh ``toolu_...`` id."""
    block: dict[str, Any] = {"type": "tool_use", "name": name, "input": dict(input)}
    if id is not None:
        block["id"] = id
    return block


@dataclass(frozen=True)
class Reply:
    """One scripted answer: ``content`` blocks, or, when ``error`` is set, that HTTP status in the
    API's error envelope (``retry_after`` seconds become ``retry-after`` / ``retry-after-ms``).
    With ``mid_stream`` a streamed request gets HTTP 200 and the error as an ``error`` event after
    ``message_start``, as the API reports an overload that happens while it streams."""

    content: tuple[dict[str, Any], ...] = ()
    stop_reason: str | None = None  # None: "tool_use" if there is a tool_use block, else "end_turn"
    error: int | None = None
    message: str = ""
    retry_after: float | None = None
    mid_stream: bool = False

    def __post_init__(self) -> None:
        if self.error is not None and not 400 <= self.error <= 599:
            raise ScriptError(f"'error' must be an HTTP error status, not {self.error!r}")
        if self.mid_stream and self.error is None:
            raise ScriptError("'mid_stream' goes with an 'error'")
        if self.error is None and not self.content:
            raise ScriptError("a reply needs content (text or tool_use blocks) or an error")
        if self.stop_reason is not None and self.stop_reason not in STOP_REASONS:
            raise ScriptError(f"unknown stop_reason {self.stop_reason!r}")
        for block in self.content:
            _check_block(block)

    @classmethod
    def failure(
        cls,
        status: int,
        message: str = "",
        retry_after: float | None = None,
        *,
        mid_stream: bool = False,
    ) -> Reply:
        """An error reply: ``Reply.failure(529)`` answers "overloaded"."""
        return cls(error=status, message=message, retry_after=retry_after, mid_stream=mid_stream)

    @classmethod
    def of(cls, spec: ReplySpec) -> Reply:
        """A reply from a string (one text block), a content block, a list of blocks and strings,
        or a mapping as the control endpoint takes it: ``{"text": ...}``,
        ``{"tool_use": {"name", "input"}}``, ``{"content": [...]}``,
        ``{"error": 529, "message": ..., "retry_after": ..., "mid_stream": ...}``, each with an
        optional ``stop_reason``."""
        if isinstance(spec, Reply):
            return spec
        if isinstance(spec, str):
            return cls((text(spec),))
        if isinstance(spec, Mapping) and "type" in spec:  # a single content block
            return cls((dict(spec),))
        if isinstance(spec, (list, tuple)):
            return cls(tuple(_block(item) for item in spec))
        if not isinstance(spec, Mapping):
            raise ScriptError("a reply is a string, a content block, a list of them or an object")
        known = {"text", "tool_use", "content", "stop_reason"}
        known |= {"error", "message", "retry_after", "mid_stream"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ScriptError(f"unknown reply fields: {', '.join(unknown)}")
        blocks: list[dict[str, Any]] = []
        if "text" in spec:
            blocks.append(text(_string(spec, "text")))
        if "tool_use" in spec:
            call = spec["tool_use"]
            if not isinstance(call, Mapping):
                raise ScriptError("'tool_use' must be an object with 'name' and 'input'")
            blocks.append({"type": "tool_use", **call})
        content = spec.get("content", [])
        if not isinstance(content, list):
            raise ScriptError("'content' must be a list of content blocks")
        blocks += map(_block, content)
        retry_after = spec.get("retry_after")
        if retry_after is not None and not isinstance(retry_after, (int, float)):
            raise ScriptError("'retry_after' must be a number of seconds")
        error = spec.get("error")
        if error is not None and (isinstance(error, bool) or not isinstance(error, int)):
            raise ScriptError("'error' must be an HTTP status")
        mid_stream = spec.get("mid_stream", False)
        if not isinstance(mid_stream, bool):
            raise ScriptError("'mid_stream' must be true or false")
        return cls(
            tuple(blocks),
            spec.get("stop_reason"),
            error,
            _string(spec, "message") if "message" in spec else "",
            retry_after,
            mid_stream,
        )

    @property
    def effective_stop_reason(self) -> str:
        if self.stop_reason is not None:
            return self.stop_reason
        uses_tool = any(block["type"] == "tool_use" for block in self.content)
        return "tool_use" if uses_tool else "end_turn"

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {
                "error": self.error,
                "message": self.message,
                "retry_after": self.retry_after,
                "mid_stream": self.mid_stream,
            }
        return {"content": [dict(block) for block in self.content], "stop_reason": self.stop_reason}


def _block(item: str | Mapping[str, Any]) -> dict[str, Any]:
    """A content block from a block, or from a string (a text block)."""
    if isinstance(item, str):
        return text(item)
    if not isinstance(item, Mapping):
        raise ScriptError("content blocks are objects with a 'type', or strings")
    return dict(item)


def _string(spec: Mapping[str, Any], key: str) -> str:
    value = spec[key]
    if not isinstance(value, str):
        raise ScriptError(f"'{key}' must be a string")
    return value


def _check_block(block: Mapping[str, Any]) -> None:
    kind = block.get("type")
    if kind == "text":
        if not isinstance(block.get("text"), str):
            raise ScriptError("a text block needs a string 'text'")
    elif kind == "tool_use":
        if not isinstance(block.get("name"), str) or not block["name"]:
            raise ScriptError("a tool_use block needs a 'name'")
        if not isinstance(block.get("input"), Mapping):
            raise ScriptError("a tool_use block's 'input' must be an object")
    else:
        raise ScriptError(f"content blocks are 'text' or 'tool_use', not {kind!r}")


@dataclass
class Rule:
    """Answers ``reply`` to the requests it matches; None matches anything. ``times`` None: every
    time; a number: that many times, then the rule is spent."""

    reply: Reply
    model: str | None = None
    contains: str | None = None  # a substring of the last user message's text
    tool: str | None = None  # a tool of this name is offered in ``tools``
    tools: bool | None = None  # any tools offered (True) or none (False)
    stream: bool | None = None
    times: int | None = None

    def matches(self, body: Mapping[str, Any]) -> bool:
        if self.times == 0:
            return False
        offered = [tool.get("name") for tool in body.get("tools") or [] if isinstance(tool, dict)]
        checks = (
            self.model is None or body.get("model") == self.model,
            self.contains is None or self.contains in last_user_text(body),
            self.tool is None or self.tool in offered,
            self.tools is None or self.tools == bool(offered),
            self.stream is None or self.stream == bool(body.get("stream")),
        )
        return all(checks)

    def to_dict(self) -> dict[str, Any]:
        match = {
            key: value
            for key, value in (
                ("model", self.model),
                ("contains", self.contains),
                ("tool", self.tool),
                ("tools", self.tools),
                ("stream", self.stream),
            )
            if value is not None
        }
        return {"match": match, "reply": self.reply.to_dict(), "times": self.times}


def last_user_text(body: Mapping[str, Any]) -> str:
    """The text of the last user message: a string, or its text blocks joined by newlines."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return "\n".join(
                block.get("text", "")
                for block in content or []
                if isinstance(block, dict) and block.get("type") == "text"
            )
    return ""


@dataclass
class Script:
    """The replies of one twin: rules first, then the queue, then ``default``.

    From Python (``twin.script``)::

        twin.script.enqueue("Hello!")                                  # the next reply
        twin.script.enqueue(tool_use("get_weather", {"city": "Paris"}))  # then a tool call
        twin.script.add_rule(Reply.failure(529), contains="busy", times=1)
    """

    default: Reply
    queue: deque[Reply] = field(default_factory=deque)
    rules: list[Rule] = field(default_factory=list)

    def enqueue(self, *replies: ReplySpec) -> None:
        """Queue replies (anything ``Reply.of`` takes), answered in order to the requests no
        rule matches."""
        self.queue.extend(Reply.of(reply) for reply in replies)

    def add_rule(
        self,
        reply: ReplySpec,
        *,
        model: str | None = None,
        contains: str | None = None,
        tool: str | None = None,
        tools: bool | None = None,
        stream: bool | None = None,
        times: int | None = None,
    ) -> Rule:
        for name, value, kind in (
            ("model", model, str),
            ("contains", contains, str),
            ("tool", tool, str),
            ("tools", tools, bool),
            ("stream", stream, bool),
            ("times", times, int),
        ):
            if value is not None and (
                not isinstance(value, kind) or (isinstance(value, bool) and kind is int)
            ):
                raise ScriptError(f"'{name}' must be a {kind.__name__}")
        if times is not None and times < 1:
            raise ScriptError("'times' must be at least 1")
        rule = Rule(Reply.of(reply), model, contains, tool, tools, stream, times)
        self.rules.append(rule)
        return rule

    def next_reply(self, body: Mapping[str, Any]) -> Reply:
        """The reply for one request, using up a queued reply or one of a rule's ``times``."""
        for rule in self.rules:
            if rule.matches(body):
                if rule.times is not None:
                    rule.times -= 1
                return rule.reply
        if self.queue:
            return self.queue.popleft()
        return self.default

    def clear(self) -> None:
        self.queue.clear()
        self.rules.clear()

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": [reply.to_dict() for reply in self.queue],
            "rules": [rule.to_dict() for rule in self.rules],
            "default": self.default.to_dict(),
        }
