"""The Jira Cloud site a twin holds: users, projects, the workflow, issues, comments and links.

Rich text (descriptions, comment bodies) is kept in Atlassian Document Format, the form v3
speaks; v2 reads and writes it as plain text through ``adf``. Objects are rendered to JSON by
``render``, which knows the API version and the site's URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    account_id: str
    email: str
    display_name: str
    active: bool = True
    time_zone: str = "Europe/London"

    def matches(self, value: str) -> bool:
        """Whether ``value`` names this user: account id, email or display name (JQL, search)."""
        wanted = value.strip().lower()
        return wanted in (self.account_id.lower(), self.email.lower(), self.display_name.lower())


@dataclass
class IssueType:
    id: str
    name: str
    description: str = ""


@dataclass
class StatusCategory:
    id: int
    key: str  # "new", "indeterminate" or "done"
    name: str
    color: str


@dataclass
class Status:
    id: str
    name: str
    category: StatusCategory


@dataclass
class Transition:
    """A workflow transition. ``sources`` empty means global: available from every other status."""

    id: str
    name: str
    to: str  # status id
    sources: list[str] = field(default_factory=list)

    def available_from(self, status: str) -> bool:
        if self.to == status:
            return False
        return not self.sources or status in self.sources


@dataclass
class Priority:
    id: str
    name: str


@dataclass
class LinkType:
    id: str
    name: str
    inward: str  # "is blocked by"
    outward: str  # "blocks"


@dataclass
class Project:
    id: str
    key: str
    name: str
    lead: str  # account id
    description: str = ""
    project_type: str = "software"


@dataclass
class Comment:
    id: str
    author: str
    body: dict[str, Any]  # ADF document
    created: float
    updated: float
    update_author: str = ""


@dataclass
class Issue:
    id: str
    key: str
    project: str  # project id
    issue_type: str  # issue type id
    summary: str
    reporter: str
    status: str  # status id
    priority: str  # priority id
    created: float
    updated: float
    description: dict[str, Any] | None = None  # ADF document
    assignee: str | None = None
    labels: list[str] = field(default_factory=list)
    resolved: float | None = None  # when it moved into a "done" status
    comments: list[Comment] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass
class Link:
    """A link as created: ``POST /issueLink`` with ``inwardIssue`` A and ``outwardIssue`` B.

    A shows it with ``outwardIssue: B`` (A "blocks" B), B with ``inwardIssue: A``.
    """

    id: str
    type: str  # link type id
    inward: str  # issue id
    outward: str  # issue id


@dataclass
class Webhook:
    """An admin webhook (``/rest/webhooks/1.0/webhook``): where Jira posts which events."""

    id: int
    name: str
    url: str
    events: list[str]  # "jira:issue_created", "comment_created", ...
    jql: str | None = None  # only issues this JQL matches (the "issue-related events" filter)
    exclude_body: bool = False  # post no JSON, only the event's headers
    secret: str | None = None  # signs each request: X-Hub-Signature: sha256=<HMAC of the body>
    enabled: bool = True
    last_updated: float = 0.0
    last_updated_user: str = ""  # account id


@dataclass
class Site:
    """The whole state of a Jira twin."""

    title: str
    version: str
    version_numbers: list[int]
    build_number: int
    account: str  # who ``twin.token`` acts as
    users: dict[str, User] = field(default_factory=dict)  # by account id
    projects: dict[str, Project] = field(default_factory=dict)  # by id
    issue_types: dict[str, IssueType] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    priorities: dict[str, Priority] = field(default_factory=dict)
    default_priority: str = ""
    initial_status: str = ""
    resolution: dict[str, str] = field(default_factory=dict)  # set on entering a "done" status
    link_types: dict[str, LinkType] = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)  # by id, in creation order
    links: dict[str, Link] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)

    # --- finding things (None when absent; the routes turn that into Jira's 404 or 400) --------
    def project(self, id_or_key: str) -> Project | None:
        wanted = str(id_or_key).strip()
        for project in self.projects.values():
            if wanted in (project.id, project.key) or wanted.upper() == project.key:
                return project
        return None

    def project_by_name(self, value: str) -> Project | None:
        """A project by id, key or name, as JQL's ``project = ...`` accepts it."""
        found = self.project(value)
        if found is None:
            found = next(
                (p for p in self.projects.values() if p.name.lower() == value.strip().lower()),
                None,
            )
        return found

    def issue(self, id_or_key: str) -> Issue | None:
        wanted = str(id_or_key).strip()
        if wanted in self.issues:
            return self.issues[wanted]
        return next((i for i in self.issues.values() if i.key == wanted.upper()), None)

    def status(self, id_or_name: str) -> Status | None:
        wanted = str(id_or_name).strip().lower()
        return next(
            (s for s in self.statuses.values() if wanted in (s.id, s.name.lower())),
            None,
        )

    def user(self, value: str) -> User | None:
        return next((u for u in self.users.values() if u.matches(value)), None)

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    def links_of(self, issue: Issue) -> list[Link]:
        return [link for link in self.links.values() if issue.id in (link.inward, link.outward)]

    def remove_issue(self, issue: Issue) -> None:
        """Delete an issue and the links that touch it."""
        for link in self.links_of(issue):
            del self.links[link.id]
        del self.issues[issue.id]
