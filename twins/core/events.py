"""Deliveries: the calls a twin makes to the app under test (Slack's Events API callbacks, Jira's
webhooks, Okta's event hooks), sent over HTTP from a background thread.

A twin builds a ``Delivery`` under its lock when something happens and hands it to
``twin.deliveries``; the worker thread sends it later, outside the lock, because the app may well
call the twin back while it handles the delivery. Each service adds its own headers to each
attempt (``sign``: Slack's v0 signature, Jira's ``X-Hub-Signature``), judges the answer
(``accept``: a challenge echoed back) and says which failures it retries (``retry_if``).

Retries wait on the twin's clock, not the wall clock: a retry due a minute later is sent once a
test moves the clock on a minute, so no test sleeps for it. The time an app has to answer is real
time, because the app is a real process. ``twin.deliveries.wait()`` returns once nothing is being
sent and nothing is due, so a test can assert on what the app received.

Deliveries go to loopback addresses only: this workplace forbids traffic anywhere else.
"""

from __future__ import annotations

import heapq
import http.client
import ipaddress
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from holdout_twins.core.clock import Clock

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
# What became of one attempt.
OK, TIMEOUT, CONNECTION_FAILED, HTTP_ERROR, REJECTED = (
    "ok",
    "timeout",
    "connection_failed",
    "http_error",  # an answer with a status that is not 2xx
    "rejected",  # a 2xx answer the service does not accept (a wrong challenge)
)
RESPONSE_KEPT = 4096  # bytes of each answer kept in the record


class DeliveryError(ValueError):
    """A URL the twin will not deliver to. The message names the URL and says why."""


def check_url(url: str) -> str:
    """``url`` if the twin may deliver to it: ``http://`` on a loopback address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (a malformed port raises here)
    except (TypeError, ValueError, AttributeError):
        raise DeliveryError(f"{url!r} is not a URL") from None
    if parts.scheme != "http":
        raise DeliveryError(f"{url!r}: deliveries go to http:// URLs only")
    if not _is_loopback(host):
        raise DeliveryError(
            f"{url!r}: deliveries go to loopback addresses only (127.0.0.1, ::1, localhost); "
            "this workplace forbids traffic anywhere else"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Answer:
    """What the receiver answered: status, headers (lower-cased names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Attempt:
    """One try at a delivery: when (twin clock), the headers sent, and what came of it."""

    number: int  # 1 for the first try, 2 for the first retry, ...
    time: float
    headers: dict[str, str]
    outcome: str  # OK, TIMEOUT, CONNECTION_FAILED, HTTP_ERROR or REJECTED
    status: int | None = None  # None: no answer
    response: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    @property
    def summary(self) -> str:
        """``"rejected, HTTP 200"``, ``"timeout"``: for error messages."""
        return self.outcome if self.status is None else f"{self.outcome}, HTTP {self.status}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "time": self.time,
            "headers": self.headers,
            "outcome": self.outcome,
            "status": self.status,
            "response": self.response,
        }


@dataclass(frozen=True)
class RetryPolicy:
    """How long the receiver has to answer (real seconds) and the retries after a failure:
    ``delays[n]`` is how long retry ``n + 1`` waits on the twin's clock."""

    timeout: float = 3.0
    delays: tuple[float, ...] = ()


def _accept_2xx(answer: Answer) -> bool:
    return 200 <= answer.status < 300


def _retry_always(answer: Answer | None) -> bool:
    return True


# Per-attempt headers: the delivery, the attempt's number and the previous attempt (None first).
Signer = Callable[["Delivery", int, "Attempt | None"], dict[str, str]]


