"""The access desk: what the bot does with a request from Slack and a decision from Jira.

A request goes: Slack mention -> checks in Okta -> a Jira issue -> a reply in the thread. A
decision goes: the issue moves to Approved (the person joins the group in Okta) or Rejected (the
reviewer's last comment is the reason) -> a reply in the request's thread. The requests waiting
for a decision are kept in memory, by issue key.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from access_bot import replies
from access_bot.asking import parse_ask
from access_bot.http_calls import ApiError, Unavailable
from access_bot.services import Jira, Okta, Person, Slack, SlackError

log = logging.getLogger("access_bot.desk")

APPROVED, REJECTED = "approved", "rejected"  # the workflow's statuses, compared ignoring case


@dataclass
class Request:
    issue: str
    channel: str
    thread_ts: str
    requester: Person
    okta_user: str
    group_id: str
    group: str


class Desk:
    def __init__(self, slack: Slack, jira: Jira, okta: Okta) -> None:
        self.slack, self.jira, self.okta = slack, jira, okta
        self.waiting: dict[str, Request] = {}
        self._lock = threading.Lock()

    # --- Slack -----------------------------------------------------------------------------------
    def on_slack_event(self, event: dict[str, Any]) -> None:
        """A mention of the bot is a request; the bot's own messages and others are not."""
        if event.get("type") != "app_mention" or event.get("bot_id"):
            return
        channel, ts = event["channel"], event["ts"]
        thread_ts = event.get("thread_ts") or ts
        try:
            self._take_request(event, channel, thread_ts)
        except Unavailable as down:
            log.warning("request in %s/%s: %s", channel, ts, down)
            self._say(channel, thread_ts, replies.unavailable(down.service, "open your request"))

    def _take_request(self, event: dict[str, Any], channel: str, thread_ts: str) -> None:
        ask = parse_ask(event.get("text", ""))
        if ask is None:
            self._say(channel, thread_ts, replies.help_text())
            return
        if not ask.reason:
            self._say(channel, thread_ts, replies.ask_for_reason(ask.group))
            return
        requester = self.slack.person(event["user"])
        account = self.okta.user(requester.email) if requester.email else None
        if account is None:
            self._say(channel, thread_ts, replies.no_okta_account(requester.email))
            return
        if account.get("status") != "ACTIVE":
            self._say(channel, thread_ts, replies.account_not_active(account.get("status", "")))
            return
        group = self.okta.group(ask.group)
        if group is None:
            self._say(channel, thread_ts, replies.no_such_group(ask.group))
            return
        name = group["profile"]["name"]
        if self.okta.is_member(group["id"], account["id"]):
            self._say(channel, thread_ts, replies.already_member(name))
            return
        link = f"channel {channel}, thread {thread_ts}"
        issue = self.jira.open_issue(
            replies.issue_summary(name, requester),
            replies.issue_description(name, ask.reason, requester, link),
        )
        with self._lock:
            self.waiting[issue] = Request(
                issue, channel, thread_ts, requester, account["id"], group["id"], name
            )
        self._say(channel, thread_ts, replies.opened(issue, name))

    # --- Jira ------------------------------------------------------------------------------------
    def on_jira_event(self, payload: dict[str, Any]) -> None:
        """An issue moved to Approved or Rejected decides the request it holds."""
        if payload.get("webhookEvent") != "jira:issue_updated":
            return
        status = _new_status(payload)
        issue = (payload.get("issue") or {}).get("key")
        with self._lock:
            request = self.waiting.get(issue) if status in (APPROVED, REJECTED) else None
        if request is None:
            return
        reviewer = payload.get("user") or {}
        if status == APPROVED:
            self._approve(request, reviewer)
        else:
            self._reject(request, reviewer)

    def _approve(self, request: Request, reviewer: dict[str, Any]) -> None:
        name = reviewer.get("displayName", "A reviewer")
        if reviewer.get("emailAddress", "").lower() == request.requester.email.lower():
            self._say(request.channel, request.thread_ts, replies.own_approval(request.issue))
            return
        try:
            self.okta.add_member(request.group_id, request.okta_user)
        except (Unavailable, ApiError) as error:
            log.warning("granting %s: %s", request.issue, error)
            service = error.service
            text = replies.grant_failed(request.issue, request.group, name, service)
            self._say(request.channel, request.thread_ts, text)
            return
        with self._lock:
            self.waiting.pop(request.issue, None)
        self._note(request.issue, replies.granted_note(request.group, request.requester))
        self._say(
            request.channel, request.thread_ts, replies.granted(request.issue, request.group, name)
        )

    def _reject(self, request: Request, reviewer: dict[str, Any]) -> None:
        with self._lock:
            self.waiting.pop(request.issue, None)
        reason = self._reason(request.issue)
        name = reviewer.get("displayName", "A reviewer")
        self._say(request.channel, request.thread_ts, replies.rejected(request.issue, name, reason))

    def _reason(self, issue: str) -> str | None:
        """The last comment on the issue that the bot did not write, if Jira says."""
        try:
            comments = self.jira.comments(issue)
        except (Unavailable, ApiError) as error:
            log.warning("reading the comments of %s: %s", issue, error)
            return None
        for comment in reversed(comments):
            author = comment.get("author", {}).get("emailAddress", "")
            if author.lower() != self.jira.email.lower():
                return str(comment.get("body", "")).strip() or None
        return None

    # --- saying things ---------------------------------------------------------------------------
    def _say(self, channel: str, thread_ts: str, text: str) -> None:
        """Reply in the thread; a Slack outage is logged, never raised (nobody to tell)."""
        try:
            self.slack.reply(channel, thread_ts, text)
        except (Unavailable, ApiError, SlackError) as error:
            log.error("could not reply in %s/%s: %s", channel, thread_ts, error)

    def _note(self, issue: str, text: str) -> None:
        try:
            self.jira.comment(issue, text)
        except (Unavailable, ApiError) as error:
            log.warning("could not comment on %s: %s", issue, error)


def _new_status(payload: dict[str, Any]) -> str | None:
    for item in (payload.get("changelog") or {}).get("items", []):
        if item.get("field") == "status":
            return str(item.get("toString", "")).lower()
    return None
