"""The handle on a started app: wait for it, stop it, reach its server, read what it printed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pytest_holdout.sandbox.errors import SandboxError

OUTPUT_LIMIT = 1 << 20  # bytes kept of each stream; an app cannot fill the memory by printing
STOP_TIMEOUT = 5.0
_POLL = 0.05


class Controls(Protocol):
    """What differs between a sandboxed and an unsandboxed app."""

    def terminate(self, popen: subprocess.Popen[bytes]) -> None:
        """Ask every process of the app to end (SIGTERM)."""

    def kill(self, popen: subprocess.Popen[bytes]) -> None:
        """End every process of the app now."""

    def listening(self, popen: subprocess.Popen[bytes], port: int) -> bool:
        """Whether the app listens on ``port`` (TCP, in its own network)."""

    def address(self, port: int) -> tuple[str, int]:
        """Where the host reaches the app's ``port``."""


class _Output:
    """Reads one of the app's pipes to its end, keeping the first ``OUTPUT_LIMIT`` bytes."""

    def __init__(self, pipe: Any, name: str) -> None:
        self._pipe = pipe
        self._data = bytearray()
        self.dropped = 0
        self._thread = threading.Thread(target=self._read, name=name, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with self._pipe:
            while chunk := self._pipe.read1(65536):
                room = OUTPUT_LIMIT - len(self._data)
                self._data += chunk[:room]
                self.dropped += max(0, len(chunk) - room)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    @property
    def text(self) -> str:
        text = bytes(self._data).decode("utf-8", errors="replace")
        return text + (f"\n[{self.dropped} more bytes dropped]\n" if self.dropped else "")


class AppProcess:
    """A started app (from ``Sandbox.spawn`` or ``Unsandboxed.spawn``).

    * ``wait(timeout=None) -> int``: its exit status, once it has exited
      (``subprocess.TimeoutExpired`` if it has not within ``timeout`` seconds);
    * ``stop(timeout=5.0) -> int``: SIGTERM to every process of the app, SIGKILL to what is left
      after ``timeout`` seconds; its exit status;
    * ``returncode``: None while it runs, then its exit status: the code it exited with, or
      128 + N when signal N ended it (as a shell reports it);
    * ``wait_listening(port, timeout=10.0)``: returns once the app listens on TCP ``port``;
      ``SandboxError`` if it exits first or does not listen in time;
    * ``address(port) -> (host, port)`` and ``url(port)``: where the host reaches that port (the
      port must be among ``expose`` when it was started);
    * ``stdout``, ``stderr``: what it has printed so far (the first MiB of each);
    * ``scratch``: its private writable folder (its default working directory, with its HOME and
      TMPDIR inside), deleted by ``close()``;
    * ``close()``: stop it and delete its scratch folder. Also a context manager.
    """

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        *,
        argv: list[str],
        scratch: Path,
        controls: Controls,
        exposed: tuple[int, ...],
        stdin: bytes | None,
        cleanup: Callable[[], None],
    ) -> None:
        self.argv = argv
        self.scratch = scratch
        self.pid = popen.pid
        self._popen = popen
        self._controls = controls
        self._exposed = exposed
        self._cleanup = cleanup
        self._closed = False
        self._stdout = _Output(popen.stdout, f"holdout-app-{popen.pid}-stdout")
        self._stderr = _Output(popen.stderr, f"holdout-app-{popen.pid}-stderr")
        if stdin is not None:
            threading.Thread(target=self._feed, args=(stdin,), daemon=True).start()

    def _feed(self, data: bytes) -> None:
        assert self._popen.stdin is not None
        try:
            with self._popen.stdin as pipe:
                pipe.write(data)
        except BrokenPipeError:
            pass  # the app did not read it all: its business

    @property
    def returncode(self) -> int | None:
        code = self._popen.poll()
        return None if code is None else _shell_status(code)

    def wait(self, timeout: float | None = None) -> int:
        code = self._popen.wait(timeout)
        # The pipes end when the app's last process does; an unsandboxed app may have left one.
        self._stdout.join(STOP_TIMEOUT)
        self._stderr.join(STOP_TIMEOUT)
        return _shell_status(code)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        if self._popen.poll() is None:
            self._controls.terminate(self._popen)
            try:
                return self.wait(timeout)
            except subprocess.TimeoutExpired:
                self._controls.kill(self._popen)
        return self.wait()

    def wait_listening(self, port: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._controls.listening(self._popen, port):
            if self._popen.poll() is not None:
                raise SandboxError(
                    f"the app exited ({self.returncode}) before it listened on port {port}"
                )
            if time.monotonic() > deadline:
                raise SandboxError(f"the app did not listen on port {port} within {timeout:g} s")
            time.sleep(_POLL)

    def address(self, port: int) -> tuple[str, int]:
        if port not in self._exposed:
            raise SandboxError(f"port {port} is not exposed: start the app with expose=[{port}]")
        return self._controls.address(port)

    def url(self, port: int, scheme: str = "http") -> str:
        host, host_port = self.address(port)
        return f"{scheme}://{host}:{host_port}"

    @property
    def stdout(self) -> str:
        return self._stdout.text

    @property
    def stderr(self) -> str:
        return self._stderr.text

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.stop()
        finally:
            self._cleanup()
            remove_tree(self.scratch)

    def __repr__(self) -> str:
        code = self.returncode
        state = "running" if code is None else f"exited {code}"
        return f"<AppProcess {Path(self.argv[0]).name} pid={self.pid} {state}>"

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _shell_status(code: int) -> int:
    return 128 - code if code < 0 else code


def remove_tree(path: Path) -> None:
    """Delete ``path`` whatever the app did to its folders' permissions (what it wrote may be
    secret, so it must not stay behind)."""
    if not path.exists():
        return
    os.chmod(path, stat.S_IRWXU)
    for folder, subfolders, _ in os.walk(path):
        for name in subfolders:
            subfolder = os.path.join(folder, name)
            if not os.path.islink(subfolder):
                os.chmod(subfolder, stat.S_IRWXU)
    shutil.rmtree(path)
