"""Running a coroutine to its end from synchronous code, on rig_nb's worker thread.

`agent.run_sync(...)` and `request.run_sync()` must work in a script and in a Jupyter cell, where
the kernel's event loop is already running in the calling thread (`asyncio.run` refuses, and
`nest_asyncio` wedges ipykernel 7). So the run goes to one worker thread, `rig_nb-run-sync`,
which keeps its own event loop for the life of the process: a provider model keeps one pooled
HTTP client for that loop, so calls reuse their connections, and the client it keeps for the
kernel's loop is left alone. The caller's thread waits; a `KeyboardInterrupt` while it waits
(Ctrl-C, the kernel's interrupt button) cancels the run on the worker and is raised again as the
caller's `on_interrupt` error, once the run has ended (at most `CANCEL_GRACE` seconds).

Everything the run awaits runs on the worker's loop: the model, async tools, async hooks. An
object bound to the caller's loop (an `asyncio.Lock` or `Future` made in a cell, a live view's
buttons) cannot be awaited there.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..errors import UserError

__all__ = ["CANCEL_GRACE", "THREAD_NAME", "in_worker", "run_in_worker"]

T = TypeVar("T")

THREAD_NAME = "rig_nb-run-sync"
CANCEL_GRACE = 10.0
"""Seconds an interrupted caller waits for the cancelled run to end."""
_POLL = 0.2
"""The caller waits in slices, so a signal is handled promptly on every platform."""


class _Worker:
    """A daemon thread running one event loop until the process ends."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name=THREAD_NAME, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            try:
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()

    def stop(self) -> None:
        if self.thread.is_alive() and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)


_worker: _Worker | None = None
_lock = threading.Lock()


def _the_worker() -> _Worker:
    global _worker
    with _lock:
        # A forked child has the parent's object but not its thread: start its own.
        if _worker is None or _worker.pid != os.getpid() or not _worker.thread.is_alive():
            _worker = _Worker()
        return _worker


@atexit.register
def _stop_worker() -> None:
    worker = _worker
    if worker is not None and worker.pid == os.getpid():
        worker.stop()


def in_worker() -> bool:
    """Whether this thread is rig_nb's worker (a run on it must not wait for another)."""
    worker = _worker
    return worker is not None and threading.current_thread() is worker.thread


def run_in_worker(
    main: Callable[[], Coroutine[Any, Any, T]],
    on_interrupt: Callable[[KeyboardInterrupt], BaseException],
) -> T:
    """Run `main()` on the worker's loop and wait for its result (or its error).

    A `KeyboardInterrupt` while waiting cancels the task, waits for it to end and raises
    `on_interrupt(interrupt)`; a second one stops the wait. Any other exception raised while
    waiting (a `SystemExit` from a signal handler) cancels the task and propagates.
    """
    if in_worker():
        raise UserError(
            "run_sync was called on rig_nb's run_sync thread (from a hook or an async tool of "
            "another run_sync run), where it would wait for itself: await the request there"
        )
    worker = _the_worker()
    done: concurrent.futures.Future[T] = concurrent.futures.Future()
    tasks: list[asyncio.Task[None]] = []

    async def job() -> None:
        # Nothing escapes the task: a KeyboardInterrupt or SystemExit raised inside the run
        # would otherwise stop the worker's loop, and leave this thread waiting for ever.
        try:
            result = await main()
        except asyncio.CancelledError:
            done.set_exception(asyncio.CancelledError())
        except BaseException as exc:
            done.set_exception(exc)
        else:
            done.set_result(result)

    def start() -> None:
        tasks.append(worker.loop.create_task(job()))

    def cancel() -> None:
        for task in tasks:
            task.cancel("rig_nb: run_sync was interrupted")

    try:
        worker.loop.call_soon_threadsafe(start)
        while not done.done():
            concurrent.futures.wait([done], timeout=_POLL)
    except BaseException as exc:
        worker.loop.call_soon_threadsafe(cancel)
        try:
            concurrent.futures.wait([done], timeout=CANCEL_GRACE)
        except KeyboardInterrupt:
            pass  # pressed again: stop waiting
        if isinstance(exc, KeyboardInterrupt):
            raise on_interrupt(exc) from None
        raise
    error = done.exception()
    if isinstance(error, KeyboardInterrupt):  # raised inside the run (a tool, a model)
        raise on_interrupt(error) from None
    return done.result()
