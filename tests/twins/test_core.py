"""The twin framework, through a tiny notes twin: routing, bodies, auth, journal, state."""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path

import pytest

from holdout_twins import UnknownTwin, twin_class
from holdout_twins.core import (
    DEFAULT_EPOCH,
    Clock,
    IdSource,
    RateLimits,
    Router,
    SeedError,
    decode_cursor,
    encode_cursor,
    load_seed,
)

REPO = Path(__file__).resolve().parents[2]


def test_a_handler_changes_state_that_the_next_call_sees(notes, send):
    created = send(notes, "POST", "/notes", {"text": "buy milk"})
    listed = send(notes, "GET", "/notes?offset=1")

    assert created.status == 200
    assert listed.json()["notes"] == [created.json()]


def test_typed_path_parameters_are_converted(notes, send):
    assert send(notes, "GET", "/notes/0").json()["text"] == "seeded"
    assert send(notes, "GET", "/notes/9").json() == {"problem": "no_such_note"}
    assert send(notes, "GET", "/notes/first").status == 404  # not an int: no route matches


def test_unknown_paths_and_methods_get_the_services_own_error(notes, send):
    missing = send(notes, "GET", "/nowhere")
    wrong_method = send(notes, "DELETE", "/notes")

    assert (missing.status, missing.json()) == (404, {"problem": "not_found"})
    assert (wrong_method.status, wrong_method.json()) == (405, {"problem": "method_not_allowed"})


def test_form_and_json_bodies_are_both_understood(notes, send):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    by_form = send(notes, "POST", "/notes", "text=from+a+form", form)
    by_json = send(notes, "POST", "/notes", {"text": "from JSON"})

    assert by_form.json()["text"] == "from a form"
    assert by_json.json()["text"] == "from JSON"


@pytest.mark.parametrize(
    ("body", "content_type", "problem", "status"),
    [
        ("{not json", "application/json", "invalid_json", 400),
        ("[1, 2]", "application/json", "json_not_object", 400),
        ("text=hi", "text/plain", "unsupported_media_type", 415),
        (b"text=\xff", "application/x-www-form-urlencoded", "invalid_form", 400),
    ],
)
def test_bad_bodies_get_an_error_and_the_twin_keeps_serving(
    notes, send, body, content_type, problem, status
):
    bad = send(notes, "POST", "/notes", body, {"Content-Type": content_type})

    assert (bad.status, bad.json()) == (status, {"problem": problem})
    assert send(notes, "POST", "/notes", {"text": "still fine"}).status == 200


def test_a_body_over_the_limit_is_413_and_the_connection_stays_usable(notes, send):
    connection = http_connection(notes)
    too_big = send(notes, "POST", "/notes", "x" * (notes.max_body + 1), connection=connection)
    after = send(notes, "GET", "/notes/0", connection=connection)

    assert (too_big.status, too_big.json()) == (413, {"problem": "payload_too_large"})
    assert after.status == 200
    assert notes.journal.calls("notes.create") == []


def test_a_chunked_request_body_is_read(notes, send):
    connection = http_connection(notes)
    connection.putrequest("POST", "/notes")
    connection.putheader("Authorization", f"Bearer {notes.token}")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    for piece in (b'{"text": ', b'"in chunks"}'):
        connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    connection.send(b"0\r\n\r\n")

    assert json.loads(connection.getresponse().read())["text"] == "in chunks"


def test_keep_alive_serves_many_requests_on_one_connection(notes, send):
    connection = http_connection(notes)
    for index in range(5):
        send(notes, "POST", "/notes", {"text": f"note {index}"}, connection=connection)

    assert len(notes.state["notes"]) == 6


def test_missing_or_wrong_tokens_are_refused(notes, send):
    assert send(notes, "GET", "/notes/0", token=None).status == 401
    assert send(notes, "GET", "/notes/0", token="not-a-token").status == 401
    assert send(notes, "GET", "/notes/0", token=notes.issue_token()).status == 200


def test_a_bug_in_a_handler_is_a_500_and_is_kept_for_the_developer(notes, send):
    broken = send(notes, "GET", "/boom")

    assert (broken.status, broken.json()) == (500, {"problem": "internal_error"})
    assert "a bug in the twin" in notes.internal_errors[-1]
    assert send(notes, "GET", "/notes/0").status == 200


def test_head_answers_without_a_body(notes, send):
    reply = send(notes, "HEAD", "/notes/0")

    assert reply.status == 200
    assert reply.body == b""
    assert int(reply.headers["Content-Length"]) > 0


def test_a_streamed_response_arrives_as_server_sent_events(notes, send):
    send(notes, "POST", "/notes", {"text": "second"})

    reply = send(notes, "GET", "/stream", token=None)

    assert reply.headers["Transfer-Encoding"] == "chunked"
    assert reply.headers["Content-Type"] == "text/event-stream"
    events = [block for block in reply.body.decode().split("\n\n") if block]
    assert [event.splitlines()[0] for event in events] == ["event: note"] * 2 + ["event: end"]
    assert json.loads(events[1].splitlines()[1].removeprefix("data: "))["text"] == "second"


