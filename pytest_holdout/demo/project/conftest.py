"""Step definitions for the demo's holdout scenarios: they set up the Slack twin, run the bot and
check what a person in #general would see.

The steps are trusted (the keyholder pins them); the bot is not (an agent wrote it), so it runs
out of process in the sandbox (``holdout_sut``), which lets it reach the Slack twin and nothing
else."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from pytest_holdout import given, parsers, then, when

BOT = Path(__file__).with_name("standup_digest.py")
STANDUP, GENERAL = "C0STANDUP1", "C0GENERAL1"
PEOPLE = {"alice": "U0ALICE001", "bob": "U0BOB00001", "carol": "U0CAROL001"}


@pytest.fixture
def slack(twin):
    return twin("slack")


def _digests(slack):
    general = slack.state.conversations[GENERAL]
    return [m for m in general.messages.values() if m.bot_id]


@given("the #standup channel exists")
def standup_channel(slack):
    from holdout_twins.slack.state import Conversation

    with slack.lock:
        slack.state.conversations[STANDUP] = Conversation(
            STANDUP,
            "standup",
            PEOPLE["alice"],
            int(slack.clock.now()),
            members=[*PEOPLE.values(), slack.state.bot_user],
        )


@given(parsers.parse("the #standup channel has {count:d} standup updates"))
def updates(slack, count):
    people = itertools.cycle(PEOPLE.values())
    with slack.lock:
        channel = slack.state.conversations[STANDUP]
        for number in range(count):
            slack.add_message(slack.state, channel, next(people), f"update {number}")


@given(parsers.parse('{name} posted "{text}" in #standup'))
def posted(slack, name, text):
    with slack.lock:
        slack.add_message(slack.state, slack.state.conversations[STANDUP], PEOPLE[name], text)


@when("the digest runs", target_fixture="digest")
def run_digest(slack, holdout_sut):
    bot = holdout_sut(
        [sys.executable, BOT, "--from", STANDUP, "--to", GENERAL],
        env={"SLACK_API_URL": f"{slack.base_url}/api", "SLACK_BOT_TOKEN": slack.token},
    )
    assert bot.wait(timeout=60) == 0, "the bot failed"
    digests = _digests(slack)
    return digests[-1].text if digests else None


@then("#general gets one digest")
def one_digest(slack):
    assert len(_digests(slack)) == 1


@then("no digest is posted")
def no_digest(slack):
    assert _digests(slack) == []


@then(parsers.parse("the digest counts {count:d} updates"))
def counts(digest, count):
    assert digest is not None and digest.startswith(f"Standup digest: {count} updates")


@then(parsers.parse("the digest mentions {name}"))
def mentions(digest, name):
    assert digest is not None and f"<@{PEOPLE[name]}>" in digest
