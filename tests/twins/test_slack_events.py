"""The Slack twin's Events API: an app built on the official slack_bolt receives the twin's
events and verifies their signatures; payloads, subscriptions, retries and the control routes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from holdout_twins.core import ActionRefused, UnknownPerson
from holdout_twins.slack.events import SubscriptionError

GENERAL, RANDOM, SECRET = "C0GENERAL1", "C0RANDOM01", "C0SECRET01"
BOT, ALICE, BOB, DAVE = "U0BOT00001", "U0ALICE001", "U0BOB00001", "U0DAVE0001"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class BoltApp:
    """A Slack app on slack_bolt, served over WSGI on 127.0.0.1, that talks to the twin's Web
    API. ``seen`` holds the events its listeners were given, with their retry number."""

    def __init__(self, slack: Any, signing_secret: str) -> None:
        client = WebClient(token=slack.token, base_url=slack.base_url + "/api/")
        # process_before_response: listeners finish before the app answers the delivery, so
        # what they do is done when the twin's deliveries are.
        self.app = App(client=client, signing_secret=signing_secret, process_before_response=True)
        self.seen: list[tuple[str, str | None, dict[str, Any]]] = []
        self.server = make_server(
            "127.0.0.1",
            0,
            SlackRequestHandler(self.app),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def record(self, event: dict[str, Any], request: Any) -> None:
        retry = request.headers.get("x-slack-retry-num", [None])[0]
        self.seen.append((event["type"], retry, event))


@pytest.fixture
def bolt(slack) -> Iterator[BoltApp]:
    app = BoltApp(slack, slack.signing_secret)
    app.thread.start()
    yield app
    app.server.shutdown()
    app.server.server_close()


def test_a_bolt_app_passes_the_challenge_and_answers_a_mention(slack, bolt):
    @bolt.app.event("app_mention")
    def greet(event, say, request):
        bolt.record(event, request)
        say(f"Hello <@{event['user']}>!", thread_ts=event["ts"])

    @bolt.app.event("message")
    def note(event, request):
        bolt.record(event, request)

    verification = slack.subscribe(bolt.url)
    posted = slack.act_as("alice").post_message(GENERAL, f"<@{BOT}> can you help?")
    slack.deliveries.wait()

    assert verification.state == "delivered"
    assert [(kind, retry) for kind, retry, _ in bolt.seen] == [
        ("message", None),
        ("app_mention", None),
    ]
    mention = bolt.seen[1][2]
    assert mention["user"] == ALICE and mention["channel"] == GENERAL
    assert mention["ts"] == posted["ts"]
    (reply,) = slack.journal.calls("chat.postMessage")
    assert (
        reply.params["text"] == f"Hello <@{ALICE}>!" and reply.params["thread_ts"] == posted["ts"]
    )
    # The bot's own reply reaches the app as a message too; bolt drops it as a self event.
    kinds = [delivery.kind for delivery in slack.deliveries.entries()]
    assert kinds == ["url_verification", "message", "app_mention", "message"]
    assert all(delivery.state == "delivered" for delivery in slack.deliveries.entries())


def test_bolt_refuses_events_signed_with_another_secret(slack):
    impostor = BoltApp(slack, "0" * 32)
    impostor.thread.start()
    try:
        with pytest.raises(SubscriptionError, match="did not answer the url_verification") as error:
            slack.subscribe(impostor.url)
    finally:
        impostor.server.shutdown()
        impostor.server.server_close()

    assert "HTTP 401" in str(error.value)
    assert slack.state.app.request_url is None


def test_reactions_and_members_joining_reach_the_app(slack, bolt, client):
    @bolt.app.event("reaction_added")
    @bolt.app.event("member_joined_channel")
    def note(event, request):
        bolt.record(event, request)

    slack.subscribe(bolt.url, ["reaction_added", "member_joined_channel"])
    channel = client.conversations_create(name="launch")["channel"]["id"]
    ts = client.chat_postMessage(channel=channel, text="Launch at noon")["ts"]
    client.conversations_invite(channel=channel, users=[ALICE])
    slack.act_as("bob").join(channel)
    slack.act_as("alice@example.com").react(channel, ts, "rocket")
    slack.deliveries.wait()

    joined_alice, joined_bob, reacted = (event for _, _, event in bolt.seen)
    assert joined_alice["user"] == ALICE and joined_alice["inviter"] == BOT
    assert joined_bob["user"] == BOB and "inviter" not in joined_bob
    assert joined_bob["channel"] == channel and joined_bob["channel_type"] == "C"
    assert reacted["reaction"] == "rocket" and reacted["user"] == ALICE
    assert reacted["item"] == {"type": "message", "channel": channel, "ts": ts}
    assert reacted["item_user"] == BOT


def test_an_app_too_slow_to_answer_gets_the_event_again_with_the_retry_headers(slack, bolt):
    retried = threading.Event()

    @bolt.app.event("message")
    def slow_the_first_time(event, request):
        bolt.record(event, request)
        if len(bolt.seen) == 1:
            retried.wait(10)  # past the twin's timeout: Slack sends the event again
        else:
            retried.set()

    slack.subscribe(bolt.url, ["message.channels"], timeout=1.0)
    slack.act_as("bob").post_message(GENERAL, "anyone there?")
    (_, delivery) = slack.deliveries.wait()

    assert [(kind, retry) for kind, retry, _ in bolt.seen] == [("message", None), ("message", "1")]
    assert [attempt.outcome for attempt in delivery.attempts] == ["timeout", "ok"]
    assert delivery.attempts[1].headers["X-Slack-Retry-Reason"] == "http_timeout"


def test_every_request_is_signed_with_the_apps_secret(slack, receiver):
    receiver.respond = lambda received: (200, {}, received.json().get("challenge", "").encode())
    slack.subscribe(receiver.url)
    slack.act_as("alice").post_message(GENERAL, "signed?")
    slack.deliveries.wait()

    verifier = SignatureVerifier(slack.signing_secret)
    forged = SignatureVerifier("another secret")
    assert len(receiver.requests) == 2
    for received in receiver.requests:
        assert verifier.is_valid_request(received.body, received.headers)
        assert not forged.is_valid_request(received.body, received.headers)
        assert received.headers["user-agent"].startswith("Slackbot 1.0")


def test_the_envelope_is_slacks(slack, receiver):
    receiver.respond = lambda received: (200, {}, received.json().get("challenge", "").encode())
    slack.subscribe(receiver.url)
    posted = slack.act_as("alice").post_message(GENERAL, "first", thread_ts=None)
    slack.act_as("bob").post_message(GENERAL, "reply", thread_ts=posted["ts"])
    slack.deliveries.wait()

    challenge, first, reply = receiver.bodies()
    assert set(challenge) == {"token", "challenge", "type"}
    assert challenge["type"] == "url_verification"
    assert first["type"] == "event_callback"
    assert first["token"] == challenge["token"] == slack.state.app.verification_token
    assert first["team_id"] == "T0TWIN0001" and first["api_app_id"] == "A0TWINAPP1"
    assert first["event_time"] == int(slack.clock.now())
    assert first["event_id"].startswith("Ev") and first["event_id"] != reply["event_id"]
    assert first["authorizations"][0]["user_id"] == BOT
    event = first["event"]
    assert event["type"] == "message" and event["channel_type"] == "channel"
    assert (event["user"], event["text"], event["ts"]) == (ALICE, "first", posted["ts"])
    assert event["event_ts"] == posted["ts"] and event["channel"] == GENERAL
    assert reply["event"]["thread_ts"] == posted["ts"]
    assert reply["event"]["parent_user_id"] == ALICE


def test_only_subscribed_events_in_the_bots_conversations_are_delivered(slack, receiver, client):
    receiver.respond = lambda received: (200, {}, received.json().get("challenge", "").encode())
    slack.subscribe(receiver.url, ["message.groups"])
    alice = slack.act_as("alice")
    alice.post_message(GENERAL, "public: not subscribed")
    alice.post_message(SECRET, "private, but the bot is not a member")
    alice.invite(SECRET, [BOT])
    alice.post_message(SECRET, "private, the bot is in")
    slack.deliveries.wait()

    events = [body["event"] for body in receiver.bodies()[1:]]
    assert [(e["type"], e["text"], e["channel_type"]) for e in events] == [
        ("message", "private, the bot is in", "group")
    ]


def test_failures_are_retried_at_once_then_on_the_twins_clock(slack, receiver):
    def fail_events(received):
        body = received.json()
        if body["type"] == "url_verification":
            return (
                200,
                {"Content-Type": "application/json"},
                b'{"challenge": "%s"}' % body["challenge"].encode(),
            )
        return (500, {}, b"")

    receiver.respond = fail_events
    slack.subscribe(receiver.url, ["message.channels"])
    slack.act_as("alice").post_message(GENERAL, "will fail")
    (_, delivery) = slack.deliveries.wait()
    assert [received.headers.get("x-slack-retry-num") for received in receiver.requests[1:]] == [
        None,
        "1",
    ]

    slack.clock.advance(60)
    slack.deliveries.wait()
    slack.clock.advance(300)
    slack.deliveries.wait()

    retries = [received.headers.get("x-slack-retry-num") for received in receiver.requests[1:]]
    assert retries == [None, "1", "2", "3"]
    assert {received.headers.get("x-slack-retry-reason") for received in receiver.requests[2:]} == {
        "http_error"
    }
    assert delivery.state == "failed"


def test_an_app_can_ask_not_to_get_an_event_again(slack, receiver):
    def refuse(received):
        body = received.json()
        if body["type"] == "url_verification":
            return (200, {}, f"challenge={body['challenge']}".encode())
        return (503, {"X-Slack-No-Retry": "1"}, b"")

    receiver.respond = refuse
    slack.subscribe(receiver.url)
    slack.act_as("alice").post_message(GENERAL, "once")
    (_, delivery) = slack.deliveries.wait()

    assert len(delivery.attempts) == 1 and delivery.state == "failed"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/slack/events", "loopback addresses only"),
        (None, "did not answer the url_verification challenge (connection_failed)"),
    ],
)
def test_a_request_url_that_fails_is_not_saved(slack, closed_port_url, url, message):
    with pytest.raises(SubscriptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        slack.subscribe(url or closed_port_url)

    assert slack.state.app.request_url is None


def test_unknown_subscriptions_are_refused(slack, receiver):
    with pytest.raises(SubscriptionError, match="unknown event types: team_join"):
        slack.subscribe(receiver.url, ["team_join", "app_mention"])


def test_a_person_cannot_do_what_slack_would_refuse_them(slack):
    with pytest.raises(ActionRefused, match="not_in_channel"):
        slack.act_as("dave").post_message(RANDOM, "I am not a member here")
    with pytest.raises(UnknownPerson, match="nobody"):
        slack.act_as("nobody")


def test_people_actions_are_not_the_apps_calls(slack):
    slack.act_as(DAVE).post_message(GENERAL, "hello")

    assert slack.journal.calls("chat.postMessage") == []
    assert (
        slack.state.conversations[GENERAL]
        .messages[slack.state.conversations[GENERAL].timeline[-1]]
        .user
        == DAVE
    )


def test_the_control_endpoint_subscribes_acts_and_lists(slack, receiver, send):
    receiver.respond = lambda received: (200, {}, received.json().get("challenge", "").encode())
    subscribed = send(
        slack, "POST", "/_twin/events", {"request_url": receiver.url, "timeout": 2}, token=None
    )
    acted = send(
        slack,
        "POST",
        "/_twin/act",
        {"as": "carol", "action": "post_message", "args": {"channel": GENERAL, "text": "via HTTP"}},
        token=None,
    )
    waited = send(slack, "POST", "/_twin/deliveries/wait", {"timeout": 5}, token=None)
    refused = send(
        slack,
        "POST",
        "/_twin/act",
        {"as": "carol", "action": "post_message", "args": {"channel": "C0NOWHERE1", "text": "x"}},
        token=None,
    )
    off = send(slack, "DELETE", "/_twin/events", token=None)

    assert subscribed.status == 200
    assert subscribed.json()["request_url"] == receiver.url
    assert subscribed.json()["signing_secret"] == slack.signing_secret
    assert subscribed.json()["timeout"] == 2
    assert acted.status == 200 and acted.json()["result"]["ok"] is True
    assert [d["kind"] for d in waited.json()["deliveries"]] == ["url_verification", "message"]
    assert waited.json()["deliveries"][1]["payload"]["event"]["text"] == "via HTTP"
    assert refused.status == 409 and "channel_not_found" in refused.json()["message"]
    assert off.json()["request_url"] is None


def test_the_control_endpoint_refuses_a_bad_request_url(slack, send):
    answer = send(
        slack, "POST", "/_twin/events", {"request_url": "http://example.com/"}, token=None
    )

    assert answer.status == 400
    assert answer.json()["error"] == "invalid_request_url"
    assert "loopback" in answer.json()["message"]


def test_a_seeded_request_url_gets_events_without_a_challenge(receiver):
    from holdout_twins.core import load_seed
    from holdout_twins.slack import SlackTwin

    seed = load_seed(SlackTwin.seed_path)
    seed["app"]["request_url"] = receiver.url
    twin = SlackTwin(seed_data=seed)
    try:
        twin.act_as("alice").post_message(GENERAL, "seeded")
        twin.deliveries.wait()
    finally:
        twin.stop()

    assert [body["event"]["text"] for body in receiver.bodies()] == ["seeded"]
