"""The feedback state: what a release rule remembers between rounds, sealed so that the agent can
neither read, forge, reset nor roll it back unnoticed.

It holds the last released score, the ladder's step and the per-scenario rates of the last
released submission (the parameter-free ladder compares with them), thresholdout's threshold,
noise scale, budget left and noise seed, the round, a per-run nonce and a hash chain over every
release. Some of that is secret (the seed would let one subtract the noise; the per-scenario
rates tell more than the score), so the file is encrypted as well as authenticated: one line of
ChaCha20-Poly1305 (an AEAD, its tag the MAC) under a key derived with HKDF from the keyholder's
private key (``keys.derive_key``, as the manifest's MAC key is, with a label of its own):

    pytest-holdout feedback state v1
    keyholder age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
    <base64 of a 12-byte nonce and the sealed JSON>

The first two lines are the AEAD's associated data: changing any byte of the file fails it.
What is and is not detected is in docs/reusable-holdout.md ("The state").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store.fsutil import atomic_write, read_regular
from pytest_holdout.store.keys import Identity, derive_key

Mode = Literal["plain", "ladder", "parameter-free-ladder", "thresholdout"]
MODES: tuple[Mode, ...] = ("plain", "ladder", "parameter-free-ladder", "thresholdout")
HEADER = "pytest-holdout feedback state v1"
_INFO = b"pytest-holdout feedback state v1"
RESET_HINT = "a keyholder starts anew with --holdout-reset-feedback"


class FeedbackStateError(HoldoutError):
    """The state file is missing, altered, replaced or not this run's: the loop must stop."""


@dataclass(frozen=True)
class Checkpoint:
    """Where a run of rounds stands: what the last save wrote. Whoever keeps it where the agent
    cannot write (the loop's memory, the loop's own history) detects an older state put back."""

    run: str
    round: int
    chain: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FeedbackState:
    mode: Mode
    run: str  # a random nonce per fresh start (hex)
    seed: str  # thresholdout's noise seed (hex): secret
    round: int = 0  # rounds released so far
    chain: str = ""  # SHA-256 over the previous chain and each round's release (hex)
    last: float | None = None  # the last released score
    step: float | None = None  # ladder: eta
    baseline: dict[str, float] | None = None  # parameter-free ladder: rates by opaque id
    threshold: float | None = None  # thresholdout: T
    noise: float | None = None  # thresholdout: the Laplace scale sigma
    budget: int | None = None  # thresholdout: overfitting detections allowed
    spent: int = 0  # thresholdout: detections so far
    public_split: str | None = None  # thresholdout: SHA-256 of the public split's ids

    @classmethod
    def fresh(cls, mode: Mode, **parameters: Any) -> FeedbackState:
        if mode not in MODES:
            raise HoldoutError(f"feedback mode {mode!r}: choose one of {', '.join(MODES)}")
        run = os.urandom(16).hex()
        return cls(mode=mode, run=run, seed=os.urandom(32).hex(), chain=_sha256(run), **parameters)

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.run, self.round, self.chain)

    @property
    def budget_left(self) -> int | None:
        return None if self.budget is None else self.budget - self.spent

    def advanced(self, record: Mapping[str, Any], **changes: Any) -> FeedbackState:
        """The state after one more round whose public release is ``record``."""
        link = json.dumps([self.chain, dict(record)], sort_keys=True)
        return replace(self, round=self.round + 1, chain=_sha256(link), **changes)

    # -- the file ----------------------------------------------------------------------------

    def save(self, path: Path, identities: Sequence[Identity]) -> None:
        """Seal the state to ``path`` atomically, under the first of ``identities``."""
        if not identities:
            raise FeedbackStateError(f"{path}: sealing the feedback state needs a private key")
        identity = identities[0]
        header = f"{HEADER}\nkeyholder {identity.recipient}\n".encode()
        nonce = os.urandom(12)
        body = json.dumps(asdict(self), sort_keys=True).encode()
        sealed = ChaCha20Poly1305(derive_key(identity, _INFO)).encrypt(nonce, body, header)
        atomic_write(Path(path), header + base64.b64encode(nonce + sealed) + b"\n", mode=0o600)

    @classmethod
    def load(
        cls, path: Path, identities: Sequence[Identity], expect: Checkpoint | None = None
    ) -> FeedbackState:
        """The state sealed in ``path``; with ``expect`` (the checkpoint of the last save), it
        must be exactly that save. Raises FeedbackStateError, naming the file, otherwise."""
        path = Path(path)
        try:
            data = read_regular(path)
        except FileNotFoundError:
            raise FeedbackStateError(
                f"{path}: missing (the feedback state carries over between rounds; {RESET_HINT})"
            ) from None
        except HoldoutError as exc:  # a link, not a regular file, unreadable
            raise FeedbackStateError(str(exc)) from None
        lines = data.split(b"\n")
        if len(lines) < 3 or lines[0].decode("ascii", "replace") != HEADER:
            raise FeedbackStateError(f"{path}: not a pytest-holdout feedback state")
        keyholder = lines[1].decode("ascii", "replace").removeprefix("keyholder ")
        held = [identity for identity in identities if identity.recipient == keyholder]
        if not held:
            raise FeedbackStateError(
                f"{path}: sealed by {keyholder}, whose private key is not held here"
            )
        header = b"\n".join(lines[:2]) + b"\n"
        try:
            sealed = base64.b64decode(lines[2], validate=True)
            body = ChaCha20Poly1305(derive_key(held[0], _INFO)).decrypt(
                sealed[:12], sealed[12:], header
            )
            state = cls(**json.loads(body))
        except (binascii.Error, InvalidTag, ValueError, TypeError):
            raise FeedbackStateError(
                f"{path}: altered since it was saved (its MAC does not verify); {RESET_HINT}"
            ) from None
        if expect is not None:
            state.check(expect, path)
        return state

    def check(self, expect: Checkpoint, path: Path) -> None:
        """This state is the one whose checkpoint is ``expect``, or a clear error saying how it
        differs: another run's, an older one put back, or one that was never saved."""
        if self.run != expect.run:
            raise FeedbackStateError(
                f"{path}: the state of another run ({self.run[:12]}), not of this one "
                f"({expect.run[:12]}); {RESET_HINT}"
            )
        if self.round < expect.round:
            raise FeedbackStateError(
                f"{path}: replayed: it is round {self.round}, but round {expect.round} was "
                f"already released (an older state file was put back); {RESET_HINT}"
            )
        if self.checkpoint != expect:
            raise FeedbackStateError(
                f"{path}: round {self.round} does not continue round {expect.round} as saved "
                f"(its hash chain differs); {RESET_HINT}"
            )


def split_digest(item_ids: Sequence[str]) -> str:
    """What binds a run of rounds to one public split: the SHA-256 of its sorted ids."""
    return _sha256("\n".join(sorted(set(item_ids))))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
