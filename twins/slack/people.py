"""People in the Slack workspace acting through the twin: ``slack.act_as("alice")``.

Each action is the Web API call their Slack client would make, with their user token's rights,
so the app under test receives the events it would receive from a real workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from holdout_twins.core import Person, UnknownPerson

if TYPE_CHECKING:
    from holdout_twins.slack.twin import SlackTwin


class SlackPerson(Person):
    """A member of the workspace, found by user id, name or email."""

    actions = frozenset({"post_message", "react", "join", "invite"})
    twin: SlackTwin

    @classmethod
    def find(cls, twin: SlackTwin, who: str) -> str:  # type: ignore[override]
        workspace = twin.state
        if who in workspace.users:
            return who
        by_email = workspace.user_by_email(who)
        if by_email is not None:
            return by_email.id
        for user in workspace.users.values():
            if user.name == who.removeprefix("@"):
                return user.id
        raise UnknownPerson(f"no Slack user {who!r}")

    def post_message(self, channel: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
        """Post ``text`` to ``channel`` (id or ``#name``), in a thread if ``thread_ts``."""
        params = {"channel": channel, "text": text}
        if thread_ts is not None:
            params["thread_ts"] = thread_ts
        return self.call("POST", "/api/chat.postMessage", params)

    def react(self, channel: str, ts: str, name: str) -> dict[str, Any]:
        """Add the reaction ``name`` (``"thumbsup"``) to the message ``ts``."""
        params = {"channel": channel, "timestamp": ts, "name": name}
        return self.call("POST", "/api/reactions.add", params)

    def join(self, channel: str) -> dict[str, Any]:
        return self.call("POST", "/api/conversations.join", {"channel": channel})

    def invite(self, channel: str, users: Iterable[str]) -> dict[str, Any]:
        """Invite ``users`` (ids) to ``channel``."""
        params = {"channel": channel, "users": ",".join(users)}
        return self.call("POST", "/api/conversations.invite", params)
