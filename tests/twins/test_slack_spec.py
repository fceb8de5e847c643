"""The Slack twin's responses, checked against Slack's published OpenAPI description.

The description lives outside the repository (``<repo>/../shared/api-specs``); without it these
tests are skipped. Its publisher says it is not always right: where it disagrees with Slack's
documented behaviour the twin follows Slack, and ``SlackTwin.correct_description`` patches the
description accordingly (twins/slack/description.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from holdout_twins.slack import SlackTwin

GENERAL = "C0GENERAL1"


@pytest.fixture(scope="module")
def spec(api_specs: Path) -> dict[str, Any]:
    published = json.loads((api_specs / "slack-web-openapi-v2.json").read_text())
    SlackTwin.correct_description(published)
    return published


def assert_valid(spec: dict[str, Any], method: str, body: dict[str, Any], status: str) -> None:
    (operation,) = spec["paths"][f"/{method}"].values()
    schema = {**operation["responses"][status]["schema"], "definitions": spec["definitions"]}
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in jsonschema.Draft4Validator(schema).iter_errors(body)
    ]
    assert errors == [], f"{method} response does not match the description"


def _posted(client: WebClient) -> str:
    ts = client.chat_postMessage(channel=GENERAL, text="parent")["ts"]
    client.chat_postMessage(channel=GENERAL, text="reply", thread_ts=ts)
    client.reactions_add(channel=GENERAL, timestamp=ts, name="tada")
    client.chat_update(channel=GENERAL, ts=ts, text="edited parent")
    return ts


def _created(client: WebClient) -> str:
    return client.conversations_create(name="described")["channel"]["id"]


SUCCESSES: dict[str, Callable[[WebClient], Any]] = {
    "auth.test": lambda c: c.auth_test(),
    "chat.postMessage": lambda c: c.chat_postMessage(channel=GENERAL, text="hi", thread_ts=None),
    "chat.update": lambda c: c.chat_update(channel=GENERAL, ts=_posted(c), text="again"),
    "chat.delete": lambda c: c.chat_delete(channel=GENERAL, ts=_posted(c)),
    "conversations.create": lambda c: c.conversations_create(name="new-one", is_private=True),
    "conversations.list": lambda c: c.conversations_list(limit=2),
    "conversations.info": lambda c: c.conversations_info(channel=GENERAL, include_num_members=1),
    "conversations.history": lambda c: (_posted(c), c.conversations_history(channel=GENERAL))[1],
    "conversations.replies": lambda c: c.conversations_replies(channel=GENERAL, ts=_posted(c)),
    "conversations.join": lambda c: c.conversations_join(channel="C0RANDOM01"),
    "conversations.invite": lambda c: c.conversations_invite(
        channel=_created(c), users="U0ALICE001,U0BOB00001"
    ),
    "conversations.members": lambda c: c.conversations_members(channel=GENERAL, limit=2),
    "users.list": lambda c: c.users_list(limit=3),
    "users.info": lambda c: c.users_info(user="U0ALICE001"),
    "users.lookupByEmail": lambda c: c.users_lookupByEmail(email="carol@example.com"),
    "reactions.add": lambda c: c.reactions_add(channel=GENERAL, timestamp=_posted(c), name="eyes"),
    "reactions.get": lambda c: c.reactions_get(channel=GENERAL, timestamp=_posted(c)),
}


@pytest.mark.parametrize("method", sorted(SUCCESSES))
def test_successful_responses_match_the_description(spec, client, method):
    assert_valid(spec, method, SUCCESSES[method](client).data, "200")


def test_an_empty_and_a_paginated_history_match_the_description(spec, client):
    empty = client.conversations_history(channel=_created(client))
    for index in range(3):
        client.chat_postMessage(channel=GENERAL, text=f"page {index}")
    first_page = client.conversations_history(channel=GENERAL, limit=2)

    assert first_page["has_more"] is True
    assert_valid(spec, "conversations.history", empty.data, "200")
    assert_valid(spec, "conversations.history", first_page.data, "200")


ERRORS: list[tuple[str, Callable[[WebClient], Any]]] = [
    ("chat.postMessage", lambda c: c.chat_postMessage(channel="C0NOWHERE1", text="x")),
    ("chat.postMessage", lambda c: c.chat_postMessage(channel="C0RANDOM01", text="x")),
    ("chat.update", lambda c: c.chat_update(channel=GENERAL, ts="1.000001", text="x")),
    ("conversations.history", lambda c: c.conversations_history(channel="C0NOWHERE1")),
    ("conversations.create", lambda c: c.conversations_create(name="general")),
    ("conversations.invite", lambda c: c.conversations_invite(channel=GENERAL, users="U0NONE0001")),
    ("users.info", lambda c: c.users_info(user="U0NONE0001")),
    ("users.lookupByEmail", lambda c: c.users_lookupByEmail(email="none@example.com")),
    ("reactions.add", lambda c: c.reactions_add(channel=GENERAL, timestamp="1.1", name="x")),
]


@pytest.mark.parametrize(
    ("method", "call"), ERRORS, ids=[f"{m}-{i}" for i, (m, _) in enumerate(ERRORS)]
)
def test_error_responses_match_the_description(spec, client, method, call):
    with pytest.raises(SlackApiError) as raised:
        call(client)

    assert_valid(spec, method, raised.value.response.data, "default")


def test_authentication_errors_match_the_description(spec, slack):
    for token in (None, "xoxb-1-2-wrong"):
        with pytest.raises(SlackApiError) as raised:
            WebClient(token=token, base_url=slack.base_url + "/api/").auth_test()
        assert_valid(spec, "auth.test", raised.value.response.data, "default")


def test_a_rate_limited_response_matches_the_documented_error(spec, slack, client):
    slack.rate_limits.set("chat.postMessage", 1, per=60.0)
    client.chat_postMessage(channel=GENERAL, text="allowed")

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="refused")

    assert raised.value.response.status_code == 429
    assert_valid(spec, "chat.postMessage", raised.value.response.data, "default")
