"""Scripting the Anthropic twin's replies: from Python and over ``/_twin/script``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import pytest

from holdout_twins.anthropic import AnthropicTwin, Reply, Script, ScriptError, text, tool_use

MODEL = "claude-sonnet-4-6"


def request(content: Any = "Hello", **fields: Any) -> dict[str, Any]:
    """A Messages request body whose last user message is ``content``."""
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], **fields}


@pytest.fixture
def script() -> Script:
    return Script(Reply.of("default"))


def answer(script: Script, body: dict[str, Any]) -> str:
    """The text of the reply the script gives to ``body``."""
    return script.next_reply(body).content[0]["text"]


# --- the Python API -----------------------------------------------------------------------------


def test_queued_replies_answer_in_order_then_the_default(script):
    script.enqueue("first", "second")

    assert [answer(script, request()) for _ in range(3)] == ["first", "second", "default"]


def test_a_rule_comes_before_the_queue_and_can_be_spent(script):
    script.enqueue("queued")
    script.add_rule("about weather", contains="weather", times=1)

    assert answer(script, request("What is the weather like?")) == "about weather"
    assert answer(script, request("And the weather tomorrow?")) == "queued"
    assert answer(script, request("weather again")) == "default"


@pytest.mark.parametrize(
    ("match", "hit", "miss"),
    [
        ({"model": "claude-opus-4-6"}, request(model="claude-opus-4-6"), request()),
        ({"contains": "refund"}, request("I want a refund"), request("Hello")),
        (
            {"contains": "refund"},
            request([{"type": "text", "text": "a refund, please"}]),
            request([{"type": "tool_result", "tool_use_id": "t", "content": "refund"}]),
        ),
        ({"tool": "get_weather"}, request(tools=[{"name": "get_weather"}]), request()),
        ({"tools": False}, request(), request(tools=[{"name": "get_weather"}])),
        ({"stream": True}, request(stream=True), request()),
    ],
    ids=["model", "contains", "contains-text-blocks-only", "tool", "no-tools", "stream"],
)
def test_rules_match_on_what_the_request_says(script, match, hit, miss):
    script.add_rule("matched", **match)

    assert answer(script, miss) == "default"
    assert answer(script, hit) == "matched"


def test_contains_looks_at_the_last_user_message_only(script):
    script.add_rule("matched", contains="refund")
    conversation = request("Hello")
    conversation["messages"] = [
        {"role": "user", "content": "I want a refund"},
        {"role": "assistant", "content": "Sure, which order?"},
        {"role": "user", "content": "Order 42"},
    ]

    assert answer(script, conversation) == "default"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("Hi", Reply((text("Hi"),))),
        (text("Hi"), Reply((text("Hi"),))),
        (["Hi", tool_use("f", {"x": 1})], Reply((text("Hi"), tool_use("f", {"x": 1})))),
        ({"text": "Hi", "stop_reason": "max_tokens"}, Reply((text("Hi"),), "max_tokens")),
        ({"tool_use": {"name": "f", "input": {}}}, Reply((tool_use("f", {}),))),
        ({"content": ["Hi"]}, Reply((text("Hi"),))),
        ({"error": 529, "retry_after": 0.5}, Reply.failure(529, retry_after=0.5)),
        ({"error": 529, "mid_stream": True}, Reply.failure(529, mid_stream=True)),
    ],
)
def test_reply_of_takes_every_documented_form(spec, expected):
    assert Reply.of(spec) == expected


def test_the_stop_reason_follows_the_content():
    assert Reply.of("Hi").effective_stop_reason == "end_turn"
    assert Reply.of(tool_use("f", {})).effective_stop_reason == "tool_use"
    assert Reply.of({"text": "cut", "stop_reason": "max_tokens"}).effective_stop_reason == (
        "max_tokens"
    )


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ({}, "needs content"),
        ({"txt": "typo"}, "unknown reply fields: txt"),
        ({"text": 5}, "'text' must be a string"),
        ({"tool_use": {"input": {}}}, "needs a 'name'"),
        ({"tool_use": {"name": "f", "input": [1]}}, "'input' must be an object"),
        ({"content": [{"type": "image"}]}, "not 'image'"),
        ({"content": "Hi"}, "must be a list"),
        ({"error": 200}, "HTTP error status"),
        ({"error": "529"}, "'error' must be an HTTP status"),
        ({"text": "Hi", "stop_reason": "bored"}, "unknown stop_reason"),
        ({"text": "Hi", "mid_stream": True}, "goes with an 'error'"),
        ({"error": 529, "mid_stream": 1}, "'mid_stream' must be true or false"),
        (42, "a reply is a string"),
    ],
)
def test_a_reply_that_cannot_be_scripted_says_why(spec, complaint):
    with pytest.raises(ScriptError, match=complaint):
        Reply.of(spec)


def test_rule_fields_are_checked(script):
    with pytest.raises(ScriptError, match="'contains' must be a str"):
        script.add_rule("x", contains=5)  # type: ignore[arg-type]
    with pytest.raises(ScriptError, match="at least 1"):
        script.add_rule("x", times=0)


# --- the script on a running twin ---------------------------------------------------------------


@pytest.fixture
def claude_twin(twin: Any) -> AnthropicTwin:
    return twin("anthropic")


@pytest.fixture
def claude(claude_twin: AnthropicTwin) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=claude_twin.base_url, api_key=claude_twin.token)


def ask(client: anthropic.Anthropic, question: str = "Hello") -> anthropic.types.Message:
    return client.messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": question}]
    )


def test_unscripted_requests_get_the_seeds_default_reply(claude, claude_twin):
    default = claude_twin.seed_data["default_reply"]

    assert ask(claude).content[0].text == default


def test_reset_forgets_the_script_and_snapshots_keep_it(claude, claude_twin):
    claude_twin.script.enqueue("one", "two")
    saved = claude_twin.snapshot()

    assert ask(claude).content[0].text == "one"
    claude_twin.restore(saved)
    assert ask(claude).content[0].text == "one"
    claude_twin.reset()
    assert list(claude_twin.script.queue) == []


def test_the_same_seed_gives_the_same_ids(claude_twin):
    def run() -> tuple[str, str, str]:
        claude_twin.script.enqueue(tool_use("f", {}))
        client = anthropic.Anthropic(base_url=claude_twin.base_url, api_key=claude_twin.token)
        message = ask(client)
        return claude_twin.token, message.id, message.content[0].id

    claude_twin.reset(7)
    first = run()
    claude_twin.reset(7)
    again = run()
    claude_twin.reset(8)
    other = run()

    assert first == again
    assert first != other


def test_a_scripted_tool_use_id_is_kept(claude, claude_twin):
    claude_twin.script.enqueue(tool_use("f", {"a": 1}, id="toolu_fixed"))

    assert ask(claude).content[0].id == "toolu_fixed"


def control(send: Any, twin: AnthropicTwin, method: str, path: str, body: Any = None) -> Any:
    return send(twin, method, "/_twin/script" + path, body, token=None)


def test_the_control_endpoint_scripts_replies_and_rules(send, claude, claude_twin):
    queued = control(send, claude_twin, "POST", "/replies", {"replies": ["a", {"text": "b"}]})
    ruled = control(
        send,
        claude_twin,
        "POST",
        "/rules",
        {"contains": "urgent", "reply": {"error": 529, "retry_after": 0.01}, "times": 1},
    )

    assert queued.status == ruled.status == 200
    assert [reply["content"][0]["text"] for reply in queued.json()["queue"]] == ["a", "b"]
    assert ruled.json()["rules"] == [
        {
            "match": {"contains": "urgent"},
            "reply": {"error": 529, "message": "", "retry_after": 0.01, "mid_stream": False},
            "times": 1,
        }
    ]
    assert ask(claude, "urgent: hello").content[0].text == "a"  # 529 once, retried, then "a"
    assert [call.status for call in claude_twin.journal] == [529, 200]
    assert ask(claude).content[0].text == "b"
    assert control(send, claude_twin, "GET", "").json()["rules"][0]["times"] == 0


def test_the_control_endpoint_takes_one_reply_and_clears(send, claude, claude_twin):
    control(send, claude_twin, "POST", "/replies", {"tool_use": {"name": "f", "input": {"x": 1}}})
    control(send, claude_twin, "POST", "/rules", {"reply": "ruled", "model": "claude-opus-4-6"})

    cleared = control(send, claude_twin, "DELETE", "")

    assert cleared.json()["queue"] == cleared.json()["rules"] == []
    assert ask(claude).content[0].text == claude_twin.seed_data["default_reply"]


@pytest.mark.parametrize(
    ("path", "body", "complaint"),
    [
        ("/replies", {"txt": "typo"}, "unknown reply fields"),
        ("/replies", {"replies": "a"}, "must be a list"),
        ("/replies", b"[1]", "JSON object"),
        ("/rules", {"contains": "x"}, "needs a 'reply'"),
        ("/rules", {"reply": "x", "when": "always"}, "unknown rule fields: when"),
        ("/rules", {"reply": "x", "times": "2"}, "'times' must be a int"),
    ],
)
def test_the_control_endpoint_refuses_bad_scripts(send, claude_twin, path, body, complaint):
    if isinstance(body, bytes):
        reply = send(
            claude_twin, "POST", "/_twin/script" + path, body,
            {"Content-Type": "application/json"}, token=None,
        )  # fmt: skip
    else:
        reply = control(send, claude_twin, "POST", path, body)

    assert reply.status == 400
    assert reply.json()["error"] == "invalid_body"
    assert complaint in reply.json()["message"]
    assert list(claude_twin.script.queue) == []


def test_the_control_endpoint_reads_json_whatever_the_content_type(send, claude_twin):
    form = {"Content-Type": "application/x-www-form-urlencoded"}  # what curl --data sends
    path = "/_twin/script/replies"

    queued = send(claude_twin, "POST", path, b'{"text": "Hi"}', form, token=None)
    broken = send(claude_twin, "POST", path, b"text=Hi", form, token=None)

    assert queued.status == 200
    assert queued.json()["queue"][0]["content"] == [text("Hi")]
    assert broken.status == 400


def test_unknown_script_routes_are_plain_control_errors(send, claude_twin):
    reply = control(send, claude_twin, "GET", "/nothing")

    assert reply.status == 404
    assert reply.json()["error"] == "not_found"


def test_the_readme_example_runs():
    readme = Path(__file__).resolve().parents[2] / "twins" / "anthropic" / "README.md"
    example = readme.read_text().split("```python\n", 1)[1].split("```", 1)[0]

    exec(compile(example, str(readme), "exec"), {})
