"""The Jira twin's webhooks: registered through Jira's admin REST API, fired on issue and comment
events to the registered URLs, filtered by JQL, signed with the webhook's secret, retried."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests
from jira import JIRA

from holdout_twins.core import ActionRefused, load_seed
from holdout_twins.jira import JiraTwin

WEBHOOKS = "/rest/webhooks/1.0/webhook"
ALICE = "5b10a2844c20165700ede21g"
BOB = "5b109f2e9729b51b54dc274d"


@pytest.fixture
def jira_twin(twin):
    return twin("jira")


@pytest.fixture
def jira(jira_twin):
    return JIRA(server=jira_twin.base_url, basic_auth=jira_twin.credentials())


def register(jira_twin, url, events, **fields):
    answer = requests.post(
        jira_twin.base_url + WEBHOOKS,
        json={"name": "app", "url": url, "events": events, **fields},
        auth=jira_twin.credentials(),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_issue_events_reach_the_registered_url(jira_twin, jira, receiver):
    register(jira_twin, receiver.url, ["jira:issue_created", "jira:issue_updated"])

    bug = jira.create_issue(project="TWIN", summary="Export is slow", issuetype={"name": "Bug"})
    bug.update(summary="Export is very slow")
    jira.assign_issue(bug, "bob@twin.example")
    jira_twin.deliveries.wait()

    created, edited, assigned = receiver.bodies()
    assert created["webhookEvent"] == "jira:issue_created"
    assert created["issue_event_type_name"] == "issue_created"
    assert created["issue"]["key"] == bug.key
    assert created["issue"]["fields"]["summary"] == "Export is slow"
    assert created["user"]["emailAddress"] == "admin@twin.example"
    assert created["timestamp"] == int(jira_twin.clock.now() * 1000)
    assert edited["issue_event_type_name"] == "issue_updated"
    assert edited["changelog"]["items"] == [
        {
            "field": "summary",
            "fieldtype": "jira",
            "fieldId": "summary",
            "from": None,
            "fromString": "Export is slow",
            "to": None,
            "toString": "Export is very slow",
        }
    ]
    assert assigned["issue_event_type_name"] == "issue_assigned"
    (item,) = assigned["changelog"]["items"]
    assert (item["field"], item["to"], item["toString"]) == ("assignee", BOB, "Bob Baker")
    headers = receiver.requests[0].headers
    assert headers["user-agent"] == "Atlassian Webhook HTTP Client"
    assert headers["x-atlassian-webhook-identifier"]
    assert "x-hub-signature" not in headers


def test_a_reviewer_moving_an_issue_is_an_update_with_the_status_in_the_changelog(
    jira_twin, receiver
):
    register(jira_twin, receiver.url, ["jira:issue_updated", "comment_created"])
    alice = jira_twin.act_as("alice@twin.example")

    alice.transition("TWIN-1", "Done")
    alice.comment("TWIN-1", "Verified on staging.")
    jira_twin.deliveries.wait()

    moved, commented = receiver.bodies()
    assert moved["webhookEvent"] == "jira:issue_updated"
    assert moved["issue_event_type_name"] == "issue_generic"
    assert moved["user"]["accountId"] == ALICE
    status, resolution = moved["changelog"]["items"]
    assert (status["field"], status["fromString"], status["toString"]) == (
        "status",
        "In Progress",
        "Done",
    )
    assert (resolution["field"], resolution["toString"]) == ("resolution", "Done")
    assert moved["issue"]["fields"]["status"]["name"] == "Done"
    assert commented["webhookEvent"] == "comment_created"
    assert commented["comment"]["body"] == "Verified on staging."
    assert commented["comment"]["author"]["accountId"] == ALICE
    assert commented["issue"]["key"] == "TWIN-1"
    assert set(commented["issue"]) == {"id", "self", "key", "fields"}


def test_only_listed_events_and_issues_the_jql_matches_are_sent(jira_twin, jira, receiver):
    register(
        jira_twin,
        receiver.url,
        ["jira:issue_created"],
        filters={"issue-related-events-section": "issuetype = Bug"},
    )

    jira.create_issue(project="TWIN", summary="A task", issuetype={"name": "Task"})
    bug = jira.create_issue(project="TWIN", summary="A bug", issuetype={"name": "Bug"})
    bug.update(summary="Not listened to")
    jira_twin.deliveries.wait()

    assert [body["issue"]["fields"]["summary"] for body in receiver.bodies()] == ["A bug"]


def test_a_webhook_with_a_secret_signs_every_request(jira_twin, jira, receiver):
    register(jira_twin, receiver.url, ["jira:issue_deleted"], secret="It's a Secret to Everybody")

    jira.issue("TWIN-2").delete()
    jira_twin.deliveries.wait()

    (received,) = receiver.requests
    expected = hmac.new(b"It's a Secret to Everybody", received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-hub-signature"] == f"sha256={expected}"
    assert received.json()["issue"]["key"] == "TWIN-2"


def test_failures_are_retried_five_minutes_apart(jira_twin, receiver):
    answers = iter([503, 429, 200])
    receiver.respond = lambda received: (next(answers), {}, b"")
    register(jira_twin, receiver.url, ["comment_created"])

    jira_twin.act_as("bob@twin.example").comment("TWIN-3", "Me too")
    jira_twin.deliveries.wait()
    jira_twin.clock.advance(300)
    jira_twin.deliveries.wait()
    jira_twin.clock.advance(300)
    (delivery,) = jira_twin.deliveries.wait()

    assert [r.headers.get("x-atlassian-webhook-retry") for r in receiver.requests] == [
        None,
        "1",
        "2",
    ]
    identifiers = {r.headers["x-atlassian-webhook-identifier"] for r in receiver.requests}
    assert len(identifiers) == 1
    assert delivery.state == "delivered"


def test_a_client_error_is_not_retried(jira_twin, receiver):
    receiver.respond = lambda received: (404, {}, b"")
    register(jira_twin, receiver.url, ["comment_created"])

    jira_twin.act_as("bob@twin.example").comment("TWIN-3", "Gone?")
    (delivery,) = jira_twin.deliveries.wait()

    assert delivery.state == "failed" and len(delivery.attempts) == 1


def test_webhooks_are_managed_through_the_admin_api(jira_twin, receiver):
    auth = jira_twin.credentials()
    created = register(jira_twin, receiver.url, ["jira:issue_created"])
    url = created["self"]

    listed = requests.get(jira_twin.base_url + WEBHOOKS, auth=auth, timeout=10).json()
    updated = requests.put(
        url,
        json={"name": "renamed", "url": receiver.url, "events": ["comment_created"]},
        auth=auth,
        timeout=10,
    ).json()
    deleted = requests.delete(url, auth=auth, timeout=10)
    gone = requests.get(url, auth=auth, timeout=10)

    assert url == f"{jira_twin.base_url}{WEBHOOKS}/1"
    assert created["enabled"] is True and created["lastUpdatedUser"] == jira_twin.state.account
    assert listed == [created]
    assert (updated["name"], updated["events"]) == ("renamed", ["comment_created"])
    assert deleted.status_code == 204
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "http://example.com/hook"}, "url", "loopback addresses only"),
        ({"events": ["jira:issue_exploded"]}, "events", "Unknown events: jira:issue_exploded"),
        ({"filters": {"issue-related-events-section": "project = = TWIN"}}, "filters", "JQL"),
        ({"name": ""}, "name", "must not be empty"),
    ],
)
def test_a_webhook_that_cannot_be_registered_gets_jiras_400(
    jira_twin, receiver, fields, field, message
):
    body = {"name": "app", "url": receiver.url, "events": ["jira:issue_created"], **fields}

    answer = requests.post(
        jira_twin.base_url + WEBHOOKS, json=body, auth=jira_twin.credentials(), timeout=10
    )

    assert answer.status_code == 400
    assert message in answer.json()["errors"][field]


def test_only_administrators_manage_webhooks(jira_twin):
    alice = jira_twin.issue_token(ALICE)

    answer = requests.get(
        jira_twin.base_url + WEBHOOKS, auth=jira_twin.credentials(alice), timeout=10
    )

    assert answer.status_code == 403


def test_a_person_can_only_take_the_workflow_s_transitions(jira_twin):
    with pytest.raises(ActionRefused, match="available: To Do, Done"):
        jira_twin.act_as("alice@twin.example").transition("TWIN-1", "Approved")


def test_seeded_webhooks_fire_from_the_start(receiver):
    seed = load_seed(JiraTwin.seed_path)
    seed["webhooks"] = [{"name": "seeded", "url": receiver.url, "events": ["jira:issue_created"]}]
    twin = JiraTwin(seed_data=seed)
    try:
        twin.act_as("admin@twin.example").create_issue("TWIN", "From the seed's webhook")
        twin.deliveries.wait()
    finally:
        twin.stop()

    assert [body["issue"]["fields"]["summary"] for body in receiver.bodies()] == [
        "From the seed's webhook"
    ]


def test_people_act_through_the_control_endpoint(jira_twin, receiver, send):
    register(jira_twin, receiver.url, ["jira:issue_created"])
    action = {
        "as": "bob@twin.example",
        "action": "create_issue",
        "args": {"project": "TWIN", "summary": "By HTTP"},
    }

    answer = send(jira_twin, "POST", "/_twin/act", action, token=None)
    jira_twin.deliveries.wait()

    assert answer.status == 200 and answer.json()["result"]["key"].startswith("TWIN-")
    assert receiver.bodies()[0]["user"]["accountId"] == BOB
