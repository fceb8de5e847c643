"""The Okta twin driven by Okta's Python SDK (okta 3.x), through realistic sequences of calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from okta.client import Client as OktaClient
from okta.errors.okta_api_error import OktaAPIError
from okta.exceptions import OktaAPIException
from okta.models import AddGroupRequest, CreateUserRequest, UpdateUserRequest
from okta.pagination import PaginationHelper, paginate_all

from holdout_twins.okta import OktaTwin

pytestmark = pytest.mark.anyio

ADMIN, ALICE, BOB = "00utwinadmin00000001", "00utwinalice00000001", "00utwinbob0000000001"
CAROL, DAVE = "00utwincarol00000001", "00utwindave000000001"
ENGINEERING, SALES = "00gtwinengineers0001", "00gtwinsales00000001"
# The seeded users a plain list shows (Dave is deactivated), in creation order.
LISTED = ["admin", "alice", "bob", "carol"]
TAKEN = "An object with this field already exists in the current organization"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the SDK runs on aiohttp


@pytest.fixture
def okta(twin: Any) -> OktaTwin:
    return twin("okta")


def sdk(twin: OktaTwin, token: str | None = None, **options: Any) -> OktaClient:
    return OktaClient({"orgUrl": twin.base_url, "token": token or twin.token, **options})


@pytest.fixture
def plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK insists on an https org URL unless its testing flag is set (see the README)."""
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")


@pytest.fixture
async def client(okta: OktaTwin, plain_http: None) -> AsyncIterator[OktaClient]:
    async with sdk(okta) as client:
        yield client


def person(name: str, **profile: Any) -> dict[str, Any]:
    email = f"{name}@example.com"
    return {
        "firstName": name.title(),
        "lastName": "Tester",
        "email": email,
        "login": email,
        **profile,
    }


async def create(client: OktaClient, name: str, password: str | None = None, **options: Any):
    body: dict[str, Any] = {"profile": person(name)}
    if password:
        body["credentials"] = {"password": {"value": password}}
    user, _, error = await client.create_user(CreateUserRequest.from_dict(body), **options)
    assert error is None
    return user


async def status_of(client: OktaClient, user_id: str) -> str:
    user, _, error = await client.get_user(user_id)
    assert error is None
    return user.status.value


async def failure(call: Any) -> OktaAPIError:
    """The SDK's error from an awaited call (its last result)."""
    error = (await call)[-1]
    assert isinstance(error, OktaAPIError), error
    return error


def logins(users: list[Any]) -> list[str]:
    return [user.profile.login.split("@")[0] for user in users]


def group_name(group: Any) -> str:
    return group.profile.actual_instance.name


# --- users and their lifecycle -------------------------------------------------------------------
async def test_a_user_goes_through_the_whole_lifecycle(client):
    user = await create(client, "erin", password="pw-erin-1", activate=False)
    seen = [user.status.value]
    for step in ("activate_user", "suspend_user", "unsuspend_user", "deactivate_user"):
        result = await getattr(client, step)(user.id)
        assert result[-1] is None
        seen.append(await status_of(client, user.id))
    await client.delete_user(user.id)
    gone = await failure(client.get_user(user.id))

    assert seen == ["STAGED", "ACTIVE", "SUSPENDED", "ACTIVE", "DEPROVISIONED"]
    assert (gone.status, gone.error_code) == (404, "E0000007")
    assert gone.error_summary == f"Not found: Resource not found: {user.id} (User)"


async def test_a_password_decides_between_active_and_provisioned(client):
    with_password = await create(client, "fay", password="pw-fay-1")
    without = await create(client, "gus")

    assert with_password.status.value == "ACTIVE"
    assert with_password.activated is not None
    assert without.status.value == "PROVISIONED"
    assert without.activated is None


async def test_activation_without_email_hands_back_a_token_and_cannot_happen_twice(client, okta):
    user = await create(client, "hal", password="pw-hal-1", activate=False)

    token, _, error = await client.activate_user(user.id, send_email=False)
    again = await failure(client.activate_user(user.id))

    assert error is None
    assert token.activation_url == f"{okta.base_url}/tokens/{token.activation_token}/verify"
    assert (again.status, again.error_code) == (403, "E0000016")


async def test_the_first_delete_deactivates_and_the_second_removes(client, okta):
    await client.delete_user(BOB)
    deactivated = await status_of(client, BOB)
    await client.delete_user(BOB)

    assert deactivated == "DEPROVISIONED"
    assert (await failure(client.get_user(BOB))).error_code == "E0000007"
    members, _, _ = await client.list_group_users(SALES)
    assert members == []
    assert [call.status for call in okta.journal.calls("deleteUser")] == [204, 204]


