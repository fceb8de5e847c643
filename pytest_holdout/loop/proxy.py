"""The agent's one way to a model's API off this machine: an HTTP CONNECT proxy on 127.0.0.1 that
opens tunnels to the allowed ``host:port`` pairs and to nothing else.

The agent's sandbox has a network of loopback only; the loop forwards this proxy's port into it
and sets ``HTTPS_PROXY``, which the ``anthropic`` SDK and most command-line agents honour. The
proxy sees only the host a client asks for: TLS runs end to end, through the tunnel, between the
agent and the API.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterable

from pytest_holdout.sandbox.inside import relay_both, tcp_listener

HEAD_LIMIT = 8192  # bytes of request line and headers read before giving up
TIMEOUT = 30.0  # seconds a client has to send its request, and the proxy to reach the API
DEFAULT_PORT = 443


def parse_allowed(text: str) -> tuple[str, int]:
    """``api.anthropic.com`` or ``api.anthropic.com:443`` to ``("api.anthropic.com", 443)``."""
    host, colon, port = text.strip().rpartition(":")
    if not colon:
        host, port = text.strip(), str(DEFAULT_PORT)
    host = host.strip("[]").lower()
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: give HOST or HOST:PORT")
    return host, int(port)


class ConnectProxy:
    """``ConnectProxy(["api.anthropic.com"])``; ``url`` is where it listens, ``close()`` stops
    it. A request for another host, or that is not CONNECT, is refused (403, 405)."""

    def __init__(self, allowed: Iterable[str | tuple[str, int]]) -> None:
        self.allowed = {
            parse_allowed(item) if isinstance(item, str) else (item[0].lower(), item[1])
            for item in allowed
        }
        self._listener = tcp_listener("127.0.0.1", 0)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        threading.Thread(target=self._accept, name="holdout-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        try:
            client.settimeout(TIMEOUT)
            head = _read_head(client)
            target = self._target(head)
            if isinstance(target, bytes):
                client.sendall(target)
                client.close()
                return
            try:
                upstream = socket.create_connection(target, timeout=TIMEOUT)
            except OSError:
                client.sendall(_status(502, "Bad Gateway"))
                client.close()
                return
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            early = head.partition(b"\r\n\r\n")[2]  # what a client sent without waiting
            if early:
                upstream.sendall(early)
            client.settimeout(None)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        relay_both(client, upstream)

    def _target(self, head: bytes) -> tuple[str, int] | bytes:
        """Where the request asks to go, or the refusal to send."""
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            return _status(405, "Method Not Allowed")
        try:
            target = parse_allowed(parts[1])
        except ValueError:
            return _status(400, "Bad Request")
        return target if target in self.allowed else _status(403, "Forbidden")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()

    def __enter__(self) -> ConnectProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _read_head(client: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head and len(head) < HEAD_LIMIT:
        chunk = client.recv(HEAD_LIMIT)
        if not chunk:
            break
        head += chunk
    return head


def _status(code: int, reason: str) -> bytes:
    return f"HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
