"""`--holdout-chaos`: the twins inject faults during holdout trials, reproducibly by seed."""

from __future__ import annotations

import json

from holdout_project import HoldoutProject

STEPS = """
import json
import urllib.error
import urllib.request

@when("the bot checks its token 20 times", target_fixture="statuses")
def check(twin):
    slack = twin("slack")
    statuses = []
    for _ in range(20):
        request = urllib.request.Request(
            f"{slack.base_url}/api/auth.test", data=b"",
            headers={"Authorization": f"Bearer {slack.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
        except OSError:
            statuses.append(0)
    return statuses

@then("every call succeeded")
def all_ok(statuses):
    assert statuses == [200] * 20
"""

FEATURE = """
Feature: Resilience
  Scenario: calls
    When the bot checks its token 20 times
    Then every call succeeded
"""


def _satisfied(project: HoldoutProject, *args: str) -> int:
    project.run("--holdout-trials", "5", "--holdout-json", "h.json", *args)
    report = json.loads((project.pytester.path / "h.json").read_text())
    return report["figures"]["trials"]["satisfied"]


def test_chaos_fails_trials_that_do_not_cope_and_replays_by_seed(project: HoldoutProject) -> None:
    project.steps(STEPS)
    project.add(FEATURE)
    assert _satisfied(project) == 5
    assert _satisfied(project, "--holdout-chaos", "1") == 0
    some = _satisfied(project, "--holdout-chaos", "0.05", "--holdout-seed", "9")
    assert some == _satisfied(project, "--holdout-chaos", "0.05", "--holdout-seed", "9")
