"""The Okta twin's event hooks: created, verified and activated through Okta's API (with the
official SDK), then delivering user lifecycle and group membership events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from okta.client import Client as OktaClient
from okta.models import (
    EventHook,
    EventHookChannel,
    EventHookChannelConfig,
    EventHookChannelConfigAuthScheme,
    EventHookChannelConfigHeader,
    EventSubscriptions,
)

from holdout_twins.core import load_seed
from holdout_twins.okta import OktaTwin

HTTPS_CHECK = "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"
ADMIN = "admin@twin-org.example"
HOOKS = "/api/v1/eventHooks"


@pytest.fixture(autouse=True)
def plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HTTPS_CHECK, "true")  # the twin speaks plain http


@pytest.fixture
def okta(twin):
    return twin("okta")


def answering_the_challenge(received) -> tuple[int, dict[str, str], bytes]:
    if received.method == "GET":
        challenge = received.headers["x-okta-verification-challenge"]
        body = json.dumps({"verification": challenge}).encode()
        return (200, {"Content-Type": "application/json"}, body)
    return (200, {}, b"")


def hook_model(url: str, events: list[str]) -> EventHook:
    return EventHook(
        name="Provisioning app",
        events=EventSubscriptions(type="EVENT_TYPE", items=events),
        channel=EventHookChannel(
            type="HTTP",
            version="1.0.0",
            config=EventHookChannelConfig(
                uri=url,
                headers=[EventHookChannelConfigHeader(key="X-Source", value="twin")],
                auth_scheme=EventHookChannelConfigAuthScheme(
                    type="HEADER", key="Authorization", value="Bearer hook-secret"
                ),
            ),
        ),
    )


def sdk(okta: OktaTwin, steps: Any) -> Any:
    async def run() -> Any:
        async with OktaClient({"orgUrl": okta.base_url, "token": okta.token}) as client:
            return await steps(client)

    return asyncio.run(run())


def test_a_verified_hook_receives_user_lifecycle_events(okta, receiver):
    receiver.respond = answering_the_challenge

    async def set_up(client):
        created, _, error = await client.create_event_hook(
            hook_model(receiver.url, ["user.lifecycle.create", "user.lifecycle.deactivate"])
        )
        assert error is None
        verified, _, error = await client.verify_event_hook(created.id)
        assert error is None
        return created, verified

    created, verified = sdk(okta, set_up)
    admin = okta.act_as(ADMIN)
    new = admin.create_user(
        {
            "login": "erin@twin-org.example",
            "email": "erin@twin-org.example",
            "firstName": "Erin",
            "lastName": "Evans",
        }
    )
    admin.deactivate(new["id"])
    okta.deliveries.wait()

    assert created.status == "ACTIVE" and created.verification_status == "UNVERIFIED"
    assert verified.verification_status == "VERIFIED"
    verification, created_event, deactivated_event = receiver.requests
    assert verification.method == "GET"
    assert verification.headers["authorization"] == "Bearer hook-secret"
    assert verification.headers["x-source"] == "twin"
    envelope = created_event.json()
    assert envelope["eventType"] == "com.okta.event_hook"
    assert envelope["source"].endswith(f"/api/v1/eventHooks/{created.id}")
    (log_event,) = envelope["data"]["events"]
    assert log_event["eventType"] == "user.lifecycle.create"
    assert log_event["displayMessage"] == "Create Okta user"
    assert log_event["published"] == envelope["eventTime"] == okta.clock.isoformat()
    assert log_event["actor"]["alternateId"] == ADMIN
    assert log_event["target"][0]["id"] == new["id"]
    assert log_event["target"][0]["displayName"] == "Erin Evans"
    assert log_event["outcome"]["result"] == "SUCCESS"
    assert created_event.headers["authorization"] == "Bearer hook-secret"
    deactivated = deactivated_event.json()["data"]["events"][0]
    assert deactivated["eventType"] == "user.lifecycle.deactivate"


def test_group_membership_events_name_the_user_and_the_group(okta, receiver):
    receiver.respond = answering_the_challenge
    events = ["group.user_membership.add", "group.user_membership.remove"]

    async def set_up(client):
        hook, _, _ = await client.create_event_hook(hook_model(receiver.url, events))
        await client.verify_event_hook(hook.id)
        groups, _, _ = await client.list_groups(q="Engineering")
        users, _, _ = await client.list_users(search='profile.login eq "dave@twin-org.example"')
        await client.assign_user_to_group(groups[0].id, users[0].id)
        await client.unassign_user_from_group(groups[0].id, users[0].id)

    sdk(okta, set_up)
    okta.deliveries.wait()

    added, removed = (received.json()["data"]["events"][0] for received in receiver.requests[1:])
    assert added["eventType"] == "group.user_membership.add"
    assert removed["eventType"] == "group.user_membership.remove"
    user, group = added["target"]
    assert (user["type"], user["alternateId"]) == ("User", "dave@twin-org.example")
    assert (group["type"], group["displayName"]) == ("UserGroup", "Engineering")


def test_an_unverified_or_inactive_hook_receives_nothing(okta, receiver):
    receiver.respond = answering_the_challenge

    async def set_up(client):
        await client.create_event_hook(  # never verified
            hook_model(receiver.url, ["user.lifecycle.suspend"])
        )
        inactive, _, _ = await client.create_event_hook(
            hook_model(receiver.url, ["user.lifecycle.suspend"])
        )
        await client.verify_event_hook(inactive.id)
        await client.deactivate_event_hook(inactive.id)

    sdk(okta, set_up)
    okta.act_as(ADMIN).suspend("alice@twin-org.example")
    okta.deliveries.wait()

    assert [received.method for received in receiver.requests] == ["GET"]


def test_verification_fails_when_the_endpoint_does_not_echo_the_challenge(okta, receiver):
    receiver.respond = lambda received: (200, {}, b'{"verification": "something else"}')

    async def set_up(client):
        hook, _, _ = await client.create_event_hook(
            hook_model(receiver.url, ["user.lifecycle.create"])
        )
        _, _, error = await client.verify_event_hook(hook.id)
        return hook, error

    hook, error = sdk(okta, set_up)

    assert error is not None and "did not return the challenge (rejected, HTTP 200)" in str(error)
    assert len(receiver.requests) == 2  # one retry, as Okta makes
    assert okta.state.event_hooks[hook.id].verification_status == "UNVERIFIED"


def test_a_failed_event_is_retried_once(okta, receiver):
    seed = load_seed(OktaTwin.seed_path)
    seed["event_hooks"] = [
        {"name": "seeded", "uri": receiver.url, "events": ["user.lifecycle.unsuspend"]}
    ]
    receiver.respond = lambda received: (500, {}, b"")
    seeded = OktaTwin(seed_data=seed)
    try:
        person = seeded.act_as(ADMIN)
        person.suspend("bob@twin-org.example")
        person.unsuspend("bob@twin-org.example")
        (delivery,) = seeded.deliveries.wait()
    finally:
        seeded.stop()

    assert [attempt.status for attempt in delivery.attempts] == [500, 500]
    assert delivery.state == "failed"


def hook_body(uri: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Audit",
        "events": {"type": "EVENT_TYPE", "items": ["user.lifecycle.create"]},
        "channel": {"type": "HTTP", "version": "1.0.0", "config": {"uri": uri}},
        **changes,
    }


def ssws(okta: OktaTwin) -> dict[str, str]:
    return {"Authorization": f"SSWS {okta.token}"}


def test_the_hooks_api_manages_hooks_as_okta_does(okta, receiver, send):
    auth = ssws(okta)
    created = send(okta, "POST", HOOKS, hook_body(receiver.url), auth, token=None).json()
    path = f"{HOOKS}/{created['id']}"

    refused = send(okta, "DELETE", path, headers=auth, token=None)
    send(okta, "POST", path + "/lifecycle/deactivate", headers=auth, token=None)
    deleted = send(okta, "DELETE", path, headers=auth, token=None)
    listed = send(okta, "GET", HOOKS, headers=auth, token=None)

    assert created["id"].startswith("who") and created["status"] == "ACTIVE"
    assert created["channel"]["config"]["authScheme"] is None
    assert created["_links"]["verify"]["href"].endswith(path + "/lifecycle/verify")
    assert refused.status == 403
    assert deleted.status == 204
    assert listed.json() == []


@pytest.mark.parametrize(
    ("uri", "changes", "message"),
    [
        ("http://example.com/", {}, "loopback"),
        (None, {"events": {"type": "EVENT_TYPE", "items": ["user.session.start"]}}, "session"),
        (None, {"name": ""}, "name"),
    ],
)
def test_a_hook_that_cannot_be_created_gets_oktas_validation_error(
    okta, receiver, send, uri, changes, message
):
    body = hook_body(uri or receiver.url, **changes)

    answer = send(okta, "POST", HOOKS, body, ssws(okta), token=None)

    assert answer.status == 400
    assert answer.json()["errorCode"] == "E0000001"
    assert message in json.dumps(answer.json()["errorCauses"])


def test_people_act_through_the_control_endpoint(okta, send):
    action = {"as": ADMIN, "action": "suspend", "args": {"user": "alice@twin-org.example"}}

    answer = send(okta, "POST", "/_twin/act", action, token=None)

    assert answer.status == 200
    assert okta.state.find_user("alice@twin-org.example").status == "SUSPENDED"
