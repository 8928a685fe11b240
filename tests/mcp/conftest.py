"""Real MCP servers (tests/mcp/server.py, built with the SDK) over stdio and over HTTP on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

SERVER = Path(__file__).resolve().parent / "server.py"
STDIO = [sys.executable, str(SERVER)]


class HttpServer:
    """The test server as a subprocess serving streamable HTTP on an ephemeral loopback port."""

    def __init__(self, *extra: str) -> None:
        self.process = subprocess.Popen(
            [*STDIO, "--http", *extra], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("PORT "), line
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/mcp"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


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


def gone(pid: int) -> bool:
    """The process does not exist any more (not even as a zombie: it was reaped)."""
    return not psutil.pid_exists(pid)
