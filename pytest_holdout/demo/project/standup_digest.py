"""The software under test: a standup digest bot, as a coding agent might have written it.

It reads the #standup channel and posts one digest message to #general. It talks to Slack's Web
API over plain HTTP, so the demo needs no Slack SDK; it works against the Slack twin exactly as
it would against slack.com. It is a command, run by the step definitions in a sandbox::

    SLACK_API_URL=https://slack.com/api SLACK_BOT_TOKEN=xoxb-... \
        python standup_digest.py --from C0STANDUP1 --to C0GENERAL1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
import urllib.request
from typing import Any


class SlackError(Exception):
    pass


def call(api_url: str, token: str, method: str, **params: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{api_url}/{method}",
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


def post_digest(api_url: str, token: str, source: str, target: str) -> str | None:
    """Post a digest of ``source``'s updates to ``target``; returns its text, or None."""
    history = call(api_url, token, "conversations.history", channel=source, limit=100)
    updates = [message for message in history["messages"] if not message.get("bot_id")]
    if not updates:
        return None
    lines = [f"- <@{message['user']}>: {message['text']}" for message in reversed(updates)]
    text = f"Standup digest: {len(updates)} updates\n" + "\n".join(lines)
    call(api_url, token, "chat.postMessage", channel=target, text=text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description="Post #standup's digest to #general.")
    parser.add_argument("--from", dest="source", required=True, help="the standup channel's id")
    parser.add_argument("--to", dest="target", required=True, help="where the digest goes")
    args = parser.parse_args()
    try:
        text = post_digest(
            os.environ["SLACK_API_URL"], os.environ["SLACK_BOT_TOKEN"], args.source, args.target
        )
    except (SlackError, OSError) as error:
        print(f"standup-digest: {error}", file=sys.stderr)
        return 1
    print(text or "no updates: no digest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
