"""Jira's webhooks: what the Jira twin posts to the URLs registered as admin webhooks.

Creating, editing, transitioning or deleting an issue and creating, editing or deleting a
comment post the event (``jira:issue_created``, ``jira:issue_updated``, ``comment_created``, ...)
to every enabled webhook that lists it and whose JQL filter matches the issue, as Jira Cloud
does: the issue as REST API v2 renders it, the acting user, and for updates a changelog of what
changed. A transition is an update whose changelog has the status (Jira has no event of its own
for it). A webhook with a secret signs each request (``X-Hub-Signature: sha256=<HMAC>``). A
failure (no answer within 20 s, 408, 409, 425, 429 or 5xx) is retried up to five times, five
minutes apart on the twin's clock, with ``X-Atlassian-Webhook-Retry``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from holdout_twins.core import Answer, Attempt, Delivery, RetryPolicy
from holdout_twins.core.events import Signer
from holdout_twins.core.server import HOST
from holdout_twins.jira import adf, jql
from holdout_twins.jira.render import Renderer
from holdout_twins.jira.state import Comment, Issue, Site, Webhook

if TYPE_CHECKING:
    from holdout_twins.jira.twin import JiraTwin

EVENTS = (
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
)
TIMEOUT = 20.0  # seconds Jira Cloud waits for an answer
RETRY_DELAYS = (300.0,) * 5
RETRIED_STATUSES = frozenset({408, 409, 425, 429})
USER_AGENT = "Atlassian Webhook HTTP Client"


# --- what changed -------------------------------------------------------------------------------
Tracked = dict[str, tuple[str | None, str | None]]  # field: (id, display string)


def tracked(site: Site, issue: Issue) -> Tracked:
    """The fields a changelog reports, each as (id, display string), to compare before/after."""
    assignee = site.users.get(issue.assignee or "")
    resolution = site.resolution if issue.resolved is not None else {}
    return {
        "summary": (None, issue.summary),
        "description": (None, adf.to_text(issue.description) if issue.description else None),
        "issuetype": (issue.issue_type, site.issue_types[issue.issue_type].name),
        "priority": (issue.priority, site.priorities[issue.priority].name),
        "assignee": (issue.assignee, assignee.display_name if assignee else None),
        "labels": (None, " ".join(issue.labels) or None),
        "status": (issue.status, site.statuses[issue.status].name),
        "resolution": (resolution.get("id"), resolution.get("name")),
    }


def changes(before: Tracked, after: Tracked) -> list[dict[str, Any]]:
    """Jira's changelog items for the fields that differ."""
    return [
        {
            "field": name,
            "fieldtype": "jira",
            "fieldId": name,
            "from": before[name][0],
            "fromString": before[name][1],
            "to": after[name][0],
            "toString": after[name][1],
        }
        for name in after
        if before[name] != after[name]
    ]


# --- events, raised by the handlers under the twin's lock -----------------------------------------
def issue_created(twin: JiraTwin, issue: Issue, user: str) -> None:
    _emit(twin, "jira:issue_created", issue, user, {"issue_event_type_name": "issue_created"})


def issue_updated(
    twin: JiraTwin, issue: Issue, user: str, items: list[dict[str, Any]], kind: str
) -> None:
    """``kind`` is Jira's ``issue_event_type_name``: issue_updated, issue_assigned, or
    issue_generic for a transition. Nothing is sent when nothing changed."""
    if not items:
        return
    changelog = {"id": str(10000 + twin.ids.next("changelog")), "items": items}
    extra = {"issue_event_type_name": kind, "changelog": changelog}
    _emit(twin, "jira:issue_updated", issue, user, extra)


def issue_deleted(twin: JiraTwin, issue: Issue, user: str) -> None:
    """Before the issue is gone: JQL filters still see it."""
    _emit(twin, "jira:issue_deleted", issue, user, {"issue_event_type_name": "issue_deleted"})


def comment_event(twin: JiraTwin, event: str, issue: Issue, comment: Comment) -> None:
    """``comment_created``, ``comment_updated`` or ``comment_deleted``: the comment and the issue
    in brief, as Jira sends them."""
    draw = _renderer(twin)
    brief = {
        key: value
        for key, value in draw.issue(
            issue, ["summary", "issuetype", "project", "assignee", "priority", "status"]
        ).items()
        if key in ("id", "self", "key", "fields")
    }
    _deliver(twin, event, issue, {"comment": draw.comment(issue, comment), "issue": brief})


def _emit(twin: JiraTwin, event: str, issue: Issue, user: str, extra: dict[str, Any]) -> None:
    draw = _renderer(twin)
    body = {"user": draw.user(twin.state.users[user]), "issue": draw.issue(issue), **extra}
    _deliver(twin, event, issue, body)


def _deliver(twin: JiraTwin, event: str, issue: Issue, body: dict[str, Any]) -> None:
    site = twin.state
    listening = [
        webhook
        for webhook in site.webhooks.values()
        if webhook.enabled and event in webhook.events and _matches(site, webhook, issue)
    ]
    if not listening:
        return
    payload = {"timestamp": int(twin.clock.now() * 1000), "webhookEvent": event, **body}
    encoded = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    for webhook in listening:
        identifier = str(twin.ids.next("webhook-delivery"))
        twin.deliveries.enqueue(
            Delivery(
                event,
                webhook.url,
                b"" if webhook.exclude_body else encoded,
                headers={"User-Agent": USER_AGENT, "X-Atlassian-Webhook-Identifier": identifier},
                policy=RetryPolicy(timeout=TIMEOUT, delays=RETRY_DELAYS),
                sign=_signer(webhook.secret),
                retry_if=_retryable,
            )
        )


def _matches(site: Site, webhook: Webhook, issue: Issue) -> bool:
    if not webhook.jql:
        return True
    return issue in jql.parse(webhook.jql, site, None).run(site)


def _renderer(twin: JiraTwin) -> Renderer:
    base = twin.base_url if twin.running else f"http://{HOST}"
    return Renderer(twin.state, base, 2)


def _retryable(answer: Answer | None) -> bool:
    return answer is None or answer.status in RETRIED_STATUSES or answer.status >= 500


def _signer(secret: str | None) -> Signer:
    def sign(delivery: Delivery, number: int, previous: Attempt | None) -> dict[str, str]:
        headers = {}
        if previous is not None:
            headers["X-Atlassian-Webhook-Retry"] = str(number - 1)
        if secret:
            digest = hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        return headers

    return sign
