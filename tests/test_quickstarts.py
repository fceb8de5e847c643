"""docs/quickstart/: the keyholder's, the scenario writer's and the CI job's pages run as written,
in the order the roles act, in one empty project folder, with the commands a user types."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from test_docs_examples import (
    DOCS,
    code_blocks,
    run_as_user,
    section,
    write_files,
)

pytestmark = pytest.mark.bwrap  # the CI job's run is a gated one: the app runs sandboxed

PAGES = {
    name: (DOCS / "quickstart" / f"{name}.md").read_text() for name in ("keyholder", "writer", "ci")
}
SECRET = ("A refund in two parts", "she asks for 6 EUR back")


def _run(project: Path, page: str, heading: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = "\n".join(code_blocks(section(PAGES[page], heading), "sh"))
    assert script, f"docs/quickstart/{page}.md has commands under {heading!r}"
    done = run_as_user(f"set -euo pipefail\n{script}", project, **env)
    assert done.returncode == 0, (
        f"{page}.md, {heading}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    )
    return done


@pytest.mark.slow
def test_the_three_quickstarts_run_in_the_order_the_roles_act(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    home = tmp_path / "home"  # run_as_user's: keys go to ~/.config/holdout, outside the project

    _run(project, "keyholder", "Once: the keys and the store")
    recipients = (project / "scenarios_encrypted" / "RECIPIENTS").read_text().splitlines()
    assert len([line for line in recipients if line.startswith("age1")]) == 2

    assert {p.name for p in write_files(PAGES["writer"], project)} == {
        "shop.py",
        "conftest.py",
        "refunds.feature",
    }
    added = _run(project, "writer", "Check, then encrypt")
    assert "0 problem(s)" in added.stdout + added.stderr
    assert not (project / "drafts" / "refunds.feature").exists()
    (encrypted,) = (project / "scenarios_encrypted").glob("S-*.age")

    signed = _run(project, "keyholder", "When scenarios arrive: read them, then sign what counts")
    assert "Scenario: A refund in two parts" in signed.stdout  # holdout show
    assert "1 file(s), 2 scenario(s), 2 signature(s)" in signed.stdout

    ci_key = (home / ".config" / "holdout" / "ci-key.txt").read_text()
    gated = _run(project, "ci", "The gated job", HOLDOUT_KEY=ci_key)
    public = gated.stdout + gated.stderr
    assert "1 file(s), 2 scenario(s), 0 problem(s)" in public  # holdout check
    assert f"{encrypted.stem}-2[t1]" in public and "step 4 (Then) failed: assertion" in public
    assert "gate: satisfaction 0.500 >= 0.500" in gated.stdout
    assert not [text for text in SECRET if text in public]
    assert (project / "holdout.json").is_file()

    opened = _run(project, "keyholder", "After a gated run: read what failed")
    assert "A refund in two parts" in opened.stdout and "A full refund" not in opened.stdout
    page = project / "report.html"
    assert stat.S_IMODE(page.stat().st_mode) == 0o600 and SECRET[0] in page.read_text()
    assert not [
        p for p in project.rglob("*") if p.is_file() and b"AGE-SECRET-KEY" in p.read_bytes()
    ]
