"""How a `%%agent` cell ends on the kernel's interrupt or Ctrl-C: one line, no traceback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

__all__ = ["HEARTBEAT", "RunInterrupted", "RunKeyboardInterrupt", "kept_awake"]

HEARTBEAT = 0.25
"""Seconds between the wake-ups of the kernel's loop while a cell runs."""


@contextlib.contextmanager
def kept_awake(interval: float = HEARTBEAT) -> Iterator[None]:
    """Wake the running event loop every `interval` seconds until the block ends.

    ipykernel delivers the interrupt button as a callback scheduled from its signal handler, which
    does not wake the loop (ipykernel#881): a cell parked on a read that gets no bytes (a model
    thinking for a minute, a stalled server) would only be interrupted when the next byte came.
    A timer chain wakes the loop so the interrupt lands within `interval` (about 4 wake-ups a
    second, no task, nothing when no cell runs).
    """
    loop = asyncio.get_running_loop()
    handle: asyncio.TimerHandle | None = None

    def wake() -> None:
        nonlocal handle
        handle = loop.call_later(interval, wake)

    wake()
    try:
        yield
    finally:
        if handle is not None:
            handle.cancel()


class _OneLine(BaseException):
    """IPython shows `_render_traceback_()` in place of a traceback: the cell ends on one line."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


class RunInterrupted(_OneLine, asyncio.CancelledError):
    """The kernel's interrupt ended a `%%agent` cell.

    Still a `CancelledError` (code around the cell sees a cancel), but IPython shows its one line
    instead of a traceback through rig_nb's internals.
    """


class RunKeyboardInterrupt(_OneLine, KeyboardInterrupt):
    """A `KeyboardInterrupt` ended a `%%agent` cell (Ctrl-C in a terminal): one line."""
