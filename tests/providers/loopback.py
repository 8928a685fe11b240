"""A real HTTP server on 127.0.0.1 that plays scripted responses (chunked, with stalls and cuts)."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    """A response: status, headers, body pieces (bytes) or pauses (float seconds), and an ending."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    pieces: list[bytes | float] = field(default_factory=list)
    cut: bool = False
    """Drop the connection before the body is complete."""
    keep_alive: bool = False
    """Leave the connection open for the next request (HTTP/1.1 keep-alive)."""

    @staticmethod
    def body(
        data: bytes,
        *,
        status: int = 200,
        content_type: str = "text/event-stream",
        size: int = 64,
        **kw: Any,
    ) -> Scripted:
        pieces: list[bytes | float] = [data[i : i + size] for i in range(0, len(data), size)]
        return Scripted(
            status=status,
            headers={"content-type": content_type, **kw.pop("headers", {})},
            pieces=pieces,
            **kw,
        )


class LoopbackServer:
    """Plays the scripted responses in order; records (path, headers, JSON body) of each request."""

    def __init__(self, *responses: Scripted) -> None:
        self.responses = list(responses)
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.peers: list[tuple[str, int]] = []
        """The client's (host, port) of each request: the same for requests on one connection."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                server.peers.append(self.client_address[:2])
                server.requests.append(
                    (
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        json.loads(raw or b"null"),
                    )
                )
                index = len(server.requests) - 1
                if index >= len(server.responses):
                    self.send_error(500, "no scripted response left")
                    return
                self._play(server.responses[index])

            def _play(self, response: Scripted) -> None:
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("transfer-encoding", "chunked")
                if not response.keep_alive:
                    self.send_header("connection", "close")
                self.end_headers()
                try:
                    for piece in response.pieces:
                        if isinstance(piece, float):
                            self.wfile.flush()
                            time.sleep(piece)
                            continue
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                    if response.cut:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away (a cancel, a timeout)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
