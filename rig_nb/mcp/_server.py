"""`MCPServer`: an MCP server over stdio or streamable HTTP whose tools are rig_nb tools."""

from __future__ import annotations

import concurrent.futures
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mcp import Client
from mcp_types import CallToolResult
from mcp_types import Tool as ToolSpec

from rig_nb.errors import UserError

from . import _worker
from ._connection import OPEN, Connection, State
from ._jobs import list_tools
from ._results import output_of
from ._target import parse_target
from ._tool import MCPTool, tool_names

__all__ = ["MCPServer", "close_all"]


class MCPServer:
    """An MCP server over stdio (a command) or streamable HTTP (a URL); its tools are rig_nb tools.

    ```python
    async with MCPServer("python my_server.py") as server:
        agent = Agent(model, tools=server.tools)
    ```

    The connection belongs to a task on rig_nb's MCP worker thread, so a server started in one
    task, event loop or thread can be used and closed from any other.

    Args:
        target: a command (`"python my_server.py"` or `["python", "my_server.py"]`) started as a
            subprocess that speaks MCP on stdin/stdout, or the URL of a streamable HTTP server.
        name: the server's name in errors and `%agent mcp list` (default: from the command/URL).
        env: extra environment variables for a command (the SDK passes only a safe few of yours,
            such as PATH and HOME: give API keys the server needs here).
        cwd: the working directory of a command.
        headers: HTTP headers for a URL (e.g. `Authorization`); never shown in reprs or errors.
        prefix: tool names become `<prefix>_<name>` (for two servers with a tool of the same name).
        timeout: seconds a tool call may take before it fails (`None`: no limit).
        connect_timeout: seconds to start the server and list its tools.
    """

    def __init__(
        self,
        target: str | Sequence[str],
        *,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        headers: Mapping[str, str] | None = None,
        prefix: str | None = None,
        timeout: float | None = 60.0,
        connect_timeout: float = 30.0,
    ) -> None:
        self.target = parse_target(target, env, headers, cwd)
        self.name = name or self.target.default_name()
        if prefix is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", prefix):
            raise UserError(f"prefix {prefix!r} is not valid: use 1-32 letters, digits, '_' or '-'")
        for what, seconds in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if seconds is not None and not seconds > 0:
                raise UserError(f"{what} must be a number of seconds above 0, got {seconds!r}")
        self.prefix = prefix
        self.timeout = timeout
        self._tools: list[MCPTool] = []
        cwd_text = os.fspath(cwd) if cwd is not None else None
        self._connection = Connection(self.target, self.name, cwd_text, connect_timeout, self._list)

    def __repr__(self) -> str:
        extra = f", headers={sorted(self.target.headers)}" if self.target.headers else ""
        extra += f", env={sorted(self.target.env)}" if self.target.env else ""
        pid = f", pid={self.pid}" if self.pid is not None else ""
        return (
            f"MCPServer({self.target.shown!r}, name={self.name!r}, state={self.state!r}{pid}"
            f", tools={len(self._tools)}{extra})"
        )

    @property
    def state(self) -> State:
        """`new`, `starting`, `running`, `closing`, `closed` or `failed`."""
        return self._connection.state

    @property
    def pid(self) -> int | None:
        """The process id of a stdio server, once started (None if it could not be found)."""
        return self._connection.pid

    @property
    def failure(self) -> str | None:
        """Why the server stopped or could not start, when it failed."""
        return self._connection.failure

    @property
    def tools(self) -> list[MCPTool]:
        """The server's tools as rig_nb tools (listed when it started, or by `refresh_tools`)."""
        if self.state == "new":
            raise UserError(f"the MCP server {self.name!r} is not started: await server.start()")
        return list(self._tools)

    @property
    def stderr(self) -> str:
        """The end of what a stdio server wrote to its stderr (secrets blanked)."""
        return self._connection.stderr_text()

    async def start(self) -> MCPServer:
        """Start the server (or connect to it) and list its tools; `MCPServerError` if it fails."""
        await _worker.wait(self._begin())
        return self

    def start_sync(self) -> MCPServer:
        """`start()` for sync code (a magic, a script); blocks until the server is ready."""
        _worker.wait_blocking(self._begin())
        return self

    async def aclose(self) -> None:
        """Close the connection and stop a stdio server (its process is gone when this returns)."""
        await _worker.wait(self._connection.end())

    def close_sync(self) -> None:
        """`aclose()` for sync code."""
        _worker.wait_blocking(self._connection.end())

    async def __aenter__(self) -> MCPServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's timeout: the server cancels too
    ) -> str:
        """Call a tool by its MCP name; the result as rig_nb tool output, failures as `ToolError`.

        `timeout` overrides the server's `timeout` for this call.
        """
        seconds = timeout if timeout is not None else self.timeout

        async def work(client: Client) -> str:
            result: CallToolResult = await client.call_tool(
                name, arguments, read_timeout_seconds=seconds
            )
            return output_of(result, name)

        return await _worker.wait(self._connection.submit(work, f"tools/call {name}", seconds))

    async def refresh_tools(self) -> list[MCPTool]:
        """List the server's tools again (after it announced a change)."""

        async def work(client: Client) -> list[MCPTool]:
            self._list(await list_tools(client, refresh=True))
            return self.tools

        return await _worker.wait(self._connection.submit(work, "tools/list"))

    def _begin(self) -> concurrent.futures.Future[None]:
        if self.state != "new":
            raise UserError(
                f"the MCP server {self.name!r} was already started ({self.state}); "
                "make a new MCPServer to start it again"
            )
        return self._connection.begin()

    def _list(self, specs: list[ToolSpec]) -> None:
        self._tools = tool_names(self, specs, self.prefix)


async def close_all() -> None:
    """Close every MCP server this process started and has not closed."""
    for connection in list(OPEN):
        await _worker.wait(connection.end())
