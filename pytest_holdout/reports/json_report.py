"""The public JSON report (``--holdout-json``), merging the reports of shards, and sharding itself.

The report is safe for public logs at every disclosure level: opaque ids, statuses and numbers,
never scenario text. Its schema is ``report-schema-v1.json`` next to this module; every field is
described in docs/reports.md.

Everything outside ``meta`` depends only on which trials ran and how they came out: ids are sorted,
durations and times stay in ``meta``. So two runs of the same trials (``-n 0`` and ``-n 2``, one
machine or several shards merged) give the same report once ``meta`` is set aside.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.outcomes.records import TrialOutcome
from pytest_holdout.reports.coverage import check_coverage
from pytest_holdout.reports.file_kinds import wrong_kind
from pytest_holdout.reports.intervals import Interval
from pytest_holdout.reports.scoring import (
    VERDICTS,
    Counts,
    GateResult,
    Score,
    count_by_scenario,
    evaluate_gate,
    score_counts,
)
from pytest_holdout.store.fsutil import atomic_write, read_existing

FORMAT = "pytest-holdout report"
VERSION = 1
SCHEMA = Path(__file__).with_name("report-schema-v1.json")
DISCLOSURES = ("none", "ids", "steps", "full")  # least to most; the JSON never holds text


def build_report(
    outcomes: Iterable[TrialOutcome],
    *,
    disclosure: object,
    gate: GateResult,
    meta: Mapping[str, Any],
    not_run: int | None = None,
) -> dict[str, Any]:
    """The report of one run. ``disclosure`` is a level's name (``str()`` of the plugin's
    ``Disclosure``); at ``ids`` and above the report holds each opaque id's trials. ``not_run``:
    in a gated run, how many of the trials the manifest implies never ran."""
    level = _level(disclosure)
    outcomes = list(outcomes)
    by_scenario = count_by_scenario(outcomes)
    score = score_counts(by_scenario.values(), not_run)
    report = _report(score, level, gate, results=None)
    if DISCLOSURES.index(level) >= DISCLOSURES.index("ids"):
        report["results"] = _results(outcomes, by_scenario)
    report["meta"] = {"trial_seconds": math.fsum(o.duration for o in outcomes), **meta}
    return report


def score_of(report: Mapping[str, Any]) -> Score:
    """The score a report's figures were computed from."""
    not_run = report.get("figures", {}).get("trials", {}).get("not_run")
    return score_counts((Counts.from_list(values) for values in report["counts"]), not_run)


def counts_by_id(report: Mapping[str, Any]) -> dict[str, Counts]:
    """Each scenario's counts by opaque id, from a report at disclosure ``ids`` or above."""
    return {item_id: Counts.from_list(r["counts"]) for item_id, r in report["results"].items()}


def figures(score: Score) -> dict[str, Any]:
    total = score.total
    interval = score.interval
    mean = score.scenario_mean
    trials = {
        "satisfied": total.satisfied,
        "unsatisfied": total.unsatisfied,
        "unjudged": total.unjudged,
        "pending": total.pending,
        "judged": total.judged,
        "total": total.trials,
    }
    if score.not_run is not None:
        trials["not_run"] = score.not_run
    return {
        "trials": trials,
        "satisfaction": score.satisfaction,
        "interval": None if interval is None else interval_figures(interval),
        "scenarios": {
            "total": len(score.counts),
            **{verdict: score.scenarios(verdict) for verdict in VERDICTS},
        },
        "pass_k": {"k": score.k, "rate": score.pass_k},
        "scenario_mean": None
        if mean is None
        else {
            "mean": mean.mean,
            "standard_error": mean.standard_error,
            "scenarios": mean.scenarios,
        },
    }


def interval_figures(interval: Interval) -> dict[str, Any]:
    """The interval, and with the clustered method what it was computed from."""
    figures: dict[str, Any] = {
        "method": interval.method,
        "level": interval.level,
        "lower": interval.lower,
        "upper": interval.upper,
    }
    if interval.method == "clustered":
        figures["scenarios"] = interval.scenarios
        figures["standard_error"] = interval.standard_error
        figures["design_effect"] = interval.design_effect
    return figures


def write_report(path: Path, report: Mapping[str, Any]) -> None:
    atomic_write(Path(path), dumps(report).encode())


