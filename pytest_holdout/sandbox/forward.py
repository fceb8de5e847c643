"""The host side of a sandbox's network: Unix sockets in a folder bound into the sandbox.

The sandbox has its own network namespace, with nothing in it but loopback. Each address the app
may reach (a twin) gets a Unix socket in ``out/``: whatever connects to it is relayed to that
address, and to nothing else, whatever the app sends. Each port the app serves on gets a TCP port
on the host's 127.0.0.1 relayed to a Unix socket in ``in/``, where the sandbox's relay listens.
The sandbox's side of both is ``inside.py``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

from pytest_holdout.sandbox import inside


class Forwarder:
    def __init__(self, folder: Path) -> None:
        self.outgoing_dir = folder / "out"
        self.incoming_dir = folder / "in"
        self.outgoing_dir.mkdir(mode=0o700)
        self.incoming_dir.mkdir(mode=0o700)
        self._listeners: list[socket.socket] = []

    def outgoing(self, host: str, port: int) -> str:
        """A socket in ``out/`` relayed to ``host:port``; returns its file name."""
        name = f"{len(self._listeners)}.sock"
        listener = inside.unix_listener(str(self.outgoing_dir / name))
        self._start(listener, inside.tcp_connector(host, port))
        return name

    def incoming(self, port: int) -> tuple[str, int]:
        """A host address relayed to the socket ``in/<port>.sock`` (which the sandbox serves);
        returns the address."""
        listener = inside.tcp_listener("127.0.0.1", 0)
        self._start(listener, inside.unix_connector(str(self.incoming_dir / f"{port}.sock")))
        return listener.getsockname()[:2]

    def _start(self, listener: socket.socket, connect: inside.Connector) -> None:
        self._listeners.append(listener)
        threading.Thread(
            target=inside.serve, args=(listener, connect), name="holdout-forward", daemon=True
        ).start()

    def close(self) -> None:
        """Stop accepting (open connections end when either side closes)."""
        for listener in self._listeners:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            listener.close()
        self._listeners.clear()
