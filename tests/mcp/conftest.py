"""Real MCP servers (tests/mcp/server.py, built with the SDK) over stdio and over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from rig_nb.mcp import MCPServer

SERVER = Path(__file__).resolve().parent / "server.py"
STDIO = [sys.executable, str(SERVER)]


class HttpServer:
    """The test server as a subprocess serving streamable HTTP on an ephemeral loopback port."""

    def __init__(self, *extra: str) -> None:
        self._stderr = tempfile.NamedTemporaryFile("w+", suffix=".log")
        self.process = subprocess.Popen(
            [*STDIO, "--http", *extra], stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("PORT "), line
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/mcp"

    @property
    def stderr(self) -> str:
        """What the server wrote to its stderr so far."""
        with open(self._stderr.name) as log:
            return log.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._stderr.close()


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    server = HttpServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["stdio", "http"])
def target(request: pytest.FixtureRequest) -> Iterator[str | list[str]]:
    """The same server over both transports."""
    if request.param == "stdio":
        yield STDIO
        return
    server = HttpServer()
    try:
        yield server.url
    finally:
        server.stop()


async def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether `check()` holds within `seconds` (for what another process does on its own time)."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


@pytest.fixture(scope="session")
def shared_http() -> Iterator[HttpServer]:
    server = HttpServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=["stdio", "http"])
def shared(request: pytest.FixtureRequest) -> Iterator[MCPServer]:
    """One running server per transport for the tests that change nothing on it.

    It is started outside any test's event loop and used from each test's own loop.
    """
    if request.param == "stdio":
        server = MCPServer(STDIO, name="shared").start_sync()
    else:
        http: HttpServer = request.getfixturevalue("shared_http")
        server = MCPServer(http.url, name="shared").start_sync()
        server.http_stderr = lambda: http.stderr  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.close_sync()


def stderr_of(server: MCPServer) -> str:
    """A stdio server's stderr as rig_nb keeps it, or a test HTTP server's log."""
    http_stderr = getattr(server, "http_stderr", None)
    return http_stderr() if http_stderr is not None else server.stderr


def gone(pid: int) -> bool:
    """The process does not exist any more (not even as a zombie: it was reaped)."""
    return not psutil.pid_exists(pid)
