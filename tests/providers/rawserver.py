"""A raw-socket HTTP/1.1 server on 127.0.0.1 that plays every byte as scripted.

Unlike `loopback.LoopbackServer` (http.server), nothing is framed for the test: a script sends
exact bytes (status line, headers, chunk framing and all), pauses, half-closes (FIN), resets
(RST, via `SO_LINGER` 0) or holds the connection open, per request:

```python
with RawServer([Send(head()), Send(chunk(b"data: x\\n\\n")), Hold()]) as server:
    ...  # server.url, server.requests, server.connections
```

A script that ends with none of `Fin`, `Rst`, `Hold` or `Close` leaves the connection open for
the next request (keep-alive). A request beyond the scripts gets a 500 and a close.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Send:
    """Write these bytes."""

    data: bytes


@dataclass(frozen=True)
class Pause:
    """Wait (the client sees nothing)."""

    seconds: float


@dataclass(frozen=True)
class Fin:
    """Half-close: the client reads EOF; then wait for it to close."""


@dataclass(frozen=True)
class Rst:
    """Reset the connection (`SO_LINGER` 0, then close): the client's next read fails."""


@dataclass(frozen=True)
class Hold:
    """Keep the connection open, sending nothing, until the client closes it."""


@dataclass(frozen=True)
class Close:
    """Close the connection normally."""


Action = Send | Pause | Fin | Rst | Hold | Close
Script = list[Action]


@dataclass
class Request:
    """One request as received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _State:
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def head(
    status: int = 200,
    content_type: str | None = "text/event-stream",
    headers: dict[str, str] | None = None,
    *,
    chunked: bool = True,
    length: int | None = None,
) -> bytes:
    """A response head (status line and headers, ending with the blank line)."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    if content_type is not None:
        lines.append(f"content-type: {content_type}")
    if chunked:
        lines.append("transfer-encoding: chunked")
    if length is not None:
        lines.append(f"content-length: {length}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


def whole(
    status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> Script:
    """A complete response with a content-length body."""
    return [
        Send(head(status, content_type, headers, chunked=False, length=len(body)) + body),
    ]


_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class RawServer:
    """Plays `scripts` in order, one per request; records the requests and connections."""

    def __init__(self, *scripts: Script) -> None:
        self.scripts = list(scripts)
        self.requests: list[Request] = []
        self.connections = 0
        self._state = _State()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.02)
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._state.stop.set()
        self._accepter.join(2)
        for thread in self._threads:
            thread.join(2)
        self._listener.close()

    def _accept(self) -> None:
        while not self._state.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._state.lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.02)
        buffer = b""
        try:
            while not self._state.stop.is_set():
                request, buffer = self._read_request(conn, buffer)
                if request is None:
                    return
                with self._state.lock:
                    index = len(self.requests)
                    self.requests.append(request)
                script = (
                    self.scripts[index]
                    if index < len(self.scripts)
                    else [*whole(500, b"no scripted response left", "text/plain"), Close()]
                )
                if not self._play(conn, script):
                    return
        except OSError:
            pass  # the client went away
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _recv(self, conn: socket.socket) -> bytes | None:
        """Some bytes, b"" at EOF, None when nothing came in a poll (or the server stops)."""
        try:
            return conn.recv(65536)
        except TimeoutError:
            return None

    def _read_request(self, conn: socket.socket, buffer: bytes) -> tuple[Request | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            if self._state.stop.is_set():
                return None, b""
            data = self._recv(conn)
            if data == b"":
                return None, b""
            buffer += data or b""
        raw_head, _, rest = buffer.partition(b"\r\n\r\n")
        first, *header_lines = raw_head.decode("latin-1").split("\r\n")
        method, path, _ = first.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            if self._state.stop.is_set():
                return None, b""
            data = self._recv(conn)
            if data == b"":
                return None, b""
            rest += data or b""
        return Request(method, path, headers, rest[:length]), rest[length:]

    def _play(self, conn: socket.socket, script: Script) -> bool:
        """Play one script; whether the connection stays open for another request."""
        for action in script:
            if isinstance(action, Send):
                conn.sendall(action.data)
            elif isinstance(action, Pause):
                self._state.stop.wait(action.seconds)
            elif isinstance(action, Rst):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                return False
            elif isinstance(action, Fin):
                conn.shutdown(socket.SHUT_WR)
                self._wait_for_close(conn)
                return False
            elif isinstance(action, Hold):
                self._wait_for_close(conn)
                return False
            else:
                return False
        return True

    def _wait_for_close(self, conn: socket.socket) -> None:
        deadline = time.monotonic() + 30
        while not self._state.stop.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([conn], [], [], 0.02)
            if readable:
                try:
                    if conn.recv(65536) == b"":
                        return
                except OSError:
                    return


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
