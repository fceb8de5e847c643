"""`holdout demo`, the README's first command, runs the whole method and keeps its secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pytest_holdout.sandbox import why_no_sandbox


def test_the_demo_runs_end_to_end_and_the_public_part_names_no_scenario(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_holdout", "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
    )
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
