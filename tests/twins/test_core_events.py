"""The twins' outbound deliveries: sent from a background thread, signed per attempt, retried on
the twin's clock, recorded, and waited for; only ever to loopback addresses."""

from __future__ import annotations

import json
import threading

import pytest

from holdout_twins.core import Delivery, DeliveryError, RetryPolicy, check_url


def delivery(url: str, **options) -> Delivery:
    return Delivery("note.created", url, json.dumps({"note": "N1"}).encode(), **options)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/x", "http://localhost:8080/", "http://[::1]:80/", "http://127.8.9.1/"],
)
def test_loopback_urls_are_accepted(url):
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/hook", "loopback addresses only"),
        ("http://10.0.0.1/hook", "loopback addresses only"),
        ("https://127.0.0.1/hook", "http:// URLs only"),
        ("ftp://127.0.0.1/", "http:// URLs only"),
        ("http://127.0.0.1:port/", "is not a URL"),
    ],
)
def test_any_other_url_is_refused_with_the_reason(notes, url, reason):
    with pytest.raises(DeliveryError, match=reason) as refused:
        notes.deliveries.enqueue(delivery(url))

    assert url in str(refused.value)
    assert len(notes.deliveries) == 0


def test_a_delivery_is_sent_with_its_attempt_headers_and_recorded(notes, receiver):
    def sign(sent, number, previous):
        return {"X-Attempt": str(number), "X-Length": str(len(sent.body))}

    notes.deliveries.enqueue(delivery(receiver.url, headers={"User-Agent": "Notes"}, sign=sign))
    (sent,) = notes.deliveries.wait()

    (received,) = receiver.requests
    assert received.method == "POST" and received.path == "/hooks"
    assert received.json() == {"note": "N1"}
    assert received.headers["x-attempt"] == "1"
    assert received.headers["x-length"] == str(len(received.body))
    assert received.headers["user-agent"] == "Notes"
    assert received.headers["content-type"] == "application/json"
    assert sent.state == "delivered" and sent.id == 1
    assert [(a.number, a.outcome, a.status, a.response) for a in sent.attempts] == [
        (1, "ok", 200, "ok")
    ]
    assert notes.deliveries.of("note.created") == [sent]


def test_failures_are_retried_on_the_twins_clock(notes, receiver):
    answers = iter([500, 503, 200])
    receiver.respond = lambda received: (next(answers), {}, b"")
    policy = RetryPolicy(timeout=5, delays=(0, 60))

    notes.deliveries.enqueue(delivery(receiver.url, policy=policy))
    (pending,) = notes.deliveries.wait()

    assert [a.outcome for a in pending.attempts] == ["http_error", "http_error"]
    assert pending.state == "pending"
    assert pending.due == notes.clock.now() + 60
    assert len(receiver.requests) == 2

    notes.clock.advance(59)
    notes.deliveries.wait()
    assert len(receiver.requests) == 2

    notes.clock.advance(1)
    (delivered,) = notes.deliveries.wait()
    assert [a.status for a in delivered.attempts] == [500, 503, 200]
    assert delivered.state == "delivered" and delivered.due is None


def test_retries_stop_when_the_policy_runs_out_or_the_service_says_so(notes, receiver):
    receiver.respond = lambda received: (500, {"X-No-Retry": "1"}, b"")
    policy = RetryPolicy(timeout=5, delays=(0, 0, 0))

    notes.deliveries.enqueue(delivery(receiver.url, policy=policy))
    notes.deliveries.enqueue(
        delivery(
            receiver.url,
            policy=policy,
            retry_if=lambda answer: answer is None or "x-no-retry" not in answer.headers,
        )
    )
    retried, told_not_to = notes.deliveries.wait()

    assert [len(retried.attempts), len(told_not_to.attempts)] == [4, 1]
    assert retried.state == told_not_to.state == "failed"


def test_an_app_that_does_not_answer_in_time_gets_the_delivery_again(notes, receiver):
    released = threading.Event()

    def slow_first(received):
        if len(receiver.requests) == 1:
            released.wait(10)
        return (200, {}, b"")

    receiver.respond = slow_first
    try:
        notes.deliveries.enqueue(
            delivery(receiver.url, policy=RetryPolicy(timeout=1.0, delays=(0,)))
        )
        (sent,) = notes.deliveries.wait()
    finally:
        released.set()

    assert [a.outcome for a in sent.attempts] == ["timeout", "ok"]
    assert sent.attempts[0].status is None
    assert len(receiver.requests) == 2


def test_a_closed_port_is_a_failed_connection(notes, closed_port_url):
    notes.deliveries.enqueue(delivery(closed_port_url))

    (sent,) = notes.deliveries.wait()

    assert sent.state == "failed"
    assert [a.outcome for a in sent.attempts] == ["connection_failed"]


def test_an_answer_the_service_does_not_accept_is_rejected(notes, receiver):
    receiver.respond = lambda received: (200, {}, b"wrong")

    sent = notes.deliveries.send(delivery(receiver.url, accept=lambda answer: answer.text == "x"))

    assert sent.state == "failed"
    assert sent.attempts[0].outcome == "rejected"


def test_wait_is_bounded(notes, receiver):
    released = threading.Event()
    receiver.respond = lambda received: (released.wait(10), (200, {}, b""))[1]
    try:
        notes.deliveries.enqueue(delivery(receiver.url, policy=RetryPolicy(timeout=10)))
        with pytest.raises(TimeoutError, match="notes twin: deliveries still being sent"):
            notes.deliveries.wait(timeout=0.05)
    finally:
        released.set()
    assert notes.deliveries.wait()[0].state == "delivered"


def test_reset_forgets_deliveries_and_cancels_retries(notes, receiver):
    receiver.respond = lambda received: (500, {}, b"")
    notes.deliveries.enqueue(delivery(receiver.url, policy=RetryPolicy(delays=(60,))))
    notes.deliveries.wait()

    notes.reset()
    notes.clock.advance(3600)

    assert notes.deliveries.wait() == []
    assert len(receiver.requests) == 1


def test_the_control_endpoint_lists_and_waits_for_deliveries(notes, receiver, send):
    notes.deliveries.enqueue(delivery(receiver.url))

    waited = send(notes, "POST", "/_twin/deliveries/wait", b'{"timeout": 5}', token=None)
    listed = send(notes, "GET", "/_twin/deliveries?kind=note.created", token=None)
    other = send(notes, "GET", "/_twin/deliveries?kind=other", token=None)

    assert waited.status == 200
    (entry,) = waited.json()["deliveries"]
    assert entry["state"] == "delivered" and entry["payload"] == {"note": "N1"}
    assert entry["attempts"][0]["status"] == 200
    assert listed.json() == waited.json()
    assert other.json() == {"deliveries": []}


def test_the_control_endpoint_says_when_deliveries_are_still_pending(notes, receiver, send):
    released = threading.Event()
    receiver.respond = lambda received: (released.wait(10), (200, {}, b""))[1]
    try:
        notes.deliveries.enqueue(delivery(receiver.url, policy=RetryPolicy(timeout=10)))
        waited = send(notes, "POST", "/_twin/deliveries/wait", b'{"timeout": 0.05}', token=None)
    finally:
        released.set()

    assert waited.status == 504
    assert waited.json()["error"] == "deliveries_pending"


def test_a_twin_without_people_has_no_actions(notes, send):
    body = {"as": "someone", "action": "post_message"}

    answer = send(notes, "POST", "/_twin/act", body, token=None)

    assert answer.status == 400
    assert answer.json() == {"error": "unknown_action", "message": "'post_message' (actions: none)"}
