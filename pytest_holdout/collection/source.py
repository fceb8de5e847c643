"""Where holdout items get their scenarios: how many each file holds, and the decrypted,
parsed features, read at most once per file per process and kept in memory only."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any

from pytest_holdout.errors import HoldoutError
from pytest_holdout.scenarios.model import Feature
from pytest_holdout.scenarios.parsing import parse_feature
from pytest_holdout.store import files
from pytest_holdout.store.files import Store
from pytest_holdout.store.fsutil import read_regular
from pytest_holdout.store.manifest import Manifest, sha256_of


class ScenarioSource:
    def __init__(
        self,
        store: Store,
        identities: Sequence[Any],
        manifest: Manifest | None,
        counts: dict[str, int] | None,
    ) -> None:
        self.store = store
        self.identities = list(identities)
        self.manifest = manifest
        # How many scenarios each file holds, where known without reading the files (from the
        # signed manifest, or in an xdist worker from the controller): then items are made
        # without decrypting and each worker decrypts only the files it runs.
        self.counts = counts
        self.file_errors: dict[str, str] = {}  # secret: for the sealed report only
        self._features: dict[str, Feature | HoldoutError] = {}

    def expected_items(self, file_id: str) -> int:
        if self.counts is not None and file_id in self.counts:
            return self.counts[file_id]
        entry = self.manifest.entries.get(file_id) if self.manifest is not None else None
        return entry.items if entry is not None else 0

    def count_all(self, file_ids: Sequence[str]) -> dict[str, int]:
        """Every file's scenario count (the xdist controller reads each file once, in memory;
        counts are not secret). An unreadable file counts one: the worker that runs it fails it."""
        counts = {}
        for file_id in file_ids:
            try:
                counts[file_id] = len(self.load_feature(file_id).scenarios)
            except HoldoutError:
                counts[file_id] = 1
        return counts

    def feature(self, file_id: str) -> Feature:
        """``load_feature``, once per file per process (for lazily collected items)."""
        if file_id not in self._features:
            try:
                self._features[file_id] = self.load_feature(file_id)
            except HoldoutError as exc:
                self._features[file_id] = exc
        found = self._features[file_id]
        if isinstance(found, HoldoutError):
            raise found
        return found

    def load_feature(self, file_id: str) -> Feature:
        path = self.store.path(file_id)
        try:
            data = read_regular(path)
        except FileNotFoundError:
            raise HoldoutError(f"{file_id}: missing (listed in the signed manifest)") from None
        if self.manifest is not None:
            entry = self.manifest.entries[file_id]
            if sha256_of(data) != entry.sha256:
                raise HoldoutError(f"{file_id}: modified since the manifest was signed")
        plaintext = files.decrypt(data, self.identities, file_id)
        try:
            return parse_feature(plaintext, file_id)
        except HoldoutError as exc:
            self.file_errors[file_id] = getattr(exc, "detail", "")
            raise
        except Exception as exc:
            # A bug in a parser must not put scenario text in a collection error: the message
            # names the id only, the traceback goes to the sealed report.
            self.file_errors[file_id] = traceback.format_exc()
            raise HoldoutError(f"{file_id}: could not be parsed ({type(exc).__name__})") from None
