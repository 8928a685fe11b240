"""Small pieces of the MCP worker: a unit of work for a connection, futures, error texts."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp import Client
from mcp_types import Tool as ToolSpec

__all__ = ["Job", "fail", "leaf", "list_tools", "settle", "text_of"]

_PAGES = 100


@dataclass(eq=False)
class Job:
    """Work for a connection's owner: `work(client)`, settled into `future`.

    A caller that cancels `future` cancels the work (`cancel()` runs on the worker).
    """

    work: Callable[[Client], Awaitable[Any]]
    future: concurrent.futures.Future[Any]
    label: str
    timeout: float | None = None
    scope: anyio.CancelScope | None = field(default=None, repr=False)

    def cancel(self) -> None:
        """Stop the work, if it started."""
        if self.scope is not None:
            self.scope.cancel()


def settle(future: concurrent.futures.Future[Any], value: Any) -> None:
    """Set a result, unless the caller cancelled meanwhile."""
    try:
        if not future.done():
            future.set_result(value)
    except concurrent.futures.InvalidStateError:
        pass


def fail(future: concurrent.futures.Future[Any], error: BaseException) -> None:
    """Set an exception, unless the caller cancelled meanwhile."""
    try:
        if not future.done():
            future.set_exception(error)
    except concurrent.futures.InvalidStateError:
        pass


def leaf(error: BaseException) -> BaseException:
    """The first real error inside exception groups (anyio task groups wrap them)."""
    while isinstance(error, BaseExceptionGroup):
        inner = [e for e in error.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())]
        error = (inner or list(error.exceptions))[0]
    return error


def text_of(error: BaseException) -> str:
    """`ExcType: message` (or the type alone)."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def list_tools(client: Client, *, refresh: bool = False) -> list[ToolSpec]:
    """Every page of the server's tool list."""
    tools: list[ToolSpec] = []
    cursor: str | None = None
    for _ in range(_PAGES):
        page = await client.list_tools(cursor=cursor, cache_mode="refresh" if refresh else "use")
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools
