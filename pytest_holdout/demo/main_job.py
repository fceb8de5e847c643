"""``holdout demo``: the gated run over ``examples/access-bot/``, as a keyholder's CI job runs it.

The example is a whole project: the access bot (the app under test), its spec, its step
definitions and twin seed data (the harness) and its holdout store, encrypted to a DEMO KEY that
ships beside it, so that the demo needs no account. The demo runs ``pytest --holdout
--holdout-required`` there, with the bot in the sandbox, then prints the satisfaction, where the
sealed report went and the command that opens it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from pytest_holdout.demo import commands
from pytest_holdout.demo.commands import shown_path
from pytest_holdout.errors import UsageError
from pytest_holdout.sandbox import why_no_sandbox
from pytest_holdout.store.keys import IDENTITY_FILE_VAR

EXAMPLE = Path("examples") / "access-bot"
DEMO_KEY = "demo-identity.txt"
STORE_ID = "pytest-holdout/examples/access-bot"  # the name the example's MANIFEST was signed for
TRIALS = 1  # the example's scenarios are deterministic: one trial each tells it all
MIN_SATISFACTION = 0.9
GAP = (
    "The bot as shipped ignores what a requester writes in a request's thread (spec clauses "
    "AB-11 and AB-12), so the scenarios judging that fail: examples/access-bot/README.md, "
    '"The gap", tells the story.'
)


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--example",
        type=Path,
        default=None,
        help=f"the example project (default: {EXAMPLE}/ here, or in pytest-holdout's checkout)",
    )
    group.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the JSON and sealed reports go; --loop: the project, working copy and key "
        "it copies (default: a new temporary folder, kept)",
    )


def find_example(given: Path | None) -> Path:
    """The example's folder: ``given``, else ``examples/access-bot`` in the current folder, else
    in the checkout this package was installed from (an editable install)."""
    candidates = [given] if given else [Path.cwd() / EXAMPLE, Path(__file__).parents[2] / EXAMPLE]
    for candidate in candidates:
        if (candidate / "scenarios_encrypted" / "MANIFEST").is_file():
            return candidate.resolve()
    where = given or EXAMPLE
    raise UsageError(
        f"demo: no example project at {where} (its scenarios_encrypted/MANIFEST is missing). Run "
        "`holdout demo` in a checkout of pytest-holdout, or pass --example DIR; "
        "`holdout demo --standup` runs the smaller demo that ships in the package."
    )


def run(args: argparse.Namespace) -> int:
    example = find_example(args.example)
    out = (args.out or Path(tempfile.mkdtemp(prefix="holdout-demo-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    key = example / DEMO_KEY
    with contextlib.suppress(OSError):  # git checks files out readable by all; keys want 0600
        key.chmod(0o600)
    # Nothing of the user's own keys or settings: the demo key is the only key, and the example's
    # store is its own, whichever repository a CI job runs this in.
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOLDOUT_")}
    env["HOLDOUT_STORE_ID"] = STORE_ID
    keyholder = {**env, IDENTITY_FILE_VAR: str(key)}

    print(f"pytest-holdout: the main job on {shown_path(example)} (no account, no network)")
    commands.say("1. The example: an app, its spec, its harness and its encrypted holdout")
    print(
        f"  app under test  {shown_path(example / 'access_bot')}/: a Slack bot that adds people\n"
        "                  to Okta groups once a reviewer approves in Jira\n"
        "  spec            specs/access-bot.md (clauses AB-1 to AB-19)\n"
        f"  harness         {shown_path(example / 'steps')}/ and {shown_path(example / 'seed')}/ "
        "(the twins' data)\n"
        f"  holdout         {shown_path(example / 'scenarios_encrypted')}/, its MANIFEST signed\n"
        f"  key             {shown_path(key)}: a DEMO KEY, shipped so that\n"
        "                  this runs anywhere: anyone can read these scenarios with it. A real\n"
        "                  key stays in the gated job's secret store, never in a repository."
    )
    listing = [sys.executable, "-m", "pytest_holdout", "list"]
    commands.run(listing, example, env, shown="holdout list")

    sandbox = "sandboxed (bubblewrap)"
    report, sealed = out / "holdout.json", out / "holdout-report.age"
    gated = [
        sys.executable, "-m", "pytest", "--holdout", "--holdout-required", "-q",
        f"--holdout-trials={args.trials or TRIALS}",
        f"--holdout-min-satisfaction={MIN_SATISFACTION}",
        f"--holdout-json={report}", f"--holdout-sealed-report={sealed}",
    ]  # fmt: skip
    unsandboxed = why_no_sandbox()
    if unsandboxed:
        sandbox = "UNSANDBOXED"
        print(f"\n({unsandboxed}: this run starts the bot UNSANDBOXED, --holdout-sandbox=none)")
        gated.append("--holdout-sandbox=none")
    commands.say(f"2. The gated CI job: the bot runs {sandbox} against the twins")
    keyed = f"{IDENTITY_FILE_VAR}={DEMO_KEY} {commands.printable(gated)}"
    shown = f"cd {shown_path(example)} && {keyed}"
    commands.run(gated, example, keyholder, shown=shown)

    commands.say("3. The result")
    print(f"{commands.satisfaction(report)}.")
    print("The public output above named no scenario: opaque ids and figures only.")
    print(f"\nThe sealed report, with every step of every trial: {shown_path(sealed)}")
    print("Only a keyholder can open it; the DEMO KEY can:")
    print(f"  {IDENTITY_FILE_VAR}={shown_path(key)} holdout report open {shown_path(sealed)}")
    print(f"\n{GAP}")
    return 0
