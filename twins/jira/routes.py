"""The Jira Cloud REST operations the twin implements, under ``/rest/api/{2,3,latest}/``.

Every operation is served at all three versions over the same state; only the rich-text format
differs (plain text in v2 and ``latest``, Atlassian Document Format in v3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from holdout_twins.core import (
    JSON_TYPE,
    Generic,
    Request,
    Response,
    Router,
    ServiceError,
    decode_cursor,
    encode_cursor,
    json_response,
    page,
)
from holdout_twins.jira import jql, webhooks
from holdout_twins.jira.errors import field_errors, jira_error, not_found
from holdout_twins.jira.fields import apply_changes, field_changes, reference, rich_text
from holdout_twins.jira.render import ISSUE_FIELDS, Renderer, jira_time
from holdout_twins.jira.state import Comment, Issue, Link

if TYPE_CHECKING:
    from holdout_twins.jira.twin import JiraTwin

router = Router()
VERSIONS = {"2": 2, "latest": 2, "3": 3}
MAX_SEARCH_RESULTS = 100
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)


def api(
    method: str, path: str, name: str, **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register one operation at every API version."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        for version in VERSIONS:
            router.route(f"/rest/api/{version}/{path}", (method,), name=name, **options)(handler)
        return handler

    return register


# --- reading requests -----------------------------------------------------------------------------
def version(request: Request) -> int:
    return VERSIONS[request.path.split("/")[3]]


def renderer(twin: JiraTwin, request: Request) -> Renderer:
    """Renders for the version in the path, with links to the host the client called."""
    return Renderer(twin.state, twin.url_for(request), version(request))


def body(request: Request) -> dict[str, Any]:
    """The JSON object a write operation needs. Jira reads only JSON."""
    if request.content_type != JSON_TYPE:
        raise ServiceError(415, Generic.UNSUPPORTED_MEDIA_TYPE, request.content_type)
    data = request.json()
    if data is None:
        raise jira_error(400, "No content to map to Object due to end of input")
    if not isinstance(data, dict):
        raise ServiceError(400, Generic.JSON_NOT_OBJECT, "not an object")
    return data


def number(params: dict[str, Any], name: str, default: int, maximum: int) -> int:
    """An integer parameter (query string or JSON body), clamped to ``0..maximum``."""
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return max(0, min(int(value), maximum))
    except (TypeError, ValueError):
        raise jira_error(400, f"The '{name}' parameter must be an integer.") from None


def requested_fields(value: Any, default: list[str] | None) -> list[str] | None:
    """The ``fields`` parameter: None means every field ("*all", "*navigable")."""
    if value in (None, "", []):
        return default
    values = [value] if isinstance(value, str) else [str(v) for v in value]
    names = [name for text in values for name in text.split(",")]
    names = [name.strip() for name in names if name.strip()]
    if any(name in ("*all", "*navigable") for name in names):
        return None
    return [name for name in names if not name.startswith("-")]


def find_issue(twin: JiraTwin, key: str) -> Issue:
    issue = twin.state.issue(key)
    if issue is None:
        raise not_found(ISSUE_NOT_FOUND)
    return issue


# --- the site, people and configuration -----------------------------------------------------------
@api("GET", "serverInfo", "serverInfo", auth=False)
def server_info(twin: JiraTwin, request: Request) -> dict[str, Any]:
    if request.headers.get("authorization"):  # anonymous is fine, wrong credentials are not
        twin.authenticate(request)
    site = twin.state
    return {
        "baseUrl": renderer(twin, request).base_url,
        "version": site.version,
        "versionNumbers": site.version_numbers,
        "deploymentType": "Cloud",
        "buildNumber": site.build_number,
        "buildDate": jira_time(twin.clock.now()),
        "serverTime": jira_time(twin.clock.now()),
        "scmInfo": "twin",
        "serverTitle": site.title,
    }


@api("GET", "myself", "myself")
def myself(twin: JiraTwin, request: Request) -> dict[str, Any]:
    return renderer(twin, request).user(twin.state.users[request.principal], full=True)


@api("GET", "user", "user.get")
def get_user(twin: JiraTwin, request: Request) -> dict[str, Any]:
    user = twin.state.users.get(request.query.get("accountId", ""))
    if user is None:
        raise not_found("Specified user does not exist or you do not have required permissions")
    return renderer(twin, request).user(user)


@api("GET", "user/search", "user.search")
def search_users(twin: JiraTwin, request: Request) -> list[dict[str, Any]]:
    wanted = (request.query.get("query") or request.query.get("accountId") or "").lower()
    if not wanted:
        raise jira_error(400, "One of 'query' or 'accountId' query parameters must be provided.")
    found = [
        user
        for user in twin.state.users.values()
        if wanted == user.account_id.lower()
        or any(part.startswith(wanted) for part in user.display_name.lower().split())
        or user.email.lower().startswith(wanted)
    ]
    result = page(
        found,
        number(request.query, "startAt", 0, len(found)),
        number(request.query, "maxResults", 50, 1000),
    )
    draw = renderer(twin, request)
    return [draw.user(user) for user in result.items]


@api("GET", "project", "project.list")
def list_projects(twin: JiraTwin, request: Request) -> list[dict[str, Any]]:
    draw = renderer(twin, request)
    full = bool(request.query.get("expand"))  # e.g. "description,lead,issueTypes"
    return [draw.project(project, full=full) for project in twin.state.projects.values()]


@api("GET", "project/search", "project.search")
def search_projects(twin: JiraTwin, request: Request) -> dict[str, Any]:
    wanted = request.query.get("query", "").lower()
    projects = [
        project
        for project in twin.state.projects.values()
        if wanted in project.key.lower() or wanted in project.name.lower()
    ]
    start = number(request.query, "startAt", 0, len(projects))
    limit = number(request.query, "maxResults", 50, 100)
    result = page(projects, start, limit)
    draw = renderer(twin, request)
    body: dict[str, Any] = {
        "self": f"{draw.api}/project/search?startAt={start}&maxResults={limit}",
        "maxResults": limit,
        "startAt": start,
        "total": result.total,
        "isLast": result.next_offset is None,
        "values": [draw.project(project) for project in result.items],
    }
    if result.next_offset is not None:
        body["nextPage"] = (
            f"{draw.api}/project/search?startAt={result.next_offset}&maxResults={limit}"
        )
    return body


@api("GET", "project/{key}", "project.get")
def get_project(twin: JiraTwin, request: Request) -> dict[str, Any]:
    key = request.path_params["key"]
    project = twin.state.project(key)
    if project is None:
        raise not_found(f"No project could be found with key '{key}'.")
    return renderer(twin, request).project(project, full=True)


def _catalogue(path: str, table: str, draw: str) -> None:
    """``GET path``: every entry of one of the site's fixed tables (issue types, priorities ...)."""

    @api("GET", path, f"{path}.list")
    def list_all(twin: JiraTwin, request: Request) -> list[dict[str, Any]]:
        render = getattr(renderer(twin, request), draw)
        return [render(entry) for entry in getattr(twin.state, table).values()]


