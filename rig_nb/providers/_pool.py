"""The httpx client a model builds for itself.

One per event loop, its calls queued for a connection, no certificates for `http://`, closable
from sync code.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from ..errors import ProviderTimeoutError
from ._settings import HttpSettings

__all__ = ["OwnClient"]


class OwnClient:
    """A model's own client: built on first use on each event loop, closed with the model."""

    def __init__(self, provider: str, base_url: str, settings: HttpSettings) -> None:
        self._provider = provider
        self._base_url = base_url
        self._settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None

    def get(self) -> httpx.AsyncClient:
        """The client of the running loop (a client's connection pool belongs to one loop)."""
        loop = asyncio.get_running_loop()
        client = self._client
        if client is None or client.is_closed or loop is not self._loop:
            client = self._client = httpx.AsyncClient(
                timeout=self._settings.timeout(),
                limits=self._settings.limits(),
                verify=_verify(self._base_url),
            )
            self._loop, self._slots = loop, asyncio.Semaphore(self._settings.max_connections)
        return client

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """A free connection, waited for in line (at most `pool_timeout` s).

        Calls queue here rather than in httpcore's pool, whose waiters cost it quadratic work:
        1,000 runs started at once took 36.6 s there and 15.6 s here (bench/many_runs.py).
        """
        self.get()
        slots = self._slots
        assert slots is not None
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
        """Close the client."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def close_sync(self) -> None:
        """`aclose()` from sync code (kernel shutdown, unloading the extension).

        On the client's own loop when it is not running; as a task on it when it is (sync code
        called from a cell); a closed loop took its connections with it.
        """
        client, loop = self._client, self._loop
        if client is None or loop is None or client.is_closed or loop.is_closed():
            return
        self._client = None
        if loop.is_running():
            loop.create_task(client.aclose())  # httpx closes it; nothing awaits it
        else:
            loop.run_until_complete(client.aclose())


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
