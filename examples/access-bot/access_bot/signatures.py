"""Checking that a call really comes from Slack or from Jira: HMAC-SHA256 with a shared secret."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

MAX_AGE = 300  # seconds: Slack's advice, against a recorded request sent again later


def _digest(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def slack_valid(
    headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None
) -> bool:
    """Slack's v0 scheme: ``X-Slack-Signature: v0=HMAC(secret, "v0:<timestamp>:<body>")``,
    with ``X-Slack-Request-Timestamp`` no more than five minutes away."""
    stamp, signature = headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
    if not stamp or not signature or not stamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > MAX_AGE:
        return False
    expected = "v0=" + _digest(secret, b"v0:" + stamp.encode() + b":" + body)
    return hmac.compare_digest(expected, signature)


def jira_valid(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """A Jira webhook with a secret: ``X-Hub-Signature: sha256=HMAC(secret, body)``."""
    signature = headers.get("X-Hub-Signature") or ""
    return hmac.compare_digest("sha256=" + _digest(secret, body), signature)
