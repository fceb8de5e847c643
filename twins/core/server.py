"""The HTTP side of a twin: a threading HTTP/1.1 server with keep-alive, on 127.0.0.1 only,
plain or inside TLS."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from holdout_twins.core.errors import Generic, ServiceError
from holdout_twins.core.http import Headers, Request, Response

if TYPE_CHECKING:
    from holdout_twins.core.twin import Twin

HOST = "127.0.0.1"
# Past this many bytes an oversized body is not even drained: the connection is closed instead.
DRAIN_LIMIT = 64 * 1024 * 1024


class _BodyTooLarge(Exception):
    pass


class _BadFraming(Exception):
    pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection for many calls
    disable_nagle_algorithm = True  # small responses go out at once instead of after 40 ms
    server: TwinHTTPServer

    def _serve(self) -> None:
        twin = self.server.twin
        try:
            body = self._read_body(twin.max_body)
        except _BodyTooLarge:
            error = ServiceError(413, Generic.PAYLOAD_TOO_LARGE, f"over {twin.max_body} bytes")
            self._send(twin.error_response(error))
            return
        except _BadFraming as framing:
            self.close_connection = True
            self._send(twin.error_response(ServiceError(400, Generic.BAD_REQUEST, str(framing))))
            return
        target = urlsplit(self.path)
        pairs = parse_qs(target.query, keep_blank_values=True)
        request = Request(
            method=self.command,
            path=unquote(target.path),
            query={key: values[-1] for key, values in pairs.items()},
            query_values=pairs,
            headers=Headers(self.headers.items()),
            body=body,
        )
        response = twin.handle(request)
        if response is None:  # an injected dropped connection: no response at all
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _read_body(self, limit: int) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked(limit)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise _BadFraming("Content-Length is not a number") from None
        if length > limit:
            if length > DRAIN_LIMIT:
                self.close_connection = True
            else:  # read and discard it, so that the connection stays usable
                self._discard(length)
            raise _BodyTooLarge
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                chunk_size = int(line, 16)
            except ValueError:
                raise _BadFraming("malformed chunked body") from None
            if chunk_size == 0:
                while self.rfile.readline(1024).strip():  # trailers, then the blank line
                    pass
                break
            size += chunk_size
            if size > limit:
                self.close_connection = True
                raise _BodyTooLarge
            parts.append(self.rfile.read(chunk_size))
            self.rfile.readline(3)
        return b"".join(parts)

    def _discard(self, length: int) -> None:
        while length > 0:
            received = self.rfile.read(min(length, 65536))
            if not received:
                break
            length -= len(received)

    def _send(self, response: Response) -> None:
        head = [f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}"]
        headers = {"Content-Type": response.content_type, **response.headers}
        if response.streamed:
            headers["Transfer-Encoding"] = "chunked"
            headers["Cache-Control"] = "no-cache"
        else:
            headers["Content-Length"] = str(len(response.body))  # type: ignore[arg-type]
        if self.close_connection:
            headers["Connection"] = "close"
        head += [f"{name}: {value}" for name, value in headers.items()]
        start = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        try:
            if not response.streamed:
                payload = b"" if self.command == "HEAD" else response.body
                self.wfile.write(start + payload)  # type: ignore[operator]
                return
            self.wfile.write(start)
            for chunk in response.body:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away mid-response

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the journal records requests; a terminal full of access logs helps no one."""


class TwinHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 makes a sixth simultaneous connection wait for a retry (about a
    # second); clients with connection pools open more than that at once.
    request_queue_size = 128

    def __init__(self, twin: Twin, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        super().__init__((HOST, port), _RequestHandler)
        self.twin = twin
        self.tls = tls

    def get_request(self) -> tuple[socket.socket, object]:
        """The accepted connection, inside TLS when serving https. The handshake waits for the
        connection's first read, in its own thread, so that a slow client holds up no other."""
        connection, address = super().get_request()
        if self.tls is not None:
            connection = self.tls.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that vanished mid-request is not worth a traceback; the twin keeps serving."""


class ServerThread:
    """A running ``TwinHTTPServer`` in a daemon thread."""

    def __init__(self, twin: Twin, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.httpd = TwinHTTPServer(twin, port, tls)
        self.port: int = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"twin-{twin.name}-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()
