"""The control endpoint under ``/_twin/``: reset, snapshots, journal, faults, clock, limits,
deliveries and people's actions.

It lets software in any language (and ``curl``) drive a twin the way Python does through the
``Twin`` object. It needs no token: twins listen on 127.0.0.1 only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.core.errors import Generic, ServiceError
from holdout_twins.core.http import Request, Response, json_response
from holdout_twins.core.people import ActionRefused, UnknownPerson
from holdout_twins.core.router import Route, Router

if TYPE_CHECKING:
    from holdout_twins.core.twin import Twin

control = Router()
# Routes that wait for the app under test: they must not hold the twin's lock, because the app
# may call the twin while it handles a delivery.
UNLOCKED = frozenset({"wait_deliveries"})


def handle_control(twin: Twin, request: Request) -> Response:
    """Route a ``/_twin/...`` request to the core's routes, then to the twin's own
    ``control_router``, under the twin's lock. Errors are plain JSON ``{"error": ..., "message":
    ...}``."""
    try:
        route, request.path_params = _resolve(twin, request)
        if route.name in UNLOCKED:
            return json_response(route.handler(twin, request))
        with twin.lock:
            return json_response(route.handler(twin, request))
    except ServiceError as error:
        return json_response({"error": error.code, "message": error.message}, error.status)


def _resolve(twin: Twin, request: Request) -> tuple[Route, dict[str, Any]]:
    try:
        return control.resolve(request.method, request.path)
    except ServiceError as error:
        if error.code != Generic.NOT_FOUND or twin.control_router is None:
            raise
        return twin.control_router.resolve(request.method, request.path)


def control_body(request: Request) -> dict[str, Any]:
    """The JSON body of a control request, whatever the content type says (``curl --data``
    says it is a form). Malformed JSON is ``ServiceError(400, "invalid_json")``, JSON that is not
    an object ``ServiceError(400, "invalid_body")``."""
    data = request.json() if request.body.strip() else {}
    if not isinstance(data, dict):
        raise ServiceError(400, "invalid_body", "the body must be a JSON object")
    return data


def _number(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ServiceError(400, "invalid_body", f"{key!r} must be a number")
    return float(value)


def _describe(twin: Twin) -> dict[str, Any]:
    return {
        "name": twin.name,
        "seed": twin.seed,
        "token": twin.token,
        "time": twin.clock.now(),
        "requests": len(twin.journal),
    }


@control.get("/_twin/", name="describe")
def describe(twin: Twin, request: Request) -> dict[str, Any]:
    return _describe(twin)


@control.post("/_twin/reset", name="reset")
def reset(twin: Twin, request: Request) -> dict[str, Any]:
    """``{"seed": 7}`` resets under seed 7; an empty body keeps the current seed."""
    seed = control_body(request).get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ServiceError(400, "invalid_body", "'seed' must be an integer")
    twin.reset(seed)
    return _describe(twin)


@control.post("/_twin/snapshots", name="snapshot")
def take_snapshot(twin: Twin, request: Request) -> dict[str, Any]:
    with twin.lock:
        snapshot_id = f"snap-{len(twin._snapshots) + 1}"
        twin._snapshots[snapshot_id] = twin.snapshot()
    return {"snapshot": snapshot_id}


@control.post("/_twin/snapshots/{snapshot_id}/restore", name="restore")
def restore_snapshot(twin: Twin, request: Request) -> dict[str, Any]:
    snapshot = twin._snapshots.get(request.path_params["snapshot_id"])
    if snapshot is None:
        raise ServiceError(404, "snapshot_not_found", request.path_params["snapshot_id"])
    twin.restore(snapshot)
    return _describe(twin)


@control.get("/_twin/journal", name="journal")
def journal(twin: Twin, request: Request) -> dict[str, Any]:
    """``?operation=chat.postMessage`` lists the calls of one operation only."""
    operation = request.query.get("operation")
    entries = twin.journal.calls(operation) if operation else twin.journal.entries()
    return {"entries": [entry.to_dict() for entry in entries]}


@control.delete("/_twin/journal", name="clear_journal")
def clear_journal(twin: Twin, request: Request) -> dict[str, Any]:
    twin.journal.clear()
    return {"entries": []}


@control.get("/_twin/faults", name="faults")
def faults(twin: Twin, request: Request) -> dict[str, Any]:
    return twin.faults.to_dict()


@control.post("/_twin/faults", name="add_fault")
def add_fault(twin: Twin, request: Request) -> dict[str, Any]:
    """A rule (``{"operation": ..., "status": 500, "times": 1}``, the arguments of
    ``Faults.add``) or random chaos (``{"chaos": 0.1}``)."""
    data = control_body(request)
    if "chaos" in data:
        arguments: Any = (twin.faults.chaos, {"rate": _number(data, "chaos")})
    else:
        allowed = {"operation", "status", "latency", "drop", "rate", "times"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ServiceError(400, "invalid_body", f"unknown fault fields: {', '.join(unknown)}")
        arguments = (twin.faults.add, data)
    function, kwargs = arguments
    try:
        function(**kwargs)
    except (TypeError, ValueError) as error:
        raise ServiceError(400, "invalid_body", str(error)) from None
    return twin.faults.to_dict()


@control.delete("/_twin/faults", name="clear_faults")
def clear_faults(twin: Twin, request: Request) -> dict[str, Any]:
    twin.faults.clear()
    return twin.faults.to_dict()


@control.get("/_twin/clock", name="clock")
def clock(twin: Twin, request: Request) -> dict[str, Any]:
    return {"time": twin.clock.now(), "iso": twin.clock.isoformat()}


@control.post("/_twin/clock", name="move_clock")
def move_clock(twin: Twin, request: Request) -> dict[str, Any]:
    """``{"advance": 3600}`` moves the clock an hour on; ``{"set": 1767225600}`` sets it."""
    data = control_body(request)
    try:
        if "advance" in data:
            twin.clock.advance(_number(data, "advance"))
        elif "set" in data:
            twin.clock.set(_number(data, "set"))
        else:
            raise ServiceError(400, "invalid_body", "give 'advance' or 'set'")
    except ValueError as error:
        raise ServiceError(400, "invalid_body", str(error)) from None
    return clock(twin, request)


@control.get("/_twin/rate-limits", name="rate_limits")
def rate_limits(twin: Twin, request: Request) -> dict[str, Any]:
    return {
        "limits": {
            operation: {"requests": limit.requests, "per": limit.per}
            for operation, limit in twin.rate_limits.limits.items()
        },
        "defaults": twin.rate_limits.enforcing_defaults,
    }


@control.post("/_twin/rate-limits", name="set_rate_limit")
def set_rate_limit(twin: Twin, request: Request) -> dict[str, Any]:
    """``{"defaults": true}`` enforces the service's limits; ``{"operation": "chat.postMessage",
    "requests": 2, "per": 1}`` sets one."""
    data = control_body(request)
    if data.get("defaults") is True:
        twin.rate_limits.enforce_defaults()
    else:
        operation = data.get("operation")
        if not isinstance(operation, str):
            raise ServiceError(400, "invalid_body", "'operation' must be a string")
        try:
            per = _number(data, "per") if "per" in data else 60.0
            twin.rate_limits.set(operation, int(_number(data, "requests")), per)
        except ValueError as error:
            raise ServiceError(400, "invalid_body", str(error)) from None
    return rate_limits(twin, request)


@control.delete("/_twin/rate-limits", name="clear_rate_limits")
def clear_rate_limits(twin: Twin, request: Request) -> dict[str, Any]:
    twin.rate_limits.clear()
    return rate_limits(twin, request)


@control.post("/_twin/tokens", name="issue_token")
def issue_token(twin: Twin, request: Request) -> dict[str, Any]:
    """A new token for the twin's default principal, e.g. for a second client."""
    return {"token": twin.issue_token(twin.default_principal())}


