"""The Jira twin driven by the official ``jira`` client, through realistic sequences of calls."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jira import JIRA, Issue, resilientsession
from jira.exceptions import JIRAError

from holdout_twins.jira import JiraTwin

REPO = Path(__file__).resolve().parents[2]
ADMIN, ALICE, BOB = (
    "5b10ac8d82e05b22cc7d4ef5",
    "5b10a2844c20165700ede21g",
    "5b109f2e9729b51b54dc274d",
)


@pytest.fixture
def jira_twin(twin: Any) -> JiraTwin:
    """The Jira twin from the framework's ``twin`` fixture: running, reset for this test."""
    return twin("jira")


def connect(twin: JiraTwin, token: str | None = None, **options: Any) -> JIRA:
    """The official client, authenticated with basic auth (email and API token)."""
    return JIRA(server=twin.base_url, basic_auth=twin.credentials(token), **options)


@pytest.fixture
def jira(jira_twin: JiraTwin) -> JIRA:
    return connect(jira_twin)


def jira_error(call: Any, *args: Any, **kwargs: Any) -> JIRAError:
    with pytest.raises(JIRAError) as raised:
        call(*args, **kwargs)
    return raised.value


def keys(issues: Any) -> list[str]:
    return [issue.key for issue in issues]


# --- the site and who we are ----------------------------------------------------------------------
def test_the_client_sees_a_cloud_site_and_its_own_account(jira: JIRA, jira_twin: JiraTwin):
    info = jira.server_info()

    assert info["deploymentType"] == "Cloud"
    assert info["baseUrl"] == jira_twin.base_url
    assert jira.myself()["accountId"] == ADMIN
    assert jira.myself()["emailAddress"] == "admin@twin.example"


def test_a_token_issued_to_another_account_acts_as_that_account(jira_twin: JiraTwin):
    alice = connect(jira_twin, jira_twin.issue_token(ALICE))

    created = alice.create_issue(project="TWIN", summary="From Alice", issuetype={"name": "Task"})

    assert alice.myself()["displayName"] == "Alice Archer"
    assert created.fields.reporter.accountId == ALICE


def test_projects_list_and_one_project_with_its_issue_types(jira: JIRA):
    project = jira.project("TWIN")

    assert [p.key for p in jira.projects()] == ["TWIN", "OPS"]
    assert project.name == "Twin Project"
    assert project.lead.accountId == ADMIN
    assert [t.name for t in project.issueTypes] == ["Task", "Bug", "Story"]


# --- issues ---------------------------------------------------------------------------------------
def test_an_issue_is_created_read_edited_and_deleted(jira: JIRA):
    created = jira.create_issue(
        project="TWIN",
        summary="Add a logout button",
        issuetype={"name": "Story"},
        description="As a user\nI want to log out.\n\nSo that nobody else uses my session.",
        priority={"name": "High"},
        labels=["frontend", "auth"],
    )
    created.update(summary="Add a logout link", assignee={"accountId": ALICE})
    edited = jira.issue(created.key)
    created.delete()

    assert created.key == "TWIN-4"  # three issues are seeded in TWIN
    assert created.fields.status.name == "To Do"
    assert created.fields.description == (
        "As a user\nI want to log out.\n\nSo that nobody else uses my session."
    )
    assert created.fields.priority.name == "High"
    assert created.fields.labels == ["frontend", "auth"]
    assert edited.fields.summary == "Add a logout link"
    assert edited.fields.assignee.displayName == "Alice Archer"
    assert jira_error(jira.issue, created.key).status_code == 404


def test_labels_are_added_and_removed_by_update_operations(jira: JIRA):
    issue = jira.issue("TWIN-1")

    issue.update(update={"labels": [{"add": "urgent"}, {"remove": "frontend"}]})

    assert jira.issue("TWIN-1").fields.labels == ["urgent"]


def test_an_edit_with_one_bad_value_changes_nothing(jira: JIRA):
    issue = jira.issue("TWIN-2")

    error = jira_error(
        issue.update,
        update={"summary": [{"set": "Renamed"}], "priority": [{"set": {"name": "Urgent"}}]},
    )

    assert error.status_code == 400
    assert error.response.json()["errors"] == {
        "priority": "The priority selected is invalid: Urgent"
    }
    assert jira.issue("TWIN-2").fields.summary == "Write the release notes"


