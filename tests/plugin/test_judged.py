"""Model-judged Then steps inside a holdout run, against the Anthropic twin."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from holdout_twins.anthropic import AnthropicTwin, tool_use

from holdout_project import HoldoutProject

STEPS = """
import json
import urllib.request

@given("a reply to the customer", target_fixture="reply")
def reply(twin):
    # The software posts its reply to Slack; the judge sees the twin's journal.
    slack = twin("slack")
    text = "Thanks for writing in; your refund is on its way."
    request = urllib.request.Request(
        f"{slack.base_url}/api/chat.postMessage",
        data=json.dumps({"channel": "C0GENERAL1", "text": text}).encode(),
        headers={"Authorization": f"Bearer {slack.token}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()
    return text

@then.judged("the reply is polite", rubric="Polite means courteous wording.")
def polite(reply):
    return {"reply": reply}

@then.judged("the reply promises a date")
def promises(reply):
    return {"reply": reply}
"""

FEATURE = """
Feature: Replies
  Scenario: polite
    Given a reply to the customer
    Then the reply is polite
  Scenario: dated
    Given a reply to the customer
    Then the reply promises a date
"""


def _verdict(satisfied: bool, reason: str) -> list[object]:
    return [tool_use("record_verdict", {"satisfied": satisfied, "reason": reason})]


@pytest.fixture
def judged(
    project: HoldoutProject, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[HoldoutProject, AnthropicTwin]]:
    project.steps(STEPS)
    project.add(FEATURE)
    with AnthropicTwin(seed=3) as twin:
        twin.script.add_rule(_verdict(True, "courteous throughout"), contains="is polite")
        twin.script.add_rule(_verdict(False, "no date is given"), contains="promises a date")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", twin.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", twin.token)
        yield project, twin


Judged = tuple[HoldoutProject, AnthropicTwin]


def test_the_judge_decides_and_its_reasons_are_sealed(judged: Judged) -> None:
    from pytest_holdout.reports.sealed import render

    project, twin = judged
    project.sign()  # a sealed report is sealed to the RECIPIENTS MANIFEST signed
    result = project.run("-v", "--holdout-sealed-report", "sealed.age")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*step 2 (Then) failed: judge*"])
    assert "no date is given" not in result.stdout.str()
    opened = render(project.pytester.path / "sealed.age", [project.identity])
    assert "judge: no date is given" in opened and "judge: courteous throughout" in opened
    requests = twin.journal.calls("messages.create")
    assert len(requests) == 2
    # The judge saw the criterion, the rubric and the step's evidence.
    sent = json.dumps([entry.to_dict() for entry in requests])
    assert "Polite means courteous wording." in sent and "refund is on its way" in sent
    assert "Requests received by the slack twin" in sent and "chat.postMessage" in sent


def test_verdicts_are_cached_so_a_rerun_costs_nothing(judged: Judged) -> None:
    project, twin = judged
    project.run().assert_outcomes(passed=1, failed=1)
    project.run().assert_outcomes(passed=1, failed=1)
    assert len(twin.journal.calls("messages.create")) == 2
    cached = list((project.pytester.path / ".pytest_cache").rglob("*.age"))
    assert len(cached) == 2
    assert all(b"no date" not in path.read_bytes() for path in cached)


def test_without_an_api_key_judged_steps_are_unjudged(
    judged: Judged, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, twin = judged
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    result = project.run("--holdout-json", "holdout.json")
    trials = json.loads((project.pytester.path / "holdout.json").read_text())["figures"]["trials"]
    assert trials["unjudged"] == 2 and trials["judged"] == 0
    result.stdout.fnmatch_lines(["*2 unjudged*"])
    assert twin.journal.calls("messages.create") == []
