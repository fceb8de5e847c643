"""Bad input to the Slack twin: Slack's own error shape every time, and the twin keeps serving."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        ('{"channel": "C0GENERAL1", "text": ', JSON, 200, "invalid_json"),
        ('["C0GENERAL1", "hi"]', JSON, 200, "json_not_object"),
        ("channel=C0GENERAL1&text=hi", {"Content-Type": "text/plain"}, 200, "invalid_post_type"),
        (b"channel=C0GENERAL1&text=\xff\xfe", FORM, 200, "invalid_form_data"),
        ("text=" + "x" * (1024 * 1024), FORM, 413, "request_too_large"),
    ],
    ids=["malformed-json", "json-array", "wrong-content-type", "not-utf8", "too-large"],
)
def test_bad_bodies_get_slacks_error_and_the_twin_keeps_serving(
    slack, client, send, body, headers, status, error
):
    refused = send(slack, "POST", "/api/chat.postMessage", body, headers)

    assert refused.status == status
    assert refused.json() == {"ok": False, "error": error}
    assert client.chat_postMessage(channel="C0GENERAL1", text="still serving")["ok"]


def test_an_unknown_method_is_a_404_with_unknown_method(slack, client, send):
    unknown = send(slack, "POST", "/api/chat.postTelegram", "text=hi", FORM)

    assert unknown.status == 404
    assert unknown.json() == {
        "ok": False,
        "error": "unknown_method",
        "req_method": "chat.postTelegram",
    }
    assert client.auth_test()["ok"]


def test_an_unknown_path_outside_the_api_is_a_404(slack, send):
    assert send(slack, "GET", "/index.html").status == 404


def test_a_verb_slack_does_not_take_is_refused(slack, send):
    refused = send(slack, "DELETE", "/api/chat.postMessage")

    assert (refused.status, refused.json()["error"]) == (405, "method_not_allowed")


def test_typed_json_values_are_accepted_like_their_form_strings(slack, client, send):
    created = send(
        slack, "POST", "/api/conversations.create", {"name": "typed", "is_private": True}
    )
    channel = created.json()["channel"]["id"]
    send(slack, "POST", "/api/conversations.invite", {"channel": channel, "users": ["U0ALICE001"]})
    for text in ("one", "two", "three"):
        send(slack, "POST", "/api/chat.postMessage", {"channel": channel, "text": text})
    page = send(slack, "POST", "/api/conversations.history", {"channel": channel, "limit": 2})

    assert created.json()["channel"]["is_private"] is True
    assert client.conversations_members(channel=channel)["members"] == ["U0BOT00001", "U0ALICE001"]
    assert [message["text"] for message in page.json()["messages"]] == ["three", "two"]
    assert page.json()["has_more"] is True


@pytest.mark.parametrize("limit", ["many", "-5"])
def test_a_nonsense_limit_is_invalid_limit(client, limit):
    with pytest.raises(SlackApiError) as raised:
        client.conversations_list(limit=limit)

    assert raised.value.response["error"] == "invalid_limit"
