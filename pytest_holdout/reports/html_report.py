"""The sealed report as one self-contained HTML page, for a keyholder's browser.

``holdout report open --html OUT`` writes it. The page is secret (it holds the scenarios' text) and
hostile input (it holds what the app under test printed, which the app's author controls), so:
every text is escaped, the page has no script at all and a Content-Security-Policy that would
refuse one anyway (the only style allowed is the page's own, by hash), and it loads nothing from
anywhere: the trend chart is inline SVG. The file is written atomically with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from pytest_holdout.reports.history import Point, trend_svg
from pytest_holdout.reports.json_report import score_of
from pytest_holdout.reports.scoring import Score
from pytest_holdout.reports.sealed import Opened, which_trials
from pytest_holdout.reports.summary import figure_rows, rate
from pytest_holdout.reports.trial_selection import trial_statuses
from pytest_holdout.store.fsutil import atomic_write

BANNER = (
    "SECRET: this page holds the holdout scenarios' text. Keep it off repositories, CI "
    "artifacts, shared folders and every agent's reach; delete it when you are done."
)

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 0 20px 40px; }
.banner { background: #8b0000; color: #fff; font-weight: 600; padding: 10px 20px; }
h1 { font-size: 22px; margin: 18px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ccc; }
.headline { font-size: 16px; margin: 4px 0; }
.gate-failed { color: #a00; font-weight: 600; }
.gate-passed { color: #060; font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0; }
td, th { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
details.trial { background: #fff; border: 1px solid #ddd; border-left: 5px solid #999;
  margin: 8px 0; padding: 6px 10px; }
details.trial.unsatisfied { border-left-color: #c00; }
details.trial.satisfied { border-left-color: #2a2; }
summary { cursor: pointer; }
.status { display: inline-block; min-width: 78px; font-weight: 600; }
.status.failed, .status.undefined, .status.ambiguous, .status.unsatisfied { color: #b00; }
.status.passed, .status.satisfied { color: #161; }
.status.skipped, .status.unjudged, .status.pending { color: #777; }
.tag { color: #555; margin-left: 6px; }
.ms, .where { color: #777; font-size: 12px; margin-left: 8px; }
ol.steps { margin: 6px 0; padding-left: 28px; }
pre { background: #f3f3f3; border: 1px solid #e2e2e2; padding: 6px 8px; overflow-x: auto;
  white-space: pre-wrap; word-break: break-word; font-size: 12px; margin: 4px 0; }
pre.error { background: #fff1f1; border-color: #f0c8c8; }
.label { color: #555; font-size: 12px; margin: 6px 0 0; }
"""
# Only this stylesheet may apply: no script, no other style, nothing fetched, no form, no base.
_CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'"
)


def html_page(opened: Opened, history: Sequence[Point] | None = None, source: str = "") -> str:
    """The page for ``opened``: the figures, then the failing trials, the breakdown by feature
    and tag, the trend over ``history`` (when given) and the other trials."""
    report = opened.report
    statuses = trial_statuses(report)
    failing, others = [], []
    for group in opened.groups:
        status = _group_status(group, statuses)
        (failing if status == "unsatisfied" else others).append((group, status))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>SECRET: holdout report</title><style>{_CSS}</style></head><body>",
        f'<div class="banner" id="secret" role="alert">{escape(BANNER)}</div>',
        "<main>",
        f"<h1>Holdout report{f' <small>{escape(source)}</small>' if source else ''}</h1>",
        *_headline(report),
        '<section id="failures">',
        f"<h2>Failures ({_trial_count(failing)} trials)</h2>",
        *(_trial(group, status, open_=True) for group, status in failing),
        *([] if failing else ["<p>No trial failed.</p>"]),
        "</section>",
        *_figures(report, opened),
        *_trend(history),
        '<section id="trials">',
        f"<h2>Other trials ({_trial_count(others)})</h2>",
        *(_trial(group, status, open_=False) for group, status in others),
        "</section>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_html(path: Path, page: str) -> None:
    """Write the page atomically, readable by its owner only from the moment it exists."""
    atomic_write(Path(path), page.encode(), mode=0o600)


def _headline(report: dict[str, Any]) -> list[str]:
    figures = report.get("figures") or {}
    gate = report.get("gate") or {}
    lines = []
    if figures:
        interval = figures.get("interval")
        within = (
            f" (95% interval {interval['lower']:.3f}-{interval['upper']:.3f})" if interval else ""
        )
        lines.append(
            f'<p class="headline">satisfaction <b>{rate(figures.get("satisfaction"))}</b>'
            f"{within} over {figures['trials']['total']} trials</p>"
        )
    if gate.get("sentence"):
        verdict = "gate-passed" if gate.get("passed") else "gate-failed"
        lines.append(f'<p class="headline {verdict}">{escape(gate["sentence"])}</p>')
    return lines