_catalogue("issuetype", "issue_types", "issue_type")
_catalogue("priority", "priorities", "priority")
_catalogue("status", "statuses", "status")


@api("GET", "resolution", "resolution.list")
def list_resolutions(twin: JiraTwin, request: Request) -> list[dict[str, Any]]:
    resolution = twin.state.resolution
    return [{"self": f"{renderer(twin, request).api}/resolution/{resolution['id']}", **resolution}]


@api("GET", "field", "field.list")
def list_fields(twin: JiraTwin, request: Request) -> list[dict[str, Any]]:
    return [
        {
            "id": name,
            "key": name,
            "name": name.capitalize(),
            "custom": False,
            "orderable": True,
            "navigable": True,
            "searchable": True,
            "clauseNames": [name],
            "schema": {"type": "string", "system": name},
        }
        for name in ISSUE_FIELDS
    ]


@api("GET", "issueLinkType", "issueLinkType.list")
def list_link_types(twin: JiraTwin, request: Request) -> dict[str, Any]:
    draw = renderer(twin, request)
    return {"issueLinkTypes": [draw.link_type(t) for t in twin.state.link_types.values()]}


@api("GET", "issueLinkType/{type_id}", "issueLinkType.get")
def get_link_type(twin: JiraTwin, request: Request) -> dict[str, Any]:
    link_type = twin.state.link_types.get(request.path_params["type_id"])
    if link_type is None:
        raise not_found(f"No issue link type with id '{request.path_params['type_id']}' found.")
    return renderer(twin, request).link_type(link_type)


