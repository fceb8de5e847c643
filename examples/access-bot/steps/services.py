"""The services misbehaving: rate limits and outages, set on the twins; and the bot surviving.

An injected 429 carries ``Retry-After: 1``; a rate limit set with ``rate_limits.set`` answers 429
with the seconds left in its window (real time), so a client that does not wait is refused again.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from pytest_holdout import parsers, step, then
from steps.world import Story, email, okta_group

# The operation each step's words name, in the twins' journal names.
OPERATIONS = {
    ("Slack", "reply"): ("slack", "chat.postMessage"),
    ("Jira", "new issue"): ("jira", "issue.create"),
    ("Okta", "group change"): ("okta", "assignUserToGroup"),
}


@step(parsers.parse("{service} answers the bot's next {what} with a rate limit"))
def next_call_limited(twins: Any, service: str, what: str) -> None:
    name, operation = OPERATIONS[(service, what)]
    twins[name].faults.add(operation, status=429, times=1)


@step(parsers.parse("Okta allows one group change every {seconds:d} seconds"))
def okta_limit(okta: Any, seconds: int) -> None:
    okta.rate_limits.set("assignUserToGroup", 1, per=float(seconds))


@step(parsers.parse("another tool has just used the bot's Okta token to add {person} to {group}"))
def another_tool(okta: Any, person: str, group: str) -> None:
    """A real call over HTTP with the bot's token: Okta counts it against the same limit."""
    with okta.lock:
        group_id = okta_group(okta, group).id
        user_id = okta.state.find_user(email(person)).id
    request = urllib.request.Request(
        f"{okta.base_url}/api/v1/groups/{group_id}/users/{user_id}",
        method="PUT",
        headers={"Authorization": f"SSWS {okta.token}"},
    )
    urllib.request.urlopen(request, timeout=10).close()


@step(parsers.parse("{service} is down"))
def down(twins: Any, service: str) -> None:
    twins[service.lower()].faults.add(status=503)


@step("Slack fails every reply of the bot")
def slack_refuses_replies(slack: Any) -> None:
    slack.faults.add("chat.postMessage", status=500)


@step(parsers.parse("{service} is back"))
def back(twins: Any, service: str) -> None:
    twins[service.lower()].faults.clear()


@then(parsers.parse("{service} refused at most {count:d} of the bot's {what}s"))
def refused_at_most(twins: Any, service: str, count: int, what: str) -> None:
    name, operation = OPERATIONS[(service, what)]
    refused = [call for call in twins[name].journal.calls(operation) if call.status == 429]
    assert len(refused) <= count, f"{service} refused {len(refused)} {operation} calls"


@then(parsers.parse("the bot made {count:d} {what}(s) in {service}"))
def calls_made(twins: Any, count: int, what: str, service: str) -> None:
    name, operation = OPERATIONS[(service, what)]
    done = [call for call in twins[name].journal.calls(operation) if call.status < 300]
    assert len(done) == count, f"{len(done)} successful {operation} calls"


@then("the bot is still running")
def still_running(story: Story) -> None:
    assert story.bot.returncode is None, f"the bot exited with status {story.bot.returncode}"
    try:  # any HTTP answer will do: the bot still serves (a refused connection raises)
        urllib.request.urlopen(f"{story.url}/slack/events", timeout=10).close()
    except urllib.error.HTTPError as error:
        error.close()