def test_an_issue_is_assigned_and_unassigned(jira: JIRA):
    jira.assign_issue("TWIN-2", "bob@twin.example")  # the client looks the user up first
    assigned = jira.issue("TWIN-2").fields.assignee
    jira.assign_issue("TWIN-2", None)

    assert assigned.accountId == BOB
    assert jira.issue("TWIN-2").fields.assignee is None


def test_creating_an_issue_without_a_summary_names_each_bad_field(jira: JIRA):
    fields = {"project": {"key": "TWIN"}, "issuetype": {"id": "10001"}}

    error = jira_error(jira.create_issue, fields={**fields, "assignee": {"accountId": "nobody"}})

    assert error.status_code == 400
    assert error.response.json() == {
        "errorMessages": [],
        "errors": {
            "assignee": "Specify a valid value for assignee",
            "summary": "You must specify a summary of the issue.",
        },
    }


def test_unknown_fields_and_bad_values_are_refused_without_creating_anything(jira: JIRA):
    error = jira_error(
        jira.create_issue,
        project="TWIN",
        summary="line one\nline two",
        issuetype={"name": "Epic"},
        customfield_10099="x",
    )

    assert error.status_code == 400
    assert error.response.json()["errors"] == {
        "summary": "The summary is invalid because it contains newline characters.",
        "issuetype": "Specify a valid issue type",
        "customfield_10099": (
            "Field 'customfield_10099' cannot be set. It is not on the appropriate screen, or "
            "unknown."
        ),
    }
    assert keys(jira.search_issues("project = TWIN", maxResults=False)) == [
        "TWIN-3",
        "TWIN-2",
        "TWIN-1",
    ]


def test_a_missing_issue_is_a_404_with_jiras_message(jira: JIRA):
    error = jira_error(jira.issue, "TWIN-999")

    assert error.status_code == 404
    assert error.text == "Issue does not exist or you do not have permission to see it."


# --- comments -------------------------------------------------------------------------------------
def test_comments_are_added_listed_edited_and_deleted(jira: JIRA):
    first = jira.add_comment("TWIN-2", "Started on this.")
    second = jira.add_comment("TWIN-2", "Half done.\n\nNeeds review.")
    second.update(body="All done.")
    listed = jira.comments("TWIN-2")
    first.delete()

    assert [comment.body for comment in listed] == ["Started on this.", "All done."]
    assert listed[0].author.accountId == ADMIN
    assert [comment.id for comment in jira.comments("TWIN-2")] == [second.id]
    assert jira.comment("TWIN-2", second.id).body == "All done."


def test_comments_page_in_either_order(jira: JIRA):
    for number in range(1, 6):
        jira.add_comment("TWIN-2", f"Note {number}")

    middle = jira.comments("TWIN-2", start_at=2, max_results=2)
    newest_first = jira.comments("TWIN-2", order_by="-created")

    assert [comment.body for comment in middle] == ["Note 3", "Note 4"]
    assert [comment.body for comment in newest_first][:2] == ["Note 5", "Note 4"]


def test_an_empty_comment_is_refused(jira: JIRA):
    error = jira_error(jira.add_comment, "TWIN-2", "   ")

    assert error.status_code == 400
    assert error.response.json()["errors"] == {"comment": "Comment body can not be empty!"}


# --- transitions ----------------------------------------------------------------------------------
def test_an_issue_moves_through_the_workflow_and_is_resolved_when_done(jira: JIRA):
    names_at_start = [t["name"] for t in jira.transitions("TWIN-2")]
    jira.transition_issue("TWIN-2", "In Progress")
    in_progress = jira.issue("TWIN-2").fields
    jira.transition_issue("TWIN-2", "31", comment="Shipped in 1.2.")
    done = jira.issue("TWIN-2").fields
    jira.transition_issue("TWIN-2", "To Do")  # reopened

    assert names_at_start == ["In Progress", "Done"]
    assert (in_progress.status.name, in_progress.resolution) == ("In Progress", None)
    assert done.status.name == "Done"
    assert done.status.statusCategory.key == "done"
    assert done.resolution.name == "Done"
    assert done.comment.comments[-1].body == "Shipped in 1.2."
    assert jira.issue("TWIN-2").fields.resolution is None


