"""``holdout report``: merge the reports of shards, chart a history, open a sealed report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.reports.file_kinds import expect_sealed
from pytest_holdout.reports.history import read_history, sparkline, trend_png, trend_svg
from pytest_holdout.reports.json_report import (
    check_report,
    dumps,
    gate_setting,
    merge_reports,
    read_report,
    score_of,
)
from pytest_holdout.reports.scoring import evaluate_gate
from pytest_holdout.reports.summary import terminal_lines
from pytest_holdout.store.fsutil import atomic_write, read_regular


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser(
        "report",
        help="merge, chart and open holdout reports",
        description="Merge the JSON reports of shards, chart a --holdout-history file, or open "
        "a sealed report (keyholders only).",
    )
    commands = report.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)

    merge = commands.add_parser(
        "merge",
        help="merge reports of disjoint shards into the report of one run, and enforce its gate",
        description="Gives exactly the figures of one run over all the shards' scenarios. "
        "The gate the shards recorded (--holdout-min-satisfaction, not enforced by a shard) is "
        "evaluated on the merged score and enforced here: exit 1 when it fails.",
    )
    merge.add_argument(
        "reports", nargs="+", type=Path, metavar="REPORT", help="a --holdout-json report"
    )
    merge.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help="write the merged report to OUT and print its figures (default: the JSON to stdout)",
    )
    merge.add_argument(
        "--sealed",
        action="store_true",
        help="the inputs are sealed reports (--holdout-sealed-report): needs the keyholder's key "
        "and -o; the result is sealed to the store's RECIPIENTS",
    )
    merge.add_argument(
        "--yes",
        action="store_true",
        help="with --sealed: seal to RECIPIENTS even where the signed MANIFEST does not vouch "
        "for it (the change is listed first; without --yes a terminal asks)",
    )
    merge.set_defaults(func=merge_command)

    trend = commands.add_parser(
        "trend",
        help="satisfaction over the runs of a --holdout-history file",
        description="Prints a sparkline; --svg and --png draw satisfaction per run with its 95% "
        "interval (PNG needs matplotlib).",
    )
    trend.add_argument("history", type=Path, metavar="PATH", help="a --holdout-history file")
    trend.add_argument("--svg", type=Path, metavar="OUT", help="write the chart as SVG")
    trend.add_argument("--png", type=Path, metavar="OUT", help="write the chart as PNG")
    trend.set_defaults(func=trend_command)

    open_ = commands.add_parser(
        "open",
        help="print a sealed report (keyholders only: the output is secret)",
        description="Decrypts a --holdout-sealed-report file with HOLDOUT_IDENTITY[_FILE] and "
        "prints every trial, failing ones first; trials of a scenario that came out alike are "
        "shown once, with their numbers.",
    )
    open_.add_argument("sealed", type=Path, metavar="PATH", help="a --holdout-sealed-report file")
    open_.add_argument(
        "--failed", action="store_true", help="show only the trials that did not satisfy"
    )
    open_.add_argument(
        "--id",
        action="append",
        default=[],
        dest="ids",
        metavar="ID",
        help="show only this scenario's trials (S-3f9a2c7d41b0-2), or a file's (S-3f9a2c7d41b0); "
        "repeatable",
    )
    open_.add_argument(
        "--html",
        type=Path,
        metavar="OUT",
        help="write one self-contained page to OUT instead (mode 0600: it is as secret as the "
        "report)",
    )
    open_.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help="with --html: add the trend chart of this --holdout-history file",
    )
    open_.set_defaults(func=open_command)


def merge_command(args: argparse.Namespace) -> int:
    if args.sealed:
        return _merge_sealed(args)
    reports = [read_report(path) for path in args.reports]
    merged = merge_reports(reports, [str(path) for path in args.reports], _manifest_sha256(args))
    if args.output is None:
        sys.stdout.write(dumps(merged))
        if not merged["gate"]["passed"]:  # the figures are not printed: say why it exits 1
            print(f"holdout: {merged['gate']['sentence']}", file=sys.stderr)
        return _gate_status(merged)
    atomic_write(args.output, dumps(merged).encode())
    _print_figures(merged)
    return _gate_status(merged)


def _merge_sealed(args: argparse.Namespace) -> int:
    from pytest_holdout.reports.sealed import read_sealed, seal_run, write_sealed
    from pytest_holdout.store import keys

    if args.output is None:
        raise UsageError("merge --sealed: give -o OUT (a sealed report is not for the terminal)")
    from pytest_holdout.cli.approval import confirm_recipients

    for path in args.reports:
        expect_sealed(path)
    from pytest_holdout.cli.main import store_of

    identities = keys.load_identities()
    recipients = confirm_recipients(store_of(args), identities, args.yes)
    bodies = [read_sealed(path, identities) for path in args.reports]
    for body, path in zip(bodies, args.reports, strict=True):
        check_report(body.get("report"), f"{path} (its public report)")
    merged = merge_reports(
        [body["report"] for body in bodies], [str(p) for p in args.reports], _manifest_sha256(args)
    )
    details = sorted(
        (detail for body in bodies for detail in body["details"]),
        key=lambda detail: (detail["item_id"], detail["trial"]),
    )
    run = seal_run({"report": merged, "details": details}, recipients)
    write_sealed(args.output, run, recipients)
    _print_figures(merged)
    return _gate_status(merged)


def _manifest_sha256(args: argparse.Namespace) -> str | None:
    """The SHA-256 of the store's MANIFEST, where the merge can see a store: shards of a gated
    run must have run against it."""
    from pytest_holdout.cli.main import store_of
    from pytest_holdout.store.manifest import manifest_path, sha256_of

    try:
        path = manifest_path(store_of(args))
    except HoldoutError:
        return None
    try:
        # A MANIFEST that is a link is an error, not "no store": the check must not be skipped.
        return sha256_of(read_regular(path))
    except FileNotFoundError:
        return None


def trend_command(args: argparse.Namespace) -> int:
    points = read_history(args.history)
    if args.svg is not None:
        atomic_write(args.svg, trend_svg(points).encode())
    if args.png is not None:
        trend_png(points, args.png)
    print(sparkline(points))
    return 0


def open_command(args: argparse.Namespace) -> int:
    from pytest_holdout.reports.sealed import open_sealed, render
    from pytest_holdout.store import keys

    if args.history is not None and args.html is None:
        raise UsageError("open --history: give --html OUT too (the trend is drawn on the page)")
    expect_sealed(args.sealed)
    if args.html is None:
        text = render(args.sealed, keys.load_identities(), failed_only=args.failed, ids=args.ids)
        sys.stdout.write(text)
        return 0
    from pytest_holdout.reports.html_report import html_page, write_html

    history = read_history(args.history) if args.history is not None else None
    opened = open_sealed(args.sealed, keys.load_identities(), failed_only=args.failed, ids=args.ids)
    write_html(args.html, html_page(opened, history, source=args.sealed.name))
    print(f"wrote {args.html} (secret: readable by you only; delete it when done)")
    return 0


def _print_figures(merged: dict[str, Any]) -> None:
    score = score_of(merged)
    gate = evaluate_gate(score, *gate_setting(merged), "merge")
    print("\n".join(terminal_lines(score, gate)))


def _gate_status(merged: dict[str, Any]) -> int:
    """The merge enforces the gate the shards recorded: 1 when it fails on the merged score."""
    return 0 if merged["gate"]["passed"] else 1