# --- issues ---------------------------------------------------------------------------------------
@api("POST", "issue", "issue.create")
def create_issue(twin: JiraTwin, request: Request) -> Response:
    data = body(request)
    changes, errors = field_changes(
        twin.state, version(request), data.get("fields", {}), data.get("update", {}), creating=True
    )
    for name, message in (
        ("project", "Specify a valid project ID or key"),
        ("issuetype", "Specify an issue type"),
        ("summary", "You must specify a summary of the issue."),
    ):
        if name not in changes and name not in errors:
            errors[name] = message
    if errors:
        raise field_errors(errors)
    site = twin.state
    project = site.projects[changes.pop("project")]
    reporter = changes.pop("reporter", request.principal)
    issue = twin.new_issue(
        site, project, changes.pop("issuetype"), changes.pop("summary"), reporter
    )
    apply_changes(twin, request.principal, issue, changes)
    webhooks.issue_created(twin, issue, request.principal)
    created = {"id": issue.id, "key": issue.key, "self": renderer(twin, request).issue_self(issue)}
    return json_response(created, 201)


@api("GET", "issue/{key}", "issue.get")
def get_issue(twin: JiraTwin, request: Request) -> dict[str, Any]:
    issue = find_issue(twin, request.path_params["key"])
    fields = requested_fields(request.query.get("fields"), None)
    return renderer(twin, request).issue(issue, fields)


@api("PUT", "issue/{key}", "issue.edit")
def edit_issue(twin: JiraTwin, request: Request) -> Response:
    issue = find_issue(twin, request.path_params["key"])
    data = body(request)
    changes, errors = field_changes(
        twin.state, version(request), data.get("fields", {}), data.get("update", {}), creating=False
    )
    if errors:
        raise field_errors(errors)
    before = webhooks.tracked(twin.state, issue)
    apply_changes(twin, request.principal, issue, changes)
    items = webhooks.changes(before, webhooks.tracked(twin.state, issue))
    webhooks.issue_updated(twin, issue, request.principal, items, "issue_updated")
    return Response(204)


@api("DELETE", "issue/{key}", "issue.delete")
def delete_issue(twin: JiraTwin, request: Request) -> Response:
    issue = find_issue(twin, request.path_params["key"])
    webhooks.issue_deleted(twin, issue, request.principal)
    twin.state.remove_issue(issue)
    return Response(204)


@api("PUT", "issue/{key}/assignee", "issue.assign")
def assign_issue(twin: JiraTwin, request: Request) -> Response:
    issue = find_issue(twin, request.path_params["key"])
    account = body(request).get("accountId")
    if account is not None and account not in twin.state.users:
        raise field_errors({"assignee": f"User '{account}' cannot be assigned issues."})
    before = webhooks.tracked(twin.state, issue)
    issue.assignee = account
    issue.updated = twin.clock.now()
    items = webhooks.changes(before, webhooks.tracked(twin.state, issue))
    webhooks.issue_updated(twin, issue, request.principal, items, "issue_assigned")
    return Response(204)


# --- comments -------------------------------------------------------------------------------------
@api("GET", "issue/{key}/comment", "comment.list")
def list_comments(twin: JiraTwin, request: Request) -> dict[str, Any]:
    issue = find_issue(twin, request.path_params["key"])
    comments = list(issue.comments)
    if request.query.get("orderBy", "created").startswith("-"):
        comments.reverse()
    start = number(request.query, "startAt", 0, len(comments))
    limit = number(request.query, "maxResults", 5000, 5000)
    result = page(comments, start, limit)
    return renderer(twin, request).comments_page(issue, result.items, start, limit)


