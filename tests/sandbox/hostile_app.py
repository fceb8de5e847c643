"""A hostile app under test: it tries every way out it knows, then does its job (talks to Slack).

Run as ``python hostile_app.py '<json>'``, where the JSON tells it what the attacker would know
(where the key file is, the test runner's PID, ports and sockets on the host). It prints one JSON
object: each attack's name, and whether the sandbox refused it, with how.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Attack = Callable[[dict[str, Any]], tuple[bool, str]]
ATTACKS: dict[str, Attack] = {}


def attack(name: str) -> Callable[[Attack], Attack]:
    def register(function: Attack) -> Attack:
        ATTACKS[name] = function
        return function

    return register


def _error(function: Callable[[], object]) -> str | None:
    """None when ``function`` succeeds, else its error's errno name."""
    try:
        function()
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return None


@attack("key in the environment")
def environment(known: dict[str, Any]) -> tuple[bool, str]:
    found = [
        name for name, value in os.environ.items() if "HOLDOUT" in name or known["key"] in value
    ]
    return not found, f"found {found}" if found else f"only {sorted(os.environ)}"


@attack("key file")
def key_file(known: dict[str, Any]) -> tuple[bool, str]:
    try:
        text = Path(known["key_file"]).read_text()
    except OSError as exc:
        return True, f"cannot read: {exc.strerror}"
    return known["key"] not in text, f"read {len(text)} characters"


@attack("key file's folder")
def key_folder(known: dict[str, Any]) -> tuple[bool, str]:
    folder = Path(known["key_file"]).parent
    try:
        names = os.listdir(folder)
    except OSError as exc:
        return True, f"cannot list: {exc.strerror}"
    # What the sandbox was told to show (the project) may sit in the folder: nothing else may.
    files = [name for name in names if not (folder / name).is_dir()]
    return not files, f"lists {names}"


@attack("user's configuration")
def user_config(known: dict[str, Any]) -> tuple[bool, str]:
    secrets = [Path(known["home"], name) for name in (".config/holdout/key.txt", ".ssh/id_ed25519")]
    read = [str(path) for path in secrets if _error(path.read_text) is None]
    return not read, f"read {read}" if read else "hidden"


@attack("other processes")
def processes(known: dict[str, Any]) -> tuple[bool, str]:
    pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    seen = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cmdline").read_text() == known["runner_cmdline"]:
                seen.append(pid)
    signal_error = _error(lambda: os.kill(known["runner_pid"], 0))
    refused = not seen and signal_error == "ESRCH" and known["runner_pid"] not in pids
    return refused, f"pids {sorted(pids)}, signalling the runner: {signal_error}, runner at {seen}"


@attack("other processes' environment")
def environs(known: dict[str, Any]) -> tuple[bool, str]:
    leaked = []
    for name in ["1", str(known["runner_pid"]), *os.listdir("/proc")]:
        with contextlib.suppress(OSError):
            if b"HOLDOUT_" in Path(f"/proc/{name}/environ").read_bytes():
                leaked.append(name)
    return not leaked, f"HOLDOUT_ in /proc/{leaked}/environ" if leaked else "none"


@attack("write outside scratch")
def write_outside(known: dict[str, Any]) -> tuple[bool, str]:
    targets = [Path(known["project"], "planted.py"), Path("/tmp/planted"), Path("/planted")]
    targets.append(Path(known["home"], "planted"))
    written = [str(path) for path in targets if _error(lambda p=path: p.write_text("x")) is None]
    scratch = _error(lambda: Path("scratch-note").write_text("mine"))
    return not written and scratch is None, f"wrote {written}, own scratch: {scratch or 'ok'}"


@attack("loopback port that is not a twin")
def loopback(known: dict[str, Any]) -> tuple[bool, str]:
    code = _error(lambda: socket.create_connection(("127.0.0.1", known["closed_port"]), 3))
    return code == "ECONNREFUSED", f"connect: {code or 'connected'}"


@attack("outside address")
def outside(known: dict[str, Any]) -> tuple[bool, str]:
    # TEST-NET-1: never routed. The sandbox's network has no route at all, so this fails at once.
    code = _error(lambda: socket.create_connection(("192.0.2.1", 80), 3))
    return code == "ENETUNREACH", f"connect: {code or 'connected'}"


@attack("host Unix socket")
def unix_socket(known: dict[str, Any]) -> tuple[bool, str]:
    def connect(address: str) -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(address)

    path = _error(lambda: connect(known["unix_socket"]))
    abstract = _error(lambda: connect("\0" + known["abstract_socket"]))
    return None not in (path, abstract), f"path: {path or 'connected'}, abstract: {abstract}"


@attack("inherited file descriptor")
def inherited(known: dict[str, Any]) -> tuple[bool, str]:
    code = _error(lambda: os.fstat(known["fd"]))
    open_fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    return code == "EBADF" and open_fds[:3] == [0, 1, 2] and len(open_fds) == 4, (
        f"fstat: {code or 'open'}, fds {open_fds}"
    )


@attack("terminal")
def terminal(known: dict[str, Any]) -> tuple[bool, str]:
    code = _error(lambda: open("/dev/tty", "w"))  # noqa: SIM115
    return code is not None, f"open /dev/tty: {code or 'opened'}"


def reach_slack(known: dict[str, Any]) -> str:
    from slack_sdk import WebClient

    client = WebClient(token=known["slack_token"], base_url=known["slack_url"] + "/api/")
    user = client.auth_test()["user_id"]
    client.chat_postMessage(channel=known["channel"], text="hello from the sandbox")
    return user


def main() -> None:
    known = json.loads(sys.argv[1])
    results = {}
    for name, function in ATTACKS.items():
        try:
            refused, how = function(known)
        except Exception as exc:  # an attack that crashed refused nothing: report it
            refused, how = False, f"crashed: {exc!r}"
        results[name] = {"refused": refused, "how": how}
    if known.get("slack_url"):
        results["slack"] = {"user": reach_slack(known)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
