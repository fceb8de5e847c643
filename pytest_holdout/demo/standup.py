"""``holdout demo --standup``: the whole method on a small bot, with no account and no network.

The demo builds a throwaway project: a standup digest bot (the software under test, with a bug a
coding agent could well leave in), step definitions that run it in a sandbox against the Slack
twin, and holdout scenarios. Then it plays each part in turn, with the real commands: the
keyholder makes a key and a store, a scenario writer encrypts scenarios they cannot read back,
the keyholder signs the manifest, the gated CI job runs ``pytest --holdout`` (public output:
opaque ids and scores only), and the keyholder opens the sealed report to see what failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from pytest_holdout.demo import commands
from pytest_holdout.sandbox import why_no_sandbox

TRIALS = 4
CHAOS = 0.05
MIN_SATISFACTION = 0.9


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--dir", type=Path, default=None, help="build the demo project here (default: a temp dir)"
    )
    group.add_argument("--chaos", type=float, default=CHAOS, help="the twins' fault rate")


def _copy_package_dir(name: str, target: Path) -> list[Path]:
    copied = []
    for entry in resources.files("pytest_holdout.demo").joinpath(name).iterdir():
        if entry.is_file() and not entry.name.startswith("__"):
            path = target / entry.name
            path.write_bytes(entry.read_bytes())
            copied.append(path)
    return sorted(copied)


def run(args: argparse.Namespace) -> int:
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="holdout-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    _copy_package_dir("project", workdir)
    drafts = workdir / "drafts"
    drafts.mkdir(exist_ok=True)
    scenario_files = _copy_package_dir("scenarios", drafts)
    # The demo's store is its own: not the repository a CI job may be running in.
    env = {**os.environ, "PYTHONPATH": str(workdir), "HOLDOUT_STORE_ID": "holdout-demo"}
    for name in ("HOLDOUT_IDENTITY", "HOLDOUT_IDENTITY_FILE", "HOLDOUT_MIN_VERSION"):
        env.pop(name, None)
    holdout = [sys.executable, "-m", "pytest_holdout"]
    key = workdir / "keyholder" / "key.txt"  # a folder of its own, which the sandbox hides
    key.parent.mkdir(exist_ok=True)

    print(f"pytest-holdout demo in {workdir}")
    commands.say("1. The keyholder makes a key and the store (the key stays out of the repo)")
    recipient = commands.run([*holdout, "keygen", "-o", str(key)], workdir, env).split()[-1]
    commands.run([*holdout, "init", recipient], workdir, env)

    commands.say(
        "2. A scenario writer (a person, or an agent) encrypts scenarios; no key is needed"
    )
    for draft in scenario_files:
        commands.run(
            [*holdout, "add", str(draft.relative_to(workdir)), "--delete-source"], workdir, env
        )
    commands.run([*holdout, "list"], workdir, env)

    commands.say("3. The keyholder signs the manifest: the set of scenarios that counts")
    keyholder = {**env, "HOLDOUT_IDENTITY_FILE": str(key)}
    commands.run([*holdout, "manifest"], workdir, keyholder)

    commands.say("4. A developer without the key: holdout scenarios are skipped")
    commands.run([sys.executable, "-m", "pytest", "--holdout", "-q", "-rs"], workdir, env)

    commands.say(
        "5. The gated CI job: decrypts in memory, runs the bot sandboxed against the Slack twin"
    )
    report = workdir / "holdout.json"
    sealed = workdir / "holdout-report.age"
    gated = [
        sys.executable, "-m", "pytest", "--holdout", "--holdout-required", "-q",
        "--holdout-trials", str(args.trials or TRIALS), "--holdout-chaos", str(args.chaos),
        "--holdout-min-satisfaction", str(MIN_SATISFACTION),
        "--holdout-json", report.name, "--holdout-sealed-report", sealed.name,
    ]  # fmt: skip
    unsandboxed = why_no_sandbox()
    if unsandboxed:
        print(f"({unsandboxed}: this demo runs the bot unsandboxed)")
        gated.append("--holdout-sandbox=none")
    commands.run(gated, workdir, keyholder)
    print(f"\n{commands.satisfaction(report)}: the public output named no scenario.")

    commands.say("6. Only the keyholder can read what failed")
    opened = commands.run([*holdout, "report", "open", sealed.name], workdir, keyholder, show=False)
    print("\n".join(opened.splitlines()[:24]))
    print(
        "\nThe bot reads one page of #standup (100 messages), so the busy-day scenario fails "
        "every trial; it never retries, so a 429 or 5xx injected by --holdout-chaos fails "
        "others now and then. The agent that wrote it would only ever see the score."
    )
    if args.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0