@control.get("/_twin/deliveries", name="deliveries")
def deliveries(twin: Twin, request: Request) -> dict[str, Any]:
    """What the twin sent to the app; ``?kind=event_callback`` lists one kind only."""
    kind = request.query.get("kind")
    found = twin.deliveries.of(kind) if kind else twin.deliveries.entries()
    return {"deliveries": [delivery.to_dict() for delivery in found]}


@control.post("/_twin/deliveries/wait", name="wait_deliveries")
def wait_deliveries(twin: Twin, request: Request) -> dict[str, Any]:
    """Wait until nothing is being sent or due (``{"timeout": 10}``, seconds), then list them."""
    data = control_body(request)
    timeout = _number(data, "timeout") if "timeout" in data else 10.0
    try:
        found = twin.deliveries.wait(timeout)
    except TimeoutError as error:
        raise ServiceError(504, "deliveries_pending", str(error)) from None
    return {"deliveries": [delivery.to_dict() for delivery in found]}


@control.post("/_twin/act", name="act")
def act(twin: Twin, request: Request) -> dict[str, Any]:
    """A person's action: ``{"as": "alice", "action": "post_message", "args": {...}}``, the
    arguments of ``twin.act_as(who).<action>(...)``; answers ``{"result": ...}``."""
    data = control_body(request)
    who, action, args = data.get("as"), data.get("action"), data.get("args", {})
    if not isinstance(who, str) or not isinstance(action, str) or not isinstance(args, dict):
        raise ServiceError(400, "invalid_body", "give 'as' and 'action' (strings), 'args' (object)")
    if twin.person_class is None or action not in twin.person_class.actions:
        known = ", ".join(sorted(twin.person_class.actions)) if twin.person_class else "none"
        raise ServiceError(400, "unknown_action", f"{action!r} (actions: {known})")
    try:
        person = twin.act_as(who)
        return {"result": getattr(person, action)(**args)}
    except UnknownPerson as error:
        raise ServiceError(404, "person_not_found", str(error)) from None
    except ActionRefused as error:
        raise ServiceError(409, "action_refused", str(error)) from None
    except TypeError as error:
        raise ServiceError(400, "invalid_body", str(error)) from None
