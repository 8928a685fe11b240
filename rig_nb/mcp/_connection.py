"""The worker side of an `MCPServer`: the task that owns its connection, and the calls it serves.

The owner task enters the SDK's `Client` (and its transport) and leaves it itself, however the
connection ends: a close, a crash, a transport failure. Calls reach it through a memory stream
from any loop or thread and run as tasks of its own task group, so a failure of the transport
ends them with the server's error instead of leaving them waiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _metadata_version
from typing import Any, Literal

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT, Implementation
from mcp_types import Tool as ToolSpec

from rig_nb.errors import ToolError

from . import _worker
from ._jobs import Job, fail, leaf, list_tools, settle, text_of
from ._process import SpawnWatch, kill_group
from ._target import MCPServerError, StderrTail, Target, open_stderr_pipe

__all__ = ["OPEN", "Connection", "State"]

State = Literal["new", "starting", "running", "closing", "closed", "failed"]
OPEN: set[Connection] = set()
"""Connections started and not yet ended: closed at interpreter exit."""


def _package_version() -> str:
    try:
        return _metadata_version("rig_nb")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


_CLIENT_INFO = Implementation(name="rig_nb", version=_package_version())


class Connection:
    """One server's connection. Its methods run on the worker, except `begin`, `end`, `submit`."""

    def __init__(
        self,
        target: Target,
        name: str,
        cwd: str | None,
        connect_timeout: float,
        listed: Callable[[list[ToolSpec]], None],
    ) -> None:
        self.target = target
        self.name = name
        self.cwd = cwd
        self.connect_timeout = connect_timeout
        self.listed = listed
        """Told the tool list when the server started (and on a refresh)."""
        self.state: State = "new"
        self.pid: int | None = None
        self.failure: str | None = None
        self.stderr: StderrTail | None = None
        self.done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._inbox: Any = None
        self._pending: set[Job] = set()
        self._http_status: str | None = None
        """The last HTTP error status an HTTP server answered (the SDK keeps only -32603)."""
        self._stopping = False
        self._cancel_start: anyio.CancelScope | None = None

    # --- from any thread ----------------------------------------------------------------------

    def begin(self) -> concurrent.futures.Future[None]:
        """Start the owner; the future is done when the server is ready (or failed to start)."""
        self.state = "starting"
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        ready.add_done_callback(lambda f: f.cancelled() and _worker.call_soon(self.stop))
        OPEN.add(self)
        _worker.submit(self._own(ready))
        return ready

    def end(self) -> concurrent.futures.Future[None]:
        """Ask the owner to leave; the future is done when the connection is gone."""
        if self.state == "new":
            self.state = "closed"
            settle(self.done, None)
        else:
            _worker.call_soon(self.stop)
        return self.done

    def submit(
        self, work: Callable[[Client], Awaitable[Any]], label: str, timeout: float | None = None
    ) -> concurrent.futures.Future[Any]:
        """Hand `work(client)` to the owner."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        job = Job(work, future, label, timeout)
        future.add_done_callback(lambda f: f.cancelled() and _worker.call_soon(job.cancel))
        _worker.call_soon(lambda: self._deliver(job))
        return future

    def stderr_text(self) -> str:
        """The end of a stdio server's stderr, secrets blanked."""
        return self.target.redact(self.stderr.text()) if self.stderr is not None else ""

    # --- on the worker ------------------------------------------------------------------------

    def stop(self) -> None:
        """No more calls; the owner leaves the connection."""
        self._stopping = True
        if self.state == "running":
            self.state = "closing"
        if self._inbox is not None:
            self._inbox.close()
        if self._cancel_start is not None:
            self._cancel_start.cancel()

    def not_running(self) -> str:
        """Why a call cannot be served."""
        if self.failure is not None:
            return f"the MCP server {self.name!r} stopped: {self.failure}"
        return f"the MCP server {self.name!r} is {self.state}"

    def _deliver(self, job: Job) -> None:
        if self.state != "running" or self._stopping or self._inbox is None:
            fail(job.future, ToolError(self.not_running()))
            return
        self._pending.add(job)
        self._inbox.send_nowait(job)

    async def _run(self, client: Client, job: Job) -> None:
        if job.future.done():
            self._pending.discard(job)
            return
        with anyio.CancelScope() as job.scope:
            try:
                result = await job.work(client)
            except ToolError as exc:
                fail(job.future, exc)
            except MCPError as exc:
                if exc.code == CONNECTION_CLOSED:
                    if self.failure is None:
                        self.failure = "it closed the connection (it exited or crashed)"
                    self.stop()
                    return  # the owner settles the job with the whole story
                fail(job.future, ToolError(self._call_error(exc, job)))
            except Exception as exc:
                text = self.target.redact(f"{job.label} failed: {text_of(exc)}")
                fail(job.future, ToolError(text))
            else:
                settle(job.future, result)
        self._pending.discard(job)

    def _call_error(self, exc: MCPError, job: Job) -> str:
        if exc.code == REQUEST_TIMEOUT:
            return (
                f"the MCP server {self.name!r} did not answer {job.label} within "
                f"{job.timeout:g} s; the call was cancelled"
            )
        status, self._http_status = self._http_status, None
        http = f" ({status})" if status else ""
        return self.target.redact(
            f"the MCP server {self.name!r} answered {job.label} with error {exc.code}: "
            f"{exc.message}{http}"
        )

    async def _own(self, ready: concurrent.futures.Future[None]) -> None:
        """Open the connection, serve calls until a close or a failure, then leave it."""
        inbox, jobs = anyio.create_memory_object_stream[Job](math.inf)
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
                    self.listed(await list_tools(client))
                    watchdog.cancel()
                    self._cancel_start = None
                    self._inbox, self.state = inbox, "running"
                    settle(ready, None)
                    await self._serve(client, jobs)
        except BaseException as exc:  # whatever ended the connection is reported
            error = exc
        finally:
            self._cancel_start = None
            jobs.close()
            inbox.close()
            await self._ended(ready, error, timed_out)

    async def _serve(self, client: Client, jobs: Any) -> None:
        async with anyio.create_task_group() as group, jobs:
            async for job in jobs:
                group.start_soon(self._run, client, job)
            group.cancel_scope.cancel()  # a close: calls still running end now

    async def _ended(
        self, ready: concurrent.futures.Future[None], error: BaseException | None, timed_out: bool
    ) -> None:
        if self.stderr is not None:
            await self.stderr.settle()
        was_running = self.state != "starting"
        if error is not None and self.failure is None and was_running:
            self.failure = self.target.redact(text_of(leaf(error)))
        start_error = None if was_running else self._start_error(error, timed_out)
        self.state = "failed" if self.failure is not None else "closed"
        stopped = self.not_running() + self._stderr_note()
        for job in list(self._pending):
            fail(job.future, ToolError(f"{job.label} did not finish: {stopped}"))
        self._pending.clear()
        OPEN.discard(self)
        if start_error is not None:
            fail(ready, start_error)
        settle(self.done, None)

    def _start_error(self, error: BaseException | None, timed_out: bool) -> Exception:
        what = f"the MCP server {self.name!r} ({self.target.shown})"
        cause = leaf(error) if error is not None else None
        if timed_out:
            text = f"{what} did not finish the MCP handshake within {self.connect_timeout:g} s"
            if self.target.url is None:
                text += "; is it an MCP server that speaks MCP on stdout?"
        elif self._stopping and cause is None:
            text = f"{what} was closed before it started"
        elif isinstance(cause, FileNotFoundError) and self.target.url is None:
            text = f"cannot start {what}: {self.target.argv[0]!r} was not found; check the command"
        elif isinstance(cause, MCPError) and cause.code == CONNECTION_CLOSED:
            text = f"{what} exited before it finished the MCP handshake"
        elif isinstance(cause, httpx2.TransportError):
            text = f"cannot reach {what}: {text_of(cause)}"
        elif self._http_status is not None:
            text = f"{what} answered {self._http_status}"
            if self._http_status.startswith(("HTTP 401", "HTTP 403")):
                text += "; check the headers= it needs (e.g. Authorization)"
        else:
            text = f"{what} failed to start: {text_of(cause) if cause else 'no reason given'}"
        self.failure = self.failure or text
        return MCPServerError(
            self.target.redact(text) + self._stderr_note(),
            server=self.name,
            target=self.target.shown,
            stderr=self.stderr_text(),
        )

    def _stderr_note(self) -> str:
        tail = self.stderr_text()
        return f"\nits stderr ends with:\n{tail}" if tail else ""

    def _transport(self) -> Any:
        return self._http() if self.target.url is not None else self._stdio()

    @asynccontextmanager
    async def _stdio(self) -> AsyncIterator[Any]:
        argv = self.target.argv
        parameters = StdioServerParameters(
            command=argv[0], args=list(argv[1:]), env=dict(self.target.env) or None, cwd=self.cwd
        )
        self.stderr, writer, reader = await open_stderr_pipe()
        async with AsyncExitStack() as stack:
            stack.callback(reader.close)
            stack.push_async_callback(self.stderr.settle)  # its last words, before the close
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


async def _close_on_worker() -> None:
    open_now = list(OPEN)
    for connection in open_now:
        connection.stop()
    for connection in open_now:
        await asyncio.wrap_future(connection.done)


def _kill_leftovers() -> None:
    for connection in list(OPEN):
        if connection.pid is not None:
            kill_group(connection.pid)


_worker.when_exiting(_close_on_worker, _kill_leftovers)
