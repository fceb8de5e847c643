"""The Okta Management API operations the twin implements, named by Okta's operation ids."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from holdout_twins.core import (
    ALNUM,
    JSON_TYPE,
    Request,
    Response,
    Router,
    ServiceError,
    decode_cursor,
    encode_cursor,
    json_response,
)
from holdout_twins.okta import hooks
from holdout_twins.okta.expressions import Dialect, ExpressionError, parse
from holdout_twins.okta.state import (
    ACTIVE,
    DEPROVISIONED,
    PROVISIONED,
    STAGED,
    SUSPENDED,
    Group,
    Org,
    User,
)

if TYPE_CHECKING:
    from holdout_twins.okta.twin import OktaTwin

router = Router()
Item = TypeVar("Item", User, Group)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
REQUIRED_PROFILE = ("login", "email", "firstName", "lastName")  # Okta's default user schema
TAKEN = "An object with this field already exists in the current organization"
BLANK = "The field cannot be left blank"

_EQ = frozenset({"eq"})
_ORDERED = frozenset({"eq", "gt", "ge", "lt", "le"})
# ``filter`` on users: a few properties, ``eq`` only, except on lastUpdated.
USER_FILTER = Dialect(
    {
        "status": _EQ,
        "id": _EQ,
        "profile.login": _EQ,
        "profile.email": _EQ,
        "profile.firstName": _EQ,
        "profile.lastName": _EQ,
        "lastUpdated": _ORDERED,
    },
    ignore_case=False,
)
# ``search`` on users: any property; ``co`` only on four profile properties.
_SEARCH = frozenset({"eq", "sw", "gt", "ge", "lt", "le", "pr"})
USER_SEARCH = Dialect(
    {
        "*": _SEARCH,
        **{
            name: _SEARCH | {"co"}
            for name in ("profile.firstName", "profile.lastName", "profile.email", "profile.login")
        },
    },
    ignore_case=True,
)
GROUP_FILTER = Dialect(
    {"type": _EQ, "id": _EQ, "lastUpdated": _ORDERED, "lastMembershipUpdated": _ORDERED},
    ignore_case=False,
)
GROUP_SEARCH = Dialect({"*": _SEARCH | {"co"}}, ignore_case=True)


# --- errors in Okta's shape ----------------------------------------------------------------------
def okta_error(status: int, code: str, summary: str, causes: Iterable[str] = ()) -> ServiceError:
    """An Okta error: ``errorCode``, ``errorSummary`` and ``errorCauses`` (see the twin)."""
    return ServiceError(
        status, code, summary, extra={"errorCauses": [{"errorSummary": cause} for cause in causes]}
    )


def validation_failed(field: str, cause: str) -> ServiceError:
    return okta_error(400, "E0000001", f"Api validation failed: {field}", [f"{field}: {cause}"])


def not_found(key: str, kind: str) -> ServiceError:
    return okta_error(404, "E0000007", f"Not found: Resource not found: {key} ({kind})")


def forbidden() -> ServiceError:
    return okta_error(403, "E0000006", "You do not have permission to perform the requested action")


# --- reading requests ----------------------------------------------------------------------------
def _json_body(request: Request) -> dict[str, Any]:
    """The JSON object Okta requires as the body of a create or update."""
    if request.body and request.content_type != JSON_TYPE:
        raise ServiceError(415, "unsupported_media_type", request.content_type)
    data = request.json()
    if not isinstance(data, dict):
        raise okta_error(400, "E0000003", "The request body was not well-formed.")
    return data


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    return default if value is None else value.lower() == "true"


def _limit(request: Request, default: int, maximum: int) -> int:
    """``limit``: above the maximum Okta answers with the maximum."""
    value = request.query.get("limit")
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise validation_failed("limit", "must be a positive integer")
    return min(int(value), maximum)


def _matching(
    items: list[Item], request: Request, org_url: str, dialects: tuple[Dialect, Dialect]
) -> tuple[list[Item], bool]:
    """``items`` narrowed by a ``search`` or ``filter`` expression, and whether there was one."""
    search_dialect, filter_dialect = dialects
    for name, dialect in (("search", search_dialect), ("filter", filter_dialect)):
        expression = request.query.get(name)
        if expression is None:
            continue
        try:
            predicate = parse(expression, dialect)
        except ExpressionError as error:
            raise okta_error(400, "E0000031", "Invalid search criteria.", [str(error)]) from None
        return [item for item in items if predicate(item.to_api(org_url))], True
    return items, False


def _page(
    twin: OktaTwin,
    request: Request,
    items: Sequence[Item],
    limit: int,
    render: Callable[[Item], dict[str, Any]],
) -> Response:
    """One page of ``items`` (in creation order) after the ``after`` cursor, with Okta's ``Link``
    header: ``rel="self"`` always, ``rel="next"`` while more remain. The cursor is opaque; it names
    the last item returned, so deleting items between pages skips nothing."""
    after = request.query.get("after")
    if after:
        last = decode_cursor(after, "after")
        if last is None:
            raise validation_failed("after", "is not a valid cursor")
        items = [item for item in items if item.seq > last]
    chunk = list(items[:limit])
    base = twin.org_url(request) + request.path
    links = [f'<{_url(base, request.query)}>; rel="self"']
    if len(items) > limit:
        following = {**request.query, "after": encode_cursor(chunk[-1].seq, "after")}
        following["limit"] = str(limit)
        links.append(f'<{_url(base, following)}>; rel="next"')
    # Okta sends one Link header per relation; the twin joins them in one, which RFC 8288 and
    # every client (the SDK's PaginationHelper, aiohttp's ``links``) read the same way.
    return json_response([render(item) for item in chunk], headers={"Link": ", ".join(links)})


def _url(base: str, query: dict[str, str]) -> str:
    return f"{base}?{urlencode(query)}" if query else base


def _user(twin: OktaTwin, request: Request) -> User:
    key = request.path_params["id"]
    org = twin.state
    user = org.users.get(request.principal) if key == "me" else org.find_user(key)
    if user is None:
        raise not_found(key, "User")
    return user


def _group(twin: OktaTwin, request: Request, key: str = "groupId") -> Group:
    group = twin.state.groups.get(request.path_params[key])
    if group is None:
        raise not_found(request.path_params[key], "UserGroup")
    return group


def _no_content() -> Response:
    """HTTP 204. Not labelled JSON: the SDK parses any JSON-labelled body, even an empty one."""
    return Response(204, b"", content_type="text/plain")


# --- users ---------------------------------------------------------------------------------------
def _check_profile(org: Org, profile: Any, user: User | None = None) -> dict[str, Any]:
    """Okta's default user schema: four required properties, email-shaped, login unique."""
    if not isinstance(profile, dict):
        raise validation_failed("profile", BLANK)
    for name in REQUIRED_PROFILE:
        value = profile.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise validation_failed(name, BLANK)
        if not isinstance(value, str):
            raise validation_failed(name, "Does not match required pattern")
    if not EMAIL.fullmatch(profile["email"]):
        raise validation_failed("email", "Does not match required pattern")
    if not EMAIL.fullmatch(profile["login"]):
        raise validation_failed("login", "Username must be in the form of an email address")
    login = profile["login"].lower()
    for other in org.users.values():
        if other is not user and other.login.lower() == login:
            raise validation_failed("login", TAKEN)
    return profile