@dataclass
class Delivery:
    """One call the twin makes to the app, and what became of it.

    ``kind`` names it in the service's terms ("event_callback", "jira:issue_created",
    "user.lifecycle.create"); ``body`` is sent as it is, so a signature over it holds.
    """

    kind: str
    url: str
    body: bytes = b""
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sign: Signer | None = None
    accept: Callable[[Answer], bool] = _accept_2xx
    retry_if: Callable[[Answer | None], bool] = _retry_always  # given a failed attempt's answer
    id: int = 0
    state: str = PENDING
    due: float | None = None  # when the next attempt is due, on the twin's clock
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def payload(self) -> Any:
        """The body as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "url": self.url,
            "method": self.method,
            "payload": self.payload,
            "state": self.state,
            "due": self.due,
            "attempts": [attempt.to_dict() for attempt in self.attempts],
        }


class Deliveries:
    """A twin's outbound queue, its worker thread and the record of every delivery since the
    last reset (``entries()``, ``of(kind)``), for steps to assert on."""

    def __init__(self, clock: Clock, name: str = "twin") -> None:
        self._clock = clock
        self._name = name
        self._condition = threading.Condition()
        self._entries: list[Delivery] = []
        self._queue: list[tuple[float, int, Delivery]] = []  # by due time, then order
        self._order = itertools.count()
        self._in_flight = 0
        self._generation = 0  # bumped by clear(): an attempt in flight across it is forgotten
        self._thread: threading.Thread | None = None
        self._stopping = False

    # --- what the twin does --------------------------------------------------------------------
    def enqueue(self, delivery: Delivery) -> Delivery:
        """Send ``delivery`` from the worker thread, with its retries; returns at once."""
        check_url(delivery.url)
        with self._condition:
            self._register(delivery)
            delivery.due = self._clock.now()
            heapq.heappush(self._queue, (delivery.due, next(self._order), delivery))
            self._start_worker()
            self._condition.notify_all()
        return delivery

    def send(self, delivery: Delivery) -> Delivery:
        """Send ``delivery`` now, in the calling thread, its retries straight after a failure:
        for the verification requests a service makes while its caller waits for the verdict
        (``delivery.state`` tells it)."""
        check_url(delivery.url)
        with self._condition:
            self._register(delivery)
        while delivery.state == PENDING:
            attempt, answer = self._attempt(delivery)
            delivery.attempts.append(attempt)
            if attempt.ok:
                delivery.state = DELIVERED
            elif _retry_delay(delivery, answer) is None:
                delivery.state = FAILED
        return delivery

    def poke(self) -> None:
        """The twin's clock moved: retries may have fallen due."""
        with self._condition:
            self._condition.notify_all()

    def clear(self) -> None:
        """Forget every delivery, sent or pending (on reset)."""
        with self._condition:
            self._generation += 1
            self._entries.clear()
            self._queue.clear()
            self._condition.notify_all()

    def stop(self) -> None:
        """End the worker thread (it starts again on the next delivery)."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    # --- what tests and steps do ---------------------------------------------------------------
    def wait(self, timeout: float = 10.0) -> list[Delivery]:
        """Block until nothing is being sent and nothing is due on the twin's clock, at most
        ``timeout`` real seconds (then ``TimeoutError``); returns every delivery. Retries due
        later on the twin's clock stay pending until the clock gets there."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._in_flight or self._due():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{self._name} twin: deliveries still being sent after {timeout:g} s"
                    )
                self._condition.wait(remaining)
            return list(self._entries)

    def entries(self) -> list[Delivery]:
        with self._condition:
            return list(self._entries)

    def of(self, kind: str) -> list[Delivery]:
        """Every delivery of one kind, oldest first."""
        return [delivery for delivery in self.entries() if delivery.kind == kind]

    def __len__(self) -> int:
        return len(self._entries)

    # --- the worker ----------------------------------------------------------------------------
    def _register(self, delivery: Delivery) -> None:
        delivery.id = len(self._entries) + 1
        delivery.state, delivery.attempts = PENDING, []
        self._entries.append(delivery)

    def _due(self) -> bool:
        return bool(self._queue) and self._queue[0][0] <= self._clock.now()

    def _start_worker(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name=f"twin-{self._name}-deliveries", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and not self._due():
                    self._condition.wait()
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                self._in_flight += 1
                generation = self._generation
            attempt, answer = self._attempt(delivery)
            with self._condition:
                self._in_flight -= 1
                if generation == self._generation:
                    self._settle(delivery, attempt, answer)
                self._condition.notify_all()

    def _settle(self, delivery: Delivery, attempt: Attempt, answer: Answer | None) -> None:
        """Record ``attempt``; schedule the next one if the service retries this failure."""
        delivery.attempts.append(attempt)
        delay = None if attempt.ok else _retry_delay(delivery, answer)
        if attempt.ok:
            delivery.state, delivery.due = DELIVERED, None
        elif delay is not None:
            delivery.due = self._clock.now() + delay
            heapq.heappush(self._queue, (delivery.due, next(self._order), delivery))
        else:
            delivery.state, delivery.due = FAILED, None

    def _attempt(self, delivery: Delivery) -> tuple[Attempt, Answer | None]:
        """One HTTP request and its answer, if any; never raises (a failure is the outcome)."""
        number = len(delivery.attempts) + 1
        previous = delivery.attempts[-1] if delivery.attempts else None
        headers = {"Content-Type": "application/json", **delivery.headers}
        if delivery.sign is not None:
            headers.update(delivery.sign(delivery, number, previous))
        sent_at = self._clock.now()
        answer: Answer | None = None
        try:
            answer = _request(delivery, headers)
        except TimeoutError:
            outcome = TIMEOUT
        except (OSError, http.client.HTTPException):
            outcome = CONNECTION_FAILED
        else:
            if delivery.accept(answer):
                outcome = OK
            else:
                outcome = REJECTED if _accept_2xx(answer) else HTTP_ERROR
        attempt = Attempt(
            number,
            sent_at,
            headers,
            outcome,
            None if answer is None else answer.status,
            "" if answer is None else answer.body[:RESPONSE_KEPT].decode("utf-8", "replace"),
        )
        return attempt, answer


def _retry_delay(delivery: Delivery, answer: Answer | None) -> float | None:
    """How long the retry after the last (failed) attempt waits, or None: no more retries."""
    retries = len(delivery.attempts) - 1
    if retries < len(delivery.policy.delays) and delivery.retry_if(answer):
        return delivery.policy.delays[retries]
    return None


def _request(delivery: Delivery, headers: dict[str, str]) -> Answer:
    parts = urlsplit(check_url(delivery.url))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=delivery.policy.timeout
    )
    try:
        body = delivery.body if delivery.method != "GET" else None
        connection.request(delivery.method, target, body=body, headers=headers)
        response = connection.getresponse()
        received = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, received)
    finally:
        connection.close()
