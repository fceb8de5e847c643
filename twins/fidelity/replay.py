"""Replaying recorded traffic: a twin measured against what the real service once answered.

A cassette is a recording of real HTTP traffic as vcrpy writes it (YAML, or JSON with vcrpy's
JSON serializer): the format many official SDKs' test suites record. Each interaction's request
is sent to the twin in order, with the twin's credentials instead of the recorded ones, and with
the ids the real service handed out replaced by the ones the twin handed out in their place
(learned from the responses so far: an ``id``, ``key``, ``ts``, ``...Id`` or ``..._id`` that
differs at the same place in an object). The twin's answer reproduces the recorded one when it
has the same status, the same error code, the same set of keys, and lists with the same members.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from holdout_twins.core import Twin

_ID_KEY = re.compile(r"(?:id|key|ts|.Id|._id|._ts)")
# Recorded request headers that belong to the recording's connection or credentials.
_DROPPED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "accept-encoding",
        "authorization",
        "cookie",
        "x-api-key",
        "transfer-encoding",
    }
)


class CassetteError(Exception):
    """A cassette that cannot be read. The message names the file."""


@dataclass(frozen=True)
class Interaction:
    method: str
    target: str  # path and query, as recorded
    headers: dict[str, str]
    body: bytes
    status: int
    response: Any  # the recorded JSON body, None when it was empty or not JSON


@dataclass
class Outcome:
    cassette: str
    index: int  # 1-based, in the cassette's order
    method: str
    target: str  # as sent to the twin, ids mapped
    recorded_status: int
    status: int
    differences: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "cassette": self.cassette,
            "index": self.index,
            "method": self.method,
            "target": self.target,
            "recorded_status": self.recorded_status,
            "status": self.status,
            "reproduced": self.reproduced,
            "differences": self.differences,
        }


@dataclass
class ReplayReport:
    twin: str
    outcomes: list[Outcome]

    @property
    def figure(self) -> float:
        """The fraction of interactions reproduced (1 when there were none)."""
        if not self.outcomes:
            return 1.0
        return sum(outcome.reproduced for outcome in self.outcomes) / len(self.outcomes)

    def lines(self) -> Iterator[str]:
        for outcome in self.outcomes:
            verdict = "reproduced" if outcome.reproduced else "; ".join(outcome.differences)
            where = f"{outcome.cassette} #{outcome.index} {outcome.method} {outcome.target}"
            yield f"{where}: {verdict}"
        reproduced = sum(outcome.reproduced for outcome in self.outcomes)
        yield (
            f"{self.twin}: reproduced {reproduced} of {len(self.outcomes)} recorded interactions "
            f"({self.figure:.3f})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "twin": self.twin,
            "figure": self.figure,
            "outcomes": [outcome.to_dict() for outcome in self.outcomes],
        }


# --- reading cassettes ----------------------------------------------------------------------
def load_cassette(path: Path) -> list[Interaction]:
    """The interactions of a vcrpy cassette (YAML, or JSON by its ``.json`` name)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return [_interaction(recorded) for recorded in data["interactions"]]
    except OSError as error:
        raise CassetteError(f"{path}: cannot read ({error.strerror})") from None
    except (json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError):
        raise CassetteError(f"{path}: not a YAML or JSON cassette") from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CassetteError(f"{path}: not a vcrpy cassette (missing or wrong {error})") from None


def _interaction(recorded: dict[str, Any]) -> Interaction:
    request, response = recorded["request"], recorded["response"]
    target = urlsplit(request["uri"])
    headers = {
        name: values[-1] if isinstance(values, list) else str(values)
        for name, values in (request.get("headers") or {}).items()
        if name.lower() not in _DROPPED_HEADERS
    }
    body = _bytes(request.get("body"))
    response_headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
    payload = _bytes((response.get("body") or {}).get("string"))
    if "gzip" in str(response_headers.get("content-encoding", "")) and payload:
        payload = gzip.decompress(payload)
    return Interaction(
        request["method"].upper(),
        target.path + (f"?{target.query}" if target.query else ""),
        headers,
        body,
        int(response["status"]["code"]),
        _json(payload),
    )


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload) if payload else None
    except (ValueError, UnicodeDecodeError):
        return None


