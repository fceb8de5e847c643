"""``holdout loop`` with a script agent under a reusable-holdout rule, and what stops a loop before
or during its rounds: one clear line, a non-zero exit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pytest_holdout.cli.main import main

from loop_project import LOUD_GREET, QUIET_GREET, LoopProject, make_project

# Round 1 forgets --loud; every later round has it.
SCRIPT_AGENT = f"""\
#!/bin/sh
if [ "$LOOP_ROUND" = 1 ]; then
    cat > greet.py <<'EOF'
{QUIET_GREET}EOF
else
    cat > greet.py <<'EOF'
{LOUD_GREET}EOF
fi
"""


@pytest.fixture
def project(tmp_path: Path) -> LoopProject:
    project = make_project(tmp_path)
    project.write("agent.sh", SCRIPT_AGENT, mode=0o755)
    return project


@pytest.mark.bwrap
def test_a_ladder_releases_each_round_and_its_state_carries_on(project: LoopProject) -> None:
    ladder = ["--agent", "./agent.sh", "--holdout-feedback", "ladder"]
    done = project.loop(*ladder, "--", "--holdout-feedback-step", "0.25")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "round 1: released 0.500 (ladder: rounded to a step of 0.250) in " in done.stdout
    assert "round 2: released 1.000 (ladder: rounded to a step of 0.250) in " in done.stdout
    feedback = json.loads((project.loop_dir / "round-2" / "holdout.json").read_text())["feedback"]
    assert feedback["round"] == 2 and feedback["value"] == 1.0
    history = (project.loop_dir / "history.jsonl").read_text().splitlines()
    figures = [json.loads(line)["figures"] for line in history]
    assert figures == [
        {"satisfaction": 0.5, "interval": None, "trials": None},
        {"satisfaction": 1.0, "interval": None, "trials": None},
    ]
    # A second loop goes on from the state: the ladder's third round releases 1.000 again.
    again = project.loop(*ladder, "--max-rounds", "1", "--", "--holdout-feedback-step", "0.25")
    assert "round 1: released 1.000 again (ladder: " in again.stdout, again.stdout + again.stderr
    fresh = project.loop(
        *ladder, "--max-rounds", "1", "--reset-feedback", "--", "--holdout-feedback-step", "0.25"
    )
    assert "round 1: released 0.500 (ladder: " in fresh.stdout, fresh.stdout + fresh.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workdir", "."], "--workdir .: the working copy must not hold the project"),
        (["--loop-dir", "app/logs"], "the working copy must not hold the loop folder"),
        (["--", "--holdout-json", "x.json"], "PYTEST_ARGS: the loop sets --holdout-json itself"),
        (["--", "--holdout-sandbox=none"], "PYTEST_ARGS: --holdout-sandbox=none is not allowed"),
        (["--", "--holdout-disclose", "full"], "--holdout-disclose=full is not allowed"),
        (["--", "app/test_mine.py"], "PYTEST_ARGS: app/test_mine.py is in the working copy"),
        (["--agent-env", "HOLDOUT_IDENTITY=x"], "--agent-env HOLDOUT_IDENTITY: no HOLDOUT_*"),
        (["--agent-forward", "http://example.com:80"], "only loopback addresses can be forwarded"),
        (["--agent-allow", "api.example.com:http"], "--agent-allow 'api.example.com:http'"),
        (["--holdout-feedback", "ladder", "--feedback-ids"], "--feedback-ids would give away"),
        (["--target", "2"], "--target takes a number from 0 to 1"),
        (["--specs", "nowhere"], "nowhere: no such folder (--specs)"),
        (["--agent", "anthropic:claude-sonnet-4-6"], "anthropic:MODEL needs ANTHROPIC_API_KEY"),
        ([], "holdout: no private key: set HOLDOUT_IDENTITY"),  # this test's environment has none
    ],
)
def test_what_cannot_work_is_refused_before_any_round(
    project: LoopProject,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(project.root)
    monkeypatch.delenv("HOLDOUT_IDENTITY", raising=False)
    monkeypatch.delenv("HOLDOUT_IDENTITY_FILE", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    status = main(["loop", "--specs", "specs", "--agent", "./agent.sh", *args])
    assert status in (1, 2)
    assert message in capsys.readouterr().err
    assert not project.loop_dir.exists()


@pytest.mark.bwrap
def test_an_evaluation_that_cannot_judge_stops_the_loop_naming_its_log(
    project: LoopProject,
) -> None:
    project.write("conftest.py", "raise RuntimeError('the harness is broken')\n")
    done = project.loop("--agent", "./agent.sh")
    assert done.returncode == 1
    log = project.loop_dir / "round-1" / "evaluation.log"
    assert f"holdout: the evaluation exited 4 without a report; the end of {log}:" in done.stderr
    assert "the harness is broken" in done.stderr


# An agent that tries the network: the allowed host through the proxy, then the same server
# directly, then a host it was not allowed; it writes what happened into its working copy.
NETWORK_AGENT = """\
import json, os, socket, sys
from urllib.parse import urlsplit

allowed, port = os.environ["ECHO"], int(os.environ["ECHO"].rsplit(":", 1)[1])
proxy = urlsplit(os.environ["HTTPS_PROXY"])
seen = {}
def tunnel(target):
    with socket.create_connection((proxy.hostname, proxy.port), timeout=10) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\\r\\n\\r\\n".encode())
        head = sock.recv(1024)
        if not head.startswith(b"HTTP/1.1 200"):
            return head.split(b"\\r\\n")[0].decode()
        sock.sendall(b"hello")
        return sock.recv(1024).decode()
seen["allowed"] = tunnel(allowed)
seen["other host"] = tunnel("example.com:443")
try:
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    seen["direct"] = "connected"
except OSError as exc:
    seen["direct"] = type(exc).__name__
seen["token"] = os.environ.get("TOKEN")
open("network.json", "w").write(json.dumps(seen))
"""


@pytest.mark.bwrap
def test_the_agent_reaches_allowed_hosts_through_the_proxy_and_nothing_else(
    project: LoopProject, echo: tuple[str, int]
) -> None:
    project.write("network_agent.py", NETWORK_AGENT)
    address = f"{echo[0]}:{echo[1]}"
    done = project.loop(
        "--agent", f"{sys.executable} {project.root / 'network_agent.py'}",
        "--agent-allow", address, "--agent-env", f"ECHO={address}", "--agent-env", "TOKEN",
        "--max-rounds", "1",
        env=project.env(TOKEN="given"),
    )  # fmt: skip
    assert "round 1: " in done.stdout, done.stdout + done.stderr
    seen = json.loads((project.workdir / "network.json").read_text())
    assert seen == {
        "allowed": "HELLO",
        "other host": "HTTP/1.1 403 Forbidden",
        "direct": "ConnectionRefusedError",
        "token": "given",
    }
