"""Okta's Event Hooks API, ``/api/v1/eventHooks``: create, list, get, replace, delete, and the
lifecycle (activate, deactivate, verify) of the hooks the twin posts its events to (``hooks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.core import DeliveryError, Request, Response, check_url
from holdout_twins.okta import hooks
from holdout_twins.okta.routes import _json_body, _no_content, not_found, okta_error, router
from holdout_twins.okta.routes import validation_failed as invalid
from holdout_twins.okta.state import EventHook

if TYPE_CHECKING:
    from holdout_twins.okta.twin import OktaTwin

HOOKS = "/api/v1/eventHooks"


def _find(twin: OktaTwin, request: Request) -> EventHook:
    hook = twin.state.event_hooks.get(request.path_params["eventHookId"])
    if hook is None:
        raise not_found(request.path_params["eventHookId"], "EventHook")
    return hook


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    """The fields of a hook from a create or replace body, or Okta's validation error."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid("name", "The field cannot be left blank")
    events = body.get("events")
    items = events.get("items") if isinstance(events, dict) else None
    if not isinstance(items, list) or not items:
        raise invalid("events", "The field cannot be left blank")
    unknown = sorted(set(map(str, items)) - set(hooks.EVENT_TYPES))
    if unknown:
        raise invalid("events", f"Unsupported event types: {', '.join(unknown)}")
    channel = body.get("channel")
    config = channel.get("config") if isinstance(channel, dict) else None
    if not isinstance(config, dict):
        raise invalid("channel", "The field cannot be left blank")
    uri = config.get("uri")
    try:
        check_url(uri if isinstance(uri, str) else "")
    except DeliveryError as error:
        raise invalid("channel.config.uri", str(error)) from None
    headers = config.get("headers") or []
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("key"), str) and isinstance(h.get("value"), str)
        for h in headers
    ):
        raise invalid("channel.config.headers", "each header needs a key and a value")
    scheme = config.get("authScheme")
    if scheme is not None and not (
        isinstance(scheme, dict)
        and scheme.get("type") == "HEADER"
        and isinstance(scheme.get("key"), str)
        and isinstance(scheme.get("value"), str)
    ):
        raise invalid("channel.config.authScheme", "type HEADER with a key and a value")
    return {
        "name": name,
        "events": list(items),
        "uri": uri,
        "headers": [{"key": h["key"], "value": h["value"]} for h in headers],
        "auth_scheme": None if scheme is None else {k: scheme[k] for k in ("type", "key", "value")},
        "description": body.get("description"),
    }


@router.post(HOOKS, name="createEventHook")
def create_event_hook(twin: OktaTwin, request: Request) -> dict[str, Any]:
    """ACTIVE and UNVERIFIED: events flow only after ``verify``."""
    now = twin.clock.isoformat()
    hook = EventHook(
        twin.new_id("who"),
        created=now,
        created_by=request.principal,
        last_updated=now,
        **_settings(_json_body(request)),
    )
    twin.state.event_hooks[hook.id] = hook
    return hook.to_api(twin.org_url(request))


@router.get(HOOKS, name="listEventHooks")
def list_event_hooks(twin: OktaTwin, request: Request) -> list[dict[str, Any]]:
    org_url = twin.org_url(request)
    return [hook.to_api(org_url) for hook in twin.state.event_hooks.values()]


@router.get(HOOKS + "/{eventHookId}", name="getEventHook")
def get_event_hook(twin: OktaTwin, request: Request) -> dict[str, Any]:
    return _find(twin, request).to_api(twin.org_url(request))


@router.put(HOOKS + "/{eventHookId}", name="replaceEventHook")
def replace_event_hook(twin: OktaTwin, request: Request) -> dict[str, Any]:
    """A new URI must be verified again."""
    hook = _find(twin, request)
    settings = _settings(_json_body(request))
    if settings["uri"] != hook.uri:
        hook.verification_status = "UNVERIFIED"
    for name, value in settings.items():
        setattr(hook, name, value)
    hook.last_updated = twin.clock.isoformat()
    return hook.to_api(twin.org_url(request))


@router.delete(HOOKS + "/{eventHookId}", name="deleteEventHook")
def delete_event_hook(twin: OktaTwin, request: Request) -> Response:
    """Only an INACTIVE hook can be deleted."""
    hook = _find(twin, request)
    if hook.status != "INACTIVE":
        raise okta_error(403, "E0000006", "Deactivate the event hook before deleting it")
    del twin.state.event_hooks[hook.id]
    return _no_content()


def _set_status(twin: OktaTwin, request: Request, status: str) -> dict[str, Any]:
    hook = _find(twin, request)
    hook.status, hook.last_updated = status, twin.clock.isoformat()
    return hook.to_api(twin.org_url(request))


@router.post(HOOKS + "/{eventHookId}/lifecycle/activate", name="activateEventHook")
def activate_event_hook(twin: OktaTwin, request: Request) -> dict[str, Any]:
    return _set_status(twin, request, "ACTIVE")


@router.post(HOOKS + "/{eventHookId}/lifecycle/deactivate", name="deactivateEventHook")
def deactivate_event_hook(twin: OktaTwin, request: Request) -> dict[str, Any]:
    return _set_status(twin, request, "INACTIVE")


@router.post(HOOKS + "/{eventHookId}/lifecycle/verify", name="verifyEventHook")
def verify_event_hook(twin: OktaTwin, request: Request) -> dict[str, Any]:
    """The one-time verification request, now, while the caller waits (as Okta does)."""
    hook = _find(twin, request)
    verification = hooks.verify(twin, hook)
    if verification.state != "delivered":
        summary = verification.attempts[-1].summary
        raise invalid("verification", f"the endpoint did not return the challenge ({summary})")
    hook.verification_status, hook.last_updated = "VERIFIED", twin.clock.isoformat()
    return hook.to_api(twin.org_url(request))
