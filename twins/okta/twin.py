"""The Okta twin: SSWS API tokens, Okta's error shape, ``X-Rate-Limit-*`` headers and ids."""

from __future__ import annotations

import math
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any, ClassVar

from holdout_twins.core import (
    ALNUM,
    Generic,
    LimitStatus,
    RateLimit,
    Request,
    Response,
    ServiceError,
    Twin,
    check_url,
    json_response,
)
from holdout_twins.okta import hook_routes  # noqa: F401 (registers the Event Hooks API)
from holdout_twins.okta.people import OktaPerson
from holdout_twins.okta.routes import okta_error, router
from holdout_twins.okta.state import ACTIVE, EVERYONE, EventHook, Group, Org, User

PER_MINUTE = 60.0
SCHEME = "SSWS"  # Okta's scheme for API tokens

# What the core's own errors look like in Okta: HTTP status (None: keep it), code and summary.
_GENERIC_ERRORS: dict[str, tuple[int | None, str, str]] = {
    Generic.NOT_FOUND: (404, "E0000008", "The requested path was not found"),
    Generic.METHOD_NOT_ALLOWED: (
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    ),
    Generic.INVALID_JSON: (400, "E0000003", "The request body was not well-formed."),
    Generic.JSON_NOT_OBJECT: (400, "E0000003", "The request body was not well-formed."),
    Generic.INVALID_FORM: (400, "E0000003", "The request body was not well-formed."),
    Generic.BAD_REQUEST: (400, "E0000003", "The request body was not well-formed."),
    Generic.UNSUPPORTED_MEDIA_TYPE: (
        415,
        "E0000002",
        "The request was not valid: unsupported media type",
    ),
    Generic.PAYLOAD_TOO_LARGE: (413, "E0000002", "The request was not valid: body too large"),
    Generic.RATE_LIMITED: (
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
    ),
    Generic.INTERNAL: (500, "E0000009", "Internal Server Error"),
}
# An injected status, by status: Okta's code and summary for it.
_INJECTED: dict[int, tuple[str, str]] = {
    401: ("E0000011", "Invalid token provided"),
    403: ("E0000006", "You do not have permission to perform the requested action"),
    404: ("E0000007", "Not found: Resource not found"),
    503: ("E0000010", "Service is in read only mode"),
}


