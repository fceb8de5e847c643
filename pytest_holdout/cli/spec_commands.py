"""``holdout spec lint`` (anyone) and ``holdout coverage`` (keyholders): the NLSpecs in
``specs/`` and which of their clauses the approved scenarios cover."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_holdout.specs.coverage import measure
from pytest_holdout.specs.lint import lint
from pytest_holdout.store import keys
from pytest_holdout.terminal import visible


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spec = subparsers.add_parser(
        "spec",
        help="check NLSpecs",
        description="NLSpecs are specs in numbered clauses (docs/specs.md).",
    )
    commands = spec.add_subparsers(dest="spec_command", metavar="SUBCOMMAND", required=True)
    check = commands.add_parser(
        "lint",
        help="flag clauses without an id, duplicate ids, undefined terms and weak words",
        description="Prints one line per finding (FILE:LINE: what) and exits 1 if there is any.",
    )
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a spec or a folder")
    check.set_defaults(func=lint_command)

    coverage = subparsers.add_parser(
        "coverage",
        help="which spec clauses the approved scenarios cover (keyholders: decrypts them)",
        description="Reads the @spec:ID tags of the scenarios the signed manifest approves and "
        "lists each clause with the number of scenarios that cover it, uncovered ones last. "
        "Exits 1 when a clause is uncovered or a tag names no clause.",
    )
    coverage.add_argument(
        "--specs", type=Path, default=Path("specs"), metavar="DIR", help="default: specs/"
    )
    coverage.set_defaults(func=coverage_command)


def lint_command(args: argparse.Namespace) -> int:
    findings = lint(args.paths)
    for finding in findings:
        print(visible(str(finding)))  # it may quote a spec, which is the repository's
    if findings:
        print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


def coverage_command(args: argparse.Namespace) -> int:
    from pytest_holdout.cli.main import store_of

    result = measure([args.specs], store_of(args), keys.load_identities())
    # Escaped: clause ids come from the repository's specs, tags from the scenarios.
    lines = [
        f"{clause.id:<8} {result.scenarios_per_clause[clause.id or '']:>4} scenario(s)  "
        f"{clause.path}:{clause.line}"
        for clause in result.clauses
    ]
    lines += [
        f"{clause_id:<8} {count:>4} scenario(s)  no such clause in {args.specs}"
        for clause_id, count in sorted(result.unknown.items())
    ]
    covered = len(result.clauses) - len(result.uncovered)
    lines.append(
        f"{covered} of {len(result.clauses)} clause(s) covered by {result.scenarios} approved "
        f"scenario(s); uncovered: {', '.join(c.id or '' for c in result.uncovered) or 'none'}"
    )
    print(visible("\n".join(lines)))
    return 1 if result.uncovered or result.unknown else 0
