"""The ``twin`` and ``twins`` fixtures, as a project's test suite uses them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

USES_SLACK = """
    from slack_sdk import WebClient

    PORTS = []

    def client(slack):
        return WebClient(token=slack.token, base_url=slack.base_url + "/api/")

    def test_first_posts(twin):
        slack = twin("slack")
        PORTS.append(slack.port)
        client(slack).chat_postMessage(channel="C0GENERAL1", text="from the first test")
        assert len(slack.journal) == 1

    def test_second_starts_clean_on_the_same_server(twin):
        slack = twin("slack")
        PORTS.append(slack.port)
        history = client(slack).conversations_history(channel="C0GENERAL1")
        texts = [message["text"] for message in history["messages"]]
        assert "from the first test" not in texts
        assert len(slack.journal) == 1
        assert PORTS[0] == PORTS[1]

    def test_twins_by_name_is_the_same_twin(twin, twins):
        assert twins.slack is twins["slack"] is twin("slack")
        assert twin("slack").seed == 0
        assert twin("slack").faults.chaos_rate == 0.0

    def test_last_records_the_port(twin):
        with open("port", "w") as file:
            file.write(str(twin("slack").port))
"""


def test_twins_start_once_reset_per_test_and_stop_at_the_end(pytester: pytest.Pytester):
    pytester.makepyfile(test_uses_slack=USES_SLACK)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=4)
    port = int((pytester.path / "port").read_text())
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_the_holdout_seed_and_chaos_fixtures_are_honoured(pytester: pytest.Pytester):
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def holdout_seed():
            return 42

        @pytest.fixture
        def holdout_chaos(request):
            return getattr(request, "param", 0.25)
        """
    )
    pytester.makepyfile(
        test_seeded="""
        import pytest
        from holdout_twins.slack import SlackTwin

        def test_reset_under_the_trials_seed(twin):
            slack = twin("slack")
            assert slack.seed == 42
            assert slack.token == SlackTwin(seed=42).token != SlackTwin(seed=0).token

        def test_chaos_on_at_the_trials_rate(twin):
            assert twin("slack").faults.chaos_rate == 0.25

        @pytest.mark.parametrize("holdout_chaos", [0.0], indirect=True)
        def test_chaos_off_at_zero(twin, holdout_chaos):
            assert twin("slack").faults.chaos_rate == 0.0
        """
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_the_documented_pytest_example_passes(pytester: pytest.Pytester):
    docs = REPO / "docs" / "twins.md"
    section = docs.read_text().split("## In a pytest suite", 1)[1]
    pytester.makepyfile(test_documented=section.split("```python\n", 1)[1].split("```", 1)[0])

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_each_xdist_worker_runs_its_own_twins_once(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_workers="""
        import os

        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_record(twin, n):
            with open(f"seen-{n}", "w") as file:
                file.write(f"{os.getpid()} {twin('slack').port}")
        """
    )

    pytester.runpytest("-p", "no:cacheprovider", "-n", "2").assert_outcomes(passed=6)

    seen = [tuple((pytester.path / f"seen-{n}").read_text().split()) for n in range(6)]
    ports_by_worker: dict[str, set[str]] = {}
    for pid, port in seen:
        ports_by_worker.setdefault(pid, set()).add(port)
    assert len(ports_by_worker) == 2
    assert all(len(ports) == 1 for ports in ports_by_worker.values())
    assert len({port for ports in ports_by_worker.values() for port in ports}) == 2


def test_the_documented_twin_seed_data_starts_named_twins_from_the_projects_files(
    pytester: pytest.Pytester,
):
    docs = (REPO / "docs" / "twins.md").read_text().split("### A project's own seed data", 1)[1]
    pytester.makeconftest(docs.split("```python\n", 1)[1].split("```", 1)[0])
    (pytester.path / "seed").mkdir()
    for name in ("slack", "okta"):  # the access-bot example's company
        seed = REPO / "examples" / "access-bot" / "seed" / f"{name}.yaml"
        (pytester.path / "seed" / f"{name}.yaml").write_text(seed.read_text())
    pytester.makepyfile(
        test_seeded="""
        def test_slack_and_okta_from_the_projects_files(twin):
            assert "C0ACCESS01" in twin("slack").state.conversations
            assert twin("okta").state.find_user("erin@example.com") is None

        def test_jira_from_its_own_seed(twin):
            assert twin("jira").state.user("alice@twin.example") is not None
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