class OktaTwin(Twin):
    """The Okta Management API (users, their lifecycle, groups) under ``/api/v1/``.

    ``twin.token`` is an API token (``Authorization: SSWS <token>``) acting as the org's super
    admin from the seed data; ``twin.issue_token(user_id)`` gives another one acting as that user.
    """

    name = "okta"
    router = router
    person_class = OktaPerson
    api_description = "okta-management-openapi.yaml"
    seed_path = Path(__file__).with_name("seed.yaml")
    # Per-minute limits in the range of Okta's published org-wide defaults (they vary by plan and
    # change over time); enforced only after ``twin.rate_limits.enforce_defaults()``.
    default_rate_limits: ClassVar[dict[str, RateLimit]] = {
        "listUsers": RateLimit(600, PER_MINUTE),
        "createUser": RateLimit(600, PER_MINUTE),
        "getUser": RateLimit(2000, PER_MINUTE),
        "updateUser": RateLimit(600, PER_MINUTE),
        "replaceUser": RateLimit(600, PER_MINUTE),
        "deleteUser": RateLimit(600, PER_MINUTE),
        "activateUser": RateLimit(600, PER_MINUTE),
        "deactivateUser": RateLimit(600, PER_MINUTE),
        "suspendUser": RateLimit(600, PER_MINUTE),
        "unsuspendUser": RateLimit(600, PER_MINUTE),
        "listUserGroups": RateLimit(600, PER_MINUTE),
        "listGroups": RateLimit(500, PER_MINUTE),
        "addGroup": RateLimit(500, PER_MINUTE),
        "getGroup": RateLimit(1000, PER_MINUTE),
        "replaceGroup": RateLimit(1000, PER_MINUTE),
        "deleteGroup": RateLimit(1000, PER_MINUTE),
        "listGroupUsers": RateLimit(1000, PER_MINUTE),
        "assignUserToGroup": RateLimit(1000, PER_MINUTE),
        "unassignUserFromGroup": RateLimit(1000, PER_MINUTE),
    }
    state: Org

    # --- state ------------------------------------------------------------------------------------
    def build_state(self, seed_data: dict[str, Any]) -> Org:
        admin = seed_data["admin"]
        org = Org(seed_data["org"]["name"], admin["id"], seed_data["org"]["user_type"])
        self.new_group(org, EVERYONE, "All users in your organization").type = "BUILT_IN"
        for fields in [admin, *seed_data.get("users", [])]:
            user = self.new_user(org, fields.get("id"), fields["profile"], fields.get("status"))
            user.password = fields.get("password")
        for fields in seed_data.get("groups", []):
            group = self.new_group(org, fields["name"], fields.get("description"), fields.get("id"))
            group.members = [org.users[user_id].id for user_id in fields.get("members", [])]
        for fields in seed_data.get("event_hooks", []):  # created and verified before the test
            now = self.clock.isoformat()
            hook = EventHook(self.new_id("who"), created=now, created_by=org.admin, **fields)
            check_url(hook.uri)
            hook.verification_status, hook.last_updated = "VERIFIED", now
            org.event_hooks[hook.id] = hook
        return org

    def new_id(self, prefix: str) -> str:
        """An Okta object id: a three-character type prefix and 17 letters and digits."""
        return self.ids.string(17, ALNUM, prefix)

    def new_user(
        self, org: Org, user_id: str | None, profile: dict[str, Any], status: str | None
    ) -> User:
        now = self.clock.isoformat()
        status = status or ACTIVE
        user = User(
            user_id or self.new_id("00u"),
            dict(profile),
            status,
            now,
            org.user_type,
            self.ids.next("seq"),
            activated=now if status == ACTIVE else None,
            status_changed=now if status != "STAGED" else None,
            last_updated=now,
        )
        org.users[user.id] = user
        return user

    def new_group(
        self, org: Org, name: str, description: str | None, group_id: str | None = None
    ) -> Group:
        now = self.clock.isoformat()
        group = Group(
            group_id or self.new_id("00g"),
            name,
            description,
            now,
            self.ids.next("seq"),
            last_updated=now,
            last_membership_updated=now,
        )
        org.groups[group.id] = group
        return group

    @classmethod
    def correct_description(cls, document: dict[str, Any]) -> None:
        # A group without a description has "description": null (recorded Okta traffic); the
        # description types it as a string only.
        group_profile = document["components"]["schemas"]["OktaUserGroupProfile"]
        group_profile["properties"]["description"]["nullable"] = True
        # A malformed search, filter or limit is "400 E0000031 Invalid search criteria" (Okta's
        # error codes); the lists' descriptions have no 400.
        refused = {"$ref": "#/components/responses/ErrorApiValidationFailed400"}
        for path in ("/api/v1/users", "/api/v1/groups"):
            document["paths"][path]["get"]["responses"].setdefault("400", refused)

    # --- tokens and authentication ----------------------------------------------------------------
    def default_principal(self) -> str:
        return self.state.admin

    def new_token(self, principal: Any) -> str:
        """Okta API tokens: 42 characters, starting with ``00``."""
        return self.ids.string(40, ALNUM + "-_", "00")

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"{SCHEME} {token or self.token}"}

    def authenticate(self, request: Request) -> str:
        """``Authorization: SSWS <token>``; anything else is Okta's E0000011. The space is
        optional: the okta SDK 3.x sends ``SSWS<token>`` and Okta accepts it."""
        header = request.headers.get("authorization", "")
        token = header[len(SCHEME) :].strip() if header.startswith(SCHEME) else None
        if token not in self.tokens:
            raise okta_error(401, "E0000011", "Invalid token provided")
        return self.tokens[token]

    # --- responses --------------------------------------------------------------------------------
    def org_url(self, request: Request) -> str:
        """The org's URL as the client addressed it: links in responses point back there."""
        return self.origin(request)

    def handle(self, request: Request) -> Response | None:
        response = super().handle(request)
        if response is not None and "Date" not in response.headers:  # errors have them already
            response.headers.update(self._common_headers())
        return response

    def _common_headers(self) -> dict[str, str]:
        """``Date`` on the twin's clock (the SDK waits until ``X-Rate-Limit-Reset`` measured
        from it) and a request id, as every Okta response has."""
        return {
            "Date": formatdate(self.clock.now(), usegmt=True),
            "X-Okta-Request-Id": f"twin{self.ids.next('request'):016d}",
        }

    def error_response(self, error: ServiceError) -> Response:
        status, code, summary = _GENERIC_ERRORS.get(
            error.code, (error.status, error.code, error.message)
        )
        if error.code == Generic.INJECTED_FAULT:
            code, summary = _INJECTED.get(error.status, ("E0000009", "Internal Server Error"))
        body = {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": f"oae{self.ids.next('error'):022d}",
            "errorCauses": error.extra.get("errorCauses", []),
        }
        headers = {**self._common_headers(), **error.headers}
        return json_response(body, error.status if status is None else status, headers)

    def rate_limit_headers(self, status: LimitStatus) -> dict[str, str]:
        """Okta's headers. The reset time is on the twin's clock, like ``Date``: as far ahead of
        it as the real window has left to run, in whole Unix seconds (rounded down, as a Unix
        time is). Clients wait ``reset - Date + 1`` seconds, always past the window's end."""
        seconds_left = max(0.0, status.reset - time.time())
        return {
            "X-Rate-Limit-Limit": str(status.limit),
            "X-Rate-Limit-Remaining": str(status.remaining),
            "X-Rate-Limit-Reset": str(math.floor(self.clock.now() + seconds_left)),
        }