def test_a_transition_not_available_from_the_current_status_is_refused(jira: JIRA):
    error = jira_error(jira.transition_issue, "TWIN-3", "31")  # TWIN-3 is already Done

    assert error.status_code == 400
    assert error.text == "Transition id '31' is not valid for this issue."


# --- issue links ----------------------------------------------------------------------------------
def test_a_link_shows_on_both_issues_until_it_is_deleted(jira: JIRA):
    jira.create_issue_link("Blocks", "TWIN-1", "TWIN-2")
    (from_first,) = jira.issue("TWIN-1").fields.issuelinks
    (from_second,) = jira.issue("TWIN-2").fields.issuelinks
    link = jira.issue_link(from_first.id)
    jira.delete_issue_link(link.id)

    assert from_first.type.outward == "blocks"
    assert from_first.outwardIssue.key == "TWIN-2"
    assert from_second.inwardIssue.key == "TWIN-1"
    assert (link.inwardIssue.key, link.outwardIssue.key) == ("TWIN-1", "TWIN-2")
    assert jira.issue("TWIN-1").fields.issuelinks == []


def test_a_link_type_can_be_named_by_its_outward_description(jira: JIRA):
    jira.create_issue_link("duplicates", "TWIN-3", "OPS-1")  # the client maps it to "Duplicate"

    (link,) = jira.issue("OPS-1").fields.issuelinks

    assert link.type.name == "Duplicate"
    assert link.inwardIssue.key == "TWIN-3"


def test_deleting_an_issue_removes_its_links(jira: JIRA):
    jira.create_issue_link("Relates", "TWIN-1", "TWIN-2")

    jira.issue("TWIN-2").delete()

    assert jira.issue("TWIN-1").fields.issuelinks == []


# --- search ---------------------------------------------------------------------------------------
def test_search_follows_next_page_tokens_to_the_end(jira: JIRA, jira_twin: JiraTwin):
    for number in range(1, 106):
        jira.create_issue(project="OPS", summary=f"Alert {number}", issuetype={"name": "Task"})

    found = jira.search_issues("project = OPS ORDER BY created", maxResults=False)
    first_page = jira.search_issues("project = OPS ORDER BY created", maxResults=40)

    assert len(found) == 106
    assert found[0].key == "OPS-1"
    assert found[-1].fields.summary == "Alert 105"
    assert len(jira_twin.journal.calls("search.jql")) == 3  # 100, then 6; then one page of 40
    assert keys(first_page) == [f"OPS-{n}" for n in range(1, 41)]
    assert first_page.nextPageToken


def test_the_classic_search_pages_by_start_at_and_total(jira_twin: JiraTwin):
    # Without serverInfo the client cannot tell it is on Cloud and uses /search with startAt.
    classic = connect(jira_twin, get_server_info=False, default_batch_sizes={Issue: 3})
    for number in range(1, 8):
        classic.create_issue(project="OPS", summary=f"Disk {number}", issuetype={"name": "Bug"})

    second_page = classic.search_issues("project = OPS ORDER BY key", startAt=3, maxResults=3)
    jira_twin.journal.clear()
    everything = classic.search_issues("project = OPS ORDER BY key", maxResults=False)
    pages = [call.params["startAt"] for call in jira_twin.journal.calls("search")]

    assert keys(second_page) == ["OPS-4", "OPS-5", "OPS-6"]
    assert second_page.total == 8
    assert keys(everything) == [f"OPS-{n}" for n in range(1, 9)]
    assert pages == ["0", "3", "6"]


def test_an_approximate_count_is_the_number_of_matches(jira: JIRA):
    assert jira.approximate_issue_count("project = TWIN") == 3
    assert jira.approximate_issue_count("status = Done") == 1


