"""The trust root: which scenario files count, signed with the keyholders' private keys.

Anyone who can edit the repository can delete a scenario file, or replace it with a trivial one
encrypted to the public RECIPIENTS. So the gated job does not trust the folder's listing: it
trusts MANIFEST, which lists each file's id, the SHA-256 of its bytes and how many runnable
scenarios it holds, plus the SHA-256 of RECIPIENTS, under one HMAC-SHA256 line per signing
identity. Each MAC key is derived (HKDF-SHA256) from an identity's private key material, so only
a holder of that private key can make or check the line, and nobody else can forge or alter it.

    pytest-holdout manifest v1
    recipients 9f86d08...
    file S-3f9a2c7d41b0 2c26b46... 3
    mac 5e884898... age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p

The MAC covers every byte before the first ``mac`` line.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store.files import Store, decrypt
from pytest_holdout.store.fsutil import atomic_write
from pytest_holdout.store.keys import Identity, derive_key

MANIFEST = "MANIFEST"
HEADER = "pytest-holdout manifest v1"
_INFO = b"pytest-holdout manifest v1"


@dataclass(frozen=True)
class Entry:
    file_id: str
    sha256: str  # of the file's encrypted bytes
    items: int  # runnable scenarios: each Outline row counts one


@dataclass(frozen=True)
class Manifest:
    recipients_sha256: str
    entries: dict[str, Entry]
    signers: list[str] = field(default_factory=list)  # recipients of the identities that signed

    @property
    def items(self) -> int:
        return sum(entry.items for entry in self.entries.values())


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_path(store: Store) -> Path:
    return store.root / MANIFEST


# How many runnable scenarios a decrypted file holds (``scenarios.parsing.count_scenarios``);
# raises HoldoutError for a file that cannot run. Passed in: the store sits below the parsers.
CountScenarios = Callable[[bytes, str], int]


def build(store: Store, identities: Sequence[Identity], count: CountScenarios) -> Manifest:
    """The manifest of the store as it is: every file decrypted and counted (so a keyholder
    never signs a file that cannot run). Raises HoldoutError naming the first bad file."""
    entries = {}
    for file_id in store.ids():
        data = store.read_bytes(file_id)
        items = count(decrypt(data, identities, file_id), file_id)
        entries[file_id] = Entry(file_id, sha256_of(data), items)
    return Manifest(_recipients_sha256(store), entries)


def sign(store: Store, identities: Sequence[Identity], count: CountScenarios) -> None:
    """Write MANIFEST for the store as it is, with one MAC line per identity in ``identities``.

    Lines from other keyholders are kept when they signed exactly the same content, so that
    several keyholders (and the CI key) can each sign in turn.
    """
    if not identities:
        raise HoldoutError(f"{MANIFEST}: signing needs a private key")
    body = _body(build(store, identities, count))
    own = {identity.recipient for identity in identities}
    lines = [f"mac {_mac(identity, body)} {identity.recipient}" for identity in identities]
    previous = _read(store)
    if previous is not None and previous[0] == body:
        lines += [f"mac {mac} {who}" for mac, who in previous[1] if who not in own]
    atomic_write(manifest_path(store), body + "".join(f"{line}\n" for line in lines).encode())


def verify(store: Store, identities: Sequence[Identity]) -> Manifest:
    """MANIFEST, once one of ``identities`` has checked its MAC and RECIPIENTS is unchanged."""
    path = manifest_path(store)
    read = _read(store)
    if read is None:
        raise HoldoutError(f"{path}: missing (a keyholder runs `holdout manifest`)")
    if not identities:
        raise HoldoutError(f"{path}: verifying it needs a private key")
    body, macs = read
    manifest = _parse(body, path, signers=[who for _mac, who in macs])
    held = [identity for identity in identities if identity.recipient in manifest.signers]
    if not held:
        raise HoldoutError(f"{path}: not signed by any identity held here")
    if not any(
        hmac.compare_digest(mac, _mac(identity, body))
        for identity in held
        for mac, who in macs
        if who == identity.recipient
    ):
        raise HoldoutError(f"{path}: altered since it was signed (its MAC does not verify)")
    if manifest.recipients_sha256 != _recipients_sha256(store):
        raise HoldoutError(
            f"{path}: RECIPIENTS changed since it was signed (a keyholder runs `holdout manifest`)"
        )
    return manifest


def compare(store: Store, manifest: Manifest) -> tuple[list[str], list[str], list[str]]:
    """(missing ids, modified ids, unlisted ids): how the store differs from the manifest."""
    present = set(store.ids())
    missing = sorted(set(manifest.entries) - present)
    unlisted = sorted(present - set(manifest.entries))
    modified = sorted(
        file_id
        for file_id in present & set(manifest.entries)
        if sha256_of(store.read_bytes(file_id)) != manifest.entries[file_id].sha256
    )
    return missing, modified, unlisted


def _recipients_sha256(store: Store) -> str:
    try:
        return sha256_of(store.recipients_path.read_bytes())
    except FileNotFoundError:
        raise HoldoutError(f"{store.recipients_path}: missing (run `holdout init`)") from None


def _mac(identity: Identity, body: bytes) -> str:
    return hmac.new(derive_key(identity, _INFO), body, hashlib.sha256).hexdigest()


def _body(manifest: Manifest) -> bytes:
    lines = [HEADER, f"recipients {manifest.recipients_sha256}"]
    lines += [
        f"file {entry.file_id} {entry.sha256} {entry.items}"
        for entry in sorted(manifest.entries.values(), key=lambda entry: entry.file_id)
    ]
    return "".join(f"{line}\n" for line in lines).encode()


def _read(store: Store) -> tuple[bytes, list[tuple[str, str]]] | None:
    """MANIFEST split into the signed body and its (mac, recipient) lines; None if absent."""
    path = manifest_path(store)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HoldoutError(f"{path}: cannot read ({exc.strerror})") from None
    start = data.find(b"\nmac ") + 1
    if start == 0:
        raise HoldoutError(f"{path}: not signed (no mac line)")
    macs = []
    for line in data[start:].decode("ascii", "replace").splitlines():
        words = line.split(" ", 2)
        if len(words) != 3 or words[0] != "mac":
            raise HoldoutError(f"{path}: malformed mac line")
        macs.append((words[1], words[2]))
    return data[:start], macs


def _parse(body: bytes, path: Path, signers: list[str]) -> Manifest:
    lines = body.decode("ascii", "replace").splitlines()
    if not lines or lines[0] != HEADER:
        raise HoldoutError(f"{path}: line 1: not a {HEADER}")
    recipients_sha256 = ""
    entries: dict[str, Entry] = {}
    for number, line in enumerate(lines[1:], 2):
        words = line.split()
        if len(words) == 2 and words[0] == "recipients":
            recipients_sha256 = words[1]
        elif len(words) == 4 and words[0] == "file" and words[3].isdigit():
            entries[words[1]] = Entry(words[1], words[2], int(words[3]))
        else:
            raise HoldoutError(f"{path}: line {number}: malformed")
    if not recipients_sha256:
        raise HoldoutError(f"{path}: no recipients line")
    return Manifest(recipients_sha256, entries, signers)
