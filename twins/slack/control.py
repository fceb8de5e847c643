"""The Slack twin's own control routes, ``/_twin/events``: the app's Events API settings.

``POST`` sets the request URL (``{"request_url": ..., "events": [...], "timeout": 3}``) after the
``url_verification`` challenge, ``GET`` shows the settings (with the signing secret the app
verifies requests with), ``DELETE`` turns events off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.core import Request, Router, ServiceError, control_body
from holdout_twins.slack import events

if TYPE_CHECKING:
    from holdout_twins.slack.twin import SlackTwin

control_router = Router()
EVENTS = "/_twin/events"


@control_router.get(EVENTS, name="events")
def show(twin: SlackTwin, request: Request) -> dict[str, Any]:
    return events.settings(twin)


@control_router.post(EVENTS, name="subscribe")
def subscribe(twin: SlackTwin, request: Request) -> dict[str, Any]:
    data = control_body(request)
    unknown = sorted(set(data) - {"request_url", "events", "timeout"})
    if unknown:
        raise ServiceError(400, "invalid_body", f"unknown fields: {', '.join(unknown)}")
    url, wanted, timeout = data.get("request_url"), data.get("events"), data.get("timeout")
    if not isinstance(url, str):
        raise ServiceError(400, "invalid_body", "'request_url' must be a string")
    if wanted is not None and not isinstance(wanted, list):
        raise ServiceError(400, "invalid_body", "'events' must be a list")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
        raise ServiceError(400, "invalid_body", "'timeout' must be a number")
    try:
        events.subscribe(twin, url, wanted, timeout)
    except events.SubscriptionError as error:
        raise ServiceError(400, "invalid_request_url", str(error)) from None
    return events.settings(twin)


@control_router.delete(EVENTS, name="unsubscribe")
def unsubscribe(twin: SlackTwin, request: Request) -> dict[str, Any]:
    events.unsubscribe(twin)
    return events.settings(twin)