def test_jql_filters_by_status_assignee_and_text(jira: JIRA):
    jira.create_issue(
        project="OPS",
        summary="Failing backups",
        issuetype={"name": "Bug"},
        assignee={"accountId": ADMIN},
        description="The nightly backup fails with a timeout.",
    )

    assert keys(jira.search_issues('status = "In Progress"')) == ["TWIN-1"]
    assert keys(jira.search_issues("status in (Done, 'In Progress') ORDER BY key")) == [
        "TWIN-1",
        "TWIN-3",
    ]
    assert keys(jira.search_issues("assignee = currentUser()")) == ["OPS-2"]
    assert keys(jira.search_issues(f"assignee = {BOB} AND project = OPS")) == ["OPS-1"]
    assert keys(jira.search_issues("project = TWIN AND assignee is EMPTY")) == ["TWIN-2"]
    assert keys(jira.search_issues(f"project = TWIN AND assignee != {BOB}")) == ["TWIN-3"]
    assert keys(jira.search_issues('text ~ "timeout" ORDER BY created ASC')) == [
        "TWIN-1",  # "times out" in the summary does not count, "timeout" in the description does
        "OPS-2",
    ]
    assert keys(jira.search_issues('text ~ "reproduce"')) == ["TWIN-1"]  # found in a comment
    assert keys(jira.search_issues('project = OPS AND NOT summary ~ "backup"')) == ["OPS-1"]


def test_order_by_created_sorts_by_the_twins_clock(jira: JIRA, jira_twin: JiraTwin):
    jira_twin.clock.advance(60)
    jira.create_issue(project="TWIN", summary="Later", issuetype={"name": "Task"})
    jira_twin.clock.advance(60)
    jira.create_issue(project="TWIN", summary="Latest", issuetype={"name": "Task"})

    newest_first = jira.search_issues("project = TWIN ORDER BY created DESC")

    assert keys(newest_first) == ["TWIN-5", "TWIN-4", "TWIN-1", "TWIN-2", "TWIN-3"]
    assert newest_first[0].fields.created == "2026-01-01T00:02:00.000+0000"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("summary = login", "The operator '=' is not supported by the 'summary' field."),
        (
            "project = TWIN status = Done",
            "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'status'. "
            "(line 1, character 16)",
        ),
        (
            "ORDER BY created",
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your "
            "query.",
        ),
    ],
)
def test_bad_jql_is_a_400_with_jiras_message(jira: JIRA, query: str, message: str):
    error = jira_error(jira.search_issues, query)

    assert error.status_code == 400
    assert error.text == message


def test_search_by_post_takes_fields_from_the_body(jira: JIRA):
    found = jira.search_issues(
        "project = TWIN ORDER BY key", fields=["summary", "status"], use_post=True
    )

    assert [issue.fields.summary for issue in found] == [
        "Login page times out",
        "Write the release notes",
        "Export reports as CSV",
    ]
    assert not hasattr(found[0].fields, "assignee")


# --- v2 and v3 over one state ---------------------------------------------------------------------
def test_v3_speaks_document_format_over_the_same_issues(jira: JIRA, jira_twin: JiraTwin):
    v3 = connect(jira_twin, options={"rest_api_version": "3"})
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Steps to reproduce:"}]},
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [
                            {"type": "paragraph", "content": [{"type": "text", "text": "log in"}]}
                        ],
                    }
                ],
            },
        ],
    }

    created = v3.create_issue(
        project="TWIN", summary="Crash", issuetype={"name": "Bug"}, description=document
    )
    v3.add_comment(created.key, document)  # type: ignore[arg-type]  # v3 takes a document

    assert created.raw["fields"]["description"] == document
    assert jira.issue(created.key).fields.description == "Steps to reproduce:\n\n* log in"
    assert jira.comments(created.key)[0].body == "Steps to reproduce:\n\n* log in"
    assert v3.issue("TWIN-1").raw["fields"]["description"]["content"][0] == {
        "type": "paragraph",
        "content": [{"type": "text", "text": "Users see a spinner for thirty seconds."}],
    }


def test_v3_refuses_plain_text_where_it_expects_a_document(jira_twin: JiraTwin):
    v3 = connect(jira_twin, options={"rest_api_version": "3"})

    error = jira_error(
        v3.create_issue,
        project="TWIN",
        summary="Plain",
        issuetype={"name": "Task"},
        description="not a document",
    )

    assert error.status_code == 400
    assert error.response.json()["errors"] == {
        "description": (
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        )
    }


