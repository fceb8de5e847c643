"""The site's objects as Jira's JSON, for one API version and one base URL.

``self`` links point at the twin itself (the ``jira`` library follows them to update and delete),
so they are built from the URL the client used. Rich text is plain text in v2 and ADF in v3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from holdout_twins.jira import adf
from holdout_twins.jira.state import (
    Comment,
    Issue,
    IssueType,
    Link,
    LinkType,
    Priority,
    Project,
    Site,
    Status,
    Transition,
    User,
)

AVATAR_SIZES = ("48x48", "24x24", "16x16", "32x32")
# Every field an issue can return, in the order Jira lists them; "*all" means all of these.
ISSUE_FIELDS = (
    "summary",
    "issuetype",
    "project",
    "status",
    "priority",
    "assignee",
    "reporter",
    "creator",
    "created",
    "updated",
    "labels",
    "description",
    "resolution",
    "resolutiondate",
    "statuscategorychangedate",
    "comment",
    "issuelinks",
    "subtasks",
)
ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def jira_time(timestamp: float) -> str:
    """Jira's timestamp format: ``2026-01-01T00:00:00.000+0000``."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass(frozen=True)
class Renderer:
    site: Site
    base_url: str  # "http://127.0.0.1:8701", without a trailing slash
    version: int  # 2 or 3

    @property
    def api(self) -> str:
        return f"{self.base_url}/rest/api/{self.version}"

    def rich_text(self, document: dict[str, Any] | None) -> Any:
        if document is None:
            return None
        return document if self.version == 3 else adf.to_text(document)

    # --- people and configuration -----------------------------------------------------------------
    def user(self, user: User, *, full: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "self": f"{self.api}/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "emailAddress": user.email,
            "avatarUrls": {
                size: f"https://avatar.example/{user.account_id}/{size}.png"
                for size in AVATAR_SIZES
            },
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
            "accountType": "atlassian",
        }
        if full:
            body["locale"] = "en_GB"
            body["groups"] = {"size": 1, "items": []}
            body["applicationRoles"] = {"size": 1, "items": []}
            body["expand"] = "groups,applicationRoles"
        return body

    def user_by_id(self, account_id: str | None) -> dict[str, Any] | None:
        return None if account_id is None else self.user(self.site.users[account_id])

    def issue_type(self, issue_type: IssueType) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issuetype/{issue_type.id}",
            "id": issue_type.id,
            "description": issue_type.description,
            "iconUrl": f"{self.base_url}/images/icons/issuetypes/{issue_type.id}.svg",
            "name": issue_type.name,
            "subtask": False,
            "avatarId": 10300,
            "hierarchyLevel": 0,
        }

    def status(self, status: Status) -> dict[str, Any]:
        category = status.category
        return {
            "self": f"{self.api}/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.base_url}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": {
                "self": f"{self.api}/statuscategory/{category.id}",
                "id": category.id,
                "key": category.key,
                "colorName": category.color,
                "name": category.name,
            },
        }

    def priority(self, priority: Priority) -> dict[str, Any]:
        return {
            "self": f"{self.api}/priority/{priority.id}",
            "iconUrl": f"{self.base_url}/images/icons/priorities/{priority.name.lower()}.svg",
            "name": priority.name,
            "id": priority.id,
        }

    def link_type(self, link_type: LinkType) -> dict[str, Any]:
        return {
            "id": link_type.id,
            "name": link_type.name,
            "inward": link_type.inward,
            "outward": link_type.outward,
            "self": f"{self.api}/issueLinkType/{link_type.id}",
        }

    def project(self, project: Project, *, full: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": f"{self.api}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "avatarUrls": {
                size: f"{self.base_url}/images/avatars/project/{project.id}/{size}.png"
                for size in AVATAR_SIZES
            },
            "projectTypeKey": project.project_type,
            "simplified": False,
            "style": "classic",
            "isPrivate": False,
        }
        if full:
            body["description"] = project.description
            body["lead"] = self.user(self.site.users[project.lead])
            body["issueTypes"] = [self.issue_type(t) for t in self.site.issue_types.values()]
            body["assigneeType"] = "UNASSIGNED"
            body["components"] = []
            body["versions"] = []
            body["roles"] = {}
        return body

    def transition(self, transition: Transition) -> dict[str, Any]:
        return {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(self.site.statuses[transition.to]),
            "hasScreen": False,
            "isGlobal": not transition.sources,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    # --- issues -----------------------------------------------------------------------------------
    def issue_self(self, issue: Issue) -> str:
        return f"{self.api}/issue/{issue.id}"

    def comment(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        return {
            "self": f"{self.issue_self(issue)}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user_by_id(comment.author),
            "body": self.rich_text(comment.body),
            "updateAuthor": self.user_by_id(comment.update_author or comment.author),
            "created": jira_time(comment.created),
            "updated": jira_time(comment.updated),
            "jsdPublic": True,
        }

    def comments_page(
        self, issue: Issue, comments: list[Comment], start: int, limit: int
    ) -> dict[str, Any]:
        return {
            "comments": [self.comment(issue, c) for c in comments],
            "self": f"{self.issue_self(issue)}/comment",
            "maxResults": limit,
            "total": len(issue.comments),
            "startAt": start,
        }

    def linked_issue(self, issue: Issue) -> dict[str, Any]:
        return {
            "id": issue.id,
            "key": issue.key,
            "self": self.issue_self(issue),
            "fields": {
                "summary": issue.summary,
                "status": self.status(self.site.statuses[issue.status]),
                "priority": self.priority(self.site.priorities[issue.priority]),
                "issuetype": self.issue_type(self.site.issue_types[issue.issue_type]),
            },
        }

    def link(self, link: Link, seen_from: Issue | None = None) -> dict[str, Any]:
        """A link; seen from one of its issues, only the other issue is shown."""
        site = self.site
        body: dict[str, Any] = {
            "id": link.id,
            "self": f"{self.api}/issueLink/{link.id}",
            "type": self.link_type(site.link_types[link.type]),
        }
        if seen_from is None or seen_from.id != link.inward:
            body["inwardIssue"] = self.linked_issue(site.issues[link.inward])
        if seen_from is None or seen_from.id != link.outward:
            body["outwardIssue"] = self.linked_issue(site.issues[link.outward])
        return body

    def issue(self, issue: Issue, fields: list[str] | None = None) -> dict[str, Any]:
        """An issue with ``fields`` (None: all of them; ``[]``: only id and key)."""
        body: dict[str, Any] = {
            "expand": ISSUE_EXPAND,
            "id": issue.id,
            "self": self.issue_self(issue),
            "key": issue.key,
        }
        wanted = ISSUE_FIELDS if fields is None else [f for f in fields if f in ISSUE_FIELDS]
        if fields is None or wanted:
            body["fields"] = {name: self.field(issue, name) for name in wanted}
        return body

    def field(self, issue: Issue, name: str) -> Any:
        site = self.site
        if name == "summary":
            return issue.summary
        if name == "description":
            return self.rich_text(issue.description)
        if name == "issuetype":
            return self.issue_type(site.issue_types[issue.issue_type])
        if name == "project":
            return self.project(site.projects[issue.project])
        if name == "status":
            return self.status(site.statuses[issue.status])
        if name == "priority":
            return self.priority(site.priorities[issue.priority])
        if name == "assignee":
            return self.user_by_id(issue.assignee)
        if name in ("reporter", "creator"):
            return self.user_by_id(issue.reporter)
        if name == "created":
            return jira_time(issue.created)
        if name in ("updated", "statuscategorychangedate"):
            return jira_time(issue.updated)
        if name == "labels":
            return list(issue.labels)
        if name == "resolution":
            if issue.resolved is None:
                return None
            return {"self": f"{self.api}/resolution/{site.resolution['id']}", **site.resolution}
        if name == "resolutiondate":
            return None if issue.resolved is None else jira_time(issue.resolved)
        if name == "comment":
            return self.comments_page(issue, issue.comments, 0, len(issue.comments))
        if name == "issuelinks":
            return [self.link(link, issue) for link in site.links_of(issue)]
        return []  # subtasks: the twin has none
