"""People acting through a twin: what a user does in the service's own app, done by a step.

``slack.act_as("alice").post_message("C0GENERAL1", "hi")`` changes the twin's state as Alice's
Slack client would, and the app under test receives the events a real workspace would send it.
Actions run the twin's own handlers in process (``Twin.perform``), so the service's rules and
errors apply; they are not the app's calls, so they skip the journal, rate limits and faults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from holdout_twins.core.twin import Twin


class ActionRefused(Exception):
    """The twin refused what a person tried to do; the message has the service's error."""


class UnknownPerson(LookupError):
    """No one by that name, id or email in the twin's state."""


class Person:
    """Someone acting through ``twin``. A twin's subclass adds the actions (methods) and lists
    them in ``actions``, which the control endpoint may call (``POST /_twin/act``)."""

    actions: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, twin: Twin, principal: Any) -> None:
        self.twin = twin
        self.principal = principal

    @classmethod
    def find(cls, twin: Twin, who: str) -> Any:
        """The principal ``who`` names (an id, a login, an email); ``UnknownPerson`` if none."""
        raise NotImplementedError(f"{cls.__name__} must say how to find a person")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """``method path`` with a JSON ``body``, as this person; the answer's JSON."""
        return self.twin.perform(self.principal, method, path, body)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.principal!r})"
