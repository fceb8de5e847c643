"""People asking the bot in Slack, and what the bot answers in their thread.

People post through the Slack twin (``slack.act_as``), so the bot gets the Events API callbacks a
real workspace sends. A forged or repeated callback is sent to the bot's URL directly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from pytest_holdout import parsers, step, then
from steps.world import CHANNEL, Story, Thread, eventually


def _mention(story: Story) -> str:
    return f"<@{story.people['access-bot']}>"


@step(parsers.parse('{person:w} asks the bot "{text}"'))
def asks(story: Story, slack: Any, person: str, text: str) -> None:
    posted = slack.act_as(person).post_message(CHANNEL, f"{_mention(story)} {text}")
    story.thread = Thread(person, posted["ts"])


@step(parsers.parse('{person:w} replies in the thread "{text}"'))
def replies_in_thread(story: Story, slack: Any, person: str, text: str) -> None:
    assert story.thread is not None, "no request thread yet"
    slack.act_as(person).post_message(CHANNEL, text, thread_ts=story.thread.ts)


@step(parsers.parse('{person:w} replies to the bot in the thread "{text}"'))
def replies_to_bot(story: Story, slack: Any, person: str, text: str) -> None:
    assert story.thread is not None, "no request thread yet"
    slack.act_as(person).post_message(CHANNEL, f"{_mention(story)} {text}", story.thread.ts)


def _bot_replies(slack: Any, thread: Thread) -> list[str]:
    with slack.lock:
        conversation = slack.state.conversations[CHANNEL]
        return [
            message.text
            for message in conversation.messages.values()
            if message.bot_id and message.thread_ts == thread.ts and message.ts != thread.ts
        ]


def next_reply(story: Story, slack: Any) -> str:
    """The bot's next reply in the request's thread (waiting for it), which the reply steps
    then check."""
    thread = story.thread
    assert thread is not None, "no request thread yet"
    replies = eventually(
        lambda: _bot_replies(slack, thread)[thread.seen :],
        lambda: (
            f"the bot did not reply in the thread (earlier replies: {_bot_replies(slack, thread)})"
        ),
    )
    thread.seen += 1
    story.reply = replies[0]
    return story.reply


@then("the bot replies in the thread")
def bot_replies(story: Story, slack: Any) -> None:
    next_reply(story, slack)


@then(parsers.parse('the reply mentions "{words}"'))
def reply_mentions(story: Story, words: str) -> None:
    assert words.lower() in story.reply.lower(), f"the reply {story.reply!r} lacks {words!r}"


@then("the reply names the issue")
def reply_names_issue(story: Story) -> None:
    assert story.issue, "no issue was opened"
    assert story.issue in story.reply, f"the reply {story.reply!r} does not name {story.issue}"


@then(parsers.parse("the bot has replied {count:d} time(s) in the thread"))
def reply_count(story: Story, slack: Any, count: int) -> None:
    assert story.thread is not None, "no request thread yet"
    replies = _bot_replies(slack, story.thread)
    assert len(replies) == count, f"the bot replied {len(replies)} times: {replies}"


# --- calls that do not come from the Slack twin's own delivery ---------------------------------
def _post_event(story: Story, envelope: dict[str, Any], secret: str, retry: bool) -> int:
    body = json.dumps(envelope).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    if retry:
        headers.update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    return post(f"{story.url}/slack/events", body, headers)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to the bot; its HTTP status."""
    request = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


@step(parsers.parse('someone forges a Slack event in which {person:w} asks the bot "{text}"'))
def forged_event(story: Story, slack: Any, person: str, text: str) -> None:
    envelope = {
        "type": "event_callback",
        "event_id": "Ev0FORGED0001",
        "event": {
            "type": "app_mention",
            "user": story.people[person],
            "text": f"{_mention(story)} {text}",
            "ts": "1767225600.000100",
            "channel": CHANNEL,
        },
    }
    story.status = _post_event(story, envelope, "not-the-signing-secret", retry=False)


@step("Slack delivers that request to the bot again")
def delivered_again(story: Story, slack: Any) -> None:
    slack.deliveries.wait()
    mentions = slack.deliveries.of("app_mention")
    assert mentions, "Slack delivered no mention of the bot"
    story.status = _post_event(story, mentions[-1].payload, slack.signing_secret, retry=True)


@then("the bot refuses it")
def refused(story: Story) -> None:
    assert story.status == 401, f"the bot answered HTTP {story.status}, not 401"


@then("the bot accepts it")
def accepted(story: Story) -> None:
    assert story.status is not None and 200 <= story.status < 300, f"HTTP {story.status}"
