"""The world the access bot lives in: the three twins seeded for the example, the bot itself
(started in the sandbox, reached only over HTTP), and what a scenario remembers as it goes.

The steps are trusted (the keyholder pins them with the harness); the bot is not: it runs out of
process under ``holdout_sut``, which forwards the twins into its sandbox and relays its port out,
so the twins can call it back.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pytest_holdout import given, parsers, then, when

EXAMPLE = Path(__file__).resolve().parents[1]
SEED = EXAMPLE / "seed"
CHANNEL = "C0ACCESS01"  # #access-requests
DOMAIN = "example.com"  # everyone's email, Okta login and Jira account
BOT_ACCOUNT = f"access-bot@{DOMAIN}"  # the Jira account the bot acts as (the seed's)
WEBHOOK_SECRET = "jira-webhook-secret-for-the-example"
REPLY_TIMEOUT = 10.0  # seconds the bot has to do what a step waits for
T = TypeVar("T")


@pytest.fixture(scope="session")
def twin_seed_data() -> dict[str, Path]:
    return {name: SEED / f"{name}.yaml" for name in ("slack", "jira", "okta")}


@pytest.fixture
def slack(twin: Any) -> Any:
    return twin("slack")


@pytest.fixture
def jira(twin: Any) -> Any:
    return twin("jira")


@pytest.fixture
def okta(twin: Any) -> Any:
    return twin("okta")


@dataclass
class Thread:
    """A request's thread in #access-requests: where the bot must answer."""

    person: str
    ts: str
    seen: int = 0  # the bot's replies in it that steps have already looked at


@dataclass
class Story:
    """What a scenario remembers between steps."""

    bot: Any = None  # the AppProcess
    url: str = ""  # where the twins (and the steps) reach the bot
    thread: Thread | None = None
    issue: str | None = None  # the request's Jira issue, once known
    reply: str = ""  # the bot's reply a step last looked at
    status: int | None = None  # the bot's HTTP answer to a request a step sent it
    people: dict[str, str] = field(default_factory=dict)  # Slack name -> user id


@pytest.fixture
def story() -> Story:
    return Story()


def email(person: str) -> str:
    return f"{person.lower()}@{DOMAIN}"


def okta_group(okta: Any, name: str) -> Any:
    """The Okta twin's group called ``name`` (call with ``okta.lock`` held)."""
    (group,) = [group for group in okta.state.groups.values() if group.name == name]
    return group


def eventually(check: Callable[[], T | None], failure: Callable[[], str]) -> T:
    """``check()``'s first truthy value, waiting up to ``REPLY_TIMEOUT`` seconds for one; else
    an AssertionError with ``failure()``'s text (it goes to the sealed report)."""
    deadline = time.monotonic() + REPLY_TIMEOUT
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{failure()} (waited {REPLY_TIMEOUT:g} s)")
        time.sleep(0.05)


def _free_port() -> int:
    """A port the bot can listen on: outside a sandbox it is the host's, so it must be free."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _settings(slack: Any, jira: Any, okta: Any, port: int) -> dict[str, str]:
    """The bot's environment: where the twins are, and its credentials for each."""
    return {
        "ACCESS_BOT_PORT": str(port),
        "SLACK_API_URL": f"{slack.base_url}/api",
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "JIRA_URL": jira.base_url,
        "JIRA_EMAIL": BOT_ACCOUNT,
        "JIRA_API_TOKEN": jira.token,
        "JIRA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OKTA_ORG_URL": okta.base_url,
        "OKTA_API_TOKEN": okta.token,
    }


def _start(holdout_sut: Any, app_dir: Path, environment: dict[str, str], port: int) -> Any:
    """The bot from ``app_dir`` (``holdout_app_dir``: this folder, or ``holdout loop``'s working
    copy), in the sandbox."""
    return holdout_sut(
        [sys.executable, "-m", "access_bot"], env=environment, cwd=app_dir, expose=[port]
    )


@given("the access bot is running")
def bot_running(
    story: Story, slack: Any, jira: Any, okta: Any, holdout_sut: Any, holdout_app_dir: Path
) -> None:
    port = _free_port()
    story.bot = _start(holdout_sut, holdout_app_dir, _settings(slack, jira, okta, port), port)
    story.bot.wait_listening(port, timeout=30)
    story.url = story.bot.url(port)
    with slack.lock:
        story.people = {user.name: user.id for user in slack.state.users.values()}
    # What an admin does when installing the bot: the Slack app's request URL (Slack checks it
    # with its url_verification challenge) and a Jira webhook for the ACCESS project.
    slack.subscribe(f"{story.url}/slack/events")
    webhook = {
        "name": "access-bot",
        "url": f"{story.url}/jira/webhook",
        "events": ["jira:issue_updated"],
        "filters": {"issue-related-events-section": "project = ACCESS"},
        "secret": WEBHOOK_SECRET,
    }
    jira.act_as(BOT_ACCOUNT).call("POST", "/rest/webhooks/1.0/webhook", webhook)


@when(parsers.parse("the bot is started without {variable}"))
def started_without(
    story: Story,
    slack: Any,
    jira: Any,
    okta: Any,
    holdout_sut: Any,
    holdout_app_dir: Path,
    variable: str,
) -> None:
    port = _free_port()
    environment = _settings(slack, jira, okta, port)
    environment.pop(variable)
    story.bot = _start(holdout_sut, holdout_app_dir, environment, port)
    story.bot.wait(timeout=30)


@then(parsers.parse("the bot exits with status {status:d} naming {variable}"))
def exits_naming(story: Story, status: int, variable: str) -> None:
    assert story.bot.returncode == status, f"the bot exited with {story.bot.returncode}"
    assert variable in story.bot.stderr, f"its error output does not name {variable}"
