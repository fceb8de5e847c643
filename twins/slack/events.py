"""The Events API: what the Slack twin sends to the app's request URL.

Setting a request URL sends the ``url_verification`` challenge first, as saving it in the app's
settings does; Slack keeps the URL only if the app echoes the challenge. Then every message,
mention, reaction and member joining in a conversation the bot is in reaches the app as an
``event_callback`` envelope, if the app subscribes to that event. Every request is signed with
the app's signing secret (v0: ``HMAC-SHA256("v0:<timestamp>:<body>")``). An app that does not
answer 2xx within its timeout gets the event again at once, after a minute and after five
minutes on the twin's clock, with ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``, unless
it answers ``X-Slack-No-Retry: 1``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from holdout_twins.core import (
    ALNUM,
    Answer,
    Attempt,
    Delivery,
    DeliveryError,
    RetryPolicy,
    check_url,
)
from holdout_twins.core.events import Signer
from holdout_twins.slack.state import Conversation, Message

if TYPE_CHECKING:
    from holdout_twins.slack.twin import SlackTwin

# The subscriptions the twin can deliver (bot events); "message.*" name the channel kind.
EVENT_TYPES = (
    "app_mention",
    "message.channels",
    "message.groups",
    "reaction_added",
    "member_joined_channel",
)
RETRY_DELAYS = (0.0, 60.0, 300.0)  # Slack's: at once, after a minute, after five minutes
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
# X-Slack-Retry-Reason for the outcome of the attempt that failed.
RETRY_REASONS = {
    "timeout": "http_timeout",
    "connection_failed": "connection_failed",
    "http_error": "http_error",
    "rejected": "http_error",
}


class SubscriptionError(ValueError):
    """A request URL Slack would not save: not loopback, or the app did not pass the challenge."""


# --- the settings -------------------------------------------------------------------------------
def subscribe(
    twin: SlackTwin,
    request_url: str,
    events: Iterable[str] | None = None,
    timeout: float | None = None,
) -> Delivery:
    """Verify ``request_url`` with the challenge and, if the app passes it, deliver events there
    from now on. ``events`` are the subscriptions (default: all of ``EVENT_TYPES``); ``timeout``
    the seconds the app has to answer (default: the app's, 3 as on Slack)."""
    wanted = list(EVENT_TYPES if events is None else events)
    unknown = sorted(set(wanted) - set(EVENT_TYPES))
    if unknown:
        known = ", ".join(EVENT_TYPES)
        raise SubscriptionError(f"unknown event types: {', '.join(unknown)} (known: {known})")
    if timeout is not None and not 0 < timeout <= 60:
        raise SubscriptionError("timeout must be between 0 and 60 seconds")
    try:
        check_url(request_url)
    except DeliveryError as error:
        raise SubscriptionError(str(error)) from None
    app = twin.state.app
    challenge = twin.ids.string(48, ALNUM)
    body = {"token": app.verification_token, "challenge": challenge, "type": "url_verification"}
    chosen = app.timeout if timeout is None else timeout
    verification = twin.deliveries.send(
        Delivery(
            "url_verification",
            request_url,
            _encode(body),
            headers={"User-Agent": USER_AGENT},
            policy=RetryPolicy(timeout=chosen),
            sign=_signer(app.signing_secret),
            accept=lambda answer: _echoes(answer, challenge),
        )
    )
    if verification.state != "delivered":
        raise SubscriptionError(
            f"{request_url} did not answer the url_verification challenge "
            f"({verification.attempts[-1].summary})"
        )
    with twin.lock:
        app.request_url, app.events, app.timeout = request_url, wanted, chosen
    return verification


def unsubscribe(twin: SlackTwin) -> None:
    """Turn the Events API off: no request URL."""
    with twin.lock:
        twin.state.app.request_url = None


def settings(twin: SlackTwin) -> dict[str, Any]:
    app = twin.state.app
    return {
        "app_id": app.id,
        "request_url": app.request_url,
        "events": list(app.events),
        "timeout": app.timeout,
        "signing_secret": app.signing_secret,
        "verification_token": app.verification_token,
    }


def _echoes(answer: Answer, challenge: str) -> bool:
    """Slack takes the challenge back as plain text, as a form, or as JSON."""
    if answer.status != 200:
        return False
    text = answer.text.strip()
    if text in (challenge, f"challenge={challenge}"):
        return True
    try:
        return json.loads(text).get("challenge") == challenge
    except (ValueError, AttributeError):
        return False


# --- events, raised by the handlers under the twin's lock ---------------------------------------
MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def message_posted(twin: SlackTwin, conversation: Conversation, message: Message) -> None:
    """A ``message`` event, and an ``app_mention`` if the text mentions the bot."""
    workspace = twin.state
    event = {
        **message.to_api(workspace.team, conversation),
        "channel": conversation.id,
        "event_ts": message.ts,
        "channel_type": "group" if conversation.is_private else "channel",
    }
    subscription = "message.groups" if conversation.is_private else "message.channels"
    _emit(twin, conversation, subscription, event)
    mentioned = workspace.bot_user in MENTION.findall(message.text)
    if mentioned and message.user != workspace.bot_user:
        mention = {
            key: event[key]
            for key in ("user", "type", "ts", "text", "team", "thread_ts", "blocks")
            if key in event
        }
        mention.update(type="app_mention", channel=conversation.id, event_ts=message.ts)
        _emit(twin, conversation, "app_mention", mention)


def reaction_added(
    twin: SlackTwin, conversation: Conversation, message: Message, user: str, name: str
) -> None:
    event = {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item_user": message.user,
        "item": {"type": "message", "channel": conversation.id, "ts": message.ts},
        "event_ts": twin.new_ts(),
    }
    _emit(twin, conversation, "reaction_added", event)


def member_joined(
    twin: SlackTwin, conversation: Conversation, user: str, inviter: str | None = None
) -> None:
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": conversation.id,
        "channel_type": "G" if conversation.is_private else "C",
        "team": twin.state.team.id,
        "event_ts": twin.new_ts(),
    }
    if inviter is not None:
        event["inviter"] = inviter
    _emit(twin, conversation, "member_joined_channel", event)


