"""MANIFEST's signatures: Ed25519, under a key derived from a keyholder's identity.

The signing key is derived (HKDF-SHA256) from the identity's private key material, so a
keyholder has no new key to keep: the same identity always gives the same signing key, and
only its holder can sign with it. Its public half (``holdout signer`` prints it) lets anyone
check a signature, a scenario writer included, who holds no private key at all.

A public signing key is written ``ed25519:`` and 64 lowercase hex digits; a signature, 128.
``cryptography`` does the cryptography; nothing here implements a primitive.
"""

from __future__ import annotations

import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pytest_holdout.store.keys import Identity, derive_key

KEY_PREFIX = "ed25519:"
_INFO = b"pytest-holdout manifest signing key v2"
_KEY = re.compile(rf"{KEY_PREFIX}[0-9a-f]{{64}}")
SIGNATURE = re.compile(r"[0-9a-f]{128}")


def _private_key(identity: Identity) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(derive_key(identity, _INFO))


def public_key(identity: Identity) -> str:
    """The public signing key of ``identity``, as ``holdout signer`` prints it."""
    raw = (
        _private_key(identity)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return KEY_PREFIX + raw.hex()


def sign(identity: Identity, data: bytes) -> str:
    return _private_key(identity).sign(data).hex()


def verifies(key: str, data: bytes, signature: str) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``data`` (both as written in MANIFEST)."""
    if not is_key(key) or not SIGNATURE.fullmatch(signature):
        return False
    try:
        public = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(key[len(KEY_PREFIX) :]))
        public.verify(bytes.fromhex(signature), data)
    except (InvalidSignature, ValueError):  # ValueError: 32 bytes that are no curve point
        return False
    return True


def is_key(text: str) -> bool:
    return bool(_KEY.fullmatch(text))


def parse_key(text: str) -> str:
    """A public signing key as given on a command line; raises ValueError with a reason."""
    key = text.strip().lower()
    if not is_key(key):
        raise ValueError(f"not a signing key (`holdout signer` prints one: {KEY_PREFIX}<64 hex>)")
    return key