def _password(body: dict[str, Any]) -> str | None:
    credentials = body.get("credentials") or {}
    password = credentials.get("password") if isinstance(credentials, dict) else None
    value = password.get("value") if isinstance(password, dict) else None
    return value if isinstance(value, str) and value else None


@router.post("/api/v1/users", name="createUser")
def create_user(twin: OktaTwin, request: Request) -> dict[str, Any]:
    """Staged with ``activate=false``; otherwise active with a password, provisioned without."""
    body = _json_body(request)
    org = twin.state
    profile = _check_profile(org, body.get("profile"))
    groups = []
    for group_id in body.get("groupIds") or []:
        group = org.groups.get(group_id)
        if group is None or group.type == "BUILT_IN":
            raise validation_failed("groupIds", f"{group_id} is not a group users can be added to")
        groups.append(group)
    password = _password(body)
    activated = ACTIVE if password else PROVISIONED
    status = activated if _flag(request, "activate", True) else STAGED
    user = twin.new_user(org, None, profile, status)
    user.password = password
    user.password_changed = user.created if password else None
    hooks.user_event(twin, "user.lifecycle.create", user, request.principal)
    if status == ACTIVE:
        hooks.user_event(twin, "user.lifecycle.activate", user, request.principal)
    for group in groups:
        group.members.append(user.id)
        group.last_membership_updated = user.created
        hooks.membership_event(twin, "group.user_membership.add", user, group, request.principal)
    return user.to_api(twin.org_url(request))


