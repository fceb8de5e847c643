"""Whether the reports being merged cover a gated run's manifest exactly.

Each shard of a gated run counts every trial the signed manifest implies within its shard (the
ones that did not run as not satisfied), and records in its ``meta`` the SHA-256 of the MANIFEST
it verified, its shard and its trials per scenario. Merged, they cover the manifest exactly when
they ran against one MANIFEST, with one number of trials, and are every shard of one split, each
once. A missing shard would drop its scenarios from the score; a shard given twice would count
them twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_holdout.errors import HoldoutError


def runs_of(meta: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``meta`` of each run a report holds: itself, or every input of a merge."""
    if "merged" in meta:
        return [run for inner in meta["merged"] for run in runs_of(inner)]
    return [meta]


def check_coverage(
    metas: Sequence[Mapping[str, Any]], names: Sequence[str], manifest_sha256: str | None = None
) -> None:
    """Refuse, naming a file, reports of a gated run that do not cover its manifest exactly.
    ``manifest_sha256``: the store's current MANIFEST, when the merge can see it."""
    runs = [(run, name) for meta, name in zip(metas, names, strict=True) for run in runs_of(meta)]
    if not any(run.get("manifest") for run, _name in runs):
        return  # no input is a gated run: nothing says what the shards owe
    for run, name in runs:
        if not run.get("manifest"):
            raise HoldoutError(
                f"{name}: not a gated run (--holdout-required); merge gated runs only"
            )
    _same(runs, "manifest", "ran against different MANIFESTs")
    _same(runs, "trials", "ran different numbers of trials per scenario")
    if manifest_sha256 is not None and runs[0][0]["manifest"] != manifest_sha256:
        raise HoldoutError(
            f"{runs[0][1]}: ran against another MANIFEST than the store's (signed since?)"
        )
    shards = [(run.get("shard"), name) for run, name in runs]
    if any(shard is None for shard, _name in shards):
        if len(shards) > 1:
            name = next(name for shard, name in shards if shard is None)
            raise HoldoutError(f"{name}: a run without --holdout-shard covers MANIFEST alone")
        return
    split = Counter(str(shard) for shard, _name in shards)
    counts = {int(str(shard).split("/")[1]) for shard in split}
    if len(counts) > 1:
        raise HoldoutError(f"{', '.join(names)}: shards of different splits ({', '.join(split)})")
    (count,) = counts
    for shard, times in split.items():
        if times > 1:
            name = [name for given, name in shards if given == shard][-1]
            raise HoldoutError(f"{name}: shard {shard} is in another report too")
    missing = [
        f"{index}/{count}" for index in range(1, count + 1) if f"{index}/{count}" not in split
    ]
    if missing:
        raise HoldoutError(
            f"shard {', '.join(missing)} missing: the merge would not cover MANIFEST "
            "(merge every shard of the gated run)"
        )


def _same(runs: list[tuple[Mapping[str, Any], str]], key: str, problem: str) -> None:
    first = runs[0][0].get(key)
    for run, name in runs:
        if run.get(key) != first:
            raise HoldoutError(f"{name}: {runs[0][1]} and it {problem}")
