"""Timeouts and the retry policy of a provider's HTTP calls."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["HttpSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpSettings:
    """Timeouts (seconds) and retry policy of a provider's HTTP calls."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    """The longest wait for the next bytes of a response (a stalled stream ends after it)."""
    max_retries: int = 2
    """Further attempts after a 408/409/429/5xx answer, or a connection that failed before any
    byte of an answer arrived (refused, reset, closed without a response, connect timeout)."""
    retry_base_delay: float = 0.5
    retry_max_delay: float = 30.0
    """The longest backoff between attempts (a server's `Retry-After` is honoured up to
    `max_retry_after` instead)."""
    max_retry_after: float = 60.0
    """The longest `Retry-After` (or `retry-after-ms`) waited for. A server asking for longer
    fails the call at once with a `ProviderHTTPError` whose `retry_after` holds the seconds."""
    drain_timeout: float = 0.05
    """After a stream's terminal event, the longest time spent reading the rest of the body so
    the connection can be reused; past it (a server holding the body open) it is closed."""
    max_connections: int = 100
    """Connections the model's own client opens at most (not a client you pass). Further calls
    queue for a free one, so a thousand runs started at once all run, `max_connections` at a
    time; a call that waits longer than `pool_timeout` fails with a `ProviderTimeoutError`."""
    pool_timeout: float = 600.0
    """The longest wait for a free connection of the model's own client (see `max_connections`)."""
    tail_timeout: float = 2.0
    """After a chunk that finishes the answer but is not the stream's last (OpenAI chat's
    `finish_reason`, before the usage chunk and `[DONE]`), the longest wait for each further
    read; a stall past it, or a dropped connection, ends the answer as complete."""

    def timeout(self) -> httpx.Timeout:
        """The httpx timeout these settings describe."""
        return httpx.Timeout(
            self.read_timeout, connect=self.connect_timeout, pool=self.pool_timeout
        )

    def limits(self) -> httpx.Limits:
        """The connection limits of the model's own client: every connection is kept alive."""
        return httpx.Limits(
            max_connections=self.max_connections, max_keepalive_connections=self.max_connections
        )