@router.get("/api/v1/users", name="listUsers")
def list_users(twin: OktaTwin, request: Request) -> Response:
    """``search`` and ``filter`` include deactivated users; plain lists and ``q`` omit them."""
    org_url = twin.org_url(request)
    users = list(twin.state.users.values())
    users, narrowed = _matching(users, request, org_url, (USER_SEARCH, USER_FILTER))
    if not narrowed:
        users = [user for user in users if user.status != DEPROVISIONED]
    query = request.query.get("q")
    if query is not None and not narrowed:
        prefix = query.lower()
        users = [
            user
            for user in users
            if any(
                str(user.profile.get(name) or "").lower().startswith(prefix)
                for name in ("firstName", "lastName", "email")
            )
        ]
        limit = _limit(request, 10, 200)
        # ``q`` does not paginate: the first ``limit`` matches, and no next link.
        return json_response([user.to_api(org_url) for user in users[:limit]])
    return _page(twin, request, users, _limit(request, 200, 200), lambda u: u.to_api(org_url))


@router.get("/api/v1/users/{id}", name="getUser")
def get_user(twin: OktaTwin, request: Request) -> dict[str, Any]:
    """By id, login, login short name, or ``me`` (the token's user)."""
    return _user(twin, request).to_api(twin.org_url(request))


def _update(twin: OktaTwin, request: Request, *, partial: bool) -> dict[str, Any]:
    user = _user(twin, request)
    body = _json_body(request)
    given = body.get("profile")
    if given is not None and not isinstance(given, dict):
        raise validation_failed("profile", "must be an object")
    profile = {**user.profile, **(given or {})} if partial else dict(given or {})
    user.profile = dict(_check_profile(twin.state, profile, user))
    now = twin.clock.isoformat()
    password = _password(body)
    if password is not None:
        user.password, user.password_changed = password, now
    user.last_updated = now
    return user.to_api(twin.org_url(request))


@router.post("/api/v1/users/{id}", name="updateUser")
def update_user(twin: OktaTwin, request: Request) -> dict[str, Any]:
    """A partial update: the profile properties given replace those the user has."""
    return _update(twin, request, partial=True)


@router.put("/api/v1/users/{id}", name="replaceUser")
def replace_user(twin: OktaTwin, request: Request) -> dict[str, Any]:
    """A full replacement: profile properties not given are removed."""
    return _update(twin, request, partial=False)


def _set_status(twin: OktaTwin, user: User, status: str) -> None:
    now = twin.clock.isoformat()
    user.status, user.status_changed, user.last_updated = status, now, now
    if status == ACTIVE and user.activated is None:
        user.activated = now


@router.delete("/api/v1/users/{id}", name="deleteUser")
def delete_user(twin: OktaTwin, request: Request) -> Response:
    """The first delete deactivates the user; deleting a deactivated user removes it."""
    user = _user(twin, request)
    org = twin.state
    if user.status != DEPROVISIONED:
        _set_status(twin, user, DEPROVISIONED)
        hooks.user_event(twin, "user.lifecycle.deactivate", user, request.principal)
        return _no_content()
    hooks.user_event(twin, "user.lifecycle.delete.initiated", user, request.principal)
    del org.users[user.id]
    for group in org.groups.values():
        if user.id in group.members:
            group.members.remove(user.id)
    return _no_content()


@router.post("/api/v1/users/{id}/lifecycle/activate", name="activateUser")
def activate_user(twin: OktaTwin, request: Request) -> dict[str, Any]:
    """Active with a password, provisioned (waiting for the user) without one. With
    ``sendEmail=false`` the answer carries the activation token instead of an email."""
    user = _user(twin, request)
    if user.status == ACTIVE:
        raise okta_error(403, "E0000016", "Activation failed because the user is already active")
    if user.status not in (STAGED, PROVISIONED, DEPROVISIONED):
        raise validation_failed("status", f"cannot activate a user that is {user.status}")
    _set_status(twin, user, ACTIVE if user.password else PROVISIONED)
    hooks.user_event(twin, "user.lifecycle.activate", user, request.principal)
    if _flag(request, "sendEmail", True):
        return {}
    token = twin.ids.string(20, ALNUM)
    return {
        "activationToken": token,
        "activationUrl": f"{twin.org_url(request)}/tokens/{token}/verify",
    }


def _lifecycle(path: str, name: str, to: str, allowed: Callable[[str], bool], refusal: str) -> None:
    """A lifecycle operation that moves a user from a status ``allowed`` accepts to ``to``, and
    tells the event hooks (Okta answers E0000001 with ``refusal`` from any other status)."""

    @router.post(f"/api/v1/users/{{id}}/lifecycle/{path}", name=name)
    def transition(twin: OktaTwin, request: Request) -> dict[str, Any]:
        user = _user(twin, request)
        if not allowed(user.status):
            raise validation_failed("status", refusal)
        _set_status(twin, user, to)
        hooks.user_event(twin, f"user.lifecycle.{path}", user, request.principal)
        return {}


