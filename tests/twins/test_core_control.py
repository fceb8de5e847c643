"""The /_twin/ control endpoint: everything Python can do to a twin, over HTTP."""

from __future__ import annotations

import pytest

from holdout_twins.core import DEFAULT_EPOCH


def control(send, twin, method, path, body=None):
    """Control requests need no token."""
    return send(twin, method, f"/_twin/{path}", body, token=None)


def test_describe_gives_name_seed_token_and_time(notes, send):
    described = control(send, notes, "GET", "").json()

    assert described == {
        "name": "notes",
        "seed": 0,
        "token": notes.token,
        "time": DEFAULT_EPOCH,
        "requests": 0,
    }


def test_reset_under_a_new_seed(notes, send):
    send(notes, "POST", "/notes", {"text": "gone after reset"})

    described = control(send, notes, "POST", "reset", {"seed": 9}).json()

    assert described["seed"] == 9
    assert described["token"] == notes.token
    assert len(notes.state["notes"]) == 1
    assert control(send, notes, "POST", "reset", {"seed": "nine"}).status == 400


def test_snapshots_are_taken_and_restored(notes, send):
    snapshot = control(send, notes, "POST", "snapshots").json()["snapshot"]
    send(notes, "POST", "/notes", {"text": "undone"})

    restored = control(send, notes, "POST", f"snapshots/{snapshot}/restore")

    assert restored.status == 200
    assert [note["text"] for note in notes.state["notes"]] == ["seeded"]
    assert control(send, notes, "POST", "snapshots/snap-99/restore").status == 404


def test_the_journal_can_be_read_filtered_and_cleared(notes, send):
    send(notes, "POST", "/notes", {"text": "journaled"})
    send(notes, "GET", "/notes/0")

    created = control(send, notes, "GET", "journal?operation=notes.create").json()["entries"]
    control(send, notes, "DELETE", "journal")

    assert [(entry["status"], entry["params"]) for entry in created] == [
        (200, {"text": "journaled"})
    ]
    assert control(send, notes, "GET", "journal").json() == {"entries": []}


def test_faults_are_added_listed_and_cleared(notes, send):
    added = control(send, notes, "POST", "faults", {"operation": "notes.get", "status": 502})

    assert added.json()["rules"][0]["status"] == 502
    assert send(notes, "GET", "/notes/0").status == 502
    control(send, notes, "DELETE", "faults")
    assert send(notes, "GET", "/notes/0").status == 200


def test_chaos_is_turned_on_over_http(notes, send):
    control(send, notes, "POST", "faults", {"chaos": 1.0})

    assert send(notes, "GET", "/notes/0").status in (200, 429, 500, 503)
    assert control(send, notes, "GET", "faults").json()["chaos"] == 1.0


@pytest.mark.parametrize(
    "body",
    [{"stauts": 500}, {"status": 200}, {"chaos": "lots"}, {"rate": 2}],
)
def test_bad_fault_requests_are_refused_with_a_reason(notes, send, body):
    refused = control(send, notes, "POST", "faults", body)

    assert refused.status == 400
    assert refused.json()["error"] == "invalid_body"
    assert notes.faults.rules == []


def test_the_clock_is_moved_over_http(notes, send):
    control(send, notes, "POST", "clock", {"advance": 3600})

    assert control(send, notes, "GET", "clock").json() == {
        "time": DEFAULT_EPOCH + 3600,
        "iso": "2026-01-01T01:00:00.000Z",
    }
    assert control(send, notes, "POST", "clock", {"advance": -5}).status == 400
    assert control(send, notes, "POST", "clock", {"set": DEFAULT_EPOCH}).json()["time"] == (
        DEFAULT_EPOCH
    )


def test_rate_limits_are_set_and_cleared_over_http(notes, send):
    control(send, notes, "POST", "rate-limits", {"operation": "notes.get", "requests": 1})

    assert [send(notes, "GET", "/notes/0").status for _ in range(2)] == [200, 429]
    control(send, notes, "DELETE", "rate-limits")
    assert send(notes, "GET", "/notes/0").status == 200


def test_a_new_token_is_issued_over_http(notes, send):
    token = control(send, notes, "POST", "tokens").json()["token"]

    assert token != notes.token
    assert send(notes, "GET", "/notes/0", token=token).status == 200


def test_control_requests_are_not_journaled_nor_faulted(notes, send):
    notes.faults.add(status=500)

    assert control(send, notes, "GET", "").status == 200
    assert len(notes.journal) == 0


def test_an_unknown_control_path_is_a_plain_404(notes, send):
    missing = control(send, notes, "GET", "nothing-here")

    assert (missing.status, missing.json()["error"]) == (404, "not_found")


def test_a_twin_adds_its_own_control_routes(notes, send):
    pinned = control(send, notes, "POST", "notes/pin", {"id": "N0"})

    assert pinned.json() == {"pinned": "N0"}
    assert notes.state["pinned"] == "N0"
    assert control(send, notes, "GET", "notes/pin").status == 405
    assert control(send, notes, "GET", "journal").status == 200  # the core's routes come first
