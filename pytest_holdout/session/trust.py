"""The trust check: which key this process holds, and, in a gated run, what the keyholder's
signed manifest says counts: which files, for which store, from which version on, encrypted to
which recipients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store import keys, manifest
from pytest_holdout.store.files import Store

NO_KEY = "holdout scenarios need the keyholder's key: set HOLDOUT_IDENTITY or HOLDOUT_IDENTITY_FILE"


def gated(option: str) -> str:
    """How an error names the option that made the run gated."""
    if option == "--holdout-required":
        return option
    return f"{option} (implies --holdout-required)"


@dataclass
class Trust:
    identities: list[Any] = field(default_factory=list)
    # The key variables (taken out of the environment): handed to xdist workers (workerinput).
    key_variables: Mapping[str, keys.KeyText] = field(default_factory=dict)
    manifest: manifest.Manifest | None = None  # verified; in a gated run only
    unlisted: list[str] = field(default_factory=list)  # store files the manifest does not sign
    header: str = ""  # one public line on MANIFEST, for the report header

    @property
    def can_decrypt(self) -> bool:
        return bool(self.identities)

    @classmethod
    def check(cls, store: Store, required: str, key_variables: Mapping[str, keys.KeyText]) -> Trust:
        """Load the key from ``key_variables`` (what ``keys.take_keys`` took out of the
        environment) and, where there is a MANIFEST and a key, verify it. In a gated run
        (``required`` names the option that made it one) a usage error where either fails."""
        trust = cls(key_variables=key_variables)
        try:
            trust.identities = keys.load_identities(trust.key_variables)
            expected, minimum = manifest.expected_store_id(), manifest.min_version()
        except keys.NoIdentityError as exc:
            if required:
                raise pytest.UsageError(f"{gated(required)}: {exc}") from None
            return trust
        except HoldoutError as exc:
            raise pytest.UsageError(str(exc)) from None
        if not required and not manifest.manifest_path(store).exists():
            return trust
        try:
            verified = manifest.verify(
                store, trust.identities, expected_store=expected, minimum_version=minimum
            )
        except HoldoutError as exc:
            if required:
                raise pytest.UsageError(f"{gated(required)}: {exc}") from None
            trust.header = f"holdout: MANIFEST does not verify, this run is not gated: {exc}"
            return trust
        checked = (
            f"checked against {expected[1]}" if expected else "not checked: no HOLDOUT_STORE_ID"
        )
        trust.header = (
            f"holdout: MANIFEST version {verified.version} of store {verified.store_id} "
            f"({checked}), signed by {', '.join(verified.signers)}"
        )
        if not required:
            trust.header += "; not a gated run: every file in the store runs"
            return trust
        trust.manifest = verified
        # Only the listing is needed here: each listed file's hash is checked when it is read.
        trust.unlisted = sorted(set(store.ids()) - set(verified.entries))
        return trust

    def file_ids(self, store: Store) -> list[str]:
        """The files whose scenarios count: those the keyholder signed, when the gate is on."""
        if self.manifest is not None:
            return sorted(self.manifest.entries)
        return store.ids()
