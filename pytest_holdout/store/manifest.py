"""The trust root: which scenario files count, what judges them, signed by the keyholders.

Anyone who can edit the repository can delete a scenario file, replace it with a trivial one
encrypted to the public RECIPIENTS, add a recipient, change a step definition, or copy in the
store of another repository. So the gated job trusts none of the folder's content: it trusts
MANIFEST, line-based ASCII text, which says

    pytest-holdout manifest v2
    store acme/shop                   which repository it belongs to
    version 7                         raised at each new signing (see HOLDOUT_MIN_VERSION)
    recipients 9f86d08...             SHA-256 of RECIPIENTS' bytes
    recipient age1ql3z7hjy54pw3h...   each recipient RECIPIENTS held when it was signed
    harness 2c26b46... conftest.py    SHA-256 of each harness file (see store.harness)
    file S-3f9a2c7d41b0 2c26b46... 3  each scenario file: id, SHA-256, runnable scenarios
    sig ed25519:1f2e... 5e8848... age1ql3z7hjy54pw3h...

then one ``sig`` line per signing identity: its public signing key (store.signing), the
Ed25519 signature of every byte before the first ``sig`` line, and the identity's recipient (a
label for people; only the key and signature count). The lines come in that order; anything
else is refused with its line number.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store import harness, signing
from pytest_holdout.store.files import FILE_ID, Store, decrypt
from pytest_holdout.store.fsutil import atomic_write, read_regular
from pytest_holdout.store.keys import Identity, parse_recipient

MANIFEST = "MANIFEST"
HEADER = "pytest-holdout manifest v2"
_OLD_HEADERS = ("pytest-holdout manifest v1",)

# Where the gated job learns which repository it is checking, first found wins: its own
# protected setting, else the name the CI gives the repository (GitHub Actions, GitLab CI).
STORE_ID_VARS = ("HOLDOUT_STORE_ID", "GITHUB_REPOSITORY", "CI_PROJECT_PATH")
MIN_VERSION_VAR = "HOLDOUT_MIN_VERSION"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_STORE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")
_VERSION = re.compile(r"[1-9][0-9]{0,17}")
_COUNT = re.compile(r"0|[1-9][0-9]{0,8}")
_PRINTABLE = re.compile(rb"[\x20-\x7e]*")


@dataclass(frozen=True)
class Entry:
    file_id: str
    sha256: str  # of the file's encrypted bytes
    items: int  # runnable scenarios: each Outline row counts one


@dataclass(frozen=True)
class Signature:
    key: str  # the public signing key, "ed25519:<hex>"
    value: str  # the signature, hex
    recipient: str  # whose: a label, not checked


@dataclass(frozen=True)
class Manifest:
    store_id: str
    version: int
    recipients_sha256: str
    recipients: tuple[str, ...]
    harness: dict[str, str]  # name -> SHA-256
    entries: dict[str, Entry]
    signatures: tuple[Signature, ...] = ()
    body: bytes = field(default=b"", repr=False)  # the signed bytes, as read or written

    @property
    def items(self) -> int:
        return sum(entry.items for entry in self.entries.values())

    @property
    def signers(self) -> list[str]:
        """The recipients of the identities that signed."""
        return [signature.recipient for signature in self.signatures]

    def same_content(self, other: Manifest) -> bool:
        """Whether the two sign the same things (version and signatures aside)."""
        return replace(self, version=0, signatures=(), body=b"") == replace(
            other, version=0, signatures=(), body=b""
        )


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_path(store: Store) -> Path:
    return store.root / MANIFEST


def expected_store_id(env: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """(the store identity this job expects, the variable it came from), if one is set."""
    for name in STORE_ID_VARS:
        if env.get(name):
            return env[name], name
    return None


def min_version(env: Mapping[str, str] = os.environ) -> int | None:
    value = env.get(MIN_VERSION_VAR, "").strip()
    if not value:
        return None
    if not _VERSION.fullmatch(value):
        raise HoldoutError(f"{MIN_VERSION_VAR}={value!r}: not a version number (1, 2, ...)")
    return int(value)


# -- signing ---------------------------------------------------------------------------------

# How many runnable scenarios a decrypted file holds (``scenarios.parsing.count_scenarios``);
# raises HoldoutError for a file that cannot run. Passed in: the store sits below the parsers.
CountScenarios = Callable[[bytes, str], int]


def build(
    store: Store,
    identities: Sequence[Identity],
    count: CountScenarios,
    *,
    store_id: str,
    harness_digests: Mapping[str, str] | None = None,
    version: int = 1,
) -> Manifest:
    """The manifest of the store as it is: every file decrypted and counted (so a keyholder
    never signs a file that cannot run). Raises HoldoutError naming the first bad file."""
    if not _STORE_ID.fullmatch(store_id):
        raise HoldoutError(
            f"store identity {store_id!r}: use letters, digits and . _ / - (as OWNER/NAME)"
        )
    entries = {}
    for file_id in store.ids():
        data = store.read_bytes(file_id)
        items = count(decrypt(data, identities, file_id), file_id)
        entries[file_id] = Entry(file_id, sha256_of(data), items)
    return Manifest(
        store_id=store_id,
        version=version,
        recipients_sha256=_recipients_sha256(store),
        recipients=tuple(recipient.text for recipient in store.recipients()),
        harness=dict(sorted((harness_digests or {}).items())),
        entries=entries,
    )


def sign(
    store: Store,
    identities: Sequence[Identity],
    count: CountScenarios,
    *,
    store_id: str,
    harness_digests: Mapping[str, str] | None = None,
    previous: Manifest | None = None,
    at_least: int | None = None,
) -> Manifest:
    """Write MANIFEST for the store as it is, with one signature per identity in ``identities``.

    Its version is ``previous``'s, raised by one unless the content is the same (then the other
    keyholders' signatures are kept, so that several keyholders and the CI key can sign in
    turn), and never below ``at_least``.
    """
    if not identities:
        raise HoldoutError(f"{MANIFEST}: signing needs a private key")
    new = build(store, identities, count, store_id=store_id, harness_digests=harness_digests)
    if previous is not None and previous.same_content(new):
        version = previous.version
    else:
        version = (previous.version if previous is not None else 0) + 1
    new = replace(new, version=max(version, at_least or 0))
    body = _render(new)
    signatures = tuple(
        Signature(signing.public_key(identity), signing.sign(identity, body), identity.recipient)
        for identity in identities
    )
    if previous is not None and previous.body == body:  # others' signatures still verify
        own = {signature.key for signature in signatures}
        signatures += tuple(
            s
            for s in previous.signatures
            if s.key not in own and signing.verifies(s.key, body, s.value)
        )
    signed = replace(new, signatures=signatures, body=body)
    lines = "".join(f"sig {s.key} {s.value} {s.recipient}\n" for s in signatures)
    atomic_write(manifest_path(store), body + lines.encode("ascii"))
    return signed


# -- reading and checking ----------------------------------------------------------------------


def read(store: Store) -> Manifest | None:
    """MANIFEST as written, not yet checked; None if there is none. Raises HoldoutError for one
    that cannot be read or parsed, naming the line."""
    path = manifest_path(store)
    try:
        data = read_regular(path, limit_as=str(path))
    except FileNotFoundError:
        return None
    return _parse(data, path)


def read_required(store: Store) -> Manifest:
    found = read(store)
    if found is None:
        raise HoldoutError(f"{manifest_path(store)}: missing (a keyholder runs `holdout manifest`)")
    return found


def verify_signature(
    store: Store,
    manifest: Manifest,
    identities: Sequence[Identity] = (),
    trusted: Iterable[str] = (),
) -> Signature:
    """The signature of ``manifest`` made by one of ``identities`` or a ``trusted`` key.

    Raises HoldoutError saying who signed, which keys are held here, and what fixes it.
    """
    path = manifest_path(store)
    held = {signing.public_key(identity): identity.recipient for identity in identities}
    accepted = set(held) | set(trusted)
    ours = [s for s in manifest.signatures if s.key in accepted]
    for candidate in ours:
        if signing.verifies(candidate.key, manifest.body, candidate.value):
            return candidate
    if ours:
        raise HoldoutError(f"{path}: altered since it was signed (its signature does not verify)")
    signed_by = ", ".join(manifest.signers)
    if not held:
        raise HoldoutError(
            f"{path}: no trusted signature (signed by {signed_by}; you trust "
            f"{len(accepted)} signing key(s): see `holdout trust`)"
        )
    holding = ", ".join(held.values())
    raise HoldoutError(
        f"{path}: not signed by any identity held here (signed by {signed_by}; this process "
        f"holds {holding}): sign it with this key too, e.g. "
        '`HOLDOUT_IDENTITY="$(cat YOUR-KEY THIS-KEY)" holdout manifest`'
    )


def check_store_id(store: Store, manifest: Manifest, expected: tuple[str, str] | None) -> None:
    if expected is None:
        return
    value, source = expected
    if manifest.store_id.casefold() != value.casefold():
        raise HoldoutError(
            f"{manifest_path(store)}: signed for store {manifest.store_id!r}, but this is "
            f"{value!r} ({source}): a MANIFEST from another repository?"
        )


def check_version(store: Store, manifest: Manifest, minimum: int | None) -> None:
    if minimum is not None and manifest.version < minimum:
        raise HoldoutError(
            f"{manifest_path(store)}: version {manifest.version} is below {MIN_VERSION_VAR} "
            f"{minimum} (an older MANIFEST put back?)"
        )


def check_recipients(store: Store, manifest: Manifest) -> None:
    """Refuse a RECIPIENTS other than the one signed, saying which recipients changed."""
    if manifest.recipients_sha256 == _recipients_sha256(store):
        return
    found = recipients_changes(manifest.recipients, _current_recipients(store))
    changes = "; ".join(found) if found else _LAYOUT_ONLY
    raise HoldoutError(
        f"{store.recipients_path}: changed since MANIFEST was signed ({changes}): a keyholder "
        "reviews it and runs `holdout manifest`"
    )


def verify(
    store: Store,
    identities: Sequence[Identity],
    *,
    expected_store: tuple[str, str] | None = None,
    minimum_version: int | None = None,
) -> Manifest:
    """MANIFEST, once a signature by one of ``identities`` checks, it belongs to the expected
    store, is recent enough, and RECIPIENTS is the one signed."""
    manifest = read_required(store)
    if not identities:
        raise HoldoutError(f"{manifest_path(store)}: verifying it needs a private key")
    verify_signature(store, manifest, identities)
    check_store_id(store, manifest, expected_store)
    check_version(store, manifest, minimum_version)
    check_recipients(store, manifest)
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


def changes(old: Manifest | None, new: Manifest) -> list[str]:
    """What a keyholder approves by signing ``new`` after ``old``, one line each (everything,
    for a first signature)."""
    if old is None:
        old = Manifest(new.store_id, 0, "", (), {}, {})
    lines = []
    if old.store_id != new.store_id:
        lines.append(f"store     {new.store_id} (was {old.store_id})")
    if old.recipients_sha256 != new.recipients_sha256:
        recipients = recipients_changes(old.recipients, new.recipients)
        lines += [f"recipient {line}" for line in recipients] or [f"RECIPIENTS {_LAYOUT_ONLY}"]
    lines += _listing_changes("harness ", old.harness, new.harness)
    lines += _listing_changes("", _shas(old.entries), _shas(new.entries))
    return lines


def recipients_changes(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """``added X`` / ``removed X`` for each recipient in one list and not the other."""
    lines = [f"removed {recipient}" for recipient in before if recipient not in after]
    return lines + [f"added {recipient}" for recipient in after if recipient not in before]


_LAYOUT_ONLY = "comments or layout only, the same recipients"


def _listing_changes(prefix: str, before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    lines = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            lines.append(f"{prefix}added   {name}")
        elif name not in after:
            lines.append(f"{prefix}removed {name}")
        elif before[name] != after[name]:
            lines.append(f"{prefix}changed {name}")
    return lines


# -- the format --------------------------------------------------------------------------------


def _shas(entries: Mapping[str, Entry]) -> dict[str, str]:
    return {file_id: entry.sha256 for file_id, entry in entries.items()}


def _recipients_sha256(store: Store) -> str:
    try:
        return sha256_of(read_regular(store.recipients_path, limit_as=str(store.recipients_path)))
    except FileNotFoundError:
        raise HoldoutError(f"{store.recipients_path}: missing (run `holdout init`)") from None


def _current_recipients(store: Store) -> list[str]:
    try:
        return [recipient.text for recipient in store.recipients()]
    except HoldoutError:
        return []


def _render(manifest: Manifest) -> bytes:
    lines = [
        HEADER,
        f"store {manifest.store_id}",
        f"version {manifest.version}",
        f"recipients {manifest.recipients_sha256}",
        *(f"recipient {recipient}" for recipient in manifest.recipients),
        *(f"harness {sha} {harness.quoted(name)}" for name, sha in manifest.harness.items()),
        *(
            f"file {entry.file_id} {entry.sha256} {entry.items}"
            for entry in sorted(manifest.entries.values(), key=lambda entry: entry.file_id)
        ),
    ]
    return "".join(f"{line}\n" for line in lines).encode("ascii")


class _Lines:
    """MANIFEST's lines, read in order; errors name the line."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.path = path
        self.lines = data.split(b"\n")
        if self.lines[-1] == b"":
            self.lines.pop()
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line) + 1)
        self.number = 0  # of the line last taken
        for number, line in enumerate(self.lines, 1):
            if not _PRINTABLE.fullmatch(line):
                self.number = number
                raise self.error("not printable ASCII")

    def error(self, what: str) -> HoldoutError:
        return HoldoutError(f"{self.path}: line {self.number}: {what}")

    def peek(self) -> str:
        return self.lines[self.number].decode("ascii") if self.number < len(self.lines) else ""

    def take(self, keyword: str, words: int, what: str) -> list[str]:
        """The next line's words after ``keyword`` (the last word takes the rest of the line)."""
        self.number += 1
        line = self.lines[self.number - 1].decode("ascii") if self.number <= len(self.lines) else ""
        parts = line.split(" ", words)
        if parts[0] != keyword or len(parts) != words + 1 or "" in parts:
            raise self.error(f"expected `{what}`")
        return parts[1:]

    def offset(self) -> int:
        """Where the next line starts, in bytes."""
        return self.offsets[self.number]


