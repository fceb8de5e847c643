"""The Slack twin driven by slack_sdk's WebClient, through realistic sequences of calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)

from holdout_twins.core import load_seed
from holdout_twins.slack import SlackTwin

REPO = Path(__file__).resolve().parents[2]
# slack_sdk warns when a post has no text; some tests leave it out on purpose.
NO_TEXT_WARNING = "ignore:The top-level `text` argument is missing:UserWarning"

GENERAL, RANDOM, SECRET, ARCHIVED = "C0GENERAL1", "C0RANDOM01", "C0SECRET01", "C0OLDNEWS1"
ALICE, BOB, CAROL = "U0ALICE001", "U0BOB00001", "U0CAROL001"


def slack_error(call, *args, **kwargs) -> str:
    """The ``error`` of the SlackApiError that the client raises for this call."""
    with pytest.raises(SlackApiError) as raised:
        call(*args, **kwargs)
    return raised.value.response["error"]


def client_for(twin: SlackTwin, token: str | None = None, **options) -> WebClient:
    return WebClient(token=token or twin.token, base_url=twin.base_url + "/api/", **options)


def test_auth_test_names_the_bot_and_the_workspace(client):
    identity = client.auth_test()

    assert identity["user_id"] == "U0BOT00001"
    assert identity["bot_id"] == "B0BOT00001"
    assert identity["team_id"] == "T0TWIN0001"
    assert identity["url"] == "https://twin-workspace.slack.com/"


def test_a_message_is_posted_edited_and_deleted(client):
    posted = client.chat_postMessage(channel=GENERAL, text="first draft")
    client.chat_update(channel=GENERAL, ts=posted["ts"], text="final text")
    newest = client.conversations_history(channel=GENERAL, limit=1)["messages"][0]
    client.chat_delete(channel=GENERAL, ts=posted["ts"])
    after = client.conversations_history(channel=GENERAL)["messages"]

    assert posted["message"]["text"] == "first draft"
    assert newest["ts"] == posted["ts"]
    assert newest["text"] == "final text"
    assert newest["edited"]["user"] == "U0BOT00001"
    assert posted["ts"] not in [message["ts"] for message in after]
    assert [message["text"] for message in after] == [
        "Glad to be here.",
        "Welcome to the workspace!",
    ]


def test_a_channel_can_be_named_when_posting(client):
    assert client.chat_postMessage(channel="#general", text="by name")["channel"] == GENERAL
    assert client.chat_postMessage(channel="general", text="by name")["channel"] == GENERAL


def test_a_thread_collects_its_replies(client):
    parent = client.chat_postMessage(channel=GENERAL, text="question")["ts"]
    first = client.chat_postMessage(channel=GENERAL, text="answer 1", thread_ts=parent)["ts"]
    client.chat_postMessage(channel=GENERAL, text="answer 2", thread_ts=first)  # to the root
    client.chat_postMessage(
        channel=GENERAL, text="for everyone", thread_ts=parent, reply_broadcast=True
    )

    thread = client.conversations_replies(channel=GENERAL, ts=parent)["messages"]
    history = client.conversations_history(channel=GENERAL)["messages"]

    assert [message["text"] for message in thread] == [
        "question",
        "answer 1",
        "answer 2",
        "for everyone",
    ]
    assert {message["thread_ts"] for message in thread} == {parent}
    assert [message["text"] for message in history[:2]] == ["for everyone", "question"]
    assert history[1]["reply_count"] == 3
    assert history[1]["latest_reply"] == thread[-1]["ts"]
    assert history[0]["subtype"] == "thread_broadcast"


def test_reactions_are_added_and_counted(slack, client):
    ts = client.chat_postMessage(channel=GENERAL, text="react to me")["ts"]
    alice = client_for(slack, slack.issue_token(ALICE))

    client.reactions_add(channel=GENERAL, timestamp=ts, name="thumbsup")
    alice.reactions_add(channel=GENERAL, timestamp=ts, name=":thumbsup:")
    alice.reactions_add(channel=GENERAL, timestamp=ts, name="tada")
    message = client.reactions_get(channel=GENERAL, timestamp=ts)["message"]

    assert message["reactions"] == [
        {"name": "thumbsup", "users": ["U0BOT00001", ALICE], "count": 2},
        {"name": "tada", "users": [ALICE], "count": 1},
    ]
    assert slack_error(client.reactions_add, channel=GENERAL, timestamp=ts, name="thumbsup") == (
        "already_reacted"
    )
    assert slack_error(client.reactions_add, channel=GENERAL, timestamp="1.2", name="x") == (
        "message_not_found"
    )
    assert slack_error(client.reactions_get, channel=GENERAL) == "no_item_specified"


def test_a_channel_is_created_and_people_are_invited(client):
    created = client.conversations_create(name="incident-42")["channel"]
    client.conversations_invite(channel=created["id"], users=[ALICE, BOB])
    info = client.conversations_info(channel=created["id"], include_num_members=True)["channel"]
    members = client.conversations_members(channel=created["id"])["members"]
    listed = [channel["name"] for channel in client.conversations_list()["channels"]]

    assert created["name"] == "incident-42"
    assert created["is_member"] is True
    assert info["num_members"] == 3
    assert members == ["U0BOT00001", ALICE, BOB]
    assert "incident-42" in listed
    assert slack_error(client.conversations_create, name="incident-42") == "name_taken"
    assert slack_error(client.conversations_invite, channel=created["id"], users=[ALICE]) == (
        "already_in_channel"
    )


def test_force_invites_the_valid_users_despite_bad_ones(client):
    channel = client.conversations_create(name="forced")["channel"]["id"]
    mixed = [ALICE, "U0NOBODY01", "U0BOT00001", BOB]

    refused = slack_error(client.conversations_invite, channel=channel, users=mixed)
    client.conversations_invite(channel=channel, users=mixed, force=True)

    assert refused == "user_not_found"
    assert client.conversations_members(channel=channel)["members"] == ["U0BOT00001", ALICE, BOB]
    assert slack_error(client.conversations_invite, channel=channel, users=[ALICE], force=True) == (
        "already_in_channel"
    )


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("Has Spaces", "invalid_name_specials"),
        ("-_-", "invalid_name_punctuation"),
        ("x" * 81, "invalid_name_maxlength"),
        ("release_2-0", None),
    ],
)
def test_channel_names_follow_slacks_rules(client, name, error):
    if error is None:
        assert client.conversations_create(name=name)["channel"]["name"] == name
    else:
        assert slack_error(client.conversations_create, name=name) == error


def test_joining_a_channel_lets_the_bot_post_and_read_there(client):
    assert slack_error(client.chat_postMessage, channel=RANDOM, text="hi") == "not_in_channel"
    assert slack_error(client.conversations_history, channel=RANDOM) == "not_in_channel"

    joined = client.conversations_join(channel=RANDOM)
    again = client.conversations_join(channel=RANDOM)
    client.chat_postMessage(channel=RANDOM, text="hi")

    assert joined["channel"]["is_member"] is True
    assert again["warning"] == "already_in_channel"
    assert client.conversations_history(channel=RANDOM)["messages"][0]["text"] == "hi"


def test_a_private_channel_exists_only_for_its_members(slack, client):
    alice = client_for(slack, slack.issue_token(ALICE))

    assert slack_error(client.conversations_info, channel=SECRET) == "channel_not_found"
    assert alice.conversations_info(channel=SECRET)["channel"]["is_private"] is True
    everything = "public_channel,private_channel"
    assert SECRET not in [c["id"] for c in client.conversations_list(types=everything)["channels"]]
    assert SECRET in [c["id"] for c in alice.conversations_list(types=everything)["channels"]]


def test_an_archived_channel_refuses_posts_and_joins(client):
    assert slack_error(client.chat_postMessage, channel=ARCHIVED, text="hi") == "is_archived"
    assert slack_error(client.conversations_join, channel=ARCHIVED) == "is_archived"
    names = [c["id"] for c in client.conversations_list(exclude_archived=True)["channels"]]
    assert ARCHIVED not in names


def test_only_the_author_may_edit_or_delete_a_message(client):
    seeded = client.conversations_history(channel=GENERAL)["messages"][-1]

    assert seeded["user"] == ALICE
    update = slack_error(client.chat_update, channel=GENERAL, ts=seeded["ts"], text="mine now")
    assert update == "cant_update_message"
    assert slack_error(client.chat_delete, channel=GENERAL, ts=seeded["ts"]) == (
        "cant_delete_message"
    )
    assert slack_error(client.chat_delete, channel=GENERAL, ts="1.000001") == "message_not_found"


def test_users_are_listed_and_looked_up(client):
    members = client.users_list()["members"]
    bob = client.users_lookupByEmail(email="BOB@example.com")["user"]

    assert [user["name"] for user in members] == ["holdout-bot", "alice", "bob", "carol", "dave"]
    assert client.users_info(user=ALICE)["user"]["profile"]["email"] == "alice@example.com"
    assert bob["id"] == BOB
    assert slack_error(client.users_info, user="U0NOBODY01") == "user_not_found"
    assert slack_error(client.users_lookupByEmail, email="nobody@example.com") == (
        "users_not_found"
    )


@pytest.mark.parametrize(
    ("call", "arguments", "error"),
    [
        ("chat_postMessage", {"channel": "C0NOWHERE1", "text": "x"}, "channel_not_found"),
        ("chat_postMessage", {"channel": GENERAL}, "no_text"),
        ("chat_postMessage", {"channel": GENERAL, "text": "x" * 40_001}, "msg_too_long"),
        ("conversations_info", {"channel": "C0NOWHERE1"}, "channel_not_found"),
        ("conversations_replies", {"channel": GENERAL, "ts": "1.000001"}, "thread_not_found"),
        ("conversations_invite", {"channel": GENERAL, "users": ["U0BOT00001"]}, "cant_invite_self"),
        ("conversations_invite", {"channel": GENERAL, "users": ["U0NOBODY01"]}, "user_not_found"),
        ("conversations_list", {"cursor": "not-a-cursor"}, "invalid_cursor"),
        ("conversations_list", {"types": "public_channel,stuff"}, "invalid_types"),
    ],
)
@pytest.mark.filterwarnings(NO_TEXT_WARNING)
def test_errors_are_raised_as_slack_api_errors(client, call, arguments, error):
    assert slack_error(getattr(client, call), **arguments) == error


def test_a_wrong_or_missing_token_is_refused_as_slack_does(slack):
    assert slack_error(client_for(slack, "xoxb-0-0-wrong").auth_test) == "invalid_auth"
    anonymous = WebClient(base_url=slack.base_url + "/api/")
    assert slack_error(anonymous.auth_test) == "not_authed"


def test_the_token_may_also_come_as_a_parameter(slack):
    anonymous = WebClient(base_url=slack.base_url + "/api/")

    identity = anonymous.api_call("auth.test", params={"token": slack.token})

    assert identity["user_id"] == "U0BOT00001"


def test_json_and_form_bodies_and_query_parameters_all_work(slack, client):
    by_json = client.api_call("chat.postMessage", json={"channel": GENERAL, "text": "as JSON"})
    by_form = client.api_call("chat.postMessage", data={"channel": GENERAL, "text": "as a form"})
    by_query = client.api_call(
        "conversations.history", http_verb="GET", params={"channel": GENERAL, "limit": 1}
    )

    assert by_json["message"]["text"] == "as JSON"
    assert by_form["message"]["text"] == "as a form"
    assert [message["text"] for message in by_query["messages"]] == ["as a form"]
    assert [call.params["text"] for call in slack.journal.calls("chat.postMessage")] == [
        "as JSON",
        "as a form",
    ]


@pytest.mark.filterwarnings(NO_TEXT_WARNING)
def test_blocks_are_kept_with_the_message(client):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*bold*"}}]

    posted = client.chat_postMessage(channel=GENERAL, text="fallback", blocks=blocks)
    newest = client.conversations_history(channel=GENERAL, limit=1)["messages"][0]

    assert posted["message"]["blocks"] == blocks
    assert newest["blocks"] == blocks
    assert slack_error(client.chat_postMessage, channel=GENERAL, blocks="[not json") == (
        "invalid_blocks"
    )


def test_pagination_runs_to_the_end_of_every_list():
    seed = load_seed(SlackTwin.seed_path)
    seed["channels"] += [
        {"id": f"C0PAGE{index:04d}", "name": f"page-{index:03d}", "members": ["U0BOT00001"]}
        for index in range(250)
    ]
    seed["users"] += [
        {"id": f"U0PAGE{index:04d}", "name": f"user{index}", "email": f"u{index}@example.com"}
        for index in range(120)
    ]
    with SlackTwin(seed_data=seed) as twin:
        client = client_for(twin)
        for index in range(25):
            client.chat_postMessage(channel=GENERAL, text=f"message {index}")

        channels = [
            c["id"] for page in client.conversations_list(limit=40) for c in page["channels"]
        ]
        users = [u["id"] for page in client.users_list(limit=50) for u in page["members"]]
        members = [
            m
            for page in client.conversations_members(channel=GENERAL, limit=2)
            for m in page["members"]
        ]
        # The client's response object is reused from page to page: read each page as it comes.
        pages = [
            (page["has_more"], [message["text"] for message in page["messages"]])
            for page in client.conversations_history(channel=GENERAL, limit=10)
        ]

    assert len(channels) == len(set(channels)) == 250 + 3  # the private channel is not visible
    assert len(users) == len(set(users)) == 5 + 120
    assert members == ["U0ALICE001", BOB, CAROL, "U0DAVE0001", "U0BOT00001"]
    assert [(has_more, len(texts)) for has_more, texts in pages] == [
        (True, 10),
        (True, 10),
        (False, 7),
    ]
    texts = [text for _, page in pages for text in page]
    assert texts[0] == "message 24"
    assert texts[-2:] == ["Glad to be here.", "Welcome to the workspace!"]


def test_history_can_be_limited_to_a_time_window(slack, client):
    stamps = [client.chat_postMessage(channel=GENERAL, text=str(n))["ts"] for n in range(4)]

    between = client.conversations_history(channel=GENERAL, oldest=stamps[0], latest=stamps[3])
    inclusive = client.conversations_history(
        channel=GENERAL, oldest=stamps[0], latest=stamps[3], inclusive=True
    )

    assert [m["text"] for m in between["messages"]] == ["2", "1"]
    assert [m["text"] for m in inclusive["messages"]] == ["3", "2", "1", "0"]
    assert slack_error(client.conversations_history, channel=GENERAL, oldest="soon") == (
        "invalid_ts_oldest"
    )


def test_the_clients_rate_limit_handler_waits_and_retries(slack):
    slack.rate_limits.set("chat.postMessage", 2, per=2.0)  # wide enough for a slow machine
    patient = client_for(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])

    posted = [patient.chat_postMessage(channel=GENERAL, text=str(n))["ok"] for n in range(3)]

    assert posted == [True, True, True]
    statuses = [call.status for call in slack.journal.calls("chat.postMessage")]
    assert statuses == [200, 200, 429, 200]


def test_without_a_handler_the_client_sees_ratelimited_and_retry_after(slack, client):
    slack.rate_limits.set("conversations.list", 1, per=60.0)
    client.conversations_list()

    with pytest.raises(SlackApiError) as raised:
        client.conversations_list()

    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert int(raised.value.response.headers["Retry-After"][0]) >= 1


def test_documented_limits_can_be_enforced(slack, client):
    slack.rate_limits.enforce_defaults()

    for _ in range(20):  # conversations.list is tier 2: 20 a minute
        client.conversations_list()

    assert slack_error(client.conversations_list) == "ratelimited"


def test_server_errors_and_dropped_connections_are_retried_by_the_client(slack):
    slack.faults.add("chat.postMessage", status=503, times=1)
    slack.faults.add("auth.test", drop=True, times=1)
    client = client_for(
        slack,
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=1), ConnectionErrorRetryHandler()],
    )

    assert client.chat_postMessage(channel=GENERAL, text="eventually")["ok"]
    assert client.auth_test()["ok"]
    assert [call.status for call in slack.journal.calls("chat.postMessage")] == [503, 200]
    assert [call.fault for call in slack.journal.calls("auth.test")] == ["drop", None]


def test_the_same_seed_gives_the_same_ids_and_timestamps():
    def run(seed: int) -> tuple[str, str, str]:
        with SlackTwin(seed=seed) as twin:
            client = client_for(twin)
            channel = client.conversations_create(name="repeatable")["channel"]["id"]
            ts = client.chat_postMessage(channel=channel, text="same")["ts"]
            return twin.token, channel, ts

    assert run(11) == run(11)
    assert run(11)[:2] != run(12)[:2]


def test_a_snapshot_restores_the_workspace(slack, client):
    saved = slack.snapshot()
    client.conversations_create(name="temporary")
    client.chat_postMessage(channel=GENERAL, text="temporary")

    slack.restore(saved)

    assert "temporary" not in [c["name"] for c in client.conversations_list()["channels"]]
    assert len(client.conversations_history(channel=GENERAL)["messages"]) == 2


def python_block(text: str) -> str:
    return text.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_runs():
    readme = REPO / "twins" / "slack" / "README.md"

    exec(compile(python_block(readme.read_text()), str(readme), "exec"), {})


def test_the_docs_section_example_runs():
    docs = REPO / "docs" / "twins.md"
    section = docs.read_text().split("## The Slack twin", 1)[1]

    exec(compile(python_block(section), str(docs), "exec"), {})
