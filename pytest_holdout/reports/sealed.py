"""The sealed report: every detail of a holdout run, readable only by the keyholders.

Each trial's detail is sealed (age-encrypted to the RECIPIENTS) by the process that ran it, the
moment it finishes, so that plaintext never waits in memory for the end of the run and never
crosses to another process: under xdist only the sealed blobs travel. At the end, the controller
writes one age file holding the public report and those blobs. ``holdout report open`` decrypts
both layers and renders them, failures first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_holdout.errors import HoldoutError
from pytest_holdout.outcomes.records import TrialDetail
from pytest_holdout.reports.file_kinds import expect_sealed
from pytest_holdout.reports.json_report import counts_by_id
from pytest_holdout.reports.scoring import Score, breakdown
from pytest_holdout.reports.summary import breakdown_lines
from pytest_holdout.reports.trial_selection import fold, select
from pytest_holdout.store.files import decrypt, encrypt
from pytest_holdout.store.fsutil import atomic_write, read_existing
from pytest_holdout.terminal import visible

FORMAT = "pytest-holdout sealed report"
VERSION = 1


def seal_detail(detail: TrialDetail, recipients: Sequence[Any]) -> str:
    """One trial's detail as an armored age message (ASCII, safe to put in JSON)."""
    data = json.dumps(detail.to_dict(), ensure_ascii=False).encode()
    return encrypt(data, recipients, armored=True).decode("ascii")


def write_sealed(path: Path, run: dict[str, Any], recipients: Sequence[Any]) -> None:
    """Write ``run`` (``{"report": public report, "details": [sealed blobs]}``) as one age file."""
    body = {"format": FORMAT, "version": VERSION, **run}
    atomic_write(path, encrypt(json.dumps(body).encode(), recipients), mode=0o600)


def read_sealed(path: Path, identities: Sequence[Any]) -> dict[str, Any]:
    """Decrypt a sealed report. ``details`` come back as dicts, the inner layer opened too."""
    data = read_existing(path)
    expect_sealed(path, data)
    body = json.loads(decrypt(data, identities, str(path)))
    if body.get("format") != FORMAT:
        raise HoldoutError(f"{path}: not a pytest-holdout sealed report")
    body["details"] = [
        json.loads(decrypt(blob.encode("ascii"), identities, f"{path} (trial detail)"))
        for blob in body.get("details", [])
    ]
    return body


def seal_run(run: dict[str, Any], recipients: Sequence[Any]) -> dict[str, Any]:
    """The inverse of ``read_sealed``'s inner layer: seal opened details again (for merging)."""
    details = [
        seal_detail(TrialDetail(**d) if isinstance(d, dict) else d, recipients)
        for d in run.get("details", [])
    ]
    return {**run, "details": details}


_ORDER = {"failed": 0, "undefined": 0, "ambiguous": 0, "unjudged": 1, "skipped": 2, "passed": 3}


def _trial_rank(detail: dict[str, Any]) -> tuple[int, str, int]:
    ranks = [_ORDER.get(step["status"], 2) for step in detail["steps"]] or [2]
    return (min(ranks), detail["item_id"], detail["trial"])


@dataclass(frozen=True)
class Opened:
    """What ``holdout report open`` shows of a sealed report, whether as text or as a page."""

    report: dict[str, Any]  # the run's public report
    breakdown: dict[str, Score]  # by "feature: NAME" and "@tag": secret labels
    groups: list[list[dict[str, Any]]]  # the shown trials, failing first, alike ones together
    shown: int  # trials kept by --failed and --id
    total: int  # trials in the report


def open_sealed(
    path: Path, identities: Sequence[Any], *, failed_only: bool = False, ids: Sequence[str] = ()
) -> Opened:
    """Decrypt a sealed report and choose what to show: failing trials first; trials of a
    scenario that came out alike are one group. ``failed_only`` keeps the unsatisfied trials,
    ``ids`` the trials of those scenario or file ids."""
    body = read_sealed(path, identities)
    report = body.get("report", {})
    details = select(body, failed_only, ids, path)
    return Opened(
        report=report,
        breakdown=_breakdown(report, body["details"]),
        groups=fold(sorted(details, key=_trial_rank), _likeness),
        shown=len(details),
        total=len(body["details"]),
    )