async def test_only_an_active_user_can_be_suspended(client):
    refused = await failure(client.suspend_user(CAROL))  # staged
    not_suspended = await failure(client.unsuspend_user(ALICE))

    assert (refused.status, refused.error_code) == (400, "E0000001")
    assert refused.error_causes == [
        {"errorSummary": "status: Cannot suspend a user that is not active"}
    ]
    assert not_suspended.error_code == "E0000001"
    assert await status_of(client, CAROL) == "STAGED"


@pytest.mark.parametrize(
    "key", [ALICE, "alice@twin-org.example", "ALICE@twin-org.example", "alice"]
)
async def test_a_user_is_found_by_id_login_or_short_name(client, key):
    user, _, error = await client.get_user(key)

    assert error is None
    assert user.id == ALICE


async def test_me_is_the_user_the_token_belongs_to(client, okta, plain_http):
    admin, _, _ = await client.get_user("me")
    async with sdk(okta, okta.issue_token(ALICE)) as as_alice:
        alice, _, _ = await as_alice.get_user("me")

    assert (admin.id, alice.id) == (ADMIN, ALICE)


async def test_a_partial_update_keeps_the_rest_and_a_replace_drops_it(client, okta):
    okta.clock.advance(60)
    updated, _, _ = await client.update_user(
        ALICE, UpdateUserRequest.from_dict({"profile": {"nickName": "Ali"}})
    )
    replaced, _, _ = await client.replace_user(
        BOB, UpdateUserRequest.from_dict({"profile": person("robert")})
    )

    assert (updated.profile.nick_name, updated.profile.department) == ("Ali", "Engineering")
    assert updated.last_updated.isoformat() == "2026-01-01T00:01:00+00:00"
    assert updated.created.isoformat() == "2026-01-01T00:00:00+00:00"
    assert replaced.profile.login == "robert@example.com"
    assert replaced.profile.department is None


async def test_a_taken_login_is_refused_with_its_cause(client):
    error = await failure(
        client.create_user(
            CreateUserRequest.from_dict({"profile": person("x", login="Bob@twin-org.example")})
        )
    )

    assert (error.status, error.error_code) == (400, "E0000001")
    assert error.error_summary == "Api validation failed: login"
    assert error.error_causes == [{"errorSummary": f"login: {TAKEN}"}]


@pytest.mark.parametrize(
    ("profile", "field", "cause"),
    [
        ({"lastName": None}, "lastName", "The field cannot be left blank"),
        ({"email": "not-an-email"}, "email", "Does not match required pattern"),
        ({"login": "ivan.tester"}, "login", "Username must be in the form of an email address"),
    ],
)
async def test_the_default_user_schema_is_enforced(client, profile, field, cause):
    body = {"profile": {**person("ivan"), **profile}}
    body["profile"] = {key: value for key, value in body["profile"].items() if value is not None}

    error = await failure(client.create_user(CreateUserRequest.from_dict(body)))

    assert error.error_summary == f"Api validation failed: {field}"
    assert error.error_causes == [{"errorSummary": f"{field}: {cause}"}]


# --- lists: pagination, search, filter, q --------------------------------------------------------
async def test_pages_follow_the_link_header_to_the_end(client, okta):
    for index in range(7):
        await create(client, f"user{index}", password="pw-1234-x")
    seen, after, pages = [], None, 0
    while True:
        users, response, error = await client.list_users(limit=3, after=after)
        assert error is None
        seen += logins(users)
        pages += 1
        after = PaginationHelper.extract_next_cursor(response.headers)
        if after is None:
            break

    assert seen == LISTED + [f"user{index}" for index in range(7)]
    assert pages == 4
    assert len(okta.journal.calls("listUsers")) == 4


async def test_the_sdk_paginator_reads_every_page(client):
    for index in range(4):
        await create(client, f"page{index}")

    everyone = [user async for user in paginate_all(client.list_users, limit=2)]

    assert logins(everyone) == LISTED + [f"page{index}" for index in range(4)]


async def test_deleting_between_pages_skips_no_one(client):
    first, response, _ = await client.list_users(limit=2)
    await client.delete_user(first[-1].id)  # deactivated: no longer listed
    rest, _, _ = await client.list_users(
        limit=2, after=PaginationHelper.extract_next_cursor(response.headers)
    )

    assert logins(first) + logins(rest) == LISTED


