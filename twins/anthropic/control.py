"""The twin's own control routes, ``/_twin/script``: scripting replies over HTTP.

The core's control endpoint (reset, journal, faults, ...) serves everything else under
``/_twin/``. Errors are plain JSON ``{"error": ..., "message": ...}`` like the core's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.anthropic.script import ScriptError
from holdout_twins.core import Request, Response, Router, ServiceError, json_response

if TYPE_CHECKING:
    from holdout_twins.anthropic.twin import AnthropicTwin

SCRIPT_PREFIX = "/_twin/script"
RULE_FIELDS = ("model", "contains", "tool", "tools", "stream", "times")

script_routes = Router()


def handle_script(twin: AnthropicTwin, request: Request) -> Response:
    """Route a ``/_twin/script`` request, under the twin's lock."""
    try:
        route, request.path_params = script_routes.resolve(request.method, request.path)
        with twin.lock:
            return json_response(route.handler(twin, request))
    except ScriptError as error:
        return json_response({"error": "invalid_body", "message": str(error)}, 400)
    except ServiceError as error:
        return json_response({"error": error.code, "message": error.message}, error.status)


def _body(request: Request) -> dict[str, Any]:
    """The JSON body, whatever the content type says (``curl --data`` says it is a form), as
    the core's control endpoint reads it."""
    data = request.json() if request.body.strip() else {}
    if not isinstance(data, dict):
        raise ScriptError("the body must be a JSON object")
    return data


@script_routes.get(SCRIPT_PREFIX, name="script")
def show(twin: AnthropicTwin, request: Request) -> dict[str, Any]:
    return twin.script.to_dict()


@script_routes.post(SCRIPT_PREFIX + "/replies", name="enqueue")
def enqueue(twin: AnthropicTwin, request: Request) -> dict[str, Any]:
    """One reply (``{"text": "Hi"}``) or several (``{"replies": [...]}``), queued in order."""
    data = _body(request)
    replies = data["replies"] if set(data) == {"replies"} else [data]
    if not isinstance(replies, list):
        raise ScriptError("'replies' must be a list")
    twin.script.enqueue(*replies)
    return twin.script.to_dict()


@script_routes.post(SCRIPT_PREFIX + "/rules", name="add_rule")
def add_rule(twin: AnthropicTwin, request: Request) -> dict[str, Any]:
    """``{"contains": "weather", "reply": {...}, "times": 1}``: the match fields are optional."""
    data = _body(request)
    unknown = sorted(set(data) - {"reply", *RULE_FIELDS})
    if unknown:
        raise ScriptError(f"unknown rule fields: {', '.join(unknown)}")
    if "reply" not in data:
        raise ScriptError("a rule needs a 'reply'")
    try:
        twin.script.add_rule(
            data["reply"], **{key: data[key] for key in RULE_FIELDS if key in data}
        )
    except TypeError as error:
        raise ScriptError(str(error)) from None
    return twin.script.to_dict()


@script_routes.delete(SCRIPT_PREFIX, name="clear")
def clear(twin: AnthropicTwin, request: Request) -> dict[str, Any]:
    """Forget the queue and the rules (the default reply stays)."""
    twin.script.clear()
    return twin.script.to_dict()
