"""Fault injection and rate limits, as a client sees them."""

from __future__ import annotations

import http.client
import time

import pytest

from holdout_twins.core import Faults, RateLimit, RateLimits


def test_an_injected_status_answers_in_the_services_shape_then_stops(notes, send):
    notes.faults.add("notes.get", status=503, times=1)

    first = send(notes, "GET", "/notes/0")
    second = send(notes, "GET", "/notes/0")

    assert (first.status, first.json()) == (503, {"problem": "injected_fault"})
    assert second.status == 200
    assert [entry.fault for entry in notes.journal.calls("notes.get")] == ["status", None]


def test_a_fault_can_target_a_path_instead_of_an_operation(notes, send):
    notes.faults.add("/notes/0", status=500)

    assert send(notes, "GET", "/notes/0").status == 500
    assert send(notes, "POST", "/notes", {"text": "other route"}).status == 200


def test_an_injected_429_carries_retry_after(notes, send):
    notes.faults.add(status=429, times=1)

    limited = send(notes, "GET", "/notes/0")

    assert (limited.status, limited.json()) == (429, {"problem": "rate_limited"})
    assert limited.headers["Retry-After"] == "1"


def test_a_dropped_connection_gets_no_response_and_the_twin_keeps_serving(notes, send):
    notes.faults.add("notes.get", drop=True, times=1)

    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        send(notes, "GET", "/notes/0")
    assert send(notes, "GET", "/notes/0").status == 200
    assert notes.journal.calls("notes.get")[0].fault == "drop"


def test_added_latency_lets_the_request_through_and_is_journaled(notes, send):
    notes.faults.add("notes.get", latency=0.01, times=1)

    assert send(notes, "GET", "/notes/0").status == 200
    assert notes.journal.last("notes.get").fault == "latency"


def test_a_rate_of_zero_never_fires_and_one_always_does(notes, send):
    notes.faults.add("notes.get", status=500, rate=0.0)
    notes.faults.add("notes.list", status=500, rate=1.0)

    assert {send(notes, "GET", "/notes/0").status for _ in range(20)} == {200}
    assert {send(notes, "GET", "/notes").status for _ in range(5)} == {500}


def test_chaos_is_reproducible_under_a_seed():
    def outcomes(seed: int) -> list[object]:
        faults = Faults(seed)
        faults.chaos(0.5)
        picked = [faults.pick("op", "/op") for _ in range(200)]
        return [None if fault is None else (fault.status, fault.latency) for fault in picked]

    first = outcomes(3)
    assert first == outcomes(3)
    assert first != outcomes(4)
    statuses = {outcome[0] for outcome in first if outcome is not None}
    assert statuses == {429, 500, 503, None}  # None: a latency-only fault
    assert 60 < sum(outcome is not None for outcome in first) < 140


def test_reset_clears_faults(notes, send):
    notes.faults.add(status=500)
    notes.faults.chaos(1.0)

    notes.reset()

    assert send(notes, "GET", "/notes/0").status == 200


@pytest.mark.parametrize(
    "arguments",
    [{"status": 200}, {"rate": 1.5}, {"latency": -1}],
)
def test_nonsense_fault_rules_are_refused(arguments):
    with pytest.raises(ValueError):
        Faults().add(**arguments)


def test_over_a_rate_limit_a_client_gets_429_until_the_window_passes(notes, send):
    notes.rate_limits.set("notes.get", 2, per=1.5)  # wide: the calls land in it when slow too

    statuses = [send(notes, "GET", "/notes/0").status for _ in range(3)]
    limited = send(notes, "GET", "/notes/0")
    time.sleep(1.6)  # a client waiting out the window, as Retry-After tells it to

    assert statuses == [200, 200, 429]
    assert int(limited.headers["Retry-After"]) >= 1
    assert send(notes, "GET", "/notes/0").status == 200


def test_limits_are_per_token(notes, send):
    notes.rate_limits.set("notes.get", 1, per=60)
    other = notes.issue_token("someone else")

    assert send(notes, "GET", "/notes/0").status == 200
    assert send(notes, "GET", "/notes/0").status == 429
    assert send(notes, "GET", "/notes/0", token=other).status == 200


def test_reset_drops_limits_set_by_hand_but_keeps_enforced_defaults():
    limits = RateLimits({"notes.list": RateLimit(5, 60.0)})
    limits.set("notes.get", 1)
    limits.reset()
    assert limits.limits == {}

    limits.enforce_defaults()
    limits.set("notes.get", 1)
    limits.reset()
    assert limits.limits == {"notes.list": RateLimit(5, 60.0)}