def _emit(
    twin: SlackTwin, conversation: Conversation, subscription: str, event: dict[str, Any]
) -> None:
    """Queue ``event`` for the app if it listens to it and its bot is in the conversation."""
    workspace = twin.state
    app = workspace.app
    if app.request_url is None or subscription not in app.events:
        return
    if workspace.bot_user not in conversation.members:
        return
    envelope = {
        "token": app.verification_token,
        "team_id": workspace.team.id,
        "context_team_id": workspace.team.id,
        "context_enterprise_id": None,
        "api_app_id": app.id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{twin.ids.string(10)}",
        "event_time": int(twin.clock.now()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": workspace.team.id,
                "user_id": workspace.bot_user,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{twin.ids.string(24)}",
    }
    twin.deliveries.enqueue(
        Delivery(
            event["type"],
            app.request_url,
            _encode(envelope),
            headers={"User-Agent": USER_AGENT},
            policy=RetryPolicy(timeout=app.timeout, delays=RETRY_DELAYS),
            sign=_signer(app.signing_secret),
            retry_if=_retryable,
        )
    )


def _retryable(answer: Answer | None) -> bool:
    """Slack retries every failure, unless the app answered ``X-Slack-No-Retry: 1``."""
    return answer is None or answer.headers.get("x-slack-no-retry") != "1"


def _signer(secret: str) -> Signer:
    def sign(delivery: Delivery, number: int, previous: Attempt | None) -> dict[str, str]:
        # The wall clock, not the twin's: receivers refuse a timestamp five minutes off.
        timestamp = str(int(time.time()))
        base = b"v0:" + timestamp.encode() + b":" + delivery.body
        digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}
        if previous is not None:
            headers["X-Slack-Retry-Num"] = str(number - 1)
            headers["X-Slack-Retry-Reason"] = RETRY_REASONS[previous.outcome]
        return headers

    return sign


def _encode(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
