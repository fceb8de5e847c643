"""``holdout demo``: the main job in one command, with no account and no network.

By default it runs the main example, examples/access-bot/, as a keyholder's gated CI job would:
a Slack bot that grants Okta group access after a Jira review, its holdout scenarios encrypted to
the example's DEMO KEY, judged against the twins of Slack, Jira and Okta with the bot in the
sandbox. It prints the satisfaction, where the sealed report went and how to open it. With
--standup it runs the smaller demo instead, which plays every part (keyholder, scenario writer,
CI job) on a standup digest bot, building its project from the package.
"""

from __future__ import annotations

import argparse

from pytest_holdout.demo import main_job, standup


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the main job on the access-bot example (no account, no network)",
        description=" ".join(__doc__.split("\n\n")[1].split()),
    )
    parser.add_argument(
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
    return standup.run(args) if args.standup else main_job.run(args)
