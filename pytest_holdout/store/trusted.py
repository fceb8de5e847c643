"""The signing keys a user trusts, kept in their own config, outside every repository.

A scenario writer holds no private key, so they cannot check MANIFEST's MACs; they can check
its signature against a keyholder's public signing key, once they know it is the keyholder's.
``holdout trust KEY`` records such a key in ``$XDG_CONFIG_HOME/holdout/trusted-signers``
(``~/.config/holdout/trusted-signers`` when the variable is unset): one key a line, ``#``
comments allowed. Nothing in a repository can add to it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store import signing
from pytest_holdout.store.fsutil import atomic_write

FILE_NAME = "trusted-signers"


def trusted_path(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "holdout" / FILE_NAME


def trusted_keys(env: Mapping[str, str] = os.environ) -> list[str]:
    """Every key in the user's trusted-signers file (none if it does not exist)."""
    path = trusted_path(env)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not ASCII text"
        raise HoldoutError(f"{path}: cannot read ({reason})") from None
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 1 or not signing.is_key(words[0]):
            raise HoldoutError(f"{path}: line {number}: not a signing key")
        keys.append(words[0])
    return keys


def trust(key: str, note: str, env: Mapping[str, str] = os.environ) -> bool:
    """Add ``key`` (with ``note`` as its comment) to the trusted file; False if already there."""
    if key in trusted_keys(env):
        return False
    path = trusted_path(env)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        before = path.read_bytes()
    except FileNotFoundError:
        before = b"# Signing keys of keyholders whose MANIFEST signatures `holdout add` trusts.\n"
    comment = f"  # {note}" if note else ""
    atomic_write(path, before + f"{key}{comment}\n".encode("ascii"), mode=0o600)
    return True
