"""The Anthropic twin driven by the official ``anthropic`` SDK, and by raw HTTP for bad input.

No public description of the Anthropic API is among ../shared/api-specs, so responses are
validated against the SDK's own types, which are generated from Anthropic's API description.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.types import Message, MessageTokensCount, ModelInfo, RawMessageStreamEvent
from anthropic.types.shared.error_response import ErrorResponse

from holdout_twins.anthropic import AnthropicTwin, Reply, tool_use

MODEL = "claude-sonnet-4-6"
HELLO = [{"role": "user", "content": "Hello"}]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The current weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
STREAM_EVENTS = pydantic.TypeAdapter(RawMessageStreamEvent)


@pytest.fixture
def claude_twin(twin: Any) -> AnthropicTwin:
    return twin("anthropic")


@pytest.fixture
def claude(claude_twin: AnthropicTwin) -> anthropic.Anthropic:
    """The official client, pointed at the twin with the twin's own API key."""
    return anthropic.Anthropic(base_url=claude_twin.base_url, api_key=claude_twin.token)


def raw(send: Any, twin: AnthropicTwin, method: str, path: str, body: Any = None, **headers: str):
    """A request as a non-SDK client sends it: ``x-api-key`` and ``anthropic-version``."""
    sent = {"x-api-key": twin.token, "anthropic-version": "2023-06-01", **headers}
    return send(twin, method, path, body, sent, token=None)


