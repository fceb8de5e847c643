"""Keyholders' keys: private identities from the environment, public recipients from RECIPIENTS.

Both sides accept the two kinds of key age accepts: native X25519 keys (``age-keygen``'s secret
key lines, ``age1...`` recipients) and SSH keys (ssh-ed25519 and ssh-rsa), so that a keyholder
can use the SSH key they already have. pyrage does the cryptography; this module only finds,
parses and names keys.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store.fsutil import read_regular

IDENTITY_VAR = "HOLDOUT_IDENTITY"
IDENTITY_FILE_VAR = "HOLDOUT_IDENTITY_FILE"

NativeIdentity = pyrage.x25519.Identity | pyrage.ssh.Identity
NativeRecipient = pyrage.x25519.Recipient | pyrage.ssh.Recipient

_SSH_RECIPIENT_TYPES = ("ssh-ed25519", "ssh-rsa")


class NoIdentityError(HoldoutError):
    """Neither variable is set: this process is not a keyholder's."""

    def __init__(self) -> None:
        super().__init__(
            f"no private key: set {IDENTITY_VAR} (the key text) or "
            f"{IDENTITY_FILE_VAR} (a path to an age identity file or OpenSSH private key)"
        )


class InsecureKeyFileWarning(UserWarning):
    """The identity file can be read by users other than its owner."""


@dataclass(frozen=True)
class KeyText:
    """Text that may be a private key (a key variable's value, a key file's content), wrapped so
    that no repr shows it: not an error message, not a traceback's locals (``pytest -l``)."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "<KeyText, not shown>"

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class Identity:
    """A private key, parsed once: pyrage's object, its public recipient and its raw secret.

    ``secret`` is the private key material itself (the X25519 scalar, the Ed25519 seed, the RSA
    private exponent), not an encoding of it, so the manifest key derived from it does not
    change when the same key is saved differently.
    """

    native: NativeIdentity = field(repr=False)
    recipient: str
    secret: bytes = field(repr=False)

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"<Identity {self.recipient}>"


@dataclass(frozen=True)
class Recipient:
    """A public key from RECIPIENTS: its text as written (without comment) and pyrage's object."""

    text: str
    native: NativeRecipient = field(repr=False, compare=False)

    def __str__(self) -> str:
        return self.text


