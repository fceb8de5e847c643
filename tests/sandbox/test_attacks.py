"""A hostile app in the real sandbox (bubblewrap): every attack it tries is refused, and it still
reaches the Slack twin, with Slack's own SDK, at the URL the steps see."""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from holdout_twins import twin_class
from pytest_holdout.sandbox import Sandbox
from pytest_holdout.sandbox.process import remove_tree

HOSTILE_APP = Path(__file__).with_name("hostile_app.py")
REPO = Path(__file__).resolve().parents[2]
ATTACKS = [
    "key in the environment",
    "key file",
    "key file's folder",
    "user's configuration",
    "other processes",
    "other processes' environment",
    "write outside scratch",
    "loopback port that is not a twin",
    "outside address",
    "host Unix socket",
    "inherited file descriptor",
    "terminal",
]

pytestmark = pytest.mark.bwrap


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Runs the hostile app once, in a gated run's conditions: the key in the environment and in
    a file, secrets in the user's home, a host server and host sockets it must not reach."""
    base = tmp_path_factory.mktemp("attacked")
    key = f"AGE-SECRET-KEY-{secrets.token_hex(16).upper()}"  # a canary shaped like a key
    key_file = _write(base / "keys" / "key.txt", key)
    home = base / "home"
    _write(home / ".config" / "holdout" / "key.txt", key)
    _write(home / ".ssh" / "id_ed25519", key)
    project = base / "project"
    project.mkdir()
    socket_dir = Path(tempfile.mkdtemp(dir="/tmp"))  # where an SSH agent keeps its socket
    with (
        pytest.MonkeyPatch.context() as patch,
        socket.create_server(("127.0.0.1", 0)) as not_a_twin,
        socket.socket(socket.AF_UNIX) as unix_server,
        socket.socket(socket.AF_UNIX) as abstract_server,
        twin_class("slack")() as slack,
    ):
        patch.setenv("HOME", str(home))
        patch.setenv("HOLDOUT_IDENTITY", key)
        patch.setenv("HOLDOUT_IDENTITY_FILE", str(key_file))
        unix_server.bind(str(socket_dir / "agent.sock"))
        unix_server.listen()
        abstract = f"holdout-test-{secrets.token_hex(4)}"
        abstract_server.bind("\0" + abstract)
        abstract_server.listen()
        fd = os.open(key_file, os.O_RDONLY)
        os.set_inheritable(fd, True)  # as a careless test runner might leave one
        known = {
            "key": key,
            "key_file": str(key_file),
            "home": str(home),
            "project": str(project),
            "runner_pid": os.getpid(),
            "runner_cmdline": Path("/proc/self/cmdline").read_text(),
            "closed_port": not_a_twin.getsockname()[1],
            "unix_socket": str(socket_dir / "agent.sock"),
            "abstract_socket": abstract,
            "fd": fd,
            "slack_url": slack.base_url,
            "slack_token": slack.token,
            "channel": "C0GENERAL1",
        }
        sandbox = Sandbox(hide=[key_file, key_file.parent], readable=[base, REPO])
        try:
            with sandbox.spawn(
                [sys.executable, HOSTILE_APP, json.dumps(known)], forward=[slack.base_url]
            ) as app:
                status = app.wait(60)
                scratch = app.scratch
                output, errors = app.stdout, app.stderr
        finally:
            os.close(fd)
            remove_tree(socket_dir)
        assert status == 0, errors
        yield {
            "results": json.loads(output),
            "slack": slack,
            "scratch": scratch,
            "project": project,
        }


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_attack_is_refused(attacked: dict[str, Any], attack: str) -> None:
    result = attacked["results"][attack]
    assert result["refused"], result["how"]


def test_the_hostile_app_tried_every_attack(attacked: dict[str, Any]) -> None:
    assert sorted(name for name in attacked["results"] if name != "slack") == sorted(ATTACKS)


def test_it_still_reaches_the_slack_twin_at_the_url_the_steps_see(
    attacked: dict[str, Any],
) -> None:
    slack = attacked["slack"]
    assert attacked["results"]["slack"]["user"] == slack.state.bot_user
    posted = [entry for entry in slack.journal.calls("chat.postMessage")]
    assert posted, "the app's message reached the twin"


def test_nothing_it_wrote_outlives_it(attacked: dict[str, Any]) -> None:
    assert not attacked["scratch"].exists()
    assert list(attacked["project"].iterdir()) == []
