"""The httpx client a model builds for itself, and the way every call enters a connection pool.

One client per event loop, its calls queued for a connection, no certificates for `http://`,
closable from sync code. `send_through_pool` lets one request at a time take a connection of a
client's pool (`PoolGate`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
import weakref
from collections.abc import Callable

import httpx

from ..errors import ProviderTimeoutError
from ._settings import HttpSettings

__all__ = ["OwnClient", "PoolGate", "send_through_pool"]


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

    async def acquire(self) -> Callable[[], None]:
        """Wait in line for a free connection (at most `pool_timeout` s); returns its release.

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
        return slots.release

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


class PoolGate:
    """One request at a time takes a connection of an httpx client's pool.

    httpcore's pool gives a request the first idle connection, which stays idle until the
    request's task runs again. Requests that enter in between all get that same connection; all
    but one fail it and go round again, each round scanning every idle connection (a syscall or
    two each). At concurrency 64 on the loopback server that was 6.6 rounds a request, 1.8 ms of
    its 2.9 ms of CPU (bench/README.md, batch). Through the gate a request waits until the one
    before it has its connection (httpcore's first `trace` event says so), or at most `hold` s (a
    request waiting for a full pool lets the next ones queue behind it in the pool, as before):
    2.0 rounds a request.

    Only for httpx's own transport (httpcore's pool); a request through any other transport (a
    `MockTransport`, a recorder) goes straight through. One gate per client and event loop.
    """

    hold = 0.005
    """The longest one request keeps the next ones out (seconds)."""

    def __init__(self) -> None:
        self._gates: weakref.WeakKeyDictionary[
            httpx.AsyncClient, tuple[asyncio.AbstractEventLoop, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def lock(self, client: httpx.AsyncClient) -> asyncio.Lock | None:
        """The gate of `client` on the running loop; `None` when its transport is not httpcore's."""
        loop = asyncio.get_running_loop()
        found = self._gates.get(client)
        if found is not None and found[0] is loop:
            return found[1]
        transport = getattr(client, "_transport", None)
        mounts = getattr(client, "_mounts", None)
        if type(transport) is not httpx.AsyncHTTPTransport or mounts:
            return None  # another transport, or proxies: no pool of httpcore's to guard
        lock = asyncio.Lock()
        self._gates[client] = (loop, lock)
        return lock

    async def send(self, client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
        """`client.send(request, stream=True)`, entering the pool after the request before it."""
        lock = self.lock(client)
        if lock is None:
            return await client.send(request, stream=True)
        await lock.acquire()
        state: list[asyncio.TimerHandle | None] = [None]

        def release() -> None:
            timer = state[0]
            if timer is not None:
                state[0] = None
                timer.cancel()
                lock.release()

        async def taken(name: str, info: object) -> None:
            # httpcore's first event for this request: it holds its connection now
            request.extensions.pop("trace", None)  # no more events wanted
            release()

        state[0] = asyncio.get_running_loop().call_later(self.hold, release)
        request.extensions["trace"] = taken
        try:
            return await client.send(request, stream=True)
        finally:
            release()


send_through_pool = PoolGate().send
"""`client.send(request, stream=True)` through the one `PoolGate` every provider shares."""


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
