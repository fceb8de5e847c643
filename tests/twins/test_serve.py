"""``holdout twin serve`` as a separate process, driven by a non-Python client (curl)."""

from __future__ import annotations

import json
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from holdout_twins import TWINS

MODULE = [sys.executable, "-m", "holdout_twins.cli", "serve"]
HOLDOUT = Path(sys.executable).with_name("holdout")
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


class Served:
    """A running ``serve`` process and what it printed: name -> (base URL, token)."""

    def __init__(self, process: subprocess.Popen[str], twins: dict[str, tuple[str, str]]) -> None:
        self.process = process
        self.twins = twins


def start(command: list[str], expected: int) -> Served:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []

    def read() -> None:
        for _ in range(expected):
            lines.append(process.stdout.readline())  # type: ignore[union-attr]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if len(lines) < expected or not all(lines):
        process.kill()
        pytest.fail(f"serve did not start: {process.communicate()[1]}")
    twins = {}
    for line in lines:
        name, url, token = line.split()
        twins[name] = (url, token)
    return Served(process, twins)


def stop(served: Served, signum: int = signal.SIGTERM) -> int:
    if served.process.poll() is None:
        served.process.send_signal(signum)
    try:
        return served.process.wait(timeout=10)
    finally:
        served.process.stdout.close()  # type: ignore[union-attr]
        served.process.stderr.close()  # type: ignore[union-attr]


@pytest.fixture
def served() -> Iterator[Served]:
    running = start([*MODULE, "slack", "--seed", "3"], expected=1)
    yield running
    stop(running)