_lifecycle(
    "deactivate",
    "deactivateUser",
    DEPROVISIONED,
    lambda status: status != DEPROVISIONED,
    "the user is already deactivated",
)
_lifecycle(
    "suspend",
    "suspendUser",
    SUSPENDED,
    lambda status: status == ACTIVE,
    "Cannot suspend a user that is not active",
)
_lifecycle(
    "unsuspend",
    "unsuspendUser",
    ACTIVE,
    lambda status: status == SUSPENDED,
    "Cannot unsuspend a user that is not suspended",
)


@router.get("/api/v1/users/{id}/groups", name="listUserGroups")
def list_user_groups(twin: OktaTwin, request: Request) -> list[dict[str, Any]]:
    user = _user(twin, request)
    org_url = twin.org_url(request)
    return [group.to_api(org_url) for group in twin.state.groups_of(user)]


# --- groups --------------------------------------------------------------------------------------
def _group_profile(org: Org, body: dict[str, Any], group: Group | None = None) -> tuple[str, Any]:
    profile = body.get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise validation_failed("name", BLANK)
    if any(other is not group and other.name == name for other in org.groups.values()):
        raise validation_failed("name", TAKEN)
    return name, profile.get("description")


@router.post("/api/v1/groups", name="addGroup")
def add_group(twin: OktaTwin, request: Request) -> dict[str, Any]:
    name, description = _group_profile(twin.state, _json_body(request))
    group = twin.new_group(twin.state, name, description)
    return group.to_api(twin.org_url(request))


@router.get("/api/v1/groups", name="listGroups")
def list_groups(twin: OktaTwin, request: Request) -> Response:
    """``q`` matches the start of the name; ``expand=stats`` adds member counts."""
    org = twin.state
    org_url = twin.org_url(request)
    groups = list(org.groups.values())
    groups, narrowed = _matching(groups, request, org_url, (GROUP_SEARCH, GROUP_FILTER))
    query = request.query.get("q")
    if query is not None and not narrowed:
        groups = [group for group in groups if group.name.lower().startswith(query.lower())]
    with_stats = "stats" in request.query.get("expand", "").split(",")

    def render(group: Group) -> dict[str, Any]:
        return group.to_api(org_url, len(org.members(group)) if with_stats else None)

    return _page(twin, request, groups, _limit(request, 10000, 10000), render)


@router.get("/api/v1/groups/{groupId}", name="getGroup")
def get_group(twin: OktaTwin, request: Request) -> dict[str, Any]:
    return _group(twin, request).to_api(twin.org_url(request))


@router.put("/api/v1/groups/{groupId}", name="replaceGroup")
def replace_group(twin: OktaTwin, request: Request) -> dict[str, Any]:
    group = _group(twin, request)
    if group.type == "BUILT_IN":
        raise forbidden()
    group.name, group.description = _group_profile(twin.state, _json_body(request), group)
    group.last_updated = twin.clock.isoformat()
    return group.to_api(twin.org_url(request))


@router.delete("/api/v1/groups/{groupId}", name="deleteGroup")
def delete_group(twin: OktaTwin, request: Request) -> Response:
    group = _group(twin, request)
    if group.type == "BUILT_IN":
        raise forbidden()
    del twin.state.groups[group.id]
    return _no_content()


@router.get("/api/v1/groups/{groupId}/users", name="listGroupUsers")
def list_group_users(twin: OktaTwin, request: Request) -> Response:
    group = _group(twin, request)
    org_url = twin.org_url(request)
    members = twin.state.members(group)
    members.sort(key=lambda user: user.seq)  # the cursor counts in creation order
    return _page(twin, request, members, _limit(request, 1000, 1000), lambda u: u.to_api(org_url))


def _membership(twin: OktaTwin, request: Request) -> tuple[Group, User]:
    group = _group(twin, request)
    user = twin.state.users.get(request.path_params["userId"])
    if user is None:
        raise not_found(request.path_params["userId"], "User")
    if group.type == "BUILT_IN":
        raise forbidden()
    return group, user


@router.put("/api/v1/groups/{groupId}/users/{userId}", name="assignUserToGroup")
def assign_user_to_group(twin: OktaTwin, request: Request) -> Response:
    group, user = _membership(twin, request)
    if user.id not in group.members:
        group.members.append(user.id)
        group.last_membership_updated = twin.clock.isoformat()
        hooks.membership_event(twin, "group.user_membership.add", user, group, request.principal)
    return _no_content()


@router.delete("/api/v1/groups/{groupId}/users/{userId}", name="unassignUserFromGroup")
def unassign_user_from_group(twin: OktaTwin, request: Request) -> Response:
    group, user = _membership(twin, request)
    if user.id in group.members:
        group.members.remove(user.id)
        group.last_membership_updated = twin.clock.isoformat()
        hooks.membership_event(twin, "group.user_membership.remove", user, group, request.principal)
    return _no_content()
