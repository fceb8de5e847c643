"""The few calls the bot makes to Slack, Jira and Okta, over ``http_calls.Service``."""

from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass
from typing import Any

from access_bot.config import Config
from access_bot.http_calls import ApiError, Service


class SlackError(Exception):
    """Slack answered ``{"ok": false, "error": ...}``."""


class Slack:
    def __init__(self, config: Config) -> None:
        self.api = Service(
            "Slack",
            config.slack_api_url,
            {"Authorization": f"Bearer {config.slack_token}"},
            config.max_wait,
        )
        self._bot_user: str | None = None

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        body = self.api.call("POST", f"/{method}", json_body=params).body
        if not isinstance(body, dict) or not body.get("ok"):
            error = body.get("error", "unknown_error") if isinstance(body, dict) else "no_json"
            raise SlackError(f"{method}: {error}")
        return body

    def bot_user(self) -> str:
        """The bot's own user id (who a mention of the bot names), asked once."""
        if self._bot_user is None:
            self._bot_user = self._call("auth.test")["user_id"]
        return self._bot_user

    def person(self, user: str) -> Person:
        profile = self._call("users.info", user=user)["user"]
        name = profile.get("real_name") or profile.get("name") or user
        return Person(user, name, profile.get("profile", {}).get("email", ""))

    def reply(self, channel: str, thread_ts: str, text: str) -> None:
        self._call("chat.postMessage", channel=channel, thread_ts=thread_ts, text=text)


@dataclass(frozen=True)
class Person:
    """Someone in Slack: their user id, the name they go by and their email."""

    user: str
    name: str
    email: str


class Jira:
    def __init__(self, config: Config) -> None:
        pair = f"{config.jira_email}:{config.jira_token}".encode()
        self.api = Service(
            "Jira",
            f"{config.jira_url}/rest/api/2",
            {"Authorization": "Basic " + base64.b64encode(pair).decode()},
            config.max_wait,
        )
        self.project = config.jira_project
        self.email = config.jira_email  # the bot's own account, whose comments are not reasons

    def open_issue(self, summary: str, description: str) -> str:
        fields = {
            "project": {"key": self.project},
            "issuetype": {"name": "Task"},
            "summary": summary,
            "description": description,
        }
        return self.api.call("POST", "/issue", json_body={"fields": fields}).body["key"]

    def comment(self, issue: str, text: str) -> None:
        self.api.call("POST", f"/issue/{issue}/comment", json_body={"body": text})

    def comments(self, issue: str) -> list[dict[str, Any]]:
        """The issue's comments, oldest first."""
        return self.api.call("GET", f"/issue/{issue}/comment").body.get("comments", [])


class Okta:
    def __init__(self, config: Config) -> None:
        self.api = Service(
            "Okta",
            f"{config.okta_url}/api/v1",
            {"Authorization": f"SSWS {config.okta_token}"},
            config.max_wait,
        )

    def user(self, login: str) -> dict[str, Any] | None:
        """The user whose login is ``login``, or None if there is none."""
        try:
            return self.api.call("GET", f"/users/{urllib.parse.quote(login, safe='@')}").body
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def group(self, name: str) -> dict[str, Any] | None:
        """The Okta group called ``name`` (ignoring case), or None."""
        found = self.api.call("GET", "/groups", query={"q": name, "limit": "200"}).body
        wanted = name.lower()
        for group in found:
            if group.get("type") == "OKTA_GROUP" and group["profile"]["name"].lower() == wanted:
                return group
        return None

    def is_member(self, group_id: str, user_id: str) -> bool:
        groups = self.api.call("GET", f"/users/{user_id}/groups").body
        return any(group["id"] == group_id for group in groups)

    def add_member(self, group_id: str, user_id: str) -> None:
        self.api.call("PUT", f"/groups/{group_id}/users/{user_id}")
