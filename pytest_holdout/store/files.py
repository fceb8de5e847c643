"""The encrypted store: a folder of age files named by opaque ids, and its RECIPIENTS.

Every scenario file is a standard age file, so the ``age`` CLI reads and writes them too.
Anyone can add a file (encrypting needs only the public RECIPIENTS); only a keyholder can read
one. pyrage does the cryptography; nothing here implements a primitive or the file format.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

import pyrage

from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.limits import active
from pytest_holdout.store.fsutil import atomic_write, read_regular, sync_directory, write_temp
from pytest_holdout.store.keys import (
    Identity,
    NativeIdentity,
    NativeRecipient,
    Recipient,
    load_recipients,
    native_identities,
    native_recipients,
)

STORE_DIR = "scenarios_encrypted"
RECIPIENTS = "RECIPIENTS"
SUFFIX = ".age"

FILE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_NO_MATCH_MESSAGE = "no identity matches (encrypted to other recipients)"
_NO_MATCH = "No matching keys found"  # pyrage's message when no identity opens any stanza
_CORRUPTED = "corrupted or modified"
_BINARY_MAGIC = b"age-encryption.org/v1\n"
_ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
_ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
_RECIPIENT_STANZAS = {b"X25519", b"ssh-ed25519", b"ssh-rsa"}  # not the grease age adds


class MissingFile(HoldoutError):
    """A scenario file that is not in the store."""


def new_id() -> str:
    """An opaque id: 48 random bits, saying nothing about the content."""
    return f"S-{secrets.token_hex(6)}"


def encrypt(
    data: bytes, recipients: Sequence[Recipient | NativeRecipient], *, armored: bool = False
) -> bytes:
    """``data`` as an age file readable by each of ``recipients``."""
    if not recipients:
        raise HoldoutError("no recipients to encrypt to")
    return pyrage.encrypt(data, native_recipients(recipients), armored=armored)


def decrypt(data: bytes, identities: Sequence[Identity | NativeIdentity], name: str) -> bytes:
    """Decrypt an age file (armored or binary) in memory. ``name`` (an id or a path) is the only
    thing the error message says about the file."""
    check_header(data, name)
    try:
        return pyrage.decrypt(data, native_identities(identities))
    except pyrage.DecryptError as exc:
        if str(exc) == _NO_MATCH:
            raise HoldoutError(f"{name}: {_NO_MATCH_MESSAGE}") from None
        raise HoldoutError(f"{name}: {_CORRUPTED}") from None


def check_header(data: bytes, name: str) -> None:
    """Refuse, before pyrage reads it, an age header over the ``header_bytes`` or ``stanzas``
    limit: pyrage's header parsing grows about quadratically with its size. The header is only
    measured here; pyrage alone parses and checks it."""
    limits = active()
    try:
        stanzas = _stanza_lines(data)
    except HeaderTooLarge:
        raise HoldoutError(
            f"{name}: its header is larger than {limits.describe('header_bytes')}"
        ) from None
    except ValueError:
        raise HoldoutError(f"{name}: {_CORRUPTED}") from None
    if len(stanzas) > limits.stanzas:
        raise HoldoutError(
            f"{name}: its header holds {len(stanzas):,} stanzas, more than "
            + limits.describe("stanzas")
        )


def recipient_stanzas(data: bytes) -> int:
    """How many recipient stanzas an age file's header holds (X25519 and SSH ones; not the
    random "grease" stanzas age adds). Raises ValueError if ``data`` is not an age file, and
    HeaderTooLarge (a ValueError) if its header is over the ``header_bytes`` limit."""
    return sum(1 for line in _stanza_lines(data) if line.split(b" ")[1] in _RECIPIENT_STANZAS)


class HeaderTooLarge(ValueError):
    """An age file whose header does not end within the ``header_bytes`` limit."""


def _stanza_lines(data: bytes) -> list[bytes]:
    """The first line of each stanza in an age file's header (``-> TYPE ARGS...``), looked for
    no further than the ``header_bytes`` limit. age-encryption.org/v1: the version line, then
    stanzas (an argument line starting ``-> ``, then base64 body lines), then ``--- MAC``."""
    limit = active().header_bytes
    if data.startswith(_ARMOR_BEGIN):
        data = _dearmored_start(data, limit)
    if not data.startswith(_BINARY_MAGIC):
        raise ValueError("not an age file")
    header_end = data.find(b"\n--- ", 0, limit)
    if header_end < 0:
        raise HeaderTooLarge() if len(data) >= limit else ValueError("no header end")
    return [line for line in data[:header_end].split(b"\n") if line.startswith(b"-> ")]


def _dearmored_start(data: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes or so of an armored file's content: armor is base64 in lines
    of 64 characters (48 bytes each), so that many lines are decoded, not the whole file."""
    lines = data[len(_ARMOR_BEGIN) :].lstrip(b"\r\n").split(b"\n", limit // 48 + 2)
    body = []
    for line in lines[: limit // 48 + 2]:
        line = line.strip()
        if line.startswith(_ARMOR_END[:5]):
            break
        body.append(line)
    try:
        return base64.b64decode(b"".join(body), validate=True)
    except ValueError:
        raise ValueError("bad armor") from None


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except FileNotFoundError:
        return False


def find_store(start: Path) -> Path:
    """The ``scenarios_encrypted`` folder in ``start`` or the nearest folder above it."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if folder.name == STORE_DIR and folder.is_dir():
            return folder
        if (folder / STORE_DIR).is_dir():
            return folder / STORE_DIR
    raise HoldoutError(f"no {STORE_DIR}/ in {start} or above (run `holdout init`)")


class Store:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def recipients_path(self) -> Path:
        return self.root / RECIPIENTS

    def ids(self) -> list[str]:
        """Every scenario file's id, sorted. Hidden files (temp files among them) are skipped, and
        so is anything that is not a regular file: a symbolic link named like a scenario file
        could point at any age file its reader can open, outside the store. So is a name that
        is not an id (``S-x y.age``): ``misnamed`` lists those."""
        return sorted(
            path.name[: -len(SUFFIX)]
            for path in self._named()
            if _is_regular(path) and FILE_ID.fullmatch(path.name[: -len(SUFFIX)])
        )

    def irregular(self) -> list[str]:
        """The names of entries that look like scenario files but are not regular files."""
        return sorted(path.name for path in self._named() if not _is_regular(path))

    def misnamed(self) -> list[str]:
        """The names of regular files ending in ``.age`` whose name is not a scenario id."""
        return sorted(
            path.name
            for path in self._named()
            if _is_regular(path) and not FILE_ID.fullmatch(path.name[: -len(SUFFIX)])
        )

    def _named(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [
            path
            for path in self.root.iterdir()
            if path.name.endswith(SUFFIX) and not path.name.startswith(".")
        ]

    def path(self, file_id: str) -> Path:
        if not FILE_ID.fullmatch(file_id):
            raise UsageError(f"{file_id!r} is not a scenario id (see `holdout list`)")
        return self.root / f"{file_id}{SUFFIX}"

    def read_bytes(self, file_id: str) -> bytes:
        """A file's encrypted bytes, refused past the ``file_bytes`` limit."""
        try:
            return read_regular(self.path(file_id), limit_as=file_id)
        except FileNotFoundError:
            raise MissingFile(f"{file_id}: no such scenario file") from None

    def read(self, file_id: str, identities: Sequence[Identity | NativeIdentity]) -> bytes:
        return decrypt(self.read_bytes(file_id), identities, file_id)

    def recipients(self) -> list[Recipient]:
        return load_recipients(self.recipients_path)

    def add(self, plaintext: bytes) -> str:
        """Encrypt a new scenario under a fresh id; returns the id."""
        file_id = new_id()
        while self.path(file_id).exists():  # 48 bits make this loop all but impossible
            file_id = new_id()
        self.write(file_id, plaintext)
        return file_id

    def write(self, file_id: str, plaintext: bytes) -> None:
        """Encrypt ``plaintext`` to every recipient and replace the file atomically."""
        atomic_write(self.path(file_id), encrypt(plaintext, self.recipients()))

    def rekey(self, identities: Sequence[Identity | NativeIdentity]) -> list[str]:
        """Re-encrypt every file to the current RECIPIENTS: all of them change, or none does.

        Every file is decrypted and its new version written to a temp file first, so a file
        that cannot be read, or a full disk, stops the rekey before anything changed. Should a
        rename then fail, the files already renamed are put back.
        """
        recipients = self.recipients()
        ids = self.ids()
        originals = {file_id: self.read_bytes(file_id) for file_id in ids}
        plaintexts = {file_id: decrypt(originals[file_id], identities, file_id) for file_id in ids}
        temps: dict[str, Path] = {}
        replaced: list[str] = []
        try:
            for file_id in ids:
                new = encrypt(plaintexts[file_id], recipients)
                temps[file_id] = write_temp(self.path(file_id), new)
            for file_id in ids:
                os.replace(temps[file_id], self.path(file_id))
                del temps[file_id]
                replaced.append(file_id)
        except BaseException:
            for temp in temps.values():
                temp.unlink(missing_ok=True)
            for file_id in replaced:
                atomic_write(self.path(file_id), originals[file_id])
            raise
        sync_directory(self.root)
        return ids
