"""Reviewers deciding in Jira, and what Jira and Okta hold afterwards.

Reviewers act through the Jira twin (``jira.act_as``), so the bot gets the webhooks a real site
sends; group memberships are read from the Okta twin as its admin would read them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from pytest_holdout import parsers, step, then
from steps.asking import next_reply, post
from steps.world import Story, email, eventually, okta_group

ISSUE_KEY = re.compile(r"\bACCESS-\d+\b")
JIRA_API = "/rest/api/2"


def _issues(jira: Any) -> list[dict[str, Any]]:
    found = jira.act_as(email("bob")).call(
        "POST", f"{JIRA_API}/search", {"jql": "project = ACCESS ORDER BY created ASC"}
    )
    return found["issues"]


def _issue(story: Story) -> str:
    assert story.issue, "no issue was opened for the request"
    return story.issue


@then("the bot replies in the thread with the issue's key")
def replies_with_key(story: Story, slack: Any, jira: Any) -> None:
    reply = next_reply(story, slack)
    named = ISSUE_KEY.search(reply)
    assert named, f"the reply {reply!r} names no ACCESS issue"
    keys = [issue["key"] for issue in _issues(jira)]
    assert named.group() in keys, f"the reply names {named.group()}, Jira has {keys}"
    story.issue = named.group()


@step("the bot has opened the request's issue")
def request_opened(story: Story, slack: Any, jira: Any) -> None:
    replies_with_key(story, slack, jira)


@then(parsers.parse("one issue is open in ACCESS for {person:w} to join {group}"))
def one_issue(jira: Any, person: str, group: str) -> None:
    issues = eventually(lambda: _issues(jira), lambda: "no issue was opened in ACCESS")
    assert len(issues) == 1, f"{len(issues)} issues in ACCESS: {[i['key'] for i in issues]}"
    fields = issues[0]["fields"]
    text = f"{fields['summary']}\n{fields.get('description') or ''}"
    assert group.lower() in text.lower(), f"the issue does not name {group}: {text!r}"
    assert email(person) in text.lower(), f"the issue does not name {email(person)}: {text!r}"
    assert fields["status"]["name"] == "To Do", fields["status"]["name"]


@then(parsers.parse('the issue gives the reason "{reason}"'))
def issue_reason(jira: Any, reason: str) -> None:
    (issue,) = _issues(jira)
    description = issue["fields"].get("description") or ""
    assert reason.lower() in description.lower(), f"no reason {reason!r} in {description!r}"


@then("no issue is opened")
def no_issue(jira: Any) -> None:
    keys = [issue["key"] for issue in _issues(jira)]
    assert keys == [], f"the bot opened {keys}"


@step(parsers.parse("{person:w} approves the request"))
def approves(story: Story, jira: Any, person: str) -> None:
    jira.act_as(email(person)).transition(_issue(story), "Approved")
    jira.deliveries.wait()


@step(parsers.parse('{person:w} rejects the request saying "{reason}"'))
def rejects_with_reason(story: Story, jira: Any, person: str, reason: str) -> None:
    reviewer = jira.act_as(email(person))
    reviewer.comment(_issue(story), reason)
    reviewer.transition(_issue(story), "Rejected")
    jira.deliveries.wait()


@step(parsers.parse("{person:w} rejects the request without a reason"))
def rejects(story: Story, jira: Any, person: str) -> None:
    jira.act_as(email(person)).transition(_issue(story), "Rejected")
    jira.deliveries.wait()


@step(parsers.parse("{person:w} moves the request back to To Do"))
def back_to_do(story: Story, jira: Any, person: str) -> None:
    jira.act_as(email(person)).transition(_issue(story), "To Do")
    jira.deliveries.wait()


@step(parsers.parse("someone forges a Jira webhook in which {person:w} approves the request"))
def forged_approval(story: Story, jira: Any, person: str) -> None:
    with jira.lock:
        user = jira.state.user(email(person))
    payload = {
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {
            "accountId": user.account_id,
            "emailAddress": user.email,
            "displayName": user.display_name,
        },
        "issue": {"key": _issue(story)},
        "changelog": {
            "items": [{"field": "status", "fromString": "To Do", "toString": "Approved"}]
        },
    }
    body = json.dumps(payload).encode()
    forged = hmac.new(b"a guess at the secret", body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature": f"sha256={forged}"}
    story.status = post(f"{story.url}/jira/webhook", body, headers)


# --- Okta ----------------------------------------------------------------------------------------
def _members(okta: Any, group: str) -> list[str]:
    with okta.lock:
        return [user.login for user in okta.state.members(okta_group(okta, group))]


@then(parsers.parse("{person:w} is in {group}"))
def is_member(okta: Any, person: str, group: str) -> None:
    members = _members(okta, group)
    assert email(person) in members, f"{group} holds {members}"


@then(parsers.parse("{person:w} is not in {group}"))
def is_not_member(okta: Any, person: str, group: str) -> None:
    members = _members(okta, group)
    assert email(person) not in members, f"{group} holds {members}"
