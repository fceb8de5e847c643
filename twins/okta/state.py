"""The Okta org a twin holds: users with their lifecycle status, groups and memberships."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A user's status, and the statuses a user may be in for each lifecycle operation.
STAGED, PROVISIONED, ACTIVE = "STAGED", "PROVISIONED", "ACTIVE"
SUSPENDED, DEPROVISIONED = "SUSPENDED", "DEPROVISIONED"

# What every org has: one built-in group that every user belongs to.
EVERYONE = "Everyone"

# The base profile attributes that Okta answers with null while unset (the ones its description
# lets be null); custom attributes and the rest appear once set.
NULLABLE_PROFILE = (
    "city",
    "costCenter",
    "countryCode",
    "displayName",
    "division",
    "firstName",
    "honorificPrefix",
    "honorificSuffix",
    "lastName",
    "manager",
    "managerId",
    "middleName",
    "mobilePhone",
    "nickName",
    "organization",
    "postalAddress",
    "preferredLanguage",
    "primaryPhone",
    "profileUrl",
    "secondEmail",
    "state",
    "streetAddress",
    "timezone",
    "title",
    "userType",
    "zipCode",
)


@dataclass
class User:
    id: str
    profile: dict[str, Any]
    status: str
    created: str
    type_id: str
    seq: int  # creation order: list order and the pagination cursor
    password: str | None = None  # write-only in the API: only its presence is ever shown
    activated: str | None = None
    status_changed: str | None = None
    last_updated: str = ""
    password_changed: str | None = None

    @property
    def login(self) -> str:
        return str(self.profile.get("login", ""))

    def to_api(self, org_url: str) -> dict[str, Any]:
        """The user as Okta's API shows it, with the links its status allows."""
        href = f"{org_url}/api/v1/users/{self.id}"
        links: dict[str, Any] = {"self": {"href": href}}
        for operation in _LIFECYCLE_LINKS.get(self.status, ()):
            links[operation] = {"href": f"{href}/lifecycle/{operation}", "method": "POST"}
        links["type"] = {"href": f"{org_url}/api/v1/meta/types/user/{self.type_id}"}
        credentials: dict[str, Any] = {"provider": {"type": "OKTA", "name": "OKTA"}}
        if self.password is not None:
            credentials["password"] = {}
        return {
            "id": self.id,
            "status": self.status,
            "created": self.created,
            "activated": self.activated,
            "statusChanged": self.status_changed,
            "lastLogin": None,
            "lastUpdated": self.last_updated,
            "passwordChanged": self.password_changed,
            "transitioningToStatus": None,
            "type": {"id": self.type_id},
            "profile": {**dict.fromkeys(NULLABLE_PROFILE), **self.profile},
            "credentials": credentials,
            "_links": links,
        }


# The lifecycle links Okta lists on a user in each status.
_LIFECYCLE_LINKS: dict[str, tuple[str, ...]] = {
    STAGED: ("activate", "deactivate"),
    PROVISIONED: ("activate", "deactivate"),
    ACTIVE: ("suspend", "deactivate"),
    SUSPENDED: ("unsuspend", "deactivate"),
    DEPROVISIONED: ("activate",),
}


@dataclass
class Group:
    id: str
    name: str
    description: str | None
    created: str
    seq: int
    type: str = "OKTA_GROUP"  # or "BUILT_IN" for Everyone
    last_updated: str = ""
    last_membership_updated: str = ""
    members: list[str] = field(default_factory=list)  # user ids, in the order they were added

    def to_api(self, org_url: str, users_count: int | None = None) -> dict[str, Any]:
        href = f"{org_url}/api/v1/groups/{self.id}"
        profile = {"name": self.name, "description": self.description}  # null when unset
        group: dict[str, Any] = {
            "id": self.id,
            "created": self.created,
            "lastUpdated": self.last_updated,
            "lastMembershipUpdated": self.last_membership_updated,
            "objectClass": ["okta:user_group"],
            "type": self.type,
            "profile": profile,
            "_links": {
                "logo": [],
                "users": {"href": f"{href}/users"},
                "apps": {"href": f"{href}/apps"},
            },
        }
        if users_count is not None:  # with expand=stats
            group["_embedded"] = {"stats": {"usersCount": users_count, "appsCount": 0}}
        return group