def derive_key(identity: Identity, info: bytes) -> bytes:
    """A 32-byte symmetric key that only a holder of ``identity``'s private key can compute
    (HKDF-SHA256 over its private key material). ``info`` names the key's use, so that the keys
    of different uses (the manifest's MAC, the feedback state's) are independent."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(identity.secret)


KeyVariables = Mapping[str, str] | Mapping[str, KeyText]


def has_identity(env: KeyVariables = os.environ) -> bool:
    """Whether a private key is configured (not whether it is valid)."""
    return bool(env.get(IDENTITY_VAR) or env.get(IDENTITY_FILE_VAR))


def take_keys(environ: MutableMapping[str, str] = os.environ) -> dict[str, KeyText]:
    """The key variables that are set, removed from ``environ``: a subprocess (the app under
    test, a harness's tool) inherits the environment, and must inherit neither the key nor where
    its file is."""
    return {
        name: KeyText(environ.pop(name))
        for name in (IDENTITY_VAR, IDENTITY_FILE_VAR)
        if environ.get(name)
    }


def plain(variables: Mapping[str, KeyText]) -> dict[str, str]:
    """What ``take_keys`` took, as the environment holds it (to hand on, or to put back)."""
    return {name: text.value for name, text in variables.items()}


def without_keys(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``environ`` without the key variables: for a subprocess that must not hold the key."""
    return {
        name: value
        for name, value in environ.items()
        if name not in (IDENTITY_VAR, IDENTITY_FILE_VAR)
    }


def load_identities(env: KeyVariables = os.environ) -> list[Identity]:
    """Every identity in ``HOLDOUT_IDENTITY`` and ``HOLDOUT_IDENTITY_FILE`` (both may be set),
    from the environment or from what ``take_keys`` took out of it. Errors say what is wrong with
    a variable, never what it holds. Below this frame (whose ``env``, in the plugin, holds only
    KeyText) no frame holds key text but as KeyText, whatever is raised."""
    if not has_identity(env):
        raise NoIdentityError()
    return _load(_key_text(env, IDENTITY_VAR), _key_text(env, IDENTITY_FILE_VAR))


def _key_text(env: KeyVariables, name: str) -> KeyText:
    value = env.get(name) or ""
    return value if isinstance(value, KeyText) else KeyText(value)


def _load(key: KeyText, file: KeyText) -> list[Identity]:
    identities: list[Identity] = []
    if key:
        identities += _parse(key, IDENTITY_VAR)
    if file:
        identities += _parse(_read_key_file(file), IDENTITY_FILE_VAR)
    # The same key in both variables counts once (it would otherwise sign MANIFEST twice).
    unique: dict[str, Identity] = {}
    for identity in identities:
        unique.setdefault(identity.recipient, identity)
    return list(unique.values())


def _parse(text: KeyText, source: str) -> list[Identity]:
    """``parse_identities``, whose frames hold the key text as plain strings: whatever it raises
    is raised again from here, afresh, so that no traceback reaches those frames."""
    error: BaseException
    try:
        return parse_identities(text.value, source)
    except HoldoutError as exc:
        error = HoldoutError(str(exc))  # the messages never quote the key
    except KeyboardInterrupt:
        error = KeyboardInterrupt()
    except Exception as exc:
        error = HoldoutError(f"{source}: cannot be parsed ({type(exc).__name__})")
    raise error  # outside the except clauses: no __context__ links back to those frames


# The markers of private key text, spelled in parts so that a secret scanner reading this source
# (`holdout guard`, or a host's) finds no key in it.
AGE_IDENTITY_PREFIX = "-".join(("AGE", "SECRET", "KEY", ""))
PRIVATE_KEY_LABEL = " ".join(("PRIVATE", "KEY"))


def _looks_like_key(text: str) -> bool:
    """Whether ``text`` looks like private key text rather than a path."""
    return AGE_IDENTITY_PREFIX in text.upper() or PRIVATE_KEY_LABEL in text or "\n" in text.strip()


def _read_key_file(file: KeyText) -> KeyText:
    """The content of the file ``HOLDOUT_IDENTITY_FILE`` names, with a warning where others can
    read it. Neither an error nor the warning quotes the variable (it may hold a key by mistake)."""
    if _looks_like_key(file.value):
        raise HoldoutError(
            f"{IDENTITY_FILE_VAR} holds what looks like key text, not a path: the key itself "
            f"goes in {IDENTITY_VAR}, the path of a file holding it in {IDENTITY_FILE_VAR}"
        )
    try:
        fd = os.open(os.path.expanduser(file.value), os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        reason = exc.strerror
    else:
        with open(fd, "rb") as handle:  # not only a regular file: <(pass show key) is a pipe
            mode = os.fstat(fd).st_mode
            try:
                # Not bound to a name: the text is only ever held wrapped.
                read = KeyText(handle.read().decode("utf-8"))
            except UnicodeDecodeError:
                reason = "not a text file"  # the error's repr would hold the bytes it read
            except OSError as exc:
                reason = exc.strerror
            else:
                if mode & (stat.S_IRWXG | stat.S_IRWXO):
                    _warn_readable()
                return read
    raise HoldoutError(f"{IDENTITY_FILE_VAR}: cannot read the file it names ({reason})")


def _warn_readable() -> None:
    """Warn that the key file is readable by others. A warning filter may ignore it; one that
    makes warnings errors (``-W error``, ``filterwarnings = error``) must not turn it into a crash
    (an INTERNALERROR whose traceback would show the frames that hold the key), so then it is
    shown as a warning all the same."""
    message = (
        f"{IDENTITY_FILE_VAR}: the private key file is readable by others "
        f'(run: chmod 600 "${IDENTITY_FILE_VAR}")'
    )
    try:
        warnings.warn(message, InsecureKeyFileWarning, stacklevel=5)
    except InsecureKeyFileWarning:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InsecureKeyFileWarning)
            warnings.warn(message, InsecureKeyFileWarning, stacklevel=5)


def parse_identities(text: str, source: str) -> list[Identity]:
    """The identities in an age identity file or an OpenSSH private key. ``source`` names it in
    errors, which never quote the key."""
    if "-----BEGIN" in text:
        return [_ssh_identity(text, source)]
    identities = []
    for number, line in _significant_lines(text):
        try:
            native = pyrage.x25519.Identity.from_str(line)
        except pyrage.IdentityError:
            raise HoldoutError(f"{source}: line {number} is not a valid age identity") from None
        identities.append(Identity(native, str(native.to_public()), _bech32_data(str(native))))
    if not identities:
        raise HoldoutError(f"{source}: holds no identity")
    return identities


def _ssh_identity(text: str, source: str) -> Identity:
    data = text.encode()
    unusable = (
        f"{source}: not a usable SSH private key (passphrase-protected keys are not supported)"
    )
    try:
        if f"OPENSSH {PRIVATE_KEY_LABEL}" in text:  # the OpenSSH format; else PEM (PKCS#1, PKCS#8)
            key: Any = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise HoldoutError(unusable) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        secret = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    elif isinstance(key, rsa.RSAPrivateKey):
        d = key.private_numbers().d
        secret = d.to_bytes((d.bit_length() + 7) // 8, "big")
    else:
        raise HoldoutError(f"{source}: only ssh-ed25519 and ssh-rsa keys are supported")
    try:
        native = pyrage.ssh.Identity.from_buffer(data)
    except pyrage.IdentityError:
        raise HoldoutError(unusable) from None
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return Identity(native, public.decode("ascii"), secret)


def recipient_of(identity: Identity) -> str:
    """The public recipient matching ``identity``, as it would appear in RECIPIENTS."""
    return identity.recipient


def parse_recipient(text: str) -> Recipient:
    """One recipient (``age1...``, ``ssh-ed25519 AAAA...`` or ``ssh-rsa AAAA...``); an SSH key's
    trailing comment is dropped. Raises ValueError with a reason fit for a one-line message."""
    words = text.split()
    if not words:
        raise ValueError("empty")
    try:
        if words[0] in _SSH_RECIPIENT_TYPES and len(words) >= 2:
            canonical = f"{words[0]} {words[1]}"
            return Recipient(canonical, pyrage.ssh.Recipient.from_str(canonical))
        if words[0].startswith("age1") and len(words) == 1:
            native = pyrage.x25519.Recipient.from_str(words[0])
            return Recipient(str(native), native)
    except pyrage.RecipientError:
        raise ValueError("not a valid recipient") from None
    raise ValueError("not an age1..., ssh-ed25519 or ssh-rsa recipient")


def load_recipients(path: Path) -> list[Recipient]:
    """The recipients in a file in the format of age's ``-R``: one a line, ``#`` comments."""
    try:
        text = read_regular(path).decode("utf-8")
    except FileNotFoundError:
        raise HoldoutError(f"{path}: missing (run `holdout init RECIPIENT`)") from None
    except UnicodeDecodeError:
        raise HoldoutError(f"{path}: cannot read (not a text file)") from None
    recipients: list[Recipient] = []
    seen: dict[str, int] = {}
    for number, line in _significant_lines(text):
        try:
            recipient = parse_recipient(line)
        except ValueError as exc:
            raise HoldoutError(f"{path}: line {number}: {exc}") from None
        if recipient.text in seen:
            first = seen[recipient.text]
            raise HoldoutError(f"{path}: line {number}: same recipient as line {first}")
        seen[recipient.text] = number
        recipients.append(recipient)
    if not recipients:
        raise HoldoutError(f"{path}: no recipients (add one per line)")
    return recipients


def native_identities(identities: Sequence[Identity | NativeIdentity]) -> list[NativeIdentity]:
    """pyrage's objects, whether given ours or pyrage's own."""
    return [i.native if isinstance(i, Identity) else i for i in identities]


def native_recipients(recipients: Sequence[Recipient | NativeRecipient]) -> list[NativeRecipient]:
    return [r.native if isinstance(r, Recipient) else r for r in recipients]


def generate() -> Identity:
    """A new X25519 identity."""
    native = pyrage.x25519.Identity.generate()
    return Identity(native, str(native.to_public()), _bech32_data(str(native)))


def identity_text(identity: Identity) -> str:
    """An X25519 identity as an age identity file, in the layout ``age-keygen`` writes."""
    return f"# public key: {identity.recipient}\n{identity.native}\n"


def _significant_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_data(text: str) -> bytes:
    """The bytes a Bech32 string encodes, checksum dropped. pyrage has already validated the
    string (and its checksum), so this only regroups its 5-bit words into bytes."""
    data_part = text.lower().rsplit("1", 1)[1][:-6]
    value = 0
    for char in data_part:
        value = (value << 5) | _BECH32_CHARSET.index(char)
    bits = 5 * len(data_part)
    return (value >> (bits % 8)).to_bytes(bits // 8, "big")
