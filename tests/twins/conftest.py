"""Shared fixtures for the twin tests: a tiny example twin for the core, HTTP helpers, the specs."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from holdout_twins.core import (
    Generic,
    Request,
    Response,
    Router,
    ServiceError,
    Twin,
    control_body,
    json_response,
    page,
    sse_event,
    stream,
)

REPO = Path(__file__).resolve().parents[2]
API_SPECS = REPO.parent / "shared" / "api-specs"

notes_router = Router()
notes_control = Router()


class NotesTwin(Twin):
    """A twin of a made-up notes service: just enough surface to exercise the core."""

    name = "notes"
    router = notes_router
    control_router = notes_control
    max_body = 64 * 1024

    def build_state(self, seed_data: dict[str, Any]) -> dict[str, Any]:
        return {"notes": list(seed_data.get("notes", [])), "count": 0}

    def error_response(self, error: ServiceError) -> Response:
        status = 404 if error.code == Generic.NOT_FOUND else error.status
        return json_response({"problem": error.code}, status, error.headers)


@notes_control.post("/_twin/notes/pin", name="pin")
def pin_note(twin: NotesTwin, request: Request) -> dict[str, Any]:
    """A twin-specific control route: no token, JSON whatever the content type."""
    twin.state["pinned"] = control_body(request).get("id")
    return {"pinned": twin.state["pinned"]}


@notes_router.post("/notes", name="notes.create")
def create_note(twin: NotesTwin, request: Request) -> dict[str, Any]:
    params = request.params()
    if not params.get("text"):
        raise ServiceError(422, "text_required")
    note = {"id": twin.ids.string(8, prefix="N"), "text": params["text"], "at": twin.clock.now()}
    twin.state["notes"].append(note)
    return note


@notes_router.get("/notes", name="notes.list")
def list_notes(twin: NotesTwin, request: Request) -> dict[str, Any]:
    result = page(twin.state["notes"], int(request.query.get("offset", 0)), 2)
    return {"notes": result.items, "next": result.next_offset}


@notes_router.get("/notes/{index:int}", name="notes.get")
def get_note(twin: NotesTwin, request: Request) -> Any:
    notes = twin.state["notes"]
    if request.path_params["index"] >= len(notes):
        raise ServiceError(404, "no_such_note")
    return notes[request.path_params["index"]]


@notes_router.post("/count", name="count")
def count(twin: NotesTwin, request: Request) -> dict[str, int]:
    # Read, let other threads run, write: loses updates unless the core serialises handlers.
    current = twin.state["count"]
    time.sleep(0)
    twin.state["count"] = current + 1
    return {"count": twin.state["count"]}


@notes_router.get("/stream", name="stream", auth=False)
def stream_notes(twin: NotesTwin, request: Request) -> Response:
    events = [sse_event(note, "note") for note in twin.state["notes"]]
    return stream([*events, sse_event({"done": True}, "end")])


@notes_router.get("/boom", name="boom")
def boom(twin: NotesTwin, request: Request) -> Any:
    raise RuntimeError("a bug in the twin")


@pytest.fixture(scope="session")
def notes_server() -> Iterator[NotesTwin]:
    with NotesTwin(seed_data={"notes": [{"id": "N0", "text": "seeded"}]}) as running:
        yield running


@pytest.fixture
def notes(notes_server: NotesTwin) -> NotesTwin:
    """The notes twin, running, reset to seed 0."""
    notes_server.reset(0)
    return notes_server


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    twin: Twin,
    method: str,
    path: str,
    body: bytes | str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    *,
    token: str | None = "",
    connection: http.client.HTTPConnection | None = None,
) -> Reply:
    """One request to a running twin. A dict body is sent as JSON; ``token=""`` means the twin's
    own token, ``None`` none at all."""
    sent = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body)
        sent.setdefault("Content-Type", "application/json")
    if token is not None:
        sent.setdefault("Authorization", f"Bearer {token or twin.token}")
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", twin.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        if own:
            connection.close()


@pytest.fixture
def send() -> Any:
    """``send(twin, method, path, body, headers, token=..., connection=...)`` -> ``Reply``."""
    return call


@pytest.fixture(scope="session")
def api_specs() -> Path:
    """The public API descriptions, next to the repository; the test is skipped without them."""
    if not API_SPECS.is_dir():
        pytest.skip(f"public API descriptions not found at {API_SPECS}")
    return API_SPECS


@pytest.fixture
def slack(twin: Any) -> Twin:
    """The Slack twin from the ``twin`` fixture: running, reset for this test."""
    return twin("slack")


@pytest.fixture
def client(slack: Twin) -> Any:
    """slack_sdk's WebClient, authenticated as the twin's bot."""
    from slack_sdk import WebClient

    return WebClient(token=slack.token, base_url=slack.base_url + "/api/")


@dataclass
class Received:
    """One request an app's endpoint received from a twin."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# What the endpoint answers: status, headers, body.
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Receiver:
    """An app's endpoint on 127.0.0.1 that records what it receives. ``respond`` decides each
    answer (200 "ok" by default); it may block on an event to play a slow app."""

    requests: list[Received] = field(default_factory=list)
    respond: Callable[[Received], Answer] = lambda received: (200, {}, b"ok")
    url: str = ""

    def bodies(self) -> list[Any]:
        return [received.json() for received in self.requests if received.body]


