"""`MCPServer`: one connection to an MCP server, owned by a task on the MCP worker's loop.

The owner task enters the SDK's `Client` (and its transport) and leaves it itself, however the
connection ends: a close, a crash, a transport failure. Calls reach it through a memory stream
from any loop or thread and run as tasks of its own task group, so a failure of the transport
ends them with the server's error instead of leaving them waiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT, CallToolResult, Implementation
from mcp_types import Tool as ToolSpec

import rig_nb
from rig_nb.errors import ToolError, UserError

from . import _worker
from ._process import SpawnWatch, kill_group
from ._results import output_of
from ._target import MCPServerError, StderrTail, open_stderr_pipe, parse_target
from ._tool import MCPTool, tool_names

__all__ = ["MCPServer", "close_all"]

State = Literal["new", "starting", "running", "closing", "closed", "failed"]
_OPEN: set[MCPServer] = set()
_PAGES = 100


@dataclass(eq=False)
class _Job:
    """Work for the owner: `work(client)`, settled into `future` (a caller's cancel cancels it)."""

    work: Callable[[Client], Awaitable[Any]]
    future: concurrent.futures.Future[Any]
    label: str
    timeout: float | None = None
    scope: anyio.CancelScope | None = field(default=None, repr=False)

    def cancel(self) -> None:
        if self.scope is not None:
            self.scope.cancel()


class MCPServer:
    """An MCP server over stdio (a command) or streamable HTTP (a URL); its tools are rig_nb tools.

    ```python
    async with MCPServer("python my_server.py") as server:
        agent = Agent(model, tools=server.tools)
    ```

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
        self.cwd = os.fspath(cwd) if cwd is not None else None
        self.prefix = prefix
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.state: State = "new"
        self.pid: int | None = None
        """The process id of a stdio server, once started (None if it could not be found)."""
        self.failure: str | None = None
        """Why the server stopped, when it failed."""
        self._tools: list[MCPTool] = []
        self._inbox: Any = None
        self._stderr: StderrTail | None = None
        self._pending: set[_Job] = set()
        self._http_status: str | None = None
        """The last HTTP error status an HTTP server answered (the SDK keeps only -32603)."""
        self._stopping = False
        self._cancel_start: anyio.CancelScope | None = None
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()

    def __repr__(self) -> str:
        extra = f", headers={sorted(self.target.headers)}" if self.target.headers else ""
        extra += f", env={sorted(self.target.env)}" if self.target.env else ""
        pid = f", pid={self.pid}" if self.pid is not None else ""
        return (
            f"MCPServer({self.target.shown!r}, name={self.name!r}, state={self.state!r}{pid}"
            f", tools={len(self._tools)}{extra})"
        )

    @property
    def tools(self) -> list[MCPTool]:
        """The server's tools as rig_nb tools (listed when it started, or by `refresh_tools`)."""
        if self.state == "new":
            raise UserError(f"the MCP server {self.name!r} is not started: await server.start()")
        return list(self._tools)

    @property
    def stderr(self) -> str:
        """The end of what a stdio server wrote to its stderr."""
        return self.target.redact(self._stderr.text()) if self._stderr is not None else ""

    # --- lifetime ---------------------------------------------------------------------------

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
        await _worker.wait(self._end())

    def close_sync(self) -> None:
        """`aclose()` for sync code."""
        _worker.wait_blocking(self._end())

    async def __aenter__(self) -> MCPServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _begin(self) -> concurrent.futures.Future[None]:
        if self.state != "new":
            raise UserError(
                f"the MCP server {self.name!r} was already started ({self.state}); "
                "make a new MCPServer to start it again"
            )
        self.state = "starting"
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        ready.add_done_callback(lambda f: f.cancelled() and _worker.call_soon(self._stop))
        _OPEN.add(self)
        _worker.submit(self._own(ready))
        return ready

    def _end(self) -> concurrent.futures.Future[None]:
        if self.state == "new":
            self.state = "closed"
            _settle(self._done, None)
        else:
            _worker.call_soon(self._stop)
        return self._done

    def _stop(self) -> None:
        """On the worker: no more calls; the owner leaves the connection."""
        self._stopping = True
        if self.state == "running":
            self.state = "closing"
        if self._inbox is not None:
            self._inbox.close()
        if self._cancel_start is not None:
            self._cancel_start.cancel()

    # --- calls --------------------------------------------------------------------------------

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

        return await _worker.wait(self._submit(work, f"tools/call {name}", seconds))

    async def refresh_tools(self) -> list[MCPTool]:
        """List the server's tools again (after it announced a change)."""

        async def work(client: Client) -> list[MCPTool]:
            self._tools = tool_names(self, await _list_tools(client, refresh=True), self.prefix)
            return self.tools

        return await _worker.wait(self._submit(work, "tools/list"))

    def _submit(
        self, work: Callable[[Client], Awaitable[Any]], label: str, timeout: float | None = None
    ) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        job = _Job(work, future, label, timeout)
        future.add_done_callback(lambda f: f.cancelled() and _worker.call_soon(job.cancel))
        _worker.call_soon(lambda: self._deliver(job))
        return future

    def _deliver(self, job: _Job) -> None:
        if self.state != "running" or self._stopping or self._inbox is None:
            _fail(job.future, ToolError(self._not_running()))
            return
        self._pending.add(job)
        self._inbox.send_nowait(job)

    async def _run(self, client: Client, job: _Job) -> None:
        if job.future.done():
            self._pending.discard(job)
            return
        with anyio.CancelScope() as job.scope:
            try:
                result = await job.work(client)
            except ToolError as exc:
                _fail(job.future, exc)
            except MCPError as exc:
                if exc.code == CONNECTION_CLOSED:
                    await self._lost("it closed the connection (it exited or crashed)")
                    return  # the owner settles the job with the whole story
                _fail(job.future, ToolError(self._call_error(exc, job)))
            except Exception as exc:
                _fail(
                    job.future, ToolError(self.target.redact(f"{job.label} failed: {_text(exc)}"))
                )
            else:
                _settle(job.future, result)
        self._pending.discard(job)

    async def _lost(self, why: str) -> None:
        if self.failure is None:
            self.failure = why
        self._stop()

    def _call_error(self, exc: MCPError, job: _Job) -> str:
        label = job.label
        if exc.code == REQUEST_TIMEOUT:
            return (
                f"the MCP server {self.name!r} did not answer {label} within {job.timeout:g} s; "
                "the call was cancelled"
            )
        status, self._http_status = self._http_status, None
        http = f" ({status})" if status else ""
        return self.target.redact(
            f"the MCP server {self.name!r} answered {label} with error {exc.code}: "
            f"{exc.message}{http}"
        )

    def _not_running(self) -> str:
        if self.failure is not None:
            return f"the MCP server {self.name!r} stopped: {self.failure}"
        return f"the MCP server {self.name!r} is {self.state}"

    # --- the owner task -----------------------------------------------------------------------

    async def _own(self, ready: concurrent.futures.Future[None]) -> None:
        """Open the connection, serve calls until a close or a failure, then leave it."""
        inbox, jobs = anyio.create_memory_object_stream[_Job](math.inf)
        error: BaseException | None = None
        timed_out = False
        try:
            async with anyio.create_task_group() as outer:
                self._cancel_start = outer.cancel_scope
                if self._stopping:
                    outer.cancel_scope.cancel()
                watchdog = anyio.CancelScope()

                async def expire() -> None:
                    nonlocal timed_out
                    with watchdog:
                        await anyio.sleep(self.connect_timeout)
                        timed_out = True
                        outer.cancel_scope.cancel()

                outer.start_soon(expire)
                async with Client(self._transport(), client_info=_CLIENT_INFO) as client:
                    self._tools = tool_names(self, await _list_tools(client), self.prefix)
                    watchdog.cancel()
                    self._cancel_start = None
                    self._inbox, self.state = inbox, "running"
                    _settle(ready, None)
                    await self._serve(client, jobs)
        except BaseException as exc:  # whatever ended the connection is reported
            error = exc
        finally:
            self._cancel_start = None
            jobs.close()
            await self._ended(ready, inbox, error, timed_out)

    async def _serve(self, client: Client, jobs: Any) -> None:
        async with anyio.create_task_group() as group, jobs:
            async for job in jobs:
                group.start_soon(self._run, client, job)
            group.cancel_scope.cancel()  # a close: calls still running end now

    async def _ended(
        self,
        ready: concurrent.futures.Future[None],
        inbox: Any,
        error: BaseException | None,
        timed_out: bool,
    ) -> None:
        inbox.close()
        if self._stderr is not None:
            await self._stderr.settle()
        was_running = self.state != "starting"
        if error is not None and self.failure is None and was_running:
            self.failure = self.target.redact(_text(_leaf(error)))
        start_error = None if was_running else self._start_error(error, timed_out)
        self.state = "failed" if self.failure is not None else "closed"
        stopped = self._not_running() + self._stderr_note()
        for job in list(self._pending):
            _fail(job.future, ToolError(f"{job.label} did not finish: {stopped}"))
        self._pending.clear()
        _OPEN.discard(self)
        if start_error is not None:
            _fail(ready, start_error)
        _settle(self._done, None)

    def _start_error(self, error: BaseException | None, timed_out: bool) -> Exception:
        what = f"the MCP server {self.name!r} ({self.target.shown})"
        leaf = _leaf(error) if error is not None else None
        if timed_out:
            text = f"{what} did not finish the MCP handshake within {self.connect_timeout:g} s"
            if self.target.url is None:
                text += "; is it an MCP server that speaks MCP on stdout?"
        elif self._stopping and leaf is None:
            text = f"{what} was closed before it started"
        elif isinstance(leaf, FileNotFoundError) and self.target.url is None:
            text = f"cannot start {what}: {self.target.argv[0]!r} was not found; check the command"
        elif isinstance(leaf, MCPError) and leaf.code == CONNECTION_CLOSED:
            text = f"{what} exited before it finished the MCP handshake"
        elif isinstance(leaf, httpx2.TransportError):
            text = f"cannot reach {what}: {_text(leaf)}"
        elif self._http_status is not None:
            text = f"{what} answered {self._http_status}"
            if self._http_status.startswith(("HTTP 401", "HTTP 403")):
                text += "; check the headers= it needs (e.g. Authorization)"
        else:
            text = f"{what} failed to start: {_text(leaf) if leaf else 'no reason given'}"
        self.failure = self.failure or text
        return MCPServerError(
            self.target.redact(text) + self._stderr_note(),
            server=self.name,
            target=self.target.shown,
            stderr=self.stderr,
        )

    def _stderr_note(self) -> str:
        tail = self.stderr
        return f"\nits stderr ends with:\n{tail}" if tail else ""

    def _transport(self) -> Any:
        return self._http() if self.target.url is not None else self._stdio()

    @asynccontextmanager
    async def _stdio(self) -> AsyncIterator[Any]:
        argv = self.target.argv
        parameters = StdioServerParameters(
            command=argv[0], args=list(argv[1:]), env=dict(self.target.env) or None, cwd=self.cwd
        )
        self._stderr, writer, reader = await open_stderr_pipe()
        async with AsyncExitStack() as stack:
            stack.callback(reader.close)
            stack.push_async_callback(self._stderr.settle)  # its last words, before the close
            try:
                async with SpawnWatch() as watch:
                    streams = await stack.enter_async_context(stdio_client(parameters, writer))
            finally:
                writer.close()  # the server holds its own copy
            self.pid = watch.pid
            yield streams

    @asynccontextmanager
    async def _http(self) -> AsyncIterator[Any]:
        async def record(response: httpx2.Response) -> None:
            if response.status_code >= 400:
                self._http_status = f"HTTP {response.status_code} {response.reason_phrase}".strip()

        async with httpx2.AsyncClient(
            headers=dict(self.target.headers),
            timeout=httpx2.Timeout(30.0, read=300.0),
            event_hooks={"response": [record]},
        ) as http:
            async with streamable_http_client(self.target.url or "", http_client=http) as streams:
                yield streams


_CLIENT_INFO = Implementation(name="rig_nb", version=rig_nb.__version__)


async def _list_tools(client: Client, *, refresh: bool = False) -> list[ToolSpec]:
    tools: list[ToolSpec] = []
    cursor: str | None = None
    for _ in range(_PAGES):
        page = await client.list_tools(cursor=cursor, cache_mode="refresh" if refresh else "use")
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


async def close_all() -> None:
    """Close every MCP server this process started and has not closed."""
    for server in list(_OPEN):
        await server.aclose()


async def _close_on_worker() -> None:
    servers = list(_OPEN)
    for server in servers:
        server._stop()
    for server in servers:
        await asyncio.wrap_future(server._done)


def _kill_leftovers() -> None:
    for server in list(_OPEN):
        if server.pid is not None:
            kill_group(server.pid)


_worker.when_exiting(_close_on_worker, _kill_leftovers)


def _settle(future: concurrent.futures.Future[Any], value: Any) -> None:
    try:
        if not future.done():
            future.set_result(value)
    except concurrent.futures.InvalidStateError:
        pass  # cancelled by its caller meanwhile


def _fail(future: concurrent.futures.Future[Any], error: BaseException) -> None:
    try:
        if not future.done():
            future.set_exception(error)
    except concurrent.futures.InvalidStateError:
        pass


def _leaf(error: BaseException) -> BaseException:
    """The first real error inside exception groups (anyio task groups wrap them)."""
    while isinstance(error, BaseExceptionGroup):
        inner = [e for e in error.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())]
        error = (inner or list(error.exceptions))[0]
    return error


def _text(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
