"""The sandbox's first process: it opens the forwarded ports inside, then becomes the app.

Run by the sandbox as ``python -I -S inside.py [--connect ADDRESS=SOCKET]... [--serve
PORT=SOCKET]... -- ARGV...``. Every listening socket is bound before the app starts, so the app
never finds a forwarded port closed; then a detached process relays connections and this one
``exec``s the app, which so keeps the sandbox's first place (its exit status is the sandbox's, and
when it exits the sandbox's PID namespace ends, relay included).

* ``--connect 127.0.0.1:8001=/run/holdout/out/0.sock``: the app's connections to 127.0.0.1:8001
  go to that Unix socket, which the host side relays to the twin at the same address.
* ``--serve 8080=/run/holdout/in/8080.sock``: connections the host makes to that Unix socket go to
  the app's own server on 127.0.0.1:8080.

The relay is not a security boundary: the app can do anything this process can. What keeps the
app in is the sandbox (no network but loopback) and the host side, which connects each socket to
one address only.

Standard library only, and importable from the host (``relay_both``, ``serve``), because this
file also runs alone inside the sandbox (``-I -S``: no site-packages, no environment variables).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Callable
from contextlib import suppress

CHUNK = 65536
Connector = Callable[[], socket.socket]


def relay_both(one: socket.socket, other: socket.socket) -> None:
    """Copy bytes both ways between two connected sockets until both directions end; then close
    both. An end of stream is passed on as a half close; an error ends both directions."""
    backward = threading.Thread(target=_copy, args=(other, one), daemon=True)
    backward.start()
    _copy(one, other)
    backward.join()
    one.close()
    other.close()


def _copy(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(CHUNK):
            target.sendall(data)
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)
    except OSError:
        for end in (source, target):  # unblock the other direction
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def serve(listener: socket.socket, connect: Connector) -> None:
    """Accept on ``listener`` until it is closed; relay each connection to a new ``connect()``
    (a connection that cannot be made is closed at once, as a refused one would be)."""
    while True:
        try:
            accepted, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_relay_one, args=(accepted, connect), daemon=True).start()


def _relay_one(accepted: socket.socket, connect: Connector) -> None:
    try:
        outgoing = connect()
    except OSError:
        accepted.close()
        return
    relay_both(accepted, outgoing)


def unix_connector(path: str) -> Connector:
    def connect() -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except OSError:
            sock.close()
            raise
        return sock

    return connect


def tcp_connector(host: str, port: int) -> Connector:
    return lambda: socket.create_connection((host, port))


def tcp_listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(64)
    return listener


def unix_listener(path: str) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    return listener


def split_address(text: str) -> tuple[str, int]:
    """``127.0.0.1:8001`` or ``[::1]:8001`` to ``(host, port)``."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def _parse(argv: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    connects: list[tuple[str, str]] = []
    serves: list[tuple[str, str]] = []
    while argv and argv[0] != "--":
        option, value = argv[0], argv[1]
        target = connects if option == "--connect" else serves
        address, _, path = value.partition("=")
        target.append((address, path))
        argv = argv[2:]
    return connects, serves, argv[1:]


def _routes(
    connects: list[tuple[str, str]], serves: list[tuple[str, str]]
) -> list[tuple[socket.socket, Connector]]:
    routes = []
    for address, path in connects:
        try:
            routes.append((tcp_listener(*split_address(address)), unix_connector(path)))
        except OSError as exc:
            print(f"holdout sandbox: cannot listen on {address}: {exc.strerror}", file=sys.stderr)
            os._exit(126)
    routes += [(unix_listener(p), tcp_connector("127.0.0.1", int(a))) for a, p in serves]
    return routes


def main(argv: list[str]) -> None:
    connects, serves, app = _parse(argv)
    routes = _routes(connects, serves)
    if routes and os.fork() == 0:
        # Detach twice, so that the relay is the sandbox's init's child, never the app's (an app
        # that waits for all its children, like a shell's `wait`, must not wait for the relay).
        if os.fork() == 0:
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            threads = [
                threading.Thread(target=serve, args=route, daemon=True) for route in routes[1:]
            ]
            for thread in threads:
                thread.start()
            serve(*routes[0])
        os._exit(0)
    for listener, _ in routes:
        listener.close()
    if routes:
        os.wait()
    try:
        os.execvp(app[0], app)
    except OSError as exc:
        print(f"holdout sandbox: cannot run {app[0]}: {exc.strerror}", file=sys.stderr)
        os._exit(127)


if __name__ == "__main__":
    main(sys.argv[1:])
