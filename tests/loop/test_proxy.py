"""The agent's proxy opens CONNECT tunnels to the allowed addresses and to nothing else."""

from __future__ import annotations

import socket

import pytest

from pytest_holdout.loop.proxy import ConnectProxy, parse_allowed


def _ask(proxy: ConnectProxy, request: bytes) -> socket.socket:
    client = socket.create_connection(proxy.address, timeout=10)
    client.sendall(request)
    return client


def _head(client: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        head += client.recv(1)
    return head


def test_an_allowed_address_gets_a_tunnel(echo: tuple[str, int]) -> None:
    host, port = echo
    with ConnectProxy([f"{host}:{port}"]) as proxy:
        client = _ask(proxy, f"CONNECT {host}:{port} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert _head(client).startswith(b"HTTP/1.1 200 ")
        client.sendall(b"through the tunnel")
        assert client.recv(1024) == b"THROUGH THE TUNNEL"
        client.close()


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        ("CONNECT 127.0.0.1:{other} HTTP/1.1", b"403"),  # another port
        ("CONNECT example.com:443 HTTP/1.1", b"403"),  # another host
        ("GET http://127.0.0.1:{port}/ HTTP/1.1", b"405"),  # not a tunnel
        ("CONNECT nowhere HTTP/1.1", b"403"),
        ("CONNECT 127.0.0.1:x HTTP/1.1", b"400"),
    ],
)
def test_anything_else_is_refused(echo: tuple[str, int], request_line: str, status: bytes) -> None:
    host, port = echo
    with ConnectProxy([f"{host}:{port}"]) as proxy:
        line = request_line.format(port=port, other=port + 1)
        client = _ask(proxy, f"{line}\r\n\r\n".encode())
        assert _head(client).split()[1] == status
        client.close()


def test_allowed_hosts_take_port_443_unless_given() -> None:
    assert parse_allowed("API.anthropic.com") == ("api.anthropic.com", 443)
    assert parse_allowed("[::1]:8443") == ("::1", 8443)
    with pytest.raises(ValueError):
        parse_allowed("host:0")
