"""``holdout demo``: the whole method on a small bot, with no account and no network.

The demo builds a throwaway project: a standup digest bot (the software under test, with a bug a
coding agent could well leave in), step definitions that run it in a sandbox against the Slack
twin, and holdout scenarios. Then it plays each part in turn, with the real commands: the
keyholder makes a key and a store, a scenario writer encrypts scenarios they cannot read back,
the keyholder signs the manifest, the gated CI job runs ``pytest --holdout`` (public output:
opaque ids and scores only), and the keyholder opens the sealed report to see what failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from pytest_holdout.errors import HoldoutError
from pytest_holdout.sandbox import why_no_sandbox

TRIALS = 4
CHAOS = 0.05
MIN_SATISFACTION = 0.9


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole method on a small bot (no account, no network)",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="build the demo project here (default: a temp dir)"
    )
    parser.add_argument("--trials", type=int, default=TRIALS, help="trials per scenario")
    parser.add_argument("--chaos", type=float, default=CHAOS, help="the twins' fault rate")
    parser.set_defaults(func=run)


def _say(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _run(command: list[str], cwd: Path, env: dict[str, str], *, show: bool = True) -> str:
    printable = " ".join(shlex.quote(part) for part in command).replace(sys.executable, "python")
    print(f"$ {printable}", flush=True)
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if show:
        print((done.stdout + done.stderr).rstrip(), flush=True)
    if done.returncode not in (0, 1):
        raise HoldoutError(f"demo: `{printable}` exited {done.returncode}:\n{done.stderr.strip()}")
    return done.stdout


def _copy_package_dir(name: str, target: Path) -> list[Path]:
    copied = []
    for entry in resources.files(__package__).joinpath(name).iterdir():
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
    _say("1. The keyholder makes a key and the store (the key stays out of the repo)")
    recipient = _run([*holdout, "keygen", "-o", str(key)], workdir, env).split()[-1]
    _run([*holdout, "init", recipient], workdir, env)

    _say("2. A scenario writer (a person, or an agent) encrypts scenarios; no key is needed")
    for draft in scenario_files:
        _run([*holdout, "add", str(draft.relative_to(workdir)), "--delete-source"], workdir, env)
    _run([*holdout, "list"], workdir, env)

    _say("3. The keyholder signs the manifest: the set of scenarios that counts")
    keyholder = {**env, "HOLDOUT_IDENTITY_FILE": str(key)}
    _run([*holdout, "manifest"], workdir, keyholder)

    _say("4. A developer without the key: holdout scenarios are skipped")
    _run([sys.executable, "-m", "pytest", "--holdout", "-q", "-rs"], workdir, env)

    _say("5. The gated CI job: decrypts in memory, runs the bot sandboxed against the Slack twin")
    report = workdir / "holdout.json"
    sealed = workdir / "holdout-report.age"
    gated = [
        sys.executable, "-m", "pytest", "--holdout", "--holdout-required", "-q",
        "--holdout-trials", str(args.trials), "--holdout-chaos", str(args.chaos),
        "--holdout-min-satisfaction", str(MIN_SATISFACTION),
        "--holdout-json", report.name, "--holdout-sealed-report", sealed.name,
    ]  # fmt: skip
    unsandboxed = why_no_sandbox()
    if unsandboxed:
        print(f"({unsandboxed}: this demo runs the bot unsandboxed)")
        gated.append("--holdout-sandbox=none")
    _run(gated, workdir, keyholder)
    public = json.loads(report.read_text())
    figures = public["figures"]
    interval = figures["interval"]
    print(
        f"\nsatisfaction {figures['satisfaction']:.3f} "
        f"(95% interval {interval['lower']:.3f}-{interval['upper']:.3f}) over "
        f"{figures['trials']['total']} trials, the bot run by sandbox "
        f"{public['meta']['sandbox']}: the public output named no scenario."
    )

    _say("6. Only the keyholder can read what failed")
    opened = _run([*holdout, "report", "open", sealed.name], workdir, keyholder, show=False)
    print("\n".join(opened.splitlines()[:24]))
    print(
        "\nThe bot reads one page of #standup (100 messages), so the busy-day scenario fails "
        "every trial; it never retries, so a 429 or 5xx injected by --holdout-chaos fails "
        "others now and then. The agent that wrote it would only ever see the score."
    )
    if args.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0