def _figures(report: dict[str, Any], opened: Opened) -> list[str]:
    lines = ['<section id="figures">', "<h2>Satisfaction</h2>"]
    if "counts" in report:
        rows = figure_rows(score_of(report))
        lines += ["<table>", *(_row(label, text) for label, text in rows), "</table>"]
    if opened.breakdown:
        lines += [
            '<p class="label">by feature and tag</p><table>',
            "<tr><th>feature or tag</th><th>satisfaction</th><th>95% interval</th>"
            "<th>judged trials</th><th>scenarios</th></tr>",
            *(_breakdown_row(label, score) for label, score in opened.breakdown.items()),
            "</table>",
        ]
    if opened.shown < opened.total:
        lines.append(f"<p>showing {opened.shown} of {opened.total} trials</p>")
    return [*lines, "</section>"]


def _breakdown_row(label: str, score: Score) -> str:
    interval = score.interval
    within = "" if interval is None else f"{interval.lower:.3f}-{interval.upper:.3f}"
    total = score.total
    return (
        f"<tr><td>{escape(label)}</td><td>{rate(score.satisfaction)}</td><td>{within}</td>"
        f"<td>{total.satisfied} of {total.judged}</td><td>{len(score.counts)}</td></tr>"
    )


def _trend(history: Sequence[Point] | None) -> list[str]:
    if not history:
        return []
    # trend_svg draws numbers only (no text from the report), so it goes in as it is.
    return ['<section id="trend">', "<h2>Trend</h2>", trend_svg(history), "</section>"]


def _trial(group: list[dict[str, Any]], status: str, *, open_: bool) -> str:
    detail = group[0]
    which = which_trials([d["trial"] for d in group])
    tags = "".join(f'<span class="tag">@{escape(tag)}</span>' for tag in detail.get("tags", []))
    parts = [
        f'<details class="trial {escape(status)}"{" open" if open_ else ""}>',
        f'<summary><span class="status {escape(status)}">{escape(status)}</span> '
        f"<code>{escape(detail['item_id'])}</code> {which}: "
        f"{escape(detail['feature'])} / <b>{escape(detail['scenario'])}</b>{tags}</summary>",
    ]
    if detail.get("rule"):
        parts.append(f'<p class="label">rule: {escape(detail["rule"])}</p>')
    if detail.get("examples"):
        row = ", ".join(f"{k} = {v}" for k, v in detail["examples"].items())
        parts.append(f'<p class="label">examples: {escape(row)}</p>')
    parts.append('<ol class="steps">')
    parts += [_step(step) for step in detail["steps"]]
    parts.append("</ol>")
    if detail.get("judge_reasons"):
        parts.append('<p class="label">judge</p><ul>')
        parts += [f"<li>{escape(reason)}</li>" for reason in detail["judge_reasons"]]
        parts.append("</ul>")
    if detail.get("properties"):
        parts.append('<p class="label">properties</p><table>')
        parts += [_row(name, value) for name, value in detail["properties"]]
        parts.append("</table>")
    for name in ("stdout", "stderr", "log"):
        if detail.get(name):
            parts.append(f'<p class="label">captured {name}</p>{_pre(detail[name])}')
    parts.append("</details>")
    return "\n".join(parts)


def _step(step: dict[str, Any]) -> str:
    status = escape(step["status"])
    parts = [
        f'<li><span class="status {status}">{status}</span> '
        f"<b>{escape(step['keyword'])}</b> {escape(step['text'])}"
        f'<span class="ms">{step["duration"] * 1000:.1f} ms</span>'
    ]
    if step.get("definition"):
        parts.append(f'<span class="where">{escape(step["definition"])}</span>')
    if step.get("datatable"):
        parts.append("<table>")
        parts += [
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
            for row in step["datatable"]
        ]
        parts.append("</table>")
    if step.get("docstring") is not None:
        parts.append(_pre(step["docstring"]))
    if step.get("error"):
        parts.append(_pre(step["error"], "error"))
    parts.append("</li>")
    return "".join(parts)


def _group_status(group: list[dict[str, Any]], statuses: dict[tuple[str, int], str]) -> str:
    """A group's status in the public report: ``unsatisfied`` if any of its trials is. Where the
    report has no per-id results (a sealed report always has them; a merge of reports at
    disclosure ``none`` has not), the steps decide: a failed, undefined or ambiguous step fails."""
    found = {statuses.get((d["item_id"], d["trial"])) for d in group}
    if found == {None}:
        steps = {step["status"] for d in group for step in d["steps"]}
        return "unsatisfied" if steps & {"failed", "undefined", "ambiguous"} else "satisfied"
    for status in ("unsatisfied", "unjudged", "pending", "satisfied"):
        if status in found:
            return status
    return "satisfied"


def _trial_count(groups: Iterable[tuple[list[dict[str, Any]], str]]) -> int:
    return sum(len(group) for group, _ in groups)


def _row(label: str, text: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(text)}</td></tr>"


def _pre(text: str, kind: str = "") -> str:
    classes = f' class="{kind}"' if kind else ""
    return f"<pre{classes}>{escape(text.rstrip())}</pre>"