async def test_a_plain_list_hides_deactivated_users_and_search_and_filter_show_them(client):
    plain, _, _ = await client.list_users()
    searched, _, _ = await client.list_users(search='status eq "DEPROVISIONED"')
    filtered, _, _ = await client.list_users(filter='status eq "DEPROVISIONED"')

    assert logins(plain) == LISTED
    assert logins(searched) == logins(filtered) == ["dave"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('profile.department eq "engineering"', ["alice", "carol"]),  # values ignore case
        ('profile.firstName sw "a"', ["admin", "alice"]),
        ('profile.email co "bob"', ["bob"]),
        ('profile.department eq "Sales" and status eq "ACTIVE"', ["bob"]),
        ('(profile.lastName sw "Ch" or profile.lastName sw "Br") and status ne "x"', None),
        ('status eq "STAGED" or id eq "00utwinalice00000001"', ["alice", "carol"]),
        ("profile.department pr", ["alice", "bob", "carol", "dave"]),
    ],
)
async def test_search_expressions(client, expression, expected):
    users, _, error = await client.list_users(search=expression)

    if expected is None:  # an unsupported operator
        assert (error.status, error.error_code) == (400, "E0000031")
    else:
        assert error is None
        assert logins(users) == expected


async def test_filter_accepts_only_its_documented_subset(client):
    exact, _, _ = await client.list_users(filter='profile.login eq "bob@twin-org.example"')
    wrong_case, _, _ = await client.list_users(filter='profile.login eq "BOB@twin-org.example"')
    other_property = await failure(client.list_users(filter='profile.department eq "Sales"'))
    other_operator = await failure(client.list_users(filter='profile.firstName sw "B"'))

    assert logins(exact) == ["bob"]
    assert wrong_case == []
    assert other_property.error_code == other_operator.error_code == "E0000031"
    assert other_property.error_summary == "Invalid search criteria."


async def test_filter_on_last_updated_follows_the_twin_clock(client, okta):
    okta.clock.advance(3600)
    await client.update_user(BOB, UpdateUserRequest.from_dict({"profile": {"title": "Lead"}}))

    recent, _, _ = await client.list_users(filter='lastUpdated gt "2026-01-01T00:30:00.000Z"')

    assert logins(recent) == ["bob"]


async def test_q_matches_name_starts_and_returns_one_page(client):
    for index in range(3):
        await create(client, f"quinn{index}")

    found, response, _ = await client.list_users(q="quin", limit=2)

    assert logins(found) == ["quinn0", "quinn1"]
    assert PaginationHelper.extract_next_cursor(response.headers) is None


# --- groups and membership -----------------------------------------------------------------------
async def test_a_group_is_created_filled_listed_and_deleted(client):
    group, _, error = await client.add_group(
        AddGroupRequest.from_dict({"profile": {"name": "Support", "description": "Helpers"}})
    )
    assert error is None
    for user_id in (ALICE, BOB):
        assert (await client.assign_user_to_group(group.id, user_id))[-1] is None
    await client.assign_user_to_group(group.id, ALICE)  # already a member: no change
    members, _, _ = await client.list_group_users(group.id)
    alices_groups, _, _ = await client.list_user_groups(ALICE)
    await client.unassign_user_from_group(group.id, ALICE)
    remaining, _, _ = await client.list_group_users(group.id)
    await client.delete_group(group.id)
    gone = await failure(client.get_group(group.id))

    assert group.id.startswith("00g") and len(group.id) == 20
    assert logins(members) == ["alice", "bob"]
    assert [group_name(each) for each in alices_groups] == ["Everyone", "Engineering", "Support"]
    assert logins(remaining) == ["bob"]
    assert (gone.status, gone.error_code) == (404, "E0000007")


async def test_group_members_page_to_the_end(client):
    for index in range(5):
        user = await create(client, f"member{index}")
        await client.assign_user_to_group(ENGINEERING, user.id)

    members = [
        user async for user in paginate_all(client.list_group_users, limit=3, group_id=ENGINEERING)
    ]

    assert logins(members) == ["alice", "carol"] + [f"member{index}" for index in range(5)]


async def test_a_group_name_is_unique(client):
    error = await failure(
        client.add_group(AddGroupRequest.from_dict({"profile": {"name": "Sales"}}))
    )

    assert error.error_causes == [{"errorSummary": f"name: {TAKEN}"}]


async def test_everyone_is_built_in_and_cannot_be_changed(client):
    (everyone,), _, _ = await client.list_groups(q="Every")
    members, _, _ = await client.list_group_users(everyone.id)
    refused = await failure(client.assign_user_to_group(everyone.id, ALICE))

    assert everyone.type.value == "BUILT_IN"
    assert logins(members) == [*LISTED, "dave"]
    assert (refused.status, refused.error_code) == (403, "E0000006")


