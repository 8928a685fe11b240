"""Requests-per-minute and tokens-per-minute limits, shared by every row of a batch.

The rule is a sliding window: in any `window` seconds (60 by default) at most `rpm` model calls
start, and the calls started in it account for at most `tpm` tokens. A call's tokens are its
estimate until it ends, then its real usage (`settle`), so a poor estimate corrects itself: a call
that used more leaves less room to the next ones. A server's `Retry-After` pauses every row
(`pause`). The state machine (`RateWindow.reserve`) takes the time as an argument, so the local
limiter, the Ray actor and the tests (a fake clock) share it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field

__all__ = ["Clock", "LoopClock", "RateLimiter", "RateWindow"]


class Clock:
    """Where a batch reads the time and waits: `now()` in seconds and `sleep(seconds)`."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        """Wait this long."""
        raise NotImplementedError


class LoopClock(Clock):
    """The real clock: `time.monotonic` and `asyncio.sleep`."""

    def now(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """`asyncio.sleep(seconds)`."""
        await asyncio.sleep(max(0.0, seconds))


@dataclass(eq=False, slots=True)
class _Entry:
    at: float
    tokens: int
    gone: bool = False


@dataclass
class RateWindow:
    """The sliding-window state: pure, the time passed in. `None` limits mean no limit."""

    rpm: float | None = None
    tpm: float | None = None
    window: float = 60.0
    paused_until: float = 0.0
    _calls: deque[_Entry] = field(default_factory=deque[_Entry])
    _open: dict[int, _Entry] = field(default_factory=dict[int, _Entry])
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _tokens: int = 0

    def _expire(self, now: float) -> None:
        calls = self._calls
        while calls and calls[0].at <= now - self.window:
            entry = calls.popleft()
            entry.gone = True
            self._tokens -= entry.tokens

    def reserve(self, now: float, tokens: int = 0) -> tuple[int, float]:
        """Take a slot for a call of about `tokens` tokens: `(ticket, 0.0)`, or `(0, wait)`.

        A call larger than the whole `tpm` is let through alone, when the window is empty.
        """
        if now < self.paused_until:
            return 0, self.paused_until - now
        self._expire(now)
        calls = self._calls
        wait = 0.0
        if self.rpm is not None and len(calls) >= self.rpm:
            wait = calls[0].at + self.window - now
        if self.tpm is not None and calls and self._tokens + tokens > self.tpm:
            need = self._tokens + tokens - self.tpm
            for entry in calls:  # the earliest moment enough tokens have left the window
                need -= entry.tokens
                if need <= 0:
                    wait = max(wait, entry.at + self.window - now)
                    break
            else:
                wait = max(wait, calls[-1].at + self.window - now)
        if wait > 0:
            return 0, wait
        entry = _Entry(now, max(0, tokens))
        calls.append(entry)
        self._tokens += entry.tokens
        ticket = next(self._ids)
        self._open[ticket] = entry
        return ticket, 0.0

    def settle(self, ticket: int, tokens: int | None) -> None:
        """The call of `ticket` ended: count its real tokens (`None`: keep the estimate)."""
        entry = self._open.pop(ticket, None)
        if entry is None or tokens is None:
            return
        if not entry.gone:  # still in the window: correct the sum
            self._tokens += tokens - entry.tokens
        entry.tokens = tokens

    def pause(self, now: float, seconds: float) -> None:
        """No call starts for `seconds` (a server's `Retry-After`)."""
        self.paused_until = max(self.paused_until, now + seconds)


class RateLimiter:
    """The limiter rows share in one process: `await acquire(tokens)`, then `settle`."""

    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        window: float = 60.0,
        clock: Clock | None = None,
    ) -> None:
        self.state = RateWindow(rpm=rpm, tpm=tpm, window=window)
        self.clock = clock or LoopClock()
        self.granted: list[float] = []
        """When each call was let through (kept only when `record` is on; for tests)."""
        self.record = False

    @property
    def limited(self) -> bool:
        """Whether a rpm or tpm limit is set."""
        return self.state.rpm is not None or self.state.tpm is not None

    async def acquire(self, tokens: int = 0) -> int:
        """Wait for a slot; returns the ticket to `settle`."""
        while True:
            now = self.clock.now()
            ticket, wait = self.state.reserve(now, tokens)
            if ticket:
                if self.record:
                    self.granted.append(now)
                return ticket
            await self.clock.sleep(wait)

    async def settle(self, ticket: int, tokens: int | None) -> None:
        """Count the real tokens of a call that ended."""
        self.state.settle(ticket, tokens)

    async def pause(self, seconds: float) -> None:
        """Hold every row for `seconds`."""
        self.state.pause(self.clock.now(), seconds)

    async def wait_pause(self) -> None:
        """Wait out a pause (before a row's attempt when no rpm/tpm limit is set)."""
        while (left := self.state.paused_until - self.clock.now()) > 0:
            await self.clock.sleep(left)
