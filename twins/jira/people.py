"""People on the Jira site acting through the twin: ``jira.act_as("alice@twin.example")``.

Each action is the REST call Jira's own web app makes for that person, with their rights, so
the app under test receives the webhooks a real site would send it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.core import ActionRefused, Person, UnknownPerson

if TYPE_CHECKING:
    from holdout_twins.jira.twin import JiraTwin

API = "/rest/api/2"


class JiraPerson(Person):
    """A user of the site, found by account id, email or display name."""

    actions = frozenset({"create_issue", "edit", "assign", "transition", "comment"})
    twin: JiraTwin

    @classmethod
    def find(cls, twin: JiraTwin, who: str) -> str:  # type: ignore[override]
        user = twin.state.user(who)
        if user is None:
            raise UnknownPerson(f"no Jira user {who!r}")
        return user.account_id

    def create_issue(
        self, project: str, summary: str, issue_type: str = "Task", description: str | None = None
    ) -> dict[str, Any]:
        """A new issue; answers ``{"id", "key", "self"}``."""
        fields: dict[str, Any] = {
            "project": {"key": project},
            "summary": summary,
            "issuetype": {"name": issue_type},
        }
        if description is not None:
            fields["description"] = description
        return self.call("POST", f"{API}/issue", {"fields": fields})

    def edit(self, issue: str, fields: dict[str, Any]) -> None:
        """Set ``fields`` as the edit screen does (``{"summary": "...", "labels": [...]}``)."""
        self.call("PUT", f"{API}/issue/{issue}", {"fields": fields})

    def assign(self, issue: str, assignee: str | None) -> None:
        """Assign ``issue`` to a user (account id, email or name), or unassign with None."""
        account = None if assignee is None else self.find(self.twin, assignee)
        self.call("PUT", f"{API}/issue/{issue}/assignee", {"accountId": account})

    def transition(self, issue: str, to: str) -> None:
        """Move ``issue`` along the workflow by a transition's name or its target status's."""
        available = self.call("GET", f"{API}/issue/{issue}/transitions")["transitions"]
        wanted = to.strip().lower()
        for transition in available:
            if wanted in (transition["name"].lower(), transition["to"]["name"].lower()):
                self.call("POST", f"{API}/issue/{issue}/transitions", {"transition": transition})
                return
        names = ", ".join(t["name"] for t in available)
        raise ActionRefused(f"jira refused to move {issue} to {to!r} (available: {names})")

    def comment(self, issue: str, text: str) -> dict[str, Any]:
        return self.call("POST", f"{API}/issue/{issue}/comment", {"body": text})
