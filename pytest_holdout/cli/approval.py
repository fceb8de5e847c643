"""Before encrypting to RECIPIENTS: is it the RECIPIENTS a keyholder signed?

RECIPIENTS is a file in the repository. Anyone can add a recipient to it, and whatever is
encrypted to it next (a new scenario, an edited one, a rekeyed store, a sealed report) is then
readable by that recipient. MANIFEST records the recipients a keyholder approved, under a
signature that a keyholder's key checks, and that anyone can check against a signing key they
trust (``holdout trust``).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store import keys, manifest, trusted
from pytest_holdout.store.files import Store
from pytest_holdout.store.keys import Identity, Recipient

_NOTHING_TRUSTED = (
    "no signing key is trusted yet (ask a keyholder for `holdout signer`, then run "
    "`holdout trust KEY`)"
)


class UntrustedRecipientsWarning(UserWarning):
    """RECIPIENTS is used without a check: nothing is trusted to vouch for it yet."""


def vouch_for_writer(store: Store) -> None:
    """For ``holdout add``, which needs no key: refuse a RECIPIENTS that no trusted signature
    vouches for. Where nothing is trusted yet (no trusted key, no key held), warn instead."""
    trusted_keys = trusted.trusted_keys()
    identities = held_identities()
    # A keyholder who has not signed a first MANIFEST yet is setting the store up; a writer who
    # trusts a key has asked for the check, and a MANIFEST gone missing fails it.
    if not trusted_keys and (not identities or manifest.read(store) is None):
        why = "there is no MANIFEST yet" if identities else _NOTHING_TRUSTED
        warnings.warn(
            f"{store.recipients_path} is not checked: {why}",
            UntrustedRecipientsWarning,
            stacklevel=2,
        )
        return
    problem = _unapproved(store, identities, trusted_keys)
    if problem:
        raise HoldoutError(problem)


def held_identities() -> list[Identity]:
    """The identities configured, for commands that need none: a key that does not load only
    means that no key of this process vouches for anything."""
    try:
        return keys.load_identities() if keys.has_identity() else []
    except HoldoutError:
        return []


def confirm_recipients(
    store: Store, identities: Sequence[Identity], assume_yes: bool
) -> list[Recipient]:
    """RECIPIENTS, for a keyholder's command about to encrypt to it. Where MANIFEST does not
    vouch for it, say why and who would read the result, then ask (or go on, with --yes)."""
    recipients = store.recipients()
    problem = _unapproved(store, identities, trusted.trusted_keys())
    if not problem:
        return recipients
    print(f"holdout: {problem}", file=sys.stderr)
    print(f"holdout: would encrypt to: {', '.join(map(str, recipients))}", file=sys.stderr)
    if assume_yes:
        return recipients
    if not sys.stdin.isatty():
        raise HoldoutError("nothing written: check RECIPIENTS, then run again with --yes")
    if input("encrypt to these recipients? [y/N] ").strip().lower() not in ("y", "yes"):
        raise HoldoutError("nothing written")
    return recipients


def _unapproved(store: Store, identities: Sequence[Identity], trusted_keys: list[str]) -> str:
    """Why MANIFEST does not vouch for RECIPIENTS as it is ("" where it does)."""
    path = store.recipients_path
    try:
        signed = manifest.read(store)
        if signed is None:
            return f"{path}: no signature vouches for it (there is no MANIFEST yet)"
        manifest.verify_signature(store, signed, identities, trusted_keys)
        manifest.check_recipients(store, signed)
    except HoldoutError as exc:
        message = str(exc)
        if message.startswith(str(path)):  # RECIPIENTS changed since it was signed
            return message
        return f"{path}: no trusted signature vouches for it ({message})"
    return ""
