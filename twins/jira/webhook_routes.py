"""Jira's admin webhooks REST API, ``/rest/webhooks/1.0/webhook``: register, list, get, update
and delete the webhooks the twin posts its events to (see ``webhooks``). Jira administrators
only; the twin's token is one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.core import DeliveryError, Request, Response, check_url, json_response
from holdout_twins.jira import jql
from holdout_twins.jira.errors import field_errors, jira_error, not_found
from holdout_twins.jira.render import jira_time
from holdout_twins.jira.routes import body, router
from holdout_twins.jira.state import Webhook
from holdout_twins.jira.webhooks import EVENTS

if TYPE_CHECKING:
    from holdout_twins.jira.twin import JiraTwin

WEBHOOKS = "/rest/webhooks/1.0/webhook"
JQL_FILTER = "issue-related-events-section"


def _admin(twin: JiraTwin, request: Request) -> None:
    if request.principal != twin.state.account:
        raise jira_error(403, "Only Jira administrators can manage webhooks.")


def _render(twin: JiraTwin, request: Request, webhook: Webhook) -> dict[str, Any]:
    author = twin.state.users.get(webhook.last_updated_user)
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "filters": {JQL_FILTER: webhook.jql or ""},
        "excludeBody": webhook.exclude_body,
        "self": f"{twin.url_for(request)}{WEBHOOKS}/{webhook.id}",
        "lastUpdatedUser": webhook.last_updated_user,
        "lastUpdatedDisplayName": author.display_name if author else "",
        "lastUpdated": int(webhook.last_updated * 1000),
        "lastUpdatedShort": jira_time(webhook.last_updated),
        "enabled": webhook.enabled,
    }


def _settings(twin: JiraTwin, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of a webhook from a register or update body, or Jira's 400."""
    errors: dict[str, str] = {}
    name, url, events = data.get("name"), data.get("url"), data.get("events")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "The webhook name must not be empty."
    try:
        check_url(url if isinstance(url, str) else "")
    except DeliveryError as error:
        errors["url"] = str(error)
    if not isinstance(events, list) or not events:
        errors["events"] = "Specify at least one event."
    elif unknown := sorted(set(map(str, events)) - set(EVENTS)):
        errors["events"] = f"Unknown events: {', '.join(unknown)}."
    filters = data.get("filters") or {}
    query = filters.get(JQL_FILTER) if isinstance(filters, dict) else None
    if query:
        try:
            jql.parse(str(query), twin.state, None)
        except jql.JqlError as error:
            errors["filters"] = f"Invalid JQL: {error}"
    secret = data.get("secret")
    if secret is not None and not isinstance(secret, str):
        errors["secret"] = "The secret must be a string."
    if errors:
        raise field_errors(errors)
    return {
        "name": name,
        "url": url,
        "events": list(events),  # type: ignore[arg-type]
        "jql": str(query) if query else None,
        "exclude_body": bool(data.get("excludeBody", False)),
        "secret": secret,
        "enabled": bool(data.get("enabled", True)),
    }


def _find(twin: JiraTwin, request: Request) -> Webhook:
    webhook = twin.state.webhooks.get(request.path_params["webhook_id"])
    if webhook is None:
        raise not_found(f"No webhook with id {request.path_params['webhook_id']}.")
    return webhook


@router.post(WEBHOOKS, name="webhook.register")
def register(twin: JiraTwin, request: Request) -> Response:
    _admin(twin, request)
    settings = _settings(twin, body(request))
    webhook = Webhook(
        twin.ids.next("webhook"),
        **settings,
        last_updated=twin.clock.now(),
        last_updated_user=request.principal,
    )
    twin.state.webhooks[webhook.id] = webhook
    return json_response(_render(twin, request, webhook), 201)


@router.get(WEBHOOKS, name="webhook.list")
def list_webhooks(twin: JiraTwin, request: Request) -> list[dict[str, Any]]:
    _admin(twin, request)
    return [_render(twin, request, webhook) for webhook in twin.state.webhooks.values()]


@router.get(WEBHOOKS + "/{webhook_id:int}", name="webhook.get")
def get_webhook(twin: JiraTwin, request: Request) -> dict[str, Any]:
    _admin(twin, request)
    return _render(twin, request, _find(twin, request))


@router.put(WEBHOOKS + "/{webhook_id:int}", name="webhook.update")
def update_webhook(twin: JiraTwin, request: Request) -> dict[str, Any]:
    _admin(twin, request)
    webhook = _find(twin, request)
    for name, value in _settings(twin, body(request)).items():
        setattr(webhook, name, value)
    webhook.last_updated, webhook.last_updated_user = twin.clock.now(), request.principal
    return _render(twin, request, webhook)


@router.delete(WEBHOOKS + "/{webhook_id:int}", name="webhook.delete")
def delete_webhook(twin: JiraTwin, request: Request) -> Response:
    _admin(twin, request)
    del twin.state.webhooks[_find(twin, request).id]
    return Response(204)
