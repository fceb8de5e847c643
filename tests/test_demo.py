"""`holdout demo`, the README's first command: the main job on the access-bot example, and the
smaller standup demo behind --standup. Both keep the scenarios' text out of the public output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from pytest_holdout.reports.sealed import read_sealed
from pytest_holdout.sandbox import why_no_sandbox
from pytest_holdout.store.keys import load_identities

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "access-bot"
# The gap examples/access-bot/README.md documents: what a requester writes in a request's thread.
GAP_CLAUSES = {"spec:AB-11", "spec:AB-12"}
FAILED = {"failed", "undefined", "ambiguous"}


def run_demo(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``holdout demo ARGS`` with no key of the user's and no API account: the demo brings its
    own of both."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOLDOUT_", "ANTHROPIC_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest_holdout", "demo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _failed(detail: dict[str, Any]) -> bool:
    return any(step["status"] in FAILED for step in detail["steps"])


def test_the_main_job_scores_the_example_below_1_for_its_documented_gap(tmp_path: Path) -> None:
    done = run_demo("--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    public = done.stdout + done.stderr

    report = json.loads((tmp_path / "holdout.json").read_text())
    figures = report["figures"]
    assert report["meta"]["sandbox"] == ("none" if why_no_sandbox() else "bwrap")
    assert f"satisfaction {figures['satisfaction']:.3f}" in public
    assert "gate: satisfaction" in public

    # The sealed report, opened with the DEMO KEY: the failures are exactly the gap's scenarios.
    identities = load_identities({"HOLDOUT_IDENTITY_FILE": str(EXAMPLE / "demo-identity.txt")})
    sealed = read_sealed(tmp_path / "holdout-report.age", identities)
    details = sealed["details"]
    failed = [detail for detail in details if _failed(detail)]
    assert failed, "the bot as shipped has a documented gap"
    assert all(GAP_CLAUSES & set(detail["tags"]) for detail in failed)
    assert not [d for d in details if GAP_CLAUSES & set(d["tags"]) and not _failed(d)]
    assert figures["satisfaction"] == (len(details) - len(failed)) / len(details) < 1

    # Nothing of the scenarios' text reached the terminal: no name, no step.
    texts = {detail["scenario"] for detail in details} | {detail["feature"] for detail in details}
    texts |= {step["text"] for detail in details for step in detail["steps"]}
    assert not [text for text in texts if text in public]

    # The command the demo prints to open the report works as printed.
    ((key, path),) = re.findall(
        r"^  HOLDOUT_IDENTITY_FILE=(\S+) holdout report open (\S+)$", public, re.M
    )
    opened = subprocess.run(
        [sys.executable, "-m", "pytest_holdout", "report", "open", path],
        cwd=ROOT,
        env={**os.environ, "HOLDOUT_IDENTITY_FILE": key},
        capture_output=True,
        text=True,
    )
    assert opened.returncode == 0, opened.stderr
    assert failed[0]["scenario"] in opened.stdout


def test_the_main_job_outside_a_checkout_says_where_the_example_is(tmp_path: Path) -> None:
    done = run_demo("--example", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert done.returncode == 2
    assert "no example project at" in done.stderr and "--standup" in done.stderr


def test_the_standup_demo_runs_end_to_end_and_the_public_part_names_no_scenario(
    tmp_path: Path,
) -> None:
    done = run_demo("--standup", "--dir", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    public, _, keyholder = done.stdout.partition("== 6.")
    assert "gate: satisfaction" in public
    assert "satisfaction" in public and "over 28 trials" in public
    # The bot runs out of process, sandboxed wherever bubblewrap works (as in CI).
    assert f"the bot run by sandbox {'none' if why_no_sandbox() else 'bwrap'}" in public
    for secret in ("busy day", "standup updates", "digest counts"):
        assert secret not in public
    # Which trials fail first depends on where chaos lands (trial seeds derive from the random file
    # ids), but the keyholder's view always names the feature and a failed step.
    assert "feature: Daily standup digest" in keyholder
    assert " failed " in keyholder
    assert not list((tmp_path / "demo" / "drafts").iterdir()), "plaintext drafts were deleted"
    assert (tmp_path / "demo" / "scenarios_encrypted" / "MANIFEST").is_file()
