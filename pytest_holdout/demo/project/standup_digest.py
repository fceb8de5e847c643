"""The software under test: a standup digest bot, as a coding agent might have written it.

It reads the #standup channel and posts one digest message to #general. It talks to Slack's Web
API over plain HTTP, so the demo needs no Slack SDK; it works against the Slack twin exactly as
it would against slack.com.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any


class SlackError(Exception):
    pass


def call(base_url: str, token: str, method: str, **params: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base_url}/api/{method}",
        data=urllib.parse.urlencode(params).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        body = json.load(error)
    if not body.get("ok"):
        raise SlackError(body.get("error", "unknown error"))
    return body


def post_digest(base_url: str, token: str, source: str, target: str) -> str | None:
    """Post a digest of ``source``'s updates to ``target``; returns its text, or None."""
    history = call(base_url, token, "conversations.history", channel=source, limit=100)
    updates = [message for message in history["messages"] if not message.get("bot_id")]
    if not updates:
        return None
    lines = [f"- <@{message['user']}>: {message['text']}" for message in reversed(updates)]
    text = f"Standup digest: {len(updates)} updates\n" + "\n".join(lines)
    call(base_url, token, "chat.postMessage", channel=target, text=text)
    return text
