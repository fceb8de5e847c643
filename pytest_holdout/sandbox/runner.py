"""Starting an app: what every app gets, sandboxed or not, and the unsandboxed way.

Every app gets, whatever runs it:

* an environment of ``PATH`` and ``LANG`` (the host's), a fresh ``HOME`` and ``TMPDIR`` in its
  scratch folder, and the variables the caller passes, which may not be ``HOLDOUT_*`` ones;
* a scratch folder of its own (mode 0700), its default working directory, deleted on ``close()``;
* no file descriptor but its standard input (empty, or ``stdin``), output and error (pipes read
  into memory: they reach no terminal).

``Sandbox`` (in ``bwrap.py``) adds the walls; ``Unsandboxed`` runs the app as a plain child
process, for ``--holdout-sandbox=none`` and machines without a sandbox.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pytest_holdout.sandbox import procfs
from pytest_holdout.sandbox.errors import SandboxError
from pytest_holdout.sandbox.process import AppProcess, Controls, remove_tree

FORBIDDEN_PREFIX = "HOLDOUT_"
PASSED_THROUGH = ("PATH", "LANG")
Address = tuple[str, int]


@dataclass(frozen=True)
class AppSpec:
    """What ``spawn`` was asked to start, checked."""

    command: list[str]
    scratch: Path
    cwd: Path
    readable: list[Path]
    writable: list[Path]
    forward: list[Address]
    expose: tuple[int, ...]


@dataclass(frozen=True)
class Launch:
    """How a runner starts one app: the command, its controls, and what to undo after it."""

    command: list[str]
    cwd: Path
    controls: Controls
    cleanup: Callable[[], None]


class Runner:
    """What both runners share: ``spawn`` (see ``Sandbox.spawn`` for its arguments)."""

    sandboxed = False
    name = "none"

    def spawn(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        readable: Iterable[str | os.PathLike[str]] = (),
        writable: Iterable[str | os.PathLike[str]] = (),
        forward: Iterable[str | Address] = (),
        expose: Iterable[int] = (),
        stdin: bytes | str | None = None,
    ) -> AppProcess:
        command = [os.fspath(part) for part in argv]
        if not command:
            raise SandboxError("no command to run")
        targets = sorted({parse_address(target) for target in forward})
        ports = tuple(sorted(set(expose)))
        clash = {port for _, port in targets} & set(ports)
        if clash:
            raise SandboxError(f"port {min(clash)} is both forwarded to a twin and exposed")
        scratch = Path(tempfile.mkdtemp(prefix="holdout-app-"))
        try:
            environment = app_environment(env or {}, scratch)
            launch = self._launch(
                AppSpec(
                    command,
                    scratch,
                    Path(cwd) if cwd is not None else scratch,
                    [Path(path) for path in readable],
                    [Path(path) for path in writable],
                    targets,
                    ports,
                )
            )
        except BaseException:
            remove_tree(scratch)
            raise
        data = stdin.encode() if isinstance(stdin, str) else stdin
        try:
            popen = subprocess.Popen(
                launch.command,
                cwd=launch.cwd,
                env=environment,
                stdin=subprocess.DEVNULL if data is None else subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                close_fds=True,
                start_new_session=True,
            )
        except OSError as exc:
            launch.cleanup()
            remove_tree(scratch)
            raise SandboxError(f"cannot start {launch.command[0]}: {exc.strerror}") from None
        return AppProcess(
            popen,
            argv=command,
            scratch=scratch,
            controls=launch.controls,
            exposed=ports,
            stdin=data,
            cleanup=launch.cleanup,
        )

    def _launch(self, spec: AppSpec) -> Launch:
        raise NotImplementedError


class Unsandboxed(Runner):
    """Runs the app as a plain child process of its own session: it can do whatever the test
    runner can (read its memory and files, reach any host). Its environment and file descriptors
    are still limited as for every app; twins are reached directly."""

    def _launch(self, spec: AppSpec) -> Launch:
        return Launch(spec.command, spec.cwd, _SessionControls(), lambda: None)


class _SessionControls:
    def terminate(self, popen: subprocess.Popen[bytes]) -> None:
        _signal_group(popen, signal.SIGTERM)

    def kill(self, popen: subprocess.Popen[bytes]) -> None:
        _signal_group(popen, signal.SIGKILL)

    def listening(self, popen: subprocess.Popen[bytes], port: int) -> bool:
        return procfs.listens(popen.pid, port)

    def address(self, port: int) -> Address:
        return ("127.0.0.1", port)


def _signal_group(popen: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signum)


def app_environment(env: Mapping[str, str], scratch: Path) -> dict[str, str]:
    """The app's whole environment (see the module's docstring)."""
    forbidden = sorted(name for name in env if name.upper().startswith(FORBIDDEN_PREFIX))
    if forbidden:
        raise SandboxError(f"env {forbidden[0]}: no HOLDOUT_* variable reaches the app")
    home, tmp = scratch / "home", scratch / "tmp"
    home.mkdir()
    tmp.mkdir()
    environment = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    environment.update(HOME=str(home), TMPDIR=str(tmp))
    environment.update(env)
    return environment


def parse_address(target: str | Address) -> Address:
    """``"http://127.0.0.1:8001/api"`` or ``("127.0.0.1", 8001)`` to ``("127.0.0.1", 8001)``;
    only loopback addresses, since the sandbox's network has nothing else."""
    if isinstance(target, str):
        parts = urlsplit(target)
        if not parts.hostname or not parts.port:
            raise SandboxError(f"forward {target}: give a URL with a host and a port")
        host, port = parts.hostname, parts.port
    else:
        host, port = target
    host = "127.0.0.1" if host == "localhost" else host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SandboxError(f"forward {host}:{port}: only loopback addresses can be forwarded")
    return host, int(port)


def which(program: str) -> Path | None:
    found = shutil.which(program)
    return Path(found) if found else None