def _parse(data: bytes, path: Path) -> Manifest:
    lines = _Lines(data, path)
    if lines.peek() in _OLD_HEADERS:
        raise HoldoutError(
            f"{path}: written by an older pytest-holdout: re-sign with `holdout manifest --force`"
        )
    lines.number = 1
    if lines.lines[:1] != [HEADER.encode()]:
        raise lines.error(f"not a {HEADER}")
    (store_id,) = lines.take("store", 1, "store OWNER/NAME")
    if not _STORE_ID.fullmatch(store_id):
        raise lines.error("not a store identity")
    (version,) = lines.take("version", 1, "version N")
    if not _VERSION.fullmatch(version):
        raise lines.error("not a version number")
    (recipients_sha256,) = lines.take("recipients", 1, "recipients SHA256")
    if not _HEX64.fullmatch(recipients_sha256):
        raise lines.error("not a SHA-256")
    recipients: list[str] = []
    while lines.peek().startswith("recipient ") or not recipients:
        (text,) = lines.take("recipient", 1, "recipient RECIPIENT")
        try:
            canonical = parse_recipient(text).text
        except ValueError as exc:
            raise lines.error(str(exc)) from None
        if canonical != text or text in recipients:
            raise lines.error("not a canonical recipient, or one repeated")
        recipients.append(text)
    pinned: dict[str, str] = {}
    while lines.peek().startswith("harness "):
        sha, word = lines.take("harness", 2, "harness SHA256 NAME")
        name = harness.unquoted(word)
        if not _HEX64.fullmatch(sha) or name in pinned or not _safe_name(name, word):
            raise lines.error("expected `harness SHA256 NAME` (a relative name, once)")
        pinned[name] = sha
    entries: dict[str, Entry] = {}
    while lines.peek().startswith("file "):
        file_id, sha, items = lines.take("file", 3, "file ID SHA256 COUNT")
        if not (FILE_ID.fullmatch(file_id) and _HEX64.fullmatch(sha) and _COUNT.fullmatch(items)):
            raise lines.error("expected `file ID SHA256 COUNT`")
        if file_id in entries:
            raise lines.error(f"{file_id} listed twice")
        entries[file_id] = Entry(file_id, sha, int(items))
    body = data[: lines.offset()]
    signatures: list[Signature] = []
    while lines.number < len(lines.lines) or not signatures:
        key, value, recipient = lines.take("sig", 3, "sig KEY SIGNATURE RECIPIENT")
        if not signing.is_key(key) or not signing.SIGNATURE.fullmatch(value):
            raise lines.error("expected `sig KEY SIGNATURE RECIPIENT`")
        signatures.append(Signature(key, value, recipient))
    return Manifest(
        store_id=store_id,
        version=int(version),
        recipients_sha256=recipients_sha256,
        recipients=tuple(recipients),
        harness=pinned,
        entries=entries,
        signatures=tuple(signatures),
        body=body,
    )


def _safe_name(name: str, word: str) -> bool:
    """A name as ``holdout manifest`` writes it: quoted canonically, relative, without ``..``."""
    parts = name.split(":", 1)[-1].split("/")
    return harness.quoted(name) == word and not name.startswith("/") and ".." not in parts
