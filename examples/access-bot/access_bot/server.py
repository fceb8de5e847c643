"""The bot's HTTP endpoints, where Slack and Jira call it.

* ``POST /slack/events``: Slack's Events API (the ``url_verification`` challenge, then
  ``event_callback`` envelopes), signed with the app's signing secret;
* ``POST /jira/webhook``: Jira's webhooks, signed with the webhook's secret;
* ``GET /healthz``: 200 while the bot runs.

A request with a bad signature is refused with 401 before anything is read from it. A good one is
answered at once (Slack waits 3 seconds, Jira 20) and handled afterwards, one at a time and in
order, by a worker thread; an event Slack sends again (the same ``event_id``) is handled once.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from access_bot import signatures
from access_bot.desk import Desk

log = logging.getLogger("access_bot.server")

MAX_BODY = 1 << 20  # bytes; Slack's and Jira's payloads are far smaller
REMEMBERED_EVENTS = 1000  # Slack event ids kept to recognise a retried delivery


class Inbox:
    """Work to do after the answer: handled in order by one thread, failures logged."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        threading.Thread(target=self._work, name="access-bot-worker", daemon=True).start()

    def put(self, job: Callable[[], None]) -> None:
        self._queue.put(job)

    def first_time(self, event_id: str) -> bool:
        """Whether ``event_id`` was not seen before (and remember it)."""
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            while len(self._seen) > REMEMBERED_EVENTS:
                self._seen.popitem(last=False)
            return True

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            except Exception:  # one bad event must not stop the bot
                log.exception("handling an event failed")


def make_server(host: str, port: int, desk: Desk, slack_secret: str, jira_secret: str) -> Any:
    inbox = Inbox()

    class Endpoints(BaseHTTPRequestHandler):
        server_version = "access-bot"

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._answer(200, {"ok": True})
            else:
                self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, {"error": "body too large"})
                return
            body = self.rfile.read(length)
            if self.path == "/slack/events":
                self._slack(body)
            elif self.path == "/jira/webhook":
                self._jira(body)
            else:
                self._answer(404, {"error": "not found"})

        def _slack(self, body: bytes) -> None:
            if not signatures.slack_valid(self.headers, body, slack_secret):
                self._answer(401, {"error": "bad signature"})
                return
            envelope = _json_object(body)
            if envelope is None:
                self._answer(400, {"error": "not a JSON object"})
            elif envelope.get("type") == "url_verification":
                self._answer(200, {"challenge": envelope.get("challenge", "")})
            else:
                event, event_id = envelope.get("event"), str(envelope.get("event_id", ""))
                if isinstance(event, dict) and (not event_id or inbox.first_time(event_id)):
                    inbox.put(lambda: desk.on_slack_event(event))
                self._answer(200, {"ok": True})

        def _jira(self, body: bytes) -> None:
            if not signatures.jira_valid(self.headers, body, jira_secret):
                self._answer(401, {"error": "bad signature"})
                return
            payload = _json_object(body)
            if payload is None:
                self._answer(400, {"error": "not a JSON object"})
                return
            inbox.put(lambda: desk.on_jira_event(payload))
            self._answer(200, {"ok": True})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return ThreadingHTTPServer((host, port), Endpoints)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
