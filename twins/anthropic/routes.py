"""The Anthropic API's operations: Messages (streamed or not), token counting and Models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from holdout_twins.anthropic.errors import api_error, error_message, error_type, invalid
from holdout_twins.anthropic.messages import (
    build_message,
    input_tokens,
    interrupted_events,
    stream_events,
)
from holdout_twins.core import Generic, Request, Response, Router, ServiceError, json_response
from holdout_twins.core import stream as event_stream

if TYPE_CHECKING:
    from holdout_twins.anthropic.state import Model
    from holdout_twins.anthropic.twin import AnthropicTwin

router = Router()

ROLES = ("user", "assistant")
TOOL_CHOICES = ("auto", "any", "tool", "none")
DEFAULT_PAGE, MAX_PAGE = 20, 1000


def json_body(request: Request) -> dict[str, Any]:
    """The request's body, which must be a JSON object sent as ``application/json``."""
    if request.body and request.content_type != "application/json":
        raise ServiceError(415, Generic.UNSUPPORTED_MEDIA_TYPE, request.content_type)
    body = request.json()
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    return body


def _require(body: Mapping[str, Any], key: str, kind: type | tuple[type, ...], name: str) -> Any:
    if key not in body:
        raise invalid(f"{key}: Field required")
    value = body[key]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise invalid(f"{key}: Input should be {name}")
    return value


def _check_messages(messages: list[Any]) -> None:
    if not messages:
        raise invalid("messages: at least one message is required")
    for number, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid(f"messages.{number}: Input should be a valid dictionary")
        if message.get("role") not in ROLES:
            raise invalid(f"messages.{number}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        if not isinstance(content, (str, list)):
            raise invalid(f"messages.{number}.content: Field required")


def _check_tools(body: Mapping[str, Any]) -> None:
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise invalid("tools: Input should be a valid list")
    names = []
    for number, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise invalid(f"tools.{number}.name: Field required")
        names.append(tool["name"])
    choice = body.get("tool_choice")
    if choice is None:
        return
    if not isinstance(choice, dict) or choice.get("type") not in TOOL_CHOICES:
        raise invalid("tool_choice: Input should be 'auto', 'any', 'tool' or 'none'")
    if choice["type"] == "tool" and choice.get("name") not in names:
        raise invalid(f"tool_choice: tool '{choice.get('name')}' not found in tools")


def checked_request(twin: AnthropicTwin, request: Request, *, generating: bool) -> dict[str, Any]:
    """The body of a Messages (``generating``) or count_tokens request, checked as the API checks
    it; a model the twin does not know is 404 ``not_found_error``."""
    body = json_body(request)
    name = _require(body, "model", str, "a valid string")
    _check_messages(_require(body, "messages", list, "a valid list"))
    _check_tools(body)
    model = twin.state.model(name)
    if model is None:
        raise api_error(404, f"model: {name}")
    if generating:
        max_tokens = _require(body, "max_tokens", int, "a valid integer")
        if max_tokens < 1:
            raise invalid("max_tokens: Input should be greater than or equal to 1")
        if max_tokens > model.max_tokens:
            raise invalid(
                f"max_tokens: {max_tokens} > {model.max_tokens}, which is the maximum allowed "
                f"number of output tokens for {model.id}"
            )
        if not isinstance(body.get("stream", False), bool):
            raise invalid("stream: Input should be a valid boolean")
    return body


@router.post("/v1/messages", name="messages.create")
def create_message(twin: AnthropicTwin, request: Request) -> Response:
    """The next scripted reply as a Message, or as its event stream when ``stream`` is true."""
    body = checked_request(twin, request, generating=True)
    reply = twin.state.script.next_reply(body)
    streamed = body.get("stream", False)
    if reply.error is not None and not (streamed and reply.mid_stream):
        headers = {}
        if reply.retry_after is not None:
            headers["retry-after"] = str(max(1, round(reply.retry_after)))
            headers["retry-after-ms"] = str(round(reply.retry_after * 1000))
        raise api_error(reply.error, error_message(reply.error, reply.message), headers)
    message = build_message(
        reply,
        body["model"],
        twin.new_id("msg_"),
        lambda: twin.new_id("toolu_"),
        input_tokens(body),
    )
    if not streamed:
        return json_response(message)
    if reply.error is not None:
        failure = {
            "type": error_type(reply.error),
            "message": error_message(reply.error, reply.message),
        }
        events = interrupted_events(message, failure)
    else:
        events = stream_events(message)
    return event_stream(events, "text/event-stream; charset=utf-8")


@router.post("/v1/messages/count_tokens", name="messages.count_tokens")
def count_tokens(twin: AnthropicTwin, request: Request) -> dict[str, Any]:
    body = checked_request(twin, request, generating=False)
    return {"input_tokens": input_tokens(body)}


def _position(models: list[Model], model_id: str, key: str) -> int:
    for index, model in enumerate(models):
        if model.id == model_id:
            return index
    raise invalid(f"{key}: no model with id '{model_id}'")


LIFECYCLES = ("active", "deprecated", "retired")
MAX_STAGES = 3


def _stages(request: Request) -> set[str]:
    """The ``lifecycle`` filter: the SDK sends ``lifecycle[]=...`` (its query arrays are in
    brackets), other clients may repeat ``lifecycle=...``; retired models only on request."""
    stages = request.query_values.get("lifecycle[]", []) + request.query_values.get("lifecycle", [])
    if any(stage not in LIFECYCLES for stage in stages):
        raise invalid("lifecycle: Input should be 'active', 'deprecated' or 'retired'")
    if len(stages) > MAX_STAGES:
        raise invalid(f"lifecycle: List should have at most {MAX_STAGES} items")
    return set(stages) or {"active", "deprecated"}


@router.get("/v1/models", name="models.list")
def list_models(twin: AnthropicTwin, request: Request) -> dict[str, Any]:
    """Newest first, ``limit`` at a time, after ``after_id`` or before ``before_id``, in the
    ``lifecycle`` stages asked for (active and deprecated by default)."""
    models = [model for model in twin.state.models if model.lifecycle in _stages(request)]
    try:
        limit = int(request.query.get("limit", DEFAULT_PAGE))
    except ValueError:
        raise invalid("limit: Input should be a valid integer") from None
    if not 1 <= limit <= MAX_PAGE:
        raise invalid(f"limit: Input should be between 1 and {MAX_PAGE}")
    after, before = request.query.get("after_id"), request.query.get("before_id")
    if after and before:
        raise invalid("after_id and before_id cannot both be given")
    if before:
        end = _position(models, before, "before_id")
        start = max(0, end - limit)
        has_more = start > 0
    else:
        start = _position(models, after, "after_id") + 1 if after else 0
        end = min(len(models), start + limit)
        has_more = end < len(models)
    chosen = models[start:end]
    return {
        "data": [model.to_api() for model in chosen],
        "has_more": has_more,
        "first_id": chosen[0].id if chosen else None,
        "last_id": chosen[-1].id if chosen else None,
    }


@router.get("/v1/models/{model_id}", name="models.retrieve")
def get_model(twin: AnthropicTwin, request: Request) -> dict[str, Any]:
    model = twin.state.model(request.path_params["model_id"])
    if model is None:
        raise api_error(404, f"model: {request.path_params['model_id']}")
    return model.to_api()
