"""Where an MCP server is (a command or a URL), how it is shown without secrets, and its stderr.

A server's command line, URL, headers and environment may carry keys. Reprs and errors show the
command with the values of key-like options hidden, the URL without its password or key-like
query values, header and environment *names* only, and every header or environment value that
still shows up in a message (a server that prints its environment, say) is replaced.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rig_nb.errors import UserError

__all__ = ["MCPServerError", "StderrTail", "Target", "parse_target"]

_SECRET_WORD = re.compile(r"key|token|secret|passw|auth|credential|sig", re.IGNORECASE)
HIDDEN = "***"
TAIL_BYTES = 16_000
TAIL_SHOWN = 2_000


class MCPServerError(UserError):
    """An MCP server could not be started or reached; the text says which and why.

    `server` is the server's name, `target` its command or URL (secrets hidden) and `stderr`
    the end of what a stdio server wrote to its stderr ("" for HTTP servers).
    """

    def __init__(self, message: str, *, server: str, target: str, stderr: str = "") -> None:
        super().__init__(message)
        self.server = server
        self.target = target
        self.stderr = stderr


@dataclass(frozen=True)
class Target:
    """A stdio command (`argv`) or a streamable HTTP `url`, with what goes with it."""

    argv: tuple[str, ...] = ()
    url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict[str, str])
    headers: Mapping[str, str] = field(default_factory=dict[str, str])

    @property
    def shown(self) -> str:
        """The command line or URL, safe to print."""
        if self.url is not None:
            return safe_url(self.url)
        return self.redact(shlex.join(safe_argv(self.argv)))

    def default_name(self) -> str:
        """`python my_server.py` -> `my_server`; `npx -y @org/server-fs /tmp` -> `server-fs`."""
        if self.url is not None:
            return urlsplit(self.url).hostname or "mcp"
        operand = next((a for a in self.argv[1:] if a and not a.startswith("-")), self.argv[0])
        return PurePath(operand).stem or PurePath(self.argv[0]).name or "mcp"

    def redact(self, text: str) -> str:
        """`text` with every value a repr hides replaced (a server may echo them)."""
        for value in self._secrets():
            if len(value) >= 4:
                text = text.replace(value, "[redacted]")
        return text

    def _secrets(self) -> list[str]:
        found = [*self.headers.values(), *self.env.values()]
        for given, shown in zip(self.argv, safe_argv(self.argv), strict=True):
            if given != shown:
                found.append(given.partition("=")[2] if shown.endswith(f"={HIDDEN}") else given)
        if self.url is not None:
            parts = urlsplit(self.url)
            found += [parts.password or ""]
            found += [v for k, v in parse_qsl(parts.query) if _SECRET_WORD.search(k)]
        return sorted({s for s in found if s}, key=len, reverse=True)


def parse_target(
    target: str | Sequence[str],
    env: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    cwd: object,
) -> Target:
    """Check and split what `MCPServer(...)` was given."""
    if isinstance(target, str) and re.match(r"https?://", target.strip(), re.IGNORECASE):
        if env or cwd is not None:
            raise UserError("env= and cwd= are for a server started as a command, not for a URL")
        parts = urlsplit(target.strip())
        if not parts.hostname:
            raise UserError(f"the MCP server URL {safe_url(target)!r} has no host")
        return Target(url=target.strip(), headers=dict(headers or {}))
    if headers:
        raise UserError("headers= are for an HTTP server (a URL), not for a command")
    if isinstance(target, str):
        try:
            argv = tuple(shlex.split(target))
        except ValueError as exc:
            raise UserError(f"cannot split the MCP server command ({exc}): {target}") from exc
    else:
        argv = tuple(target)
        if not all(isinstance(a, str) for a in argv):
            raise UserError("the MCP server command must be a string or a list of strings")
    if not argv or not argv[0]:
        raise UserError(
            "no MCP server given: pass a command ('python my_server.py' or a list of arguments) "
            "or the URL of a streamable HTTP server ('http://127.0.0.1:8000/mcp')"
        )
    for name, value in (env or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise UserError(f"env= takes str names and values, got {name!r}")
    return Target(argv=argv, env=dict(env or {}))


def safe_argv(argv: Sequence[str]) -> list[str]:
    """The argument list with the value of any key-like option hidden."""
    shown: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            shown.append(HIDDEN)
            hide_next = False
            continue
        flag, eq, _ = arg.partition("=")
        if flag.startswith("-") and _SECRET_WORD.search(flag):
            shown.append(f"{flag}={HIDDEN}" if eq else arg)
            hide_next = not eq
        elif eq and not flag.startswith("-") and _SECRET_WORD.search(flag):
            shown.append(f"{flag}={HIDDEN}")  # KEY=value, as `env` takes it
        else:
            shown.append(arg)
    return shown


def safe_url(url: str) -> str:
    """The URL without its password and with key-like query values hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:{HIDDEN}@{host}" if ":" in user else f"{HIDDEN}@{host}"
    query = urlencode(
        [(k, HIDDEN if _SECRET_WORD.search(k) else v) for k, v in parse_qsl(parts.query, True)],
        safe="*",
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class StderrTail(asyncio.Protocol):
    """Keeps the last bytes a stdio server writes to its stderr (a pipe read on the worker loop)."""

    def __init__(self) -> None:
        self._data = bytearray()
        self.ended = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        """Append, keeping the last `TAIL_BYTES`."""
        self._data += data
        if len(self._data) > TAIL_BYTES:
            del self._data[: len(self._data) - TAIL_BYTES]

    def eof_received(self) -> bool:
        """The server closed its stderr (it exited)."""
        self.ended.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The pipe is closed."""
        self.ended.set()

    async def settle(self, seconds: float = 0.5) -> None:
        """Give a dying server's last words a moment to arrive."""
        try:
            await asyncio.wait_for(self.ended.wait(), seconds)
        except TimeoutError:
            pass

    def text(self) -> str:
        """The last lines, at most `TAIL_SHOWN` characters."""
        lines = [line.rstrip() for line in self._data.decode(errors="replace").splitlines()]
        text = "\n".join(line for line in lines if line)
        return text[-TAIL_SHOWN:]


async def open_stderr_pipe() -> tuple[StderrTail, TextIO, asyncio.ReadTransport]:
    """A pipe for a server's stderr: (its tail, the write end to give the server, the transport)."""
    read_fd, write_fd = os.pipe()
    tail = StderrTail()
    writer = os.fdopen(write_fd, "w")
    try:
        reader = os.fdopen(read_fd, "rb", buffering=0)
        transport, _ = await asyncio.get_running_loop().connect_read_pipe(lambda: tail, reader)
    except BaseException:
        writer.close()
        raise
    return tail, writer, transport
