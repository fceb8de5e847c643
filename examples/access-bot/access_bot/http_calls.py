"""JSON over HTTP to the services, with the retries every client of a rate-limited API needs.

* **429**: wait what ``Retry-After`` says (seconds, or an HTTP date), then try again; a wait
  longer than the bot's ``max_wait`` counts as the service being down.
* **5xx, a dropped or refused connection, a timeout**: try again after a short, growing pause.
* Past the last attempt: ``Unavailable``, which the bot reports instead of failing.

Any other error status is the service's answer (``ApiError``): the caller decides what it means.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("access_bot.http")

TIMEOUT = 10.0  # seconds for one request
ATTEMPTS = 5  # at most, for rate limits and server errors alike
BACKOFF = (0.2, 0.4, 0.8, 1.6)  # seconds before the 2nd, 3rd, ... attempt after a server error


class Unavailable(Exception):
    """The service did not answer usefully after every attempt: it is down or throttling."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} is unavailable ({detail})")
        self.service = service
        self.detail = detail


class ApiError(Exception):
    """The service answered with an error status other than 429 and 5xx."""

    def __init__(self, service: str, status: int, body: Any) -> None:
        super().__init__(f"{service} answered HTTP {status}")
        self.service = service
        self.status = status
        self.body = body


@dataclass
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Service:
    """One service's API: where it is, how to authenticate, and how long to wait at most."""

    name: str
    base_url: str
    headers: Mapping[str, str]
    max_wait: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> Answer:
        """``method path`` with retries; the answer of a 2xx, else ``ApiError``/``Unavailable``."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if json_body is None else json.dumps(json_body).encode("utf-8")
        headers = {"Accept": "application/json", **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        problem = "no attempt"
        for attempt in range(ATTEMPTS):
            try:
                answer = _send(urllib.request.Request(url, data, headers, method=method))
            except OSError as error:  # refused, dropped, timed out
                problem = f"{type(error).__name__}: {error}"
                wait = BACKOFF[min(attempt, len(BACKOFF) - 1)]
            else:
                if 200 <= answer.status < 300:
                    return answer
                if answer.status == 429:
                    wait = retry_after(answer.headers, default=1.0)
                    problem = f"rate limited, Retry-After {wait:g} s"
                    if wait > self.max_wait:
                        raise Unavailable(self.name, problem)
                elif answer.status >= 500:
                    problem = f"HTTP {answer.status}"
                    wait = BACKOFF[min(attempt, len(BACKOFF) - 1)]
                else:
                    raise ApiError(self.name, answer.status, answer.body)
            if attempt + 1 < ATTEMPTS:
                log.warning("%s %s %s: %s; again in %.1f s", self.name, method, path, problem, wait)
                self.sleep(wait)
        raise Unavailable(self.name, problem)


def _send(request: urllib.request.Request) -> Answer:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Answer(response.status, _json(response.read()), dict(response.headers))
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, _json(error.read()), dict(error.headers))


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def retry_after(headers: Mapping[str, str], default: float) -> float:
    """The seconds ``Retry-After`` asks for: a number, or an HTTP date (RFC 9110)."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())
