"""The HTTP layer every provider shares.

One client per event loop, one place where httpx failures and HTTP error statuses become rig_nb
errors, bounded retries, timeouts, and closing on cancel.

Nothing else in rig_nb catches `httpx.HTTPError`.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import (
    HttpError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderTimeoutError,
)
from ._lines import BufferedLines

__all__ = ["HttpSettings", "ProviderClient", "Secret"]

logger = logging.getLogger("rig_nb.providers")

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
_HINTS = {
    401: "Check the API key",
    403: "The API key is not allowed to do this",
    404: "Check the model name and the base URL",
    429: "Rate limited; retries were exhausted",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpSettings:
    """Timeouts (seconds) and retry policy of a provider's HTTP calls."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    """The longest wait for the next bytes of a response (a stalled stream ends after it)."""
    max_retries: int = 2
    """Further attempts after a 408/409/429/5xx answer or a refused connection."""
    retry_base_delay: float = 0.5
    retry_max_delay: float = 30.0

    def timeout(self) -> httpx.Timeout:
        """The httpx timeout these settings describe."""
        return httpx.Timeout(self.read_timeout, connect=self.connect_timeout)


class Secret:
    """An API key kept for redaction: never shown by `repr` or `str`, never pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the key replaced."""
        return text.replace(self._value, "[redacted]") if self._value else text

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # a pickled model must not carry its key
        raise TypeError("a rig_nb API key cannot be pickled")


class ProviderClient:
    """An httpx client bound to one provider: base URL, headers, settings, error mapping."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        secret: Secret | None,
        settings: HttpSettings,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._secret = secret
        self.settings = settings
        self._given = http_client
        self._clients: dict[int, httpx.AsyncClient] = {}

    def _client(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        # A client's connection pool belongs to one event loop; keep one per loop.
        key = id(asyncio.get_running_loop())
        client = self._clients.get(key)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(timeout=self.settings.timeout())
            self._clients = {key: client}
        return client

    async def aclose(self) -> None:
        """Close the clients this object created (not one it was given)."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    @asynccontextmanager
    async def stream_lines(
        self, path: str, body: dict[str, Any], *, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[BufferedLines]:
        """POST `body` as JSON and yield the response's lines; leaving the block closes it."""
        url = f"{self.base_url}{path}"
        response = await self._send(url, body, params)
        try:
            with self._mapped(url):  # failures while the lines are read, too
                yield BufferedLines(response.aiter_text())
        finally:
            await response.aclose()

    async def _send(
        self, url: str, body: dict[str, Any], params: Mapping[str, str] | None
    ) -> httpx.Response:
        client = self._client()
        attempt = 0
        while True:
            request = client.build_request(
                "POST",
                url,
                json=body,
                headers=self._headers,
                params=params,
                timeout=self.settings.timeout(),
            )
            try:
                with self._mapped(url):
                    response = await client.send(request, stream=True)
            except ProviderConnectionError:
                if attempt >= self.settings.max_retries:
                    raise
                attempt += 1
                await asyncio.sleep(self._backoff(attempt, None))
                continue
            if response.status_code < 400:
                return response
            with self._mapped(url):
                await response.aread()
            await response.aclose()
            if response.status_code in RETRY_STATUSES and attempt < self.settings.max_retries:
                attempt += 1
                delay = self._backoff(attempt, response.headers.get("retry-after"))
                logger.info(
                    "%s answered %s; retry %d of %d in %.2f s",
                    self.provider,
                    response.status_code,
                    attempt,
                    self.settings.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            raise self._status_error(response)

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        settings = self.settings
        wait = _parse_retry_after(retry_after)
        if wait is None:
            wait = settings.retry_base_delay * 2 ** (attempt - 1) * (0.5 + random.random() / 2)
        return max(0.0, min(wait, settings.retry_max_delay))

    def _status_error(self, response: httpx.Response) -> ProviderHTTPError:
        body = self._redact(response.text)
        message = _provider_message(body) or response.reason_phrase or "error"
        headers = {k.lower(): self._redact(v) for k, v in response.headers.items()}
        request_id = next(
            (
                headers[h]
                for h in ("x-request-id", "request-id", "x-goog-request-id")
                if h in headers
            ),
            None,
        )
        return ProviderHTTPError(
            provider=self.provider,
            status_code=response.status_code,
            provider_message=message,
            request_id=request_id,
            body=body,
            headers=headers,
            hint=_HINTS.get(response.status_code, ""),
        )

    def _redact(self, text: str) -> str:
        return self._secret.redact(text) if self._secret is not None else text

    @contextmanager
    def _mapped(self, url: str) -> Iterator[None]:
        """The one place httpx exceptions become rig_nb errors (keys redacted)."""
        started = time.monotonic()
        try:
            yield
        except httpx.ConnectTimeout as exc:
            raise ProviderTimeoutError(
                f"connecting to {self.provider} at {url} timed out after "
                f"{self.settings.connect_timeout:g} s"
            ) from exc
        except httpx.ReadTimeout as exc:
            raise ProviderTimeoutError(
                f"{self.provider} sent nothing for {self.settings.read_timeout:g} s "
                f"(read timeout; waited {time.monotonic() - started:.1f} s in all)"
            ) from exc
        except httpx.ConnectError as exc:
            raise ProviderConnectionError(
                f"could not connect to {self.provider} at {url}: {self._redact(str(exc))}; "
                "is the server running and the base URL right?"
            ) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            detail = self._redact(str(exc)) or type(exc).__name__
            raise ProviderError(f"the {self.provider} stream was cut off: {detail}") from exc
        except httpx.HTTPError as exc:
            raise HttpError(
                f"{self.provider}: {self._redact(str(exc)) or type(exc).__name__}"
            ) from exc


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _provider_message(body: str) -> str | None:
    """The error message inside a provider's error body, whichever vendor's shape it has."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body.strip()[:500] or None
    if isinstance(data, list) and data:
        data = data[0]  # Gemini sometimes wraps the error in a list
    if not isinstance(data, dict):
        return None
    error: Any = data.get("error", data)
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        message: Any = error.get("message") or error.get("detail")
        if isinstance(message, str):
            return message
    message = data.get("message") or data.get("detail")
    return message if isinstance(message, str) else None
