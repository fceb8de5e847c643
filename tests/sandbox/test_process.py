"""The handle on a started app (`AppProcess`), the same whichever runner started it: exit status,
stop, standard input and output, servers, and what every app gets (environment, scratch)."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.sandbox import AppProcess, Runner, Sandbox, SandboxError, Unsandboxed
from pytest_holdout.sandbox.process import OUTPUT_LIMIT

PYTHON = sys.executable
SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello from " + self.path.encode())

HTTPServer(("127.0.0.1", int(sys.argv[1])), Hello).serve_forever()
"""


@pytest.fixture(params=[pytest.param("bwrap", marks=pytest.mark.bwrap), "none"])
def runner(request: pytest.FixtureRequest) -> Runner:
    return Sandbox() if request.param == "bwrap" else Unsandboxed()


def python(runner: Runner, code: str, *args: str, **options: Any) -> AppProcess:
    return runner.spawn([PYTHON, "-c", code, *args], **options)


def test_the_exit_status_and_what_it_printed(runner: Runner) -> None:
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    with python(runner, code) as app:
        assert app.wait(60) == 3
        assert app.returncode == 3
        assert (app.stdout, app.stderr) == ("out\n", "err\n")


def test_stdin_holds_what_it_is_given(runner: Runner) -> None:
    with python(runner, "import sys; print(sys.stdin.read().upper())", stdin="ping") as app:
        app.wait(60)
        assert app.stdout == "PING\n"
    with python(runner, "import sys; print(repr(sys.stdin.read()))") as app:
        app.wait(60)
        assert app.stdout == "''\n", "without stdin, standard input is empty"


def _until_up(app: AppProcess) -> None:
    """Until the app has printed "up" (it has set itself up)."""
    deadline = time.monotonic() + 60
    while "up" not in app.stdout and time.monotonic() < deadline:
        time.sleep(0.05)


def test_stop_ends_it_and_a_signal_shows_as_a_shell_shows_it(runner: Runner) -> None:
    with python(runner, "import time; print('up', flush=True); time.sleep(600)") as app:
        _until_up(app)
        assert app.returncode is None
        assert app.stop() == 128 + 15
    ignores = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); time.sleep(600)"
    )
    with python(runner, ignores) as app:
        _until_up(app)
        assert app.stop(timeout=0.5) == 128 + 9, "what ignores SIGTERM is killed"


def test_output_beyond_the_limit_is_dropped_not_kept(runner: Runner) -> None:
    code = f"import sys; sys.stdout.write('x' * {OUTPUT_LIMIT + 10})"
    with python(runner, code) as app:
        app.wait(60)
        assert app.stdout == "x" * OUTPUT_LIMIT + "\n[10 more bytes dropped]\n"


def test_the_environment_is_only_what_it_is_given(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not for the app")
    code = "import os, json; print(json.dumps(dict(os.environ)))"
    with python(runner, code, env={"APP_MODE": "test"}) as app:
        app.wait(60)
        env = json.loads(app.stdout)
        expected = {"HOME", "TMPDIR", "APP_MODE"} | ({"PATH", "LANG"} & set(os.environ))
        assert set(env) - {"PWD"} == expected  # bubblewrap sets PWD to the working directory
        assert env["HOME"] == str(app.scratch / "home")
        assert env["TMPDIR"] == str(app.scratch / "tmp")
    with pytest.raises(SandboxError, match="env HOLDOUT_IDENTITY: no HOLDOUT_"):
        runner.spawn([PYTHON, "-c", ""], env={"HOLDOUT_IDENTITY": "AGE-SECRET-KEY-1"})


def test_it_works_in_its_scratch_folder_which_close_deletes(runner: Runner) -> None:
    with python(runner, "import os; open('note', 'w').write('x'); print(os.getcwd())") as app:
        assert app.wait(60) == 0
        assert app.stdout.strip() == str(app.scratch)
        assert (app.scratch / "note").read_text() == "x"
    assert not app.scratch.exists()


def test_it_writes_where_it_is_allowed(runner: Runner, tmp_path: Path) -> None:
    code = "import sys; open(sys.argv[1], 'w').write('y')"
    with python(runner, code, str(tmp_path / "f"), writable=[tmp_path]) as app:
        assert app.wait(60) == 0, app.stderr
    assert (tmp_path / "f").read_text() == "y"


@pytest.mark.bwrap
def test_in_the_sandbox_nowhere_else(tmp_path: Path) -> None:
    code = "import sys; open(sys.argv[1], 'w').write('y')"
    with python(Sandbox(readable=[tmp_path]), code, str(tmp_path / "f")) as app:
        assert app.wait(60) == 1
        assert "Read-only file system" in app.stderr
    assert not (tmp_path / "f").exists()


def _free_port() -> int:
    """A port free on the host now (an unsandboxed server shares the host's ports)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def test_a_server_is_reached_at_its_address(runner: Runner) -> None:
    port = _free_port()
    with runner.spawn([PYTHON, "-c", SERVER, str(port)], expose=[port]) as app:
        app.wait_listening(port, timeout=60)
        assert urllib.request.urlopen(app.url(port) + "/x", timeout=10).read() == b"hello from /x"
        with pytest.raises(SandboxError, match="port 9 is not exposed"):
            app.address(9)


def test_waiting_for_a_server_that_exits_says_so(runner: Runner) -> None:
    with (
        python(runner, "raise SystemExit(4)", expose=[18766]) as app,
        pytest.raises(SandboxError, match=r"exited \(4\) before it listened on port 18766"),
    ):
        app.wait_listening(18766, timeout=60)


@pytest.mark.parametrize(
    ("forward", "message"),
    [
        (["http://192.0.2.1:80"], "only loopback addresses can be forwarded"),
        (["http://127.0.0.1/no-port"], "give a URL with a host and a port"),
    ],
)
def test_only_loopback_addresses_are_forwarded(
    runner: Runner, forward: list[str], message: str
) -> None:
    with pytest.raises(SandboxError, match=message):
        runner.spawn([PYTHON, "-c", ""], forward=forward)


def test_a_port_cannot_be_both_forwarded_and_exposed(runner: Runner) -> None:
    with pytest.raises(SandboxError, match="port 8001 is both forwarded to a twin and exposed"):
        runner.spawn([PYTHON, "-c", ""], forward=[("127.0.0.1", 8001)], expose=[8001])


def test_a_missing_program_is_one_error(runner: Runner) -> None:
    with pytest.raises(SandboxError, match="cannot start /no/such/program: No such file"):
        runner.spawn(["/no/such/program"])


@pytest.mark.bwrap
def test_the_sandbox_cannot_listen_below_1024() -> None:
    with pytest.raises(SandboxError, match="port 80: the sandbox cannot listen below 1024"):
        Sandbox().spawn([PYTHON, "-c", ""], forward=["http://127.0.0.1:80"])