def dumps(report: Mapping[str, Any]) -> str:
    """Canonical JSON: keys sorted, so that equal reports are equal files."""
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def read_report(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(read_existing(Path(path)).decode("utf-8"))
    except ValueError:
        raise HoldoutError(wrong_kind(Path(path), "json")) from None
    check_report(report, str(path))
    return report


def check_report(report: Any, name: str) -> None:
    """The checks merging relies on (the full schema needs jsonschema, a test dependency)."""
    if not isinstance(report, dict) or report.get("format") != FORMAT:
        raise HoldoutError(f"{name}: not a pytest-holdout report")
    if report.get("version") != VERSION:
        raise HoldoutError(f"{name}: report version {report.get('version')!r}, expected {VERSION}")
    if "counts" not in report and "feedback" in report:
        raise HoldoutError(f"{name}: its figures are withheld (--holdout-feedback)")
    counts = report.get("counts")
    if not isinstance(counts, list) or not all(
        isinstance(row, list) and len(row) == 4 and all(isinstance(n, int) for n in row)
        for row in counts
    ):
        raise HoldoutError(f"{name}: malformed counts")
    not_run = report.get("figures", {}).get("trials", {}).get("not_run", 0)
    if not isinstance(not_run, int):
        raise HoldoutError(f"{name}: malformed not_run")
    level = report.get("disclosure")
    if level not in DISCLOSURES:
        raise HoldoutError(f"{name}: unknown disclosure {level!r}")
    if DISCLOSURES.index(level) >= DISCLOSURES.index("ids") and not isinstance(
        report.get("results"), dict
    ):
        raise HoldoutError(f"{name}: disclosure {level} but no per-id results")


def merge_reports(
    reports: Sequence[Mapping[str, Any]],
    names: Sequence[str],
    manifest_sha256: str | None = None,
) -> dict[str, Any]:
    """One report over every scenario of ``reports`` (the reports of disjoint shards): the same
    figures as one run over all of them. Per-id results are kept when every input has them; the
    gate is evaluated again, on the merged score, as a run over all of them would (shards record
    it without enforcing it; `holdout report merge` enforces it), and must be the same in every
    input. Reports of a gated run must cover its manifest exactly (``coverage.check_coverage``).
    """
    if not reports:
        raise UsageError("merge needs at least one report")
    gates = {gate_setting(report) for report in reports}
    if len(gates) > 1:
        raise HoldoutError(f"{', '.join(names)}: the reports were gated differently")
    ((minimum, mode),) = gates
    check_coverage([report.get("meta", {}) for report in reports], names, manifest_sha256)
    level = min((report["disclosure"] for report in reports), key=DISCLOSURES.index)
    not_runs = [score_of(report).not_run for report in reports]
    score = score_counts(
        (Counts.from_list(values) for report in reports for values in report["counts"]),
        None if None in not_runs else sum(n for n in not_runs if n is not None),
    )
    results = None
    if DISCLOSURES.index(level) >= DISCLOSURES.index("ids"):
        results = {}
        for report, name in zip(reports, names, strict=True):
            for item_id, result in report["results"].items():
                if item_id in results:
                    raise HoldoutError(
                        f"{name}: {item_id} is in another report too (merge disjoint shards)"
                    )
                results[item_id] = result
    merged = _report(score, level, evaluate_gate(score, minimum, mode), results)
    merged["meta"] = {"merged": [dict(report.get("meta", {})) for report in reports]}
    return merged


def _report(
    score: Score, level: str, gate: GateResult, results: dict[str, Any] | None
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "disclosure": level,
        "figures": figures(score),
        "gate": gate.to_dict(),
        "counts": [counts.as_list() for counts in score.counts],
    }
    if results is not None:
        report["results"] = {item_id: results[item_id] for item_id in sorted(results)}
    return report


def _results(
    outcomes: list[TrialOutcome], by_scenario: dict[str, Counts]
) -> dict[str, dict[str, Any]]:
    trials: dict[str, list[dict[str, Any]]] = {item_id: [] for item_id in by_scenario}
    for outcome in sorted(outcomes, key=lambda o: (o.item_id, o.trial)):
        trials[outcome.item_id].append(
            {
                "trial": outcome.trial,
                "status": outcome.status,
                "seed": outcome.seed,
                "failed_step": outcome.failed_step,
                "failed_kind": outcome.failed_kind,
                "reason": outcome.reason,
            }
        )
    return {
        item_id: {
            "counts": counts.as_list(),
            "rate": counts.rate,
            "verdict": counts.verdict,
            "pass_k": counts.pass_k,
            "trials": trials[item_id],
        }
        for item_id, counts in by_scenario.items()
    }


def gate_setting(report: Mapping[str, Any]) -> tuple[float | None, str]:
    """The report's ``--holdout-min-satisfaction`` and ``--holdout-gate``: ``evaluate_gate``'s
    arguments, to evaluate the same gate on another score."""
    gate = report.get("gate") or {}
    return (gate["minimum"], gate["mode"]) if gate.get("enabled") else (None, "point")


def _level(disclosure: object) -> str:
    level = str(disclosure).lower()
    if level not in DISCLOSURES:
        raise UsageError(f"disclosure {disclosure!r}: choose one of {', '.join(DISCLOSURES)}")
    return level
