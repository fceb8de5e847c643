"""``holdout demo --loop``: ``holdout loop`` closes the access bot's documented gap, scripted.

The loop's built-in agent (``--agent anthropic:MODEL``) talks to the Anthropic twin instead of
the API, so the demo needs no account and no network, and the twin answers with the example's
``loop-script.yaml``: in round 1 the model looks at the bot and changes nothing, so the round's
evaluation judges the bot as shipped (the gap of AB-11 and AB-12); in round 2 it writes the
thread handling those clauses ask for, and the evaluation judges the fix. The demo works on
copies in a folder of its own, and the example is left as it is: the project (the example's
harness and store, where the keyholder runs ``holdout loop``), the agent's working copy (the
shipped bot, in the project's ``app/``), the spec, and the DEMO KEY in a folder outside the
project, which the agent's sandbox masks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import yaml

from holdout_twins.anthropic import AnthropicTwin, Reply, ScriptError
from pytest_holdout.demo import commands
from pytest_holdout.demo.commands import shown_path
from pytest_holdout.demo.main_job import DEMO_KEY, STORE_ID, TRIALS, find_example
from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.sandbox import why_no_sandbox
from pytest_holdout.store.keys import IDENTITY_FILE_VAR

SCRIPT = "loop-script.yaml"  # in the example
SPEC = Path("specs") / "access-bot.md"  # in the checkout that holds the example
MODEL = "claude-sonnet-4-6"  # a model the twin knows; its replies come from the script anyway
MAX_ROUNDS = 3  # the script closes the gap in round 2: one round to spare
WORKDIR = "app"  # holdout loop's default --workdir, in the project
# What the project copy leaves out: the bot is the working copy's, the key is kept apart, the
# script is the twin's, and caches and an earlier loop's files are nobody's.
NOT_THE_PROJECT = ("access_bot", DEMO_KEY, SCRIPT, "__pycache__", ".pytest_cache", ".holdout-loop")


def load_script(path: Path) -> list[Reply]:
    """The model's replies in ``path``: ``replies``, a list of what the twin's script takes
    (twins/anthropic/README.md); ``HoldoutError`` naming the file and the reply otherwise."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HoldoutError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise HoldoutError(f"{path}: not YAML{line}") from None
    replies = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(replies, list) or not replies:
        raise HoldoutError(f"{path}: no `replies` list (the model's replies, in order)")
    parsed = []
    for number, reply in enumerate(replies, 1):
        try:
            parsed.append(Reply.of(reply))
        except ScriptError as exc:
            raise HoldoutError(f"{path}: reply {number}: {exc}") from None
    return parsed


def run(args: argparse.Namespace) -> int:
    example = find_example(args.example)
    spec = example.parents[1] / SPEC
    if not spec.is_file():
        raise UsageError(f"demo --loop: no {spec}: the example's spec, which the agent builds from")
    replies = load_script(example / SCRIPT)
    out = (args.out or Path(tempfile.mkdtemp(prefix="holdout-loop-demo-"))).resolve()
    project, specs, keyholder = out / "access-bot", out / "specs", out / "keyholder"
    for path in (project, specs, keyholder):
        if path.exists():  # an earlier demo's fixed bot would score 1.0 in round 1
            raise UsageError(f"demo --loop: {path} exists: give --out a folder of its own")
    unsandboxed = why_no_sandbox()
    if unsandboxed:  # holdout loop has no unsandboxed mode for its agent, nor has its demo
        raise HoldoutError(
            f"demo --loop: {unsandboxed}; holdout loop runs its agent only sandboxed"
        )
    shutil.copytree(example, project, ignore=shutil.ignore_patterns(*NOT_THE_PROJECT))
    shutil.copytree(
        example / "access_bot",
        project / WORKDIR / "access_bot",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    specs.mkdir(parents=True)
    shutil.copyfile(spec, specs / spec.name)
    keyholder.mkdir()
    key = keyholder / DEMO_KEY
    shutil.copyfile(example / DEMO_KEY, key)
    key.chmod(0o600)
    # Nothing of the user's keys, settings or API account: the demo key is the only key, the
    # twin the only model, and the example's store is its own.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOLDOUT_", "ANTHROPIC_"))
    }
    env.update({"HOLDOUT_STORE_ID": STORE_ID, IDENTITY_FILE_VAR: str(key)})

    print(f"pytest-holdout: holdout loop closes the gap of {shown_path(example)} (no account)")
    commands.say("1. The copies the loop works on (the example is left as it is)")
    print(
        f"  project       {shown_path(project)}/: the example's harness and store, where the\n"
        "                keyholder runs holdout loop\n"
        f"  working copy  {shown_path(project / WORKDIR)}/: the bot as shipped, for the agent\n"
        f"  specs         {shown_path(specs)}/: {spec.name}, what the agent builds from\n"
        f"  key           {shown_path(key)}: the DEMO KEY, kept out of the\n"
        "                project (the agent's sandbox masks its folder)"
    )

    with AnthropicTwin(seed=1) as twin:
        twin.script.enqueue(*replies)
        env.update(ANTHROPIC_API_KEY=twin.token, ANTHROPIC_BASE_URL=twin.base_url)
        commands.say("2. The loop: the built-in agent, its model the Anthropic twin")
        about = (
            f"The twin at {twin.base_url} answers the agent with the {len(replies)} replies of "
            f"{shown_path(example / SCRIPT)} (ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY are the "
            "twin's). Each round the agent works, then the gated evaluation judges the working "
            "copy; the agent learns only the satisfaction."
        )
        print(textwrap.fill(about, width=96))
        loop = [
            sys.executable, "-m", "pytest_holdout", "loop", "--agent", f"anthropic:{MODEL}",
            "--specs", os.path.relpath(specs, project),
            "--max-rounds", str(MAX_ROUNDS), "--trials", str(args.trials or TRIALS),
        ]  # fmt: skip
        keyed = f"{IDENTITY_FILE_VAR}={os.path.relpath(key, project)}"
        shown = f"cd {shown_path(project)} && {keyed} holdout {commands.printable(loop[3:])}"
        reached = commands.stream(loop, project, env, shown=shown) == 0

    loop_dir = project / ".holdout-loop"
    history = loop_dir / "history.jsonl"
    if not history.is_file():
        raise HoldoutError("demo --loop: the loop stopped before its first round ended (above)")
    rounds = [json.loads(line) for line in history.read_text().splitlines() if line.strip()]
    commands.say("3. What the agent did (its log of each round, in the loop's folder)")
    for number in range(1, len(rounds) + 1):
        agent_log = (loop_dir / f"round-{number}" / "agent.log").read_text()
        for line in agent_log.partition("\n--- stderr ---")[0].splitlines():
            print(f"  {line}")

    commands.say("4. The result")
    last = loop_dir / f"round-{len(rounds)}" / "holdout-report.age"
    trend = [sys.executable, "-m", "pytest_holdout", "report", "trend", str(history)]
    commands.run(trend, out, env, shown=f"holdout report trend {shown_path(history)}")
    print(f"\nThe history, a line per round of what the agent was told: {shown_path(history)}")
    print(f"The last round's sealed report, for keyholders: {shown_path(last)}")
    print("The DEMO KEY opens it (every round's is in its round-N folder):")
    print(f"  {IDENTITY_FILE_VAR}={shown_path(key)} holdout report open {shown_path(last)}")
    if not reached:
        print(f"\nThe loop did not reach its target in {len(rounds)} round(s).")
        return 1
    return 0