@dataclass
class EventHook:
    """Where the org posts which events (``/api/v1/eventHooks``). Events go only to a hook that
    is ACTIVE and VERIFIED (its endpoint answered the one-time verification request)."""

    id: str
    name: str
    events: list[str]  # event types: "user.lifecycle.create", "group.user_membership.add", ...
    uri: str
    created: str
    created_by: str  # user id
    headers: list[dict[str, str]] = field(default_factory=list)  # [{"key": ..., "value": ...}]
    auth_scheme: dict[str, str] | None = None  # {"type": "HEADER", "key": ..., "value": ...}
    description: str | None = None
    status: str = "ACTIVE"
    verification_status: str = "UNVERIFIED"
    last_updated: str = ""

    @property
    def sent_headers(self) -> dict[str, str]:
        """The headers each request carries: the configured ones and the auth header."""
        sent = {header["key"]: header["value"] for header in self.headers}
        if self.auth_scheme is not None:
            sent[self.auth_scheme["key"]] = self.auth_scheme["value"]
        return sent

    def to_api(self, org_url: str) -> dict[str, Any]:
        href = f"{org_url}/api/v1/eventHooks/{self.id}"
        config: dict[str, Any] = {
            "uri": self.uri,
            "headers": [dict(header) for header in self.headers],
            "method": "POST",
            "authScheme": None,
        }
        if self.auth_scheme is not None:  # the value is a secret: never shown
            scheme = self.auth_scheme
            config["authScheme"] = {"type": scheme["type"], "key": scheme["key"]}
        lifecycle = "deactivate" if self.status == "ACTIVE" else "activate"
        return {
            "id": self.id,
            "status": self.status,
            "verificationStatus": self.verification_status,
            "name": self.name,
            "description": self.description,
            "created": self.created,
            "createdBy": self.created_by,
            "lastUpdated": self.last_updated,
            "events": {"type": "EVENT_TYPE", "items": list(self.events), "filter": None},
            "channel": {"type": "HTTP", "version": "1.0.0", "config": config},
            "_links": {
                "self": {"href": href},
                "verify": {"href": f"{href}/lifecycle/verify", "hints": {"allow": ["POST"]}},
                lifecycle: {"href": f"{href}/lifecycle/{lifecycle}", "hints": {"allow": ["POST"]}},
            },
        }


@dataclass
class Org:
    """The whole org. Users and groups are kept in creation order (dicts keep insertion order)."""

    name: str
    admin: str  # the user id that the twin's API token belongs to
    user_type: str  # the id of the default user type
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    event_hooks: dict[str, EventHook] = field(default_factory=dict)

    def find_user(self, key: str) -> User | None:
        """A user by id, by login, or by login short name when it is unambiguous (Okta's rules)."""
        if key in self.users:
            return self.users[key]
        lowered = key.lower()
        by_login = [user for user in self.users.values() if user.login.lower() == lowered]
        if by_login:
            return by_login[0]
        by_short = [
            user for user in self.users.values() if user.login.lower().split("@")[0] == lowered
        ]
        return by_short[0] if len(by_short) == 1 else None

    def members(self, group: Group) -> list[User]:
        if group.type == "BUILT_IN":
            return list(self.users.values())
        return [self.users[user_id] for user_id in group.members if user_id in self.users]

    def groups_of(self, user: User) -> list[Group]:
        return [
            group
            for group in self.groups.values()
            if group.type == "BUILT_IN" or user.id in group.members
        ]
