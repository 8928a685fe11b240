"""Token rate is not render rate: at most one push per interval, and the last change always.

A burst of thousands of comm messages is dropped by the kernel's channels (notebook-runtime.md),
so the view sends at most `max_per_second` updates; a timer sends the last change of a burst.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["Coalescer"]


class Coalescer:
    """Calls `push` at most once per interval for a stream of changes, never dropping the last."""

    def __init__(self, push: Callable[[], None], max_per_second: float) -> None:
        self._push = push
        self._interval = 1.0 / max_per_second
        self._last_push = float("-inf")
        self._timer: asyncio.TimerHandle | None = None

    def changed(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Something changed: push now, or schedule a push for the end of the interval."""
        now = time.monotonic()
        if now - self._last_push >= self._interval:
            self._push()
        elif self._timer is None and loop is not None:
            delay = self._interval - (now - self._last_push)
            self._timer = loop.call_later(delay, self._push)

    def pushed(self) -> None:
        """A push happened (timed or not): the interval restarts, no timer is pending."""
        self.cancel()
        self._last_push = time.monotonic()

    def cancel(self) -> None:
        """Drop a scheduled push."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