# --- authentication -------------------------------------------------------------------------------
def test_a_wrong_api_token_is_refused_when_the_client_connects(jira_twin: JiraTwin):
    with pytest.raises(JIRAError) as raised:
        JIRA(server=jira_twin.base_url, basic_auth=("admin@twin.example", "ATATT-not-issued"))

    assert raised.value.status_code == 401
    assert raised.value.text == "Client must be authenticated to access this resource."


def test_a_token_only_works_with_the_email_it_was_issued_for(jira_twin: JiraTwin):
    with pytest.raises(JIRAError) as raised:
        JIRA(server=jira_twin.base_url, basic_auth=("bob@twin.example", jira_twin.token))

    assert raised.value.status_code == 401


def test_anonymous_calls_are_refused_except_server_info(jira_twin: JiraTwin):
    anonymous = JIRA(server=jira_twin.base_url)  # serverInfo works without credentials

    error = jira_error(anonymous.myself)

    assert error.status_code == 401
    assert error.text == (
        "You are not authenticated. Authentication required to perform this operation."
    )


# --- rate limits and faults -----------------------------------------------------------------------
def test_the_clients_retry_handler_waits_out_a_429(
    jira: JIRA, jira_twin: JiraTwin, monkeypatch: pytest.MonkeyPatch
):
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the retry handler's own sleep, recorded and kept
        waits.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(resilientsession, "time", SimpleNamespace(sleep=sleep))
    jira_twin.rate_limits.set("issue.get", 1, per=1.0)

    first = jira.issue("TWIN-1")
    second = jira.issue("TWIN-2")  # over the limit: 429, the client waits and retries

    statuses = [call.status for call in jira_twin.journal.calls("issue.get")]
    assert (first.key, second.key) == ("TWIN-1", "TWIN-2")
    assert statuses == [200, 429, 200]
    assert len(waits) == 1
    assert waits[0] >= 1  # at least the Retry-After the twin sent


def test_an_injected_server_error_is_raised_as_a_jira_error(jira: JIRA, jira_twin: JiraTwin):
    jira_twin.faults.add("issue.get", status=500, times=1)

    error = jira_error(jira.issue, "TWIN-1")

    assert error.status_code == 500
    assert error.text == "Internal server error"
    assert jira.issue("TWIN-1").key == "TWIN-1"  # only once


def test_concurrent_clients_get_unique_consecutive_keys(jira_twin: JiraTwin):
    def create_many(worker: int) -> list[str]:
        client = connect(jira_twin)
        return [
            client.create_issue(
                project="OPS", summary=f"Worker {worker} #{n}", issuetype={"name": "Task"}
            ).key
            for n in range(15)
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:
        created = [key for keys_ in pool.map(create_many, range(4)) for key in keys_]

    assert sorted(created, key=lambda key: int(key.split("-")[1])) == [
        f"OPS-{n}" for n in range(2, 62)
    ]
    assert jira_twin.internal_errors == []


# --- determinism ----------------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_tokens_ids_and_times():
    first, second = JiraTwin(seed=5), JiraTwin(seed=5)

    assert first.token == second.token
    assert first.token.startswith("ATATT3xFfGF0")
    assert first.token != JiraTwin(seed=6).token
    assert [i.id for i in first.state.issues.values()] == ["10001", "10002", "10003", "10004"]


def test_restoring_a_snapshot_brings_back_issues_and_the_key_counter(jira_twin: JiraTwin):
    jira = connect(jira_twin)
    saved = jira_twin.snapshot()
    jira.create_issue(project="TWIN", summary="Temporary", issuetype={"name": "Task"})
    jira_twin.restore(saved)

    again = jira.create_issue(project="TWIN", summary="Again", issuetype={"name": "Task"})

    assert again.key == "TWIN-4"
    assert keys(jira.search_issues('summary ~ "temporary"')) == []


# --- the documentation's examples run as written --------------------------------------------------
def python_block(text: str) -> str:
    return text.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_runs():
    readme = REPO / "twins" / "jira" / "README.md"

    exec(compile(python_block(readme.read_text()), str(readme), "exec"), {})


def test_the_docs_section_example_runs():
    docs = REPO / "docs" / "twins.md"
    section = docs.read_text().split("## The Jira twin", 1)[1]

    exec(compile(python_block(section), str(docs), "exec"), {})