async def test_groups_by_search_filter_and_stats(client):
    searched, _, _ = await client.list_groups(search='profile.name sw "eng"')
    filtered, _, _ = await client.list_groups(filter='type eq "OKTA_GROUP"')
    with_stats, _, _ = await client.list_groups(q="Sales", expand="stats")

    assert [group_name(group) for group in searched] == ["Engineering"]
    assert [group_name(group) for group in filtered] == ["Engineering", "Sales"]
    assert with_stats[0].embedded.stats.users_count == 1


# --- authentication, rate limits, faults ---------------------------------------------------------
async def test_a_wrong_token_gets_okta_s_401(okta, plain_http):
    async with sdk(okta, "00-not-a-token") as stranger:
        error = await failure(stranger.list_users())

    assert (error.status, error.error_code) == (401, "E0000011")
    assert error.error_summary == "Invalid token provided"


async def test_the_sdk_raises_its_exception_when_asked_to(okta, plain_http):
    async with sdk(okta, raiseException=True) as raising:
        with pytest.raises(OktaAPIException) as raised:
            await raising.get_user("nobody@example.com")

    assert raised.value.args[0]["errorCode"] == "E0000007"


async def test_the_sdk_waits_out_a_rate_limit_and_retries(client, okta):
    okta.rate_limits.set("listUsers", 1, per=1.0)

    first, _, _ = await client.list_users()
    second, _, error = await client.list_users()

    assert error is None
    assert logins(second) == logins(first)
    assert [call.status for call in okta.journal.calls("listUsers")] == [200, 429, 200]


async def test_over_the_limit_without_retries_the_sdk_reports_okta_s_429(okta, plain_http):
    okta.rate_limits.set("getUser", 2, per=60.0)
    async with sdk(okta, rateLimit={"maxRetries": 0}) as client:
        _, allowed, _ = await client.get_user(ALICE)
        await client.get_user(ALICE)
        limited = await failure(client.get_user(ALICE))

    assert allowed.headers["X-Rate-Limit-Limit"] == "2"
    assert allowed.headers["X-Rate-Limit-Remaining"] == "1"
    assert (limited.status, limited.error_code) == (429, "E0000047")
    assert limited.headers["X-Rate-Limit-Remaining"] == "0"
    reset_in = int(limited.headers["X-Rate-Limit-Reset"]) - okta.clock.now()
    assert 0 < reset_in <= 60
    assert 0 < int(limited.headers["Retry-After"]) <= 60


async def test_documented_limits_show_in_every_answer(client, okta):
    okta.rate_limits.enforce_defaults()

    _, response, _ = await client.list_groups()

    assert response.headers["X-Rate-Limit-Limit"] == "500"
    assert response.headers["X-Rate-Limit-Remaining"] == "499"


async def test_the_headers_come_even_when_limits_are_not_enforced(client, okta):
    # As from Okta, which sends them on every answer; the twin counts but never refuses.
    for expected in ("499", "498"):
        _, response, _ = await client.list_groups()
        assert response.headers["X-Rate-Limit-Limit"] == "500"
        assert response.headers["X-Rate-Limit-Remaining"] == expected


async def test_injected_faults_come_in_okta_s_shape(client, okta):
    okta.faults.add("createUser", status=500, times=1)
    okta.faults.add("listGroups", status=429, times=1)

    error = await failure(client.create_user(CreateUserRequest.from_dict({"profile": person("z")})))
    groups, _, retried = await client.list_groups()  # the SDK retries the 429 itself

    assert (error.status, error.error_code) == (500, "E0000009")
    assert retried is None and len(groups) == 3


async def test_concurrent_creates_lose_nothing(client):
    names = [f"load{index:02d}" for index in range(40)]

    created = await asyncio.gather(*(create(client, name) for name in names))
    listed = [user async for user in paginate_all(client.list_users, limit=200)]

    assert len({user.id for user in created}) == len(names)
    assert sorted(logins(listed)) == sorted(LISTED + names)


# --- determinism ---------------------------------------------------------------------------------
async def test_the_same_seed_gives_the_same_ids(okta, plain_http):
    ids = []
    for seed in (5, 5, 6):
        okta.reset(seed)  # a new seed, new tokens too
        async with sdk(okta) as client:
            ids.append((await create(client, "seeded")).id)

    assert ids[0] == ids[1] != ids[2]


async def test_a_snapshot_brings_deleted_users_back(client, okta):
    saved = okta.snapshot()
    await client.delete_user(ALICE)
    await client.delete_user(ALICE)
    okta.restore(saved)

    assert await status_of(client, ALICE) == "ACTIVE"
