"""The httpx client a model builds for itself.

One per event loop, its calls queued for a connection, no certificates for `http://`, closable
from sync code.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from ..errors import ProviderTimeoutError
from ._settings import HttpSettings

__all__ = ["OwnClient"]


class _PerLoop:
    """One loop's client and its connection slots."""

    __slots__ = ("client", "slots")

    def __init__(self, client: httpx.AsyncClient, slots: asyncio.Semaphore) -> None:
        self.client = client
        self.slots = slots


class OwnClient:
    """A model's own client: built on first use on each event loop, closed with the model.

    A client's connection pool belongs to one event loop, so each live loop keeps its own (the
    kernel's for `await`, run_sync's worker for `run_sync`), keyed by the loop itself: a new loop
    never gets the pool of a dead one that had the same `id()`.
    """

    def __init__(self, provider: str, base_url: str, settings: HttpSettings) -> None:
        self._provider = provider
        self._base_url = base_url
        self._settings = settings
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _PerLoop] = (
            weakref.WeakKeyDictionary()
        )

    def _mine(self) -> _PerLoop:
        loop = asyncio.get_running_loop()
        mine = self._loops.get(loop)
        if mine is None or mine.client.is_closed:
            client = httpx.AsyncClient(
                timeout=self._settings.timeout(),
                limits=self._settings.limits(),
                verify=_verify(self._base_url),
            )
            mine = self._loops[loop] = _PerLoop(
                client, asyncio.Semaphore(self._settings.max_connections)
            )
        return mine

    def get(self) -> httpx.AsyncClient:
        """The client of the running loop."""
        return self._mine().client

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """A free connection, waited for in line (at most `pool_timeout` s).

        Calls queue here rather than in httpcore's pool, whose waiters cost it quadratic work:
        1,000 runs started at once took 36.6 s there and 15.6 s here (bench/many_runs.py).
        """
        slots = self._mine().slots
        limit = self._settings.pool_timeout
        started = time.monotonic()
        try:
            async with asyncio.timeout(limit):
                await slots.acquire()
        except TimeoutError:
            raise ProviderTimeoutError(
                f"{self._provider}: waited {time.monotonic() - started:.1f} s for a free "
                f"connection (all {self._settings.max_connections} of this model's connections "
                f"were busy; HttpSettings.pool_timeout is {limit:g} s): start fewer runs at once "
                "(an asyncio.Semaphore) or raise HttpSettings.max_connections / pool_timeout"
            ) from None
        try:
            yield
        finally:
            slots.release()

    async def aclose(self) -> None:
        """Close the running loop's client now, and the other loops' clients on their loops."""
        mine = self._loops.pop(asyncio.get_running_loop(), None)
        self.close_sync()
        if mine is not None:
            await mine.client.aclose()

    def close_sync(self) -> None:
        """Close every client from sync code (kernel shutdown, unloading the extension).

        Each on its own loop: as a task when that loop runs (from this thread or another), to
        the end when it does not; a closed loop took its connections with it.
        """
        for loop, mine in list(self._loops.items()):
            del self._loops[loop]
            if mine.client.is_closed or loop.is_closed():
                continue
            if not loop.is_running():
                loop.run_until_complete(mine.client.aclose())
            elif _running_loop() is loop:
                loop.create_task(mine.client.aclose())  # httpx closes it; nothing awaits it
            else:
                asyncio.run_coroutine_threadsafe(mine.client.aclose(), loop)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _verify(base_url: str) -> ssl.SSLContext | bool:
    """Certificates for an `https://` API; none loaded for `http://` (a local server).

    httpx loads certifi's bundle for every client it builds: 20.0 ms of CPU, 0.2 ms without
    (bench/magics.py), and each `%%agent` cell built a client before models were reused. An
    `http://` base URL gets a TLS context with no certificate authority at all, so a TLS
    connection through it (a redirect, a proxy) fails to verify, never goes unchecked.
    """
    if base_url.lower().startswith("https:"):
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