def curl(*arguments: str) -> dict:
    done = subprocess.run(
        ["curl", "--silent", "--show-error", *arguments], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@needs_curl
def test_curl_drives_the_slack_twin_through_a_sequence(served: Served):
    url, token = served.twins["slack"]
    bearer = f"Authorization: Bearer {token}"

    posted = curl(
        "-H",
        bearer,
        "-d",
        "channel=C0GENERAL1",
        "-d",
        "text=from curl",
        f"{url}/api/chat.postMessage",
    )
    replied = curl(
        "-H", bearer, "-H", "Content-Type: application/json",
        "--data", json.dumps({"channel": "C0GENERAL1", "text": "reply", "thread_ts": posted["ts"]}),
        f"{url}/api/chat.postMessage",
    )  # fmt: skip
    history = curl("-H", bearer, f"{url}/api/conversations.history?channel=C0GENERAL1&limit=1")
    refused = curl("-H", "Authorization: Bearer xoxb-wrong", f"{url}/api/auth.test")

    assert posted["ok"] and replied["ok"]
    assert history["messages"][0]["text"] == "from curl"
    assert history["messages"][0]["reply_count"] == 1
    assert refused == {"ok": False, "error": "invalid_auth"}


@needs_curl
def test_curl_uses_the_control_endpoint(served: Served):
    url, token = served.twins["slack"]
    curl("-H", f"Authorization: Bearer {token}", "-d", "channel=C0GENERAL1", "-d", "text=x",
         f"{url}/api/chat.postMessage")  # fmt: skip

    described = curl(f"{url}/_twin/")
    journal = curl(f"{url}/_twin/journal?operation=chat.postMessage")
    curl("-X", "POST", "--data", '{"operation": "auth.test", "status": 503}', f"{url}/_twin/faults")
    faulted = curl("-H", f"Authorization: Bearer {token}", f"{url}/api/auth.test")
    curl("-X", "POST", "--data", "{}", f"{url}/_twin/reset")
    after_reset = curl(f"{url}/_twin/journal")

    assert (described["name"], described["seed"], described["token"]) == ("slack", 3, token)
    assert [entry["params"]["text"] for entry in journal["entries"]] == ["x"]
    assert faulted == {"ok": False, "error": "fatal_error"}
    assert after_reset == {"entries": []}


def test_the_printed_line_names_the_twin_url_and_a_working_token(served: Served):
    from slack_sdk import WebClient

    url, token = served.twins["slack"]

    assert url.startswith("http://127.0.0.1:")
    assert WebClient(token=token, base_url=f"{url}/api/").auth_test()["user_id"] == "U0BOT00001"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_cleanly(signum: int):
    running = start([*MODULE, "slack"], expected=1)
    port = int(running.twins["slack"][0].rsplit(":", 1)[1])

    assert stop(running, signum) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_port_base_puts_twins_on_consecutive_ports_from_the_holdout_command():
    if not HOLDOUT.exists():
        pytest.skip(f"the holdout command is not installed at {HOLDOUT}")
    base = free_port()

    running = start([str(HOLDOUT), "twin", "serve", "slack", "--port-base", str(base)], 1)

    assert running.twins["slack"][0] == f"http://127.0.0.1:{base}"
    assert stop(running) == 0


def test_every_registered_twin_is_served_on_consecutive_ports():
    base = free_port(len(TWINS))

    running = start([*MODULE, *TWINS, "--port-base", str(base)], expected=len(TWINS))

    assert [url for url, _ in running.twins.values()] == [
        f"http://127.0.0.1:{base + offset}" for offset in range(len(TWINS))
    ]
    assert list(running.twins) == list(TWINS)
    assert stop(running) == 0


def test_seed_data_can_come_from_a_file(tmp_path: Path):
    from slack_sdk import WebClient

    from holdout_twins.core import load_seed
    from holdout_twins.slack import SlackTwin

    seed = load_seed(SlackTwin.seed_path)
    seed["channels"].append({"id": "C0FROMFILE", "name": "from-file", "members": []})
    (tmp_path / "workspace.json").write_text(json.dumps(seed))
    running = start([*MODULE, "slack", "--seed-data", f"slack={tmp_path / 'workspace.json'}"], 1)
    try:
        url, token = running.twins["slack"]
        info = WebClient(token=token, base_url=f"{url}/api/").conversations_info(
            channel="C0FROMFILE"
        )
        assert info["channel"]["name"] == "from-file"
    finally:
        stop(running)


def test_rate_limits_flag_enforces_the_documented_limits():
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    running = start([*MODULE, "slack", "--rate-limits"], 1)
    try:
        url, token = running.twins["slack"]
        client = WebClient(token=token, base_url=f"{url}/api/")
        for _ in range(20):
            client.users_list()
        with pytest.raises(SlackApiError) as raised:
            client.users_list()
        assert raised.value.response.status_code == 429
    finally:
        stop(running)


def failed(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        (["nosuch"], 1, "no twin named 'nosuch'"),
        (["slack", "slack"], 2, "each twin can be served once"),
        (["slack", "--seed-data", "jira=x.yaml"], 2, "names 'jira', which is not being served"),
        (["slack", "--seed-data", "slack"], 2, "--seed-data takes TWIN=FILE"),
        (["slack", "--seed-data", "slack=/nonexistent/seed.yaml"], 1, "/nonexistent/seed.yaml"),
        (["slack", "--port-base", "70000"], 2, "--port-base 70000 leaves no room"),
    ],
)
def test_mistakes_are_one_line_without_a_traceback(arguments, status, message):
    done = failed([*MODULE, *arguments])

    assert done.returncode == status
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_port_in_use_is_reported_with_the_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        done = failed([*MODULE, "slack", "--port-base", str(port)])

    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"holdout twin serve: slack: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(count: int = 1) -> int:
    """A port from which ``count`` consecutive ports are free. Chosen below the kernel's range of
    ephemeral ports, so that the suite's own client connections cannot take one of them between
    this check and the server's bind (which made a run fail with "Address already in use")."""
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range")
    lowest = int(ephemeral.read_text().split()[0]) if ephemeral.exists() else 32768
    choose = random.Random()
    for _ in range(200):
        base = choose.randrange(10_000, lowest - count)
        if all(_bindable(base + offset) for offset in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports below {lowest}")


def test_the_jira_twin_prints_basic_auth_credentials_that_curl_can_use():
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    running = start([*MODULE, "jira", "--port-base", str(free_port())], 1)
    try:
        url, credentials = running.twins["jira"]
        assert ":" in credentials
        myself = subprocess.run(
            [curl, "-sf", "-u", credentials, f"{url}/rest/api/3/myself"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert myself.returncode == 0, myself.stderr
        assert json.loads(myself.stdout)["emailAddress"] == credentials.split(":")[0]
    finally:
        stop(running)


@needs_curl
def test_curl_uploads_to_and_downloads_from_the_google_twin():
    running = start([*MODULE, "google", "--port-base", str(free_port())], 1)
    try:
        url, token = running.twins["google"]
        bearer = f"Authorization: Bearer {token}"
        created = curl("-H", bearer, "-H", "Content-Type: text/plain", "--data-binary", "hi\n",
                       f"{url}/upload/drive/v3/files?uploadType=media&fields=id,size")  # fmt: skip
        downloaded = subprocess.run(
            ["curl", "-sf", "-H", bearer, f"{url}/drive/v3/files/{created['id']}?alt=media"],
            capture_output=True,
            timeout=30,
        )

        assert created["size"] == "3"
        assert downloaded.stdout == b"hi\n"
    finally:
        stop(running)


@needs_curl
def test_the_token_comes_from_serve_or_the_twin_and_a_new_seed_changes_it(served: Served):
    url, printed = served.twins["slack"]
    assert curl(f"{url}/_twin/")["token"] == printed  # what docs/twins.md reads $TOKEN from

    def auth(token: str) -> dict:
        return curl("-H", f"Authorization: Bearer {token}", f"{url}/api/auth.test")

    assert curl("-X", "POST", f"{url}/_twin/reset")["token"] == printed  # same seed, same token
    new = curl("-X", "POST", "--data", '{"seed": 7}', f"{url}/_twin/reset")["token"]
    assert new != printed
    assert auth(printed) == {"ok": False, "error": "invalid_auth"}
    assert auth(new)["ok"] is True


@needs_curl
def test_a_rate_limit_counts_calls_from_when_it_is_set(served: Served):
    url, token = served.twins["slack"]
    post = ("-H", f"Authorization: Bearer {token}", "-d", "channel=C0GENERAL1", "-d", "text=hi")
    assert curl(*post, f"{url}/api/chat.postMessage")["ok"] is True  # before any limit
    limit = '{"operation": "chat.postMessage", "requests": 1, "per": 60}'
    curl("-X", "POST", "--data", limit, f"{url}/_twin/rate-limits")
    assert curl(*post, f"{url}/api/chat.postMessage")["ok"] is True  # the first under the limit
    assert curl(*post, f"{url}/api/chat.postMessage")["error"] == "ratelimited"