# --- replaying ------------------------------------------------------------------------------
class IdMap:
    """Recorded ids and the twin's ids handed out in their place."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def learn(self, recorded: Any, answered: Any) -> None:
        """Pair ids at the same place of two objects (not inside lists, whose order and
        membership are what is compared)."""
        if not (isinstance(recorded, dict) and isinstance(answered, dict)):
            return
        for key in recorded.keys() & answered.keys():
            old, new = recorded[key], answered[key]
            if isinstance(old, str) and isinstance(new, str):
                if old != new and _ID_KEY.fullmatch(key) and old not in self.ids:
                    self.ids[old] = new
            else:
                self.learn(old, new)

    def apply(self, text: str) -> str:
        """``text`` with every recorded id, as a whole word, replaced by the twin's."""
        for old in sorted(self.ids, key=len, reverse=True):
            text = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", self.ids[old], text)
        return text

    def recorded_as(self, value: str) -> str:
        return self.ids.get(value, value)


def replay(twin: Twin, cassettes: Iterable[tuple[str, list[Interaction]]]) -> ReplayReport:
    """Each cassette against ``twin`` (running), reset to its seed before each cassette."""
    outcomes: list[Outcome] = []
    for name, interactions in cassettes:
        twin.reset()
        ids = IdMap()
        for index, interaction in enumerate(interactions, 1):
            outcome, answered = _send(twin, interaction, ids, name, index)
            outcome.differences = compare(interaction.response, answered, interaction, outcome, ids)
            ids.learn(interaction.response, answered)
            outcomes.append(outcome)
    return ReplayReport(twin.name, outcomes)


def _send(
    twin: Twin, interaction: Interaction, ids: IdMap, cassette: str, index: int
) -> tuple[Outcome, Any]:
    target = ids.apply(interaction.target)
    body = interaction.body
    if body:
        with contextlib.suppress(UnicodeDecodeError):  # a binary body goes as it was recorded
            body = ids.apply(body.decode("utf-8")).encode("utf-8")
    connection = http.client.HTTPConnection("127.0.0.1", twin.port, timeout=30)
    try:
        headers = {**interaction.headers, **twin.auth_headers()}
        connection.request(interaction.method, target, body=body or None, headers=headers)
        response = connection.getresponse()
        status, payload = response.status, response.read()
    finally:
        connection.close()
    outcome = Outcome(cassette, index, interaction.method, target, interaction.status, status)
    return outcome, _json(payload)


def compare(
    recorded: Any, answered: Any, interaction: Interaction, outcome: Outcome, ids: IdMap
) -> list[str]:
    """What differs between the recorded answer and the twin's: status, error code, keys, and
    list members (by id, the recorded ones mapped to the twin's)."""
    differences = []
    if outcome.status != interaction.status:
        differences.append(f"status {outcome.status}, recorded {interaction.status}")
    recorded_code, code = error_code(recorded), error_code(answered)
    if recorded_code != code:
        differences.append(f"error {code!r}, recorded {recorded_code!r}")
    recorded_keys, keys = set(_key_paths(recorded)), set(_key_paths(answered))
    if recorded_keys - keys:
        differences.append(f"keys missing: {', '.join(sorted(recorded_keys - keys))}")
    if keys - recorded_keys:
        differences.append(f"keys not recorded: {', '.join(sorted(keys - recorded_keys))}")
    for path, recorded_members in _lists(recorded):
        members = dict(_lists(answered)).get(path)
        if members is None:
            continue
        expected = {ids.recorded_as(member) for member in recorded_members}
        if expected != members:
            where = path or "(top)"
            missing, extra = sorted(expected - members), sorted(members - expected)
            differences.append(f"list {where}: missing {missing}, not recorded {extra}")
    return differences


def error_code(body: Any) -> str | None:
    """The service's error code in an answer, in the shapes of the services the project clones:
    Okta's ``errorCode``, Slack's ``"ok": false`` with ``error``, Anthropic's ``error.type``,
    Google's ``error.status``; Jira's errors carry messages, not codes."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("errorCode"), str):
        return body["errorCode"]
    error = body.get("error")
    if isinstance(error, str) and body.get("ok") is False:
        return error
    if isinstance(error, dict):
        code = error.get("type") or error.get("status")
        return str(code) if code is not None else None
    return None


def _key_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child
            yield from _key_paths(item, child)
    elif isinstance(value, list):
        for item in value:
            yield from _key_paths(item, f"{path}[]")


def _lists(value: Any, path: str = "") -> Iterator[tuple[str, set[str]]]:
    """Each list (at the top or under an object's keys) with the ids of its members: strings
    themselves, objects by their ``id``, ``key`` or ``ts``."""
    if isinstance(value, list):
        members = {member for member in map(_member_id, value) if member is not None}
        if members:
            yield path, members
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _lists(item, f"{path}.{key}" if path else str(key))


def _member_id(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("id", "key", "ts"):
            if isinstance(item.get(key), str):
                return item[key]
    return None
