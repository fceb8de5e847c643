"""``holdout twin replay``: traffic recorded with vcrpy through an official client (slack_sdk)
against a twin with a known behaviour, replayed against a fresh twin, and a mismatch reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import vcr
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from holdout_twins.fidelity.replay import CassetteError, load_cassette, replay
from holdout_twins.slack import SlackTwin

REPLAY = [sys.executable, "-m", "holdout_twins.cli", "replay"]


@pytest.fixture(scope="module")
def cassette(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A conversation created, posted to and read, and users looked up and listed, recorded
    against a Slack twin under seed 1 (its new channel's id comes from that seed)."""
    path = tmp_path_factory.mktemp("cassettes") / "incident.yaml"
    with SlackTwin(seed=1) as recorded:
        client = WebClient(token=recorded.token, base_url=recorded.base_url + "/api/")
        with vcr.use_cassette(str(path), record_mode="all", filter_headers=["authorization"]):
            channel = client.conversations_create(name="incident-8")["channel"]["id"]
            ts = client.chat_postMessage(channel=channel, text="Checkout is down")["ts"]
            client.chat_update(channel=channel, ts=ts, text="Checkout is down (rolled back)")
            client.conversations_history(channel=channel)
            client.users_info(user="U0ALICE001")
            with pytest.raises(SlackApiError):
                client.users_info(user="U0NOBODY01")
            client.users_list()
    return path


def test_a_recording_replays_against_a_fresh_twin_with_its_own_ids(cassette):
    recorded_channel = load_cassette(cassette)[0].response["channel"]["id"]

    with SlackTwin(seed=2) as fresh:
        report = replay(fresh, [("incident.yaml", load_cassette(cassette))])
        (posted,) = fresh.journal.calls("chat.postMessage")

    assert [outcome.reproduced for outcome in report.outcomes] == [True] * 7
    assert report.figure == 1.0
    # The twin handed out another channel id, and the replay used it from then on.
    assert posted.params["channel"] != recorded_channel
    assert posted.params["channel"] == fresh.state.conversations[posted.params["channel"]].id


def test_the_command_reports_each_interaction_and_writes_json(cassette, tmp_path):
    done = subprocess.run(
        [*REPLAY, "slack", str(cassette), "--seed", "2", "--json", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "slack: reproduced 7 of 7 recorded interactions (1.000)"
    assert json.loads((tmp_path / "r.json").read_text())["figure"] == 1.0


def test_a_twin_with_other_data_is_reported(cassette, tmp_path):
    seed = yaml.safe_load(Path(SlackTwin.seed_path).read_text())  # type: ignore[arg-type]
    seed["users"] = [user for user in seed["users"] if user["id"] != "U0ALICE001"]
    (tmp_path / "no-alice.yaml").write_text(yaml.safe_dump(seed))

    done = subprocess.run(
        [*REPLAY, "slack", str(cassette), "--seed-data", str(tmp_path / "no-alice.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    lines = done.stdout.splitlines()
    assert done.returncode == 1
    where, _, verdict = lines[4].partition(": ")
    assert where.endswith("#5 POST /api/users.info")
    assert verdict.startswith("error 'user_not_found', recorded None; keys missing: user, user.")
    assert verdict.endswith("; keys not recorded: error")
    assert lines[6].endswith(
        "#7 POST /api/users.list: list members: missing ['U0ALICE001'], not recorded []"
    )
    assert lines[-1] == "slack: reproduced 5 of 7 recorded interactions (0.714)"


def test_a_file_that_is_not_a_cassette_is_one_error_naming_it(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions: [{request: {}}]\n")

    with pytest.raises(CassetteError, match=r"broken\.yaml: not a vcrpy cassette"):
        load_cassette(broken)
    done = subprocess.run(
        [*REPLAY, "slack", str(broken)], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr.count("\n")) == (1, 1)
    assert "broken.yaml" in done.stderr


def test_the_docs_example_runs():
    docs = Path(__file__).resolve().parents[2] / "docs" / "twins.md"
    section = docs.read_text().split("### Replaying recorded traffic", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]

    exec(compile(block, str(docs), "exec"), {})
