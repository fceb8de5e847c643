"""Everything the bot says in Slack and writes in Jira, in one place."""

from __future__ import annotations

from access_bot.services import Person

HOW_TO_ASK = "Ask me like this: `@access-bot access to GROUP because REASON`."


def help_text() -> str:
    return f"I open access requests for Okta groups. {HOW_TO_ASK}"


def ask_for_reason(group: str) -> str:
    return f"Why do you need access to {group}? {HOW_TO_ASK}"


def no_such_group(group: str) -> str:
    return f"There is no Okta group called {group}, so I opened nothing."


def no_okta_account(email: str) -> str:
    return f"I found no Okta account for {email or 'your Slack profile'}, so I opened nothing."


def account_not_active(status: str) -> str:
    return f"Your Okta account is {status.lower()}, not active, so I opened nothing."


def already_member(group: str) -> str:
    return f"You are already in {group}: there is nothing to request."


def opened(issue: str, group: str) -> str:
    return f"I opened {issue} for your access to {group}. A reviewer will decide in Jira."


def granted(issue: str, group: str, reviewer: str) -> str:
    return f"{reviewer} approved {issue}: you are now in {group}."


def rejected(issue: str, reviewer: str, reason: str | None) -> str:
    if reason:
        return f"{reviewer} rejected {issue}: {reason}"
    return f"{reviewer} rejected {issue} and gave no reason."


def own_approval(issue: str) -> str:
    return (
        f"{issue} was approved by the person who asked for it, which does not count: "
        "another reviewer must approve it."
    )


def unavailable(service: str, doing: str) -> str:
    return f"Sorry, {service} is not answering, so I could not {doing}. Please try again later."


def grant_failed(issue: str, group: str, reviewer: str, service: str) -> str:
    return (
        f"{reviewer} approved {issue}, but {service} is not answering, so you are not in "
        f"{group} yet. Moving {issue} to Approved again will retry."
    )


def issue_summary(group: str, requester: Person) -> str:
    return f"Access to {group} for {requester.name}"


def issue_description(group: str, reason: str, requester: Person, link: str) -> str:
    return (
        f"{requester.name} ({requester.email}) asks to join the Okta group {group}.\n\n"
        f"Reason: {reason}\n\n"
        f"Asked in Slack: {link}\n\n"
        "Move this issue to Approved to grant it, or to Rejected (with a comment saying why)."
    )


def granted_note(group: str, requester: Person) -> str:
    return f"access-bot added {requester.email} to {group} in Okta."
