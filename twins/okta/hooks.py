"""Okta's event hooks: what the Okta twin posts to the event hooks registered in the org.

A hook receives events only once it is ACTIVE and VERIFIED: ``verify`` sends the one-time
verification request (a GET with ``X-Okta-Verification-Challenge``), which the endpoint must
answer with ``{"verification": <the challenge>}``. Then every user lifecycle change and group
membership change the hook subscribes to is posted as Okta's event hook envelope (a CloudEvent
whose ``data.events`` holds the System Log event), with the hook's own headers and its
authorization header. Okta waits 3 seconds for an answer and retries once after a timeout or an
error response.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from holdout_twins.core import Delivery, RetryPolicy
from holdout_twins.core.server import HOST
from holdout_twins.okta.state import EventHook, Group, User

if TYPE_CHECKING:
    from holdout_twins.okta.twin import OktaTwin

# The event types the twin raises, with their System Log display message and legacy type.
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "user.lifecycle.create": ("Create Okta user", "core.user.config.user_creation.success"),
    "user.lifecycle.activate": ("Activate Okta user", "core.user.config.user_activated"),
    "user.lifecycle.deactivate": ("Deactivate Okta user", "core.user.config.user_deactivated"),
    "user.lifecycle.suspend": ("Suspend Okta user", "core.user.config.user_status.suspended"),
    "user.lifecycle.unsuspend": (
        "Unsuspend Okta user",
        "core.user.config.user_status.unsuspended",
    ),
    "user.lifecycle.delete.initiated": ("Delete Okta user", "core.user.config.user_deleted"),
    "group.user_membership.add": (
        "Add user to group membership",
        "core.user_group_member.user_add",
    ),
    "group.user_membership.remove": (
        "Remove user from group membership",
        "core.user_group_member.user_remove",
    ),
}
TIMEOUT = 3.0
POLICY = RetryPolicy(timeout=TIMEOUT, delays=(0.0,))  # one retry, straight away
USER_AGENT = "Okta Event Hooks"


def verify(twin: OktaTwin, hook: EventHook) -> Delivery:
    """The one-time verification request, sent now (the caller waits for the verdict)."""
    challenge = twin.ids.string(40)
    return twin.deliveries.send(
        Delivery(
            "verification",
            hook.uri,
            method="GET",
            headers={
                **hook.sent_headers,
                "User-Agent": USER_AGENT,
                "X-Okta-Verification-Challenge": challenge,
            },
            policy=POLICY,
            accept=lambda answer: _verification_of(answer.body) == challenge,
        )
    )


def _verification_of(body: bytes) -> Any:
    try:
        return json.loads(body).get("verification")
    except (ValueError, AttributeError):
        return None


# --- events, raised by the handlers under the twin's lock -----------------------------------------
def user_event(twin: OktaTwin, event_type: str, user: User, actor: str) -> None:
    emit(twin, event_type, [_user_target(user)], actor)


def membership_event(twin: OktaTwin, event_type: str, user: User, group: Group, actor: str) -> None:
    group_target = {
        "id": group.id,
        "type": "UserGroup",
        "alternateId": "unknown",
        "displayName": group.name,
        "detailEntry": None,
    }
    emit(twin, event_type, [_user_target(user), group_target], actor)


def emit(twin: OktaTwin, event_type: str, targets: list[dict[str, Any]], actor: str) -> None:
    """Queue the event for every active, verified hook that subscribes to it."""
    org = twin.state
    hooks = [
        hook
        for hook in org.event_hooks.values()
        if hook.status == "ACTIVE"
        and hook.verification_status == "VERIFIED"
        and event_type in hook.events
    ]
    if not hooks:
        return
    now = twin.clock.isoformat()
    display_message, legacy_type = EVENT_TYPES[event_type]
    actor_user = org.users.get(actor)
    log_event = {
        "uuid": twin.ids.uuid(),
        "published": now,
        "eventType": event_type,
        "version": "0",
        "displayMessage": display_message,
        "severity": "INFO",
        "client": {
            "userAgent": {"rawUserAgent": "holdout-twin", "os": "Unknown", "browser": "UNKNOWN"},
            "zone": "null",
            "device": "Unknown",
            "id": None,
            "ipAddress": HOST,
            "geographicalContext": None,
        },
        "actor": _user_target(actor_user) if actor_user else _system_actor(actor),
        "outcome": {"result": "SUCCESS", "reason": None},
        "target": targets,
        "transaction": {"type": "WEB", "id": twin.ids.string(27), "detail": {}},
        "debugContext": {"debugData": {}},
        "legacyEventType": legacy_type,
        "authenticationContext": {
            "authenticationProvider": None,
            "credentialProvider": None,
            "credentialType": None,
            "issuer": None,
            "externalSessionId": twin.ids.string(25),
            "interface": None,
        },
        "securityContext": {
            "asNumber": None,
            "asOrg": None,
            "isp": None,
            "domain": None,
            "isProxy": None,
        },
        "insertionTimestamp": None,
    }
    for hook in hooks:
        envelope = {
            "eventType": "com.okta.event_hook",
            "eventTypeVersion": "1.0",
            "cloudEventsVersion": "0.1",
            "source": f"{_org_url(twin)}/api/v1/eventHooks/{hook.id}",
            "eventId": twin.ids.uuid(),
            "data": {"events": [log_event]},
            "eventTime": now,
            "contentType": "application/json",
        }
        twin.deliveries.enqueue(
            Delivery(
                event_type,
                hook.uri,
                json.dumps(envelope, separators=(",", ":")).encode("utf-8"),
                headers={**hook.sent_headers, "User-Agent": USER_AGENT},
                policy=POLICY,
            )
        )


def _user_target(user: User) -> dict[str, Any]:
    name = " ".join(str(user.profile.get(key) or "") for key in ("firstName", "lastName"))
    return {
        "id": user.id,
        "type": "User",
        "alternateId": user.login,
        "displayName": name.strip(),
        "detailEntry": None,
    }


def _system_actor(actor: str) -> dict[str, Any]:
    return {"id": actor, "type": "PublicClientApp", "alternateId": "unknown", "displayName": ""}


def _org_url(twin: OktaTwin) -> str:
    return twin.base_url if twin.running else f"http://{HOST}"
