"""``holdout loop``: an agent builds the software from the specs until the holdout is satisfied."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.feedback.state import MODES
from pytest_holdout.loop.agents import Agent, agent_variables
from pytest_holdout.loop.driver import LoopSettings, run_loop
from pytest_holdout.loop.evaluation import check_pytest_args
from pytest_holdout.loop.proxy import parse_allowed
from pytest_holdout.sandbox import SandboxError
from pytest_holdout.sandbox.runner import parse_address
from pytest_holdout.store import keys

LOOP_DIR = ".holdout-loop"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    loop = subparsers.add_parser(
        "loop",
        help="an agent builds the software from the specs, the holdout judges it, round after "
        "round (keyholder)",
        description="Each round runs the agent in its working copy, in the sandbox, with "
        "LOOP_SPECS, LOOP_FEEDBACK and LOOP_ROUND; then the gated evaluation (pytest --holdout "
        "--holdout-required, the only process that gets the key); then writes the public "
        "feedback for the next round. Stops at the target, at the round limit, or after "
        "--patience rounds without improvement; exit 0 only if the target was reached. "
        "Run it in the project (the harness and the store). See docs/loop.md.",
    )
    loop.add_argument(
        "--agent",
        required=True,
        metavar="CMD",
        help="the agent: a command line (run in the working copy), or anthropic:MODEL for the "
        "built-in agent",
    )
    loop.add_argument("--specs", required=True, type=Path, metavar="DIR", help="the specs")
    loop.add_argument(
        "--workdir",
        type=Path,
        default=Path("app"),
        metavar="DIR",
        help="the agent's working copy, made if missing; the steps find it as holdout_app_dir "
        "(default: app)",
    )
    loop.add_argument(
        "--target", type=float, default=1.0, metavar="P", help="satisfaction to reach (1.0)"
    )
    loop.add_argument("--max-rounds", type=int, default=10, metavar="N", help="(default 10)")
    loop.add_argument(
        "--patience",
        type=int,
        default=3,
        metavar="K",
        help="stop after K rounds without improvement (default 3; 0: never)",
    )
    loop.add_argument("--trials", type=int, metavar="N", help="trials per scenario")
    loop.add_argument(
        "--feedback-ids",
        action="store_true",
        help="the feedback holds per-id results (opaque ids, statuses, failing step indexes)",
    )
    loop.add_argument(
        "--holdout-feedback",
        choices=MODES,
        default="plain",
        help="the rule that releases the score to the agent (docs/reusable-holdout.md; its "
        "state is kept in LOOP_DIR; default plain: the score as measured)",
    )
    loop.add_argument(
        "--reset-feedback",
        action="store_true",
        help="start a new run of feedback rounds (a fresh --holdout-feedback state; without "
        "it, a loop goes on with the state its last run left)",
    )
    loop.add_argument(
        "--loop-dir",
        type=Path,
        metavar="DIR",
        help=f"the round logs and reports, masked from the agent (default: {LOOP_DIR})",
    )
    loop.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help="append each round, for `holdout report trend` (default: LOOP_DIR/history.jsonl)",
    )
    loop.add_argument(
        "--agent-env",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="a variable the agent gets, from here or as given (repeatable; never HOLDOUT_*)",
    )
    loop.add_argument(
        "--agent-forward",
        action="append",
        default=[],
        metavar="URL",
        help="a loopback address the agent may reach, at the same address (repeatable)",
    )
    loop.add_argument(
        "--agent-allow",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="a host the agent may reach through the loop's proxy (HTTPS_PROXY; port 443 "
        "unless given; repeatable)",
    )
    loop.add_argument(
        "--agent-timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="a round's agent is stopped after this long (default 3600)",
    )
    loop.add_argument(
        "pytest_args",
        nargs=argparse.REMAINDER,
        metavar="-- PYTEST_ARGS",
        help="more arguments for the evaluation's pytest",
    )
    loop.set_defaults(func=loop_command)


def loop_command(args: argparse.Namespace) -> int:
    from pytest_holdout.cli.main import store_of

    return 0 if run_loop(settings(args, store_of(args).root), os.environ) else 1


def settings(args: argparse.Namespace, store: Path) -> LoopSettings:
    """The loop's settings from the command line; ``UsageError`` for what cannot work."""
    if not 0 <= args.target <= 1:
        raise UsageError("--target takes a number from 0 to 1")
    if args.max_rounds < 1:
        raise UsageError("--max-rounds must be at least 1")
    if args.patience < 0 or (args.trials is not None and args.trials < 1):
        raise UsageError("--patience must be at least 0, --trials at least 1")
    if args.holdout_feedback != "plain" and args.feedback_ids:
        raise UsageError(
            f"--feedback-ids would give away what --holdout-feedback {args.holdout_feedback} "
            "withholds: choose one"
        )
    store = store.resolve()
    project = store.parent
    specs = args.specs.resolve()
    if not specs.is_dir():
        raise HoldoutError(f"{args.specs}: no such folder (--specs)")
    workdir = args.workdir.resolve()
    loop_dir = (args.loop_dir or project / LOOP_DIR).resolve()
    for name, path in (("the project", project), ("the loop folder", loop_dir)):
        if path == workdir or workdir in path.parents:
            raise UsageError(
                f"--workdir {args.workdir}: the working copy must not hold {name} ({path}): "
                "the agent could change what judges it"
            )
    pytest_args = list(args.pytest_args)
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]
    check_pytest_args(pytest_args, project, workdir)
    _check_network(args.agent_forward, args.agent_allow)
    loop = LoopSettings(
        agent=Agent.parse(args.agent),
        project=project,
        store=store,
        specs=specs,
        workdir=workdir,
        loop_dir=loop_dir,
        history=(args.history or loop_dir / "history.jsonl").absolute(),
        target=args.target,
        max_rounds=args.max_rounds,
        patience=args.patience or None,
        trials=args.trials,
        pytest_args=pytest_args,
        feedback_ids=args.feedback_ids,
        feedback_mode=args.holdout_feedback,
        reset_feedback=args.reset_feedback,
        agent_env=agent_variables(args.agent_env, os.environ),
        forward=args.agent_forward,
        allow=args.agent_allow,
        agent_timeout=args.agent_timeout,
    )
    if not keys.has_identity(os.environ):
        raise keys.NoIdentityError()  # the evaluation needs it; better said before round 1
    workdir.mkdir(parents=True, exist_ok=True)
    return loop


def _check_network(forward: list[str], allow: list[str]) -> None:
    """``--agent-forward`` and ``--agent-allow``, checked before round 1."""
    for url in forward:
        try:
            parse_address(url)
        except SandboxError as exc:
            raise UsageError(f"--agent-{exc}") from None
    for host in allow:
        try:
            parse_allowed(host)
        except ValueError as exc:
            raise UsageError(f"--agent-allow {exc}") from None