def render(
    path: Path, identities: Sequence[Any], *, failed_only: bool = False, ids: Sequence[str] = ()
) -> str:
    """The sealed report as text for a keyholder's terminal (see ``open_sealed``)."""
    opened = open_sealed(path, identities, failed_only=failed_only, ids=ids)
    lines: list[str] = []
    gate = opened.report.get("gate", {})
    figures = opened.report.get("figures", {})
    if figures:
        satisfaction = figures.get("satisfaction")
        shown = "n/a" if satisfaction is None else f"{satisfaction:.3f}"
        lines.append(f"satisfaction {shown} over {figures['trials']['total']} trials")
        if gate.get("sentence"):
            lines.append(gate["sentence"])
        lines.append("")
        if opened.breakdown:
            lines += [*breakdown_lines(opened.breakdown), ""]
    if opened.shown < opened.total:
        lines += [f"showing {opened.shown} of {opened.total} trials", ""]
    for group in opened.groups:
        lines.extend(_render_trial(group[0], [detail["trial"] for detail in group]))
        lines.append("")
    # Everything in it is the app's, the scenario's or the run's text: its control characters
    # (OSC 52 writing the clipboard, cursor moves) are shown, never obeyed.
    return visible("\n".join(lines).rstrip() + "\n")


def _breakdown(report: dict[str, Any], details: list[dict[str, Any]]) -> dict[str, Score]:
    """Satisfaction per feature and per tag: secret labels, so only ever in the sealed report."""
    if "results" not in report:
        return {}
    labels: dict[str, set[str]] = {}
    for detail in details:
        tags = {f"@{tag}" for tag in detail.get("tags", [])}
        labels.setdefault(detail["item_id"], set()).update({f"feature: {detail['feature']}", *tags})
    return breakdown(counts_by_id(report), labels)


def _likeness(detail: dict[str, Any]) -> tuple[str, ...]:
    """What two trials of a scenario must share to be shown once: everything but the trial
    number and the durations."""
    return (detail["item_id"], *_render_trial(detail, durations=False)[1:])


def which_trials(trials: Sequence[int]) -> str:
    """A group of trials as a heading names it: ``trial 2``, ``trials 1, 2, 3 (3 alike)``."""
    if len(trials) == 1:
        return f"trial {trials[0]}"
    return f"trials {', '.join(map(str, trials))} ({len(trials)} alike)"


def _render_trial(
    detail: dict[str, Any], trials: Sequence[int] = (), *, durations: bool = True
) -> list[str]:
    tags = " ".join(f"@{tag}" for tag in detail.get("tags", []))
    which = which_trials(trials or [detail["trial"]])
    head = f"{detail['item_id']} {which}: {detail['feature']} / {detail['scenario']}"
    lines = [head + (f"  {tags}" if tags else "")]
    if detail.get("rule"):
        lines.append(f"  rule: {detail['rule']}")
    if detail.get("examples"):
        lines.append(f"  examples: {detail['examples']}")
    for number, step in enumerate(detail["steps"], 1):
        where = f"  [{step['definition']}]" if step.get("definition") else ""
        took = f"  ({step['duration'] * 1000:.1f} ms)" if durations else ""
        lines.append(
            f"  {number:>2}. {step['status']:<9} {step['keyword']} {step['text']}{took}{where}"
        )
        for row in step.get("datatable") or []:
            lines.append("        | " + " | ".join(row) + " |")
        if step.get("docstring") is not None:
            lines.extend(
                ['        """']
                + [f"        {line}" for line in step["docstring"].split("\n")]
                + ['        """']
            )
        if step.get("error"):
            lines.extend("      " + line for line in step["error"].rstrip().split("\n"))
    for reason in detail.get("judge_reasons", []):
        lines.append(f"  judge: {reason}")
    for name, value in detail.get("properties", []):
        lines.append(f"  property {name}: {value}")
    for name in ("stdout", "stderr", "log"):
        if detail.get(name):
            lines.append(f"  captured {name}:")
            lines.extend("    " + line for line in detail[name].rstrip().split("\n"))
    return lines