@api("POST", "issue/{key}/comment", "comment.add")
def add_comment(twin: JiraTwin, request: Request) -> Response:
    issue = find_issue(twin, request.path_params["key"])
    text = rich_text(version(request), body(request).get("body"), "comment")
    if text is None:
        raise field_errors({"comment": "Comment body can not be empty!"})
    comment = twin.add_comment(issue, request.principal, text)
    webhooks.comment_event(twin, "comment_created", issue, comment)
    return json_response(renderer(twin, request).comment(issue, comment), 201)


def _comment(twin: JiraTwin, request: Request) -> tuple[Issue, Comment]:
    issue = find_issue(twin, request.path_params["key"])
    wanted = request.path_params["comment_id"]
    for comment in issue.comments:
        if comment.id == wanted:
            return issue, comment
    raise not_found(f"Can not find a comment for the id: {wanted}.")


@api("GET", "issue/{key}/comment/{comment_id}", "comment.get")
def get_comment(twin: JiraTwin, request: Request) -> dict[str, Any]:
    issue, comment = _comment(twin, request)
    return renderer(twin, request).comment(issue, comment)


@api("PUT", "issue/{key}/comment/{comment_id}", "comment.update")
def update_comment(twin: JiraTwin, request: Request) -> dict[str, Any]:
    issue, comment = _comment(twin, request)
    text = rich_text(version(request), body(request).get("body"), "comment")
    if text is None:
        raise field_errors({"comment": "Comment body can not be empty!"})
    comment.body = text
    comment.updated = twin.clock.now()
    comment.update_author = request.principal
    webhooks.comment_event(twin, "comment_updated", issue, comment)
    return renderer(twin, request).comment(issue, comment)


@api("DELETE", "issue/{key}/comment/{comment_id}", "comment.delete")
def delete_comment(twin: JiraTwin, request: Request) -> Response:
    issue, comment = _comment(twin, request)
    issue.comments.remove(comment)
    webhooks.comment_event(twin, "comment_deleted", issue, comment)
    return Response(204)


# --- transitions ----------------------------------------------------------------------------------
@api("GET", "issue/{key}/transitions", "transitions.list")
def list_transitions(twin: JiraTwin, request: Request) -> dict[str, Any]:
    issue = find_issue(twin, request.path_params["key"])
    wanted = request.query.get("transitionId")
    draw = renderer(twin, request)
    available = [
        draw.transition(t)
        for t in twin.state.transitions
        if t.available_from(issue.status) and wanted in (None, t.id)
    ]
    return {"expand": "transitions", "transitions": available}


@api("POST", "issue/{key}/transitions", "transitions.do")
def do_transition(twin: JiraTwin, request: Request) -> Response:
    issue = find_issue(twin, request.path_params["key"])
    data = body(request)
    wanted = reference(data.get("transition"))
    if wanted is None:
        raise jira_error(400, "Missing 'transition' identifier")
    site = twin.state
    transition = next(
        (t for t in site.transitions if t.id == wanted and t.available_from(issue.status)), None
    )
    if transition is None:
        raise jira_error(400, f"Transition id '{wanted}' is not valid for this issue.")
    changes, errors = field_changes(
        twin.state, version(request), data.get("fields", {}), data.get("update", {}), creating=False
    )
    if errors:
        raise field_errors(errors)
    before = webhooks.tracked(site, issue)
    apply_changes(twin, request.principal, issue, changes)
    twin.move(site, issue, site.statuses[transition.to])
    items = webhooks.changes(before, webhooks.tracked(site, issue))
    webhooks.issue_updated(twin, issue, request.principal, items, "issue_generic")
    return Response(204)


# --- issue links ----------------------------------------------------------------------------------
@api("POST", "issueLink", "issueLink.create")
def create_link(twin: JiraTwin, request: Request) -> Response:
    data = body(request)
    site = twin.state
    wanted = reference(data.get("type"))
    link_type = next(
        (t for t in site.link_types.values() if wanted in (t.id, t.name)),
        None,
    )
    if link_type is None:
        raise not_found(f"No issue link type with name '{wanted}' found.")
    ends = []
    for end in ("inwardIssue", "outwardIssue"):
        issue = site.issue(reference(data.get(end)) or "")
        if issue is None:
            raise not_found(f"Issue Does Not Exist: {end}")
        ends.append(issue)
    inward, outward = ends
    exists = any(
        (link.type, link.inward, link.outward) == (link_type.id, inward.id, outward.id)
        for link in site.links.values()
    )
    if not exists:
        link_id = str(10000 + twin.ids.next("link"))
        site.links[link_id] = Link(link_id, link_type.id, inward.id, outward.id)
        inward.updated = outward.updated = twin.clock.now()
    comment = data.get("comment")
    if isinstance(comment, dict) and comment.get("body") is not None:
        text = rich_text(version(request), comment["body"], "comment")
        if text is not None:
            twin.add_comment(outward, request.principal, text)
    return Response(201)


