"""``holdout coverage``: which spec clauses the approved scenarios cover, by their ``@spec:ID``
tags. It decrypts the scenarios the signed manifest approves, so it is for keyholders; what it
prints names clauses and counts, never a scenario."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_holdout.scenarios.parsing import parse_feature
from pytest_holdout.specs.nlspec import Clause, read_spec, spec_files
from pytest_holdout.store import files, manifest
from pytest_holdout.store.files import Store

TAG_PREFIX = "spec:"


@dataclass(frozen=True)
class Coverage:
    clauses: list[Clause]
    scenarios_per_clause: Counter[str]
    unknown: Counter[str]  # ids in tags that no clause has
    scenarios: int

    @property
    def uncovered(self) -> list[Clause]:
        return [c for c in self.clauses if c.id and not self.scenarios_per_clause[c.id]]


def measure(spec_paths: Sequence[Path], store: Store, identities: Sequence[Any]) -> Coverage:
    signed = manifest.verify(store, identities)
    tag_sets = []
    for file_id in sorted(signed.entries):
        plaintext = files.decrypt(store.read_bytes(file_id), identities, file_id)
        tag_sets.extend(s.tags for s in parse_feature(plaintext, file_id).scenarios)
    clauses = [c for path in spec_files(spec_paths) for c in read_spec(path).clauses if c.id]
    counts = _spec_tags(tag_sets)
    known = {c.id for c in clauses}
    unknown = Counter({i: n for i, n in counts.items() if i not in known})
    return Coverage(clauses, counts, unknown, len(tag_sets))


def _spec_tags(tag_sets: Iterable[Iterable[str]]) -> Counter[str]:
    """How many scenarios carry each ``@spec:ID`` tag (tags are held without their ``@``)."""
    counts: Counter[str] = Counter()
    for tags in tag_sets:
        counts.update({tag[len(TAG_PREFIX) :] for tag in tags if tag.startswith(TAG_PREFIX)})
    return counts
