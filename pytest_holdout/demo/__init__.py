"""``holdout demo``: the main job in one command, with no account and no network.

By default it runs the main example, examples/access-bot/, as a keyholder's gated CI job would:
a Slack bot that grants Okta group access after a Jira review, its holdout scenarios encrypted to
the example's DEMO KEY, judged against the twins of Slack, Jira and Okta with the bot in the
sandbox. It prints the satisfaction, where the sealed report went and how to open it. With
--loop it runs holdout loop on a copy of the example instead: the built-in agent, its model the
Anthropic twin scripted by the example's loop-script.yaml, closes the bot's documented gap in
round 2. With --standup it runs the smaller demo, which plays every part (keyholder, scenario
writer, CI job) on a standup digest bot, building its project from the package.
"""

from __future__ import annotations

import argparse

from pytest_holdout.demo import loop_demo, main_job, standup


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the main job on the access-bot example (no account, no network)",
        description=" ".join(__doc__.split("\n\n")[1].split()),
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--loop",
        action="store_true",
        help="run holdout loop on a copy of the example instead: the built-in agent against the "
        "scripted Anthropic twin closes the bot's gap (needs bubblewrap)",
    )
    which.add_argument(
        "--standup",
        action="store_true",
        help="run the smaller standup-bot demo, playing every part, instead",
    )
    parser.add_argument(
        "--trials",
        type=int,
        default=None,
        help=f"trials per scenario (default: {main_job.TRIALS}; --standup: {standup.TRIALS})",
    )
    main_job.add_arguments(parser.add_argument_group("the access-bot example"))
    standup.add_arguments(parser.add_argument_group("--standup"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.loop:
        return loop_demo.run(args)
    return standup.run(args) if args.standup else main_job.run(args)
