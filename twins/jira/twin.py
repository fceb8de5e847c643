"""The Jira twin: basic auth with API tokens, Jira's error shape and burst rate limits."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from holdout_twins.core import (
    ALNUM,
    LimitStatus,
    RateLimit,
    Request,
    Response,
    ServiceError,
    Twin,
    check_url,
    json_response,
)
from holdout_twins.jira import (
    adf,
    webhook_routes,  # noqa: F401 (registers the webhook admin API)
)
from holdout_twins.jira.errors import GENERIC_ERRORS, jira_error
from holdout_twins.jira.people import JiraPerson
from holdout_twins.jira.routes import router
from holdout_twins.jira.state import (
    Comment,
    Issue,
    IssueType,
    LinkType,
    Priority,
    Project,
    Site,
    Status,
    StatusCategory,
    Transition,
    User,
    Webhook,
)

# Jira's three fixed status categories.
CATEGORIES = {
    "new": StatusCategory(2, "new", "To Do", "blue-gray"),
    "indeterminate": StatusCategory(4, "indeterminate", "In Progress", "yellow"),
    "done": StatusCategory(3, "done", "Done", "green"),
}
# Jira Cloud's burst limits apply per endpoint and HTTP method, per second. Atlassian does not
# publish the figures (they are "dynamic"); these are the twin's, generous enough for any client.
READ, WRITE = RateLimit(100, 1.0), RateLimit(50, 1.0)
NEAR_LIMIT = 0.2  # X-RateLimit-NearLimit: true once fewer than 20 % of the requests remain

NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
BAD_CREDENTIALS = "Client must be authenticated to access this resource."


class JiraTwin(Twin):
    """Jira Cloud's REST API, v2 and v3 (and ``latest``) over one state.

    Authenticate as Jira Cloud does, with basic auth: the account's email and an API token.
    ``twin.credentials()`` gives the pair for ``twin.token``::

        JIRA(server=twin.base_url, basic_auth=twin.credentials())
    """

    name = "jira"
    router = router
    person_class = JiraPerson
    api_description = "jira-platform-openapi-v3.json"
    seed_path = Path(__file__).with_name("seed.yaml")
    default_rate_limits: ClassVar[dict[str, RateLimit]] = {
        route.name: READ if "GET" in route.methods else WRITE for route in router.routes
    }
    state: Site

    # --- state ------------------------------------------------------------------------------------
    def build_state(self, seed_data: dict[str, Any]) -> Site:
        info = seed_data["site"]
        site = Site(
            info["title"],
            info["version"],
            list(info["version_numbers"]),
            int(info["build_number"]),
            account=str(seed_data["account"]),
            default_priority=str(seed_data["default_priority"]),
            initial_status=str(seed_data["initial_status"]),
            resolution={k: str(v) for k, v in seed_data["resolution"].items()},
        )
        for fields in seed_data["users"]:
            site.users[fields["account_id"]] = User(**fields)
        for fields in seed_data["issue_types"]:
            site.issue_types[str(fields["id"])] = IssueType(**{**fields, "id": str(fields["id"])})
        for fields in seed_data["statuses"]:
            status_id = str(fields["id"])
            site.statuses[status_id] = Status(
                status_id, fields["name"], CATEGORIES[fields["category"]]
            )
        for fields in seed_data["transitions"]:
            site.transitions.append(
                Transition(
                    str(fields["id"]),
                    fields["name"],
                    str(fields["to"]),
                    [str(source) for source in fields.get("from", [])],
                )
            )
        for fields in seed_data["priorities"]:
            site.priorities[str(fields["id"])] = Priority(str(fields["id"]), fields["name"])
        for fields in seed_data["link_types"]:
            site.link_types[str(fields["id"])] = LinkType(**{**fields, "id": str(fields["id"])})
        for fields in seed_data["projects"]:
            fields = dict(fields)
            issues = fields.pop("issues", [])
            project = Project(**{**fields, "id": str(fields["id"])})
            site.projects[project.id] = project
            for seeded in issues:
                self._seed_issue(site, project, seeded)
        for fields in seed_data.get("webhooks", []):  # registered before the test, by an admin
            webhook = Webhook(self.ids.next("webhook"), last_updated_user=site.account, **fields)
            check_url(webhook.url)
            site.webhooks[webhook.id] = webhook
        return site

    def _seed_issue(self, site: Site, project: Project, seeded: dict[str, Any]) -> None:
        issue_type = next(t for t in site.issue_types.values() if t.name == seeded["type"])
        reporter = site.user_by_email(seeded["reporter"]) if "reporter" in seeded else None
        assignee = site.user_by_email(seeded["assignee"]) if "assignee" in seeded else None
        issue = self.new_issue(
            site,
            project,
            issue_type.id,
            seeded["summary"],
            (reporter or site.users[project.lead]).account_id,
        )
        issue.assignee = assignee.account_id if assignee else None
        issue.labels = list(seeded.get("labels", []))
        if "description" in seeded:
            issue.description = adf.from_text(seeded["description"])
        if "priority" in seeded:
            issue.priority = next(
                p.id for p in site.priorities.values() if p.name == seeded["priority"]
            )
        if "status" in seeded:
            status = site.status(seeded["status"])
            if status is None:
                raise ValueError(f"unknown status {seeded['status']!r}")
            self.move(site, issue, status)
        for comment in seeded.get("comments", []):
            author = site.user_by_email(comment["author"])
            if author is None:
                raise ValueError(f"unknown comment author {comment['author']!r}")
            self.add_comment(issue, author.account_id, adf.from_text(comment["body"]))

    # --- used by the handlers and the seed --------------------------------------------------------
    def new_issue(
        self, site: Site, project: Project, issue_type: str, summary: str, reporter: str
    ) -> Issue:
        """A new issue in ``project``, in the workflow's initial status, with the next key."""
        now = self.clock.now()
        issue = Issue(
            id=str(10000 + self.ids.next("issue")),
            key=f"{project.key}-{self.ids.next(f'issue:{project.key}')}",
            project=project.id,
            issue_type=issue_type,
            summary=summary,
            reporter=reporter,
            status=site.initial_status,
            priority=site.default_priority,
            created=now,
            updated=now,
        )
        site.issues[issue.id] = issue
        return issue

    def add_comment(self, issue: Issue, author: str, body: dict[str, Any]) -> Comment:
        now = self.clock.now()
        comment = Comment(str(10000 + self.ids.next("comment")), author, body, now, now)
        issue.comments.append(comment)
        issue.updated = now
        return comment

    def move(self, site: Site, issue: Issue, status: Status) -> None:
        """Put ``issue`` in ``status``; entering a done status resolves it, leaving unresolves."""
        issue.status = status.id
        issue.updated = self.clock.now()
        if status.category.key == "done":
            issue.resolved = issue.resolved or issue.updated
        else:
            issue.resolved = None

    def url_for(self, request: Request) -> str:
        """The site's URL as the client addressed it: links in answers point back there."""
        return self.origin(request)

    # --- hooks ------------------------------------------------------------------------------------
    def default_principal(self) -> str:
        return self.state.account

    def new_token(self, principal: Any) -> str:
        """An Atlassian API token: ``ATATT3xFfGF0`` then random characters and a checksum."""
        body = self.ids.string(180, ALNUM + "-_")
        return f"ATATT3xFfGF0{body}={self.ids.string(8, '0123456789ABCDEF')}"

    def credentials(self, token: str | None = None) -> tuple[str, str]:
        """``(email, api_token)`` for basic auth: ``token`` (default ``twin.token``) and the email
        of the account it was issued to."""
        token = token or self.token
        return self.state.users[self.tokens[token]].email, token

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        pair = ":".join(self.credentials(token)).encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def serve_credentials(self) -> str:
        """``email:token``, as ``curl -u`` and every basic-auth client take it."""
        return ":".join(self.credentials())

    def authenticate(self, request: Request) -> str:
        """Basic auth with the account's email and an API token the twin issued to it."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if not scheme:
            raise jira_error(401, NOT_AUTHENTICATED)
        try:
            email, _, token = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            email, token = "", ""
        account = self.tokens.get(token) if scheme.lower() == "basic" else None
        if account is None or self.state.users[account].email.lower() != email.lower():
            raise jira_error(401, BAD_CREDENTIALS, X_Seraph_LoginReason="AUTHENTICATED_FAILED")
        return account

    def error_response(self, error: ServiceError) -> Response:
        body: dict[str, Any] = {"errorMessages": [], "errors": {}}
        status = error.status
        if error.code in GENERIC_ERRORS:
            mapped, message = GENERIC_ERRORS[error.code]
            status = status if mapped is None else mapped
            body["errorMessages"] = [message.format(message=error.message)]
        body.update(error.extra)
        return json_response(body, status, error.headers)

    def rate_limit_headers(self, status: LimitStatus) -> dict[str, str]:
        reset = datetime.fromtimestamp(status.reset, tz=timezone.utc)
        headers = {
            "X-RateLimit-Limit": str(status.limit),
            "X-RateLimit-Remaining": str(status.remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
            "X-RateLimit-NearLimit": str(status.remaining < status.limit * NEAR_LIMIT).lower(),
        }
        if status.limited:
            headers["RateLimit-Reason"] = "jira-burst-based"
        return headers
