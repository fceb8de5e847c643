"""The trust check: which key this process holds, and, in a gated run, which files the
keyholder's signed manifest says count."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store import keys, manifest
from pytest_holdout.store.files import Store

NO_KEY = "holdout scenarios need the keyholder's key: set HOLDOUT_IDENTITY or HOLDOUT_IDENTITY_FILE"


@dataclass
class Trust:
    identities: list[Any] = field(default_factory=list)
    manifest: manifest.Manifest | None = None
    unlisted: list[str] = field(default_factory=list)  # store files the manifest does not sign

    @property
    def can_decrypt(self) -> bool:
        return bool(self.identities)

    @classmethod
    def check(cls, store: Store, required: bool) -> Trust:
        """Load the key; in a gated run, verify the manifest. A usage error where either fails
        and the run needs them."""
        trust = cls()
        try:
            trust.identities = keys.load_identities(os.environ)
        except keys.NoIdentityError as exc:
            if required:
                raise pytest.UsageError(f"--holdout-required: {exc}") from None
        except HoldoutError as exc:
            raise pytest.UsageError(str(exc)) from None
        if required:
            try:
                trust.manifest = manifest.verify(store, trust.identities)
            except HoldoutError as exc:
                raise pytest.UsageError(f"--holdout-required: {exc}") from None
            # Only the listing is needed here: each listed file's hash is checked when it is read.
            trust.unlisted = sorted(set(store.ids()) - set(trust.manifest.entries))
        return trust

    def file_ids(self, store: Store) -> list[str]:
        """The files whose scenarios count: those the keyholder signed, when the gate is on."""
        if self.manifest is not None:
            return sorted(self.manifest.entries)
        return store.ids()