def sse(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """A server-sent event stream as (event, data) pairs."""
    events = []
    for chunk in body.decode().strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def assert_error(reply: Any, status: int, kind: str) -> dict[str, Any]:
    """The API's error envelope, with the request id in the body and in the header."""
    assert reply.status == status
    body = reply.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == kind
    assert body["error"]["message"]
    assert body["request_id"].startswith("req_")
    assert reply.headers["request-id"] == body["request_id"]
    return body


# --- Messages ------------------------------------------------------------------------------------


def test_a_scripted_text_reply_comes_back_as_a_message(claude, claude_twin):
    claude_twin.script.enqueue("Hello! How can I help?")

    message = claude.messages.create(model=MODEL, max_tokens=256, messages=HELLO)

    assert [block.text for block in message.content] == ["Hello! How can I help?"]
    assert message.stop_reason == "end_turn"
    assert message.role == "assistant"
    assert message.model == MODEL
    assert message.id.startswith("msg_01")
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert message._request_id.startswith("req_")
    (call,) = claude_twin.journal.calls("messages.create")
    assert call.params["messages"] == HELLO
    assert call.params["max_tokens"] == 256


def test_a_tool_use_conversation_over_several_calls(claude, claude_twin):
    claude_twin.script.enqueue(
        ["Let me look that up.", tool_use("get_weather", {"city": "Paris"})],
        "It is sunny in Paris.",
    )
    question = {"role": "user", "content": "What is the weather in Paris?"}

    first = claude.messages.create(
        model=MODEL, max_tokens=512, messages=[question], tools=[WEATHER_TOOL]
    )
    call = first.content[1]
    assert first.stop_reason == "tool_use"
    assert (call.type, call.name, call.input) == ("tool_use", "get_weather", {"city": "Paris"})
    assert call.id.startswith("toolu_01")
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 21 C"}
    second = claude.messages.create(
        model=MODEL,
        max_tokens=512,
        tools=[WEATHER_TOOL],
        messages=[question, first.to_param(), {"role": "user", "content": [result]}],
    )

    assert second.content[0].text == "It is sunny in Paris."
    sent = claude_twin.journal.calls("messages.create")[1].params["messages"]
    assert sent[1]["content"][1]["id"] == call.id
    assert sent[2]["content"][0]["tool_use_id"] == call.id


def test_a_forced_tool_choice_must_name_an_offered_tool(claude):
    with pytest.raises(anthropic.BadRequestError) as raised:
        claude.messages.create(
            model=MODEL,
            max_tokens=64,
            messages=HELLO,
            tools=[WEATHER_TOOL],
            tool_choice={"type": "tool", "name": "record_verdict"},
        )
    assert raised.value.type == "invalid_request_error"


def test_stream_true_sends_the_apis_event_sequence(claude, claude_twin):
    claude_twin.script.enqueue(
        ["Checking the weather now.", tool_use("get_weather", {"city": "San Francisco, CA"})]
    )

    events = list(
        claude.messages.create(
            model=MODEL, max_tokens=512, messages=HELLO, tools=[WEATHER_TOOL], stream=True
        )
    )

    kinds = [event.type for event in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds[1] == "content_block_start"
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 2
    deltas = [event.delta for event in events if event.type == "content_block_delta"]
    text = "".join(delta.text for delta in deltas if delta.type == "text_delta")
    partial = "".join(delta.partial_json for delta in deltas if delta.type == "input_json_delta")
    assert text == "Checking the weather now."
    assert json.loads(partial) == {"city": "San Francisco, CA"}
    assert len([delta for delta in deltas if delta.type == "text_delta"]) > 1  # really streamed
    assert events[0].message.content == [] and events[0].message.stop_reason is None
    assert events[-2].delta.stop_reason == "tool_use"
    assert events[-2].usage.output_tokens > events[0].message.usage.output_tokens


def test_the_raw_stream_has_a_ping_and_each_event_matches_the_sdk_types(send, claude_twin):
    claude_twin.script.enqueue("One two three four five six seven.")
    body = {"model": MODEL, "max_tokens": 64, "messages": HELLO, "stream": True}

    reply = raw(send, claude_twin, "POST", "/v1/messages", body)

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/event-stream")
    events = sse(reply.body)
    assert [name for name, _ in events][:3] == ["message_start", "content_block_start", "ping"]
    for name, data in events:
        assert data["type"] == name
        if name != "ping":
            STREAM_EVENTS.validate_python(data)


def test_an_error_in_the_middle_of_a_stream_is_the_sdks_status_error(claude, claude_twin):
    claude_twin.script.enqueue(Reply.failure(529, mid_stream=True))
    received = []

    with pytest.raises(anthropic.APIStatusError) as raised:
        received.extend(
            claude.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
        )

    assert [event.type for event in received] == ["message_start"]
    assert raised.value.type == "overloaded_error"
    assert [call.status for call in claude_twin.journal] == [200]  # the stream had begun


def test_a_mid_stream_error_is_a_plain_error_when_not_streaming(claude, claude_twin):
    claude_twin.script.enqueue(Reply.failure(529, mid_stream=True))

    with pytest.raises(anthropic.OverloadedError):
        claude.with_options(max_retries=0).messages.create(
            model=MODEL, max_tokens=64, messages=HELLO
        )


def test_messages_stream_helper_accumulates_the_final_message(claude, claude_twin):
    reply = ["Sure.", tool_use("get_weather", {"city": "Oslo"})]
    claude_twin.script.enqueue(reply, reply)

    with claude.messages.stream(
        model=MODEL, max_tokens=256, messages=HELLO, tools=[WEATHER_TOOL]
    ) as stream:
        streamed_text = "".join(stream.text_stream)
        streamed = stream.get_final_message()
    created = claude.messages.create(
        model=MODEL, max_tokens=256, messages=HELLO, tools=[WEATHER_TOOL]
    )

    assert streamed_text == "Sure."
    assert [block.type for block in streamed.content] == ["text", "tool_use"]
    assert streamed.content[1].input == created.content[1].input == {"city": "Oslo"}
    assert streamed.stop_reason == created.stop_reason == "tool_use"
    assert streamed.usage.output_tokens == created.usage.output_tokens


def test_the_async_client_works_too(claude_twin):
    claude_twin.script.enqueue("Async hello.", "Async stream.")

    async def conversation() -> tuple[str, str]:
        async with anthropic.AsyncAnthropic(
            base_url=claude_twin.base_url, api_key=claude_twin.token
        ) as client:
            message = await client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
            async with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
                streamed = await stream.get_final_text()
        return message.content[0].text, streamed

    assert asyncio.run(conversation()) == ("Async hello.", "Async stream.")


# --- count_tokens and models ---------------------------------------------------------------------


def test_count_tokens_agrees_with_the_usage_of_a_message(claude):
    short = claude.messages.count_tokens(model=MODEL, messages=HELLO)
    long_messages = [{"role": "user", "content": "Hello " * 200}]
    long = claude.messages.count_tokens(model=MODEL, messages=long_messages)
    with_tools = claude.messages.count_tokens(
        model=MODEL, messages=long_messages, tools=[WEATHER_TOOL]
    )
    message = claude.messages.create(
        model=MODEL, max_tokens=64, messages=long_messages, tools=[WEATHER_TOOL]
    )

    assert 0 < short.input_tokens < long.input_tokens < with_tools.input_tokens
    assert message.usage.input_tokens == with_tools.input_tokens


def test_models_list_pages_to_the_end(claude, claude_twin):
    expected = [model.id for model in claude_twin.state.models]

    listed = [model.id for model in claude.models.list(limit=2)]

    assert listed == expected
    pages = claude_twin.journal.calls("models.list")
    assert len(pages) == -(-len(expected) // 2)
    assert "after_id" not in pages[0].params
    assert pages[1].params["after_id"] == expected[1]


def test_models_list_pages_backwards_with_before_id(claude, claude_twin):
    expected = [model.id for model in claude_twin.state.models]

    page = claude.models.list(before_id=expected[-1], limit=2)
    earlier = page.get_next_page()

    assert [model.id for model in page.data] == expected[-3:-1]
    assert [model.id for model in earlier.data] == expected[-5:-3]


def test_models_list_filters_by_lifecycle_and_refuses_an_unknown_stage(claude, claude_twin):
    deprecated = [m.id for m in claude_twin.state.models if m.lifecycle == "deprecated"]

    listed = claude.models.list(lifecycle=["deprecated"], limit=100)

    assert deprecated and [model.id for model in listed.data] == deprecated
    with pytest.raises(anthropic.BadRequestError, match="lifecycle: Input should be"):
        claude.models.list(lifecycle=["sunset"])  # type: ignore[list-item]


def test_a_model_is_found_by_its_alias_and_an_unknown_one_is_not(claude):
    assert claude.models.retrieve("claude-sonnet-4-5").id == "claude-sonnet-4-5-20250929"
    with pytest.raises(anthropic.NotFoundError) as raised:
        claude.models.retrieve("claude-unknown-1")
    assert raised.value.type == "not_found_error"
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.create(model="claude-unknown-1", max_tokens=8, messages=HELLO)


# --- errors as the SDK's own exception types -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exception", "kind"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_scripted_errors_raise_the_sdks_exceptions(claude, claude_twin, status, exception, kind):
    claude_twin.script.enqueue(Reply.failure(status))

    with pytest.raises(exception) as raised:
        claude.with_options(max_retries=0).messages.create(
            model=MODEL, max_tokens=8, messages=HELLO
        )

    assert raised.value.status_code == status
    assert raised.value.type == kind
    assert raised.value.request_id.startswith("req_")


def test_a_wrong_api_key_is_an_authentication_error(claude_twin):
    stranger = anthropic.Anthropic(base_url=claude_twin.base_url, api_key="sk-ant-api03-wrong")

    with pytest.raises(anthropic.AuthenticationError) as raised:
        stranger.messages.create(model=MODEL, max_tokens=8, messages=HELLO)

    assert raised.value.api_message == "invalid x-api-key"
    assert [call.status for call in claude_twin.journal] == [401]  # 401 is not retried


def test_invalid_parameters_are_bad_requests(claude):
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):  # over the model's 64000
        claude.messages.create(model=MODEL, max_tokens=100_000, messages=HELLO, stream=True)
    with pytest.raises(anthropic.BadRequestError, match="messages"):
        claude.messages.create(model=MODEL, max_tokens=8, messages=[])


# --- retries: the SDK's own retry handler against the twin's limits and errors -------------------


def test_the_sdk_waits_out_a_rate_limit_and_retries(claude, claude_twin):
    # A window wide enough that the second call lands in it on a slow machine too.
    claude_twin.rate_limits.set("messages.create", 1, per=1.0)

    claude.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    second = claude.messages.with_raw_response.create(model=MODEL, max_tokens=8, messages=HELLO)

    assert [call.status for call in claude_twin.journal] == [200, 429, 200]
    assert second.headers["anthropic-ratelimit-requests-limit"] == "1"
    assert second.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert second.headers["anthropic-ratelimit-requests-reset"].endswith("Z")


def test_a_rate_limited_answer_carries_the_apis_headers(send, claude_twin):
    claude_twin.rate_limits.set("messages.count_tokens", 1, per=60)
    body = {"model": MODEL, "messages": HELLO}

    raw(send, claude_twin, "POST", "/v1/messages/count_tokens", body)
    limited = raw(send, claude_twin, "POST", "/v1/messages/count_tokens", body)

    assert_error(limited, 429, "rate_limit_error")
    assert int(limited.headers["Retry-After"]) >= 59
    assert 0 < int(limited.headers["retry-after-ms"]) <= 60_000
    assert limited.headers["anthropic-ratelimit-requests-remaining"] == "0"


def test_an_overloaded_answer_is_retried_by_the_sdk(claude, claude_twin):
    claude_twin.script.enqueue(Reply.failure(529, retry_after=0.01), "Back again.")

    message = claude.messages.create(model=MODEL, max_tokens=8, messages=HELLO)

    assert message.content[0].text == "Back again."
    assert [call.status for call in claude_twin.journal] == [529, 200]


def test_the_sdk_gives_up_after_its_retries(claude, claude_twin):
    claude_twin.script.add_rule(Reply.failure(529, retry_after=0.001))

    with pytest.raises(anthropic.OverloadedError):
        claude.with_options(max_retries=2).messages.create(
            model=MODEL, max_tokens=8, messages=HELLO
        )

    assert [call.status for call in claude_twin.journal] == [529, 529, 529]


def test_an_injected_fault_uses_the_apis_error_envelope(send, claude_twin):
    claude_twin.faults.add("messages.create", status=529, times=1)

    body = {"model": MODEL, "max_tokens": 8, "messages": HELLO}
    assert_error(raw(send, claude_twin, "POST", "/v1/messages", body), 529, "overloaded_error")
    assert raw(send, claude_twin, "POST", "/v1/messages", body).status == 200


# --- authentication -----------------------------------------------------------------------------


def test_the_key_is_accepted_as_x_api_key_or_as_a_bearer_token(send, claude_twin):
    body = {"model": MODEL, "messages": HELLO}
    version = {"anthropic-version": "2023-06-01"}
    as_x_api_key = {"x-api-key": claude_twin.token, **version}
    as_bearer = {"Authorization": f"Bearer {claude_twin.token}", **version}
    path = "/v1/messages/count_tokens"

    assert send(claude_twin, "POST", path, body, as_x_api_key, token=None).status == 200
    assert send(claude_twin, "POST", path, body, as_bearer, token=None).status == 200
    missing = send(claude_twin, "POST", path, body, version, token=None)
    assert assert_error(missing, 401, "authentication_error")["error"]["message"] == (
        "x-api-key header is required"
    )
    no_version = send(claude_twin, "POST", path, body, {"x-api-key": claude_twin.token}, token=None)
    assert (
        "anthropic-version"
        in assert_error(no_version, 400, "invalid_request_error")["error"]["message"]
    )


def test_an_issued_key_works_until_the_next_reset(claude_twin):
    key = claude_twin.issue_token()
    client = anthropic.Anthropic(base_url=claude_twin.base_url, api_key=key, max_retries=0)

    assert client.messages.count_tokens(model=MODEL, messages=HELLO).input_tokens > 0
    claude_twin.reset()
    with pytest.raises(anthropic.AuthenticationError):
        client.messages.count_tokens(model=MODEL, messages=HELLO)
    assert key.startswith("sk-ant-api03-")


# --- bad input: the API's error shape, and the twin keeps serving --------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "kind"),
    [
        ("POST", "/v1/messages", b'{"model": ', {"Content-Type": "application/json"}, 400,
         "invalid_request_error"),
        ("POST", "/v1/messages", b"[1, 2]", {"Content-Type": "application/json"}, 400,
         "invalid_request_error"),
        ("POST", "/v1/messages", b"model=x", {"Content-Type": "text/plain"}, 415,
         "invalid_request_error"),
        ("GET", "/v1/nothing-here", None, {}, 404, "not_found_error"),
        ("DELETE", "/v1/messages", None, {}, 405, "invalid_request_error"),
        ("GET", "/v1/models?limit=0", None, {}, 400, "invalid_request_error"),
        ("GET", "/v1/models?after_id=nobody", None, {}, 400, "invalid_request_error"),
    ],
    ids=["malformed-json", "not-an-object", "wrong-content-type", "unknown-path",
         "unknown-method", "bad-limit", "unknown-cursor"],
)  # fmt: skip
def test_bad_requests_get_the_error_envelope(
    send, claude_twin, claude, method, path, body, headers, status, kind
):
    assert_error(raw(send, claude_twin, method, path, body, **headers), status, kind)

    assert claude.messages.count_tokens(model=MODEL, messages=HELLO).input_tokens > 0
    assert claude_twin.internal_errors == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"model": None}, "model"),
        ({"messages": [{"role": "system", "content": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "user"}]}, "messages.0.content"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stream": "yes"}, "stream"),
        ({"tools": [{"description": "no name"}]}, "tools.0.name"),
    ],
)
def test_invalid_fields_are_named_in_the_message(send, claude_twin, change, fragment):
    body = {"model": MODEL, "max_tokens": 8, "messages": HELLO, **change}
    body = {key: value for key, value in body.items() if value is not None}

    reply = raw(send, claude_twin, "POST", "/v1/messages", body)

    assert fragment in assert_error(reply, 400, "invalid_request_error")["error"]["message"]