def _receiver_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received = Received(
                self.command,
                self.path,
                {name.lower(): value for name, value in self.headers.items()},
                self.rfile.read(length),
            )
            receiver.requests.append(received)
            status, headers, body = receiver.respond(received)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the twin gave up waiting

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An endpoint on 127.0.0.1 for a twin's deliveries (``receiver.url``, ``.requests``)."""
    endpoint = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _receiver_handler(endpoint))
    server.daemon_threads = True
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield endpoint
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody"


# --- the Google twin and the official Google client -----------------------------------------------
GOOGLE_DISCOVERY = {
    "drive": "google-drive-v3-discovery.json",
    "docs": "google-docs-v1-discovery.json",
    "sheets": "google-sheets-v4-discovery.json",
}


class CheckedResponses:
    """Checks every JSON answer the official client receives against its method's response
    schema in the Discovery document (strictly: no member the schema does not list)."""

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents
        self.validators: dict[str, Any] = {}
        self.checked: dict[str, int] = {}

    def check(self, method_id: str, body: Any) -> None:
        import jsonschema

        from holdout_twins.core.discovery import response_schema

        if not isinstance(body, dict) or not body:  # media, and 204's empty answer
            return
        if method_id not in self.validators:
            document = self.documents[method_id.split(".", 1)[0]]
            schema = response_schema(document, method_id, strict=True)
            self.validators[method_id] = jsonschema.Draft7Validator(schema)
        problems = [
            f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in self.validators[method_id].iter_errors(body)
        ]
        assert problems == [], f"{method_id} answered outside its schema"
        self.checked[method_id] = self.checked.get(method_id, 0) + 1

    def request_builder(self) -> type:
        """An ``HttpRequest`` that checks what it receives (``build_from_document``'s
        ``requestBuilder``); resumable uploads' last answers included."""
        from googleapiclient.http import HttpRequest

        checker = self

        class CheckedRequest(HttpRequest):
            def __init__(self, http: Any, postproc: Any, uri: str, **options: Any) -> None:
                method_id = options.get("methodId")

                def checked(response: Any, content: Any) -> Any:
                    result = postproc(response, content)
                    if method_id:
                        checker.check(method_id, result)
                    return result

                super().__init__(http, checked, uri, **options)

        return CheckedRequest


@pytest.fixture(scope="session")
def google_discovery() -> dict[str, dict[str, Any]]:
    """The Drive, Docs and Sheets Discovery documents from ``../shared/api-specs``; where that
    folder is absent (a user's fresh clone), the same documents as google-api-python-client
    bundles them, so that the official-client drives run anyway."""
    pytest.importorskip("googleapiclient", reason="google-api-python-client is not installed")
    from googleapiclient.discovery_cache import get_static_doc

    from holdout_twins.google.twin import APIS

    documents = {}
    for api, name in GOOGLE_DISCOVERY.items():
        shared = API_SPECS / name
        text = (
            shared.read_text(encoding="utf-8")
            if shared.is_file()
            else get_static_doc(api, APIS[api])
        )
        documents[api] = json.loads(text)
    return documents


@pytest.fixture(scope="session")
def checked_responses(google_discovery: dict[str, dict[str, Any]]) -> CheckedResponses:
    return CheckedResponses(google_discovery)


@pytest.fixture
def google(twin: Any) -> Twin:
    """The Google twin from the ``twin`` fixture: running, reset for this test."""
    return twin("google")


@pytest.fixture
def google_client(
    google: Any, google_discovery: dict[str, dict[str, Any]], checked_responses: CheckedResponses
) -> Any:
    """``google_client("drive", credentials=None)``: the official client built from the shared
    Discovery document pointed at the twin, checking every answer against the document."""
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build_from_document

    builder = checked_responses.request_builder()

    def build(api: str, credentials: Any = None) -> Any:
        return build_from_document(
            google.discovery(api, google_discovery[api]),
            credentials=credentials or Credentials(token=google.token),
            requestBuilder=builder,
        )

    return build


@pytest.fixture
def drive(google_client: Any) -> Any:
    return google_client("drive")


@pytest.fixture
def docs(google_client: Any) -> Any:
    return google_client("docs")


@pytest.fixture
def sheets(google_client: Any) -> Any:
    return google_client("sheets")
