"""The process id of a stdio server, and the last-resort kill at interpreter exit.

The SDK starts a stdio server in a session of its own and does not say its pid. Spawns on the
MCP worker are serialized, so the new child that leads its own session after a spawn is the
server (psutil, which ipykernel already needs; without it the pid stays unknown and the server
still exits when its stdin closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from typing import Any

__all__ = ["SpawnWatch", "kill_group"]

_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


def _session_children() -> set[int]:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel and the mcp extra
        return set()
    found: set[int] = set()
    for child in psutil.Process().children():
        with contextlib.suppress(OSError, psutil.Error):
            if os.getsid(child.pid) == child.pid:
                found.add(child.pid)
    return found


class SpawnWatch:
    """`async with SpawnWatch() as watch: <spawn one server>`; then `watch.pid`."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self._before: set[int] = set()
        self._lock = _locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())

    async def __aenter__(self) -> SpawnWatch:
        await self._lock.acquire()
        self._before = _session_children()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            if exc_info[0] is None:
                new = _session_children() - self._before
                self.pid = new.pop() if len(new) == 1 else None
        finally:
            self._lock.release()


def kill_group(pid: int, grace: float = 1.0) -> None:
    """SIGTERM the server's process group, SIGKILL it after `grace` seconds if it is still there."""
    if not hasattr(os, "killpg"):  # pragma: no cover - Windows: the SDK's job object kills it
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.02)
