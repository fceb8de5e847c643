"""People in the Okta org acting through the twin: ``okta.act_as("admin@twin-org.example")``.

An admin's actions in the Admin Console are the Management API calls it makes, with that
person's rights, so the app under test receives the event hooks a real org would send it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.core import Person, UnknownPerson

if TYPE_CHECKING:
    from holdout_twins.okta.twin import OktaTwin

USERS, GROUPS = "/api/v1/users", "/api/v1/groups"


class OktaPerson(Person):
    """A user of the org (an admin, usually), found by id, login or login short name."""

    actions = frozenset(
        {
            "create_user",
            "activate",
            "deactivate",
            "suspend",
            "unsuspend",
            "delete",
            "add_to_group",
            "remove_from_group",
        }
    )
    twin: OktaTwin

    @classmethod
    def find(cls, twin: OktaTwin, who: str) -> str:  # type: ignore[override]
        user = twin.state.find_user(who)
        if user is None:
            raise UnknownPerson(f"no Okta user {who!r}")
        return user.id

    def create_user(self, profile: dict[str, Any], activate: bool = True) -> dict[str, Any]:
        return self.call("POST", f"{USERS}?activate={str(activate).lower()}", {"profile": profile})

    def activate(self, user: str) -> dict[str, Any]:
        return self.call("POST", f"{USERS}/{user}/lifecycle/activate?sendEmail=false")

    def deactivate(self, user: str) -> None:
        self.call("POST", f"{USERS}/{user}/lifecycle/deactivate")

    def suspend(self, user: str) -> None:
        self.call("POST", f"{USERS}/{user}/lifecycle/suspend")

    def unsuspend(self, user: str) -> None:
        self.call("POST", f"{USERS}/{user}/lifecycle/unsuspend")

    def delete(self, user: str) -> None:
        """Deactivate ``user``, or delete them if they are deactivated already (as Okta does)."""
        self.call("DELETE", f"{USERS}/{user}")

    def add_to_group(self, group: str, user: str) -> None:
        """Add ``user`` (id or login) to ``group`` (id or name)."""
        self.call("PUT", f"{GROUPS}/{self._group(group)}/users/{self._user(user)}")

    def remove_from_group(self, group: str, user: str) -> None:
        self.call("DELETE", f"{GROUPS}/{self._group(group)}/users/{self._user(user)}")

    def _group(self, group: str) -> str:
        for found in self.twin.state.groups.values():
            if group in (found.id, found.name):
                return found.id
        return group  # unknown: the API answers Okta's 404

    def _user(self, user: str) -> str:
        found = self.twin.state.find_user(user)
        return found.id if found else user
