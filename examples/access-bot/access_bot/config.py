"""The bot's settings, all from environment variables (a service's usual way)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

Number = TypeVar("Number", int, float)

# name: what it is; the bot refuses to start without each of them.
REQUIRED = {
    "SLACK_API_URL": "Slack's Web API, e.g. https://slack.com/api",
    "SLACK_BOT_TOKEN": "the bot's token (xoxb-...)",
    "SLACK_SIGNING_SECRET": "the Slack app's signing secret",
    "JIRA_URL": "the Jira site, e.g. https://example.atlassian.net",
    "JIRA_EMAIL": "the email of the Jira account the bot acts as",
    "JIRA_API_TOKEN": "that account's API token",
    "JIRA_WEBHOOK_SECRET": "the secret of the Jira webhook that calls the bot",
    "OKTA_ORG_URL": "the Okta org, e.g. https://example.okta.com",
    "OKTA_API_TOKEN": "an Okta API token allowed to manage group members",
}


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable."""


@dataclass(frozen=True)
class Config:
    slack_api_url: str
    slack_token: str
    slack_signing_secret: str
    jira_url: str
    jira_email: str
    jira_token: str
    jira_webhook_secret: str
    okta_url: str
    okta_token: str
    jira_project: str = "ACCESS"
    host: str = "127.0.0.1"
    port: int = 8080
    # The longest Retry-After the bot waits out; a service asking for more is reported as down.
    max_wait: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        missing = [name for name in REQUIRED if not environ.get(name)]
        if missing:
            raise ConfigError(f"{missing[0]} is not set ({REQUIRED[missing[0]]})")
        return cls(
            slack_api_url=environ["SLACK_API_URL"].rstrip("/"),
            slack_token=environ["SLACK_BOT_TOKEN"],
            slack_signing_secret=environ["SLACK_SIGNING_SECRET"],
            jira_url=environ["JIRA_URL"].rstrip("/"),
            jira_email=environ["JIRA_EMAIL"],
            jira_token=environ["JIRA_API_TOKEN"],
            jira_webhook_secret=environ["JIRA_WEBHOOK_SECRET"],
            okta_url=environ["OKTA_ORG_URL"].rstrip("/"),
            okta_token=environ["OKTA_API_TOKEN"],
            jira_project=environ.get("JIRA_PROJECT", "ACCESS"),
            host=environ.get("ACCESS_BOT_HOST", "127.0.0.1"),
            port=_number(environ, "ACCESS_BOT_PORT", 8080, int),
            max_wait=_number(environ, "ACCESS_BOT_MAX_WAIT", 30.0, float),
        )


def _number(
    environ: Mapping[str, str], name: str, default: Number, kind: Callable[[str], Number]
) -> Number:
    value = environ.get(name)
    if value is None:
        return default
    try:
        number = kind(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise ConfigError(f"{name} must not be negative")
    return number
