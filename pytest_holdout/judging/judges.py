"""Model judges for Then steps whose outcome needs judgement (``@then.judged(...)``).

The built-in judge asks a model through the ``anthropic`` SDK for a structured verdict (a forced
tool call with ``satisfied`` and ``reason``), as many times as there are votes, and takes the
majority. Verdicts are cached by a hash of everything that determines them, so a rerun costs
nothing; the cache entries are age-encrypted to the keyholders, because a verdict's reason may
quote the scenario. With no API key the judge answers "unjudged", which counts neither way.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pytest_holdout.errors import HoldoutError, UsageError

VERDICT_TOOL = {
    "name": "record_verdict",
    "description": "Record whether the trial satisfied the criterion, and why.",
    "input_schema": {
        "type": "object",
        "properties": {
            "satisfied": {"type": "boolean"},
            "reason": {"type": "string"},
        },
        "required": ["satisfied", "reason"],
    },
}

SYSTEM = (
    "You judge one step of a behavioural test scenario. You are given the criterion the step "
    "states, an optional rubric, and a transcript of the trial: its steps and results, and the "
    "requests the software made to the services it talks to. Decide whether a reasonable user "
    "would find the criterion satisfied. Answer only by calling record_verdict."
)


@dataclass(frozen=True)
class JudgeRequest:
    """What a judge sees. Secret: criterion and transcript are scenario content."""

    criterion: str
    rubric: str | None
    transcript: str

    def __repr__(self) -> str:
        return "<JudgeRequest>"


@dataclass(frozen=True)
class Verdict:
    satisfied: bool | None  # None: unjudged
    reasons: tuple[str, ...] = field(default_factory=tuple)  # sealed only

    def __repr__(self) -> str:
        return f"<Verdict {self.satisfied}>"


@dataclass(frozen=True)
class JudgeSettings:
    model: str = "claude-sonnet-4-6"
    temperature: float | None = None  # None: the API's default
    votes: int = 1
    max_tokens: int = 512

    def __post_init__(self) -> None:
        # No vote would leave every judged step unjudged, which counts neither way.
        if self.votes < 1:
            raise UsageError(f"judge votes = {self.votes}: the judge needs at least 1 vote")


def majority(votes: Sequence[bool | None]) -> bool | None:
    """The majority of the valid votes; a tie or no valid vote is unjudged."""
    yes = sum(1 for vote in votes if vote is True)
    no = sum(1 for vote in votes if vote is False)
    if yes == no:
        return None
    return yes > no


class VerdictCache:
    """Verdicts by a hash of what determines them, each entry encrypted to the keyholders."""

    def __init__(self, directory: Path, recipients: Sequence[Any], identities: Sequence[Any]):
        self.directory = directory
        self.recipients = list(recipients)
        self.identities = list(identities)

    @staticmethod
    def key(settings: JudgeSettings, request: JudgeRequest) -> str:
        material = json.dumps([asdict(settings), asdict(request)], sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()

    def get(self, key: str) -> Verdict | None:
        from pytest_holdout.store.files import decrypt

        path = self.directory / f"{key}.age"
        if not path.is_file() or not self.identities:
            return None
        try:
            data = json.loads(decrypt(path.read_bytes(), self.identities, path.name))
        except (HoldoutError, ValueError):
            return None  # a spoiled entry is a miss, not an error
        return Verdict(data["satisfied"], tuple(data["reasons"]))

    def put(self, key: str, verdict: Verdict) -> None:
        from pytest_holdout.store.files import encrypt
        from pytest_holdout.store.fsutil import atomic_write

        if not self.recipients:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"satisfied": verdict.satisfied, "reasons": list(verdict.reasons)})
        atomic_write(self.directory / f"{key}.age", encrypt(data.encode(), self.recipients))


class ModelJudge:
    """The built-in judge: a model, through the ``anthropic`` SDK."""

    def __init__(self, settings: JudgeSettings, cache: VerdictCache | None = None) -> None:
        self.settings = settings
        self.cache = cache
        self._client: Any = None

    def available(self) -> bool:
        return bool(os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN"))

    def client(self) -> Any:
        if self._client is None:
            import anthropic

            self._client = anthropic.Anthropic()
        return self._client

    def __call__(self, request: JudgeRequest) -> Verdict:
        if not self.available():
            return Verdict(None, ("unjudged: no ANTHROPIC_API_KEY",))
        key = VerdictCache.key(self.settings, request)
        if self.cache is not None and (cached := self.cache.get(key)) is not None:
            return cached
        votes: list[bool | None] = []
        reasons: list[str] = []
        for _ in range(self.settings.votes):
            satisfied, reason = self._ask(request)
            votes.append(satisfied)
            reasons.append(reason)
        verdict = Verdict(majority(votes), tuple(reasons))
        if self.cache is not None and verdict.satisfied is not None:
            self.cache.put(key, verdict)
        return verdict

    def _ask(self, request: JudgeRequest) -> tuple[bool | None, str]:
        import anthropic

        prompt = f"Criterion: {request.criterion}\n"
        if request.rubric:
            prompt += f"Rubric: {request.rubric}\n"
        prompt += f"\nTranscript:\n{request.transcript}"
        # Current SDKs no longer take ``temperature`` as an argument; the API still reads it.
        extra = (
            {} if self.settings.temperature is None else {"temperature": self.settings.temperature}
        )
        try:
            message = self.client().messages.create(
                model=self.settings.model,
                max_tokens=self.settings.max_tokens,
                extra_body=extra or None,
                system=SYSTEM,
                tools=[VERDICT_TOOL],
                tool_choice={"type": "tool", "name": VERDICT_TOOL["name"]},
                messages=[{"role": "user", "content": prompt}],
            )
        except (anthropic.APIError, TypeError, ValueError) as exc:
            # No verdict is an abstention: the step is unjudged, the run goes on.
            return None, f"no verdict: {type(exc).__name__}"
        for block in message.content:
            if getattr(block, "type", None) == "tool_use" and block.name == VERDICT_TOOL["name"]:
                verdict = block.input if isinstance(block.input, dict) else {}
                satisfied, reason = verdict.get("satisfied"), verdict.get("reason")
                if isinstance(satisfied, bool) and isinstance(reason, str):
                    return satisfied, reason
        return None, "malformed verdict"


def transcript(detail: Any, evidence: Any, journals: dict[str, list[Any]]) -> str:
    """The trial so far, as the judge reads it: steps with their results, the step's own
    evidence, and the requests each twin received."""
    lines = ["Steps:"]
    for number, step in enumerate(detail.steps, 1):
        lines.append(f"{number}. {step.keyword} {step.text} -> {step.status}")
    if evidence is not None:
        shown = evidence if isinstance(evidence, str) else json.dumps(evidence, default=str)
        lines += ["", "Evidence:", shown]
    for name, entries in sorted(journals.items()):
        lines += ["", f"Requests received by the {name} twin:"]
        lines += [json.dumps(entry, default=str) for entry in entries]
    return "\n".join(lines)
