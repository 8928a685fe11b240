"""The thread that owns every MCP connection: one event loop, alive as long as the process.

The SDK's transports live in anyio task groups that must be entered and left by the same task.
A notebook runs each cell as a new task (and `run_sync`, scripts and tests bring loops of their
own), so no caller's loop can own a connection that outlives the cell that opened it. Each server
gets an owner task on this loop instead; callers on any loop or thread hand it work and wait for
a `concurrent.futures.Future`. At interpreter exit the servers still open are closed here (their
processes stopped and reaped), since the caller's loop may already be gone by then.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["HEARTBEAT", "call_soon", "submit", "wait", "wait_blocking", "when_exiting"]

T = TypeVar("T")

HEARTBEAT = 0.25
"""Seconds between wake-ups while a caller waits, so a kernel interrupt lands (ipykernel #881)."""
EXIT_GRACE = 10.0
"""Seconds the interpreter's exit waits for open servers to close before it kills what is left."""

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_exit_hooks: list[Callable[[], Coroutine[Any, Any, None]]] = []
_kill_hooks: list[Callable[[], None]] = []


def _running_loop() -> asyncio.AbstractEventLoop:
    """The worker's loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            threading.Thread(target=run, name="rig_nb-mcp", daemon=True).start()
            started.wait()
            _loop = loop
        return _loop


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Run `coro` on the worker's loop; cancelling the returned future cancels it."""
    return asyncio.run_coroutine_threadsafe(coro, _running_loop())


def call_soon(callback: Callable[[], object]) -> None:
    """Run a plain callback on the worker's loop (thread-safe)."""
    _running_loop().call_soon_threadsafe(callback)


async def wait(future: concurrent.futures.Future[T]) -> T:
    """Await a worker future from any loop; a cancel (or interrupt) of the caller cancels it."""
    waiting = asyncio.wrap_future(future)
    try:
        while not waiting.done():
            await asyncio.wait({waiting}, timeout=HEARTBEAT)
        return waiting.result()
    except BaseException:
        future.cancel()
        raise


def wait_blocking(future: concurrent.futures.Future[T]) -> T:
    """Wait for a worker future from sync code; Ctrl-C / the kernel interrupt cancels it."""
    if threading.current_thread().name == "rig_nb-mcp":
        raise RuntimeError("wait_blocking() called on the MCP worker thread; it would deadlock")
    try:
        while True:
            try:
                return future.result(timeout=HEARTBEAT)
            except concurrent.futures.TimeoutError:
                continue
    except BaseException:
        future.cancel()
        raise


def when_exiting(close: Callable[[], Coroutine[Any, Any, None]], kill: Callable[[], None]) -> None:
    """At interpreter exit: `await close()` on the worker (bounded), then `kill()` what is left."""
    with _lock:
        if not _exit_hooks and not _kill_hooks:
            atexit.register(_at_exit)
        _exit_hooks.append(close)
        _kill_hooks.append(kill)


def _at_exit() -> None:
    loop = _loop
    if loop is not None and not loop.is_closed() and loop.is_running():

        async def close_all() -> None:
            await asyncio.gather(*(hook() for hook in _exit_hooks), return_exceptions=True)

        future = asyncio.run_coroutine_threadsafe(close_all(), loop)
        try:
            future.result(timeout=EXIT_GRACE)
        except BaseException:  # a hung server must not hang the exit: the kill below ends it
            future.cancel()
    for kill in _kill_hooks:
        kill()


def _forget_in_child() -> None:
    """A forked child has no worker thread: it starts its own on first use."""
    global _loop, _lock
    _loop = None
    _lock = threading.Lock()
    _exit_hooks.clear()
    _kill_hooks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