def test_the_journal_records_operations_parameters_and_statuses(notes, send):
    send(notes, "POST", "/notes", {"text": "one"})
    send(notes, "POST", "/notes", {})
    send(notes, "GET", "/nowhere")

    created = notes.journal.calls("notes.create")
    assert [(entry.status, entry.params) for entry in created] == [
        (200, {"text": "one"}),
        (422, {}),
    ]
    assert notes.journal.last().path == "/nowhere"
    assert len(notes.journal) == 3


def test_reset_restores_the_seed_data_and_the_same_ids(notes, send):
    first = send(notes, "POST", "/notes", {"text": "a"}).json()["id"]
    notes.reset(0)
    again = send(notes, "POST", "/notes", {"text": "a"}).json()["id"]
    notes.reset(1)
    other_seed = send(notes, "POST", "/notes", {"text": "a"}).json()["id"]

    assert first == again
    assert other_seed != first
    assert len(notes.state["notes"]) == 2
    assert len(notes.journal) == 1


def test_a_snapshot_brings_back_state_ids_and_time(notes, send):
    saved = notes.snapshot()
    first = send(notes, "POST", "/notes", {"text": "after the snapshot"}).json()
    notes.clock.advance(60)

    notes.restore(saved)
    second = send(notes, "POST", "/notes", {"text": "after the snapshot"}).json()

    assert second == first  # same id, same time: the state went back, ids and clock too
    assert len(notes.state["notes"]) == 2


def test_the_clock_is_frozen_until_moved(notes, send):
    notes.clock.advance(90)
    note = send(notes, "POST", "/notes", {"text": "later"}).json()

    assert note["at"] == DEFAULT_EPOCH + 90
    notes.reset()
    assert notes.clock.now() == DEFAULT_EPOCH
    with pytest.raises(ValueError):
        notes.clock.advance(-1)


def test_clock_isoformat_is_utc_with_milliseconds():
    assert Clock(DEFAULT_EPOCH + 1.5).isoformat() == "2026-01-01T00:00:01.500Z"


def test_ids_are_reproducible_under_a_seed_and_differ_across_seeds():
    def draw(seed: int) -> list[str]:
        ids = IdSource(seed)
        return [ids.string(10), ids.uuid(), str(ids.next("issue")), str(ids.next("issue"))]

    assert draw(4) == draw(4)
    assert draw(4)[:2] != draw(5)[:2]
    assert draw(4)[2:] == ["1", "2"]


def test_router_rejects_an_unknown_parameter_type():
    with pytest.raises(ValueError, match="unknown parameter type"):
        Router().get("/items/{id:uuid}")(lambda twin, request: None)


def test_cursors_round_trip_and_reject_garbage():
    assert decode_cursor(encode_cursor(40, "users"), "users") == 40
    assert decode_cursor(encode_cursor(40, "users"), "channels") is None
    assert decode_cursor("%%%", "users") is None


def test_rate_limits_count_per_operation_and_key():
    limits = RateLimits()
    limits.set("post", 2, per=60)

    statuses = [limits.check("post", "alice") for _ in range(3)]

    assert [status.remaining for status in statuses] == [1, 0, 0]
    assert statuses[2].limited and statuses[2].retry_after >= 1
    assert not limits.check("post", "bob").limited
    assert limits.check("get", "alice") is None


def test_seed_files_in_yaml_and_json(tmp_path: Path):
    (tmp_path / "seed.yaml").write_text("notes:\n  - {id: N1, text: hi}\n")
    (tmp_path / "seed.json").write_text('{"notes": []}')

    assert load_seed(tmp_path / "seed.yaml") == {"notes": [{"id": "N1", "text": "hi"}]}
    assert load_seed(tmp_path / "seed.json") == {"notes": []}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.yaml", "notes: [unclosed", "broken.yaml: seed data is not valid YAML"),
        ("broken.json", "{", "broken.json: seed data is not valid JSON"),
        ("list.yaml", "- 1\n- 2\n", "list.yaml: seed data must be a mapping"),
    ],
)
def test_bad_seed_files_name_the_file(tmp_path: Path, name: str, text: str, message: str):
    (tmp_path / name).write_text(text)

    with pytest.raises(SeedError, match=message):
        load_seed(tmp_path / name)


def test_a_missing_seed_file_is_named(tmp_path: Path):
    with pytest.raises(SeedError, match=r"absent\.yaml: cannot read seed data"):
        load_seed(tmp_path / "absent.yaml")


def test_the_registry_finds_twins_by_name():
    assert twin_class("slack").name == "slack"
    with pytest.raises(UnknownTwin, match="no twin named 'nosuch'"):
        twin_class("nosuch")


def test_a_twin_listens_on_loopback_only(notes):
    assert notes.base_url == f"http://127.0.0.1:{notes.port}"
    with pytest.raises(OSError):
        socket.create_connection((outward_address(), notes.port), timeout=0.5).close()


def outward_address() -> str:
    """This machine's address on its default route (not 127.0.0.1)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent for a UDP connect
        address = probe.getsockname()[0]
    except OSError:
        pytest.skip("no network interface besides loopback")
    finally:
        probe.close()
    if address.startswith("127."):
        pytest.skip("no network interface besides loopback")
    return address


def http_connection(twin) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", twin.port, timeout=10)


def test_the_documented_example_twin_runs():
    docs = REPO / "docs" / "twins.md"
    example = docs.read_text().split("### A complete example", 1)[1]
    code = example.split("```python\n", 1)[1].split("```", 1)[0]

    exec(compile(code, str(docs), "exec"), {})