def test_a_body_over_the_limit_is_413_and_the_connection_stays_usable(
    send, claude_twin, monkeypatch
):
    import http.client

    monkeypatch.setattr(claude_twin, "max_body", 1024)
    connection = http.client.HTTPConnection("127.0.0.1", claude_twin.port, timeout=10)
    big = {"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": "x" * 4096}]}
    headers = {"x-api-key": claude_twin.token, "anthropic-version": "2023-06-01"}

    try:
        too_large = send(claude_twin, "POST", "/v1/messages", big, headers, token=None,
                         connection=connection)  # fmt: skip
        after = send(claude_twin, "POST", "/v1/messages", {**big, "messages": HELLO}, headers,
                     token=None, connection=connection)  # fmt: skip
    finally:
        connection.close()

    assert_error(too_large, 413, "request_too_large")
    assert after.status == 200


# --- responses validated against the SDK's types (generated from the API description) ------------


def test_responses_validate_against_the_sdk_types(send, claude_twin):
    claude_twin.script.enqueue(["Thinking.", tool_use("get_weather", {"city": "Rome"})])
    create = {"model": MODEL, "max_tokens": 64, "messages": HELLO, "tools": [WEATHER_TOOL]}

    message = raw(send, claude_twin, "POST", "/v1/messages", create)
    counted = raw(send, claude_twin, "POST", "/v1/messages/count_tokens", create)
    models = raw(send, claude_twin, "GET", "/v1/models?limit=3")
    one = raw(send, claude_twin, "GET", "/v1/models/claude-opus-4-6")

    Message.model_validate(message.json())
    MessageTokensCount.model_validate(counted.json())
    for model in models.json()["data"]:
        ModelInfo.model_validate(model)
    ModelInfo.model_validate(one.json())
    assert models.json()["has_more"] is True


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 529])
def test_error_bodies_validate_against_the_sdk_error_type(send, claude_twin, status):
    claude_twin.script.enqueue(Reply.failure(status))
    body = {"model": MODEL, "max_tokens": 8, "messages": HELLO}

    reply = raw(send, claude_twin, "POST", "/v1/messages", body)

    assert reply.status == status
    assert ErrorResponse.model_validate(reply.json()).error.type == reply.json()["error"]["type"]