def _link(twin: JiraTwin, request: Request) -> Link:
    link = twin.state.links.get(request.path_params["link_id"])
    if link is None:
        raise not_found(f"No issue link with id '{request.path_params['link_id']}' exists.")
    return link


@api("GET", "issueLink/{link_id}", "issueLink.get")
def get_link(twin: JiraTwin, request: Request) -> dict[str, Any]:
    return renderer(twin, request).link(_link(twin, request))


@api("DELETE", "issueLink/{link_id}", "issueLink.delete")
def delete_link(twin: JiraTwin, request: Request) -> Response:
    del twin.state.links[_link(twin, request).id]
    return Response(204)


# --- search ---------------------------------------------------------------------------------------
def _search_input(request: Request) -> dict[str, Any]:
    """Search parameters from the query string (GET) or the JSON body (POST). A repeated
    ``fields`` parameter (the ``jira`` library sends a list that way) counts every value."""
    if request.method == "POST":
        return body(request)
    return {**request.query, "fields": request.query_values.get("fields")}


def _parse(twin: JiraTwin, request: Request, text: Any) -> jql.Query:
    try:
        return jql.parse(str(text or ""), twin.state, request.principal)
    except jql.JqlError as error:
        raise jira_error(400, str(error)) from None


@api("GET", "search", "search")
@api("POST", "search", "search.post")
def search(twin: JiraTwin, request: Request) -> dict[str, Any]:
    """The classic search: ``startAt`` / ``maxResults`` / ``total``."""
    params = _search_input(request)
    found = _parse(twin, request, params.get("jql")).run(twin.state)
    start = number(params, "startAt", 0, len(found))
    limit = number(params, "maxResults", 50, MAX_SEARCH_RESULTS)
    fields = requested_fields(params.get("fields"), None)
    draw = renderer(twin, request)
    return {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": limit,
        "total": len(found),
        "issues": [draw.issue(issue, fields) for issue in page(found, start, limit).items],
    }


@api("GET", "search/jql", "search.jql")
@api("POST", "search/jql", "search.jql.post")
def search_jql(twin: JiraTwin, request: Request) -> dict[str, Any]:
    """The enhanced search: ``nextPageToken`` and ``isLast``, no total; only ids by default."""
    params = _search_input(request)
    query = _parse(twin, request, params.get("jql"))
    if not query.bounded:
        raise jira_error(400, UNBOUNDED)
    found = query.run(twin.state)
    start = 0
    token = params.get("nextPageToken")
    if token:
        decoded = decode_cursor(str(token), "jql")
        if decoded is None:
            raise jira_error(400, "The provided next page token is invalid or expired.")
        start = decoded
    limit = number(params, "maxResults", 50, MAX_SEARCH_RESULTS) or 1
    result = page(found, start, limit)
    fields = requested_fields(params.get("fields"), ["id"])
    draw = renderer(twin, request)
    answer: dict[str, Any] = {
        "issues": [draw.issue(issue, fields) for issue in result.items],
        "isLast": result.next_offset is None,
    }
    if result.next_offset is not None:
        answer["nextPageToken"] = encode_cursor(result.next_offset, "jql")
    return answer


@api("POST", "search/approximate-count", "search.approximateCount")
def approximate_count(twin: JiraTwin, request: Request) -> dict[str, int]:
    """How many issues a bounded query matches (exact here: the twin has few issues)."""
    query = _parse(twin, request, body(request).get("jql"))
    if not query.bounded:
        raise jira_error(400, UNBOUNDED)
    return {"count": len(query.run(twin.state))}
